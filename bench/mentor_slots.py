"""Benchmark of 1:1 mentoring: a mentor's bookable slots for four weeks, at 1× and 100×
(``bench/data.py``).

For each size a fresh PostgreSQL database (``medh_bench_mentor_slots_<n>x``) is built and
migrated and the data set loaded; then every trainer declares weekday hours (Monday to
Saturday, 08:00–21:00 on their clock) and every mentee of the data set (every 10th student)
has one 1:1 booking a week for the next four weeks, with their mentor, in a free slot, so
bookings grow with the data like everything else. Then, for the data set's busiest trainer
(batches, cover, leave next week, mentees):

- **slots**: ``selectors.mentor_slots.mentor_slots`` over four weeks from next Monday: the
  queries of one call and the p50 of 30. Targets: the same number of queries at both sizes,
  p50 under 50 ms at 100×.

    python bench/mentor_slots.py              # 1× and 100×; updates docs/performance.md
    python bench/mentor_slots.py --sizes 1 --no-write
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
WEEKS = 4


def _bookings(start, weeks: int) -> int:
    """One booking a week per active assignment, at a free slot of its mentor, bulk-written
    (the selector decides what is free; the rows are the service's, minus its locks)."""
    import datetime as dt

    from allocation.models import IndividualAssignment, MentorBooking
    from allocation.selectors.mentor_slots import mentor_slots

    rows = []
    by_mentor: dict[int, list] = {}
    for assignment in IndividualAssignment.objects.filter(ended_at__isnull=True).select_related(
        "instructor"
    ):
        by_mentor.setdefault(assignment.instructor_id, []).append(assignment)
    for assignments in by_mentor.values():
        mentor = assignments[0].instructor
        slots = mentor_slots(mentor, start=start, end=start + dt.timedelta(weeks=weeks))
        for week in range(weeks):
            week_start = start + dt.timedelta(weeks=week)
            free = [
                s for s in slots if week_start <= s.start_at < week_start + dt.timedelta(weeks=1)
            ]
            for assignment, slot in zip(assignments, free, strict=False):
                rows.append(
                    MentorBooking(
                        assignment=assignment,
                        mentor=mentor,
                        mentee_id=assignment.student_id,
                        start_at=slot.start_at,
                        end_at=slot.end_at,
                        created_by_id=assignment.student_id,
                    )
                )
    MentorBooking.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def worker(scale: int, out: Path) -> None:
    import datetime as dt

    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from allocation.models import MentorBooking, TrainerBooking
    from allocation.selectors.mentor_slots import mentor_slots
    from bench import data
    from trainers.models import AvailabilityWindow

    started = time.perf_counter()
    built = data.build(scale)
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(trainer=t, day=day, start_time=dt.time(8), end_time=dt.time(21))
        for t in User.objects.filter(is_instructor=True)
        for day in range(6)
    )
    now = timezone.now()
    monday = now.date() + dt.timedelta(days=7 - now.date().weekday())
    start = dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC)
    made = _bookings(start, WEEKS)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  {scale}×: built in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    trainer = User.objects.get(pk=built.trainer_id)
    end = start + dt.timedelta(weeks=WEEKS)

    def slots():
        return mentor_slots(trainer, start=start, end=end, now=now)

    slots()  # warm-up
    with CaptureQueriesContext(connection) as queries:
        found = slots()
    times = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        slots()
        times.append((time.perf_counter() - began) * 1000)
    busiest = MentorBooking.objects.values("mentor").annotate(n=Count("pk")).order_by("-n").first()
    out.write_text(
        json.dumps(
            {
                "scale": scale,
                "trainers": User.objects.filter(is_instructor=True).count(),
                "bookings": made,
                "teaching": TrainerBooking.objects.filter(trainer=trainer).count(),
                "mentor_bookings": MentorBooking.objects.filter(mentor=trainer).count(),
                "busiest_mentor_bookings": busiest["n"] if busiest else 0,
                "slots": len(found),
                "queries": len(queries.captured_queries),
                "p50_ms": statistics.median(times),
            }
        )
    )


def run_size(scale: int) -> dict:
    url = fresh_database(f"medh_bench_mentor_slots_{scale}x")
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
        "| size | trainers | 1:1 bookings | the mentor's teaching / bookings | slots | queries "
        "| p50 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {r['scale']}× | {r['trainers']:,} | {r['bookings']:,} | {r['teaching']:,} / "
            f"{r['mentor_bookings']:,} | {r['slots']:,} | {r['queries']} | "
            f"{r['p50_ms']:.1f} ms |"
        )
    largest = results[-1]
    ok = len({r["queries"] for r in results}) == 1 and largest["p50_ms"] < 50
    body = "\n".join(
        [
            "## 1:1 mentoring: a mentor's bookable slots (`bench/mentor_slots.py`)",
            "",
            f"{today()} · {machine}",
            "",
            f"Targets: a mentor's free slots for {WEEKS} weeks in the same number of queries "
            "at every size, p50 under 50 ms at 100×.",
            "",
            *rows,
            "",
            f"Targets met: {'yes' if ok else 'NO'}.",
        ]
    )
    print(body)
    if not args.no_write:
        write_section("mentor_slots", body)
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    sys.exit(main())
