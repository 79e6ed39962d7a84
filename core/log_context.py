"""The request id on every log record, for structured logs (``LOG_FORMAT=json``).

``RequestIdMiddleware`` (core/middleware.py) sets the id for the duration of a request;
``RequestIdFilter``, on the log handler, copies it onto each record as ``request_id`` ("-"
outside a request: the worker, management commands).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True
