"""Benchmark of the trainer assignment solver (allocation/solver.py) on generated instances.

Run from the repository root (no Django or database needed):

    python bench/solver.py            # 50/200/500 batches, writes docs/performance.md
    python bench/solver.py --quick    # the two small instances only, prints without writing
    python bench/solver.py --only 500x100 --time-limit 120 --workers 8   # one instance, print only

Each instance is generated from a fixed seed: batches with 2-3 weekly slots of 60-120 minutes
at realistic weekdays and start times (so batches clash), courses whose rosters hold 30-60 % of
the trainers (leads may take primaries, everyone on the roster assistants), a few trainers
unavailable per batch, batch caps 3-8 growing with the trainer's workload percent and
targets that roughly share out the teaching minutes. Each is solved by CP-SAT (mode
"assign") and by the greedy baseline, and both solutions are checked with
``solver.validate``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from allocation import solver  # noqa: E402 (needs the repository root on the path)

SEED = 2025
# (batches, trainers, tight): "tight" instances have about as many free batch places as
# positions (every trainer must be filled to their cap), the hard case for proving optimality.
SIZES = ((50, 10, False), (200, 40, False), (500, 100, False), (200, 40, True), (500, 100, True))
QUICK_SIZES = SIZES[:2]
TIME_LIMIT = 10.0
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- solver:start -->", "<!-- solver:end -->"

DAYS = (0, 1, 2, 3, 4, 5)  # Monday..Saturday
DAY_WEIGHTS = (10, 10, 10, 10, 8, 5)
STARTS = tuple(
    h * 60 + m
    for h, m in (
        (8, 0),
        (9, 0),
        (10, 0),
        (10, 30),
        (11, 0),
        (14, 0),
        (15, 0),
        (16, 0),
        (17, 0),
        (18, 0),
        (18, 30),
        (19, 0),
    )
)
DURATIONS = (60, 90, 120)
DURATION_WEIGHTS = (4, 4, 2)
ASSISTANT_SHARE = 0.1  # batches that also need an assistant
UNAVAILABLE = 0.1  # chance a roster trainer may not teach a given batch (leave, availability)
WORKLOADS = (50, 75, 100, 100, 100)  # workload percents (full-timers are the commonest)
TIGHT_WORKLOADS = (25, 50, 75, 100)
CAPS = {25: (3, 3), 50: (4, 5), 75: (5, 6), 100: (7, 8)}  # batch cap range by workload


def generate(batches: int, trainers: int, *, tight: bool = False, seed: int = SEED):
    """A ``solver.Problem`` (see the module docstring); ``tight`` gives lower caps and more
    assistants, so free places about equal positions."""
    rng = random.Random(seed * 1000 + batches + tight)
    workloads = TIGHT_WORKLOADS if tight else WORKLOADS
    assistants = ASSISTANT_SHARE * 1.5 if tight else ASSISTANT_SHARE
    trainer_ids = list(range(1, trainers + 1))
    courses = max(3, batches // 12)
    rosters = []
    for _ in range(courses):
        members = rng.sample(trainer_ids, max(2, round(trainers * rng.uniform(0.3, 0.6))))
        leads = {t for t in members if rng.random() < 0.7} or {members[0]}
        rosters.append((set(members), leads))
    slots: dict[int, list[tuple[int, int, int]]] = {}
    positions = []
    for batch in range(1, batches + 1):
        members, leads = rosters[rng.randrange(courses)]
        days = set()
        count = rng.choice((2, 2, 3))
        while len(days) < count:
            days.add(rng.choices(DAYS, DAY_WEIGHTS)[0])
        length = rng.choices(DURATIONS, DURATION_WEIGHTS)[0]
        start = rng.choice(STARTS)
        slots[batch] = [
            (day, s, s + length)
            for day in sorted(days)
            for s in [start if rng.random() < 0.7 else rng.choice(STARTS)]
        ]
        minutes = sum(end - s for _, s, end in slots[batch])
        available = {t for t in members if rng.random() >= UNAVAILABLE}
        roles = [("primary", leads & available)]
        if rng.random() < assistants:
            roles.append(("assistant", available))
        for role, eligible in roles:
            positions.append(
                solver.Position(
                    id=len(positions) + 1,
                    batch_id=batch,
                    role=role,
                    minutes=minutes,
                    eligible=frozenset(eligible),
                )
            )
    clashes = set()
    for a in positions:
        for b in positions:
            if (
                a.id < b.id
                and a.batch_id != b.batch_id
                and _overlap(slots[a.batch_id], slots[b.batch_id])
            ):
                clashes.add((a.id, b.id))
    total = sum(p.minutes for p in positions)
    weights = {t: rng.choice(workloads) for t in trainer_ids}
    existing = {t: rng.choice((0, 0, 0, 60, 90, 120, 180)) for t in trainer_ids}
    pool = (total + sum(existing.values())) * rng.uniform(0.95, 1.05)
    people = tuple(
        solver.Trainer(
            id=t,
            target_minutes=round(pool * weights[t] / sum(weights.values())),
            existing_minutes=existing[t],
            free_batches=rng.randint(*CAPS[weights[t]]),
        )
        for t in trainer_ids
    )
    return solver.Problem(trainers=people, positions=tuple(positions), clashes=frozenset(clashes))


def _overlap(a: list[tuple[int, int, int]], b: list[tuple[int, int, int]]) -> bool:
    return any(d1 == d2 and s1 < e2 and s2 < e1 for d1, s1, e1 in a for d2, s2, e2 in b)


def deviation_bound(problem: solver.Problem, sat: solver.Solution) -> int:
    """The solver's own lower bound on the max deviation (subset sums per trainer, and the
    shared total when every usable position is assigned): how far from proven a result is."""
    idx = solver._Index(problem)
    by_trainer: dict[int, list[int]] = {}
    for pid in idx.order:
        for t in idx.usable[pid]:
            by_trainer.setdefault(t, []).append(pid)
    floor = max(
        solver._deviation_floor(
            t, [idx.positions[p].minutes for p in by_trainer.get(t.id, [])], idx.cap(t.id)
        )[0]
        for t in problem.trainers
    )
    if sat.assigned == sum(1 for pid in idx.order if idx.usable[pid]):
        floor = max(floor, solver._spread_floor(idx, by_trainer, sat.max_deviation))
    return floor


@dataclass
class Row:
    batches: int
    trainers: int
    tight: bool
    positions: int
    places: int
    pairs: int
    clashes: int
    sat: solver.Solution
    greedy: solver.Solution
    errors: list[str]
    bound: int

    @property
    def not_worse(self) -> bool:
        s, g = self.sat, self.greedy
        return (-s.assigned, s.max_deviation) <= (-g.assigned, g.max_deviation)


def run(sizes, *, time_limit: float, workers: int) -> list[Row]:
    rows = []
    for batches, trainers, tight in sizes:
        problem = generate(batches, trainers, tight=tight)
        sat = solver.solve(problem, time_limit=time_limit, workers=workers)
        base = solver.greedy(problem)
        errors = solver.validate(problem, sat) + solver.validate(problem, base)
        rows.append(
            Row(
                batches,
                trainers,
                tight,
                len(problem.positions),
                sum(t.free_batches for t in problem.trainers),
                sum(len(p.eligible) for p in problem.positions),
                len(problem.clashes),
                sat,
                base,
                errors,
                deviation_bound(problem, sat),
            )
        )
        name = f"{batches} batches x {trainers} trainers{' (tight)' if tight else ''}"
        print(f"  {name}: {sat.status} in {sat.wall_seconds:.2f}s", file=sys.stderr)
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| batches × trainers | free places | positions | eligible pairs | clash pairs | "
        "CP-SAT time | status (proven optimal) | CP-SAT assigned / max dev / moves | "
        "max dev lower bound | greedy time | "
        "greedy assigned / max dev | never worse than greedy | valid |",
        "|---|--:|--:|--:|--:|--:|---|---|--:|--:|---|---|---|",
    ]
    for r in rows:
        s, g = r.sat, r.greedy
        lines.append(
            f"| {r.batches} × {r.trainers}{' (tight)' if r.tight else ''} | {r.places} | "
            f"{r.positions} | {r.pairs} | {r.clashes} | "
            f"{s.wall_seconds:.2f} s | {s.status} ({'yes' if s.proven_optimal else 'no'}) | "
            f"{s.assigned} / {s.max_deviation} min / {s.moves} | {r.bound} min | "
            f"{g.wall_seconds * 1000:.0f} ms | "
            f"{g.assigned} / {g.max_deviation} min | {'yes' if r.not_worse else 'NO'} | "
            f"{'yes' if not r.errors else 'NO: ' + '; '.join(r.errors[:3])} |"
        )
    return "\n".join(lines)


def section(rows: list[Row], command: str, *, time_limit: float, workers: int) -> str:
    import ortools

    machine = (
        f"{platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"OR-Tools {ortools.__version__}"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    assistants = round(ASSISTANT_SHARE * 100)
    return f"""{START}
## Trainer assignment solver (bench/solver.py)

Measured {dt.date.today().isoformat()} on {machine}; load average while it ran (1, 5, 15 min):
{load} (other processes share the CPUs, so times are pessimistic). Command, from the
repository root:

    {command}

Generated instances (seed {SEED}): batches with 2-3 weekly slots of 60-120 minutes on Monday
to Saturday at 12 usual start times, so many batches clash; courses of about 12 batches whose
rosters hold 30-60 % of the trainers (about 70 % of them leads, who may take primaries);
{assistants} % of the batches also need an assistant; each roster trainer is unavailable for a
batch with probability {UNAVAILABLE}; workload percents 50-100 % and batch caps 3-8 growing
with them; targets share the teaching minutes (plus existing load) by workload percent, times
0.95-1.05. "Tight" instances use workloads 25-100 % and {round(assistants * 1.5)} % assistants,
so free places about equal positions. Mode "assign", time limit {time_limit:g} s, {workers}
CP-SAT workers. Max dev is the largest |load − target| over all trainers, in minutes; moves
are 0 as no position has a current holder. "Never worse than greedy" compares (assigned, then
max deviation); "valid" means `solver.validate` accepts both solutions. A row "feasible (no)"
hit the time limit: its max deviation is the best found, and the optimum lies between the
lower bound and it. The lower bound is the solver's own (per-trainer subset sums of the
minutes, and the total every trainer shares when all positions are assigned); CP-SAT's search
for a better bound (its LP) rarely adds to it in the time.

{table(rows)}
{END}"""


def write(text: str) -> None:
    old = DOC.read_text() if DOC.exists() else "# Performance\n"
    if START in old and END in old:
        head, rest = old.split(START, 1)
        new = head + text + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(new)


def _name(size: tuple[int, int, bool]) -> str:
    batches, trainers, tight = size
    return f"{batches}x{trainers}{'t' if tight else ''}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small instances, no doc update")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--only",
        metavar="SIZES",
        help="comma-separated instances such as 500x100 or 500x100t (tight); print only",
    )
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        sizes = tuple(s for s in SIZES if _name(s) in wanted)
        if unknown := wanted - {_name(s) for s in SIZES}:
            parser.error(
                f"unknown instance(s) {', '.join(sorted(unknown))}; "
                f"choose from {', '.join(_name(s) for s in SIZES)}"
            )
    rows = run(sizes, time_limit=args.time_limit, workers=args.workers)
    print(table(rows))
    if not (args.quick or args.no_write or args.only):
        command = "python " + " ".join(["bench/solver.py", *(argv or sys.argv[1:])])
        write(section(rows, command, time_limit=args.time_limit, workers=args.workers))
        print(f"\nwritten to {DOC.relative_to(ROOT)}")
    ok = all(r.not_worse and not r.errors for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
