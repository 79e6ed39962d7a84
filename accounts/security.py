"""Login throttling hooks for django-axes (settings in medh/settings/base.py).

- ``client_ip``: the address failed logins are counted against. Behind ``TRUSTED_PROXY_COUNT``
  trusted reverse proxies it is the entry those proxies appended to X-Forwarded-For;
  without proxies, the socket's address. Entries a client wrote itself are never trusted.
- ``login_username``: the account a login attempt names, lower-cased and stripped as the
  user manager does, from the HTML form (``username``) or the API body (``email``), so
  "Admin@Medh.local" and "admin@medh.local" count as one account.
- ``lockout_response``: what a locked-out login gets: 429 with the API envelope under
  ``/api/``, otherwise the ``registration/locked_out.html`` page.
- ``LoginThrottleHandler``: django-axes' database handler plus a limit per address: after
  ``AXES_IP_FAILURE_LIMIT`` failed logins from one address within the cool-off, whatever
  accounts they named, that address is refused too. Without it one address could try one
  password against every account (each a 401, no lock), and keep the workers busy hashing.
"""

from __future__ import annotations

import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext


def client_ip(request) -> str:
    """The client's address, trusting X-Forwarded-For only as far as our own proxies."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    # Each of our N proxies appends the address it received the request from; the last
    # proxy's own peer is REMOTE_ADDR. So the client is the N-th entry from the right: anything
    # further left was sent by the client and may be forged.
    if len(forwarded) < proxies:
        return remote  # the request did not come through all our proxies
    return forwarded[-proxies]


def login_username(request, credentials: dict | None) -> str:
    """The account a login attempt is for, normalised like ``UserManager.get_by_natural_key``."""
    if credentials:
        value = credentials.get("username") or credentials.get("email") or ""
    else:
        data = getattr(request, "data", None) or request.POST
        value = data.get("username") or data.get("email") or ""
    # django-axes stores it in a 255-character column; no account's email is longer (254), so
    # cutting a hostile oversized value only keeps it from failing the insert with a 500.
    return str(value).strip().lower()[:255]


def lockout_minutes() -> int:
    return math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)


def lockout_message() -> str:
    minutes = lockout_minutes()
    return ngettext(
        "Too many failed login attempts. Try again in %(minutes)s minute, or ask an admin to "
        "unlock your account.",
        "Too many failed login attempts. Try again in %(minutes)s minutes, or ask an admin to "
        "unlock your account.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """429 for a login refused by the throttle: JSON envelope for the API, a page otherwise."""
    if request.path.startswith("/api/"):
        from core.api.responses import failure

        response = JsonResponse(failure(lockout_message()), status=429)
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"message": lockout_message(), "minutes": lockout_minutes()},
            status=429,
        )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def failures_from_address(request) -> int:
    """Failed logins from the request's address within the cool-off, for any account."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginThrottleHandler(AxesDatabaseHandler):
    """Locks an (account, address) pair after ``AXES_FAILURE_LIMIT`` failures, as configured
    by ``AXES_LOCKOUT_PARAMETERS``, and a whole address after ``AXES_IP_FAILURE_LIMIT``.

    The address's count is kept out of ``AXES_LOCKOUT_PARAMETERS`` on purpose: django-axes
    resets every parameter set's attempts on a successful login, so an attacker with one
    valid account could clear the address's count by logging in to it now and then. Here a
    success clears only that account's pair; the address's other failures still count."""

    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        pair_limit = get_failure_limit(request, credentials)
        address_limit = settings.AXES_IP_FAILURE_LIMIT
        if failures >= pair_limit or not address_limit:
            return failures
        if failures_from_address(request) >= address_limit:
            return pair_limit  # locked, as if the pair had reached its limit
        return failures
