"""Building the demo data set from the plan, through the services (``allocation.services``,
``enrollments.services``, ``accounts.services``), so the seat counters and every rule hold
exactly as they would for data entered by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Role, User
from accounts.services import user_create, users_create_missing
from allocation.models import (
    Batch,
    BatchTemplate,
    BatchTrainer,
    Course,
    Holiday,
    IndividualAssignment,
    StaffRole,
    SubstituteCover,
)
from allocation.selectors import leave_affected_sessions
from allocation.services import (
    batch_create,
    batch_set_supervising_lead,
    batch_staff_add,
    course_create,
    holiday_create,
    individual_assign,
    mentoring_session_log,
    roster_add,
    roster_update,
    substitute_assign,
)
from core import dates
from core.history import HistoricalRecords
from enrollments.models import EnrollmentSource, EnrollmentStatus, PaymentStatus
from enrollments.seats import Payment
from enrollments.services.enrollment import enrollment_create
from enrollments.signals import demo_seeded
from notifications.services import notifications_without_email
from trainers.models import TrainerLeave, TrainerProfile
from trainers.services import leave_record

from .matching import seed_matching
from .people import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    DEMO_PASSWORD,
    EMILY,
    JOHN,
    MARIA,
    SARAH,
    Student,
)
from .plan import (
    GERMAN_PATTERNS,
    MENTORING_PLAN,
    MENTORING_STARTED_DAYS_AGO,
    PAYMENT_AMOUNT,
    PAYMENT_CURRENCY,
    PAYMENT_METHOD,
    ROSTER_SHARES,
    BatchPlan,
    CoursePlan,
    english_plan,
    german_plan,
    monday_on_or_after,
)


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
    holidays_created: int = 0
    courses: list[CourseReport] = field(default_factory=list)


def _ensure_admin() -> tuple[User, bool]:
    admin = User.objects.filter(email=ADMIN_EMAIL).first()
    if admin is not None:
        return admin, False
    admin = user_create(
        email=ADMIN_EMAIL,
        password=ADMIN_PASSWORD,
        roles=(Role.ADMIN,),
        full_name="Medh Admin",
        is_superuser=True,
    )
    return admin, True


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
        report.users_created += users_create_missing(
            people=trainers, role=Role.INSTRUCTOR, password_hash=password_hash
        )
        users = {u.email: u for u in User.objects.filter(email__in=[e for e, _ in trainers])}
        report.profiles_created += _ensure_profiles(course_plan, users)
        course = Course.objects.filter(code=course_plan.code).first()
        if course is None:
            course = course_create(
                code=course_plan.code, title=course_plan.title, description=course_plan.description
            )
    report.users_created += users_create_missing(
        people=[(s.email, s.full_name) for s in students],
        role=Role.STUDENT,
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
            result.enrollments_created += _enroll_group(course, batch, group)
        result.batches += 1
    result.enrollments = course.enrollments.filter(status=EnrollmentStatus.ACTIVE).count()
    return result


def _enroll_group(course: Course, batch: Batch, group: list[Student]) -> int:
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


@contextmanager
def _acting_as(user: User):
    """Every audit-trail row written inside names ``user`` as who made the change, as when
    they make it on a page (``HistoryRequestMiddleware`` sets the same context). The demo's
    rows say "assigned by Medh Admin", so its history says "Medh Admin" too, not "System"."""
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del context.request
        else:
            context.request = previous


def _seed(today: dt.date, progress: Callable[[CourseReport], None] | None) -> SeedReport:
    report = SeedReport()
    admin, created = _ensure_admin()
    report.users_created += created
    with _acting_as(admin):
        _seed_as_admin(admin, today, progress, report)
        # The apps above enrollments add their part (attendance: a few weeks of marks;
        # feedback: a completed batch with answers, mentoring ratings).
        demo_seeded.send(sender=None, admin=admin, today=today)
    return report


def _seed_as_admin(
    admin: User,
    today: dt.date,
    progress: Callable[[CourseReport], None] | None,
    report: SeedReport,
) -> None:
    """The data set, each part through its services (see ``seed_demo``)."""
    password_hash = make_password(DEMO_PASSWORD)  # once: see users_create_missing

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
    _seed_holidays(admin=admin, today=today, report=report)
    _seed_batch_template(report=report)
    _seed_mentor_bookings(report=report)
    seed_matching(admin=admin)


def _seed_holidays(*, admin: User, today: dt.date, report: SeedReport) -> None:
    """A platform holiday in three weeks (a Wednesday, cancelling that day's sessions of
    every batch) and a closure of English B2 the Friday after; added after the batches, so
    they cancel sessions already generated, as an admin adding them later would."""
    wednesday = monday_on_or_after(today + dt.timedelta(days=1)) + dt.timedelta(weeks=3, days=2)
    english = Course.objects.filter(code="ENG-B2").first()
    planned = (
        ("Founders' Day", wednesday, wednesday, None),
        ("English B2 staff training", wednesday + dt.timedelta(days=2), None, english),
    )
    for name, start, end, course in planned:
        if Holiday.objects.filter(name=name).exists():
            continue
        holiday_create(
            name=name, start_date=start, end_date=end or start, course=course, created_by=admin
        )
        report.holidays_created += 1


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
    next_monday = monday_on_or_after(today + dt.timedelta(days=1))
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


# Mentors who offer 1:1 slots in the demo: their weekly hours (wide enough for all their
# teaching, which declared hours would otherwise restrict), slot length, and the mentees who
# have a session booked.
MENTOR_HOURS = (dt.time(8), dt.time(21))
MENTOR_BOOKINGS = ((SARAH, 60, (1, 2, 3)), (EMILY, 45, (301, 302)))


@transaction.atomic
def _seed_mentor_bookings(*, report: SeedReport) -> None:
    """Weekday hours for two mentors and a few 1:1 bookings of their mentees, through the
    services, from two days ahead. A mentor who already declared hours and a mentee who
    already has a booking are left alone, so a rerun adds nothing."""
    from django.utils import timezone

    from allocation.models import MentorBooking, MentorBookingStatus
    from allocation.selectors.mentor_slots import mentor_slots
    from allocation.services.mentor_bookings import (
        mentor_booking_create,
        mentoring_slot_length_set,
    )
    from trainers.models import AvailabilityWindow
    from trainers.services import Window, availability_set

    emails = [mentor.email for mentor, *_ in MENTOR_BOOKINGS]
    emails += [Student(n).email for *_, numbers in MENTOR_BOOKINGS for n in numbers]
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    start = timezone.now() + dt.timedelta(days=2)
    for mentor_plan, minutes, numbers in MENTOR_BOOKINGS:
        mentor = users.get(mentor_plan.email)
        if mentor is None:
            continue
        if not AvailabilityWindow.objects.filter(trainer=mentor).exists():
            availability_set(
                trainer=mentor, windows=[Window(day, *MENTOR_HOURS) for day in range(6)]
            )
            mentoring_slot_length_set(mentor=mentor, minutes=minutes)
            report.staffing_changes += 1
        for index, number in enumerate(numbers):
            mentee = users.get(Student(number).email)
            booked = MentorBooking.objects.filter(
                mentee=mentee, status=MentorBookingStatus.BOOKED
            ).exists()
            if mentee is None or booked:
                continue
            slots = mentor_slots(mentor, start=start, end=start + dt.timedelta(days=7))
            if len(slots) > 5 * index:
                slot = slots[5 * index]  # spread over the days
                mentor_booking_create(mentee=mentee, start_at=slot.start_at, booked_by=mentee)
                report.staffing_changes += 1


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
