"""Helpers of the fault tests: pause a request at an exact SQL statement, kill its database
connection from outside, and run requests in real threads.

``PauseAfter`` is a ``connection.execute_wrapper`` hook. Installed in the thread that serves a
request, it lets the first statement matching its pattern run, records the PostgreSQL
backend pid of that thread's connection, then blocks until the test releases it. The test
thread, on its own connection, terminates that backend with ``pg_terminate_backend`` while
the request's transaction is open, then lets the request go on into the dead connection.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

WAIT_SECONDS = 30


class PauseAfter:
    """Pause the calling thread right after the first statement that matches ``pattern``."""

    def __init__(self, pattern: str):
        self.pattern = re.compile(pattern)
        self.reached = threading.Event()
        self.release = threading.Event()
        self.pid: int | None = None
        self.statement = ""

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not self.reached.is_set() and self.pattern.search(sql):
            # psycopg 3: the server process serving this connection.
            self.pid = context["connection"].connection.info.backend_pid
            self.statement = sql
            self.reached.set()
            if not self.release.wait(WAIT_SECONDS):
                raise RuntimeError("the fault test never released the paused request")
        return result


def terminate_backend(pid: int) -> None:
    """Kill the PostgreSQL backend ``pid`` from the current thread's own connection and wait
    (up to 10 s, PostgreSQL 14+) until it is gone."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid, "would kill the test's own connection"
        cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])
        assert cursor.fetchone()[0] is True, f"backend {pid} did not terminate"
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        assert cursor.fetchone()[0] == 0


class Worker(threading.Thread):
    """Run ``func()`` in a thread with its own database connection (closed at the end),
    keeping the result or the exception for the test to inspect."""

    def __init__(self, func: Callable[[], Any], *, wrapper=None):
        super().__init__(daemon=True)
        self.func = func
        self.wrapper = wrapper
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            if self.wrapper is None:
                self.result = self.func()
            else:
                with connection.execute_wrapper(self.wrapper):
                    self.result = self.func()
        except BaseException as exc:  # handed to the test, which fails with it
            self.error = exc
        finally:
            connection.close()

    def outcome(self) -> Any:
        self.join(WAIT_SECONDS)
        assert not self.is_alive(), "the request thread did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def kill_during(func: Callable[[], Any], pattern: str) -> tuple[Any, PauseAfter]:
    """Run ``func`` in a thread, pause it right after the first statement matching
    ``pattern``, terminate its database connection, let it go on, and return what it
    returned (with the pause, to say where it stopped)."""
    pause = PauseAfter(pattern)
    worker = Worker(func, wrapper=pause)
    worker.start()
    try:
        assert pause.reached.wait(WAIT_SECONDS), f"no statement matched {pattern!r}"
        terminate_backend(pause.pid)
    finally:
        pause.release.set()
    return worker.outcome(), pause
