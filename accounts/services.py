"""Writes to accounts. Every creation of a user outside the tests (the CSV import,
``POST /api/users``, the demo data and the author of automatic changes) comes through here, and
so do the user's API and calendar-feed tokens."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from rest_framework.authtoken.models import Token

from core.errors import DomainError
from core.timezones import is_time_zone

from .mail import INVITATION, PASSWORD_RESET, account_email_requested
from .models import ROLE_FIELDS, Role, User, language_codes, new_feed_token
from .preferences import EMAIL_EVENTS
from .tokens import password_reset_tokens

MSG_EMAIL_TAKEN = gettext_noop("A user with this email already exists.")
SYSTEM_EMAIL = "system@medh.internal"


def user_create(
    *,
    email: str,
    password: str | None = None,
    roles: Iterable[str] = (),
    full_name: str = "",
    is_superuser: bool = False,
    invite: bool = False,
    invited_by: User | None = None,
) -> User:
    """Create a user with ``roles`` (``Role`` values); no password means an unusable one.
    With ``invite`` and no password, the new user is sent an invitation (``user_invite``) in
    the same transaction: the CSV import and ``POST /api/users`` do, unless told not to.

    The email is stored lower-cased. Locks nothing: the unique index on the email is the
    rule, and an email registered meanwhile is refused (``MSG_EMAIL_TAKEN``, code
    ``duplicate``) inside a savepoint, so the caller's transaction goes on.
    """
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, password, roles=roles, full_name=full_name, is_superuser=is_superuser
            )
            if invite and not password:
                user_invite(user=user, invited_by=invited_by)
            return user
    except IntegrityError as exc:
        raise DomainError(MSG_EMAIL_TAKEN, field="email", code="duplicate") from exc


@transaction.atomic
def user_invite(*, user: User, invited_by: User | None = None) -> User:
    """Send ``user`` an invitation: an email with a link to set their password and sign in
    (``accounts.tokens.invitation_tokens``, valid ``INVITATION_TIMEOUT`` seconds), queued in
    the outbox; records ``last_invited_at``. Inviting again sends a new email; the older
    links stay valid until they expire or the password is set.

    Locks the user's row (two admins clicking "Invite" send two emails, one after the other,
    each seeing the other's time). Refuses (``DomainError``) a user who has signed in
    already (they use "Forgot password") or whose account is inactive.
    """
    user = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
    if not user.is_active:
        raise DomainError(
            _("%(email)s is deactivated: activate the account before inviting.")
            % {"email": user.email},
            code="inactive",
        )
    if not user.never_signed_in:
        raise DomainError(
            _("%(email)s has signed in already: they can use “Forgot password” instead.")
            % {"email": user.email},
            code="signed_in",
        )
    user.last_invited_at = timezone.now()
    user.save(update_fields=["last_invited_at"])
    account_email_requested.send(sender=User, user=user, event=INVITATION, invited_by=invited_by)
    return user


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Queue a password-reset email for the active account with ``email``, if there is one;
    do nothing otherwise. Callers answer the same either way (no account enumeration).

    Any active account qualifies, also one without a usable password (an imported student
    who lost the invitation: the link lets them set one). The link is made when the worker
    renders the email and works ``PASSWORD_RESET_TIMEOUT`` seconds, once. The notifications
    receiver sends at most one reset email per account per minute (a form submitted in a
    loop). Locks nothing.
    """
    address = (email or "").strip().lower()
    if not address or "\x00" in address or len(address) > 254:
        return
    user = User.objects.filter(email=address, is_active=True).first()
    if user is not None:
        account_email_requested.send(sender=User, user=user, event=PASSWORD_RESET)


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


MSG_RESET_LINK_INVALID = gettext_lazy(
    "This password reset link is invalid or has expired: it works once, for a limited "
    "time, and not after the password changed. Ask for a new one."
)


@transaction.atomic
def password_reset_confirm(*, uidb64: str, token: str, new_password: str) -> User:
    """Set the password of the user a reset link (``uidb64`` and ``token`` from the email)
    names, after the site's password validators; the token then stops working (the password
    hash it was made from changed), and so do the user's API token and other sessions.

    Locks the user's row and checks the token inside the lock, so a link used twice at the
    same moment sets the password once. Refuses (``DomainError``) an unknown user, a wrong,
    used or expired token (``MSG_RESET_LINK_INVALID``, on ``token``: the same message for all
    of these) and a password the validators reject (their messages, on ``new_password``).
    """
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        pk = None
    user = (
        User.objects.select_for_update(of=("self",)).filter(pk=pk, is_active=True).first()
        if pk is not None and 0 < pk < 2**63
        else None
    )
    if user is None or not password_reset_tokens.check_token(user, token):
        raise DomainError(str(MSG_RESET_LINK_INVALID), field="token", code="invalid_token")
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise DomainError(
            " ".join(exc.messages), field="new_password", code="invalid_password"
        ) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    return user


def user_profile_update(
    *,
    user: User,
    time_zone: str | None = None,
    language: str | None = None,
    full_name: str | None = None,
    email_off: Iterable[str] | None = None,
) -> User:
    """Set the user's own preferences, those given (``None``: left as it is): the IANA
    ``time_zone`` they see times in, their ``language`` (one of ``settings.LANGUAGES``),
    their ``full_name`` and ``email_off``, the notification events (``EMAIL_EVENTS``) they
    want in the inbox only.

    Refuses (``DomainError`` on the field) an unknown zone, language or event and an empty or
    over-long name; nothing is written then. Writes only the given columns; locks nothing (a
    user edits only their own row).
    """
    fields: dict[str, object] = {}
    if time_zone is not None:
        if not is_time_zone(time_zone):
            raise DomainError(
                _("%(time_zone)s is not a known time zone (use an IANA name such as Europe/Berlin)")
                % {"time_zone": time_zone},
                field="time_zone",
                code="invalid_time_zone",
            )
        fields["time_zone"] = time_zone
    if language is not None:
        if language not in language_codes():
            raise DomainError(
                _("%(language)s is not a language of this site (one of: %(choices)s)")
                % {"language": language, "choices": ", ".join(language_codes())},
                field="language",
                code="invalid_language",
            )
        fields["language"] = language
    if full_name is not None:
        name = " ".join(full_name.split())
        max_length = User._meta.get_field("full_name").max_length
        if not name or len(name) > max_length:
            raise DomainError(
                _("Enter a name of 1 to %(max)d characters.") % {"max": max_length},
                field="full_name",
                code="invalid_name",
            )
        fields["full_name"] = name
    if email_off is not None:
        chosen = list(dict.fromkeys(email_off))
        if unknown := [event for event in chosen if event not in EMAIL_EVENTS]:
            raise DomainError(
                _("Unknown kind of notification: %(events)s (one of: %(choices)s)")
                % {"events": ", ".join(map(str, unknown)), "choices": ", ".join(EMAIL_EVENTS)},
                field="email_off",
                code="invalid_event",
            )
        fields["email_off"] = [event for event in EMAIL_EVENTS if event in chosen]
    for name, value in fields.items():
        setattr(user, name, value)
    if fields:
        user.save(update_fields=[*fields])
    return user
