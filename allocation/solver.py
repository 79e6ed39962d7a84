"""Optimal trainer assignment and workload balancing: the pure optimisation core.

No Django here: ``assignment.py`` builds a ``Problem`` from the database and applies what
``solve`` proposes. Everything is integer minutes.

A **position** is one teaching role of one batch (its primary or an assistant). A trainer may
hold a position only if they are in its ``eligible`` set (the hard rules the caller checked:
roster, role, status, leave, availability, clashes with duties outside the problem), at most
``free_batches`` positions of the problem in all (the caller counts positions of the problem a
trainer holds now as free room, since they may move), never two positions whose schedules
clash (``Problem.clashes``) and never two roles of one batch.

A trainer's **deviation** is ``existing_minutes + minutes of the positions they get −
target_minutes``; a **move** is a position with a ``current`` holder that ends up with someone
else (or nobody).

``solve`` uses CP-SAT and optimises lexicographically, one phase per criterion; each phase
fixes the optimum of the previous ones as a constraint and starts from (hints) the previous
solution, all within one overall time limit:

- ``mode="assign"``: (1) most positions assigned, (2) smallest maximum |deviation|,
  (3) fewest moves.
- ``mode="balance"``: every position must be assigned. With a ``tolerance``: fewest moves that
  bring every trainer within the tolerance, then the smallest maximum |deviation| with those
  moves; when no assignment reaches the tolerance, as without one: smallest maximum
  |deviation|, then fewest moves.

The model has one Boolean per eligible (position, trainer) pair only. Clashes and one-role-per-
batch are both "conflicts" between positions; the conflict graph is covered by cliques once
(``_clique_cover``) and each trainer gets one ``AddAtMostOne`` per clique over the positions of
it they are eligible for. Each trainer's reachable deviations are bounded beforehand by a
subset-sum over their eligible positions' minutes (``_deviation_floor``), which gives the
maximum-deviation variable a lower bound that often proves the optimum at once.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

SEED = 8  # CP-SAT random seed: the same problem gives the same answer (up to time limits)
MODES = ("assign", "balance")
_MIN_PHASE_SECONDS = 0.01  # less time than this left: stop with what the earlier phases found
_SEARCH_SHARE = 0.3  # of the time limit, at most, for the local search that makes the hints
_LIGHT_PRESOLVE_ABOVE = 3000  # (position, trainer) pairs


@dataclass(frozen=True)
class Trainer:
    id: int
    target_minutes: int  # weekly teaching minutes the trainer should have (workload target)
    existing_minutes: int  # weekly minutes already taught outside the positions of the problem
    free_batches: int | None  # how many positions of the problem they may hold; None = no cap


@dataclass(frozen=True)
class Position:
    id: int  # unique within the problem
    batch_id: int
    role: str  # "primary" or "assistant"
    minutes: int  # weekly minutes of the batch
    eligible: frozenset[int]  # trainer ids the hard rules allow
    current: int | None = None  # trainer holding it now (balancing / keep staffing), if any


@dataclass(frozen=True)
class Problem:
    trainers: tuple[Trainer, ...]
    positions: tuple[Position, ...]
    # Pairs of position ids (a < b) whose schedules overlap: one trainer can't hold both.
    # Two positions of one batch can't go to one trainer either (derived from batch_id).
    clashes: frozenset[tuple[int, int]] = field(default_factory=frozenset)


@dataclass
class Solution:
    assignment: dict[int, int | None]  # position id → trainer id (None = left unassigned)
    unassigned_reasons: dict[int, str]  # position id → why it is unassigned
    status: str  # "optimal" | "feasible" | "infeasible" | "greedy"
    proven_optimal: bool
    max_deviation: int  # max over trainers of |existing + assigned minutes − target|
    moves: int  # positions with a `current` whose trainer differs from it
    assigned: int
    wall_seconds: float
    # CP-SAT's objective bound of the max-deviation phase (``BestObjectiveBound``): no
    # assignment that staffs as many positions deviates less. None when that phase did not run.
    bound: int | None = None


# --- shared helpers ---------------------------------------------------------------------------


class _Index:
    """The problem's lookups: trainers and positions by id, eligibility restricted to known
    trainers with room, and the conflict graph (clashes plus same-batch pairs)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.trainers = {t.id: t for t in problem.trainers}
        self.positions = {p.id: p for p in problem.positions}
        self.order = [p.id for p in problem.positions]
        # Eligible and known; "usable" also has room for at least one position.
        self.eligible = {
            p.id: tuple(sorted(t for t in p.eligible if t in self.trainers))
            for p in problem.positions
        }
        self.usable = {
            pid: tuple(t for t in ts if self.cap(t) > 0) for pid, ts in self.eligible.items()
        }
        self.usable_sets = {pid: frozenset(ts) for pid, ts in self.usable.items()}
        self.adj: dict[int, set[int]] = {pid: set() for pid in self.order}
        for a, b in problem.clashes:
            if a != b and a in self.positions and b in self.positions:
                self.adj[a].add(b)
                self.adj[b].add(a)
        by_batch: dict[int, list[int]] = defaultdict(list)
        for p in problem.positions:
            by_batch[p.batch_id].append(p.id)
        for ids in by_batch.values():
            for a in ids:
                self.adj[a].update(b for b in ids if b != a)

    def cap(self, trainer_id: int) -> int:
        free = self.trainers[trainer_id].free_batches
        return len(self.order) if free is None else max(free, 0)


def deviations(problem: Problem, assignment: dict[int, int | None]) -> dict[int, int]:
    """Trainer id → signed deviation in minutes (existing + assigned − target). Assignments
    to unknown positions or trainers are ignored (``validate`` reports them)."""
    dev = {t.id: t.existing_minutes - t.target_minutes for t in problem.trainers}
    minutes = {p.id: p.minutes for p in problem.positions}
    for pid, tid in assignment.items():
        if tid is not None and tid in dev and pid in minutes:
            dev[tid] += minutes[pid]
    return dev


def _figures(problem: Problem, assignment: dict[int, int | None]) -> tuple[int, int, int]:
    """(assigned, max |deviation|, moves) of ``assignment``."""
    assigned = sum(1 for p in problem.positions if assignment.get(p.id) is not None)
    max_dev = max((abs(d) for d in deviations(problem, assignment).values()), default=0)
    moves = sum(
        1 for p in problem.positions if p.current is not None and assignment.get(p.id) != p.current
    )
    return assigned, max_dev, moves


def _better(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Whether figures ``a`` beat ``b``: more assigned, then smaller max deviation, then
    fewer moves."""
    return (-a[0], a[1], a[2]) < (-b[0], b[1], b[2])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _reasons(idx: _Index, assignment: dict[int, int | None], stopped: str) -> dict[int, str]:
    """Why each unassigned position is unassigned, judged against the final assignment."""
    held: dict[int, set[int]] = defaultdict(set)
    for pid, tid in assignment.items():
        if tid is not None:
            held[tid].add(pid)
    reasons = {}
    for pid in idx.order:
        if assignment.get(pid) is not None:
            continue
        eligible = idx.eligible[pid]
        if not eligible:
            reasons[pid] = "no eligible trainer"
            continue
        batch = idx.positions[pid].batch_id
        at_cap = same_batch = clash = free = 0
        for t in eligible:
            mine = held[t]
            if len(mine) >= idx.cap(t):
                at_cap += 1
            elif any(idx.positions[q].batch_id == batch for q in mine):
                same_batch += 1
            elif mine & idx.adj[pid]:
                clash += 1
            else:
                free += 1
        if free:
            reasons[pid] = stopped
            continue
        parts = []
        if at_cap:
            parts.append(f"{at_cap} at their batch cap")
        if clash:
            parts.append(f"{clash} already teaching a clashing batch")
        if same_batch:
            parts.append(f"{same_batch} already holding another role in this batch")
        if len(eligible) == 1:
            what = parts[0].split(" ", 1)[1]
            reasons[pid] = f"the only eligible trainer is {what}"
        else:
            reasons[pid] = f"all {len(eligible)} eligible trainers are taken: {', '.join(parts)}"
    return reasons


def _solution(
    idx: _Index,
    assignment: dict[int, int | None],
    *,
    status: str,
    proven: bool,
    start: float,
    stopped: str = "left unassigned although an eligible trainer is free "
    "(the solver stopped at its time limit)",
    reasons: dict[int, str] | None = None,
    bound: int | None = None,
) -> Solution:
    assignment = {pid: assignment.get(pid) for pid in idx.order}
    assigned, max_dev, moves = _figures(idx.problem, assignment)
    return Solution(
        assignment=assignment,
        unassigned_reasons=reasons if reasons is not None else _reasons(idx, assignment, stopped),
        status=status,
        proven_optimal=proven,
        max_deviation=max_dev,
        moves=moves,
        assigned=assigned,
        wall_seconds=time.perf_counter() - start,
        bound=bound,
    )


# --- greedy baseline --------------------------------------------------------------------------


def _greedy_assignment(idx: _Index) -> dict[int, int | None]:
    load = {t.id: t.existing_minutes - t.target_minutes for t in idx.problem.trainers}
    count: dict[int, int] = defaultdict(int)
    held: dict[int, set[int]] = defaultdict(set)
    assignment: dict[int, int | None] = dict.fromkeys(idx.order)
    for pid in sorted(idx.order, key=lambda pid: (len(idx.eligible[pid]), pid)):
        best = None
        for t in idx.usable[pid]:
            if count[t] >= idx.cap(t) or held[t] & idx.adj[pid]:
                continue
            if best is None or (load[t], t) < (load[best], best):
                best = t
        if best is not None:
            assignment[pid] = best
            load[best] += idx.positions[pid].minutes
            count[best] += 1
            held[best].add(pid)
    return assignment


def greedy(problem: Problem) -> Solution:
    """The baseline: positions in order of fewest eligible trainers first (then id), each to
    the eligible trainer furthest below target (then lowest id) with room and no conflict."""
    start = time.perf_counter()
    idx = _Index(problem)
    return _solution(
        idx,
        _greedy_assignment(idx),
        status="greedy",
        proven=False,
        start=start,
        stopped="left unassigned by the greedy baseline",
    )


# --- validation -------------------------------------------------------------------------------


def validate(problem: Problem, solution: Solution) -> list[str]:
    """Every way ``solution`` breaks ``problem``'s rules or misstates its figures, as readable
    strings; ``[]`` when it is valid. Independent of the solver (pairwise checks only)."""
    errors: list[str] = []
    trainers = {t.id: t for t in problem.trainers}
    positions = {p.id: p for p in problem.positions}
    assignment = solution.assignment
    for pid in sorted(set(assignment) - set(positions)):
        errors.append(f"assignment names unknown position {pid}")
    for pid in positions:
        if pid not in assignment:
            errors.append(f"position {pid} is missing from the assignment")
    held: dict[int, list[int]] = defaultdict(list)
    for pid, tid in assignment.items():
        if tid is None or pid not in positions:
            continue
        if tid not in trainers:
            errors.append(f"position {pid} is assigned to unknown trainer {tid}")
            continue
        if tid not in positions[pid].eligible:
            errors.append(f"position {pid} is assigned to trainer {tid}, who is not eligible")
        held[tid].append(pid)
    for tid, pids in sorted(held.items()):
        free = trainers[tid].free_batches
        if free is not None and len(pids) > max(free, 0):
            errors.append(f"trainer {tid} holds {len(pids)} positions but may take {max(free, 0)}")
        by_batch: dict[int, list[int]] = defaultdict(list)
        for pid in pids:
            by_batch[positions[pid].batch_id].append(pid)
        for batch, same in sorted(by_batch.items()):
            if len(same) > 1:
                errors.append(
                    f"trainer {tid} holds {len(same)} roles in batch {batch} "
                    f"(positions {', '.join(map(str, sorted(same)))})"
                )
    for a, b in sorted(problem.clashes):
        ta, tb = assignment.get(a), assignment.get(b)
        if ta is not None and ta == tb:
            errors.append(f"trainer {ta} holds clashing positions {a} and {b}")
    for p in problem.positions:
        unassigned = assignment.get(p.id) is None
        if unassigned and not solution.unassigned_reasons.get(p.id):
            errors.append(f"position {p.id} is unassigned without a reason")
        if not unassigned and p.id in solution.unassigned_reasons:
            errors.append(f"position {p.id} is assigned but has an unassigned reason")
    assigned, max_dev, moves = _figures(problem, assignment)
    if solution.assigned != assigned:
        errors.append(f"assigned is {solution.assigned} but {assigned} positions are assigned")
    if solution.max_deviation != max_dev:
        errors.append(f"max_deviation is {solution.max_deviation} but is really {max_dev}")
    if solution.moves != moves:
        errors.append(f"moves is {solution.moves} but is really {moves}")
    return errors


# --- local search (hints) ---------------------------------------------------------------------


class _Search:
    """Local search that turns the greedy assignment into a good starting point (hint) for
    CP-SAT, which alone is slow to find balanced assignments of hundreds of positions. Every
    step keeps the assignment valid and never lowers the number assigned:

    - ``augment``: staff an unassigned position by moving one blocking position of an
      eligible trainer to someone else (a short augmenting path);
    - ``balance``: move a position to another trainer, or swap two, when that lowers the pair
      of trainers' (larger |deviation|, sum of squared deviations), so the maximum deviation
      never grows;
    - ``revert``: give moved positions back to their current holder (directly or by a swap)
      while every deviation stays within a bound.
    """

    def __init__(self, idx: _Index, assignment: dict[int, int | None], deadline: float):
        self.idx = idx
        self.deadline = deadline
        self.minutes = {pid: p.minutes for pid, p in idx.positions.items()}
        self.owner: dict[int, int | None] = {pid: assignment.get(pid) for pid in idx.order}
        self.held: dict[int, set[int]] = defaultdict(set)
        self.dev = {t.id: t.existing_minutes - t.target_minutes for t in idx.problem.trainers}
        for pid in idx.order:
            # Start from the valid part of ``assignment`` (a current holder may be ineligible).
            t = self.owner[pid]
            self.owner[pid] = None
            if t is not None and t in idx.usable_sets[pid] and self._fits(t, pid):
                self._give(pid, t)

    def _late(self) -> bool:
        return time.perf_counter() >= self.deadline

    def _fits(self, u: int, p: int, drop: int | None = None) -> bool:
        """Whether trainer ``u`` may take position ``p`` while giving up ``drop``."""
        held = self.held[u]
        if len(held) - (drop is not None) >= self.idx.cap(u):
            return False
        adj = self.idx.adj[p]
        return not any(q in adj for q in held if q != drop)

    def _give(self, p: int, u: int | None) -> None:
        t = self.owner[p]
        if t is not None:
            self.held[t].discard(p)
            self.dev[t] -= self.minutes[p]
        self.owner[p] = u
        if u is not None:
            self.held[u].add(p)
            self.dev[u] += self.minutes[p]

    def assignment(self) -> dict[int, int | None]:
        return dict(self.owner)

    def max_deviation(self) -> int:
        return max((abs(d) for d in self.dev.values()), default=0)

    def augment(self) -> None:
        idx = self.idx
        for q in sorted(idx.order, key=lambda q: (len(idx.usable[q]), q)):
            if self.owner[q] is not None or self._late():
                continue
            for t in idx.usable[q]:
                if self._fits(t, q):
                    self._give(q, t)
                    break
                blockers = [b for b in self.held[t] if b in idx.adj[q]]
                if len(blockers) > 1:
                    continue
                candidates = blockers or sorted(self.held[t])
                if self._eject(t, q, candidates):
                    break

    def _eject(self, t: int, q: int, candidates: list[int]) -> bool:
        """Move one of ``candidates`` (positions of ``t``) elsewhere so ``t`` can take ``q``."""
        for b in candidates:
            for u in self.idx.usable[b]:
                if u != t and self._fits(u, b):
                    self._give(b, u)
                    if self._fits(t, q):
                        self._give(q, t)
                        return True
                    self._give(b, t)
        return False

    def balance(self) -> None:
        idx, minutes, dev, owner = self.idx, self.minutes, self.dev, self.owner
        improved = True
        while improved and not self._late():
            improved = False
            for p in idx.order:
                t = owner[p]
                if t is None:
                    continue
                m, dt = minutes[p], dev[t]
                for u in idx.usable[p]:
                    if u == t:
                        continue
                    du = dev[u]
                    old = (max(abs(dt), abs(du)), dt * dt + du * du)
                    if _pair(dt - m, du + m) < old and self._fits(u, p):
                        self._give(p, u)
                        improved = True
                        break
                    if self._swap_with(p, t, u, old):
                        improved = True
                        break
                if self._late():
                    return

    def _swap_with(self, p: int, t: int, u: int, old: tuple[int, int]) -> bool:
        dt, du, m = self.dev[t], self.dev[u], self.minutes[p]
        for q in self.held[u]:
            delta = m - self.minutes[q]
            if (
                delta
                and t in self.idx.usable_sets[q]
                and _pair(dt - delta, du + delta) < old
                and self._fits(u, p, drop=q)
                and self._fits(t, q, drop=p)
            ):
                self._give(q, None)
                self._give(p, u)
                self._give(q, t)
                return True
        return False

    def revert(self, bound: int) -> None:
        """Fewer moves with every |deviation| ≤ ``bound`` (when it already is)."""
        idx, minutes, dev, owner = self.idx, self.minutes, self.dev, self.owner
        current = {pid: p.current for pid, p in idx.positions.items()}
        for p in idx.order:
            c, t = current[p], owner[p]
            if self._late():
                return
            if c is None or c == t or c not in idx.usable_sets[p]:
                continue
            m = minutes[p]
            if t is None:
                if abs(dev[c] + m) <= bound and self._fits(c, p):
                    self._give(p, c)
                continue
            if abs(dev[t] - m) <= bound and abs(dev[c] + m) <= bound and self._fits(c, p):
                self._give(p, c)
                continue
            # Swap: c takes p back and gives t a position q whose holder may change freely.
            for q in list(self.held[c]):
                delta = m - minutes[q]
                if (
                    current[q] != c
                    and t in idx.usable_sets[q]
                    and abs(dev[t] - delta) <= bound
                    and abs(dev[c] + delta) <= bound
                    and self._fits(c, p, drop=q)
                    and self._fits(t, q, drop=p)
                ):
                    self._give(q, None)
                    self._give(p, c)
                    self._give(q, t)
                    break


def _pair(a: int, b: int) -> tuple[int, int]:
    return max(abs(a), abs(b)), a * a + b * b


# --- CP-SAT -----------------------------------------------------------------------------------


def _clique_cover(idx: _Index) -> list[list[int]]:
    """Cliques of the conflict graph covering every edge (greedy: grow each clique from an
    uncovered edge through common neighbours, preferring those closing uncovered edges).
    Schedules make the graph a union of interval graphs, so the cliques are the "everyone
    teaching at this moment" sets and few."""
    adj = idx.adj
    uncovered = {v: set(ns) for v, ns in adj.items()}
    cliques = []
    for v in sorted(adj, key=lambda v: (-len(adj[v]), v)):
        while uncovered[v]:
            u = min(uncovered[v])
            clique = [v, u]
            members = {v, u}
            candidates = adj[v] & adj[u]
            while candidates:
                w = max(
                    candidates,
                    key=lambda w: (len(uncovered[w] & members), len(adj[w] & candidates), -w),
                )
                clique.append(w)
                members.add(w)
                candidates &= adj[w]
            for a in clique:
                uncovered[a] -= members
            cliques.append(clique)
    return cliques


def _reachable(minutes: list[int], cap: int, limit: int) -> int:
    """Bitset of the sums ≤ ``limit`` of at most ``cap`` of ``minutes`` (bit s: sum s)."""
    mask = (1 << (limit + 1)) - 1
    if cap >= len(minutes):
        sums = 1
        for m in minutes:
            sums |= (sums << m) & mask
        return sums
    reach = [1] + [0] * cap  # reach[k]: bit s set when some k positions sum to s
    for m in minutes:
        for k in range(cap, 0, -1):
            reach[k] |= (reach[k - 1] << m) & mask
    sums = 0
    for r in reach:
        sums |= r
    return sums


def _window(sums: int, low: int, high: int) -> tuple[int, int] | None:
    """The smallest and largest sum of the bitset ``sums`` within [low, high], if any."""
    low = max(low, 0)
    if high < low:
        return None
    bits = (sums >> low) & ((1 << (high - low + 1)) - 1)
    if not bits:
        return None
    return low + (bits & -bits).bit_length() - 1, low + bits.bit_length() - 1


def _deviation_floor(trainer: Trainer, minutes: list[int], cap: int) -> tuple[int, int]:
    """(smallest, largest) |deviation| the trainer can reach holding at most ``cap`` of the
    positions with these ``minutes`` (ignoring conflicts): a subset sum on bitsets."""
    base = trainer.existing_minutes - trainer.target_minutes
    cap = min(cap, len(minutes))
    if cap == 0:
        return abs(base), abs(base)
    total = sum(sorted(minutes, reverse=True)[:cap])
    # The smallest sum at or above -base is at most -base + the longest position (else drop
    # one of its positions), so larger sums never matter.
    limit = min(total, max(0, -base) + max(minutes))
    sums = _reachable(minutes, cap, limit)
    below = _window(sums, 0, -base)
    above = _window(sums, -base, limit)
    best = min(
        abs(base + below[1]) if below else abs(base),
        abs(base + above[0]) if above else abs(base),
    )
    return best, max(abs(base), abs(base + total))


def _spread_floor(idx: _Index, by_trainer: dict[int, list[int]], upper: int) -> int:
    """A bound on the max deviation when the assigned positions are fixed (all of them are
    assigned): the smallest d such that each trainer can reach (subset sums, ignoring
    conflicts) some deviation in [-d, d] and those can add up to the fixed total deviation.
    It sees both the minutes' granularity and a shortfall (or excess) shared by everyone."""
    trainers = idx.problem.trainers
    total = sum(t.existing_minutes - t.target_minutes for t in trainers) + sum(
        idx.positions[pid].minutes for pid in idx.order if idx.usable[pid]
    )
    reach = []
    for t in trainers:
        base = t.existing_minutes - t.target_minutes
        minutes = [idx.positions[pid].minutes for pid in by_trainer.get(t.id, [])]
        limit = max(0, upper - base)
        reach.append((base, _reachable(minutes, idx.cap(t.id), limit)))

    def possible(d: int) -> bool:
        lowest = highest = 0
        for base, sums in reach:
            found = _window(sums, -d - base, d - base)
            if found is None:
                return False
            lowest += base + found[0]
            highest += base + found[1]
        return lowest <= total <= highest

    low, high = 0, upper
    if not possible(high):
        return 0  # cannot happen for an achieved ``upper``; no bound then
    while low < high:
        mid = (low + high) // 2
        if possible(mid):
            high = mid
        else:
            low = mid + 1
    return low


class _Model:
    """The CP-SAT model of a problem: x[p, t] per usable pair, each position at most (or, when
    balancing, exactly) once, caps, conflict cliques per trainer, and D ≥ |deviation| of
    every trainer (D ≤ ``d_max`` when given)."""

    def __init__(self, idx: _Index, *, exact: bool, d_max: int | None = None):
        self.idx = idx
        m = self.model = cp_model.CpModel()
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        self.by_trainer = by_trainer = defaultdict(list)
        for pid in idx.order:
            for t in idx.usable[pid]:
                self.x[pid, t] = m.new_bool_var(f"x{pid}_{t}")
                by_trainer[t].append(pid)
        for pid in idx.order:
            row = [self.x[pid, t] for t in idx.usable[pid]]
            if exact:
                m.add_exactly_one(row)
            elif len(row) > 1:
                m.add_at_most_one(row)
        for t, pids in by_trainer.items():
            if idx.cap(t) < len(pids):
                m.add(cp_model.LinearExpr.sum([self.x[pid, t] for pid in pids]) <= idx.cap(t))
        for clique in _clique_cover(idx):
            rows: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            for pid in clique:
                for t in idx.usable[pid]:
                    rows[t].append(self.x[pid, t])
            for row in rows.values():
                if len(row) > 1:
                    m.add_at_most_one(row)
        floor = ceiling = 0
        dev_terms = []
        for trainer in idx.problem.trainers:
            pids = by_trainer.get(trainer.id, [])
            minutes = [idx.positions[pid].minutes for pid in pids]
            low, high = _deviation_floor(trainer, minutes, idx.cap(trainer.id))
            floor, ceiling = max(floor, low), max(ceiling, high)
            if pids:
                base = trainer.existing_minutes - trainer.target_minutes
                variables = [self.x[pid, trainer.id] for pid in pids]
                dev_terms.append(cp_model.LinearExpr.weighted_sum(variables, minutes) + base)
        self.d_floor = floor
        if d_max is not None:
            ceiling = min(ceiling, d_max)
        # D ≥ every |deviation|; its floor (often the optimum) comes from the subset sums.
        self.d = m.new_int_var(floor, max(floor, ceiling), "max_deviation")
        if d_max is not None and floor > d_max:
            m.add(self.d <= d_max)  # the tolerance is out of reach: infeasible
        for expr in dev_terms:
            m.add(self.d >= expr)
            m.add(self.d >= -expr)
        self.assigned = cp_model.LinearExpr.sum(list(self.x.values()))
        # Moves: positions with a current holder not kept (forced when the holder is not
        # usable any more).
        kept = []
        with_current = 0
        for pid in idx.order:
            current = idx.positions[pid].current
            if current is not None:
                with_current += 1
                if (pid, current) in self.x:
                    kept.append(self.x[pid, current])
        self.has_moves = bool(kept)
        self.moves = with_current - cp_model.LinearExpr.sum(kept)

    def hint(self, assignment: dict[int, int | None]) -> None:
        m = self.model
        m.clear_hints()
        for (pid, t), var in self.x.items():
            m.add_hint(var, assignment.get(pid) == t)
        dev = deviations(self.idx.problem, assignment)
        m.add_hint(self.d, max(self.d_floor, max((abs(d) for d in dev.values()), default=0)))

    def assignment_of(self, solver: cp_model.CpSolver) -> dict[int, int | None]:
        assignment: dict[int, int | None] = dict.fromkeys(self.idx.order)
        for (pid, t), var in self.x.items():
            if solver.boolean_value(var):
                assignment[pid] = t
        return assignment


class _Phases:
    """Runs lexicographic phases on one model within one deadline."""

    def __init__(self, model: _Model, *, deadline: float, workers: int):
        self.model = model
        self.deadline = deadline
        self.workers = workers
        self.proven = True
        self.best: dict[int, int | None] | None = None
        self.infeasible = False
        self.bound: int | None = None  # of the max-deviation phase, once it has run

    def run(self, objective, *, maximize: bool, hint: dict[int, int | None] | None) -> bool:
        """One phase: optimise ``objective``, then keep it at least as good in later phases.
        False when the phase found nothing (time up, or infeasible: see ``infeasible``)."""
        remaining = self.deadline - time.perf_counter()
        if remaining < _MIN_PHASE_SECONDS:
            self.proven = False
            return False
        m = self.model.model
        start_from = self.best if self.best is not None else hint
        if start_from is not None:
            self.model.hint(start_from)
        if maximize:
            m.maximize(objective)
        else:
            m.minimize(objective)
        solver = cp_model.CpSolver()
        params = solver.parameters
        # CP-SAT overshoots its limit a little on big models (stopping, copying back).
        params.max_time_in_seconds = max(
            _MIN_PHASE_SECONDS, remaining - 0.05 - 4e-5 * len(self.model.x)
        )
        params.num_workers = self.workers
        params.random_seed = SEED
        if len(self.model.x) > _LIGHT_PRESOLVE_ABOVE:
            # CP-SAT's full presolve of a big model takes seconds and gains little here
            # (the model is already in clique form): keep it short.
            params.cp_model_probing_level = 0
            params.max_presolve_iterations = 1
            params.symmetry_level = 0
            params.find_big_linear_overlap = False
        status = solver.solve(m)
        if status == cp_model.INFEASIBLE:
            self.infeasible = True
            return False
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.proven = False
            return False
        if status != cp_model.OPTIMAL:
            self.proven = False
        value = round(solver.objective_value)
        if objective is self.model.d:
            self.bound = max(self.model.d_floor, math.ceil(solver.best_objective_bound - 1e-6))
        self.best = self.model.assignment_of(solver)
        if maximize:
            m.add(objective >= value)
        else:
            m.add(objective <= value)
        return True

    def settle(self, objective, value: int, assignment: dict[int, int | None], *, maximize: bool):
        """A phase whose optimum is known without solving (it meets a bound)."""
        if objective is self.model.d:
            self.bound = value
        self.best = assignment
        self.model.model.add(objective >= value if maximize else objective <= value)


def solve(
    problem: Problem,
    *,
    time_limit: float = 10.0,
    mode: str = "assign",
    tolerance: int | None = None,
    workers: int = 2,
) -> Solution:
    """The best assignment CP-SAT finds within ``time_limit`` seconds (see the module
    docstring for what "best" means per mode). ``status`` is "optimal" when every phase was
    proven optimal, "feasible" when time ran out first (the best found so far), "greedy" when
    the greedy baseline was better than anything found in time (it is returned instead), and
    "infeasible" when balancing cannot assign every position: then nothing is assigned and
    every position says why."""
    start = time.perf_counter()
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if tolerance is not None and tolerance < 0:
        raise ValueError("tolerance cannot be negative")
    deadline = start + time_limit
    idx = _Index(problem)
    if not idx.order:
        return _solution(idx, {}, status="optimal", proven=True, start=start)
    searching = start + _SEARCH_SHARE * time_limit
    if mode == "balance":
        return _balance(
            idx,
            deadline=deadline,
            searching=searching,
            tolerance=tolerance,
            workers=workers,
            start=start,
        )
    return _assign(idx, deadline=deadline, searching=searching, workers=workers, start=start)


def _finish(
    idx: _Index, phases: _Phases, fallback: dict[int, int | None], *, start: float
) -> Solution:
    """The phases' result, or the fallback assignment when it is better (or nothing was
    found in time)."""
    if phases.best is not None:
        found = _figures(idx.problem, phases.best)
        if not _better(_figures(idx.problem, fallback), found):
            status = "optimal" if phases.proven else "feasible"
            return _solution(
                idx,
                phases.best,
                status=status,
                proven=phases.proven,
                start=start,
                bound=phases.bound,
            )
    return _solution(idx, fallback, status="greedy", proven=False, start=start, bound=phases.bound)


def _count(assignment: dict[int, int | None]) -> int:
    return sum(1 for t in assignment.values() if t is not None)


def _assign(
    idx: _Index, *, deadline: float, searching: float, workers: int, start: float
) -> Solution:
    baseline = _greedy_assignment(idx)
    model = _Model(idx, exact=False)
    phases = _Phases(model, deadline=deadline, workers=workers)
    # Phase 1: most positions assigned.
    search = _Search(idx, baseline, searching)
    search.augment()
    hint = search.assignment()
    # Bounds ignoring clashes: the usable positions, and the trainers' room for them.
    room = sum(min(idx.cap(t), len(pids)) for t, pids in model.by_trainer.items())
    bound = min(sum(1 for pid in idx.order if idx.usable[pid]), room)
    if _count(hint) >= bound:
        phases.settle(model.assigned, _count(hint), hint, maximize=True)
    elif not phases.run(model.assigned, maximize=True, hint=hint):
        return _finish(idx, phases, baseline, start=start)
    # Phase 2: smallest max deviation; the subset-sum floor is a bound.
    assert phases.best is not None
    _min_deviation(model, phases, searching)
    # Phase 3: fewest moves (only positions with a current holder can move).
    if phases.best is not None and model.has_moves:
        phases.run(model.moves, maximize=False, hint=None)
    return _finish(idx, phases, baseline, start=start)


def _min_deviation(model: _Model, phases: _Phases, searching: float) -> None:
    """The max-deviation phase, from a locally improved hint; skipped (proven) when the hint
    reaches the floor."""
    assert phases.best is not None
    search = _Search(model.idx, phases.best, searching)
    search.balance()
    if model.has_moves:
        search.revert(search.max_deviation())
    hint = search.assignment()
    if _count(hint) == sum(1 for pid in model.idx.order if model.idx.usable[pid]):
        # Every position is assigned (the earlier phase's optimum): the total is fixed.
        floor = _spread_floor(model.idx, model.by_trainer, search.max_deviation())
        if floor > model.d_floor:
            model.d_floor = floor
            model.model.add(model.d >= floor)
    if search.max_deviation() <= model.d_floor:
        phases.settle(model.d, model.d_floor, hint, maximize=False)
    else:
        phases.best = hint
        phases.run(model.d, maximize=False, hint=None)


def _balance(
    idx: _Index,
    *,
    deadline: float,
    searching: float,
    tolerance: int | None,
    workers: int,
    start: float,
) -> Solution:
    missing = [pid for pid in idx.order if not idx.usable[pid]]
    keep = {pid: idx.positions[pid].current for pid in idx.order}
    if missing:
        return _balanced(idx, None, keep, start=start, missing=missing)
    search = _Search(idx, keep, searching)
    search.augment()
    search.balance()
    balanced = search.assignment()
    if tolerance is not None:
        model = _Model(idx, exact=True, d_max=tolerance)
        if model.d_floor <= tolerance:
            phases = _Phases(model, deadline=deadline, workers=workers)
            hint = None
            if search.max_deviation() <= tolerance and _count(balanced) == len(idx.order):
                search.revert(tolerance)
                hint = search.assignment()
            phases.run(model.moves, maximize=False, hint=hint)
            if not phases.infeasible:  # found, or time ran out before anything was found
                return _balanced(idx, phases, keep, start=start)
        # No assignment reaches the tolerance: get as close to the targets as possible.
    model = _Model(idx, exact=True)
    phases = _Phases(model, deadline=deadline, workers=workers)
    if _count(balanced) == len(idx.order):
        phases.best = balanced
        _min_deviation(model, phases, searching)
    else:
        phases.run(model.d, maximize=False, hint=keep)
    if phases.best is not None and model.has_moves:
        phases.run(model.moves, maximize=False, hint=None)
    return _balanced(idx, phases, keep, start=start)


def _balanced(
    idx: _Index,
    phases: _Phases | None,
    keep: dict[int, int | None],
    *,
    start: float,
    missing: list[int] | None = None,
) -> Solution:
    if phases is not None and phases.best is not None:
        status = "optimal" if phases.proven else "feasible"
        return _solution(
            idx, phases.best, status=status, proven=phases.proven, start=start, bound=phases.bound
        )
    if missing:
        why = (
            f"balancing needs every position staffed, but {_plural(len(missing), 'position')} "
            "of the problem have no eligible trainer"
        )
    elif phases is not None and phases.infeasible:
        why = "balancing needs every position staffed, and the caps and conflicts allow no way"
    else:
        # Time ran out before the solver found anything: the current staffing, if valid.
        kept = _solution(idx, keep, status="feasible", proven=False, start=start)
        if kept.assigned == len(idx.order) and not validate(idx.problem, kept):
            return kept
        why = "the solver found no way to staff every position before its time limit"
    reasons = {pid: "no eligible trainer" if not idx.eligible[pid] else why for pid in idx.order}
    return _solution(idx, {}, status="infeasible", proven=False, start=start, reasons=reasons)
