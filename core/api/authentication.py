"""``Authorization: Bearer <token>``, as the original Medh clients send it, with a lifetime.

A token is issued by ``POST /api/v1/auth/login`` (``accounts.services.api_token_issue``) and
lives ``API_TOKEN_LIFETIME`` from then. It is revoked earlier by ``/api/v1/auth/logout``, a
web logout and a password change (``accounts.signals``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from core.timezones import is_time_zone, zone

MSG_TOKEN_EXPIRED = gettext_noop("Token has expired; log in again.")


def token_expires_at(token) -> dt.datetime:
    return token.created + settings.API_TOKEN_LIFETIME


def token_expired(token) -> bool:
    return token_expires_at(token) <= timezone.now()


class BearerTokenAuthentication(TokenAuthentication):
    """DRF's token authentication with the keyword the original API uses, refusing a token
    older than ``API_TOKEN_LIFETIME`` (401, like an unknown one)."""

    keyword = "Bearer"

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(gettext(MSG_TOKEN_EXPIRED))
        # The API answers in the caller's zone, as the pages do. DRF authenticates inside the
        # view, after the time zone middleware ran (it saw no user); it deactivates the zone
        # at the end of the request.
        if is_time_zone(getattr(user, "time_zone", "")):
            timezone.activate(zone(user.time_zone))
        return user, token
