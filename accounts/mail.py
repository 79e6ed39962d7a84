"""The account emails (an invitation, a password reset) as a signal that the notifications
app answers with an outbox row (notifications/receivers.py).

Accounts sits below notifications (pyproject.toml, import-linter), so its services cannot call
``notify`` themselves; they send ``account_email_requested`` inside their transaction and the
receiver writes the notification in that same transaction. The email's link (with its token)
is made when the worker renders it, outside the transaction (accounts/templatetags).
"""

from django.dispatch import Signal

# Sent with ``user`` (the recipient) and ``event`` ("invitation" or "password_reset"), and
# ``invited_by`` (a User or None) for an invitation.
account_email_requested = Signal()

INVITATION = "invitation"
PASSWORD_RESET = "password_reset"
