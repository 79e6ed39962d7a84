"""Benchmark of mentor matching: ranking every instructor as a candidate mentor of one
student, at 1× and 100× (``bench/data.py``: 5 and 500 instructors).

For each size a fresh PostgreSQL database (``medh_bench_matching_<n>x``) is built and
migrated and the data set loaded; then, untimed, a skill list of 20, three skills, two
languages and three weekly availability windows (in one of four zones) for every trainer,
and one student's needs (three skills, two languages, three weekdays' evenings, in New
York). Then ``selectors.mentor_candidates`` for that student: queries of one ranking, and the
p50 of 30; and ``alternatives.clash_alternatives`` for a busy trainer and a new 12-week batch
of three weekly slots (two on times they teach): the p50 of 30. Targets: the same number of
ranking queries at both sizes; both p50s under 200 ms at 100×.

    python bench/matching.py              # 1× and 100×; updates docs/performance.md
    python bench/matching.py --sizes 1 --no-write
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PYTHON,
    ROOT,
    django_env,
    fresh_database,
    machine_line,
    today,
    write_section,
)

SETTINGS = "medh.settings.test"
REPEAT = 30
ZONES = ("Asia/Kolkata", "Europe/Berlin", "America/New_York", "UTC")


def _offers(users) -> None:
    """Skills, languages, windows and zones for every trainer; bulk writes, untimed."""
    import datetime as dt

    from accounts.models import User
    from trainers.models import AvailabilityWindow, Skill, TrainerProfile

    skills = Skill.objects.bulk_create(Skill(name=f"Skill {n:02d}") for n in range(20))
    TrainerProfile.objects.bulk_create(
        [TrainerProfile(user=u) for u in users], ignore_conflicts=True
    )
    profiles = list(TrainerProfile.objects.filter(user__in=users).order_by("pk"))
    languages = ("de", "en", "hi", "es", "fr")
    for i, profile in enumerate(profiles):
        profile.languages = [languages[i % 5], languages[(i + 2) % 5]]
        # data.py gives every trainer four open batches, the default cap: room for a fifth,
        # so that other instructors can be offered as alternatives.
        profile.max_active_batches = 6
    TrainerProfile.objects.bulk_update(profiles, ["languages", "max_active_batches"])
    through = TrainerProfile.skills.through
    through.objects.bulk_create(
        through(trainerprofile_id=p.pk, skill_id=skills[(i + k) % 20].pk)
        for i, p in enumerate(profiles)
        for k in range(3)
    )
    for i, user in enumerate(users):
        user.time_zone = ZONES[i % len(ZONES)]
    User.objects.bulk_update(users, ["time_zone"])
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            trainer=user,
            day=(i + k) % 7,
            start_time=dt.time(8 + (i % 10)),
            end_time=dt.time(12 + (i % 10)),
        )
        for i, user in enumerate(users)
        for k in range(3)
    )


def worker(scale: int, out: Path) -> None:
    import django

    django.setup()
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from allocation.alternatives import WeeklySlot, clash_alternatives
    from allocation.models import Batch, BatchStatus, Course
    from allocation.selectors import mentor_candidates
    from allocation.services import student_needs_set
    from bench import data
    from trainers.models import AvailabilityWindow, Skill

    started = time.perf_counter()
    data.build(scale)
    users = list(User.objects.filter(is_instructor=True).order_by("pk"))
    _offers(users)
    student = User.objects.filter(is_student=True).order_by("pk")[scale]
    User.objects.filter(pk=student.pk).update(time_zone="America/New_York")
    student.refresh_from_db()
    student_needs_set(
        student=student,
        updated_by=None,
        skills=list(Skill.objects.order_by("pk")[:3]),
        languages=["de", "hi"],
        preferred_days=[0, 2, 4],
        day_parts=["evening"],
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  {scale}×: built in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    # Alternatives to a clash: a new 12-week batch with three weekly slots, two of them on
    # times data.py's patterns give a busy trainer.
    trainer = users[scale]
    # Available at any time: the refusal is the clash itself, and every time is a candidate.
    AvailabilityWindow.objects.filter(trainer=trainer).delete()
    monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
    proposal = Batch(
        course=Course.objects.order_by("pk").first(),
        start_date=monday,
        end_date=monday + dt.timedelta(weeks=12, days=-1),
        status=BatchStatus.UPCOMING,
    )
    slots = [
        WeeklySlot(0, dt.time(8, 30), dt.time(9, 30)),
        WeeklySlot(2, dt.time(18, 0), dt.time(19, 0)),
        WeeklySlot(4, dt.time(10, 30), dt.time(12, 0)),
    ]
    offered = clash_alternatives(proposal, slots, trainer)
    alternative_times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        clash_alternatives(proposal, slots, trainer)
        alternative_times.append((time.perf_counter() - started) * 1000)

    mentor_candidates(student)  # warm-up
    with CaptureQueriesContext(connection) as queries:
        ranked = mentor_candidates(student)
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        mentor_candidates(student)
        times.append((time.perf_counter() - started) * 1000)
    out.write_text(
        json.dumps(
            {
                "scale": scale,
                "instructors": len(users),
                "candidates": len(ranked),
                "eligible": sum(c.eligible for c in ranked),
                "queries": len(queries.captured_queries),
                "p50_ms": statistics.median(times),
                "alternatives": [a.kind for a in offered],
                "alternatives_p50_ms": statistics.median(alternative_times),
            }
        )
    )


def run_size(scale: int) -> dict:
    url = fresh_database(f"medh_bench_matching_{scale}x")
    env = django_env(url, DJANGO_SETTINGS_MODULE=SETTINGS, LOG_LEVEL="WARNING")
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        subprocess.run(
            [PYTHON, str(Path(__file__).resolve()), "--worker", str(scale), "--out", str(out)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,100")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--worker", type=int)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.out)
        return 0
    machine = machine_line()
    results = [run_size(int(s)) for s in args.sizes.split(",")]
    rows = [
        "| size | instructors | eligible | ranking: queries | ranking: p50 "
        "| alternatives offered | alternatives: p50 |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for r in results:
        rows.append(
            f"| {r['scale']}× | {r['instructors']:,} | {r['eligible']:,} | {r['queries']} | "
            f"{r['p50_ms']:.1f} ms | {', '.join(r['alternatives']) or 'none'} | "
            f"{r['alternatives_p50_ms']:.1f} ms |"
        )
    ok = (
        len({r["queries"] for r in results}) == 1
        and results[-1]["p50_ms"] < 200
        and results[-1]["alternatives_p50_ms"] < 200
    )
    body = "\n".join(
        [
            "## Mentor matching: ranking candidates (`bench/matching.py`)",
            "",
            f"{today()} · {machine}",
            "",
            "Targets: ranking every instructor as a student's candidate mentor in the same "
            "number of queries at every size, p50 under 200 ms at 100×; finding the "
            "alternatives to a clash of a 12-week, 3-slot batch, p50 under 200 ms at 100×.",
            "",
            *rows,
            "",
            f"Targets met: {'yes' if ok else 'NO'}.",
        ]
    )
    print(body)
    if not args.no_write:
        write_section("matching", body)
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    sys.exit(main())
