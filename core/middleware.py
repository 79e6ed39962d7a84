"""Middleware every response passes through: a request id, and no caching of private answers.

- ``RequestIdMiddleware``: each request gets an id, the ``X-Request-ID`` the load balancer
  sent (when it looks like one) or a new one. It is on every log record of the request
  (core/log_context.py) and echoed in the response's ``X-Request-ID``, so a client's report
  and the server's log line meet.
- ``NoStoreMiddleware``: ``Cache-Control: no-store`` (Django's ``add_never_cache_headers``) on
  every API response (the login's carries the token), and on every response to a browser
  with a session (signed-in pages) or that starts one (the login), so neither a shared proxy
  nor the browser's back button keeps a copy.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.utils.cache import add_never_cache_headers

from core.log_context import request_id

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from the balancer: an id, nothing that could forge a log line or a header.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        value = sent if VALID_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        request.request_id = value
        token = request_id.set(value)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[REQUEST_ID_HEADER] = value
        return response


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        cookie = settings.SESSION_COOKIE_NAME
        if (
            request.path.startswith("/api/")
            or cookie in request.COOKIES
            or cookie in response.cookies
            or "Authorization" in request.headers
        ):
            add_never_cache_headers(response)
        return response
