"""The envelope every endpoint answers with, as the original Medh API shaped it.

Success: ``{"success": true, "message": "...", "data": ...}``; lists add ``"count"`` (and the
page figures, see ``pagination``). Failures are shaped by ``exceptions.exception_handler``:
``{"success": false, "message": "..."}`` plus ``"errors"`` per field for invalid input.
"""

from __future__ import annotations

from django.utils.translation import gettext
from rest_framework import status as http
from rest_framework.response import Response

from .pagination import Page


def ok(data, message: str, *, status: int = http.HTTP_200_OK) -> Response:
    return Response({"success": True, "message": message, "data": data}, status=status)


def created(data, message: str) -> Response:
    return ok(data, message, status=http.HTTP_201_CREATED)


def listing(data: list, message: str, page: Page | None = None) -> Response:
    """A list: ``count`` is the number of items in ``data``, as in the original; a paginated
    list adds ``total`` (all matches), ``page``, ``limit`` and ``pages``. A list cut at the
    hard cap (no ``page`` or ``limit`` asked for) says so in ``message``."""
    if page is not None and page.capped:
        message = gettext(
            "%(message)s; only the first %(limit)s of %(total)s are listed: "
            "ask with page and limit for the rest"
        ) % {"message": message, "limit": page.limit, "total": page.total}
    body = {"success": True, "message": message, "count": len(data)}
    if page is not None:
        body.update(total=page.total, page=page.number, limit=page.limit, pages=page.pages)
    body["data"] = data
    return Response(body)


def failure(message: str, errors=None) -> dict:
    body = {"success": False, "message": message}
    if errors is not None:
        body["errors"] = errors
    return body
