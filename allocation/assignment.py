"""Optimal trainer assignment and workload balancing: the database side of ``solver.py``.

The solver is pure (no queries); this module builds its ``Problem`` from the database, turns
its ``Solution`` into proposals a page can show, and applies a proposal through the ordinary
services, which check every rule again under their locks.

Definitions (the pages and the README use the same words):

- **Weekly minutes of a batch**: the sum of its weekly slots' lengths.
- **A course's teaching minutes**: over its open (Active/Upcoming) batches, each batch's
  weekly minutes times its teaching positions: one primary plus its assistants (the more of
  the assistants it has and those its ``BatchTemplate.assistants`` asks for).
- **Target minutes of a trainer**: the sum, over their *active* roster entries, of
  ``workload_percent`` % of that course's teaching minutes (rounded to the minute).
- **Load of a trainer**: their weekly teaching minutes as primary or assistant of open
  batches of any course (``selectors.trainers_with_workload``); their **deviation** is load
  minus target.
- **Unstaffed positions** of a course: (a) the primary of an open batch whose current primary
  may no longer teach it — ``teaching_refusal`` refuses them with ``newly_teaching=False``
  (lost the instructor role, outside their availability, a clash), or their trainer profile
  or roster entry is inactive, or they are not on the course's roster any more; (b) each
  assistant the batch lacks against its course's ``BatchTemplate.assistants``.
- **Eligible trainers** of a position: members of the course's roster with a teaching role
  (lead or assistant; substitutes only cover), who do not teach that batch already and whom
  ``eligibility.teaching_refusal`` accepts as newly teaching it (status, leave today, roster
  status, cap, availability, clashes with their existing duties). It is the one rule the
  services apply; here it is asked for every roster trainer and every batch at once, in a
  fixed number of queries (``teaching_contexts``).
- **Clashes** between positions: two positions of different batches whose date ranges overlap
  and that share a weekday with overlapping half-open slots (``models.slots_overlap``); one
  trainer can hold at most one of the two.
- Each trainer's **free batches**: their cap of Active/Upcoming batches minus those they teach
  now (plus, when balancing, the positions of the problem they hold, which may move).

Assignment fills the unstaffed positions; balancing moves primaries of open batches (the
positions whose current primary may keep them) between trainers with the fewest moves that
bring everyone within a tolerance of their target. Both apply in one transaction that locks
the trainer profiles of everyone who gains teaching (pk order), then the batches (pk order),
re-reads what the proposal assumed, and calls ``batch_assign_instructor`` /
``batch_staff_add``: any refusal rolls the whole apply back and names the row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext

from accounts.models import User
from core.errors import DomainError
from trainers.models import DEFAULT_MAX_ACTIVE_BATCHES, TrainerStatus
from trainers.services import trainers_lock

from . import services, solver
from .eligibility import profile_of, teaching_contexts, teaching_refusal
from .models import (
    OPEN_BATCH_STATUSES,
    TEACHING_ROLES,
    Batch,
    BatchStatus,
    BatchTrainer,
    Course,
    CourseTrainer,
    RosterRole,
    RosterStatus,
    ScheduleSlot,
    StaffRole,
    slots_overlap,
)
from .selectors import trainers_with_workload

# Roster roles that may hold teaching positions; substitutes only cover.
TEACHING_ROSTER_ROLES = (RosterRole.LEAD, RosterRole.ASSISTANT)
PRIMARY, ASSISTANT = StaffRole.PRIMARY.value, StaffRole.ASSISTANT.value

DEFAULT_TIME_LIMIT = 10.0
MAX_TIME_LIMIT = 60.0


def _name(user: User) -> str:
    return user.display_name


def _minutes(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def slots_minutes(slots: Iterable) -> int:
    """Weekly minutes of a set of slots (anything with ``start_time`` and ``end_time``)."""
    return sum(_minutes(s.start_time, s.end_time) for s in slots)


# --- what the pages show ---------------------------------------------------------------------


@dataclass(frozen=True)
class PositionInfo:
    """One position of the problem, as the pages describe it."""

    id: int
    batch: Batch
    role: str
    minutes: int
    holder: User | None  # who holds it now: the refused primary, or (balancing) the primary
    why_open: str  # why it needs a trainer (empty when balancing)
    refusals: tuple[tuple[User, str], ...]  # roster trainers who may not take it, and why


@dataclass
class ProblemInfo:
    """A problem and what the pages need to describe it (users and batches by id)."""

    problem: solver.Problem
    mode: str
    trainers: dict[int, User]
    targets: dict[int, int]
    loads: dict[int, int]  # weekly teaching minutes now
    open_batches: dict[int, int]  # Active/Upcoming batches taught now
    caps: dict[int, int]
    positions: dict[int, PositionInfo]


@dataclass(frozen=True)
class TrainerLoad:
    trainer: User
    target: int
    before: int
    after: int
    batches_before: int
    batches_after: int
    cap: int

    @property
    def deviation_before(self) -> int:
        return self.before - self.target

    @property
    def deviation_after(self) -> int:
        return self.after - self.target

    @property
    def changed(self) -> bool:
        return self.before != self.after

    # Hours and bar widths for the page (no arithmetic in templates).
    @property
    def target_hours(self) -> float:
        return round(self.target / 60, 2)

    @property
    def before_hours(self) -> float:
        return round(self.before / 60, 2)

    @property
    def after_hours(self) -> float:
        return round(self.after / 60, 2)

    @property
    def deviation_after_hours(self) -> float:
        return round(self.deviation_after / 60, 2)

    def bar(self, minutes: int, scale: int) -> int:
        return 0 if not scale else min(100, round(100 * minutes / scale))


@dataclass(frozen=True)
class LoadBars:
    """A trainer's load before/after and target as percentages of the page's largest figure,
    and whether the load after is outside the tolerance (balancing)."""

    load: TrainerLoad
    before: int
    after: int
    target: int
    outside: bool


def load_bars(loads: Sequence[TrainerLoad], tolerance: int | None = None) -> list[LoadBars]:
    scale = max((max(x.before, x.after, x.target) for x in loads), default=0)
    return [
        LoadBars(
            x,
            x.bar(x.before, scale),
            x.bar(x.after, scale),
            x.bar(x.target, scale),
            tolerance is not None and abs(x.deviation_after) > tolerance,
        )
        for x in loads
    ]


@dataclass(frozen=True)
class AssignmentRow:
    """One row of a proposal as it is posted back: who takes which position, and who held it
    (the primary at preview time; None for an assistant) so the apply can tell that the
    batch's staffing changed meanwhile."""

    batch_id: int
    role: str
    trainer_id: int
    previous_id: int | None = None

    @property
    def token(self) -> str:
        return f"{self.batch_id}:{self.role}:{self.trainer_id}:{self.previous_id or 0}"

    @classmethod
    def parse(cls, token: str) -> AssignmentRow:
        """The row of a ``token``; a ValueError for anything else."""
        parts = token.strip().split(":")
        if len(parts) != 4 or parts[1] not in (PRIMARY, ASSISTANT):
            raise ValueError(f"Not a proposal row: {token[:40]!r}")
        batch_id, trainer_id, previous_id = int(parts[0]), int(parts[2]), int(parts[3])
        if batch_id < 1 or trainer_id < 1 or previous_id < 0:
            raise ValueError(f"Not a proposal row: {token[:40]!r}")
        return cls(batch_id, parts[1], trainer_id, previous_id or None)


@dataclass(frozen=True)
class ProposalRow:
    batch: Batch
    role: str
    trainer: User
    minutes: int
    previous: User | None  # the primary it replaces (assignment), or the one it moves from

    @property
    def row(self) -> AssignmentRow:
        return AssignmentRow(
            self.batch.pk, self.role, self.trainer.pk, self.previous.pk if self.previous else None
        )

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


@dataclass(frozen=True)
class Unassignable:
    batch: Batch
    role: str
    minutes: int
    reason: str
    refusals: tuple[tuple[User, str], ...]

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


@dataclass
class Proposal:
    """What the solver proposes, ready for a page: rows to apply, loads, what is left."""

    mode: str
    rows: list[ProposalRow]
    loads: list[TrainerLoad]
    unassignable: list[Unassignable]
    positions: int
    status: str
    proven_optimal: bool
    wall_seconds: float
    time_limit: float
    max_deviation: int  # after, in minutes, over the trainers of the problem
    max_deviation_before: int
    tolerance: int | None = None
    bound: int | None = None  # the solver's objective bound on max_deviation (solver.Solution)
    note: str = ""  # why balancing proposes nothing, when the solver found no staffing
    errors: list[str] = field(default_factory=list)  # solver.validate's complaints (none)

    @property
    def bars(self) -> list[LoadBars]:
        return load_bars(self.loads, self.tolerance)

    @property
    def tokens(self) -> list[str]:
        return [r.row.token for r in self.rows]

    @property
    def max_deviation_hours(self) -> float:
        return round(self.max_deviation / 60, 2)

    @property
    def max_deviation_before_hours(self) -> float:
        return round(self.max_deviation_before / 60, 2)


# --- building the problem --------------------------------------------------------------------


def _open_batches(course: Course | None) -> list[Batch]:
    batches = Batch.objects.filter(status__in=OPEN_BATCH_STATUSES)
    if course is not None:
        batches = batches.filter(course=course)
    return list(
        batches.select_related("course", "course__batch_template", "assigned_instructor")
        .prefetch_related("schedule")
        .order_by("start_date", "batch_code", "pk")
    )


def _template_assistants(course: Course) -> int:
    template = getattr(course, "batch_template", None)
    return template.assistants if template is not None else 0


def course_teaching_minutes(course_ids: Iterable[int]) -> dict[int, int]:
    """Course id -> its teaching minutes (see the module docstring); two queries."""
    course_ids = set(course_ids)
    if not course_ids:
        return {}
    open_batches = {"batch__course_id__in": course_ids, "batch__status__in": OPEN_BATCH_STATUSES}
    assistants = dict(
        BatchTrainer.objects.filter(role=StaffRole.ASSISTANT, ended_at__isnull=True, **open_batches)
        .order_by()
        .values("batch_id")
        .annotate(n=Count("pk"))
        .values_list("batch_id", "n")
    )
    batches: dict[int, list] = {}  # batch id -> [course id, minutes, template assistants]
    for batch_id, course_id, start, end, wanted in ScheduleSlot.objects.filter(
        **open_batches
    ).values_list(
        "batch_id",
        "batch__course_id",
        "start_time",
        "end_time",
        "batch__course__batch_template__assistants",
    ):
        entry = batches.setdefault(batch_id, [course_id, 0, wanted or 0])
        entry[1] += _minutes(start, end)
    totals = dict.fromkeys(course_ids, 0)
    for batch_id, (course_id, minutes, wanted) in batches.items():
        totals[course_id] += minutes * (1 + max(assistants.get(batch_id, 0), wanted))
    return totals


def _targets(trainer_ids: Iterable[int], extra: dict[int, int] | None = None) -> dict[int, int]:
    """Trainer id -> target minutes over their active roster entries; three queries.

    ``extra`` adds minutes to a course's teaching minutes (a batch about to be created)."""
    ids = set(trainer_ids)
    entries = list(
        CourseTrainer.objects.filter(
            trainer_id__in=ids, status=RosterStatus.ACTIVE, workload_percent__gt=0
        ).values_list("trainer_id", "course_id", "workload_percent")
    )
    totals = course_teaching_minutes({course_id for _, course_id, _ in entries})
    for course_id, minutes in (extra or {}).items():
        totals[course_id] = totals.get(course_id, 0) + minutes
    targets = dict.fromkeys(ids, 0)
    for trainer_id, course_id, percent in entries:
        targets[trainer_id] += round(totals.get(course_id, 0) * percent / 100)
    return targets


def _holder_refusal(context, trainer: User, profile) -> str:
    """Why the batch's current primary may no longer teach it (empty: they may)."""
    refusal = teaching_refusal(context, trainer, newly_teaching=False)
    if refusal is not None:
        return refusal.message
    code = context.batch.course.code
    if profile is not None and profile.status == TrainerStatus.INACTIVE:
        return f"{_name(trainer)} is inactive"
    entry = context.roster.get(trainer.pk)
    if entry is None:
        return f"{_name(trainer)} is not on the roster of {code} any more"
    if entry.status == RosterStatus.INACTIVE:
        return f"{_name(trainer)} is inactive on the roster of {code}"
    return ""


def _candidate_refusal(context, trainer: User, teaching_here: set[int]) -> str:
    """Why a roster trainer may not newly take a position on the context's batch."""
    entry = context.roster.get(trainer.pk)
    code = context.batch.course.code
    if entry is None:
        return f"{_name(trainer)} is not on the roster of {code}"
    if entry.role not in TEACHING_ROSTER_ROLES:
        role = entry.get_role_display().lower()
        return f"{_name(trainer)} is a {role} of {code}: substitutes only cover"
    if trainer.pk in teaching_here:
        return f"{_name(trainer)} already teaches {context.batch.batch_code}"
    refusal = teaching_refusal(context, trainer, newly_teaching=True)
    return refusal.message if refusal is not None else ""


@dataclass
class _Scope:
    """What a problem is built from: batches, their teaching staff, the people involved."""

    batches: list[Batch]
    teaching: dict[int, dict[int, str]]  # batch id -> trainer id -> role (primary/assistant)
    roster: dict[int, list[int]]  # course id -> trainer ids on its roster (any role/status)
    users: dict[int, User]  # with trainer_profile and workload annotations
    contexts: dict[int, object]  # batch id -> TeachingContext


def _scope(course: Course | None) -> _Scope:
    """Open batches of ``course`` (or all), staff, roster and teaching contexts; eleven
    queries."""
    batches = _open_batches(course)
    batch_ids = [b.pk for b in batches]
    teaching: dict[int, dict[int, str]] = {b.pk: {} for b in batches}
    for batch_id, trainer_id, role in BatchTrainer.objects.filter(
        batch_id__in=batch_ids, role__in=TEACHING_ROLES, ended_at__isnull=True
    ).values_list("batch_id", "trainer_id", "role"):
        teaching[batch_id][trainer_id] = role
    entries = CourseTrainer.objects.all()
    if course is not None:
        entries = entries.filter(course=course)
    roster: dict[int, list[int]] = {}
    for course_id, trainer_id in entries.values_list("course_id", "trainer_id"):
        roster.setdefault(course_id, []).append(trainer_id)
    ids = {t for ts in roster.values() for t in ts}
    ids |= {t for staff in teaching.values() for t in staff}
    ids |= {b.assigned_instructor_id for b in batches}
    users = {
        u.pk: u
        for u in trainers_with_workload(User.objects.filter(pk__in=ids)).order_by(
            "full_name", "email", "pk"
        )
    }
    # Users who lost the instructor role are not in trainers_with_workload's default set,
    # but an explicit queryset keeps them: their refusal says so.
    contexts = teaching_contexts(
        [(b, list(b.schedule.all()), (b.start_date, b.end_date)) for b in batches],
        users,
        profiles={pk: profile_of(u) for pk, u in users.items()},
    )
    return _Scope(
        batches=batches,
        teaching=teaching,
        roster=roster,
        users=users,
        contexts={b.pk: c for b, c in zip(batches, contexts, strict=True)},
    )


def _weekly_minutes(user: User) -> int:
    return int(user.weekly_teaching.total_seconds() // 60)


def _cap(user: User) -> int:
    profile = profile_of(user)
    return profile.max_active_batches if profile is not None else DEFAULT_MAX_ACTIVE_BATCHES


def _clash_pairs(positions: Sequence[PositionInfo]) -> frozenset[tuple[int, int]]:
    """Pairs of positions of different batches whose schedules overlap, bucketed by weekday."""
    by_day: dict[int, list[tuple[Batch, object]]] = {}
    for batch in {p.batch.pk: p.batch for p in positions}.values():
        for slot in batch.schedule.all():
            by_day.setdefault(slot.day, []).append((batch, slot))
    clashing: set[tuple[int, int]] = set()
    for entries in by_day.values():
        for i, (a, sa) in enumerate(entries):
            for b, sb in entries[i + 1 :]:
                if a.pk == b.pk or (min(a.pk, b.pk), max(a.pk, b.pk)) in clashing:
                    continue
                dates = a.start_date <= b.end_date and b.start_date <= a.end_date
                if dates and slots_overlap(sa, sb):
                    clashing.add((min(a.pk, b.pk), max(a.pk, b.pk)))
    by_batch: dict[int, list[int]] = {}
    for p in positions:
        by_batch.setdefault(p.batch.pk, []).append(p.id)
    pairs = set()
    for a, b in clashing:
        for x in by_batch[a]:
            for y in by_batch[b]:
                pairs.add((min(x, y), max(x, y)))
    return frozenset(pairs)


def _info(
    scope: _Scope, positions: list[PositionInfo], eligible: dict[int, set[int]], mode: str
) -> ProblemInfo:
    """The problem over ``positions``: its trainers are those eligible for one of them or
    holding one (the others' deviations cannot change)."""
    held: dict[int, list[PositionInfo]] = {}
    for p in positions:
        if p.holder is not None:
            held.setdefault(p.holder.pk, []).append(p)
    involved = sorted(
        {t for ts in eligible.values() for t in ts} | set(held),
        key=lambda pk: (_name(scope.users[pk]).lower(), pk),
    )
    targets = _targets(involved)
    loads = {pk: _weekly_minutes(scope.users[pk]) for pk in involved}
    counts = {pk: scope.users[pk].active_batches for pk in involved}
    caps = {pk: _cap(scope.users[pk]) for pk in involved}
    trainers = []
    for pk in involved:
        mine = held.get(pk, [])
        # When balancing, the positions they hold may move: room for them counts as free.
        movable = len(mine) if mode == "balance" else 0
        trainers.append(
            solver.Trainer(
                id=pk,
                target_minutes=targets[pk],
                existing_minutes=loads[pk] - sum(p.minutes for p in mine),
                free_batches=max(caps[pk] - counts[pk], 0) + movable,
            )
        )
    problem = solver.Problem(
        trainers=tuple(trainers),
        positions=tuple(
            solver.Position(
                id=p.id,
                batch_id=p.batch.pk,
                role=p.role,
                minutes=p.minutes,
                eligible=frozenset(eligible[p.id]),
                current=p.holder.pk if mode == "balance" and p.holder is not None else None,
            )
            for p in positions
        ),
        clashes=_clash_pairs(positions),
    )
    return ProblemInfo(
        problem=problem,
        mode=mode,
        trainers={pk: scope.users[pk] for pk in involved},
        targets=targets,
        loads=loads,
        open_batches=counts,
        caps=caps,
        positions={p.id: p for p in positions},
    )


def _judge(scope: _Scope, batch: Batch, exclude: set[int]):
    """Eligible roster trainers of a new position on ``batch``, and the refused with why."""
    context = scope.contexts[batch.pk]
    eligible, refusals = set(), []
    for trainer_id in scope.roster.get(batch.course_id, ()):
        user = scope.users[trainer_id]
        reason = _candidate_refusal(context, user, exclude)
        if reason:
            refusals.append((user, reason))
        else:
            eligible.add(trainer_id)
    refusals.sort(key=lambda r: (_name(r[0]).lower(), r[0].pk))
    return eligible, tuple(refusals)


def assignment_problem(course: Course | None = None) -> tuple[solver.Problem, ProblemInfo]:
    """The unstaffed positions of ``course`` (or of every course) as a solver problem, and
    what the pages need to describe it (``ProblemInfo``, which holds the problem too). A
    fixed number of queries however many batches, trainers and positions."""
    info = _assignment_info(course)
    return info.problem, info


def _assignment_info(course: Course | None) -> ProblemInfo:
    scope = _scope(course)
    positions: list[PositionInfo] = []
    eligible: dict[int, set[int]] = {}
    for batch in scope.batches:
        context = scope.contexts[batch.pk]
        here = set(scope.teaching[batch.pk]) | {batch.assigned_instructor_id}
        minutes = slots_minutes(batch.schedule.all())
        primary = scope.users[batch.assigned_instructor_id]
        why = _holder_refusal(context, primary, profile_of(primary))
        if why:
            ok, refusals = _judge(scope, batch, here)
            positions.append(
                PositionInfo(len(positions) + 1, batch, PRIMARY, minutes, primary, why, refusals)
            )
            eligible[positions[-1].id] = ok
        have = sum(role == ASSISTANT for role in scope.teaching[batch.pk].values())
        wanted = _template_assistants(batch.course)
        for n in range(have, wanted):
            ok, refusals = _judge(scope, batch, here)
            why = f"assistant {n + 1} of the {wanted} its course's template asks for"
            positions.append(
                PositionInfo(len(positions) + 1, batch, ASSISTANT, minutes, None, why, refusals)
            )
            eligible[positions[-1].id] = ok
    return _info(scope, positions, eligible, "assign")


def balance_problem(course: Course | None = None) -> tuple[solver.Problem, ProblemInfo]:
    """The primaries of the open batches of ``course`` (or every course), each with its
    current primary, as a balancing problem, and its ``ProblemInfo``. Batches whose primary
    may no longer teach them are left to the assignment. A fixed number of queries."""
    info = _balance_info(course)
    return info.problem, info


def _balance_info(course: Course | None) -> ProblemInfo:
    scope = _scope(course)
    positions: list[PositionInfo] = []
    eligible: dict[int, set[int]] = {}
    for batch in scope.batches:
        primary = scope.users[batch.assigned_instructor_id]
        if _holder_refusal(scope.contexts[batch.pk], primary, profile_of(primary)):
            continue
        here = set(scope.teaching[batch.pk]) | {batch.assigned_instructor_id}
        ok, refusals = _judge(scope, batch, here)
        minutes = slots_minutes(batch.schedule.all())
        positions.append(
            PositionInfo(len(positions) + 1, batch, PRIMARY, minutes, primary, "", refusals)
        )
        eligible[positions[-1].id] = ok | {primary.pk}
    return _info(scope, positions, eligible, "balance")


# --- proposals -------------------------------------------------------------------------------


def _loads(info: ProblemInfo, assignment: dict[int, int | None]) -> list[TrainerLoad]:
    """Each trainer's load before and after ``assignment`` (positions they lose and gain)."""
    after = dict(info.loads)
    batches = dict(info.open_batches)
    for pid, trainer_id in assignment.items():
        p = info.positions[pid]
        holder = p.holder.pk if p.holder is not None else None
        if trainer_id is None or trainer_id == holder:
            continue
        if holder in after:
            after[holder] -= p.minutes
            batches[holder] -= 1
        after[trainer_id] += p.minutes
        batches[trainer_id] += 1
    return [
        TrainerLoad(
            trainer=user,
            target=info.targets[pk],
            before=info.loads[pk],
            after=after[pk],
            batches_before=info.open_batches[pk],
            batches_after=batches[pk],
            cap=info.caps[pk],
        )
        for pk, user in info.trainers.items()
    ]


def _proposal(info: ProblemInfo, solution, *, time_limit: float, tolerance: int | None) -> Proposal:
    rows, unassignable, note = [], [], ""
    for pid, p in info.positions.items():
        trainer_id = solution.assignment.get(pid)
        holder = p.holder.pk if p.holder is not None else None
        if trainer_id is None and info.mode == "balance":
            # Balancing found no complete staffing (the solver says why): nothing moves.
            note = solution.unassigned_reasons.get(pid, "")
        elif trainer_id is None:
            reason = solution.unassigned_reasons.get(pid, "")
            if not info.problem.positions[pid - 1].eligible:
                reason = gettext("No roster trainer may take it (see why below)")
            unassignable.append(Unassignable(p.batch, p.role, p.minutes, reason, p.refusals))
        elif trainer_id != holder:
            trainer = info.trainers[trainer_id]
            rows.append(ProposalRow(p.batch, p.role, trainer, p.minutes, p.holder))
    loads = _loads(info, solution.assignment)
    before = max((abs(x.deviation_before) for x in loads), default=0)
    after = max((abs(x.deviation_after) for x in loads), default=0)
    return Proposal(
        mode=info.mode,
        rows=rows,
        loads=loads,
        unassignable=unassignable,
        positions=len(info.positions),
        status=solution.status,
        proven_optimal=solution.proven_optimal,
        wall_seconds=solution.wall_seconds,
        time_limit=time_limit,
        max_deviation=after,
        max_deviation_before=before,
        tolerance=tolerance,
        bound=solution.bound,
        note=note,
        errors=solver.validate(info.problem, solution),
    )


def _time_limit(time_limit: float) -> float:
    if not 0 < time_limit <= MAX_TIME_LIMIT:
        raise DomainError(
            gettext("The time limit must be more than 0 and at most %(MAX_TIME_LIMIT)s seconds")
            % {"MAX_TIME_LIMIT": format(MAX_TIME_LIMIT, "g")},
            field="time_limit",
        )
    return float(time_limit)


def assignment_propose(
    course: Course | None = None, *, time_limit: float = DEFAULT_TIME_LIMIT
) -> Proposal:
    """The solver's staffing of the unstaffed positions of ``course`` (or every course):
    rows batch → trainer, loads before/after, what stays unassignable and why, and whether
    the solution is proven optimal (else the best found within ``time_limit`` seconds)."""
    time_limit = _time_limit(time_limit)
    info = _assignment_info(course)
    solution = solver.solve(info.problem, time_limit=time_limit, mode="assign")
    return _proposal(info, solution, time_limit=time_limit, tolerance=None)


def balance_propose(
    course: Course | None = None,
    *,
    tolerance_minutes: int,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Proposal:
    """The fewest moves of open batches' primaries that bring every trainer of the problem
    within ``tolerance_minutes`` of their target (or, when no moves can, as close as the
    solver gets). Each row is a move: the batch, its current primary, the new one."""
    if tolerance_minutes < 0:
        raise DomainError(gettext("The tolerance cannot be negative"), field="tolerance")
    time_limit = _time_limit(time_limit)
    info = _balance_info(course)
    solution = solver.solve(
        info.problem, time_limit=time_limit, mode="balance", tolerance=tolerance_minutes
    )
    return _proposal(info, solution, time_limit=time_limit, tolerance=tolerance_minutes)


# --- applying --------------------------------------------------------------------------------


def _describe(row: AssignmentRow, batch: Batch | None, trainer: User | None) -> str:
    what = batch.batch_code if batch is not None else f"batch #{row.batch_id}"
    who = _name(trainer) if trainer is not None else f"trainer #{row.trainer_id}"
    return f"{what}: {who} as {row.role}"


def _lock_rows(rows: Sequence[AssignmentRow]) -> tuple[dict[int, User], dict[int, Batch]]:
    """Lock the trainer profiles of everyone who gains teaching (pk order), then the batches
    (pk order), and return the trainers (each with its locked ``trainer_profile``) and the
    batches re-read. Refuses rows naming missing trainers or batches."""
    trainers = {u.pk: u for u in User.objects.filter(pk__in={r.trainer_id for r in rows})}
    for row in rows:
        if row.trainer_id not in trainers:
            raise DomainError(
                gettext("%(describe)s: this trainer no longer exists")
                % {"describe": _describe(row, None, None)}
            )
    # Freeing teaching needs no lock (the previous primaries are not locked).
    for trainer_id, profile in trainers_lock(*trainers.values()).items():
        trainers[trainer_id].trainer_profile = profile
    batches = {
        b.pk: b
        for b in Batch.objects.select_for_update(of=("self",))
        .filter(pk__in={r.batch_id for r in rows})
        .select_related("course", "course__batch_template")
        .order_by("pk")
    }
    for row in rows:
        if row.batch_id not in batches:
            raise DomainError(
                gettext("%(describe)s: no such batch")
                % {"describe": _describe(row, None, trainers[row.trainer_id])}
            )
    return trainers, batches


def _refuse_row(index: int, row, batch, trainer, message: str) -> DomainError:
    return DomainError(
        gettext(
            "Row %(index)s (%(describe)s) was refused: %(message)s. Nothing was applied; "
            "preview again."
        )
        % {"index": index, "describe": _describe(row, batch, trainer), "message": message}
    )


@transaction.atomic
def assignment_apply(*, proposal_rows: Sequence[AssignmentRow], applied_by: User) -> int:
    """Apply an assignment proposal in one transaction; returns the rows applied.

    Locks the trainer profiles of every trainer the rows name (pk order), then the batches
    (pk order), and re-reads them. Refuses, rolling everything back and naming the row: a
    primary row whose batch changed primary since the preview, an assistant row for a batch
    that has the assistants its template asks for by now, two rows for one trainer on one
    batch or two primaries for one batch, and whatever ``batch_assign_instructor`` (primaries)
    or ``batch_staff_add(role="assistant")`` refuse — leave, status, cap, clashes with
    existing or earlier rows, roster membership.
    """
    rows = list(proposal_rows)
    if not rows:
        raise DomainError(gettext("The proposal has no rows to apply"))
    seen, primaries = set(), set()
    for row in rows:
        if (row.batch_id, row.trainer_id) in seen or (
            row.role == PRIMARY and row.batch_id in primaries
        ):
            raise DomainError(
                gettext("%(describe)s appears twice in the proposal")
                % {"describe": _describe(row, None, None)}
            )
        seen.add((row.batch_id, row.trainer_id))
        if row.role == PRIMARY:
            primaries.add(row.batch_id)
    trainers, batches = _lock_rows(rows)
    have = dict(
        BatchTrainer.objects.filter(
            batch_id__in=batches, role=StaffRole.ASSISTANT, ended_at__isnull=True
        )
        .order_by()
        .values("batch_id")
        .annotate(n=Count("pk"))
        .values_list("batch_id", "n")
    )
    adding: dict[int, int] = {}
    for index, row in enumerate(rows, start=1):
        batch, trainer = batches[row.batch_id], trainers[row.trainer_id]
        if row.role == PRIMARY and batch.assigned_instructor_id != row.previous_id:
            raise _refuse_row(
                index, row, batch, trainer, gettext("its primary changed since the preview")
            )
        if row.role == ASSISTANT:
            adding[batch.pk] = adding.get(batch.pk, 0) + 1
            if have.get(batch.pk, 0) + adding[batch.pk] > _template_assistants(batch.course):
                raise _refuse_row(
                    index,
                    row,
                    batch,
                    trainer,
                    gettext("it has the assistants its template asks for"),
                )
    for index, row in enumerate(rows, start=1):
        batch, trainer = batches[row.batch_id], trainers[row.trainer_id]
        try:
            if row.role == PRIMARY:
                services.batch_assign_instructor(
                    batch=batch, instructor=trainer, assigned_by=applied_by
                )
            else:
                services.batch_staff_add(
                    batch=batch, trainer=trainer, role=StaffRole.ASSISTANT, added_by=applied_by
                )
        except DomainError as exc:
            raise _refuse_row(index, row, batch, trainer, exc.message) from exc
    return len(rows)


def _move_order(rows: list[AssignmentRow], trainers: dict[int, User]) -> list[AssignmentRow]:
    """An order in which each move finds its new primary under their cap: moves whose new
    primary has room go first, so a trainer who both loses and gains a batch loses first.
    One query (the batches each trainer teaches now)."""
    counts = dict(
        BatchTrainer.objects.filter(
            trainer_id__in=trainers,
            role__in=TEACHING_ROLES,
            ended_at__isnull=True,
            batch__status__in=OPEN_BATCH_STATUSES,
        )
        .order_by()
        .values("trainer_id")
        .annotate(n=Count("batch_id", distinct=True))
        .values_list("trainer_id", "n")
    )
    caps = {pk: _cap(user) for pk, user in trainers.items()}
    pending, ordered = list(rows), []
    while pending:
        move = next(
            (m for m in pending if counts.get(m.trainer_id, 0) < caps[m.trainer_id]), pending[0]
        )
        pending.remove(move)
        ordered.append(move)
        counts[move.trainer_id] = counts.get(move.trainer_id, 0) + 1
        if move.previous_id is not None:
            counts[move.previous_id] = counts.get(move.previous_id, 0) - 1
    return ordered


def _apply_moves(rows: list[AssignmentRow], applied_by: User) -> int:
    for row in rows:
        if row.role != PRIMARY or row.previous_id is None:
            raise DomainError(
                gettext("%(describe)s is not a move of a primary")
                % {"describe": _describe(row, None, None)}
            )
    if len({r.batch_id for r in rows}) != len(rows):
        raise DomainError(gettext("A batch appears twice among the moves"))
    trainers, batches = _lock_rows(rows)
    for index, row in enumerate(_move_order(rows, trainers), start=1):
        batch, trainer = batches[row.batch_id], trainers[row.trainer_id]
        if batch.assigned_instructor_id != row.previous_id:
            raise _refuse_row(
                index, row, batch, trainer, gettext("its primary changed since the preview")
            )
        try:
            services.batch_assign_instructor(
                batch=batch, instructor=trainer, assigned_by=applied_by
            )
        except DomainError as exc:
            raise _refuse_row(index, row, batch, trainer, exc.message) from exc
    return len(rows)


@transaction.atomic
def balance_apply_move(*, move: AssignmentRow, applied_by: User) -> int:
    """Apply one suggested move: the batch's primary becomes ``move.trainer_id``.

    Locks the new primary's trainer profile, then the batch. Refuses a batch whose primary is
    no longer ``move.previous_id`` and whatever ``batch_assign_instructor`` refuses."""
    return _apply_moves([move], applied_by)


@transaction.atomic
def balance_apply(*, moves: Sequence[AssignmentRow], applied_by: User) -> int:
    """Apply every suggested move in one transaction; returns how many.

    Locks the trainer profiles of the new primaries (pk order), then the batches (pk order),
    and applies the moves in an order that keeps each new primary under their cap. Any
    refusal (as ``balance_apply_move``) rolls them all back, naming the move."""
    moves = list(moves)
    if not moves:
        raise DomainError(gettext("There are no moves to apply"))
    return _apply_moves(moves, applied_by)


# --- automatic batch creation ----------------------------------------------------------------


@dataclass(frozen=True)
class TrainerChoice:
    trainer: User | None
    reason: str  # why nobody, when ``trainer`` is None; else a short why them


def best_trainer_for(
    *,
    course: Course,
    start_date: dt.date,
    end_date: dt.date,
    slots: Sequence,
    time_limit: float = 2.0,
) -> TrainerChoice:
    """The trainer the solver would make primary of a NEW batch of ``course`` with these
    dates and weekly ``slots`` (``services.Slot``), keeping all other staffing: the eligible
    roster trainer that leaves the loads most balanced, the new batch counted in the course's
    teaching minutes. None, with the reason, when no roster trainer may teach it."""
    slots = list(slots)
    batch = Batch(
        course=course, status=BatchStatus.UPCOMING, start_date=start_date, end_date=end_date
    )
    roster = list(CourseTrainer.objects.filter(course=course).values_list("trainer_id", flat=True))
    if not roster:
        return TrainerChoice(None, f"{course.code} has nobody on its roster")
    users = {
        u.pk: u
        for u in trainers_with_workload(User.objects.filter(pk__in=roster)).order_by(
            "full_name", "email", "pk"
        )
    }
    context = teaching_contexts(
        [(batch, slots, (start_date, end_date))],
        users,
        profiles={pk: profile_of(u) for pk, u in users.items()},
    )[0]
    eligible, refusals = set(), []
    for pk, user in users.items():
        reason = _candidate_refusal(context, user, set())
        if reason:
            refusals.append(reason)
        else:
            eligible.add(pk)
    if not eligible:
        return TrainerChoice(
            None, gettext("No roster trainer may teach it: ") + "; ".join(refusals)
        )
    minutes = slots_minutes(slots)
    positions = 1 + _template_assistants(course)
    targets = _targets(eligible, extra={course.pk: minutes * positions})
    problem = solver.Problem(
        trainers=tuple(
            solver.Trainer(
                id=pk,
                target_minutes=targets[pk],
                existing_minutes=_weekly_minutes(users[pk]),
                free_batches=max(_cap(users[pk]) - users[pk].active_batches, 0),
            )
            for pk in sorted(eligible)
        ),
        positions=(
            solver.Position(
                id=1, batch_id=0, role=PRIMARY, minutes=minutes, eligible=frozenset(eligible)
            ),
        ),
        clashes=frozenset(),
    )
    solution = solver.solve(problem, time_limit=time_limit, mode="assign")
    if solution.assignment.get(1) is None:
        return TrainerChoice(None, gettext("The solver found no trainer for it"))
    # Every trainer who reaches the solver's optimum is as good to it; the one furthest
    # below their target (then by name) is chosen, so the answer does not depend on ties.
    before = solver.deviations(problem, {})
    optimal = [
        pk
        for pk in eligible
        if max(abs(d) for d in solver.deviations(problem, {1: pk}).values())
        <= solution.max_deviation
    ]
    chosen = min(optimal, key=lambda pk: (before[pk], _name(users[pk]).lower(), pk))
    user = users[chosen]
    return TrainerChoice(
        user,
        f"{_name(user)}: {round(_weekly_minutes(user) / 60, 2):g} h a week now, target "
        f"{round(targets[chosen] / 60, 2):g} h",
    )


__all__ = [
    "AssignmentRow",
    "Proposal",
    "ProposalRow",
    "TrainerChoice",
    "TrainerLoad",
    "assignment_apply",
    "assignment_problem",
    "assignment_propose",
    "balance_apply",
    "balance_apply_move",
    "balance_problem",
    "balance_propose",
    "best_trainer_for",
]
