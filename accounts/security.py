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
- ``CachedLoginThrottleHandler`` (with ``REDIS_URL``): the same two limits, counted in the
  shared cache (Redis) instead of the database, so a failed login costs no database write.
  A lockout is not a lock that decides a write: losing the counts (a Redis restart) only
  gives an attacker a fresh allowance. When Redis does not answer, each call falls back to
  the database handler, so logins keep working and keep being throttled.
"""

from __future__ import annotations

import logging
import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.cache import AxesCacheHandler
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


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


def _address_key(ip_address: str) -> str:
    return f"login-failures:address:{ip_address}"


class CachedLoginThrottleHandler(AxesCacheHandler):
    """``LoginThrottleHandler``'s limits with the counts in the shared cache (``AXES_CACHE``,
    Redis): django-axes' cache handler for the (account, address) pairs, plus a count per
    address that expires ``AXES_COOLOFF_TIME`` after its first failure. Any Redis error falls
    back to the database handler for that call (logged)."""

    def __init__(self):
        super().__init__()
        self.database = LoginThrottleHandler()

    def _fallback(self, name: str, exc: Exception, *args, **kwargs):
        logger.warning("Login throttle: the cache failed (%s), using the database", exc)
        return getattr(self.database, name)(*args, **kwargs)

    def get_failures(self, request, credentials=None) -> int:
        try:
            failures = super().get_failures(request, credentials)
            pair_limit = get_failure_limit(request, credentials)
            address_limit = settings.AXES_IP_FAILURE_LIMIT
            if failures >= pair_limit or not address_limit:
                return failures
            if self.cache.get(_address_key(request.axes_ip_address), 0) >= address_limit:
                return pair_limit
            return failures
        except RedisError as exc:
            return self._fallback("get_failures", exc, request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        counted = (
            request is not None
            and not (
                getattr(request, "axes_locked_out", False)
                and not settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT
            )
            and not self.is_whitelisted(request, credentials)
        )
        try:
            super().user_login_failed(sender, credentials, request, **kwargs)
            if counted:
                key = _address_key(request.axes_ip_address)
                timeout = int(settings.AXES_COOLOFF_TIME.total_seconds())
                count = 1 if self.cache.add(key, 1, timeout=timeout) else self.cache.incr(key)
                self._lock_address(request, credentials, count)
        except RedisError as exc:
            self._fallback("user_login_failed", exc, sender, credentials, request, **kwargs)

    # The database handler's signal hooks, for the attempts it records while Redis is down.
    def post_save_access_attempt(self, instance, **kwargs):
        return self.database.post_save_access_attempt(instance, **kwargs)

    def post_delete_access_attempt(self, instance, **kwargs):
        return self.database.post_delete_access_attempt(instance, **kwargs)

    @staticmethod
    def _lock_address(request, credentials, count: int) -> None:
        """The failure that reaches the address's limit locks it at once, as a pair's does."""
        limit = settings.AXES_IP_FAILURE_LIMIT
        if not limit or count < limit or request.axes_locked_out:
            return
        if not getattr(settings, "AXES_LOCK_OUT_AT_FAILURE", True):
            return
        request.axes_locked_out = True
        request.axes_credentials = credentials
        user_locked_out.send(
            "axes",
            request=request,
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        )

    def user_logged_in(self, sender, request, user, **kwargs):
        try:
            super().user_logged_in(sender, request, user, **kwargs)
        except RedisError as exc:
            self._fallback("user_logged_in", exc, sender, request, user, **kwargs)

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False) -> int:
        try:
            count = super().reset_attempts(
                ip_address=ip_address, username=username, ip_or_username=ip_or_username
            )
            if ip_address and not username:  # an address's reset (axes_reset_ip), not a pair's
                self.cache.delete(_address_key(ip_address))
        except (RedisError, NotImplementedError) as exc:  # NotImplemented: "reset everything"
            count = 0
            logger.warning("Login throttle: the cache could not reset (%s)", exc or "all")
        # Counts recorded in the database while Redis was down are reset too.
        return count + self.database.reset_attempts(
            ip_address=ip_address, username=username, ip_or_username=ip_or_username
        )
