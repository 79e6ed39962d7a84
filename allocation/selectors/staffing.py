"""Reads of who staffs what: a batch's primary, assistants and backups, a trainer's
teaching roles, course rosters and the staffing matrix, and the candidate list of a batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db.models import Case, Prefetch, QuerySet, Value, When

from accounts.models import User
from allocation.eligibility import Conflict, profile_of, teaching_context, teaching_refusal
from allocation.models import (
    OPEN_BATCH_STATUSES,
    TEACHING_ROLES,
    Batch,
    BatchTrainer,
    Course,
    CourseTrainer,
    RosterStatus,
    StaffRole,
    slots_overlap,
)
from allocation.selectors.workload import Workload, trainer_workloads

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


def batch_staff_history(batch: Batch) -> QuerySet[BatchTrainer]:
    """Every staffing row of a batch, current and ended, newest first."""
    return (
        BatchTrainer.objects.filter(batch=batch)
        .select_related("trainer", "assigned_by", "ended_by")
        .order_by("-assigned_at", "-pk")
    )


def batch_current_staff(batch: Batch) -> QuerySet[BatchTrainer]:
    """The batch's current staffing rows (primary first), with the trainers loaded."""
    return (
        BatchTrainer.objects.filter(batch=batch, ended_at__isnull=True)
        .select_related("trainer")
        .order_by(STAFF_ORDER, "trainer__full_name")
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
    context = teaching_context(batch, trainers, profiles={t.pk: profile_of(t) for t in people})
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


def batch_backups(batch: Batch) -> QuerySet[BatchTrainer]:
    """The batch's current backup trainers."""
    return BatchTrainer.objects.filter(
        batch=batch, role=StaffRole.BACKUP, ended_at__isnull=True
    ).select_related("trainer")


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


def roster_workload(entries: Iterable[CourseTrainer]) -> int:
    """The active members' workload percents summed: the figure roster services keep <= 100."""
    return sum(e.workload_percent for e in entries if e.status == RosterStatus.ACTIVE)
