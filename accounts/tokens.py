"""The one-time tokens of password-reset and invitation links: Django's own.

Both are ``PasswordResetTokenGenerator`` tokens: an HMAC of the user's id, password hash,
last login, email and the time it was made. So a link

- **expires**: ``PASSWORD_RESET_TIMEOUT`` seconds after the email was rendered (reset), or
  ``INVITATION_TIMEOUT`` (invitation);
- **works once**: setting the password through it changes the hash it was made from;
- **dies when the password changes** (any way) **or the user signs in** (last login).

The invitation generator has its own salt (a reset token is no invitation token and the
other way round) and its own timeout.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

password_reset_tokens = default_token_generator


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token, salted apart, valid for ``INVITATION_TIMEOUT`` seconds."""

    key_salt = "accounts.tokens.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        # PasswordResetTokenGenerator.check_token with INVITATION_TIMEOUT in place of
        # PASSWORD_RESET_TIMEOUT (which it reads directly).
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return (self._num_seconds(self._now()) - ts) <= settings.INVITATION_TIMEOUT


invitation_tokens = InvitationTokenGenerator()
