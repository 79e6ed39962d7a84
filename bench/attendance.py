"""Benchmark of attendance: a roll of 25 rendered and saved, the at-risk list and the
attendance report, at 1× and a larger size (``bench/data.py``, plus marks written here).

For each size a fresh PostgreSQL database (``medh_bench_attendance_<n>x``) is built and
migrated, ``bench/data.py``'s data set loaded, then every held past session of every batch
gets a mark per enrolled student (COPY, with its audit-trail row): about 21,000 marks at 1×,
2.1 million at 100×. One student in fifteen is "struggling" (absent two classes in three) and
has an open at-risk episode in each Active batch; a session of an Active batch gets five more
students so that its roll has 25. Then, with Django's test client as the admin:

- **roll**: GET the roll page and POST the full roll (the first save changes every mark,
  the timed ones find it unchanged: the lock, the roll and the marks are read each time):
  queries of each and p50 of 20;
- **at-risk**: the at-risk page (its first page of 50: open episodes, then stale mentees):
  queries and p50;
- **report**: the attendance report page (first page of 50 batches, from the tallies),
  unfiltered and filtered by one batch: queries and p50.

Targets: no more queries at any size than at 1×; each p50 within 3× of its 1× value.

    python bench/attendance.py --sizes 1,10        # updates docs/performance.md
    python bench/attendance.py --sizes 1 --no-write
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
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
REPEAT = 20


def _status(student_id: int, session_id: int) -> str:
    if student_id % 15 == 0:
        return "present" if session_id % 3 == 0 else "absent"
    roll = zlib.crc32(f"{student_id}:{session_id}".encode()) % 100
    return "late" if roll < 7 else "excused" if roll < 12 else "absent" if roll < 20 else "present"


def add_marks(scale: int) -> dict:
    """Marks for every held past session of every batch, by COPY; episodes for the
    struggling students of Active batches. Returns counts and the session of the roll."""
    import datetime as dt

    from django.utils import timezone

    from accounts.models import User
    from allocation.models import Batch, BatchStatus, ClassSession, SessionStatus
    from attendance.models import AtRiskEpisode, AttendanceMark
    from bench import data
    from enrollments.models import Enrollment, EnrollmentStatus, EnrollmentType

    now = timezone.now()
    admin = User.objects.filter(is_staff=True).order_by("pk").first()

    class Copier(data._Copier):
        """``data._Copier`` that flushes in chunks: history ids go on from the last chunk."""

        history_next: dict = {}

        def _history(self, model, historical, objs):
            rows = super()._history(model, historical, objs)
            start = self.history_next.get(historical, 0)
            for row in rows:
                row.history_id += start
            self.history_next[historical] = start + len(rows)
            return rows

    c = Copier(now, admin.pk)
    roster: dict[int, list[int]] = {}
    taught = Enrollment.objects.filter(
        batch__isnull=False, status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED]
    )
    for batch_id, student_id in taught.values_list("batch_id", "student_id"):
        roster.setdefault(batch_id, []).append(student_id)
    primaries = dict(Batch.objects.values_list("pk", "assigned_instructor_id"))
    sessions = ClassSession.objects.filter(
        start_at__lte=now, status=SessionStatus.SCHEDULED
    ).values_list("pk", "batch_id", "start_at")
    marks = 0
    for session_id, batch_id, start_at in sessions.iterator(chunk_size=20_000):
        for student_id in roster.get(batch_id, ()):
            c.add(
                AttendanceMark(
                    session_id=session_id,
                    batch_id=batch_id,
                    student_id=student_id,
                    session_start=start_at,
                    trainer_id=primaries[batch_id],
                    status=_status(student_id, session_id),
                    marked_by_id=primaries[batch_id],
                    marked_at=start_at + dt.timedelta(hours=2),
                )
            )
            marks += 1
        if len(c.rows.get(AttendanceMark, ())) > 200_000:
            c.flush()
    active = Batch.objects.filter(status=BatchStatus.ACTIVE).values_list("pk", flat=True)
    for batch_id in active:
        for student_id in roster.get(batch_id, ()):
            if student_id % 15 == 0:
                c.add(
                    AtRiskEpisode(
                        student_id=student_id,
                        batch_id=batch_id,
                        reason="3 absences in a row",
                        opened_at=now - dt.timedelta(days=3),
                        notified_id=primaries[batch_id],
                    )
                )
    c.flush()
    # The COPY bypassed attendance_record: fill the tallies as migration 0002 does.
    from attendance import tallies
    from attendance.models import AttendanceTally

    tallies.rebuild(AttendanceMark, AttendanceTally)
    # The roll: an Active batch's latest past session, with 25 students enrolled before it.
    roll_batch = Batch.objects.filter(status=BatchStatus.ACTIVE).order_by("pk").first()
    session = (
        ClassSession.objects.filter(batch=roll_batch, start_at__lte=now, status="scheduled")
        .order_by("-start_at")
        .first()
    )
    extra = User.objects.filter(is_student=True).exclude(enrollments__course=roll_batch.course)
    for student in extra.order_by("pk")[: max(0, 25 - len(roster.get(roll_batch.pk, ())))]:
        Enrollment.objects.create(
            student=student,
            course=roll_batch.course,
            batch=roll_batch,
            enrollment_type=EnrollmentType.BATCH,
            status=EnrollmentStatus.ACTIVE,
            enrollment_date=session.start_at - dt.timedelta(days=30),
        )
    Enrollment.objects.filter(batch=roll_batch).update(
        enrollment_date=session.start_at - dt.timedelta(days=30)
    )
    return {"marks": marks, "session_id": session.pk, "batch_id": roll_batch.pk}


def _time(client, method: str, url: str, payload=None) -> tuple[int, float]:
    from django.db import connection

    call = getattr(client, method)
    args = (url, payload) if payload is not None else (url,)
    response = call(*args)  # warm-up
    assert response.status_code in (200, 302), (url, response.status_code)
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        call(*args)
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        call(*args)
        times.append((time.perf_counter() - started) * 1000)
    return len(executed), statistics.median(times)


def worker(scale: int, out: Path) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from attendance.models import AttendanceMark
    from attendance.selectors import session_roll
    from bench import data

    started = time.perf_counter()
    data.build(scale)
    extra = add_marks(scale)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  {scale}×: built in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    client = Client(SERVER_NAME="localhost")
    client.force_login(User.objects.filter(is_staff=True).order_by("pk").first())
    from allocation.models import ClassSession

    session = ClassSession.objects.get(pk=extra["session_id"])
    roll = [e.student_id for e in session_roll(session)]
    url = reverse("attendance:roll", args=[session.pk])
    results = {"scale": scale, "marks": AttendanceMark.objects.count(), "roll": len(roll)}
    print(f"  roll of {len(roll)}; {extra}", file=sys.stderr)
    results["roll_get"] = _time(client, "get", url)
    body = {f"status_{s}": "present" for s in roll}
    results["roll_post"] = _time(client, "post", url, body)
    results["at_risk"] = _time(client, "get", reverse("attendance:at_risk"))
    results["report"] = _time(client, "get", reverse("attendance:report"))
    results["report_batch"] = _time(
        client, "get", reverse("attendance:report") + f"?batch={extra['batch_id']}"
    )
    out.write_text(json.dumps(results))


def run_size(scale: int) -> dict:
    url = fresh_database(f"medh_bench_attendance_{scale}x")
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


MEASURES = (
    ("roll_get", "roll: render"),
    ("roll_post", "roll: save"),
    ("at_risk", "at-risk list"),
    ("report", "report, unfiltered"),
    ("report_batch", "report, one batch"),
)


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
        "| measure | "
        + " | ".join(f"{r['scale']}× ({r['marks']:,} marks)" for r in results)
        + " |",
        "|---|" + "---:|" * len(results),
    ]
    ok = True
    base = results[0]
    for key, label in MEASURES:
        cells = []
        for r in results:
            queries, p50 = r[key]
            cells.append(f"{queries} q, {p50:.1f} ms")
            # Constant: never more queries than at 1× (a full first page of the at-risk
            # list is all episodes, so it can skip the mentees' queries).
            ok &= queries <= base[key][0] and p50 <= 3 * max(base[key][1], 1.0)
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    body = "\n".join(
        [
            "## Attendance: the roll, the at-risk list, the report (`bench/attendance.py`)",
            "",
            f"{today()} · {machine} · roll of {base['roll']} students",
            "",
            "Targets: no more queries at any size than at 1×; each p50 within 3× of 1×.",
            "",
            *rows,
            "",
            f"Targets met: {'yes' if ok else 'NO'}.",
        ]
    )
    print(body)
    if not args.no_write:
        write_section("attendance", body)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
