"""The outbox worker loop behind ``manage.py run_outbox``.

It drains the outbox (``outbox.deliver_due``) batch after batch, and when nothing is due it
waits ``poll`` seconds or until stopped. With the task queue on Redis (``TASK_BACKEND=rq``)
the prompt delivery is the RQ worker's (``notifications/tasks.py``: a wake-up job per change
runs the same ``deliver_due`` for its rows); this loop stays the poll that delivers whatever a
lost wake-up left, since the outbox rows stay the record.

- **Database gone** (restart, failover, a killed backend): the error is logged, the broken
  connection closed, and the loop tries again after 1, 2, 4 ... 30 s. It never exits on it.
- **SIGTERM / SIGINT**: stop after the current message. A send stuck on a hung server is
  cut after ``grace`` seconds (its lease expires and another worker retries it), so the
  process is gone within ``grace`` seconds plus a database round trip.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading

from django.db import Error as DatabaseFailure
from django.db import connection, reset_queries

from . import outbox

logger = logging.getLogger(__name__)


class Stopped(BaseException):  # not an error: the way out of a hung send
    """Raised in the main thread when the stop grace runs out during a send."""


class OutboxWorker:
    def __init__(self, *, batch: int = 10, poll: float = 1.0, grace: float = 3.0):
        self.batch = batch
        self.poll = poll
        self.grace = grace
        self.stopping = threading.Event()
        self.sending = False

    # -- signals -------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        signal.signal(signal.SIGALRM, self._on_grace_over)

    def _on_stop_signal(self, signum, frame) -> None:
        logger.info("Outbox worker: %s received, stopping", signal.Signals(signum).name)
        self.stopping.set()
        if self.sending:
            # Give the message in flight a moment to finish, then cut it.
            signal.setitimer(signal.ITIMER_REAL, self.grace)

    def _on_grace_over(self, signum, frame) -> None:
        if self.sending:
            raise Stopped

    # -- the loop ------------------------------------------------------------------------
    def wait(self, seconds: float) -> None:
        """Sleep until ``seconds`` pass or the worker is stopped (the wake-up hook)."""
        self.stopping.wait(seconds)

    def run_once(self) -> dict[str, int]:
        self.sending = True
        try:
            return outbox.deliver_due(limit=self.batch, should_stop=self.stopping.is_set)
        finally:
            self.sending = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            reset_queries()  # DEBUG keeps every query of a long-running process otherwise

    def run(self) -> None:
        logger.info("Outbox worker started (batch %s, poll %ss)", self.batch, self.poll)
        backoff = 1.0
        # One database connection for the worker's life (CONN_MAX_AGE does not apply outside
        # requests); a broken one is closed on the error and the next query opens another.
        while not self.stopping.is_set():
            try:
                counts = self.run_once()
            except Stopped:
                logger.warning("Outbox worker: a send was cut at shutdown; it will be retried")
                break
            except DatabaseFailure as exc:  # OperationalError, InterfaceError, ...
                logger.error("Outbox worker: database error, retrying in %.0f s: %s", backoff, exc)
                self._drop_connection()
                self.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if sum(counts.values()):
                logger.info("Outbox worker: %s", counts)
            # Nothing due, or the mail server is failing: pause.
            if not (counts["sent"] or counts["skipped"]):
                self.wait(self.poll)
        self._drop_connection()
        logger.info("Outbox worker stopped")

    @staticmethod
    def _drop_connection() -> None:
        # The next query opens a fresh connection; closing a dead one may itself fail.
        with contextlib.suppress(DatabaseFailure):
            connection.close()
