"""Soak: a mixed load against two app servers sharing one PostgreSQL database and a worker.

What runs, all on loopback (docs/deployment.md describes the same topology on several
machines):

- two gunicorn instances (``--workers`` sync workers each) on two ports, with the production
  settings, both on one PostgreSQL database (``medh_soak``, re-created and seeded with
  ``seed_demo``);
- the background workers: ``manage.py run_outbox`` sends every notification email from the
  outbox the app servers write to (the one-line console email backend, into a log file: one
  line per email with its Message-ID), and ``manage.py db_worker`` runs queued tasks. The
  outbox worker is killed with SIGKILL and restarted twice during the load (at a third and
  at two thirds of it), with a 10 s lease, so the soak also proves that a crash loses no
  email;
- the load generator (asyncio + httpx): ``--concurrency`` virtual users, each sending its next
  request as soon as the last one answered, to the two ports in turn. Students read their
  schedule and instructors their dashboard with a session from the real login page; admins
  enroll, cancel, transfer (console forms with the session and its CSRF token, and the API
  with a Bearer token) and assign primary instructors (API). Every session logs in on one
  port and is used on both: sessions live in the database, no server keeps state.

The production settings run on plain HTTP the way they run behind a TLS-terminating load
balancer: each request carries ``X-Forwarded-Proto: https`` (``SECURE_PROXY_SSL_HEADER``),
so there is no HTTPS redirect, the cookies are ``Secure`` (the client sends them itself, as a
browser talking HTTPS to the balancer would) and the CSRF check sees an HTTPS ``Origin``.

After the load the worker drains the queue; then the checks run, each must find nothing:
5xx answers, unexpected answers (a session or token not honoured, a 403, a 404), batches
holding more students than seats, counters that differ from the active enrollments, a
student twice active in a course, trainers teaching two overlapping sessions, failed
notifications, pending notifications without a queued task, failed tasks, findings of
``check_integrity`` that were not there before, notifications not delivered after the drain
and sent notifications without an email. Emails sent twice (the same Message-ID twice: a
kill between the send and its record) are counted and reported, not a failure: delivery is
at-least-once with that id as the idempotency key. Exit status 1 on any of the others.

With ``--scale-out`` the same soak runs on the scaled-out topology of docs/deployment.md: a
PostgreSQL streaming replica on port 5433 (``scripts/replica start``; the soak database
reaches it by replication) serving the reports' and dashboards' reads
(``DATABASE_REPLICA_URL``), Redis at 127.0.0.1:6379 as the task queue (``TASK_BACKEND=rq``,
``manage.py rqworker`` instead of ``db_worker``; every notifying change enqueues an outbox
wake-up) and as the login throttle's cache (``REDIS_URL``), and admins reading the report
pages and the console dashboard as part of the mix. It also reports the replica's replay lag
(sampled every second on the primary's ``pg_stat_replication``) and the share of reads it
served (by the ``X-Medh-Read-From`` answer of each report request, and by the database
transactions of the soak database on each server).

    python bench/soak.py                 # 300 s; writes the "soak" section of docs/performance.md
    python bench/soak.py --quick         # 30 s; prints only
    python bench/soak.py --duration 120 --concurrency 16 --workers 3 --no-write
    python bench/soak.py --scale-out     # 300 s; writes the "soak-scale-out" section
"""

from __future__ import annotations

import argparse
import asyncio
import html
import itertools
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.common import (
    PYTHON,
    ROOT,
    django_env,
    free_port,
    fresh_database,
    gunicorn,
    machine_line,
    today,
    write_section,
)

SEED = 20250901
EXTRA_STUDENTS = 200  # students without an enrollment yet, so enrolling has someone to enroll
EXTRA_SEATS = 4  # added to every open batch, so the demo's full batches take students again
STUDENT_SESSIONS, INSTRUCTOR_SESSIONS, ADMIN_SESSIONS = 24, 8, 3
PASSWORD = "demo12345"
ADMIN = ("admin@medh.local", "admin12345")

# Request kinds and their share of the requests (percent).
MIX = {
    "student schedule": 40,
    "instructor dashboard": 20,
    "admin enrollment list (API)": 4,
    "enroll (API)": 10,
    "enroll (console form)": 4,
    "cancel (API)": 9,
    "transfer (API)": 6,
    "transfer (console form)": 3,
    "assign primary (API)": 4,
}
# --scale-out adds the admins' reads of the reports and the dashboard (from the replica).
SCALE_OUT_MIX = {
    "admin report page (replica)": 4,
    "admin report CSV (replica)": 1,
    "admin dashboard (replica)": 2,
}
REPORT_PATHS = {
    "admin report page (replica)": ["/console/reports/", "/console/reports/courses/"],
    "admin report CSV (replica)": ["/console/reports/batches/?format=csv"],
    "admin dashboard (replica)": ["/console/"],
}
REDIS_URL = "redis://127.0.0.1:6379/8"  # a Redis database of the soak's own (flushed)
REPLICA_PORT = 5433
# What each kind answers when it works, and when a service refuses (expected under load: a
# full batch, a duplicate, a schedule conflict, an enrollment someone else already moved).
OK = {
    "login": {302},
    "student schedule": {200},
    "instructor dashboard": {200},
    "admin enrollment list (API)": {200},
    "enroll (API)": {201},
    "enroll (console form)": {302},
    "cancel (API)": {200},
    "transfer (API)": {200},
    "transfer (console form)": {302},
    "assign primary (API)": {200},
    **dict.fromkeys(SCALE_OUT_MIX, {200}),
}
REFUSED = {
    "enroll (API)": {400},
    "enroll (console form)": {200},  # the form again, with the service's message
    "cancel (API)": {400},
    "transfer (API)": {400},
    "transfer (console form)": {200},
    "assign primary (API)": {400},
}


@dataclass
class Session:
    """A logged-in browser: its cookies (sent by hand: they are Secure) and CSRF token."""

    email: str
    user_id: int
    login_port: int
    cookies: dict[str, str]

    def headers(self, port: int, *, post: bool = False) -> dict[str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if post:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
            headers["Origin"] = f"https://127.0.0.1:{port}"
        return headers


@dataclass
class Result:
    kind: str
    port: int
    status: int
    seconds: float
    outcome: str  # "ok", "refused", "5xx" or "unexpected"
    detail: str = ""
    cross_port: bool = False
    read_from: str = ""  # X-Medh-Read-From of a replica-eligible answer


@dataclass
class World:
    """What the virtual users know about the data (hints: the services have the last word)."""

    ports: list[int]
    mix: dict[str, int] = field(default_factory=lambda: dict(MIX))
    token: str = ""
    students: list[int] = field(default_factory=list)
    batches_by_course: dict[int, list[int]] = field(default_factory=dict)
    course_of_batch: dict[int, int] = field(default_factory=dict)
    trainers_by_course: dict[int, list[int]] = field(default_factory=dict)
    active: dict[int, int] = field(default_factory=dict)  # enrollment id -> course id
    sessions: dict[str, list[Session]] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    _turn: itertools.count = field(default_factory=itertools.count)

    def port(self) -> int:
        """The next port, round-robin: what a load balancer in front of both would do."""
        return self.ports[next(self._turn) % len(self.ports)]


# --- setup ----------------------------------------------------------------------------------


def server_env(database_url: str, static_root: Path) -> dict[str, str]:
    """Production settings on loopback; tasks queued in the database; email to the console."""
    return django_env(
        database_url,
        DJANGO_SETTINGS_MODULE="medh.settings.production",
        SECRET_KEY="soak-" + "x" * 60,  # a throw-away key for a throw-away database
        ALLOWED_HOSTS="127.0.0.1,localhost",
        TASK_BACKEND="database",
        EMAIL_BACKEND="notifications.mail.OneLineConsoleBackend",
        NOTIFICATION_LEASE_SECONDS="10",
        STATIC_ROOT=str(static_root),
        SITE_URL="https://127.0.0.1",
        LOG_LEVEL="WARNING",
    )


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def prepare(env: dict[str, str], world: World) -> int:
    """Extra students and seats (through the services), then what the users will pick from.

    Returns the number of ``check_integrity`` findings before the load."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from accounts.models import User
    from allocation.models import Batch, CourseTrainer, RosterStatus
    from allocation.services import batch_update
    from enrollments.models import Enrollment, EnrollmentStatus
    from enrollments.selectors import integrity_findings
    from notifications.services import notifications_without_email

    password = make_password(PASSWORD)
    User.objects.bulk_create(
        User(
            email=f"soak{n:03d}@medh.local",
            full_name=f"Soak Student {n:03d}",
            password=password,
            is_student=True,
        )
        for n in range(1, EXTRA_STUDENTS + 1)
    )
    admin = User.objects.get(email=ADMIN[0])
    with notifications_without_email():
        for batch in Batch.objects.open().order_by("pk"):
            batch_update(batch=batch, capacity=batch.capacity + EXTRA_SEATS, updated_by=admin)

    world.students = list(User.objects.students().values_list("pk", flat=True))
    for pk, course_id in Batch.objects.open().values_list("pk", "course_id"):
        world.batches_by_course.setdefault(course_id, []).append(pk)
        world.course_of_batch[pk] = course_id
    for course_id, trainer_id in CourseTrainer.objects.filter(
        status=RosterStatus.ACTIVE
    ).values_list("course_id", "trainer_id"):
        world.trainers_by_course.setdefault(course_id, []).append(trainer_id)
    world.active = dict(
        Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE, batch__isnull=False).values_list(
            "pk", "course_id"
        )
    )
    findings = len(integrity_findings())
    connection.close()
    return findings


def logins() -> dict[str, list[tuple[str, str]]]:
    """Who logs in: demo students, the instructors who teach, the admin (several tabs)."""
    from accounts.models import User
    from allocation.models import BatchTrainer

    rng = random.Random(SEED)
    students = sorted(
        User.objects.filter(is_student=True, enrollments__status="active")
        .distinct()
        .values_list("email", flat=True)
    )
    teachers = sorted(
        set(
            BatchTrainer.objects.filter(ended_at__isnull=True, role="primary").values_list(
                "trainer__email", flat=True
            )
        )
    )
    return {
        "student": [(e, PASSWORD) for e in rng.sample(students, STUDENT_SESSIONS)],
        "instructor": [(e, PASSWORD) for e in teachers[:INSTRUCTOR_SESSIONS]],
        "admin": [ADMIN] * ADMIN_SESSIONS,
    }


# --- requests -------------------------------------------------------------------------------


def set_cookies(response: httpx.Response) -> dict[str, str]:
    jar = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def refusal(response: httpx.Response) -> str:
    """The service's message: the API's ``message``, or the form's first error."""
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            return str(response.json().get("message", ""))[:120]
        except ValueError:
            return "(not JSON)"
    # The message may sit in a nested element (crispy puts it in <strong>): take the whole
    # element and drop the tags.
    found = re.search(
        r'class="[^"]*(?:invalid-feedback|alert-danger)[^"]*"[^>]*>(.*?)</(?:div|p|span)>',
        response.text,
        re.S,
    )
    if not found:
        return "(form error)"
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()
    return html.unescape(text)[:120] or "(form error)"


async def send(
    client: httpx.AsyncClient,
    world: World,
    kind: str,
    method: str,
    path: str,
    *,
    session: Session | None = None,
    data: dict | None = None,
    json: dict | None = None,
    port: int | None = None,
) -> tuple[Result, httpx.Response | None]:
    port = port or world.port()
    headers = {"X-Forwarded-Proto": "https"}
    if session is not None:
        headers.update(session.headers(port, post=method != "GET"))
    if world.token and session is None:
        headers["Authorization"] = f"Bearer {world.token}"
    started = time.perf_counter()
    try:
        response = await client.request(
            method, f"http://127.0.0.1:{port}{path}", headers=headers, data=data, json=json
        )
    except httpx.HTTPError as exc:
        result = Result(kind, port, 0, time.perf_counter() - started, "unexpected", repr(exc))
        world.results.append(result)
        return result, None
    seconds = time.perf_counter() - started
    status = response.status_code
    if status >= 500:
        outcome, detail = "5xx", f"{method} {path}: {response.text[:300]}"
    elif status in OK.get(kind, ()) and not response.headers.get("location", "").startswith(
        "/accounts/login/"
    ):
        outcome, detail = "ok", ""
    elif status in REFUSED.get(kind, ()):
        outcome, detail = "refused", refusal(response)
    else:
        outcome = "unexpected"
        detail = f"{method} {path} -> {status} {response.headers.get('location', '')}"
    cross = session is not None and session.login_port != port
    read_from = response.headers.get("x-medh-read-from", "")
    result = Result(kind, port, status, seconds, outcome, detail, cross, read_from)
    world.results.append(result)
    return result, response


async def login(client: httpx.AsyncClient, world: World, email: str, password: str, port: int):
    """Log in through the real login page: GET it for the CSRF token, POST the form."""
    page = await client.get(
        f"http://127.0.0.1:{port}/accounts/login/", headers={"X-Forwarded-Proto": "https"}
    )
    cookies = set_cookies(page)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    anonymous = Session(email, 0, port, cookies)
    result, response = await send(
        client,
        world,
        "login",
        "POST",
        "/accounts/login/",
        session=anonymous,
        data={"csrfmiddlewaretoken": token, "username": email, "password": password},
        port=port,
    )
    if result.outcome != "ok":
        raise RuntimeError(f"login of {email} on port {port} failed: {result.detail}")
    cookies.update(set_cookies(response))  # the new session and the rotated CSRF token
    return Session(email, 0, port, cookies)


async def api_login(client: httpx.AsyncClient, port: int) -> str:
    response = await client.post(
        f"http://127.0.0.1:{port}/api/v1/auth/login",
        json={"email": ADMIN[0], "password": ADMIN[1]},
        headers={"X-Forwarded-Proto": "https"},
    )
    response.raise_for_status()
    return response.json()["data"]["token"]


# --- the mixed scenario ---------------------------------------------------------------------


def pick_active(world: World, *, remove: bool) -> tuple[int, int] | None:
    if not world.active:
        return None
    pk = world.rng.choice(list(world.active))
    return (pk, world.active.pop(pk) if remove else world.active[pk])


def other_batch(world: World, course_id: int) -> int:
    return world.rng.choice(world.batches_by_course[course_id])


async def one_request(client: httpx.AsyncClient, world: World) -> None:
    rng = world.rng
    kind = rng.choices(list(world.mix), weights=list(world.mix.values()))[0]
    if kind in REPORT_PATHS:
        await send(
            client,
            world,
            kind,
            "GET",
            rng.choice(REPORT_PATHS[kind]),
            session=rng.choice(world.sessions["admin"]),
        )
    elif kind == "student schedule":
        await send(
            client,
            world,
            kind,
            "GET",
            "/me/schedule/",
            session=rng.choice(world.sessions["student"]),
        )
    elif kind == "instructor dashboard":
        await send(
            client,
            world,
            kind,
            "GET",
            "/instructor/",
            session=rng.choice(world.sessions["instructor"]),
        )
    elif kind == "admin enrollment list (API)":
        page = rng.randint(1, 8)
        _, response = await send(
            client, world, kind, "GET", f"/api/enrollments?status=active&limit=100&page={page}"
        )
        if response is not None and response.status_code == 200:
            for row in response.json()["data"]:
                if row.get("batch"):
                    world.active.setdefault(row["_id"], row["course"])
    elif kind in ("enroll (API)", "enroll (console form)"):
        course_id = rng.choice(list(world.batches_by_course))
        student, batch = rng.choice(world.students), other_batch(world, course_id)
        if kind == "enroll (API)":
            result, response = await send(
                client,
                world,
                kind,
                "POST",
                f"/api/enrollments/students/{student}/enroll",
                json={"courseId": course_id, "batchId": batch},
            )
            if result.outcome == "ok":
                world.active[response.json()["data"]["_id"]] = course_id
        else:
            await send(
                client,
                world,
                kind,
                "POST",
                "/console/enrollments/new/",
                session=rng.choice(world.sessions["admin"]),
                data={
                    "student": student,
                    "course": course_id,
                    "batch": batch,
                    "enrollment_type": "batch",
                    "enrollment_source": "admin",
                },
            )
    elif kind == "cancel (API)":
        picked = pick_active(world, remove=True)
        if picked:
            await send(client, world, kind, "DELETE", f"/api/enrollments/{picked[0]}")
    elif kind in ("transfer (API)", "transfer (console form)"):
        picked = pick_active(world, remove=False)
        if picked:
            pk, course_id = picked
            target = other_batch(world, course_id)
            if kind == "transfer (API)":
                await send(
                    client, world, kind, "PUT", f"/api/enrollments/{pk}", json={"batchId": target}
                )
            else:
                await send(
                    client,
                    world,
                    kind,
                    "POST",
                    f"/console/enrollments/{pk}/transfer/",
                    session=rng.choice(world.sessions["admin"]),
                    data={"to_batch": target},
                )
    elif kind == "assign primary (API)":
        batch = rng.choice(list(world.course_of_batch))
        trainer = rng.choice(world.trainers_by_course[world.course_of_batch[batch]])
        await send(client, world, kind, "PUT", f"/api/batches/{batch}/assign-instructor/{trainer}")


async def run_load(world: World, plan: dict, duration: float, concurrency: int) -> float:
    """Log everybody in (alternating ports), then run the mix; return the measured seconds."""
    limits = httpx.Limits(
        max_connections=concurrency + 8, max_keepalive_connections=concurrency + 8
    )
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        world.token = await api_login(client, world.ports[0])
        jobs = [
            (role, e, p, world.ports[i % 2])
            for role, people in plan.items()
            for i, (e, p) in enumerate(people)
        ]
        gate = asyncio.Semaphore(4)

        async def one(role, email, password, port):
            async with gate:
                return role, await login(client, world, email, password, port)

        for role, session in await asyncio.gather(*(one(*job) for job in jobs)):
            world.sessions.setdefault(role, []).append(session)
        world.results.clear()  # only the logins' own rows: keep them apart from the run
        stop = time.monotonic() + duration

        async def user() -> None:
            while time.monotonic() < stop:
                await one_request(client, world)

        started = time.monotonic()
        await asyncio.gather(*(user() for _ in range(concurrency)))
        return time.monotonic() - started


# --- after the load -------------------------------------------------------------------------

DOUBLE_BOOKED = """
WITH duty AS (
    SELECT bt.trainer_id, b.id AS batch_id, s.day, s.start_time, s.end_time,
           b.start_date AS first_day, b.end_date AS last_day
    FROM allocation_batchtrainer bt
    JOIN allocation_batch b ON b.id = bt.batch_id
    JOIN allocation_scheduleslot s ON s.batch_id = b.id
    WHERE bt.ended_at IS NULL AND bt.role IN ('primary', 'assistant')
      AND b.status IN ('Active', 'Upcoming')
    UNION ALL
    SELECT c.substitute_id, b.id, s.day, s.start_time, s.end_time, c.start_date, c.end_date
    FROM allocation_substitutecover c
    JOIN allocation_batch b ON b.id = c.batch_id
    JOIN allocation_scheduleslot s ON s.batch_id = b.id
    WHERE b.status IN ('Active', 'Upcoming')
)
SELECT count(DISTINCT a.trainer_id) FROM duty a JOIN duty o
  ON o.trainer_id = a.trainer_id AND a.batch_id < o.batch_id AND a.day = o.day
 AND a.start_time < o.end_time AND o.start_time < a.end_time
 AND a.first_day <= o.last_day AND o.first_day <= a.last_day
"""
CHECKS = {
    "batches over capacity": """
        SELECT count(*) FROM allocation_batch b WHERE b.enrolled_students > b.capacity
           OR (SELECT count(*) FROM enrollments_enrollment e
               WHERE e.batch_id = b.id AND e.status = 'active') > b.capacity""",
    "counters differing from active enrollments": """
        SELECT count(*) FROM allocation_batch b WHERE b.enrolled_students <> (
            SELECT count(*) FROM enrollments_enrollment e
            WHERE e.batch_id = b.id AND e.status = 'active')""",
    "students twice active in a course": """
        SELECT count(*) FROM (SELECT 1 FROM enrollments_enrollment WHERE status = 'active'
            GROUP BY student_id, course_id HAVING count(*) > 1) AS twice""",
    "double-booked trainers": DOUBLE_BOOKED,
    "notifications failed": (
        "SELECT count(*) FROM notifications_notification WHERE email_status = 'failed'"
    ),
    "notifications not delivered after the drain": (
        "SELECT count(*) FROM notifications_notification WHERE email_status = 'pending'"
    ),
    "tasks failed": (
        "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED'"
    ),
}
QUEUED = """SELECT
    (SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')),
    (SELECT count(*) FROM notifications_notification WHERE email_status = 'pending')"""


class Outbox:
    """The ``run_outbox`` worker process, killed with SIGKILL and restarted on demand."""

    def __init__(self, env: dict[str, str], out, err):
        self.env, self.out, self.err = env, out, err
        self.process: subprocess.Popen | None = None
        self.kills = 0

    def start(self) -> Outbox:
        self.process = subprocess.Popen(
            [PYTHON, "manage.py", "run_outbox", "--poll", "0.5"],
            cwd=ROOT,
            env=self.env,
            stdout=self.out,
            stderr=self.err,
        )
        return self

    def kill_and_restart(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        self.kills += 1
        print(f"soak: killed the outbox worker (kill -9 #{self.kills}), restarting", flush=True)
        self.start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def scalar(sql: str):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def drain(seconds: float) -> tuple[float, int, int]:
    """Wait until the worker has emptied the queue (or ``seconds`` pass)."""
    started = time.monotonic()
    while True:
        queued, pending = scalar(QUEUED)
        if (queued == 0 and pending == 0) or time.monotonic() - started > seconds:
            return time.monotonic() - started, queued, pending
        time.sleep(1)


class LagSampler(threading.Thread):
    """Every second, the replica's replay lag as the primary sees it (``pg_stat_replication``:
    ``replay_lag``, NULL while there is nothing to replay, counted as 0, and the bytes of WAL
    not yet replayed)."""

    def __init__(self, primary_url: str):
        super().__init__(daemon=True)
        self.primary_url = primary_url
        self.seconds: list[float] = []
        self.bytes: list[int] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.primary_url, autocommit=True) as conn:
            while not self.stopping.wait(1.0):
                row = conn.execute(
                    "SELECT COALESCE(EXTRACT(EPOCH FROM replay_lag), 0)::float,"
                    " COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint"
                    " FROM pg_stat_replication ORDER BY backend_start LIMIT 1"
                ).fetchone()
                if row is not None:
                    self.seconds.append(row[0])
                    self.bytes.append(row[1])

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


def transactions(url: str, database: str) -> int:
    """Transactions (each autocommit statement is one) of ``database`` on the server of ``url``."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            [database],
        ).fetchone()
    return int(row[0]) if row else 0


def scale_out_setup() -> None:
    """The replica (scripts/replica start) and Redis (flush the soak's database) must be up."""
    subprocess.run([str(ROOT / "scripts" / "replica"), "start"], check=True)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def rq_failed() -> int:
    import redis
    from rq import Queue
    from rq.registry import FailedJobRegistry

    queue = Queue("default", connection=redis.Redis.from_url(REDIS_URL))
    return len(FailedJobRegistry(queue=queue))


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def ms(value: float) -> str:
    return f"{value * 1000:.0f}"


def tables(world: World, seconds: float) -> tuple[str, str, Counter]:
    by_kind, by_port = defaultdict(list), defaultdict(list)
    for r in world.results:
        by_kind[r.kind].append(r)
        by_port[r.port].append(r)
    lines = [
        "| request | count | ok | refused (4xx, expected) | 5xx | unexpected | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in world.mix:
        rows = by_kind.get(kind, [])
        if not rows:
            continue
        outcomes = Counter(r.outcome for r in rows)
        times = [r.seconds for r in rows]
        lines.append(
            f"| {kind} | {len(rows)} | {outcomes['ok']} | {outcomes['refused']} | "
            f"{outcomes['5xx']} | {outcomes['unexpected']} | {ms(percentile(times, 50))} | "
            f"{ms(percentile(times, 99))} |"
        )
    everything = world.results
    outcomes = Counter(r.outcome for r in everything)
    times = [r.seconds for r in everything]
    lines.append(
        f"| **all** ({len(everything) / seconds:.1f} req/s) | {len(everything)} | "
        f"{outcomes['ok']} | {outcomes['refused']} | {outcomes['5xx']} | "
        f"{outcomes['unexpected']} | "
        f"{ms(percentile(times, 50))} | {ms(percentile(times, 99))} |"
    )
    ports = [
        "| port | requests | with a session from the other port | 5xx | unexpected "
        "| p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for port, rows in sorted(by_port.items()):
        o = Counter(r.outcome for r in rows)
        t = [r.seconds for r in rows]
        ports.append(
            f"| {port} | {len(rows)} | {sum(r.cross_port for r in rows)} | {o['5xx']} | "
            f"{o['unexpected']} | {ms(percentile(t, 50))} | {ms(percentile(t, 99))} |"
        )
    refusals = Counter(r.detail for r in everything if r.outcome == "refused")
    return "\n".join(lines), "\n".join(ports), refusals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds of load (300)")
    parser.add_argument("--quick", action="store_true", help="30 s, print only")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/performance.md")
    parser.add_argument("--concurrency", type=int, default=12, help="virtual users (12)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers per instance (3)")
    parser.add_argument("--drain", type=float, default=120, help="seconds to wait for the worker")
    parser.add_argument("--database", default="medh_soak", help="scratch database (re-created)")
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="add the read replica (port 5433), Redis (queue and cache) and report reads",
    )
    args = parser.parse_args()
    if args.quick:
        args.duration, args.no_write = 30, True
    load_before = machine_line()

    print(f"soak: preparing {args.database} (migrate, seed_demo, collectstatic)", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="medh-soak-"))
    if args.scale_out:
        scale_out_setup()
    url = fresh_database(args.database)
    env = server_env(url, workdir / "static")
    replica_url = url.replace(":5432/", f":{REPLICA_PORT}/")
    if args.scale_out:
        env.update(
            DATABASE_REPLICA_URL=replica_url,
            REDIS_URL=REDIS_URL,
            TASK_BACKEND="rq",
        )
    manage(env, "seed_demo", "--quiet")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    ports = [free_port(), free_port()]
    while ports[0] == ports[1]:
        ports[1] = free_port()
    world = World(ports=ports)
    if args.scale_out:
        world.mix.update(SCALE_OUT_MIX)
    findings_before = prepare(env, world)
    plan = logins()
    from django.db import connection

    connection.close()

    with ExitStack() as stack:
        for n, port in enumerate(ports):
            stack.enter_context(
                gunicorn(env, port=port, workers=args.workers, log=workdir / f"gunicorn-{n}.log")
            )
        email_log = (workdir / "worker.log").open("w")
        stack.callback(email_log.close)
        worker_err = (workdir / "worker.err").open("w")
        stack.callback(worker_err.close)
        task_worker = [PYTHON, "manage.py", "db_worker", "--no-startup-delay", "--interval", "0.5"]
        if args.scale_out:  # as scripts/worker runs it with TASK_BACKEND=rq
            task_worker = [
                *(PYTHON, "manage.py", "rqworker", "default", "--with-scheduler"),
                *("--job-class", "django_tasks_rq.backend.Job"),
            ]
        tasks = subprocess.Popen(
            task_worker,
            cwd=ROOT,
            env=env,
            # The RQ worker delivers emails too (the outbox's wake-up jobs): into the same log.
            stdout=email_log if args.scale_out else worker_err,
            stderr=worker_err,
        )
        lag = LagSampler(url)
        if args.scale_out:
            lag.start()
            xacts_before = (
                transactions(url, args.database),
                transactions(replica_url, args.database),
            )
        outbox = Outbox(env, email_log, worker_err).start()
        kills = [
            threading.Timer(args.duration * share, outbox.kill_and_restart)
            for share in (1 / 3, 2 / 3)
        ]
        for timer in kills:
            timer.start()
        print(
            f"soak: {args.duration:g} s, {args.concurrency} users, 2 × gunicorn "
            f"({args.workers} workers) on ports {ports[0]} and {ports[1]}, 1 run_outbox "
            "(killed -9 and restarted twice), "
            + ("1 rqworker, a read replica, Redis" if args.scale_out else "1 db_worker"),
            flush=True,
        )
        seconds = asyncio.run(run_load(world, plan, args.duration, args.concurrency))
        if args.scale_out:
            xacts_after = (
                transactions(url, args.database),
                transactions(replica_url, args.database),
            )
            lag.stop()
        for timer in kills:
            timer.join()
        drained, queued, pending = drain(args.drain)
        outbox.stop()
        tasks.terminate()
        tasks.wait(timeout=30)

    from enrollments.selectors import integrity_findings

    checks = {name: scalar(sql)[0] for name, sql in CHECKS.items()}
    checks["5xx answers"] = sum(r.outcome == "5xx" for r in world.results)
    checks["unexpected answers (auth lost, 403, 404, errors)"] = sum(
        r.outcome == "unexpected" for r in world.results
    )
    checks["new check_integrity findings"] = max(0, len(integrity_findings()) - findings_before)
    scale_out_text = ""
    if args.scale_out:
        checks["RQ jobs failed"] = rq_failed()
        reports = [r for r in world.results if r.kind in SCALE_OUT_MIX]
        from_replica = sum(r.read_from == "replica" for r in reports)
        fallbacks = sum(r.read_from == "primary-fallback" for r in reports)
        primary_x = xacts_after[0] - xacts_before[0]
        replica_x = xacts_after[1] - xacts_before[1]
        share = replica_x / (primary_x + replica_x) if primary_x + replica_x else 0.0
        lag_s = sorted(lag.seconds) or [0.0]
        lag_b = sorted(lag.bytes) or [0]
        scale_out_text = (
            f"Read replica: {from_replica} of {len(reports)} report and dashboard answers "
            f"({from_replica / max(len(reports), 1):.0%}) were read from the replica "
            f"({fallbacks} fell back to the primary); the replica served {replica_x} of the "
            f"soak database's {primary_x + replica_x} transactions during the load "
            f"({share:.1%}; every other read and every write went to the primary). Replay "
            f"lag, sampled every second ({len(lag.seconds)} samples): median "
            f"{statistics.median(lag_s) * 1000:.0f} ms, max {lag_s[-1] * 1000:.0f} ms; WAL "
            f"not yet replayed: median {statistics.median(lag_b) / 1024:.0f} KiB, max "
            f"{lag_b[-1] / 1024:.0f} KiB."
        )
    sent = scalar("SELECT count(*) FROM notifications_notification WHERE email_status = 'sent'")[0]
    ids = Counter(re.findall(r"<notification\.[^>]+>", (workdir / "worker.log").read_text()))
    emails = sum(ids.values())
    duplicates = sum(count - 1 for count in ids.values())
    checks["sent notifications without an email"] = max(0, sent - len(ids))
    created = scalar(
        "SELECT count(*) FROM notifications_notification WHERE email_status <> 'skipped'"
    )[0]

    kinds, ports_table, refusals = tables(world, seconds)
    check_lines = ["| check | found |", "|---|---:|"] + [
        f"| {name} | {value}{'' if not value else ' **VIOLATION**'} |"
        for name, value in checks.items()
    ]
    refusal_lines = "\n".join(f"- {count} × {text}" for text, count in refusals.most_common(8))
    summary = (
        f"{len(world.results)} requests in {seconds:.0f} s ({len(world.results) / seconds:.1f}/s); "
        f"{created} notifications queued by the app servers, {sent} sent by the worker "
        f"({emails} emails written, {len(ids)} distinct Message-IDs: {duplicates} duplicates), "
        f"{pending} still pending after a drain of {drained:.0f} s ({queued} tasks still "
        f"queued). The outbox worker was killed with SIGKILL {outbox.kills} times and restarted."
    )
    checks_table = "\n".join(check_lines)
    print(
        f"\n{kinds}\n\n{ports_table}\n\nMost frequent refusals:\n{refusal_lines}\n\n"
        f"{checks_table}\n\n{summary}\n\n{scale_out_text}"
    )
    problems = {name: value for name, value in checks.items() if value}
    for r in [r for r in world.results if r.outcome in ("5xx", "unexpected")][:5]:
        print(f"  {r.kind} on port {r.port}: {r.detail}")
    if problems:
        print(f"soak: FAILED: {problems}; logs in {workdir}")
    else:
        print("soak: every check passed")

    if not args.no_write and args.scale_out:
        command = (
            f"python bench/soak.py --scale-out --duration {args.duration:g} "
            f"--concurrency {args.concurrency} --workers {args.workers}"
        )
        write_section(
            "soak-scale-out",
            f"""## Soak, scaled out: two app servers, primary and read replica, Redis

`{command}`, {today()}.
{load_before}.

The soak above on the scaled-out topology of docs/deployment.md, all on this one machine: two
gunicorn instances ({args.workers} sync workers each, production settings) with
`DATABASE_REPLICA_URL` (a streaming replica on port 5433 made by `scripts/replica start`),
`REDIS_URL` and `TASK_BACKEND=rq`; one `rqworker` (tasks and the outbox's wake-up jobs) and
one `run_outbox` (the outbox's poll; killed with SIGKILL and restarted twice) delivering the
emails; the mix adds admins reading the report pages, a report CSV and the console dashboard
(from the replica). The primary, the replica, Redis, the workers and the load generator share
the machine's 2 CPUs: the latencies are those of a saturated machine.

{kinds}

{ports_table}

"Refused" are the services' refusals the mix provokes on purpose (most frequent first):

{refusal_lines}

After the load, and after the workers drained the outbox:

{checks_table}

{summary}

{scale_out_text}
""",
        )
        print("soak: wrote the soak-scale-out section of docs/performance.md")
    elif not args.no_write:
        command = (
            f"python bench/soak.py --duration {args.duration:g} "
            f"--concurrency {args.concurrency} --workers {args.workers}"
        )
        write_section(
            "soak",
            f"""## Soak: two app servers, one database, one worker

`{command}`, {today()}.
{load_before}.

Everything on this one machine (loopback): two gunicorn instances ({args.workers} sync workers
each, production settings behind a simulated TLS proxy) on two ports, sharing one PostgreSQL
database seeded with the demo data (plus {EXTRA_STUDENTS} students without enrollment and
{EXTRA_SEATS} extra seats per open batch), one `run_outbox` sending the notification emails
from the outbox (one-line console email backend; killed with SIGKILL and restarted at a third
and at two thirds of the load, 10 s lease), one `db_worker` for tasks, and the load generator
({args.concurrency} virtual users, closed loop, no think time, requests to the two ports in
turn). Sessions log in through the login page on one port and are used on both. The machine's
2 CPUs run all of it at once, so the latencies are those of a saturated machine, not of a
sized deployment.

{kinds}

{ports_table}

"Refused" are the services' refusals the mix provokes on purpose (most frequent first):

{refusal_lines}

After the load, and after the worker drained the outbox:

{checks_table}

{summary}
""",
        )
        print("soak: wrote the soak section of docs/performance.md")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
