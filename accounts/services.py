"""Writes to accounts. Every creation of a user outside the tests (the CSV import,
``POST /api/users``, the demo data and the author of automatic changes) comes through here, and
so do the user's API and calendar-feed tokens."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from rest_framework.authtoken.models import Token

from core.errors import DomainError
from core.timezones import is_time_zone

from .models import ROLE_FIELDS, Role, User, new_feed_token

MSG_EMAIL_TAKEN = gettext_noop("A user with this email already exists.")
SYSTEM_EMAIL = "system@medh.internal"


def user_create(
    *,
    email: str,
    password: str | None = None,
    roles: Iterable[str] = (),
    full_name: str = "",
    is_superuser: bool = False,
) -> User:
    """Create a user with ``roles`` (``Role`` values); no password means an unusable one.

    The email is stored lower-cased. Locks nothing: the unique index on the email is the
    rule, and an email registered meanwhile is refused (``MSG_EMAIL_TAKEN``, code
    ``duplicate``) inside a savepoint, so the caller's transaction goes on.
    """
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email, password, roles=roles, full_name=full_name, is_superuser=is_superuser
            )
    except IntegrityError as exc:
        raise DomainError(MSG_EMAIL_TAKEN, field="email", code="duplicate") from exc


def system_user() -> User:
    """The author of automatic changes (``created_by`` of an automatic batch): an inactive
    account that cannot log in, created the first time it is needed."""
    user, _ = User.objects.get_or_create(
        email=SYSTEM_EMAIL,
        defaults={"full_name": "Medh (automatic)", "is_active": False},
    )
    return user


def users_create_missing(
    *, people: Iterable[tuple[str, str]], role: str, password_hash: str
) -> int:
    """Create the (email, full name) users that do not exist yet, each with ``role`` and the
    already hashed ``password_hash``; return how many were new.

    One precomputed hash serves every user: hashing hundreds of passwords with PBKDF2 would
    take minutes, and such accounts (the demo's) share one password anyway. Locks nothing:
    for seeding an idle database.
    """
    people = list(people)
    existing = set(
        User.objects.filter(email__in=[email for email, _ in people]).values_list(
            "email", flat=True
        )
    )
    missing = [
        User(email=email, full_name=name, password=password_hash, **{ROLE_FIELDS[Role(role)]: True})
        for email, name in people
        if email not in existing
    ]
    User.objects.bulk_create(missing)
    return len(missing)


@transaction.atomic
def api_token_issue(*, user: User) -> Token:
    """The user's Bearer token for the API: the live one, or a new one when there is none or
    it has expired (``API_TOKEN_LIFETIME`` after it was issued; logging in again does not
    extend it). Locks nothing: the one-token-per-user key (the user is the token's primary
    key) refuses a second, and ``get_or_create`` then reads the one a concurrent login made."""
    Token.objects.filter(
        user=user, created__lte=timezone.now() - settings.API_TOKEN_LIFETIME
    ).delete()
    token, _ = Token.objects.get_or_create(user=user)
    return token


def api_token_revoke(*, user: User) -> None:
    """Delete the user's API token: every client holding it is signed out. Called by the API
    logout, and (accounts.signals) by a web logout and a password change."""
    Token.objects.filter(user=user).delete()


def feed_token_reset(*, user: User) -> str:
    """Give the user a new calendar-feed token and return it: every feed URL with the old one
    becomes a 404."""
    user.feed_token = new_feed_token()
    user.save(update_fields=["feed_token"])
    return user.feed_token


def user_profile_update(*, user: User, time_zone: str) -> User:
    """Set the user's own preferences: the IANA ``time_zone`` they see times in. Refuses an
    unknown zone (``DomainError`` on ``time_zone``). Writes only that column; locks nothing
    (a user edits only their own row)."""
    if not is_time_zone(time_zone):
        raise DomainError(
            gettext(
                "%(time_zone)s is not a known time zone (use an IANA name such as Europe/Berlin)"
            )
            % {"time_zone": time_zone},
            field="time_zone",
            code="invalid_time_zone",
        )
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])
    return user
