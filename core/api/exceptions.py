"""One exception handler, so every failure has the envelope and the right status.

- ``DomainError`` (a service refused: full batch, duplicate, conflict, role) → 400 with the
  service's own message, word for word.
- Invalid input (serializer, query parameters, malformed JSON) → 400 with ``errors`` per field
  and the first complaint as ``message``; a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` → 413.
- No or bad credentials → 401; a role or object not allowed → 403; an unknown id → 404.
- The database connection lost mid-request, a deadlock or a lock timeout (the transaction is
  rolled back) → 503 with ``core.db_errors``' message, logged with its traceback.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import bad_request as default_bad_request
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.db_errors import unavailable_message
from core.errors import DomainError

from .responses import failure

MSG_INVALID = gettext_noop("Invalid input")
MSG_TOO_LARGE = gettext_noop("The request body is too large.")
MSG_BAD_REQUEST = gettext_noop("Bad request")

logger = logging.getLogger(__name__)


def _first_message(errors) -> str:
    """The first complaint of a DRF error structure, prefixed by the path to its field."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            inner = _first_message(value)
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                return inner
            return f"{key}: {inner}" if inner else str(key)
    if isinstance(errors, list):
        for index, value in enumerate(errors):
            inner = _first_message(value)
            if inner:
                return inner if not isinstance(value, dict) else f"[{index}] {inner}"
        return ""
    return str(errors)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        # ``extra``: what a refusal offers besides its message (e.g. ``alternatives`` to a
        # schedule conflict); the message stays word for word.
        body = {**failure(exc.message), **getattr(exc, "extra", {})}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    unavailable = unavailable_message(exc)
    if unavailable is not None:
        logger.error("Database unavailable: %s", context["request"].path, exc_info=exc)
        return Response(failure(unavailable), status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            failure(gettext(MSG_TOO_LARGE)), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or gettext("Not found"))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: a bug, left to Django's 500 handling and logging
    if isinstance(exc, exceptions.ValidationError):
        errors = (
            response.data
            if isinstance(response.data, dict)
            else {api_settings.NON_FIELD_ERRORS_KEY: response.data}
        )
        message = _first_message(errors) or gettext(MSG_INVALID)
        response.data = failure(message, errors)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = failure(str(detail) or gettext("Request failed"))
    return response


@csrf_exempt  # answers 404 to every method; without this a POST would get the CSRF 403
def not_found(request, *args, **kwargs):
    """Any path under /api/ that names no endpoint (or an id that is not a number)."""
    return JsonResponse(failure(gettext("Not found")), status=404)


def bad_request(request, exception, template_name: str = "400.html"):
    """``handler400``: a request Django refused before or outside an API view (a body over the
    size limit read by a middleware, a suspicious header) gets the envelope under /api/."""
    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(failure(gettext(MSG_TOO_LARGE)), status=413)
        return JsonResponse(failure(gettext(MSG_BAD_REQUEST)), status=400)
    return default_bad_request(request, exception, template_name)
