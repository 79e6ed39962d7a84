"""A database that fails under a request: a clean 503 instead of a traceback or a bare 500.

When the connection to the database dies in the middle of a request (the server restarted,
a proxy dropped it, an admin terminated the backend), the service's transaction is rolled
back by the database, so nothing of it is stored. The client hears exactly that: the API
answers 503 with its envelope (``core.api.exceptions``), the pages with ``503.html``
(``server_error``, Django's ``handler500``). Other operational failures (a deadlock or a
lock timeout, also rolled back) get 503 with their own message; every other error stays a 500.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as default_server_error

MSG_CONNECTION_LOST = gettext_noop(
    "The database connection was lost; nothing was saved. Please try again."
)
MSG_SERVER_ERROR = gettext_noop("Internal server error")
MSG_DATABASE_BUSY = gettext_noop(
    "The database could not complete the request; nothing was saved. Please try again."
)


# SQLSTATEs of a connection that is gone: class 08 (connection exception) and the server
# shutting the session down (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
# connect now). A deadlock (40P01), a lock timeout (55P03) or a cancelled statement leave
# the connection working.
LOST_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def _connection_lost(exc: OperationalError) -> bool:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate:
        return sqlstate.startswith(LOST_SQLSTATES)
    # No SQLSTATE from PostgreSQL's driver: it found the socket closed ("server closed the
    # connection unexpectedly"). SQLite's errors ("database is locked") have none either.
    return type(cause).__module__.split(".")[0] in ("psycopg", "psycopg2")


def unavailable_message(exc: BaseException | None) -> str | None:
    """The message for a database failure that deserves a 503, or None for any other error.

    Decided from the exception alone: by the time a handler sees it, Django has already
    dropped the dead connection and opened a new one."""
    if isinstance(exc, InterfaceError):
        return gettext(MSG_CONNECTION_LOST)
    if not isinstance(exc, OperationalError):
        return None
    return gettext(MSG_CONNECTION_LOST if _connection_lost(exc) else MSG_DATABASE_BUSY)


@requires_csrf_token
def server_error(request, template_name: str = "500.html"):
    """``handler500``: the 503 page (or envelope under /api/) when the database failed, else
    Django's own 500 page (under /api/, the envelope with 500). Uses no database and no
    request context, like the 500 page."""
    message = unavailable_message(sys.exc_info()[1])
    if request.path.startswith("/api/"):
        # API clients read the envelope, whatever failed.
        if message is None:
            return JsonResponse(
                {"success": False, "message": gettext(MSG_SERVER_ERROR)}, status=500
            )
        return JsonResponse({"success": False, "message": message}, status=503)
    if message is None:
        return default_server_error(request, template_name)
    body = loader.get_template("503.html").render({"message": message})
    return HttpResponse(body, status=503)
