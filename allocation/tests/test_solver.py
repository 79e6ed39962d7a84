"""The pure assignment solver (allocation/solver.py): no database."""

import random
from dataclasses import replace

import pytest

from allocation import solver
from allocation.solver import Position, Problem, Solution, Trainer


def trainer(id, target=0, existing=0, free=None):
    return Trainer(id=id, target_minutes=target, existing_minutes=existing, free_batches=free)


def position(id, batch=None, eligible=(), minutes=60, role="primary", current=None):
    return Position(
        id=id,
        batch_id=id if batch is None else batch,
        role=role,
        minutes=minutes,
        eligible=frozenset(eligible),
        current=current,
    )


def figures(solution):
    return solution.assigned, solution.max_deviation, solution.moves


def not_worse(a: Solution, b: Solution) -> bool:
    """Lexicographic: more assigned, then smaller max deviation."""
    return (-a.assigned, a.max_deviation) <= (-b.assigned, b.max_deviation)


# --- validate ---------------------------------------------------------------------------------


@pytest.fixture
def small():
    """Trainers 1 and 2 (cap 1 each); batch 10 has a primary (1) and an assistant (2);
    position 3 (batch 11, held by trainer 2) clashes with position 1."""
    problem = Problem(
        trainers=(trainer(1, target=60, free=1), trainer(2, target=120, free=1)),
        positions=(
            position(1, batch=10, eligible={1, 2}),
            position(2, batch=10, eligible={1, 2}, role="assistant"),
            position(3, batch=11, eligible={2}, current=2),
        ),
        clashes=frozenset({(1, 3)}),
    )
    good = solver.solve(problem)
    return problem, good


def broken(problem, good, assignment, **figures_override):
    """``good`` with another assignment and its true figures (unless overridden)."""
    assigned, max_dev, moves = solver._figures(problem, assignment)
    reasons = {pid: "because" for pid, t in assignment.items() if t is None}
    values = {
        "assignment": assignment,
        "unassigned_reasons": reasons,
        "assigned": assigned,
        "max_deviation": max_dev,
        "moves": moves,
    }
    values.update(figures_override)
    return replace(good, **values)


def test_validate_accepts_the_solvers_solution(small):
    problem, good = small
    assert solver.validate(problem, good) == []
    # Two of three can be staffed; keeping trainer 2 on position 3 costs no move.
    assert good.assignment == {1: 1, 2: None, 3: 2}
    assert figures(good) == (2, 60, 0)
    assert good.unassigned_reasons == {2: "all 2 eligible trainers are taken: 2 at their batch cap"}


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ({1: 2, 2: 1, 3: 1}, "position 3 is assigned to trainer 1, who is not eligible"),
        ({1: 2, 2: None, 3: 2}, "trainer 2 holds clashing positions 1 and 3"),
        ({1: 2, 2: 2, 3: None}, "trainer 2 holds 2 roles in batch 10 (positions 1, 2)"),
        ({1: 9, 2: None, 3: None}, "position 1 is assigned to unknown trainer 9"),
        ({1: None, 2: None, 3: None, 4: 1}, "assignment names unknown position 4"),
        ({1: None, 2: None}, "position 3 is missing from the assignment"),
    ],
)
def test_validate_catches_rule_violations(small, assignment, message):
    problem, good = small
    errors = solver.validate(problem, broken(problem, good, assignment))
    assert message in errors


def test_validate_catches_a_cap_exceeded():
    problem = Problem(
        trainers=(trainer(1, free=1),),
        positions=(position(1, eligible={1}), position(2, eligible={1})),
        clashes=frozenset(),
    )
    good = solver.solve(problem)
    assert good.assigned == 1
    errors = solver.validate(problem, broken(problem, good, {1: 1, 2: 1}))
    assert errors == ["trainer 1 holds 2 positions but may take 1"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"assigned": 3}, "assigned is 3 but 2 positions are assigned"),
        ({"max_deviation": 0}, "max_deviation is 0 but is really 60"),
        ({"moves": 5}, "moves is 5 but is really 0"),
        ({"unassigned_reasons": {}}, "position 2 is unassigned without a reason"),
        (
            {"unassigned_reasons": {1: "x", 2: "y"}},
            "position 1 is assigned but has an unassigned reason",
        ),
    ],
)
def test_validate_catches_wrong_figures_and_reasons(small, override, message):
    problem, good = small
    errors = solver.validate(problem, broken(problem, good, good.assignment, **override))
    assert errors == [message]


def test_deviations_are_signed_per_trainer(small):
    problem, _ = small
    assert solver.deviations(problem, {1: 1, 2: 2, 3: None}) == {1: 0, 2: -60}
    assert solver.deviations(problem, {}) == {1: -60, 2: -120}


# --- solve and greedy -------------------------------------------------------------------------


def random_problem(rng: random.Random, *, with_current: bool = False) -> Problem:
    trainers = tuple(
        trainer(
            t,
            target=rng.choice((120, 240, 360)),
            existing=rng.choice((0, 0, 60)),
            free=rng.choice((None, 1, 2, 3)),
        )
        for t in range(1, rng.randint(2, 5) + 1)
    )
    ids = [t.id for t in trainers]
    positions, slots = [], {}
    for batch in range(1, rng.randint(3, 8) + 1):
        slots[batch] = (rng.randrange(3), rng.randrange(4))  # (day, hour) one-hour slot
        for role in ("primary", "assistant")[: rng.randint(1, 2)]:
            eligible = {t for t in ids if rng.random() < 0.5}
            positions.append(
                position(
                    len(positions) + 1,
                    batch=batch,
                    role=role,
                    minutes=rng.choice((60, 90, 120)),
                    eligible=eligible,
                    current=rng.choice(sorted(eligible)) if with_current and eligible else None,
                )
            )
    clashes = frozenset(
        (a.id, b.id)
        for a in positions
        for b in positions
        if a.id < b.id and a.batch_id != b.batch_id and slots[a.batch_id] == slots[b.batch_id]
    )
    return Problem(trainers=trainers, positions=tuple(positions), clashes=clashes)


@pytest.mark.parametrize("with_current", [False, True])
def test_solve_is_valid_optimal_and_never_worse_than_greedy_on_random_problems(with_current):
    rng = random.Random(20250601 + with_current)
    beaten = 0
    for _ in range(15):
        problem = random_problem(rng, with_current=with_current)
        best = solver.solve(problem, time_limit=5)
        base = solver.greedy(problem)
        assert solver.validate(problem, best) == []
        assert solver.validate(problem, base) == []
        assert best.status == "optimal" and best.proven_optimal
        assert base.status == "greedy" and not base.proven_optimal
        assert not_worse(best, base)
        beaten += (-best.assigned, best.max_deviation) < (-base.assigned, base.max_deviation)
    assert beaten  # the instances are not all trivial


def test_solve_finds_a_full_staffing_greedy_misses():
    # Greedy takes position 1 first (fewest eligible, then id) and gives it to trainer 1,
    # the furthest below target; positions 2 and 3 then share trainer 3 (cap 1).
    problem = Problem(
        trainers=(
            trainer(1, target=1000, free=1),
            trainer(2, target=100, free=1),
            trainer(3, target=100, free=1),
        ),
        positions=(
            position(1, eligible={1, 2}),
            position(2, eligible={1, 3}),
            position(3, eligible={1, 3}),
        ),
        clashes=frozenset(),
    )
    base = solver.greedy(problem)
    assert base.assignment == {1: 1, 2: 3, 3: None}
    assert base.unassigned_reasons == {3: "all 2 eligible trainers are taken: 2 at their batch cap"}
    best = solver.solve(problem)
    assert best.assignment == {1: 2, 2: 1, 3: 3} or best.assignment == {1: 2, 2: 3, 3: 1}
    assert (best.assigned, best.status, best.proven_optimal) == (3, "optimal", True)
    assert solver.validate(problem, best) == []


def test_solve_minimises_the_max_deviation_then_moves():
    # Trainer 1 holds both now; giving the 120-minute one to trainer 2 balances them exactly.
    problem = Problem(
        trainers=(trainer(1, target=120), trainer(2, target=120)),
        positions=(
            position(1, eligible={1, 2}, minutes=120, current=1),
            position(2, eligible={1, 2}, minutes=120, current=1),
        ),
        clashes=frozenset(),
    )
    best = solver.solve(problem)
    assert figures(best) == (2, 0, 1)
    assert best.assignment[1] != best.assignment[2]


def test_unassigned_reasons_are_specific():
    problem = Problem(
        trainers=(trainer(1, free=0), trainer(2), trainer(3, target=90)),
        positions=(
            position(1, eligible=set()),
            position(2, eligible={99}),  # unknown trainers do not count
            position(3, eligible={1}),
            # Trainer 2 can take 5 and 6 but then not 4 (same batch as 6, clashes with 5).
            position(4, batch=40, eligible={2}),
            position(5, batch=50, eligible={2}),
            position(6, batch=40, eligible={2}, role="assistant"),
            # 7, 8, 9 clash pairwise; trainer 3 reaches their target exactly with 7.
            position(7, eligible={3}, minutes=90),
            position(8, eligible={3}),
            position(9, eligible={1, 3}),
        ),
        clashes=frozenset({(4, 5), (7, 8), (7, 9), (8, 9)}),
    )
    best = solver.solve(problem)
    assert solver.validate(problem, best) == []
    assert {p: t for p, t in best.assignment.items() if t} == {5: 2, 6: 2, 7: 3}
    assert best.unassigned_reasons == {
        1: "no eligible trainer",
        2: "no eligible trainer",
        3: "the only eligible trainer is at their batch cap",
        4: "the only eligible trainer is already holding another role in this batch",
        8: "the only eligible trainer is already teaching a clashing batch",
        9: "all 2 eligible trainers are taken: 1 at their batch cap, "
        "1 already teaching a clashing batch",
    }


def test_empty_problem():
    empty = Problem(trainers=(), positions=(), clashes=frozenset())
    best = solver.solve(empty)
    assert (best.assignment, best.status, best.proven_optimal) == ({}, "optimal", True)
    assert figures(best) == (0, 0, 0)
    assert solver.greedy(empty).assignment == {}
    only_trainers = Problem(trainers=(trainer(1, target=90),), positions=())
    assert solver.solve(only_trainers).max_deviation == 90


def test_bad_arguments_are_refused():
    empty = Problem(trainers=(), positions=())
    with pytest.raises(ValueError, match="mode"):
        solver.solve(empty, mode="nonsense")
    with pytest.raises(ValueError, match="tolerance"):
        solver.solve(empty, mode="balance", tolerance=-1)


def test_a_tiny_time_limit_still_returns_a_valid_solution():
    rng = random.Random(7)
    problem = random_problem(rng)
    for limit in (0.0, 0.001):
        quick = solver.solve(problem, time_limit=limit)
        assert solver.validate(problem, quick) == []
        assert quick.status in {"greedy", "feasible", "optimal"}
        assert not_worse(quick, solver.greedy(problem))
        assert quick.wall_seconds < 1


# --- balance ----------------------------------------------------------------------------------


def balance_problem(target_2=120):
    """Trainer 1 holds 240 minutes (a 120 and two 60s) against a target of 120."""
    return Problem(
        trainers=(trainer(1, target=240 - target_2), trainer(2, target=target_2)),
        positions=(
            position(1, eligible={1, 2}, minutes=60, current=1),
            position(2, eligible={1, 2}, minutes=120, current=1),
            position(3, eligible={1, 2}, minutes=60, current=1),
        ),
        clashes=frozenset(),
    )


def test_balance_reaches_the_tolerance_with_the_fewest_moves():
    problem = balance_problem()
    best = solver.solve(problem, mode="balance", tolerance=0)
    assert solver.validate(problem, best) == []
    # Moving the 120-minute position is one move; the two 60s would be two.
    assert best.assignment == {1: 1, 2: 2, 3: 1}
    assert (best.moves, best.max_deviation, best.status) == (1, 0, "optimal")
    # A loose tolerance needs no move at all.
    loose = solver.solve(problem, mode="balance", tolerance=120)
    assert (loose.moves, loose.max_deviation) == (0, 120)


def test_balance_without_a_reachable_tolerance_gets_as_close_as_it_can():
    problem = balance_problem(target_2=100)  # targets 140 and 100: 20 off at best
    for tolerance in (0, None):
        best = solver.solve(problem, mode="balance", tolerance=tolerance)
        assert solver.validate(problem, best) == []
        assert (best.max_deviation, best.moves, best.status) == (20, 1, "optimal")
        assert best.assignment == {1: 1, 2: 2, 3: 1}


def test_balance_moves_a_holder_who_is_no_longer_eligible():
    problem = Problem(
        trainers=(trainer(1), trainer(2)),
        positions=(position(1, eligible={2}, current=1),),
        clashes=frozenset(),
    )
    best = solver.solve(problem, mode="balance")
    assert (best.assignment, best.moves) == ({1: 2}, 1)


def test_balance_is_infeasible_when_a_position_cannot_be_staffed():
    problem = Problem(
        trainers=(trainer(1, free=1),),
        positions=(position(1, eligible={1}, current=1), position(2, eligible=set(), current=1)),
        clashes=frozenset(),
    )
    best = solver.solve(problem, mode="balance")
    assert (best.status, best.proven_optimal, best.assigned) == ("infeasible", False, 0)
    assert best.unassigned_reasons[2] == "no eligible trainer"
    assert "1 position of the problem have no eligible trainer" in best.unassigned_reasons[1]
    assert solver.validate(problem, best) == []
    # Caps and clashes can make it infeasible too.
    capped = Problem(
        trainers=(trainer(1, free=1),),
        positions=(position(1, eligible={1}, current=1), position(2, eligible={1}, current=1)),
        clashes=frozenset(),
    )
    best = solver.solve(capped, mode="balance", tolerance=0)
    assert best.status == "infeasible"
    assert best.unassigned_reasons[1] == (
        "balancing needs every position staffed, and the caps and conflicts allow no way"
    )
    assert solver.validate(capped, best) == []
