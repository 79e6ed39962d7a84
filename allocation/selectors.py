"""Reads that the pages, the API and the reports share, already joined and annotated.

Nothing here writes. Each selector runs a fixed number of queries however much data there
is; the tests pin those counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from medh.accounts.models import User

from .models import (
    OPEN_BATCH_STATUSES,
    TEACHING_ROLES,
    Batch,
    BatchTrainer,
    IndividualAssignment,
    ScheduleSlot,
    Weekday,
)


def _slot_text(day: int, start: dt.time, end: dt.time) -> str:
    return f"{Weekday(day).label} {start:%H:%M}–{end:%H:%M}"


def current_teaching_roles(trainer: User) -> QuerySet[BatchTrainer]:
    """The trainer's current primary and assistant roles (teaching time, counted for caps)."""
    return BatchTrainer.objects.filter(
        trainer=trainer, role__in=TEACHING_ROLES, ended_at__isnull=True
    )


def teaching_batches(trainer: User) -> QuerySet[Batch]:
    """Batches the trainer currently teaches as primary or assistant, any status."""
    return Batch.objects.filter(pk__in=current_teaching_roles(trainer).values("batch_id"))


def open_teaching_batch_count(trainer: User, *, exclude_batch: Batch | None = None) -> int:
    batches = teaching_batches(trainer).filter(status__in=OPEN_BATCH_STATUSES)
    if exclude_batch is not None and exclude_batch.pk:
        batches = batches.exclude(pk=exclude_batch.pk)
    return batches.count()


@dataclass(frozen=True)
class Conflict:
    """One clash: a slot of another batch the trainer teaches overlaps a proposed slot."""

    batch_id: int
    batch_code: str
    batch_name: str
    day: int
    existing_start: dt.time
    existing_end: dt.time
    proposed_start: dt.time
    proposed_end: dt.time

    @property
    def existing_slot(self) -> str:
        return _slot_text(self.day, self.existing_start, self.existing_end)

    @property
    def proposed_slot(self) -> str:
        return _slot_text(self.day, self.proposed_start, self.proposed_end)

    def describe(self, trainer: User) -> str:
        return (
            f"Schedule conflict: {trainer.full_name or trainer.email} already teaches "
            f"{self.batch_code} ({self.batch_name}) on {self.existing_slot}, which overlaps "
            f"{self.proposed_slot}"
        )


def instructor_conflicts(
    instructor: User,
    slots: Iterable,
    date_range: tuple[dt.date, dt.date],
    exclude_batch: Batch | None = None,
) -> list[Conflict]:
    """Every clash between ``slots`` over ``date_range`` and the instructor's other teaching.

    A clash needs all of: another Active/Upcoming batch the instructor teaches (primary or
    assistant), overlapping date ranges (inclusive days), the same weekday and overlapping
    half-open times. Returns them without raising, in day/time order; one query.
    """
    slots = list(slots)
    start, end = date_range
    if not slots or start is None or end is None:
        return []
    overlap = Q()
    for slot in slots:
        overlap |= Q(day=slot.day, start_time__lt=slot.end_time, end_time__gt=slot.start_time)
    clashing = (
        ScheduleSlot.objects.filter(overlap)
        .filter(
            batch__in=teaching_batches(instructor),
            batch__status__in=OPEN_BATCH_STATUSES,
            batch__start_date__lte=end,
            batch__end_date__gte=start,
        )
        .select_related("batch")
        .order_by("day", "start_time", "batch__batch_code")
    )
    if exclude_batch is not None and exclude_batch.pk:
        clashing = clashing.exclude(batch=exclude_batch)
    conflicts = []
    for existing in clashing:
        for slot in slots:
            if (
                slot.day == existing.day
                and slot.start_time < existing.end_time
                and existing.start_time < slot.end_time
            ):
                conflicts.append(
                    Conflict(
                        batch_id=existing.batch_id,
                        batch_code=existing.batch.batch_code,
                        batch_name=existing.batch.batch_name,
                        day=existing.day,
                        existing_start=existing.start_time,
                        existing_end=existing.end_time,
                        proposed_start=slot.start_time,
                        proposed_end=slot.end_time,
                    )
                )
    return conflicts


def _per_trainer(queryset: QuerySet, trainer_field: str, aggregate) -> Coalesce:
    """A correlated subquery: ``aggregate`` over ``queryset`` rows of the outer trainer."""
    grouped = (
        queryset.filter(**{trainer_field: OuterRef("pk")})
        .order_by()
        .values(trainer_field)
        .annotate(value=aggregate)
        .values("value")
    )
    output = aggregate.output_field if hasattr(aggregate, "output_field") else IntegerField()
    return Coalesce(Subquery(grouped[:1], output_field=output), Value(0), output_field=output)


def trainers_with_workload(trainers: QuerySet[User] | None = None) -> QuerySet[User]:
    """Instructors annotated with their workload, in one query whatever their number.

    Annotations: ``active_batches`` (Active + Upcoming batches taught as primary or
    assistant), ``batch_students`` (enrolled students across those batches),
    ``individual_students`` (active individual assignments), ``weekly_minutes`` (teaching
    minutes per week across those batches), ``capacity_total`` (seats in those batches).
    The trainer profile is joined, for the cap and status.
    """
    trainers = trainers if trainers is not None else User.objects.instructors()
    teaching = BatchTrainer.objects.filter(
        role__in=TEACHING_ROLES, ended_at__isnull=True, batch__status__in=OPEN_BATCH_STATUSES
    )
    minutes = ExpressionWrapper(F("end_time") - F("start_time"), output_field=DurationField())
    return trainers.select_related("trainer_profile").annotate(
        active_batches=_per_trainer(teaching, "trainer", Count("pk")),
        batch_students=_per_trainer(teaching, "trainer", Sum("batch__enrolled_students")),
        capacity_total=_per_trainer(teaching, "trainer", Sum("batch__capacity")),
        individual_students=_per_trainer(
            IndividualAssignment.objects.filter(ended_at__isnull=True),
            "instructor",
            Count("pk"),
        ),
        weekly_teaching=Coalesce(
            Subquery(
                # One filter() call, so all four conditions apply to the same staff row.
                ScheduleSlot.objects.filter(
                    batch__staff__trainer=OuterRef("pk"),
                    batch__staff__role__in=TEACHING_ROLES,
                    batch__staff__ended_at__isnull=True,
                    batch__status__in=OPEN_BATCH_STATUSES,
                )
                .order_by()
                .values("batch__staff__trainer")
                .annotate(total=Sum(minutes))
                .values("total")[:1],
                output_field=DurationField(),
            ),
            Value(dt.timedelta(0)),
            output_field=DurationField(),
        ),
    )


@dataclass(frozen=True)
class Workload:
    trainer: User
    active_batches: int
    max_active_batches: int
    batch_students: int
    individual_students: int
    weekly_hours: float
    fill_rate: float | None  # enrolled / seats across their open batches; None without seats
    status: str

    @property
    def over_cap(self) -> bool:
        return self.active_batches > self.max_active_batches

    @property
    def at_cap(self) -> bool:
        return self.active_batches >= self.max_active_batches


def workload_of(trainer: User) -> Workload:
    """Workload figures of one annotated trainer (from ``trainers_with_workload``)."""
    from trainers.models import DEFAULT_MAX_ACTIVE_BATCHES, TrainerStatus

    profile = getattr(trainer, "trainer_profile", None)
    seats = trainer.capacity_total or 0
    return Workload(
        trainer=trainer,
        active_batches=trainer.active_batches,
        max_active_batches=profile.max_active_batches if profile else DEFAULT_MAX_ACTIVE_BATCHES,
        batch_students=trainer.batch_students or 0,
        individual_students=trainer.individual_students,
        weekly_hours=round(trainer.weekly_teaching.total_seconds() / 3600, 2),
        fill_rate=round(trainer.batch_students / seats, 3) if seats else None,
        status=profile.status if profile else TrainerStatus.ACTIVE,
    )


def trainer_workloads(trainers: QuerySet[User] | None = None) -> list[Workload]:
    """Workload of every given instructor (default: all active instructors); one query."""
    return [workload_of(t) for t in trainers_with_workload(trainers)]


def instructor_batches(trainer: User) -> QuerySet[BatchTrainer]:
    """The trainer's current roles on batches, with batch, course and schedule loaded."""
    return (
        BatchTrainer.objects.filter(trainer=trainer, ended_at__isnull=True)
        .select_related("batch", "batch__course")
        .prefetch_related("batch__schedule")
        .order_by("batch__start_date", "batch__batch_code")
    )


def students_of_instructor(instructor: User) -> QuerySet[IndividualAssignment]:
    """Active individual assignments of an instructor, with the students loaded."""
    return (
        IndividualAssignment.objects.filter(instructor=instructor, ended_at__isnull=True)
        .select_related("student")
        .order_by("student__full_name")
    )


def students_with_instructors(students: QuerySet[User] | None = None) -> QuerySet[User]:
    """Students, each annotated with their current individual assignment (or none).

    Annotations: ``assignment_id``, ``instructor_id``, ``instructor_name``,
    ``instructor_email``, ``assignment_type``, ``assignment_start``, ``assignment_notes``.
    """
    students = students if students is not None else User.objects.students()
    current = IndividualAssignment.objects.filter(student=OuterRef("pk"), ended_at__isnull=True)

    def pick(field):
        return Subquery(current.values(field)[:1])

    return students.annotate(
        assignment_id=pick("pk"),
        instructor_id=pick("instructor_id"),
        instructor_name=pick("instructor__full_name"),
        instructor_email=pick("instructor__email"),
        assignment_type=pick("assignment_type"),
        assignment_start=pick("start_date"),
        assignment_notes=pick("notes"),
    ).order_by("full_name", "email")


def batch_staff_history(batch: Batch) -> QuerySet[BatchTrainer]:
    """Every staffing row of a batch, current and ended, newest first."""
    return (
        BatchTrainer.objects.filter(batch=batch)
        .select_related("trainer", "assigned_by", "ended_by")
        .order_by("-assigned_at", "-pk")
    )


# A mentee with no logged contact for this long is flagged on dashboards and reports.
STALE_CONTACT_DAYS = 14


@dataclass(frozen=True)
class MentoringRow:
    assignment: IndividualAssignment
    sessions: int
    minutes: int
    last_contact: dt.date | None
    days_since_contact: int  # since the last session, or since the assignment started

    @property
    def stale(self) -> bool:
        return self.days_since_contact >= STALE_CONTACT_DAYS


def mentoring_report(
    instructor: User | None = None, *, today: dt.date | None = None
) -> list[MentoringRow]:
    """Active assignments (of one instructor, or all) with their session figures; one query.

    Each row: sessions logged, total minutes, last contact date, and days since contact —
    counted from the assignment's start when no session was logged yet.
    """
    today = today or dt.date.today()
    assignments = IndividualAssignment.objects.filter(ended_at__isnull=True)
    if instructor is not None:
        assignments = assignments.filter(instructor=instructor)
    assignments = (
        assignments.select_related("student", "instructor")
        .annotate(
            session_count=Count("sessions"),
            session_minutes=Coalesce(Sum("sessions__duration_minutes"), Value(0)),
            last_contact=Max("sessions__session_date"),
        )
        .order_by("instructor__full_name", "student__full_name")
    )
    return [
        MentoringRow(
            assignment=a,
            sessions=a.session_count,
            minutes=a.session_minutes,
            last_contact=a.last_contact,
            days_since_contact=(today - (a.last_contact or a.start_date)).days,
        )
        for a in assignments
    ]


# --- pages of the admin console -------------------------------------------------------------


def batch_current_staff(batch: Batch) -> QuerySet[BatchTrainer]:
    """The batch's current staffing rows (primary first), with the trainers loaded."""
    return (
        BatchTrainer.objects.filter(batch=batch, ended_at__isnull=True)
        .select_related("trainer")
        .order_by("role", "trainer__full_name")
    )


def batch_roster(batch: Batch) -> QuerySet:
    """The batch's active enrollments, oldest first, with the students loaded.

    Read through the reverse relation rather than by importing ``enrollments`` (which
    depends on this app); ``"active"`` is ``EnrollmentStatus.ACTIVE``.
    """
    return (
        batch.enrollments.filter(status="active")
        .select_related("student")
        .order_by("enrollment_date", "pk")
    )


def student_assignment_history(student: User) -> QuerySet[IndividualAssignment]:
    """Every individual assignment of a student, the active one first, then newest first."""
    return (
        IndividualAssignment.objects.filter(student=student)
        .select_related("instructor", "assigned_by", "ended_by")
        .order_by(F("ended_at").desc(nulls_first=True), "-assigned_at", "-pk")
    )


@dataclass(frozen=True)
class Candidate:
    """An instructor as a candidate primary for one batch, and why they would be refused."""

    workload: Workload
    conflicts: tuple[Conflict, ...]
    current_role: str | None  # their current role on this batch, if any
    ineligible_reason: str  # empty when batch_assign_instructor would accept them

    @property
    def trainer(self) -> User:
        return self.workload.trainer

    @property
    def eligible(self) -> bool:
        return not self.ineligible_reason


def _clashing_slots_by_trainer(batch: Batch, slots: list) -> dict[int, list[Conflict]]:
    """Conflicts of ``slots`` with every trainer's other teaching, by trainer id; one query.

    The same rule as ``instructor_conflicts``, for all trainers at once: slots of other
    Active/Upcoming batches that a trainer currently teaches (primary or assistant), whose
    dates overlap the batch's, on the same weekday with overlapping half-open times.
    """
    if not slots:
        return {}
    overlap = Q()
    for slot in slots:
        overlap |= Q(day=slot.day, start_time__lt=slot.end_time, end_time__gt=slot.start_time)
    clashing = (
        ScheduleSlot.objects.filter(overlap)
        # One filter() call, so the staff conditions apply to the same staff row, which the
        # trainer_id below reads through the same join.
        .filter(
            batch__staff__role__in=TEACHING_ROLES,
            batch__staff__ended_at__isnull=True,
            batch__status__in=OPEN_BATCH_STATUSES,
            batch__start_date__lte=batch.end_date,
            batch__end_date__gte=batch.start_date,
        )
        .exclude(batch=batch)
        .values(
            "day",
            "start_time",
            "end_time",
            "batch_id",
            "batch__batch_code",
            "batch__batch_name",
            trainer_id=F("batch__staff__trainer"),
        )
        .order_by("day", "start_time", "batch__batch_code")
    )
    conflicts: dict[int, list[Conflict]] = {}
    for row in clashing:
        for slot in slots:
            if (
                slot.day == row["day"]
                and slot.start_time < row["end_time"]
                and row["start_time"] < slot.end_time
            ):
                conflicts.setdefault(row["trainer_id"], []).append(
                    Conflict(
                        batch_id=row["batch_id"],
                        batch_code=row["batch__batch_code"],
                        batch_name=row["batch__batch_name"],
                        day=row["day"],
                        existing_start=row["start_time"],
                        existing_end=row["end_time"],
                        proposed_start=slot.start_time,
                        proposed_end=slot.end_time,
                    )
                )
    return conflicts


def batch_candidates(batch: Batch, trainers: QuerySet[User] | None = None) -> list[Candidate]:
    """Every instructor (default: all active ones) as a candidate primary for ``batch``.

    Each comes with their workload, their schedule conflicts with the batch and the reason
    ``batch_assign_instructor`` would refuse them, checked in the service's order: already
    the batch's instructor; then, for an Active/Upcoming batch, a trainer who is not active,
    one at their cap (not counting this batch) and a schedule conflict. Eligible candidates
    come first, then by name. Four queries whatever the number of trainers and batches:
    slots, current staff, workloads, clashing slots.
    """
    from trainers.models import TrainerStatus

    slots = list(batch.schedule.all())
    roles = dict(
        BatchTrainer.objects.filter(batch=batch, ended_at__isnull=True).values_list(
            "trainer_id", "role"
        )
    )
    workloads = trainer_workloads(trainers)
    conflicts = _clashing_slots_by_trainer(batch, slots) if batch.is_open else {}
    candidates = []
    for workload in workloads:
        trainer = workload.trainer
        name = trainer.full_name or trainer.email
        role = roles.get(trainer.pk)
        clashes = tuple(conflicts.get(trainer.pk, ()))
        # The service counts the trainer's other open batches: this one is left out.
        other_batches = workload.active_batches - (1 if role in TEACHING_ROLES else 0)
        if batch.assigned_instructor_id == trainer.pk:
            reason = f"{name} is already the instructor of {batch.batch_code}"
        elif not batch.is_open:
            reason = ""
        elif workload.status != TrainerStatus.ACTIVE:
            reason = (
                f"{name} is {TrainerStatus(workload.status).label.lower()} and cannot take "
                "new batches"
            )
        elif other_batches >= workload.max_active_batches:
            reason = (
                f"{name} already teaches {other_batches} Active/Upcoming batches, their cap "
                f"of {workload.max_active_batches}"
            )
        elif clashes:
            reason = clashes[0].describe(trainer)
        else:
            reason = ""
        candidates.append(
            Candidate(
                workload=workload, conflicts=clashes, current_role=role, ineligible_reason=reason
            )
        )
    # sorted() is stable: within each group the trainers keep their name order.
    return sorted(candidates, key=lambda c: not c.eligible)


def trainers_with_status(trainers: QuerySet[User], status: str) -> QuerySet[User]:
    """Trainers whose profile has ``status``; one without a profile yet counts as active,
    as in ``workload_of`` (the profile is created with the defaults on first use)."""
    from trainers.models import TrainerStatus

    matches = Q(trainer_profile__status=status)
    if status == TrainerStatus.ACTIVE:
        matches |= Q(trainer_profile__isnull=True)
    return trainers.filter(matches)


def batch_list() -> QuerySet[Batch]:
    """All batches with course and primary instructor loaded, by start date and code."""
    return Batch.objects.select_related("course", "assigned_instructor").order_by(
        "start_date", "batch_code", "pk"
    )


def batches_with_free_seats(batches: QuerySet[Batch], free: bool = True) -> QuerySet[Batch]:
    """Batches with a free seat (``free``) or full ones (not ``free``), as ``Batch.is_full``."""
    has_room = Q(enrolled_students__lt=F("capacity"))
    return batches.filter(has_room) if free else batches.exclude(has_room)
