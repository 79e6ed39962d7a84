"""Scaling benchmark of every dashboard, list and report page and every API list.

For each size (1× = 1,000 students, 50 batches, 5 trainers; 10×; 100× = 100,000 students,
5,000 batches, 500 trainers) it builds a fresh PostgreSQL database with ``bench/data.py``,
then requests each page in-process with Django's test ``Client``, logged in as the role the
page is for: the number of SQL queries of one request, and the median (p50) server time of
``--repeat`` requests. The targets: the same query count at every size, and p50 at the
largest size within 3× of p50 at 1×.

    python bench/dashboards.py                 # 1×, 10×, 100×; writes docs/performance.md
    python bench/dashboards.py --quick         # 1× and 10×, print only
    python bench/dashboards.py --sizes 1,10 --no-write --repeat 5 --only console
    python bench/dashboards.py --sizes 100 --reuse --only reports   # keep the built data
    python bench/dashboards.py --no-write --only "calendar,session page,holidays,this week,feed:"

Each size runs in its own process (``--worker``), so every size gets its own Django setup
against its own database (``medh_bench_dash_<size>x``; ``--db-prefix`` changes the prefix).
``--reuse`` keeps a database an earlier run built for that size (migrating it, so new
indexes apply) instead of building it again; such a run only prints. The exit status is 1
when a page fails (not 200) or misses a target.
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

DEFAULT_SIZES = (1, 10, 100)
QUICK_SIZES = (1, 10)
MAX_RATIO = 3.0
MIN_REPEAT = 3
TIME_BUDGET = 5.0  # seconds of timed requests per page, once MIN_REPEAT are done
SETTINGS = "medh.settings.test"


def pages(built) -> list[tuple[str, str, str]]:
    """(label, role, path) of every page measured; ids come from the built data set."""
    from django.urls import reverse

    from accounts.models import User

    b, c, t, s = built.batch_id, built.course_id, built.trainer_id, built.student_id
    tokens = dict(User.objects.filter(pk__in=[t, s]).values_list("pk", "feed_token"))
    console = [
        ("console: workload dashboard", "admin", reverse("console:dashboard")),
        ("console: workload dashboard CSV", "admin", reverse("console:dashboard") + "?format=csv"),
        ("console: batches", "admin", reverse("console:batch_list")),
        ("console: batches, Active", "admin", reverse("console:batch_list") + "?status=Active"),
        ("console: batches CSV", "admin", reverse("console:batch_list") + "?format=csv"),
        ("console: batch page", "admin", reverse("console:batch_detail", args=[b])),
        (
            "console: assign instructor",
            "admin",
            reverse("console:batch_assign_instructor", args=[b]),
        ),
        ("console: courses", "admin", reverse("console:course_list")),
        ("console: course page", "admin", reverse("console:course_detail", args=[c])),
        ("console: course roster", "admin", reverse("console:course_roster", args=[c])),
        ("console: course staffing map", "admin", reverse("console:course_staffing", args=[c])),
        ("console: leave list", "admin", reverse("console:leave_list")),
        ("console: leave page", "admin", reverse("console:leave_detail", args=[built.leave_id])),
        ("console: mentors", "admin", reverse("console:mentor_list")),
        ("console: mentors CSV", "admin", reverse("console:mentor_list") + "?format=csv"),
        (
            "console: mentor candidates",
            "admin",
            reverse("console:mentor_assign", args=[s]),
        ),
        ("console: enrollments", "admin", reverse("enroll:list")),
        ("console: enrollments, active", "admin", reverse("enroll:list") + "?status=active"),
        ("console: waitlists", "admin", reverse("waitlist:list")),
        ("console: batch waitlist", "admin", reverse("waitlist:batch", args=[b])),
        ("console: imports", "admin", reverse("imports:list")),
        ("console: lifecycle preview", "admin", reverse("lifecycle:preview")),
        ("reports: overview", "admin", reverse("reports:index")),
        ("reports: courses", "admin", reverse("reports:courses")),
        ("reports: batches", "admin", reverse("reports:batches")),
        ("reports: batches CSV", "admin", reverse("reports:batches") + "?format=csv"),
        ("reports: instructors", "admin", reverse("reports:instructors")),
        ("reports: students", "admin", reverse("reports:students")),
        ("reports: trainer quality", "admin", reverse("reports:quality")),
        ("reports: trainer quality CSV", "admin", reverse("reports:quality") + "?format=csv"),
        ("feedback: batch page", "admin", reverse("feedback:batch", args=[b])),
        ("audit log", "admin", reverse("audit:log")),
        ("audit: student history", "admin", reverse("audit:student", args=[s])),
        ("inbox (admin)", "admin", reverse("inbox:list")),
        ("console: batch calendar, month", "admin", reverse("console:batch_calendar", args=[b])),
        (
            "console: batch calendar, week",
            "admin",
            reverse("console:batch_calendar", args=[b]) + "?view=week",
        ),
        (
            "console: session page",
            "admin",
            reverse("console:session_detail", args=[built.session_id]),
        ),
        ("console: holidays", "admin", reverse("console:holiday_list")),
        ("instructor: dashboard", "instructor", reverse("instructor:dashboard")),
        ("instructor: this week", "instructor", reverse("instructor:this_week")),
        (
            "feed: instructor",
            "instructor",
            reverse("feeds:instructor", args=[tokens[t]]),
        ),
        ("feed: student", "student", reverse("feeds:student", args=[tokens[s]])),
        ("instructor: mentees", "instructor", reverse("instructor:mentees")),
        ("student: schedule", "student", reverse("student:schedule")),
        # The data set's mentors declare no hours, so the page lists bookings, not slots:
        # bench/mentor_slots.py times the slots.
        ("1:1 sessions (student)", "student", reverse("mentoring:bookings")),
        ("1:1 sessions (instructor)", "instructor", reverse("mentoring:bookings")),
        ("API: mentor slots", "student", f"/api/mentors/{t}/slots"),
        ("inbox (student)", "student", reverse("inbox:list")),
        ("attendance: report", "admin", reverse("attendance:report")),
        ("attendance: at-risk list", "admin", reverse("attendance:at_risk")),
        ("attendance: at-risk (instructor)", "instructor", reverse("attendance:at_risk")),
        ("attendance: roll", "admin", reverse("attendance:roll", args=[built.session_id])),
        ("attendance: mine", "student", reverse("attendance:mine")),
    ]
    api = [
        ("API: batches", "admin", "/api/batches"),
        ("API: course batches", "admin", f"/api/batches/courses/{c}/batches"),
        ("API: batch", "admin", f"/api/batches/{b}"),
        ("API: batch feedback", "admin", f"/api/batches/{b}/feedback"),
        ("API: batch students", "admin", f"/api/batches/{b}/students"),
        ("API: batch trainers", "admin", f"/api/batches/{b}/trainers"),
        ("API: courses", "admin", "/api/courses"),
        ("API: course trainers", "admin", f"/api/courses/{c}/trainers"),
        ("API: enrollments", "admin", "/api/enrollments"),
        ("API: users", "admin", "/api/users"),
        ("API: users, students", "admin", "/api/users?role=student"),
        ("API: users, instructors", "admin", "/api/users?role=instructor"),
        ("API: instructor students", "admin", f"/api/v1/auth/instructor-students/{t}"),
        (
            "API: students with instructors",
            "admin",
            "/api/v1/auth/get-all-students-with-instructors",
        ),
        ("API: instructor workload", "admin", f"/api/instructors/{t}/workload"),
    ]
    return console + api


# --- one size, in its own process ------------------------------------------------------------


def worker(scale: int, repeat: int, only: str, out: Path, reuse: bool = False) -> None:
    """Build the data set of ``scale`` in the current database (with ``reuse``: keep the one
    already there, if any), measure every page, write the results as JSON to ``out``."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from bench import data

    started = time.perf_counter()
    built = data.existing(scale) if reuse else None
    verb = "reused"
    if built is None:
        built, verb = data.build(scale), "built"
    with connection.cursor() as cursor:
        # As autovacuum does after a bulk load: statistics for the planner, and the
        # visibility map that lets a COUNT read an index alone.
        cursor.execute("VACUUM ANALYZE")
    build_seconds = time.perf_counter() - started
    print(
        f"  {scale}×: {verb} {sum(built.counts.values()):,} rows in {build_seconds:.1f} s",
        file=sys.stderr,
        flush=True,
    )

    clients = {}
    for role, pk in (
        ("admin", built.admin_id),
        ("instructor", built.trainer_id),
        ("student", built.student_id),
    ):
        client = Client()
        client.force_login(User.objects.get(pk=pk))
        clients[role] = client

    results = []
    for label, role, path in pages(built):
        if only and not any(part in label for part in only.split(",")):
            continue
        client = clients[role]
        response = client.get(path)  # warm-up: caches, first compile of templates
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        # Read now: the next request's request_started signal empties the query log.
        query_count = len(queries)
        times = []
        deadline = time.perf_counter() + TIME_BUDGET
        # A slow page gets fewer requests (at least MIN_REPEAT) so that a run stays short.
        while len(times) < repeat and (len(times) < MIN_REPEAT or time.perf_counter() < deadline):
            begin = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - begin)
        results.append(
            {
                "label": label,
                "path": path,
                "status": response.status_code,
                "queries": query_count,
                "p50_ms": statistics.median(times) * 1000,
                "requests": len(times),
                "bytes": len(response.content),
            }
        )
        print(
            f"  {scale}×: {label}: {response.status_code}, {query_count} queries, "
            f"{results[-1]['p50_ms']:.1f} ms",
            file=sys.stderr,
            flush=True,
        )
    out.write_text(
        json.dumps(
            {
                "scale": scale,
                "build_seconds": build_seconds,
                "counts": built.counts,
                "results": results,
            }
        )
    )


# --- the driver ------------------------------------------------------------------------------


def run_size(scale: int, repeat: int, only: str, prefix: str, reuse: bool) -> dict:
    url = fresh_database(f"{prefix}_{scale}x", reuse=reuse)
    env = django_env(
        url, DJANGO_SETTINGS_MODULE=SETTINGS, ALLOWED_HOSTS="testserver", LOG_LEVEL="WARNING"
    )
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        subprocess.run(
            [
                PYTHON,
                str(Path(__file__).resolve()),
                "--worker",
                str(scale),
                "--repeat",
                str(repeat),
                "--only",
                only,
                "--out",
                str(out),
                *(["--reuse"] if reuse else []),
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def table(runs: list[dict]) -> tuple[str, bool]:
    """The Markdown table of every page × size, and whether every target was met."""
    sizes = [run["scale"] for run in runs]
    first, last = runs[0], runs[-1]
    header = (
        ["page", "status"]
        + [f"queries {s}×" for s in sizes]
        + ["same queries"]
        + [f"p50 {s}× (ms)" for s in sizes]
        + [f"ratio {last['scale']}×/{first['scale']}×", "within 3×"]
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    ok = True
    by_size = [{r["label"]: r for r in run["results"]} for run in runs]
    for row in first["results"]:
        label = row["label"]
        cells = [by[label] for by in by_size if label in by]
        statuses = {c["status"] for c in cells}
        queries = [c["queries"] for c in cells]
        same = len(set(queries)) == 1
        ratio = cells[-1]["p50_ms"] / cells[0]["p50_ms"] if cells[0]["p50_ms"] else 0.0
        export = "CSV" in label  # every row of a table: grows with the data by design
        within = ratio <= MAX_RATIO
        ok &= same and (within or export) and statuses == {200}
        lines.append(
            "| "
            + " | ".join(
                [label, "/".join(str(s) for s in sorted(statuses))]
                + [str(q) for q in queries]
                + ["yes" if same else "**no**"]
                + [f"{c['p50_ms']:.1f}" for c in cells]
                + [f"{ratio:.2f}", "yes" if within else ("export" if export else "**no**")]
            )
            + " |"
        )
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated scale factors, e.g. 1,10")
    parser.add_argument("--quick", action="store_true", help="1× and 10× only; print only")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page")
    parser.add_argument(
        "--only", default="", help="only pages whose label contains this (or one of a,b,c)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data an earlier run built; print only"
    )
    parser.add_argument(
        "--db-prefix", default="medh_bench_dash", help="database name prefix (<prefix>_<size>x)"
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        worker(args.worker, args.repeat, args.only, args.out, args.reuse)
        return 0

    if args.sizes:
        sizes = tuple(int(s) for s in args.sizes.split(","))
    else:
        sizes = QUICK_SIZES if args.quick else DEFAULT_SIZES
    write = not (args.quick or args.no_write or args.only or args.reuse)
    machine = machine_line()
    runs = []
    for scale in sizes:
        print(f"{scale}×: building and measuring…", file=sys.stderr, flush=True)
        runs.append(run_size(scale, args.repeat, args.only, args.db_prefix, args.reuse))
    text, ok = table(runs)
    builds = ", ".join(
        f"{run['scale']}×: {sum(run['counts'].values()):,} rows in {run['build_seconds']:.0f} s"
        for run in runs
    )
    command = "python " + " ".join(["bench/dashboards.py", *(argv or sys.argv[1:])])
    print(text)
    print(f"\nData built ({builds}).")
    print("All targets met." if ok else "Some targets missed (marked **no**).")
    if write:
        write_section(
            "dashboards",
            "\n".join(
                [
                    "## Dashboards, lists and reports at 1×, 10× and 100× (`bench/dashboards.py`)",
                    "",
                    f"Run on {today()}: `{command.strip()}`",
                    "",
                    f"Machine: {machine}.",
                    "",
                    "Sizes: 1× = 1,000 students, 50 batches, 5 trainers; each size ×10. Data: "
                    f"{builds}. Each page: SQL queries of one request, and the median server "
                    f"time of {args.repeat} requests (in-process, Django test client, "
                    "PostgreSQL). Targets: the same queries at every size; p50 at the "
                    f"largest size within {MAX_RATIO:g}× of 1×.",
                    "",
                    text,
                ]
            ),
        )
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    sys.exit(main())
