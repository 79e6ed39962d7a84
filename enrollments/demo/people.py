"""The demo's people: the logins, the trainers of both courses and the students."""

from __future__ import annotations

from dataclasses import dataclass

# The demo logins. README documents them; never use them outside a demo database.
ADMIN_EMAIL = "admin@medh.local"
ADMIN_PASSWORD = "admin12345"
DEMO_PASSWORD = "demo12345"  # every instructor and every student
EMAIL_DOMAIN = "medh.local"


@dataclass(frozen=True)
class Trainer:
    full_name: str
    email_local: str
    role: str  # lead | assistant | substitute: the course roster role, kept in the profile

    @property
    def email(self) -> str:
        return f"{self.email_local}@{EMAIL_DOMAIN}"


SARAH = Trainer("Dr. Sarah Weber", "sarah.weber", "lead")
JOHN = Trainer("John Miller", "john.miller", "assistant")
MARIA = Trainer("Maria Garcia", "maria.garcia", "assistant")
ALEX = Trainer("Alex Chen", "alex.chen", "assistant")

EMILY = Trainer("Dr. Emily Smith", "emily.smith", "lead")
ROBERT = Trainer("Dr. Robert Johnson", "robert.johnson", "lead")
ENGLISH_ASSISTANTS = tuple(
    Trainer(name, name.lower().replace(" ", "."), "assistant")
    for name in (
        "Olivia Brown",
        "James Wilson",
        "Sophia Martinez",
        "Liam Anderson",
        "Ava Thompson",
        "Noah Taylor",
        "Mia Moore",
        "Ethan Clark",
    )
)
ENGLISH_SUBSTITUTES = tuple(
    Trainer(name, name.lower().replace(" ", "."), "substitute")
    for name in ("Grace Lee", "Daniel Kim", "Chloe Walker")
)


# Deterministic student names. 40 and 41 are coprime, so (i % 40, i % 41) is a different pair
# for every i below 1640: 800 students never share a name.
FIRST_NAMES = (  # noqa: SIM905 - a word list reads better as one string
    "Aarav Amelia Ana Ben Carla Chen Daniel Elena Emma Farah Felix Hannah Hiro Ines Isaac "
    "Jana Jonas Kavya Leon Lina Lucas Mara Mateo Mei Nadia Noah Omar Paula Priya Rafael Sara "
    "Sofia Tariq Tom Valentina Wei Yara Yusuf Zoe Ivan"
).split()
LAST_NAMES = (  # noqa: SIM905 - a word list reads better as one string
    "Ahmed Becker Costa Dubois Eriksen Fischer Garcia Hansen Ito Jansen Kowalski Larsen "
    "Meyer Nakamura Novak Okafor Patel Quinn Rossi Schmidt Silva Suzuki Tanaka Usman Varga "
    "Wagner Weber Xu Yilmaz Zimmermann Alvarez Bauer Chowdhury Demir Evans Fernandes Gupta "
    "Horvat Ivanova Johansson Kim"
).split()


@dataclass(frozen=True)
class Student:
    number: int  # 1-based across both courses

    @property
    def email(self) -> str:
        return f"student{self.number:03d}@{EMAIL_DOMAIN}"

    @property
    def full_name(self) -> str:
        i = self.number - 1
        return f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]}"


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, email, password) for one user of each role, as the command prints them."""
    return [
        ("Admin", ADMIN_EMAIL, ADMIN_PASSWORD),
        (f"Instructor ({SARAH.full_name}, lead)", SARAH.email, DEMO_PASSWORD),
        (f"Instructor ({JOHN.full_name}, assistant)", JOHN.email, DEMO_PASSWORD),
        (f"Student ({Student(1).full_name})", Student(1).email, DEMO_PASSWORD),
    ]
