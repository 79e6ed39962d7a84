"""Tallies of marks per batch, trainer and week (``AttendanceTally``): kept by
``attendance_record``, rebuilt from the marks by a migration (and the benchmark after its
COPY), read by the attendance report.

A tally counts every mark of its batch, trainer and week, the cancelled sessions' too; a
reader subtracts ``cancelled_marks`` (the marks of cancelled sessions, few: a session with
marks is rarely cancelled), so cancelling or restoring a session needs no write here and the
definitions (``attendance/__init__.py``) stay those of a recount from the marks.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate

STATUSES = ("present", "late", "absent", "excused")


def week_of(moment: dt.datetime) -> dt.date:
    """The Monday (UTC) of the week of ``moment``, as the report's weeks are."""
    day = moment.astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def _counts():
    return {s: Count("pk", filter=Q(status=s)) for s in STATUSES}


def rebuild(mark_model, tally_model) -> int:
    """Replace every tally by a recount of the marks (one grouped query, then bulk inserts).
    Takes the model classes, so that a migration can call it with its historical models.
    Returns how many tallies were written."""
    tally_model.objects.all().delete()
    rows = (
        mark_model.objects.order_by()
        .annotate(day=TruncDate("session_start", tzinfo=dt.UTC))
        .values("batch_id", "trainer_id", "day")
        .annotate(**_counts())
    )
    merged: dict[tuple, Counter] = {}
    for row in rows.iterator(chunk_size=10_000):
        day = row["day"]
        key = (row["batch_id"], row["trainer_id"], day - dt.timedelta(days=day.weekday()))
        merged.setdefault(key, Counter()).update({s: row[s] for s in STATUSES})
    tally_model.objects.bulk_create(
        (
            tally_model(batch_id=b, trainer_id=t, week=w, **{s: c[s] for s in STATUSES})
            for (b, t, w), c in merged.items()
        ),
        batch_size=5_000,
    )
    return len(merged)


def apply(tally_model, batch_id: int, changes: Iterable[tuple[int | None, dt.date, str, int]]):
    """Add ``changes`` (trainer id, week, status, +1 or -1) to the batch's tallies: the
    missing tallies created (a concurrent creator's row is kept), then one ``F()`` update per
    tally touched, in (trainer, week) order so that two writers never wait on each other in
    a cycle. The caller holds the lock of the session whose marks these are."""
    deltas: dict[tuple, Counter] = {}
    for trainer_id, week, status, step in changes:
        deltas.setdefault((trainer_id, week), Counter())[status] += step
    keys = sorted(
        (k for k, c in deltas.items() if any(c.values())),
        key=lambda k: (k[0] is None, k[0] or 0, k[1]),
    )
    if not keys:
        return
    tally_model.objects.bulk_create(
        [tally_model(batch_id=batch_id, trainer_id=t, week=w) for t, w in keys],
        ignore_conflicts=True,
    )
    for trainer_id, week in keys:
        counts = deltas[(trainer_id, week)]
        tally_model.objects.filter(batch_id=batch_id, trainer_id=trainer_id, week=week).update(
            **{s: F(s) + counts[s] for s in STATUSES if counts[s]}
        )


def recount(mark_model) -> dict[tuple, dict[str, int]]:
    """(batch, trainer, week) -> counts, from the marks: what the tallies must equal (tests,
    and a check after a rebuild)."""
    out: dict[tuple, dict[str, int]] = {}
    for mark in mark_model.objects.order_by().values(
        "batch_id", "trainer_id", "session_start", "status"
    ):
        key = (mark["batch_id"], mark["trainer_id"], week_of(mark["session_start"]))
        counts = out.setdefault(key, dict.fromkeys(STATUSES, 0))
        counts[mark["status"]] += 1
    return out


def tallied(tally_model) -> dict[tuple, dict[str, int]]:
    """(batch, trainer, week) -> counts, from the tallies, leaving out those all zero."""
    return {
        (t.batch_id, t.trainer_id, t.week): {s: getattr(t, s) for s in STATUSES}
        for t in tally_model.objects.all()
        if any(getattr(t, s) for s in STATUSES)
    }
