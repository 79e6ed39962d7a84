"""Reads of reports and dashboards from a PostgreSQL read replica (``DATABASE_REPLICA_URL``).

The replica is opt-in per view, never for every read:

- ``replica_reads`` (a decorator for a view, or a context manager) marks "the reads in here
  may come from the replica": the report pages, their CSV downloads, the reports API and
  the console dashboard use it. Only GET and HEAD requests are ever sent there.
- ``ReplicaRouter`` sends a read to the ``replica`` alias only inside such a block, and only
  while the request has not written: the first write through the router
  (``db_for_write``: a save, an update, a delete, a ``select_for_update``) *pins* the rest
  of the request to the primary, so a request reads its own writes. A read inside a
  transaction on the primary stays there too (it may decide a write), and so does every
  locking read (``select_for_update`` is routed as a write).
- ``ReplicaRequestMiddleware`` starts every request unpinned, with the replica off.

**Replica down**: ``replica_reads`` checks the replica's connection first (``connect_timeout``
is 2 s, see ``medh.settings.base.replica_database``). When it cannot connect, or a query on
it fails, the view runs (again) on the primary and the response says so in its
``X-Medh-Read-From: primary-fallback`` header; the failure is logged and the replica is left
alone for ``DATABASE_REPLICA_RETRY_SECONDS`` (so a dead replica costs one timeout per process
and period, not one per request). Report views only read, so running one again is safe.
Writes never go to the replica, so they never fail because of it.

**Lag**: a report read from the replica shows the primary as it was when the replica last
replayed the WAL: normally well under a second behind (bench/soak.py --scale-out measures
it), longer while the replica is catching up after a restart or under heavy load.

Without ``DATABASE_REPLICA_URL`` there is no ``replica`` alias and all of this is a no-op.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db import Error as DatabaseFailure

logger = logging.getLogger(__name__)

REPLICA = "replica"
READ_FROM_HEADER = "X-Medh-Read-From"


@dataclass
class _RequestState:
    replica_allowed: bool = False  # inside replica_reads
    pinned: bool = False  # the request has written: every read goes to the primary
    replica_used: bool = False  # a read of this request went to the replica


_state: ContextVar[_RequestState | None] = ContextVar("medh_replica_state", default=None)


def _current() -> _RequestState:
    state = _state.get()
    if state is None:  # outside a request (a worker, a test, the shell)
        state = _RequestState()
        _state.set(state)
    return state


def replica_configured() -> bool:
    """True when a replica is set up and reads may be routed to it (``REPLICA_READS``)."""
    return REPLICA in settings.DATABASES and getattr(settings, "REPLICA_READS", True)


# The replica failed: skip it until this monotonic time (per process).
_down_until = 0.0
_down_lock = threading.Lock()


def _mark_down(exc: BaseException) -> None:
    global _down_until
    retry = getattr(settings, "DATABASE_REPLICA_RETRY_SECONDS", 30)
    with _down_lock:
        _down_until = time.monotonic() + retry
    logger.warning("Read replica unavailable, reading from the primary for %ss: %s", retry, exc)
    with suppress(DatabaseFailure):
        connections[REPLICA].close()


def reset_replica_state() -> None:
    """Forget a recorded replica failure (tests, after the replica is back)."""
    global _down_until
    with _down_lock:
        _down_until = 0.0


def _replica_usable() -> bool:
    if time.monotonic() < _down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseFailure as exc:
        _mark_down(exc)
        return False
    return True


def pin_to_primary() -> None:
    """Send every further read of this request to the primary (it has written)."""
    _current().pinned = True


def read_from() -> str:
    """Where this request's replica-eligible reads went: ``replica`` or ``primary``."""
    return REPLICA if _current().replica_used else "primary"


@contextmanager
def _allowed() -> Iterator[_RequestState]:
    state = _current()
    before = state.replica_allowed
    state.replica_allowed = True
    try:
        yield state
    finally:
        state.replica_allowed = before


@contextmanager
def replica_block() -> Iterator[bool]:
    """Let the reads inside the block come from the replica (if it is configured, usable and
    the request has not written). Yields whether the replica will be tried."""
    if not replica_configured() or _current().pinned or not _replica_usable():
        yield False
        return
    with _allowed():
        yield True


def replica_reads(view: Callable) -> Callable:
    """Decorator for a read-only view (reports, dashboards, CSV exports): its GET/HEAD reads
    may come from the replica; on a replica failure it runs again on the primary (see the
    module). Other methods run as they are."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or not replica_configured():
            return view(request, *args, **kwargs)
        fallback = False
        with replica_block() as trying:
            if trying:
                try:
                    return _tag(view(request, *args, **kwargs))
                except DatabaseFailure as exc:
                    if not _current().replica_used or _current().pinned:
                        raise  # not the replica's failure
                    _mark_down(exc)
            fallback = True
        response = view(request, *args, **kwargs)
        if fallback:
            response[READ_FROM_HEADER] = "primary-fallback"
        return response

    return wrapped


def _tag(response):
    response[READ_FROM_HEADER] = read_from()
    return response


class ReplicaRouter:
    """Reads inside ``replica_reads`` go to the replica until the request writes; everything
    else, every write and every migration stays on ``default`` (see the module)."""

    def db_for_read(self, model, **hints):
        # "default" by name, not None: with None Django would follow an instance read from
        # the replica earlier in the request (its related objects) back to the replica.
        state = _current()
        if not state.replica_allowed or state.pinned:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # a read in a transaction may decide a write: the primary
        state.replica_used = True
        return REPLICA

    def db_for_write(self, model, **hints):
        _current().pinned = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica follows the primary's WAL, schema included


class ReplicaRequestMiddleware:
    """Every request starts unpinned, with the replica off (the state is per request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _state.set(_RequestState())
        try:
            return self.get_response(request)
        finally:
            _state.reset(token)
