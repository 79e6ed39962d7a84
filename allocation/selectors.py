"""Reads that the pages, the API and the reports share, already joined and annotated.

Nothing here writes. Each selector runs a fixed number of queries however much data there
is; the tests pin those counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from accounts.models import User
from core import dates
from core.errors import DomainError

from .models import (
    OPEN_BATCH_STATUSES,
    TEACHING_ROLES,
    Batch,
    BatchTrainer,
    Course,
    CourseTrainer,
    IndividualAssignment,
    RosterStatus,
    ScheduleSlot,
    StaffRole,
    SubstituteCover,
    Weekday,
    slots_overlap,
)

MSG_NOT_INSTRUCTOR = "Assigned instructor must have instructor role"

# Rosters read lead first, then assistants, then substitutes (not alphabetically by role).
ROSTER_ORDER = Case(
    When(role="lead", then=Value(0)),
    When(role="assistant", then=Value(1)),
    default=Value(2),
)
# A batch's staff reads primary first, then assistants, then backups.
STAFF_ORDER = Case(
    When(role="primary", then=Value(0)),
    When(role="assistant", then=Value(1)),
    default=Value(2),
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
    kind: str = "teaches"  # or "covers": a substitute duty on dates inside the range

    @property
    def existing_slot(self) -> str:
        return _slot_text(self.day, self.existing_start, self.existing_end)

    @property
    def proposed_slot(self) -> str:
        return _slot_text(self.day, self.proposed_start, self.proposed_end)

    def describe(self, trainer: User) -> str:
        return (
            f"Schedule conflict: {trainer.display_name} already {self.kind} "
            f"{self.batch_code} ({self.batch_name}) on {self.existing_slot}, which overlaps "
            f"{self.proposed_slot}"
        )


def instructor_conflicts(
    instructor: User,
    slots: Iterable,
    date_range: tuple[dt.date, dt.date],
    exclude_batch: Batch | None = None,
) -> list[Conflict]:
    """Every clash between ``slots`` over ``date_range`` and the instructor's other duties.

    A clash needs all of: another Active/Upcoming batch the instructor teaches (primary or
    assistant) or covers as a substitute, overlapping dates (inclusive days), the same
    weekday and overlapping half-open times. Returns them without raising, in day/time order;
    two queries (see ``conflicts_by_trainer``).
    """
    return conflicts_by_trainer([instructor.pk], slots, date_range, exclude_batch).get(
        instructor.pk, []
    )


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
    """The trainer's current roles on batches, with batch, course and schedule loaded, and
    each batch's active students as ``batch.active_enrollments`` (the roster)."""
    # Through the reverse relation: enrollments is an app to the right of this one.
    enrollment = Batch._meta.get_field("enrollments").related_model
    roster = Prefetch(
        "batch__enrollments",
        queryset=enrollment.objects.filter(status="active")
        .select_related("student")
        .order_by("student__full_name", "student__email"),
        to_attr="active_enrollments",
    )
    return (
        BatchTrainer.objects.filter(trainer=trainer, ended_at__isnull=True)
        .select_related("batch", "batch__course")
        .prefetch_related("batch__schedule", roster)
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
    today = today or dates.today()
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
        .order_by(STAFF_ORDER, "trainer__full_name")
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


# The kinds of refusal a candidate list counts: ``DomainError.code`` of ``teaching_refusal``
# (and "current" for the batch's own instructor), in the order the rule checks them, each
# with how the assign-instructor page names it.
REFUSAL_KINDS = {
    "current": "the current instructor",
    "not_instructor": "not an active instructor",
    "trainer_status": "inactive or on leave",
    "on_leave": "on leave today",
    "roster_status": "inactive or on leave on the course roster",
    "at_cap": "at their cap of open batches",
    "unavailable": "outside their declared availability",
    "conflict": "with a schedule conflict",
}


# The columns of a trainer and their profile that ``teaching_refusal`` and the candidate
# list read.
CANDIDATE_FIELDS = (
    "email",
    "full_name",
    "is_instructor",
    "is_active",
    "trainer_profile__status",
    "trainer_profile__max_active_batches",
)


@dataclass(frozen=True)
class Candidate:
    """An instructor as a candidate primary for one batch, and why they would be refused.

    ``workload`` is loaded only for the candidates a page shows (``candidates_with_workload``):
    the rest of the list is ranked and counted without it.
    """

    trainer: User
    conflicts: tuple[Conflict, ...]
    current_role: str | None  # their current role on this batch, if any
    ineligible_reason: str  # empty when batch_assign_instructor would accept them
    refusal_kind: str  # a key of REFUSAL_KINDS; empty when eligible
    on_roster: bool  # an active entry on the roster of the batch's course
    open_batches: int  # Active/Upcoming batches they teach, this one aside
    workload: Workload | None = None

    @property
    def eligible(self) -> bool:
        return not self.ineligible_reason


def _candidate_rank(candidate: Candidate) -> tuple:
    if not candidate.eligible:
        return (1,)
    return (0, candidate.current_role is None, not candidate.on_roster, candidate.open_batches)


def batch_candidates(batch: Batch, trainers: QuerySet[User] | None = None) -> list[Candidate]:
    """Every instructor (default: all active ones) as a candidate primary for ``batch``, the
    best first.

    Each comes with their schedule conflicts with the batch and the reason
    ``batch_assign_instructor`` would refuse them: the batch's current instructor, or
    ``teaching_refusal`` — the same rule the service applies. The eligible come first: those
    already staffing the batch, then those on the course's active roster, then the fewest
    open batches, then by name; the refused follow by name. Eight queries (the trainers with
    their profiles, their roles on the batch, the teaching context) whatever the number of
    trainers and batches. Their workload figures cost a correlated subquery per trainer, so
    they are loaded for the page shown, with ``candidates_with_workload``.
    """
    roles = dict(
        BatchTrainer.objects.filter(batch=batch, ended_at__isnull=True).values_list(
            "trainer_id", "role"
        )
    )
    trainers = trainers if trainers is not None else User.objects.instructors()
    # What the rule and the page read of each trainer, not every column (hundreds of them).
    people = list(
        trainers.select_related("trainer_profile")
        .only(*CANDIDATE_FIELDS)
        .order_by("full_name", "email", "pk")
    )
    context = teaching_context(batch, trainers, profiles={t.pk: _profile_of(t) for t in people})
    candidates = []
    for trainer in people:
        if batch.assigned_instructor_id == trainer.pk:
            name = trainer.display_name
            reason, kind = f"{name} is already the instructor of {batch.batch_code}", "current"
        else:
            refusal = teaching_refusal(context, trainer, newly_teaching=True)
            reason, kind = (refusal.message, refusal.code) if refusal else ("", "")
        entry = context.roster.get(trainer.pk)
        candidates.append(
            Candidate(
                trainer=trainer,
                conflicts=tuple(context.conflicts.get(trainer.pk, ())),
                current_role=roles.get(trainer.pk),
                ineligible_reason=reason,
                refusal_kind=kind,
                on_roster=entry is not None and entry.status == RosterStatus.ACTIVE,
                open_batches=context.open_batches.get(trainer.pk, 0),
            )
        )
    # sorted() is stable: within each rank the trainers keep their name order.
    return sorted(candidates, key=_candidate_rank)


def candidates_with_workload(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The given candidates (a page of ``batch_candidates``) with their workload; one query
    (none for no candidate)."""
    candidates = list(candidates)
    shown = User.objects.filter(pk__in=[c.trainer.pk for c in candidates])
    workloads = {w.trainer.pk: w for w in trainer_workloads(shown)}
    return [replace(c, workload=workloads[c.trainer.pk]) for c in candidates]


def refusal_counts(candidates: Iterable[Candidate]) -> list[tuple[str, int]]:
    """How many candidates would be refused for each kind of reason, in the order the rule
    checks them (``REFUSAL_KINDS``); kinds nobody hits are left out. No query."""
    counts = dict.fromkeys(REFUSAL_KINDS, 0)
    for candidate in candidates:
        if not candidate.eligible:
            kind = candidate.refusal_kind if candidate.refusal_kind in REFUSAL_KINDS else ""
            counts[kind] = counts.get(kind, 0) + 1
    labels = REFUSAL_KINDS | {"": "for another reason"}
    return [(labels[kind], n) for kind, n in counts.items() if n]


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


# --- one eligibility rule for services, candidate lists and substitute ranking ------------


@dataclass
class TeachingContext:
    """What it takes to judge trainers for teaching one batch's slots over a date range.

    Fetched in a fixed number of queries for any number of trainers, so the candidate pages
    can judge everyone at once; the services build one for a single, locked trainer. Both
    then ask ``teaching_refusal`` — the rule is written once.
    """

    batch: Batch
    slots: list
    date_range: tuple[dt.date, dt.date]
    today: dt.date
    profiles: dict[int, object]  # trainer id -> TrainerProfile (None: defaults apply)
    open_batches: dict[int, int]  # trainer id -> Active/Upcoming batches taught, not this one
    conflicts: dict[int, list[Conflict]]
    windows: dict[int, list]  # trainer id -> AvailabilityWindow rows (empty: always free)
    leaves: dict[int, list]  # trainer id -> TrainerLeave rows touching today or the range
    roster: dict[int, object]  # trainer id -> CourseTrainer on the batch's course


def _trainer_match(trainer_ids: Iterable[int] | QuerySet[User]):
    """What a ``trainer_id__in=`` lookup takes: the ids, or the trainers' queryset as a
    subquery. A list of hundreds of ids costs the planner more than the query it plans
    (2 ms a query for 500 trainers, bench/dashboards.py), so a page judging every
    instructor passes the queryset."""
    if isinstance(trainer_ids, QuerySet):
        return trainer_ids.order_by().values("pk")
    return sorted(set(trainer_ids))


def teaching_contexts(
    requests: Sequence[tuple[Batch, list, tuple[dt.date, dt.date]]],
    trainer_ids: Iterable[int] | QuerySet[User],
    *,
    profiles: dict[int, object] | None = None,
    today: dt.date | None = None,
) -> list[TeachingContext]:
    """One context per (batch, slots, date range) request, for the same trainers (their ids,
    or a queryset of them), fetched together: seven queries however many requests and
    trainers there are (six when ``profiles`` are passed in, as the services pass their
    locked ones)."""
    from trainers.models import AvailabilityWindow, TrainerLeave, TrainerProfile

    ids = _trainer_match(trainer_ids)
    today = today or dates.today()
    if profiles is None:
        profiles = {p.user_id: p for p in TrainerProfile.objects.filter(user_id__in=ids)}
    # Each trainer's open batches taught, counted in the database: one row per trainer for
    # the other batches and one per requested batch they teach (a trainer has one role per
    # batch), not a row per batch of every trainer.
    requested = [batch.pk for batch, _, _ in requests if batch.pk is not None]
    teaching = (
        BatchTrainer.objects.filter(
            trainer_id__in=ids,
            role__in=TEACHING_ROLES,
            ended_at__isnull=True,
            batch__status__in=OPEN_BATCH_STATUSES,
        )
        .order_by()
        .values_list(
            "trainer_id",
            Case(When(batch_id__in=requested, then=F("batch_id")), default=None),
        )
        .annotate(n=Count("*"))
    )
    taught: dict[int, int] = {}  # trainer id -> open batches taught
    teaches: set[tuple[int, int]] = set()  # (trainer id, requested batch id)
    for trainer_id, batch_id, n in teaching:
        taught[trainer_id] = taught.get(trainer_id, 0) + n
        if batch_id is not None:
            teaches.add((trainer_id, batch_id))
    windows: dict[int, list] = {}
    for window in AvailabilityWindow.objects.filter(trainer_id__in=ids):
        windows.setdefault(window.trainer_id, []).append(window)
    first = min((r[2][0] for r in requests), default=today)
    last = max((r[2][1] for r in requests), default=today)
    leaves: dict[int, list] = {}
    for leave in TrainerLeave.objects.filter(trainer_id__in=ids).filter(
        Q(start_date__lte=last, end_date__gte=first) | Q(start_date__lte=today, end_date__gte=today)
    ):
        leaves.setdefault(leave.trainer_id, []).append(leave)
    rosters: dict[int, dict[int, object]] = {}
    for entry in CourseTrainer.objects.filter(
        course_id__in={batch.course_id for batch, _, _ in requests}, trainer_id__in=ids
    ):
        rosters.setdefault(entry.course_id, {})[entry.trainer_id] = entry
    duties = trainer_duties(
        ids, [slot for _, slots, _ in requests for slot in slots], (first, last)
    )
    contexts = []
    for batch, slots, date_range in requests:
        open_batches = {
            trainer_id: count
            for trainer_id, n in taught.items()
            if (count := n - ((trainer_id, batch.pk) in teaches))
        }
        conflicts = {}
        for trainer_id, trainer_duty_list in duties.items():
            found = _clashes(trainer_duty_list, slots, date_range, exclude=batch.pk)
            if found:
                conflicts[trainer_id] = found
        contexts.append(
            TeachingContext(
                batch=batch,
                slots=slots,
                date_range=date_range,
                today=today,
                profiles=profiles,
                open_batches=open_batches,
                conflicts=conflicts,
                windows=windows,
                leaves=leaves,
                roster=rosters.get(batch.course_id, {}),
            )
        )
    return contexts


def teaching_context(
    batch: Batch,
    trainer_ids: Iterable[int] | QuerySet[User],
    *,
    slots: Iterable | None = None,
    date_range: tuple[dt.date, dt.date] | None = None,
    profiles: dict[int, object] | None = None,
    today: dt.date | None = None,
) -> TeachingContext:
    """The context of one batch: ``slots`` default to its saved slots, ``date_range`` to its
    dates; ``profiles`` may pass locked profiles in (the services do)."""
    slots = list(batch.schedule.all()) if slots is None else list(slots)
    date_range = date_range or (batch.start_date, batch.end_date)
    return teaching_contexts(
        [(batch, slots, date_range)], trainer_ids, profiles=profiles, today=today
    )[0]


def teaching_refusal(
    context: TeachingContext, trainer: User, *, newly_teaching: bool, covering: bool = False
) -> DomainError | None:
    """Why ``trainer`` may not teach the context's batch and slots, or None if they may.

    The one statement of the rule, checked in this order: the instructor role; nothing else
    for a Completed or Cancelled batch (it never conflicts); then, when the trainer newly
    takes teaching (a new batch, a new primary or assistant, a reopened batch, a cover):
    their status, a leave (today, or during the dates when ``covering``), an inactive or
    on-leave roster entry, their cap of Active + Upcoming batches; and always their declared
    availability and schedule conflicts.
    """
    from trainers.models import DEFAULT_MAX_ACTIVE_BATCHES, TrainerStatus

    name = trainer.display_name
    if not trainer.is_instructor or not trainer.is_active:
        return DomainError(MSG_NOT_INSTRUCTOR, field="assigned_instructor", code="not_instructor")
    if context.batch.status not in OPEN_BATCH_STATUSES:
        return None
    profile = context.profiles.get(trainer.pk)
    if newly_teaching:
        status = profile.status if profile else TrainerStatus.ACTIVE
        if status != TrainerStatus.ACTIVE:
            return DomainError(
                f"{name} is {TrainerStatus(status).label.lower()} and cannot take new batches",
                field="assigned_instructor",
                code="trainer_status",
            )
        start, end = context.date_range if covering else (context.today, context.today)
        for leave in context.leaves.get(trainer.pk, ()):
            if leave.start_date <= end and start <= leave.end_date:
                return DomainError(
                    f"{name} is on leave {leave.start_date:%Y-%m-%d} – {leave.end_date:%Y-%m-%d}",
                    field="assigned_instructor",
                    code="on_leave",
                )
        entry = context.roster.get(trainer.pk)
        if entry is not None and entry.status != "active":
            return DomainError(
                f"{name} is {entry.get_status_display().lower()} on the roster of "
                f"{context.batch.course.code}",
                field="assigned_instructor",
                code="roster_status",
            )
        cap = profile.max_active_batches if profile else DEFAULT_MAX_ACTIVE_BATCHES
        count = context.open_batches.get(trainer.pk, 0)
        if count >= cap:
            return DomainError(
                f"{name} already teaches {count} Active/Upcoming batches, their cap of {cap}",
                field="assigned_instructor",
                code="at_cap",
            )
    windows = context.windows.get(trainer.pk)
    if windows:
        for slot in context.slots:
            if not any(
                w.day == slot.day
                and w.start_time <= slot.start_time
                and slot.end_time <= w.end_time
                for w in windows
            ):
                return DomainError(
                    f"{name} is not available on "
                    f"{_slot_text(slot.day, slot.start_time, slot.end_time)} "
                    "(outside their declared availability)",
                    field="schedule",
                    code="unavailable",
                )
    conflicts = context.conflicts.get(trainer.pk)
    if conflicts:
        return DomainError(conflicts[0].describe(trainer), field="schedule", code="conflict")
    return None


@dataclass(frozen=True)
class Duty:
    """A weekly slot a trainer is busy in over a date range: teaching it (primary or
    assistant) for the batch's dates, or covering it as a substitute for the cover's dates."""

    kind: str  # "teaches" or "covers"
    batch_id: int
    batch_code: str
    batch_name: str
    day: int
    start_time: dt.time
    end_time: dt.time
    start_date: dt.date
    end_date: dt.date


def _slot_spans(slots: Iterable) -> Q | None:
    """Slots that may overlap any of ``slots``: on one of their weekdays, within the span from
    the earliest start to the latest end of that day's slots. A superset of the overlapping
    ones (``_clashes`` applies the rule itself), so that a list of every trainer's duties
    reads only the slots near the ones asked about; None for no slot."""
    spans: dict[int, tuple[dt.time, dt.time]] = {}
    for slot in slots:
        first, last = spans.get(slot.day, (slot.start_time, slot.end_time))
        spans[slot.day] = (min(first, slot.start_time), max(last, slot.end_time))
    matches = None
    for day, (first, last) in sorted(spans.items()):
        span = Q(day=day, start_time__lt=last, end_time__gt=first)
        matches = span if matches is None else matches | span
    return matches


def trainer_duties(
    trainer_ids: Iterable[int] | QuerySet[User],
    slots: Iterable,
    date_range: tuple[dt.date, dt.date],
) -> dict[int, list[Duty]]:
    """Each trainer's (by id, or a queryset of them) duties in Active/Upcoming batches that
    may overlap ``slots`` (on their weekdays, within their times: ``_slot_spans``) and touch
    ``date_range``, by trainer id; two queries (taught slots, covered slots)."""
    ids, near = _trainer_match(trainer_ids), _slot_spans(slots)
    start, end = date_range
    if (isinstance(ids, list) and not ids) or near is None or start is None or end is None:
        return {}
    fields = ("batch_id", "batch__batch_code", "batch__batch_name", "day", "start_time", "end_time")
    # Each filter() is one call, so its conditions apply to the same staff/cover row, the one
    # whose trainer and dates the values() read through the same join.
    # No order: _clashes sorts what it finds.
    taught = (
        ScheduleSlot.objects.order_by()
        .filter(
            near,
            batch__staff__trainer_id__in=ids,
            batch__staff__role__in=TEACHING_ROLES,
            batch__staff__ended_at__isnull=True,
            batch__status__in=OPEN_BATCH_STATUSES,
            batch__start_date__lte=end,
            batch__end_date__gte=start,
        )
        .values(
            *fields,
            trainer_id=F("batch__staff__trainer"),
            from_date=F("batch__start_date"),
            to_date=F("batch__end_date"),
        )
    )
    covered = (
        ScheduleSlot.objects.order_by()
        .filter(
            near,
            batch__covers__substitute_id__in=ids,
            batch__covers__start_date__lte=end,
            batch__covers__end_date__gte=start,
            batch__status__in=OPEN_BATCH_STATUSES,
        )
        .values(
            *fields,
            trainer_id=F("batch__covers__substitute"),
            from_date=F("batch__covers__start_date"),
            to_date=F("batch__covers__end_date"),
        )
    )
    duties: dict[int, list[Duty]] = {}
    for kind, rows in (("teaches", taught), ("covers", covered)):
        for row in rows:
            duties.setdefault(row["trainer_id"], []).append(
                Duty(
                    kind=kind,
                    batch_id=row["batch_id"],
                    batch_code=row["batch__batch_code"],
                    batch_name=row["batch__batch_name"],
                    day=row["day"],
                    start_time=row["start_time"],
                    end_time=row["end_time"],
                    start_date=row["from_date"],
                    end_date=row["to_date"],
                )
            )
    return duties


def _clashes(
    duties: Iterable[Duty], slots: Iterable, date_range: tuple[dt.date, dt.date], *, exclude
) -> list[Conflict]:
    """The schedule-conflict rule itself: a duty of another batch whose dates overlap the
    range (inclusive days), on the same weekday, with overlapping half-open times."""
    start, end = date_range
    found = []
    for duty in duties:
        if duty.batch_id == exclude or duty.end_date < start or end < duty.start_date:
            continue
        for slot in slots:
            if (
                slot.day == duty.day
                and slot.start_time < duty.end_time
                and duty.start_time < slot.end_time
            ):
                found.append(
                    Conflict(
                        batch_id=duty.batch_id,
                        batch_code=duty.batch_code,
                        batch_name=duty.batch_name,
                        day=duty.day,
                        existing_start=duty.start_time,
                        existing_end=duty.end_time,
                        proposed_start=slot.start_time,
                        proposed_end=slot.end_time,
                        kind=duty.kind,
                    )
                )
    found.sort(key=lambda c: (c.day, c.existing_start, c.batch_code, c.proposed_start))
    return found


def conflicts_by_trainer(
    trainer_ids: Iterable[int],
    slots: Iterable,
    date_range: tuple[dt.date, dt.date],
    exclude_batch: Batch | None = None,
) -> dict[int, list[Conflict]]:
    """Clashes of ``slots`` over ``date_range`` with each trainer's other duties (taught or
    covered slots of other Active/Upcoming batches); two queries."""
    slots = list(slots)
    duties = trainer_duties(trainer_ids, slots, date_range)
    exclude = exclude_batch.pk if exclude_batch is not None else None
    conflicts = {}
    for trainer_id, trainer_duty_list in duties.items():
        found = _clashes(trainer_duty_list, slots, date_range, exclude=exclude)
        if found:
            conflicts[trainer_id] = found
    return conflicts


def _profile_of(user: User):
    try:
        return user.trainer_profile
    except ObjectDoesNotExist:
        return None


@dataclass(frozen=True)
class SubstituteCandidate:
    trainer: User
    rank: int  # 0 backups of the batch, 1 the course's substitutes, 2 other course trainers
    why: str  # why they are ranked where they are
    refusal: str  # empty when substitute_assign would accept them
    open_batches: int

    @property
    def eligible(self) -> bool:
        return not self.refusal


def substitute_candidates(
    batch: Batch,
    start_date: dt.date,
    end_date: dt.date,
    *,
    absent_trainer: User | None = None,
) -> list[SubstituteCandidate]:
    """Who could cover ``batch`` from ``start_date`` to ``end_date``, best first.

    The pool is the batch's backups (ranked first), then the course's substitutes, then its
    other roster trainers, each with the reason for its rank; within a rank the less loaded
    come first. Those who would be refused (inactive, on leave during the dates, at their cap,
    unavailable or busy at those times) follow, each with the reason.
    """
    return substitute_candidates_many(
        [(batch, start_date, end_date)], absent_trainer=absent_trainer
    )[0]


def substitute_candidates_many(
    requests: Sequence[tuple[Batch, dt.date, dt.date]], *, absent_trainer: User | None = None
) -> list[list[SubstituteCandidate]]:
    """``substitute_candidates`` for several (batch, first day, last day) at once, in a fixed
    number of queries however many batches and roster trainers there are."""
    requests = list(requests)
    if not requests:
        return []
    rosters: dict[int, dict[int, CourseTrainer]] = {}
    for entry in CourseTrainer.objects.filter(
        course_id__in={batch.course_id for batch, _, _ in requests}
    ).select_related("trainer__trainer_profile"):
        rosters.setdefault(entry.course_id, {})[entry.trainer_id] = entry
    backups: dict[int, dict[int, User]] = {}
    for row in BatchTrainer.objects.filter(
        batch_id__in=[batch.pk for batch, _, _ in requests],
        role=StaffRole.BACKUP,
        ended_at__isnull=True,
    ).select_related("trainer__trainer_profile"):
        backups.setdefault(row.batch_id, {})[row.trainer_id] = row.trainer
    pools = []
    for batch, _, _ in requests:
        roster = rosters.get(batch.course_id, {})
        people = {**{pk: e.trainer for pk, e in roster.items()}, **backups.get(batch.pk, {})}
        if absent_trainer is not None:
            people.pop(absent_trainer.pk, None)
        pools.append(people)
    everyone = {pk: user for people in pools for pk, user in people.items()}
    contexts = teaching_contexts(
        [(batch, list(batch.schedule.all()), (start, end)) for batch, start, end in requests],
        everyone,
        profiles={pk: _profile_of(user) for pk, user in everyone.items()},
    )
    results = []
    for (batch, _, _), people, context in zip(requests, pools, contexts, strict=True):
        roster = rosters.get(batch.course_id, {})
        candidates = []
        for pk, trainer in people.items():
            entry = roster.get(pk)
            if pk in backups.get(batch.pk, {}):
                rank, why = 0, "backup of this batch"
            elif entry is not None and entry.role == "substitute":
                rank, why = 1, "substitute on the course roster"
            else:
                rank, why = 2, f"{entry.get_role_display().lower()} on the course roster"
            refusal = teaching_refusal(context, trainer, newly_teaching=True, covering=True)
            candidates.append(
                SubstituteCandidate(
                    trainer=trainer,
                    rank=rank,
                    why=why,
                    refusal=refusal.message if refusal else "",
                    open_batches=context.open_batches.get(pk, 0),
                )
            )
        results.append(
            sorted(
                candidates,
                key=lambda c: (not c.eligible, c.rank, c.open_batches, c.trainer.full_name),
            )
        )
    return results


@dataclass(frozen=True)
class AffectedSession:
    date: dt.date
    batch: Batch
    slot: ScheduleSlot
    role: str
    cover: object | None  # the SubstituteCover teaching it, if one does

    @property
    def covered(self) -> bool:
        return self.cover is not None


def _teaching_rows_in_leaves(trainer_ids: Iterable[int], first: dt.date, last: dt.date):
    """Current teaching roles of the trainers on Active/Upcoming batches that overlap
    ``first``..``last``, with batch, course and slots loaded; two queries."""
    return list(
        BatchTrainer.objects.filter(
            trainer_id__in=trainer_ids,
            role__in=TEACHING_ROLES,
            ended_at__isnull=True,
            batch__status__in=OPEN_BATCH_STATUSES,
            batch__start_date__lte=last,
            batch__end_date__gte=first,
        )
        .select_related("batch__course")
        .prefetch_related("batch__schedule")
    )


def _sessions_in_leave(leave, roles: Iterable[BatchTrainer], covers: Iterable) -> list:
    """The sessions of ``roles`` (the leave's trainer's) that ``leave`` hits, each with the
    cover of the trainer's absence that teaches it, if any; no queries, in date order."""
    sessions = []
    covers = [c for c in covers if c.absent_trainer_id == leave.trainer_id]
    for role in roles:
        batch = role.batch
        if role.trainer_id != leave.trainer_id:
            continue
        first = max(leave.start_date, batch.start_date)
        last = min(leave.end_date, batch.end_date)
        slots_by_day: dict[int, list] = {}
        for slot in batch.schedule.all():
            slots_by_day.setdefault(slot.day, []).append(slot)
        day = first
        while day <= last:
            for slot in slots_by_day.get(day.weekday(), ()):
                cover = next(
                    (
                        c
                        for c in covers
                        if c.batch_id == batch.pk and c.start_date <= day <= c.end_date
                    ),
                    None,
                )
                sessions.append(AffectedSession(day, batch, slot, role.role, cover))
            day += dt.timedelta(days=1)
    sessions.sort(key=lambda s: (s.date, s.slot.start_time, s.batch.batch_code))
    return sessions


def leave_affected_sessions(leave) -> list[AffectedSession]:
    """Each session (date + slot) of the trainer's Active/Upcoming teaching that the leave
    hits, with the cover that teaches it, if any; in date order. Three queries."""
    roles = _teaching_rows_in_leaves([leave.trainer_id], leave.start_date, leave.end_date)
    covers = SubstituteCover.objects.filter(
        absent_trainer_id=leave.trainer_id,
        batch_id__in=[r.batch_id for r in roles],
        start_date__lte=leave.end_date,
        end_date__gte=leave.start_date,
    ).select_related("substitute")
    return _sessions_in_leave(leave, roles, covers)


def leaves_with_uncovered_sessions(
    trainer_ids: Iterable[int], *, today: dt.date | None = None
) -> dict[int, object]:
    """Of the given trainers, those with a current or upcoming leave (ending today or later)
    that hits a session no substitute covers: trainer id -> the first such leave.

    The same sessions as ``leave_affected_sessions``, for every trainer at once: one query
    when none of them has such a leave, four otherwise (leaves, teaching roles, their slots,
    covers), however many trainers and leaves.
    """
    from trainers.models import TrainerLeave

    today = today or dates.today()
    leaves = list(
        TrainerLeave.objects.filter(trainer_id__in=list(trainer_ids), end_date__gte=today).order_by(
            "start_date", "pk"
        )
    )
    if not leaves:
        return {}
    ids = {leave.trainer_id for leave in leaves}
    first = min(leave.start_date for leave in leaves)
    last = max(leave.end_date for leave in leaves)
    roles = _teaching_rows_in_leaves(ids, first, last)
    covers = list(
        SubstituteCover.objects.filter(
            absent_trainer_id__in=ids,
            batch_id__in={r.batch_id for r in roles},
            start_date__lte=last,
            end_date__gte=first,
        )
    )
    found: dict[int, object] = {}
    for leave in leaves:
        if leave.trainer_id in found:
            continue
        if any(not s.covered for s in _sessions_in_leave(leave, roles, covers)):
            found[leave.trainer_id] = leave
    return found


def stale_mentee_counts(
    trainer_ids: Iterable[int], *, today: dt.date | None = None
) -> dict[int, int]:
    """Trainer id -> how many of their active mentees had no contact for
    ``STALE_CONTACT_DAYS`` or more (``MentoringRow.stale``); one grouped query.

    Stale: no session after the cutoff, and the assignment started on or before it (a
    session is never logged before its assignment starts).
    """
    from .models import MentoringSession

    cutoff = (today or dates.today()) - dt.timedelta(days=STALE_CONTACT_DAYS)
    recent = MentoringSession.objects.filter(assignment=OuterRef("pk"), session_date__gt=cutoff)
    return dict(
        IndividualAssignment.objects.filter(
            instructor_id__in=list(trainer_ids), ended_at__isnull=True, start_date__lte=cutoff
        )
        .exclude(Exists(recent))
        .order_by()
        .values("instructor_id")
        .annotate(n=Count("pk"))
        .values_list("instructor_id", "n")
    )


@dataclass(frozen=True)
class DashboardRow:
    """A workload dashboard row: the figures and what needs the admin's attention."""

    workload: Workload
    uncovered_leave: object | None  # a current/upcoming TrainerLeave with uncovered sessions
    stale_mentees: int  # active mentees without contact for STALE_CONTACT_DAYS or more

    @property
    def trainer(self) -> User:
        return self.workload.trainer

    @property
    def flagged(self) -> bool:
        return self.workload.over_cap or bool(self.uncovered_leave) or self.stale_mentees > 0


def dashboard_rows(trainers: Iterable[User], *, today: dt.date | None = None) -> list[DashboardRow]:
    """Rows of annotated trainers (``trainers_with_workload``) with their flags: at most five
    queries on top of the trainers themselves, whatever their number."""
    trainers = list(trainers)
    ids = [t.pk for t in trainers]
    if not ids:
        return []
    leaves = leaves_with_uncovered_sessions(ids, today=today)
    stale = stale_mentee_counts(ids, today=today)
    return [
        DashboardRow(
            workload=workload_of(t),
            uncovered_leave=leaves.get(t.pk),
            stale_mentees=stale.get(t.pk, 0),
        )
        for t in trainers
    ]


def open_batches_by_fill(*, limit: int = 20, course: Course | None = None) -> list[Batch]:
    """The ``limit`` fullest Active/Upcoming batches (of one course, or all), fullest first,
    each annotated with ``fill`` (enrolled / capacity, 0–1); one query."""
    batches = Batch.objects.open()
    if course is not None:
        batches = batches.filter(course=course)
    fill = ExpressionWrapper(
        Cast("enrolled_students", FloatField()) / F("capacity"), output_field=FloatField()
    )
    return list(
        batches.select_related("course")
        .annotate(fill=fill)
        .order_by("-fill", "start_date", "batch_code")[:limit]
    )


@dataclass(frozen=True)
class MentorCoverage:
    students: int
    mentored: int  # with an active individual assignment

    @property
    def unassigned(self) -> int:
        return self.students - self.mentored


def mentor_coverage() -> MentorCoverage:
    """Students (as the mentor list counts them), and how many have an active individual
    assignment; two counts. The current assignments are counted where they are rather than
    probed for every student (at 100,000 students the probes took 50 ms), and those of users
    who are not students are left out as a small hashed set rather than by joining every
    assignment to its user (9 ms to 2, bench/dashboards.py)."""
    # At most one current assignment per student (a partial unique index).
    mentored = (
        IndividualAssignment.objects.filter(ended_at__isnull=True)
        .exclude(student__in=User.objects.non_students())
        .count()
    )
    return MentorCoverage(students=User.objects.students().count(), mentored=mentored)


def trainers_on_roster(
    trainers: QuerySet[User], *, course: Course | None = None, role: str | None = None
) -> QuerySet[User]:
    """Trainers with a roster entry (active or on leave) on ``course`` and/or in ``role``;
    both given, the same entry must match both ("lead of German A1")."""
    entries = CourseTrainer.objects.exclude(status=RosterStatus.INACTIVE)
    if course is not None:
        entries = entries.filter(course=course)
    if role:
        entries = entries.filter(role=role)
    return trainers.filter(pk__in=entries.values("trainer_id"))


def course_trainers(course) -> list[tuple[CourseTrainer, list[BatchTrainer]]]:
    """The course's roster, each entry with its current roles on the course's batches
    (derived from batch staffing, not stored twice); two queries."""
    entries = list(
        course.roster.select_related("trainer").order_by(ROSTER_ORDER, "trainer__full_name")
    )
    roles: dict[int, list[BatchTrainer]] = {}
    for row in (
        BatchTrainer.objects.filter(batch__course=course, ended_at__isnull=True)
        .select_related("batch")
        .order_by("batch__batch_code")
    ):
        roles.setdefault(row.trainer_id, []).append(row)
    return [(entry, roles.get(entry.trainer_id, [])) for entry in entries]


def trainer_roles_everywhere(trainer: User) -> QuerySet[BatchTrainer]:
    """Batches of a trainer in any current role (primary, assistant, backup)."""
    return instructor_batches(trainer)


def batch_backups(batch: Batch) -> QuerySet[BatchTrainer]:
    """The batch's current backup trainers."""
    return BatchTrainer.objects.filter(
        batch=batch, role=StaffRole.BACKUP, ended_at__isnull=True
    ).select_related("trainer")


def trainer_covers(trainer: User, *, since: dt.date | None = None) -> QuerySet[SubstituteCover]:
    """Cover duties of a trainer ending on or after ``since`` (default today), soonest first."""
    since = since or dates.today()
    return (
        SubstituteCover.objects.filter(substitute=trainer, end_date__gte=since)
        .select_related("batch__course", "absent_trainer")
        .prefetch_related("batch__schedule")
        .order_by("start_date")
    )


def can_use_batch_notes(user: User, batch: Batch) -> bool:
    """The batch's notes thread is for admins, its current trainers in any role, its
    supervising lead and the course's leads, and any substitute who covers it."""
    if not user.is_authenticated:
        return False
    if user.is_staff or batch.supervising_lead_id == user.pk:
        return True
    return (
        BatchTrainer.objects.filter(batch=batch, trainer=user, ended_at__isnull=True).exists()
        or CourseTrainer.objects.filter(
            course_id=batch.course_id, trainer=user, role="lead", status="active"
        ).exists()
        or SubstituteCover.objects.filter(batch=batch, substitute=user).exists()
    )


def batch_notes(batch: Batch):
    return batch.notes.select_related("author").order_by("created_at")


@dataclass(frozen=True)
class MappingCell:
    role: str | None  # primary / assistant / backup, or None
    conflict: bool  # this teaching role clashes with another of the trainer's course batches


@dataclass(frozen=True)
class StaffingMatrix:
    batches: list[Batch]
    trainers: list[CourseTrainer]
    cells: dict[tuple[int, int], MappingCell]  # (batch id, trainer id)
    workloads: dict[int, Workload]

    def cell(self, batch: Batch, entry: CourseTrainer) -> MappingCell:
        return self.cells.get((batch.pk, entry.trainer_id), MappingCell(None, False))


def course_staffing_matrix(course) -> StaffingMatrix:
    """Batches of a course as rows, its roster as columns, current roles in the cells.

    Flags a teaching role that clashes with another of the same trainer's batches of this
    course, and (through the workloads) trainers at or over their cap. Five queries.
    """
    batches = list(
        course.batches.select_related("assigned_instructor")
        .prefetch_related("schedule")
        .order_by("start_date", "batch_code")
    )
    entries = list(
        course.roster.select_related("trainer").order_by(ROSTER_ORDER, "trainer__full_name")
    )
    rows = BatchTrainer.objects.filter(batch__course=course, ended_at__isnull=True)
    by_batch = {b.pk: b for b in batches}
    teaching: dict[int, list[Batch]] = {}
    roles: dict[tuple[int, int], str] = {}
    for row in rows.values("batch_id", "trainer_id", "role"):
        roles[(row["batch_id"], row["trainer_id"])] = row["role"]
        batch = by_batch.get(row["batch_id"])
        if row["role"] in TEACHING_ROLES and batch is not None and batch.is_open:
            teaching.setdefault(row["trainer_id"], []).append(batch)
    clashing: set[tuple[int, int]] = set()
    for trainer_id, taught in teaching.items():
        for i, a in enumerate(taught):
            for b in taught[i + 1 :]:
                if (
                    a.start_date <= b.end_date
                    and b.start_date <= a.end_date
                    and any(slots_overlap(x, y) for x in a.schedule.all() for y in b.schedule.all())
                ):
                    clashing |= {(a.pk, trainer_id), (b.pk, trainer_id)}
    cells = {key: MappingCell(role, key in clashing) for key, role in roles.items()}
    workloads = {
        w.trainer.pk: w
        for w in trainer_workloads(User.objects.filter(pk__in=[e.trainer_id for e in entries]))
    }
    return StaffingMatrix(batches=batches, trainers=entries, cells=cells, workloads=workloads)


# --- pages of the multi-trainer console -----------------------------------------------------


def courses_with_figures() -> QuerySet[Course]:
    """Every course with its figures, in one query.

    Annotations: ``batch_count``, ``open_batch_count`` (Active + Upcoming),
    ``enrolled_total`` and ``capacity_total`` (seats taken and offered across its batches),
    ``roster_size`` and ``roster_workload`` (the active roster members' workload percents).
    """
    batches = Batch.objects.all()
    roster = CourseTrainer.objects.all()
    return Course.objects.annotate(
        batch_count=_per_trainer(batches, "course", Count("pk")),
        open_batch_count=_per_trainer(batches.open(), "course", Count("pk")),
        enrolled_total=_per_trainer(batches, "course", Sum("enrolled_students")),
        capacity_total=_per_trainer(batches, "course", Sum("capacity")),
        roster_size=_per_trainer(roster, "course", Count("pk")),
        roster_workload=_per_trainer(
            roster.filter(status=RosterStatus.ACTIVE), "course", Sum("workload_percent")
        ),
    ).order_by("title", "code")


def course_choices() -> QuerySet[Course]:
    """Every course for a filter's drop-down, by title: only the columns its label and the
    filter read, not every one (500 courses: 5 ms to 2, bench/dashboards.py at 100×)."""
    return Course.objects.only("id", "code", "title").order_by("title", "code")


def instructor_choices() -> QuerySet[User]:
    """Every user with the instructor role for a filter's drop-down, by name: only the
    columns its label reads."""
    return (
        User.objects.filter(is_instructor=True)
        .only("id", "full_name", "email")
        .order_by("full_name", "email")
    )


def course_batches(course) -> QuerySet[Batch]:
    """The course's batches with their primary and supervising lead, by start date."""
    return course.batches.select_related("assigned_instructor", "supervising_lead").order_by(
        "start_date", "batch_code"
    )


def roster_workload(entries: Iterable[CourseTrainer]) -> int:
    """The active members' workload percents summed: the figure roster services keep <= 100."""
    return sum(e.workload_percent for e in entries if e.status == RosterStatus.ACTIVE)


def leave_list() -> QuerySet:
    """Every recorded leave with its trainer and recorder, latest start first."""
    from trainers.models import TrainerLeave

    return TrainerLeave.objects.select_related("trainer", "created_by").order_by(
        "-start_date", "trainer__full_name", "pk"
    )


@dataclass(frozen=True)
class LeaveBatch:
    """One batch a leave hits: its sessions in the leave, and who could cover them.

    ``start_date``/``end_date`` are the cover to propose: the leave's dates clamped to the
    batch, narrowed to the uncovered sessions when some are already covered (a cover that
    overlapped an existing one would be refused). ``candidates`` is empty once every session
    is covered.
    """

    batch: Batch
    role: str
    sessions: list[AffectedSession]
    start_date: dt.date
    end_date: dt.date
    candidates: list[SubstituteCandidate]

    @property
    def uncovered_count(self) -> int:
        return sum(not s.covered for s in self.sessions)

    @property
    def fully_covered(self) -> bool:
        return self.uncovered_count == 0


def leave_cover_plan(leave, sessions: list[AffectedSession] | None = None) -> list[LeaveBatch]:
    """The batches ``leave`` hits, in order of their first affected session, each with the
    ranked substitute candidates (``substitute_candidates``) while sessions are uncovered.

    Reads ``leave_affected_sessions`` unless ``sessions`` are given, then ranks the candidates
    of every batch still to cover together, in a fixed number of queries.
    """
    if sessions is None:
        sessions = leave_affected_sessions(leave)
    by_batch: dict[int, list[AffectedSession]] = {}
    for session in sessions:
        by_batch.setdefault(session.batch.pk, []).append(session)
    ranges = []
    for batch_sessions in by_batch.values():
        batch = batch_sessions[0].batch
        start = max(leave.start_date, batch.start_date)
        end = min(leave.end_date, batch.end_date)
        uncovered = [s for s in batch_sessions if not s.covered]
        if uncovered and len(uncovered) < len(batch_sessions):
            start, end = uncovered[0].date, uncovered[-1].date
        ranges.append((batch, start, end, bool(uncovered)))
    to_cover = [(batch, start, end) for batch, start, end, uncovered in ranges if uncovered]
    ranked = iter(substitute_candidates_many(to_cover, absent_trainer=leave.trainer))
    plan = []
    for (batch, start, end, uncovered), batch_sessions in zip(
        ranges, by_batch.values(), strict=True
    ):
        plan.append(
            LeaveBatch(
                batch=batch,
                role=batch_sessions[0].role,
                sessions=batch_sessions,
                start_date=start,
                end_date=end,
                candidates=next(ranked) if uncovered else [],
            )
        )
    return plan


def trainer_covered_absences(
    trainer: User, *, since: dt.date | None = None
) -> QuerySet[SubstituteCover]:
    """Covers of the trainer's own absences ending on or after ``since`` (default today),
    with the batch and the substitute loaded, soonest first."""
    since = since or dates.today()
    return (
        SubstituteCover.objects.filter(absent_trainer=trainer, end_date__gte=since)
        .select_related("batch", "substitute")
        .order_by("start_date", "pk")
    )


def trainer_availability(trainer: User) -> QuerySet:
    """The trainer's declared weekly availability windows (none: available at any time)."""
    from trainers.models import AvailabilityWindow

    return AvailabilityWindow.objects.filter(trainer=trainer).order_by("day", "start_time")


# --- the weekly timetable ----------------------------------------------------------------------

# The grid shows at least these hours; a slot outside them widens it.
TIMETABLE_FIRST_HOUR = 7
TIMETABLE_END_HOUR = 22  # the last row is 21:00–22:00


@dataclass(frozen=True)
class TimetableEntry:
    batch_code: str
    course_title: str
    start_time: dt.time
    end_time: dt.time


@dataclass
class TimetableRow:
    hour: int
    cells: list[list[TimetableEntry]] = field(default_factory=lambda: [[] for _ in Weekday])

    @property
    def label(self) -> str:
        return f"{self.hour:02d}:00"


@dataclass
class Timetable:
    """A week as rows of hours by columns Monday–Sunday; a slot sits in every hour it
    touches (10:30–12:00 fills the 10:00 and 11:00 rows)."""

    rows: list[TimetableRow]
    days: tuple[str, ...] = tuple(Weekday.labels)

    @property
    def is_empty(self) -> bool:
        return not any(cell for row in self.rows for cell in row.cells)


def _hours_of(start: dt.time, end: dt.time) -> range:
    """The hour rows a half-open slot [start, end) touches."""
    last = end.hour if (end.minute, end.second, end.microsecond) == (0, 0, 0) else end.hour + 1
    return range(start.hour, max(last, start.hour + 1))


def weekly_timetable(batches: Iterable[Batch]) -> Timetable:
    """The weekly grid of the batches' slots (read from ``batch.schedule.all()``; no query
    when prefetched)."""
    placed = [
        (
            slot.day,
            hour,
            TimetableEntry(batch.batch_code, batch.course.title, slot.start_time, slot.end_time),
        )
        for batch in batches
        for slot in batch.schedule.all()
        for hour in _hours_of(slot.start_time, slot.end_time)
    ]
    hours = [hour for _, hour, _ in placed]
    first = min([TIMETABLE_FIRST_HOUR, *hours])
    end = max([TIMETABLE_END_HOUR, *(h + 1 for h in hours)])
    rows = {hour: TimetableRow(hour) for hour in range(first, end)}
    for day, hour, entry in sorted(placed, key=lambda p: (p[2].start_time, p[2].batch_code)):
        rows[hour].cells[day].append(entry)
    return Timetable(rows=list(rows.values()))
