"""What the benchmark scripts share: the machine line, the docs/performance.md sections, a
scratch PostgreSQL database and gunicorn servers on loopback.

Every script writes its own section of ``docs/performance.md`` between
``<!-- NAME:start -->`` and ``<!-- NAME:end -->``; the rest of the file is left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
PYTHON = sys.executable
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def machine_line() -> str:
    """Platform, CPUs, Python and the load average, for the header of a section."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"load average before the run (1, 5, 15 min): {load}"
    )


def today() -> str:
    return dt.date.today().isoformat()


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(name: str, body: str) -> None:
    """Replace the ``name`` section of docs/performance.md with ``body`` (markers added)."""
    start, end = markers(name)
    text = f"{start}\n{body.strip()}\n{end}"
    old = DOC.read_text() if DOC.exists() else "# Performance\n"
    if start in old and end in old:
        head, rest = old.split(start, 1)
        new = head + text + rest.split(end, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(new)


def _psql(sql: str, *flags: str) -> str:
    return subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", *flags, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def fresh_database(name: str, *, reuse: bool = False) -> str:
    """Drop and re-create PostgreSQL database ``name``, migrate it, return its URL. With
    ``reuse``, an existing database is kept (only migrated: new migrations apply)."""
    exists = bool(_psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'", "-tA").strip())
    if not (reuse and exists):
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _psql(f'CREATE DATABASE "{name}"')
    url = f"{PG_SERVER}/{name}"
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=django_env(url),
        check=True,
    )
    return url


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment for manage.py, gunicorn and django.setup() against ``database_url``."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE=env.get("DJANGO_SETTINGS_MODULE", "medh.settings.dev"),
        DEBUG="false",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def wait_for_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            # As a TLS-terminating balancer would say: the production settings then answer
            # instead of redirecting to https:// (which would send TLS to a plain-HTTP port).
            request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:g} s")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], *, port: int | None = None, workers: int = 4, log: Path | None = None
) -> Iterator[str]:
    """Serve medh.wsgi with sync workers on loopback; yield the base URL; stop it after."""
    port = port or free_port()
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "medh.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/accounts/login/")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            out.close()


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, linearly interpolated; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Call:
    """One HTTP request of a load run: method, path (after the base URL), optional JSON body."""

    method: str
    path: str
    json: Any = None


@dataclass(frozen=True)
class Outcome:
    """What one call got: its status (0 when the request itself failed), its wall time in
    seconds from send to the end of the body, and the start of the body (or the error)."""

    call: Call
    status: int
    seconds: float
    body: str


@dataclass
class LoadResult:
    outcomes: list[Outcome]
    elapsed: float  # seconds from the first request sent to the last answer received

    def with_status(self, *statuses: int) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in statuses]

    def latencies(self) -> list[float]:
        return [o.seconds for o in self.outcomes]

    def per_second(self, count: int) -> float:
        return count / self.elapsed if self.elapsed else float("nan")


async def run_load_async(
    base_url: str,
    calls: Iterable[Call],
    *,
    concurrency: int,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
    body_chars: int = 300,
) -> LoadResult:
    """Send ``calls`` to ``base_url`` from ``concurrency`` asyncio clients, each taking the
    next call as soon as its previous one is answered (a closed loop, like N users)."""
    import httpx  # only the load generators need it

    # httpx logs every request at INFO; Django's logging config would print them all.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    pending = iter(calls)
    outcomes: list[Outcome] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=timeout
    ) as client:

        async def client_loop() -> None:
            for call in pending:  # a shared iterator: each call is taken by one client
                start = time.perf_counter()
                try:
                    response = await client.request(call.method, call.path, json=call.json)
                    status, body = response.status_code, response.text[:body_chars]
                except httpx.HTTPError as exc:
                    status, body = 0, f"{type(exc).__name__}: {exc}"[:body_chars]
                outcomes.append(Outcome(call, status, time.perf_counter() - start, body))

        start = time.perf_counter()
        await asyncio.gather(*(client_loop() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return LoadResult(outcomes, elapsed)


def run_load(base_url: str, calls: Iterable[Call], *, concurrency: int, **kwargs) -> LoadResult:
    """``run_load_async`` from synchronous code (its own event loop)."""
    return asyncio.run(run_load_async(base_url, calls, concurrency=concurrency, **kwargs))
