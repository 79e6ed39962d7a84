"""The demo data set: the two scenarios of the multi-trainer design, built through the services.

Scenario 1, "German A1": 300 students in 12 full batches of 25. Dr. Sarah Weber leads the
course; her three assistants are the primary trainers of four batches each (John Miller 1-4,
Maria Garcia 5-8, Alex Chen 9-12).

Scenario 2, "English B2": 500 students in 25 full batches of 20. Two leads (Dr. Emily Smith
for batches 1-12, Dr. Robert Johnson for 13-25) teach one batch each, eight assistants teach
the other 23 (2-3 each) and three substitutes wait on call with no batch yet.

Every trainer's batches use distinct slot patterns that never overlap, so nobody is booked
twice, and nobody has more than the default cap of four batches.

The build is idempotent: users are found by email, courses by code and batches by name within
their course; only what is missing is created, so a second run changes nothing. Batches and
enrollments go through ``allocation.services`` and ``enrollments.services`` so the seat
counters and every rule hold exactly as they would for data entered by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import User
from allocation.models import (
    Batch,
    BatchStatus,
    BatchTemplate,
    BatchTrainer,
    Course,
    IndividualAssignment,
    StaffRole,
    SubstituteCover,
)
from allocation.selectors import leave_affected_sessions
from allocation.services import (
    Slot,
    batch_create,
    batch_set_supervising_lead,
    batch_staff_add,
    course_create,
    individual_assign,
    mentoring_session_log,
    roster_add,
    roster_update,
    substitute_assign,
)
from core import dates
from notifications.services import notifications_without_email
from trainers.models import TrainerLeave, TrainerProfile
from trainers.services import leave_record

from .models import EnrollmentSource, EnrollmentStatus, PaymentStatus
from .services import Payment, enrollment_create

# The demo logins. README documents them; never use them outside a demo database.
ADMIN_EMAIL = "admin@medh.local"
ADMIN_PASSWORD = "admin12345"
DEMO_PASSWORD = "demo12345"  # every instructor and every student
EMAIL_DOMAIN = "medh.local"

PAYMENT_AMOUNT = Decimal("299.00")
PAYMENT_CURRENCY = "USD"
PAYMENT_METHOD = "credit_card"


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


@dataclass(frozen=True)
class Pattern:
    """A named weekly timetable that a batch follows: its label goes into the batch name."""

    label: str
    days: tuple[int, ...]
    start: str
    end: str

    def slots(self) -> list[Slot]:
        return [Slot(day=d, start_time=_t(self.start), end_time=_t(self.end)) for d in self.days]


MON, TUE, WED, THU, FRI, SAT = range(6)

# German: each assistant's four batches take one pattern each. The four never overlap.
GERMAN_PATTERNS = (
    Pattern("Mon/Wed morning", (MON, WED), "08:00", "10:00"),
    Pattern("Mon/Wed evening", (MON, WED), "18:00", "20:00"),
    Pattern("Tue/Thu morning", (TUE, THU), "08:00", "10:00"),
    Pattern("Tue/Thu evening", (TUE, THU), "18:00", "20:00"),
)
# English: pairwise disjoint too (Friday 10:00-11:30 and 14:00-16:00 are hours apart), so any
# trainer whose batches all use different patterns is never double-booked.
ENGLISH_PATTERNS = (
    Pattern("Mon/Wed/Fri morning", (MON, WED, FRI), "10:00", "11:30"),
    Pattern("Tue/Thu evening", (TUE, THU), "18:00", "20:00"),
    Pattern("Fri/Sat afternoon", (FRI, SAT), "14:00", "16:00"),
    Pattern("Mon/Wed evening", (MON, WED), "19:00", "20:30"),
)


@dataclass(frozen=True)
class Trainer:
    full_name: str
    email_local: str
    role: str  # lead | assistant | substitute: the course roster role, kept in the profile

    @property
    def email(self) -> str:
        return f"{self.email_local}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class BatchPlan:
    number: int  # 1-based, within the course
    primary: Trainer
    pattern: Pattern
    status: str
    start_date: dt.date
    end_date: dt.date
    lead: Trainer


@dataclass(frozen=True)
class CoursePlan:
    code: str
    title: str
    description: str
    subject: str  # the trainers' specialization
    capacity: int
    trainers: tuple[Trainer, ...]
    batches: tuple[BatchPlan, ...]

    def batch_name(self, plan: BatchPlan) -> str:
        return f"{self.title} — Batch {plan.number:02d} ({plan.pattern.label})"

    @property
    def student_count(self) -> int:
        return self.capacity * len(self.batches)


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


def _monday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=-day.weekday() % 7)


def _dates(today: dt.date, status: str, *, started_weeks_ago: int, starts_in_weeks: int):
    """Active batches started some weeks ago; upcoming ones start soon. Both run 13 weeks."""
    if status == BatchStatus.ACTIVE:
        start = _monday_on_or_before(today - dt.timedelta(weeks=started_weeks_ago))
    else:
        start = _monday_on_or_after(today + dt.timedelta(weeks=starts_in_weeks))
    return start, start + dt.timedelta(weeks=13, days=-3)  # ends on the Friday of week 13


def _plan_batches(
    today: dt.date,
    primaries: list[tuple[Trainer, Trainer]],  # (primary, lead) per batch, in batch order
    patterns: tuple[Pattern, ...],
    is_active: Callable[[int], bool],
    *,
    rotate: bool,
    started_weeks_ago: int,
    starts_in_weeks: int,
) -> tuple[BatchPlan, ...]:
    """Give each batch the next pattern its primary trainer has not used yet.

    A trainer's k-th batch takes pattern k, or with ``rotate`` pattern k shifted by the
    trainer's position, so that not every trainer's first batch lands in the same slot.
    """
    order = list(dict.fromkeys(primary for primary, _ in primaries))
    taught: dict[Trainer, int] = {}
    plans = []
    for number, (primary, lead) in enumerate(primaries, start=1):
        nth = taught[primary] = taught.get(primary, -1) + 1
        if nth >= len(patterns):
            raise ValueError(f"{primary.full_name} has more batches than slot patterns")
        shift = order.index(primary) if rotate else 0
        status = BatchStatus.ACTIVE if is_active(number) else BatchStatus.UPCOMING
        start, end = _dates(
            today, status, started_weeks_ago=started_weeks_ago, starts_in_weeks=starts_in_weeks
        )
        pattern = patterns[(nth + shift) % len(patterns)]
        plans.append(BatchPlan(number, primary, pattern, status, start, end, lead))
    return tuple(plans)


def german_plan(today: dt.date) -> CoursePlan:
    primaries = [(assistant, SARAH) for assistant in (JOHN, MARIA, ALEX) for _ in range(4)]
    return CoursePlan(
        code="GER-A1",
        title="German A1",
        description="Beginner German (CEFR A1): 300 students in 12 batches of 25.",
        subject="German",
        capacity=25,
        trainers=(SARAH, JOHN, MARIA, ALEX),
        batches=_plan_batches(
            today,
            primaries,
            GERMAN_PATTERNS,
            lambda n: n <= 8,
            rotate=False,
            started_weeks_ago=3,
            starts_in_weeks=2,
        ),
    )


def english_plan(today: dt.date) -> CoursePlan:
    a = ENGLISH_ASSISTANTS
    # Batches 1-12 under Dr. Smith, 13-25 under Dr. Johnson; each lead teaches the first
    # batch of their range, the assistants 3, 3, 3, 2 and 3, 3, 3, 3 batches.
    smith_range = [EMILY] + [a[0]] * 3 + [a[1]] * 3 + [a[2]] * 3 + [a[3]] * 2
    johnson_range = [ROBERT] + [a[4]] * 3 + [a[5]] * 3 + [a[6]] * 3 + [a[7]] * 3
    primaries = [(t, EMILY) for t in smith_range] + [(t, ROBERT) for t in johnson_range]
    return CoursePlan(
        code="ENG-B2",
        title="English B2",
        description="Upper-intermediate English (CEFR B2): 500 students in 25 batches of 20.",
        subject="English",
        capacity=20,
        trainers=(EMILY, ROBERT, *ENGLISH_ASSISTANTS, *ENGLISH_SUBSTITUTES),
        batches=_plan_batches(
            today,
            primaries,
            ENGLISH_PATTERNS,
            lambda n: n <= 8 or 13 <= n <= 21,
            rotate=True,
            started_weeks_ago=5,
            starts_in_weeks=3,
        ),
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


@dataclass
class CourseReport:
    code: str
    title: str
    batches: int = 0
    batches_created: int = 0
    enrollments: int = 0
    enrollments_created: int = 0


@dataclass
class SeedReport:
    users_created: int = 0
    profiles_created: int = 0
    assignments_created: int = 0
    sessions_created: int = 0
    staffing_changes: int = 0
    courses: list[CourseReport] = field(default_factory=list)


def _ensure_admin() -> tuple[User, bool]:
    admin = User.objects.filter(email=ADMIN_EMAIL).first()
    if admin is not None:
        return admin, False
    admin = User.objects.create_superuser(ADMIN_EMAIL, ADMIN_PASSWORD, full_name="Medh Admin")
    return admin, True


def _ensure_users(people: list[tuple[str, str]], *, role_field: str, password_hash: str) -> int:
    """Create the (email, full name) users that do not exist yet; return how many were new.

    One precomputed hash serves every user: hashing 800 passwords with PBKDF2 would take
    minutes, and these accounts all share the one demo password anyway.
    """
    emails = [email for email, _ in people]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    missing = [
        User(email=email, full_name=name, password=password_hash, **{role_field: True})
        for email, name in people
        if email not in existing
    ]
    User.objects.bulk_create(missing)
    return len(missing)


def _ensure_profiles(course: CoursePlan, users: dict[str, User]) -> int:
    have = set(
        TrainerProfile.objects.filter(user__in=users.values()).values_list("user_id", flat=True)
    )
    missing = [
        TrainerProfile(
            user=users[t.email], specialization=f"{course.subject} ({course.title} {t.role})"
        )
        for t in course.trainers
        if users[t.email].pk not in have
    ]
    TrainerProfile.objects.bulk_create(missing)
    return len(missing)


def _notes(plan: BatchPlan) -> str:
    if plan.primary == plan.lead:
        return f"Taught by the lead trainer, {plan.lead.full_name}."
    return f"Primary: {plan.primary.full_name}. Backup: {plan.lead.full_name} (lead trainer)."


def _seed_course(
    course_plan: CoursePlan,
    students: list[Student],
    *,
    admin: User,
    password_hash: str,
    report: SeedReport,
) -> CourseReport:
    result = CourseReport(course_plan.code, course_plan.title)
    with transaction.atomic():
        trainers = [(t.email, t.full_name) for t in course_plan.trainers]
        report.users_created += _ensure_users(
            trainers, role_field="is_instructor", password_hash=password_hash
        )
        users = {u.email: u for u in User.objects.filter(email__in=[e for e, _ in trainers])}
        report.profiles_created += _ensure_profiles(course_plan, users)
        course = Course.objects.filter(code=course_plan.code).first()
        if course is None:
            course = course_create(
                code=course_plan.code, title=course_plan.title, description=course_plan.description
            )
    report.users_created += _ensure_users(
        [(s.email, s.full_name) for s in students],
        role_field="is_student",
        password_hash=password_hash,
    )

    per_batch = course_plan.capacity
    for plan in course_plan.batches:
        group = students[(plan.number - 1) * per_batch : plan.number * per_batch]
        # One transaction per batch: the batch and its roster appear together, and SQLite
        # commits once instead of once per enrollment.
        with transaction.atomic():
            batch = Batch.objects.filter(course=course, batch_name=course_plan.batch_name(plan))
            batch = batch.first()
            if batch is None:
                batch = batch_create(
                    course=course,
                    batch_name=course_plan.batch_name(plan),
                    start_date=plan.start_date,
                    end_date=plan.end_date,
                    capacity=course_plan.capacity,
                    assigned_instructor=users[plan.primary.email],
                    created_by=admin,
                    status=plan.status,
                    batch_notes=_notes(plan),
                    schedule=plan.pattern.slots(),
                )
                result.batches_created += 1
            result.enrollments_created += _enroll(course, batch, group)
        result.batches += 1
    result.enrollments = course.enrollments.filter(status=EnrollmentStatus.ACTIVE).count()
    return result


def _enroll(course: Course, batch: Batch, group: list[Student]) -> int:
    """Enroll the students of ``group`` who have no active enrollment in ``course`` yet."""
    users = User.objects.filter(email__in=[s.email for s in group])
    enrolled = set(
        course.enrollments.filter(status=EnrollmentStatus.ACTIVE, student__in=users).values_list(
            "student_id", flat=True
        )
    )
    created = 0
    for student in sorted(users, key=lambda u: u.email):
        if student.pk in enrolled:
            continue
        enrollment_create(
            student=student,
            course=course,
            batch=batch,
            enrollment_source=EnrollmentSource.ADMIN,
            payment=Payment(
                amount=PAYMENT_AMOUNT,
                currency=PAYMENT_CURRENCY,
                payment_method=PAYMENT_METHOD,
                payment_status=PaymentStatus.COMPLETED,
                transaction_id=f"DEMO-{course.code}-{student.email.split('@')[0].upper()}",
            ),
        )
        created += 1
    return created


def seed(
    *, today: dt.date | None = None, progress: Callable[[CourseReport], None] | None = None
) -> SeedReport:
    """Build (or complete) the demo data set and say what was created.

    ``today`` anchors the batch dates (default: the local date); ``progress`` is called after
    each course. Existing rows are never changed, so a second run creates nothing.
    """
    # The demo's people get their inbox notifications but no email (the console backend
    # would print thousands of them).
    with notifications_without_email():
        return _seed(today or dates.today(), progress)


def _seed(today: dt.date, progress: Callable[[CourseReport], None] | None) -> SeedReport:
    report = SeedReport()
    admin, created = _ensure_admin()
    report.users_created += created
    password_hash = make_password(DEMO_PASSWORD)  # once: see _ensure_users

    first = 1
    plans = (german_plan(today), english_plan(today))
    for course_plan in plans:
        students = [Student(n) for n in range(first, first + course_plan.student_count)]
        first += course_plan.student_count
        course_report = _seed_course(
            course_plan, students, admin=admin, password_hash=password_hash, report=report
        )
        report.courses.append(course_report)
        if progress:
            progress(course_report)
    _seed_mentoring(admin=admin, today=today, report=report)
    for course_plan in plans:
        _seed_multi_trainer(course_plan, admin=admin, report=report)
    _seed_leave_and_cover(admin=admin, today=today, report=report)
    _seed_batch_template(report=report)
    return report


# Workload shares (percent of the course) per roster role; each course's shares sum to 100.
ROSTER_SHARES = {
    "GER-A1": {"lead": 25, "assistant": 25, "substitute": 0},
    "ENG-B2": {"lead": 10, "assistant": 10, "substitute": 0},
}


@transaction.atomic
def _seed_multi_trainer(plan: CoursePlan, *, admin: User, report: SeedReport) -> None:
    """The course roster with roles and shares, supervising leads, leads as backups.

    batch_create puts every primary on the roster as a 0 % assistant; those untouched entries
    get their planned role and share here. Entries an admin changed since are left alone, as
    are batches that already have a supervising lead or the lead in some role.
    """
    course = Course.objects.get(code=plan.code)
    shares = ROSTER_SHARES[plan.code]
    users = {u.email: u for u in User.objects.filter(email__in=[t.email for t in plan.trainers])}
    roster = {entry.trainer_id: entry for entry in course.roster.all()}
    # Leads first: their shares come before the assistants' so the sum never passes 100.
    for trainer in sorted(plan.trainers, key=lambda t: t.role != "lead"):
        user = users[trainer.email]
        entry = roster.get(user.pk)
        if entry is None:
            roster_add(
                course=course,
                trainer=user,
                role=trainer.role,
                workload_percent=shares[trainer.role],
            )
            report.staffing_changes += 1
        elif (entry.role, entry.workload_percent) == ("assistant", 0) and (
            trainer.role,
            shares[trainer.role],
        ) != ("assistant", 0):
            roster_update(entry=entry, role=trainer.role, workload_percent=shares[trainer.role])
            report.staffing_changes += 1
    batches = {b.batch_name: b for b in course.batches.all()}
    staffed = set(
        BatchTrainer.objects.filter(batch__course=course, ended_at__isnull=True).values_list(
            "batch_id", "trainer_id"
        )
    )
    for batch_plan in plan.batches:
        batch = batches[plan.batch_name(batch_plan)]
        lead = users[batch_plan.lead.email]
        if batch.supervising_lead_id is None:
            batch_set_supervising_lead(batch=batch, lead=lead)
            report.staffing_changes += 1
        if (batch.pk, lead.pk) not in staffed:
            batch_staff_add(batch=batch, trainer=lead, role=StaffRole.BACKUP, added_by=admin)
            report.staffing_changes += 1


@transaction.atomic
def _seed_leave_and_cover(*, admin: User, today: dt.date, report: SeedReport) -> None:
    """John Miller is on leave next week, covered by Dr. Sarah Weber on each of his batches;
    Maria Garcia's leave the week after is not covered yet (the dashboards flag it)."""
    next_monday = _monday_on_or_after(today + dt.timedelta(days=1))
    users = {
        u.email: u for u in User.objects.filter(email__in=[JOHN.email, MARIA.email, SARAH.email])
    }
    john, maria, sarah = users[JOHN.email], users[MARIA.email], users[SARAH.email]
    leaves = (
        (john, next_monday, "Conference in Berlin"),
        (maria, next_monday + dt.timedelta(weeks=1), "Family matters"),
    )
    for trainer, monday, reason in leaves:
        if not TrainerLeave.objects.filter(trainer=trainer).exists():
            leave_record(
                trainer=trainer,
                start_date=monday,
                end_date=monday + dt.timedelta(days=4),
                reason=reason,
                created_by=admin,
            )
            report.staffing_changes += 1
    leave = TrainerLeave.objects.filter(trainer=john).order_by("start_date").first()
    covered = set(
        SubstituteCover.objects.filter(absent_trainer=john).values_list("batch_id", flat=True)
    )
    for session in leave_affected_sessions(leave):
        if session.batch.pk in covered:
            continue
        substitute_assign(
            batch=session.batch,
            absent_trainer=john,
            substitute=sarah,
            start_date=leave.start_date,
            end_date=leave.end_date,
            assigned_by=admin,
        )
        covered.add(session.batch.pk)
        report.staffing_changes += 1


def _seed_batch_template(*, report: SeedReport) -> None:
    """German A1's batch template asks for one assistant per batch, so the trainer assignment
    page has positions to staff: the assistants are at their cap, Dr. Sarah Weber takes four
    (her cap) and the page lists the other eight as unassignable, with each trainer's reason
    (cap, her cover duty next week). An existing template is left alone."""
    course = Course.objects.get(code="GER-A1")
    if BatchTemplate.objects.filter(course=course).exists():
        return
    pattern = GERMAN_PATTERNS[0]
    template = BatchTemplate(
        course=course,
        capacity=25,
        schedule=[{"day": d, "start": pattern.start, "end": pattern.end} for d in pattern.days],
        duration_weeks=13,
        assistants=1,
    )
    template.full_clean()
    template.save()
    report.staffing_changes += 1


# (mentor, assignment type, student numbers, sessions logged per mentee). A mentee of a
# mentor with no sessions shows the "no contact for 14+ days" flag on the dashboards.
MENTORING_PLAN = (
    (SARAH, "mentor", range(1, 7), (3, 2, 1, 1, 0, 0)),
    (EMILY, "mentor", range(301, 307), (2, 2, 1, 0, 0, 0)),
    (ROBERT, "tutor", range(307, 311), (1, 1, 0, 0)),
    *(
        (substitute, "advisor", range(311 + 3 * i, 314 + 3 * i), (1, 0, 0))
        for i, substitute in enumerate(ENGLISH_SUBSTITUTES)
    ),
)
MENTORING_STARTED_DAYS_AGO = 30


@transaction.atomic
def _seed_mentoring(*, admin: User, today: dt.date, report: SeedReport) -> None:
    """Individual mentors for a few students, with sessions, through the services.

    Students who already have an active assignment are left alone, so a rerun adds nothing.
    """
    emails = {Student(n).email for _, _, numbers, _ in MENTORING_PLAN for n in numbers}
    emails |= {mentor.email for mentor, *_ in MENTORING_PLAN}
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    assigned = set(
        IndividualAssignment.objects.filter(
            ended_at__isnull=True, student__email__in=emails
        ).values_list("student__email", flat=True)
    )
    started = today - dt.timedelta(days=MENTORING_STARTED_DAYS_AGO)
    for mentor, kind, numbers, session_counts in MENTORING_PLAN:
        for number, sessions in zip(numbers, session_counts, strict=True):
            student = users[Student(number).email]
            if student.email in assigned:
                continue
            assignment = individual_assign(
                student=student,
                instructor=users[mentor.email],
                assigned_by=admin,
                assignment_type=kind,
                notes=f"Demo {kind}: weekly check-in on progress and goals.",
                start_date=started,
            )
            report.assignments_created += 1
            for week in range(sessions):
                mentoring_session_log(
                    assignment=assignment,
                    logged_by=users[mentor.email],
                    session_date=started + dt.timedelta(days=7 * week + 2),
                    duration_minutes=45,
                    notes="Reviewed the week's exercises; agreed next steps.",
                )
                report.sessions_created += 1


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, email, password) for one user of each role, as the command prints them."""
    return [
        ("Admin", ADMIN_EMAIL, ADMIN_PASSWORD),
        (f"Instructor ({SARAH.full_name}, lead)", SARAH.email, DEMO_PASSWORD),
        (f"Instructor ({JOHN.full_name}, assistant)", JOHN.email, DEMO_PASSWORD),
        (f"Student ({Student(1).full_name})", Student(1).email, DEMO_PASSWORD),
    ]
