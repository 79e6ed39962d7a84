"""Benchmark of the calendar: generating every batch's sessions, and checking a trainer for
a batch of 40 sessions, at 1× and 100× (``bench/data.py``).

For each size a fresh PostgreSQL database (``medh_bench_sessions_<n>x``) is built and
migrated, the data set loaded (``bench/data.py`` writes rows with COPY; the sessions and
bookings it writes are dropped before the timing), then:

- **generate**: ``services.sessions_generate_missing()`` gives every batch its sessions and
  its trainers their bookings (bulk_create), timed once. Target: under a minute at 100×
  (5,000 batches, about 30 sessions each, 40 for the batches with three slots);
- **check**: the teaching rule for one trainer and a new batch of 40 sessions (two weekly
  slots over 20 weeks), as ``batch_create`` asks it (``teaching_context`` +
  ``teaching_refusal``): queries of one check, and the p50 of 30. Targets: the same number
  of queries at both sizes, p50 under 50 ms at 100×.

    python bench/sessions.py              # 1× and 100×; updates docs/performance.md
    python bench/sessions.py --sizes 1 --no-write
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


def worker(scale: int, out: Path) -> None:
    import datetime as dt

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from allocation.eligibility import teaching_context, teaching_refusal
    from allocation.models import (
        Batch,
        BatchStatus,
        ClassSession,
        Course,
        SessionCover,
        TrainerBooking,
    )
    from allocation.services import Slot, sessions_generate_missing
    from bench import data

    started = time.perf_counter()
    data.build(scale)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  {scale}×: built in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    # bench/data.py writes every batch's sessions and bookings (for the pages' benchmarks):
    # drop them, untimed, so that the generation below makes them all.
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (SessionCover, TrainerBooking, ClassSession)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")
        cursor.execute("VACUUM ANALYZE")

    started = time.perf_counter()
    made = sessions_generate_missing()
    generate_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    trainer = User.objects.filter(is_instructor=True).order_by("pk")[scale]  # a busy one
    course = Course.objects.order_by("pk").first()
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    batch = Batch(
        course=course,
        batch_name="Proposed",
        start_date=monday,
        end_date=monday + dt.timedelta(weeks=20, days=-1),
        status=BatchStatus.UPCOMING,
        capacity=20,
        assigned_instructor=trainer,
    )
    slots = [
        Slot(0, dt.time(8, 30), dt.time(9, 30)),  # overlaps one of data.py's patterns
        Slot(3, dt.time(18, 0), dt.time(19, 0)),
    ]

    def check():
        context = teaching_context(batch, [trainer.pk], slots=slots)
        assert len(context.sessions) == 40, len(context.sessions)
        return teaching_refusal(context, trainer, newly_teaching=True)

    check()  # warm-up
    with CaptureQueriesContext(connection) as queries:
        refusal = check()
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        check()
        times.append((time.perf_counter() - started) * 1000)
    out.write_text(
        json.dumps(
            {
                "scale": scale,
                "batches": Batch.objects.count(),
                "sessions": ClassSession.objects.count(),
                "made": made,
                "bookings": TrainerBooking.objects.count(),
                "generate_s": generate_seconds,
                "check_queries": len(queries.captured_queries),
                "check_p50_ms": statistics.median(times),
                "verdict": refusal.code if refusal else "accepted",
            }
        )
    )


def run_size(scale: int) -> dict:
    url = fresh_database(f"medh_bench_sessions_{scale}x")
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
        "| size | batches | sessions made | bookings | generate | check: queries | check: p50 "
        "| check: verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['scale']}× | {r['batches']:,} | {r['made']:,} | {r['bookings']:,} | "
            f"{r['generate_s']:.1f} s | {r['check_queries']} | {r['check_p50_ms']:.1f} ms | "
            f"{r['verdict']} |"
        )
    largest = results[-1]
    ok = (
        len({r["check_queries"] for r in results}) == 1
        and largest["check_p50_ms"] < 50
        and largest["generate_s"] < 60
    )
    body = "\n".join(
        [
            "## The calendar: generating sessions, checking a trainer (`bench/sessions.py`)",
            "",
            f"{today()} · {machine}",
            "",
            "Targets: generating every batch's sessions under a minute at 100×; checking a "
            "trainer for a batch of 40 sessions in the same number of queries at every size, "
            "p50 under 50 ms at 100×.",
            "",
            *rows,
            "",
            f"Targets met: {'yes' if ok else 'NO'}.",
        ]
    )
    print(body)
    if not args.no_write:
        write_section("sessions", body)
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    sys.exit(main())
