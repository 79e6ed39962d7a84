"""The demo's matching data: the admins' skill list, what each trainer teaches and in which
languages, and what a few students need of a mentor (so the mentor page's ranking has
something to say on a fresh demo).

Idempotent: skills are found by name, a trainer's skills and languages are set (not added),
and a student's needs are replaced. A handful of queries per trainer and student.
"""

from __future__ import annotations

from accounts.models import User
from allocation.services import student_needs_set
from trainers.models import Skill, TrainerProfile

from .people import (
    ALEX,
    EMILY,
    ENGLISH_ASSISTANTS,
    ENGLISH_SUBSTITUTES,
    JOHN,
    MARIA,
    ROBERT,
    SARAH,
    Student,
    Trainer,
)

SKILLS = {
    "German A1": "Beginners' German",
    "German B1": "Intermediate German",
    "English B2": "Upper-intermediate English",
    "IELTS": "IELTS exam preparation",
    "Business English": "Meetings, e-mail, presentations",
    "Conversation": "Speaking practice",
}

# Trainer -> (skills, languages they teach in).
OFFERS: dict[Trainer, tuple[tuple[str, ...], tuple[str, ...]]] = {
    SARAH: (("German A1", "German B1", "Conversation"), ("de", "en")),
    JOHN: (("German A1", "Conversation"), ("de", "en")),
    MARIA: (("German A1", "German B1"), ("de", "es", "en")),
    ALEX: (("German A1",), ("de", "zh", "en")),
    EMILY: (("English B2", "IELTS", "Business English"), ("en",)),
    ROBERT: (("English B2", "Business English"), ("en", "fr")),
}
_EXTRA_LANGUAGES = ("hi", "es", "fr", "ar", "pt", "ta", "zh", "de", "ja", "ko", "ru")
for i, trainer in enumerate((*ENGLISH_ASSISTANTS, *ENGLISH_SUBSTITUTES)):
    OFFERS[trainer] = (
        ("English B2", "IELTS" if i % 2 == 0 else "Business English", "Conversation"),
        ("en", _EXTRA_LANGUAGES[i % len(_EXTRA_LANGUAGES)]),
    )

# Student number -> (skills, languages, weekdays, parts of the day).
NEEDS = {
    1: (("German A1", "Conversation"), ("de", "en"), (0, 2), ("evening",)),
    2: (("German B1",), ("es",), (1, 3), ("morning",)),
    3: (("German A1",), ("zh",), (5,), ("morning", "afternoon")),
    301: (("English B2", "IELTS"), ("en", "hi"), (0, 1, 2, 3, 4), ("evening",)),
    302: (("Business English",), ("fr",), (2, 4), ("afternoon",)),
    303: (("IELTS", "Conversation"), ("ar",), (), ("morning",)),
}


def seed_matching(*, admin: User) -> int:
    """Skills, trainers' offers and students' needs; returns how many needs were recorded."""
    skills = {}
    for name, description in SKILLS.items():
        skills[name], _ = Skill.objects.get_or_create(
            name=name, defaults={"description": description}
        )
    profiles = {
        p.user.email: p
        for p in TrainerProfile.objects.filter(
            user__email__in=[t.email for t in OFFERS]
        ).select_related("user")
    }
    for trainer, (names, languages) in OFFERS.items():
        profile = profiles.get(trainer.email)
        if profile is None:
            continue
        if profile.languages != list(languages):
            profile.languages = list(languages)
            profile.save(update_fields=["languages", "updated_at"])
        profile.skills.set([skills[n] for n in names])
    students = {
        u.email: u for u in User.objects.filter(email__in=[Student(n).email for n in NEEDS])
    }
    recorded = 0
    for number, (names, languages, days, parts) in NEEDS.items():
        student = students.get(Student(number).email)
        if student is None:
            continue
        student_needs_set(
            student=student,
            updated_by=admin,
            skills=[skills[n] for n in names],
            languages=languages,
            preferred_days=days,
            day_parts=parts,
        )
        recorded += 1
    return recorded
