"""Optimal trainer assignment and workload balancing (allocation/assignment.py).

The problem the database gives the solver (eligibility, clashes, targets), the proposals on
small courses whose optimum is known, applying them through the services (all or nothing,
re-checked), balancing with the fewest moves, the choice for a new batch, and two applies
racing on PostgreSQL.
"""

import datetime as dt

import pytest

from accounts.tests.factories import InstructorFactory
from allocation import assignment, solver
from allocation.assignment import AssignmentRow
from allocation.eligibility import MSG_NOT_INSTRUCTOR, teaching_context, teaching_refusal
from allocation.models import (
    BatchTemplate,
    BatchTrainer,
    CourseTrainer,
    RosterRole,
    RosterStatus,
    StaffRole,
)
from allocation.services import batch_create, roster_add, roster_update
from allocation.tests.factories import CourseFactory
from allocation.tests.view_support import END, START, set_profile, slot
from core import dates
from core.errors import DomainError
from core.testing import race
from trainers.models import TrainerStatus
from trainers.tests.factories import AvailabilityWindowFactory, TrainerLeaveFactory

pytestmark = pytest.mark.django_db

MON, TUE, WED, THU, FRI = range(5)
TODAY = dates.today()


def trainer(name: str) -> object:
    return InstructorFactory(full_name=name, email=f"{name.lower()}@example.com")


def roster(course, user, *, role=RosterRole.ASSISTANT, percent=0):
    """Put ``user`` on the roster (or update the entry batch_create made) with role and %."""
    entry = CourseTrainer.objects.filter(course=course, trainer=user).first()
    if entry is None:
        return roster_add(course=course, trainer=user, role=role, workload_percent=percent)
    return roster_update(entry=entry, role=role, workload_percent=percent)


def template(course, assistants: int) -> BatchTemplate:
    return BatchTemplate.objects.create(course=course, assistants=assistants)


def assistants_of(batch) -> set[int]:
    return set(
        BatchTrainer.objects.filter(
            batch=batch, role=StaffRole.ASSISTANT, ended_at__isnull=True
        ).values_list("trainer_id", flat=True)
    )


def by_batch(info) -> dict[tuple[int, str], solver.Position]:
    return {(p.batch_id, p.role): p for p in info.problem.positions}


@pytest.fixture
def small(make_batch, course):
    """German A1 with two batches and one assistant wanted per batch.

    Teaching minutes: 2 batches x 120 min x 2 positions = 480. Targets: P1 and P2 25 % (120,
    what they teach), Q 50 % (240, teaches nothing), R 0 %. The only assignment with every
    trainer on target gives Q both assistant positions.
    """
    p1, p2, q, r = trainer("Paula"), trainer("Peter"), trainer("Quinn"), trainer("Rosa")
    b1 = make_batch(instructor=p1, batch_name="B1", schedule=[slot(MON, "10:00", "12:00")])
    b2 = make_batch(instructor=p2, batch_name="B2", schedule=[slot(TUE, "10:00", "12:00")])
    roster(course, p1, percent=25)
    roster(course, p2, percent=25)
    roster(course, q, percent=50)
    roster(course, r, percent=0)
    template(course, 1)
    return {"p1": p1, "p2": p2, "q": q, "r": r, "b1": b1, "b2": b2}


# --- the problem -----------------------------------------------------------------------------


def test_targets_loads_and_positions_of_the_small_course(small, course):
    _, info = assignment.assignment_problem(course)
    positions = by_batch(info)
    assert set(positions) == {(small["b1"].pk, "assistant"), (small["b2"].pk, "assistant")}
    assert {p.minutes for p in positions.values()} == {120}
    assert assignment.course_teaching_minutes([course.pk]) == {course.pk: 480}
    trainers = {t.id: t for t in info.problem.trainers}
    p1, p2, q, r = (small[k].pk for k in ("p1", "p2", "q", "r"))
    assert {pk: (t.target_minutes, t.existing_minutes) for pk, t in trainers.items()} == {
        p1: (120, 120),
        p2: (120, 120),
        q: (240, 0),
        r: (0, 0),
    }
    # Default cap 4, one batch taught by each primary.
    assert {pk: t.free_batches for pk, t in trainers.items()} == {p1: 3, p2: 3, q: 4, r: 4}
    assert positions[small["b1"].pk, "assistant"].eligible == {p2, q, r}
    assert positions[small["b2"].pk, "assistant"].eligible == {p1, q, r}
    assert info.problem.clashes == frozenset()  # Monday and Tuesday


def test_eligibility_is_teaching_refusal_for_every_pair(small, course, make_batch, admin):
    """Every (position, roster trainer) pair: eligible exactly when the trainer has a
    teaching roster role, does not teach the batch yet and teaching_refusal (asked through
    the single-trainer context the services use) accepts them."""
    b1, b2 = small["b1"], small["b2"]
    substitute, on_leave, clashing, at_cap, unavailable = (
        trainer(n) for n in ("Sid", "Lea", "Carl", "Kim", "Vera")
    )
    roster(course, substitute, role=RosterRole.SUBSTITUTE)
    for user in (on_leave, clashing, at_cap, unavailable):
        roster(course, user)
    TrainerLeaveFactory(trainer=on_leave, start_date=TODAY, end_date=TODAY + dt.timedelta(3))
    other = CourseFactory(code="OTHER")
    batch_create(  # Carl teaches Monday 11-13 over the same dates: clashes with B1 only
        course=other,
        batch_name="Other",
        start_date=START,
        end_date=END,
        capacity=5,
        assigned_instructor=clashing,
        created_by=admin,
        schedule=[slot(MON, "11:00", "13:00")],
    )
    set_profile(at_cap, max_active_batches=1)
    batch_create(
        course=other,
        batch_name="Kim's",
        start_date=START,
        end_date=END,
        capacity=5,
        assigned_instructor=at_cap,
        created_by=admin,
        schedule=[slot(FRI, "08:00", "09:00")],
    )
    AvailabilityWindowFactory(trainer=unavailable, day=FRI)

    _, info = assignment.assignment_problem(course)
    positions = by_batch(info)
    everyone = CourseTrainer.objects.filter(course=course).select_related("trainer")
    for batch in (b1, b2):
        position = positions[batch.pk, "assistant"]
        teaching = {batch.assigned_instructor_id}
        for entry in everyone:
            user = entry.trainer
            context = teaching_context(batch, [user.pk])
            expected = (
                entry.role in (RosterRole.LEAD, RosterRole.ASSISTANT)
                and user.pk not in teaching
                and teaching_refusal(context, user, newly_teaching=True) is None
            )
            assert (user.pk in position.eligible) == expected, (batch.batch_name, user)
    q, r = small["q"].pk, small["r"].pk
    assert positions[b1.pk, "assistant"].eligible == {small["p2"].pk, q, r}
    assert positions[b2.pk, "assistant"].eligible == {small["p1"].pk, q, r, clashing.pk}
    refusals = {u.full_name: why for u, why in info.positions[1].refusals}
    assert "substitutes only cover" in refusals["Sid"]
    assert "on leave" in refusals["Lea"]
    assert refusals["Carl"].startswith("Schedule conflict")
    assert "their cap of 1" in refusals["Kim"]
    assert "not available" in refusals["Vera"]
    assert "already teaches" in refusals["Paula"]


def test_clash_pairs_follow_dates_weekdays_and_half_open_times(course, admin):
    """A Mon 10-12, B Mon 11-13 (clashes A), C Mon 12-13 (touches A, clashes B), D Mon
    10-12 after A's dates end (clashes nobody): one assistant position each."""
    template(course, 1)
    made = {}
    for name, start, end, span in (
        ("A", "10:00", "12:00", (START, END)),
        ("B", "11:00", "13:00", (START, END)),
        ("C", "12:00", "13:00", (START, END)),
        ("D", "10:00", "12:00", (END + dt.timedelta(7), END + dt.timedelta(60))),
    ):
        made[name] = batch_create(
            course=course,
            batch_name=name,
            start_date=span[0],
            end_date=span[1],
            capacity=5,
            assigned_instructor=trainer(f"Primary{name}"),
            created_by=admin,
            schedule=[slot(MON, start, end)],
        )
    _, info = assignment.assignment_problem(course)
    pid = {name: by_batch(info)[b.pk, "assistant"].id for name, b in made.items()}

    def pair(a, b):
        return tuple(sorted((pid[a], pid[b])))

    assert info.problem.clashes == {pair("A", "B"), pair("B", "C")}


def test_primaries_who_may_no_longer_teach_are_unstaffed_positions(course, make_batch, admin):
    """Roster entry inactive, trainer profile inactive, off the roster, lost the instructor
    role: four unstaffed primaries; a primary who may go on teaching is none."""
    names = ("Ina", "Ivo", "Olaf", "Nora", "Fine")
    users = {n: trainer(n) for n in names}
    batches = {
        n: make_batch(instructor=users[n], batch_name=n, schedule=[slot(i, "10:00", "12:00")])
        for i, n in enumerate(names)
    }
    roster(course, trainer("Spare"), percent=10)
    set_profile(users["Fine"], max_active_batches=1)  # so Spare is the only one eligible
    roster_update(entry=CourseTrainer.objects.get(trainer=users["Ina"]), status="inactive")
    set_profile(users["Ivo"], status=TrainerStatus.INACTIVE)
    CourseTrainer.objects.filter(trainer=users["Olaf"]).delete()
    users["Nora"].is_instructor = False
    users["Nora"].save()

    _, info = assignment.assignment_problem(course)
    why = {p.batch.batch_name: p.why_open for p in info.positions.values()}
    assert why == {
        "Ina": "Ina is inactive on the roster of GER-A1",
        "Ivo": "Ivo is inactive",
        "Olaf": "Olaf is not on the roster of GER-A1 any more",
        "Nora": MSG_NOT_INSTRUCTOR,
    }
    assert {p.role for p in info.positions.values()} == {"primary"}
    # Their load goes: the refused primaries' minutes are not "existing" any more.
    existing = {t.id: t.existing_minutes for t in info.problem.trainers}
    assert existing[users["Ina"].pk] == 0

    proposal = assignment.assignment_propose(course, time_limit=5)
    assert proposal.errors == []
    assert {r.batch.batch_name: r.trainer.full_name for r in proposal.rows} == {
        "Ina": "Spare",
        "Ivo": "Spare",
        "Olaf": "Spare",
        "Nora": "Spare",
    }
    assignment.assignment_apply(proposal_rows=[r.row for r in proposal.rows], applied_by=admin)
    for name in ("Ina", "Ivo", "Olaf", "Nora"):
        batches[name].refresh_from_db()
        assert batches[name].assigned_instructor.full_name == "Spare"
    assert assignment.assignment_problem(course)[0].positions == ()


# --- proposals -------------------------------------------------------------------------------


def test_proposal_on_the_small_course_is_the_unique_optimum(small, course):
    proposal = assignment.assignment_propose(course, time_limit=5)
    assert proposal.proven_optimal and proposal.status == "optimal"
    assert [(r.batch.batch_name, r.role, r.trainer.full_name) for r in proposal.rows] == [
        ("B1", "assistant", "Quinn"),
        ("B2", "assistant", "Quinn"),
    ]
    assert proposal.unassignable == []
    assert proposal.max_deviation_before == 240 and proposal.max_deviation == 0
    loads = {x.trainer.full_name: (x.target, x.before, x.after) for x in proposal.loads}
    assert loads == {
        "Paula": (120, 120, 120),
        "Peter": (120, 120, 120),
        "Quinn": (240, 0, 240),
        "Rosa": (0, 0, 0),
    }


def test_the_solution_satisfies_every_rule_checked_twice(small, course, admin):
    """solver.validate finds nothing wrong, and the services accept every row."""
    _, info = assignment.assignment_problem(course)
    solution = solver.solve(info.problem, time_limit=5)
    assert solver.validate(info.problem, solution) == []
    proposal = assignment.assignment_propose(course, time_limit=5)
    applied = assignment.assignment_apply(
        proposal_rows=[r.row for r in proposal.rows], applied_by=admin
    )
    assert applied == 2
    assert assistants_of(small["b1"]) == assistants_of(small["b2"]) == {small["q"].pk}
    # Nothing is left to staff.
    assert assignment.assignment_problem(course)[0].positions == ()


def test_unassignable_positions_say_why(small, course):
    """Q and R on leave, P1 and P2 at a cap of 1: nobody may take either position."""
    for key in ("q", "r"):
        TrainerLeaveFactory(trainer=small[key], start_date=TODAY, end_date=TODAY)
    for key in ("p1", "p2"):
        set_profile(small[key], max_active_batches=1)
    proposal = assignment.assignment_propose(course, time_limit=5)
    assert proposal.rows == []
    assert [u.batch.batch_name for u in proposal.unassignable] == ["B1", "B2"]
    first = proposal.unassignable[0]
    assert first.reason == "No roster trainer may take it (see why below)"
    reasons = [why for _, why in first.refusals]
    assert sum("on leave" in why for why in reasons) == 2
    assert any("their cap of 1" in why for why in reasons)


def test_the_solver_itself_runs_no_query(small, course, django_assert_num_queries):
    _, info = assignment.assignment_problem(course)
    with django_assert_num_queries(0):
        solver.solve(info.problem, time_limit=5)


def test_bad_time_limits_are_refused(course):
    for bad in (0, -1, 61):
        with pytest.raises(DomainError, match="time limit"):
            assignment.assignment_propose(course, time_limit=bad)


# --- applying: re-checked, all or nothing ----------------------------------------------------


def _rows(course):
    return [r.row for r in assignment.assignment_propose(course, time_limit=5).rows]


def test_a_trainer_on_leave_since_the_preview_refuses_the_whole_apply(small, course, admin):
    rows = _rows(course)
    TrainerLeaveFactory(trainer=small["q"], start_date=TODAY, end_date=TODAY + dt.timedelta(2))
    with pytest.raises(DomainError, match=r"^Row 1 \(.*Quinn as assistant\) .*on leave") as exc:
        assignment.assignment_apply(proposal_rows=rows, applied_by=admin)
    assert "Nothing was applied" in exc.value.message
    assert assistants_of(small["b1"]) == assistants_of(small["b2"]) == set()


def test_a_clashing_batch_since_the_preview_refuses_the_whole_apply(small, course, admin):
    """Q takes a Tuesday batch elsewhere after the preview: row 2 (B2, Tuesday) is refused
    and row 1 (B1), applied before it, is rolled back."""
    rows = _rows(course)
    batch_create(
        course=CourseFactory(code="ELSE"),
        batch_name="Elsewhere",
        start_date=START,
        end_date=END,
        capacity=5,
        assigned_instructor=small["q"],
        created_by=admin,
        schedule=[slot(TUE, "11:00", "12:30")],
    )
    with pytest.raises(DomainError, match=r"^Row 2 .*Schedule conflict"):
        assignment.assignment_apply(proposal_rows=rows, applied_by=admin)
    assert assistants_of(small["b1"]) == assistants_of(small["b2"]) == set()


def test_an_assistant_added_since_the_preview_refuses_the_apply(small, course, admin):
    from allocation.services import batch_staff_add

    rows = _rows(course)
    batch_staff_add(batch=small["b1"], trainer=small["r"], role="assistant", added_by=admin)
    with pytest.raises(DomainError, match="has the assistants its template asks for"):
        assignment.assignment_apply(proposal_rows=rows, applied_by=admin)
    assert assistants_of(small["b1"]) == {small["r"].pk}
    assert assistants_of(small["b2"]) == set()


def test_a_primary_changed_since_the_preview_refuses_the_apply(course, make_batch, admin):
    from allocation.services import batch_assign_instructor

    gone, spare, other = trainer("Gone"), trainer("Spare"), trainer("Other")
    batch = make_batch(instructor=gone, schedule=[slot(MON, "10:00", "12:00")])
    roster(course, spare, percent=50)
    roster(course, other)
    roster_update(entry=CourseTrainer.objects.get(trainer=gone), status=RosterStatus.INACTIVE)
    rows = _rows(course)
    assert [(r.role, r.trainer_id, r.previous_id) for r in rows] == [("primary", spare.pk, gone.pk)]
    batch_assign_instructor(batch=batch, instructor=other, assigned_by=admin)
    with pytest.raises(DomainError, match="its primary changed since the preview"):
        assignment.assignment_apply(proposal_rows=rows, applied_by=admin)
    batch.refresh_from_db()
    assert batch.assigned_instructor == other


def test_malformed_proposals_are_refused(small, admin):
    b1, q = small["b1"].pk, small["q"].pk
    with pytest.raises(DomainError, match="no rows"):
        assignment.assignment_apply(proposal_rows=[], applied_by=admin)
    twice = [AssignmentRow(b1, "assistant", q), AssignmentRow(b1, "assistant", q)]
    with pytest.raises(DomainError, match="appears twice"):
        assignment.assignment_apply(proposal_rows=twice, applied_by=admin)
    with pytest.raises(DomainError, match="no longer exists"):
        assignment.assignment_apply(
            proposal_rows=[AssignmentRow(b1, "assistant", 999_999)], applied_by=admin
        )
    with pytest.raises(DomainError, match="no such batch"):
        assignment.assignment_apply(
            proposal_rows=[AssignmentRow(999_999, "assistant", q)], applied_by=admin
        )


@pytest.mark.parametrize(
    "token", ["", "1:primary:2", "1:boss:2:0", "x:primary:2:0", "0:primary:2:0"]
)
def test_row_tokens_parse_strictly(token):
    with pytest.raises(ValueError):
        AssignmentRow.parse(token)


def test_row_tokens_round_trip():
    for row in (AssignmentRow(3, "primary", 4, 5), AssignmentRow(3, "assistant", 4)):
        assert AssignmentRow.parse(row.token) == row


# --- balancing -------------------------------------------------------------------------------


@pytest.fixture
def lopsided(make_batch, course):
    """Ann (50 %) teaches four 2-hour batches, Ben (50 %) none: targets 4 h each, Ann 8 h."""
    ann, ben = trainer("Ann"), trainer("Ben")
    batches = [
        make_batch(instructor=ann, batch_name=f"Day {d}", schedule=[slot(d, "10:00", "12:00")])
        for d in (MON, TUE, WED, THU)
    ]
    roster(course, ann, percent=50)
    roster(course, ben, percent=50)
    return {"ann": ann, "ben": ben, "batches": batches}


@pytest.mark.parametrize(
    ("tolerance", "moves", "max_deviation"),
    [(0, 2, 0), (119, 2, 0), (120, 1, 120), (239, 1, 120), (240, 0, 240)],
)
def test_balancing_suggests_the_fewest_moves(lopsided, course, tolerance, moves, max_deviation):
    proposal = assignment.balance_propose(course, tolerance_minutes=tolerance, time_limit=5)
    assert proposal.proven_optimal
    assert len(proposal.rows) == moves
    assert proposal.max_deviation == max_deviation
    assert proposal.max_deviation_before == 240
    assert all(
        (r.previous.full_name, r.trainer.full_name, r.role) == ("Ann", "Ben", "primary")
        for r in proposal.rows
    )
    assert proposal.errors == []


def test_balancing_moves_apply_one_by_one_or_all(lopsided, course, admin):
    ann, ben = lopsided["ann"], lopsided["ben"]
    proposal = assignment.balance_propose(course, tolerance_minutes=0, time_limit=5)
    first = proposal.rows[0]
    assert assignment.balance_apply_move(move=first.row, applied_by=admin) == 1
    first.batch.refresh_from_db()
    assert first.batch.assigned_instructor == ben
    # The same move again: the batch's primary is not Ann any more.
    with pytest.raises(DomainError, match="its primary changed since the preview"):
        assignment.balance_apply_move(move=first.row, applied_by=admin)

    rest = assignment.balance_propose(course, tolerance_minutes=0, time_limit=5)
    assert len(rest.rows) == 1
    assert assignment.balance_apply(moves=[r.row for r in rest.rows], applied_by=admin) == 1
    taught = [b.assigned_instructor_id for b in type(first.batch).objects.filter(course=course)]
    assert sorted(taught) == sorted([ann.pk, ann.pk, ben.pk, ben.pk])
    done = assignment.balance_propose(course, tolerance_minutes=0, time_limit=5)
    assert done.rows == [] and done.max_deviation == 0


def test_applying_all_moves_is_all_or_nothing(lopsided, course, admin):
    proposal = assignment.balance_propose(course, tolerance_minutes=0, time_limit=5)
    moves = [r.row for r in proposal.rows]
    TrainerLeaveFactory(trainer=lopsided["ben"], start_date=TODAY, end_date=TODAY)
    with pytest.raises(DomainError, match="on leave"):
        assignment.balance_apply(moves=moves, applied_by=admin)
    for batch in lopsided["batches"]:
        batch.refresh_from_db()
        assert batch.assigned_instructor == lopsided["ann"]


def test_all_moves_apply_in_an_order_that_respects_caps(make_batch, course, admin):
    """Cy (cap 2, teaching two batches) takes Di's batch and gives one of his to Ed: the
    move that frees him is applied first, whatever order the moves come in."""
    cy, di, ed = trainer("Cy"), trainer("Di"), trainer("Ed")
    set_profile(cy, max_active_batches=2)
    cys = [
        make_batch(instructor=cy, batch_name=f"Cy {d}", schedule=[slot(d, "10:00", "12:00")])
        for d in (MON, TUE)
    ]
    di_batch = make_batch(instructor=di, batch_name="Di", schedule=[slot(WED, "10:00", "12:00")])
    roster(course, ed)
    # Applied in this order, Cy's move would hit his cap.
    moves = [
        AssignmentRow(di_batch.pk, "primary", cy.pk, di.pk),
        AssignmentRow(cys[0].pk, "primary", ed.pk, cy.pk),
    ]
    assert assignment.balance_apply(moves=moves, applied_by=admin) == 2
    di_batch.refresh_from_db()
    cys[0].refresh_from_db()
    assert (di_batch.assigned_instructor, cys[0].assigned_instructor) == (cy, ed)


def test_negative_tolerance_is_refused(course):
    with pytest.raises(DomainError, match="negative"):
        assignment.balance_propose(course, tolerance_minutes=-1)


# --- a new batch -----------------------------------------------------------------------------


def test_best_trainer_for_a_new_batch(lopsided, course):
    kwargs = {
        "course": course,
        "start_date": START,
        "end_date": END,
        "slots": [slot(FRI, "10:00", "12:00")],
    }
    choice = assignment.best_trainer_for(**kwargs)
    assert choice.trainer == lopsided["ben"]  # 0 h of a 5 h target; Ann is at her cap
    TrainerLeaveFactory(trainer=lopsided["ben"], start_date=TODAY, end_date=TODAY)
    choice = assignment.best_trainer_for(**kwargs)
    assert choice.trainer is None
    assert "Ben is on leave" in choice.reason
    assert "Ann already teaches 4 Active/Upcoming batches" in choice.reason


def test_best_trainer_prefers_the_one_furthest_below_target(make_batch, course):
    """Gil is far over target (he dominates the largest deviation whoever is chosen), Hal
    and Ivy are below: the solver is indifferent between them; Ivy is further below."""
    gil, hal, ivy = trainer("Gil"), trainer("Hal"), trainer("Ivy")
    for d in (MON, TUE, WED):
        make_batch(instructor=gil, batch_name=f"G{d}", schedule=[slot(d, "08:00", "12:00")])
    make_batch(instructor=hal, batch_name="H", schedule=[slot(THU, "10:00", "11:00")])
    roster(course, gil, percent=10)
    roster(course, hal, percent=45)
    roster(course, ivy, percent=45)
    choice = assignment.best_trainer_for(
        course=course, start_date=START, end_date=END, slots=[slot(FRI, "10:00", "11:00")]
    )
    assert choice.trainer == ivy


def test_best_trainer_without_a_roster(course):
    choice = assignment.best_trainer_for(
        course=course, start_date=START, end_date=END, slots=[slot(FRI, "10:00", "11:00")]
    )
    assert choice.trainer is None and "nobody on its roster" in choice.reason


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_applies_of_clashing_proposals_one_succeeds(small, course, make_batch, admin):
    """Two previews made apart propose Quinn for B1 (Mon 10-12) and for B3 (Mon 11-13), which
    clash: applied at the same moment, exactly one goes through."""
    b3 = make_batch(
        instructor=trainer("Third"), batch_name="B3", schedule=[slot(MON, "11:00", "13:00")]
    )
    q = small["q"]
    one = [AssignmentRow(small["b1"].pk, "assistant", q.pk)]
    other = [AssignmentRow(b3.pk, "assistant", q.pk)]
    outcomes = race(
        assignment.assignment_apply,
        [
            {"proposal_rows": one, "applied_by": admin},
            {"proposal_rows": other, "applied_by": admin},
        ],
    )
    assert [o.error for o in outcomes if o.error] == []
    assert sorted(o.ok for o in outcomes) == [False, True]
    assert "Schedule conflict" in next(o.message for o in outcomes if not o.ok)
    assert len(assistants_of(small["b1"]) | assistants_of(b3)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_applies_for_one_primary_one_succeeds(course, make_batch, admin):
    gone, ann, ben = trainer("Gone"), trainer("Ann"), trainer("Ben")
    batch = make_batch(instructor=gone, schedule=[slot(MON, "10:00", "12:00")])
    roster(course, ann)
    roster(course, ben)
    roster_update(entry=CourseTrainer.objects.get(trainer=gone), status=RosterStatus.INACTIVE)
    outcomes = race(
        assignment.assignment_apply,
        [
            {
                "proposal_rows": [AssignmentRow(batch.pk, "primary", t.pk, gone.pk)],
                "applied_by": admin,
            }
            for t in (ann, ben)
        ],
    )
    assert [o.error for o in outcomes if o.error] == []
    assert sorted(o.ok for o in outcomes) == [False, True]
    assert "its primary changed since the preview" in next(o.message for o in outcomes if not o.ok)
    batch.refresh_from_db()
    assert batch.assigned_instructor in (ann, ben)
