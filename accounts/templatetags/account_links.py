"""``{% account_link user "invitation" %}``: the one-time link of an account email.

Made when the email is rendered (by the outbox worker, outside any transaction), so its
token reflects the account as it is then and its lifetime counts from the rendering.
"""

import datetime as dt

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.mail import INVITATION, PASSWORD_RESET
from accounts.tokens import invitation_tokens, password_reset_tokens

register = template.Library()

LINKS = {
    INVITATION: ("invitation_accept", invitation_tokens),
    PASSWORD_RESET: ("password_reset_confirm", password_reset_tokens),
}
TIMEOUTS = {INVITATION: "INVITATION_TIMEOUT", PASSWORD_RESET: "PASSWORD_RESET_TIMEOUT"}


@register.simple_tag
def account_link(user, kind: str) -> str:
    """The absolute URL that lets ``user`` set their password (``kind``: "invitation" or
    "password_reset"); empty for a user that is gone."""
    if user is None:
        return ""
    url_name, tokens = LINKS[kind]
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse(url_name, kwargs={"uidb64": uidb64, "token": tokens.make_token(user)})
    return settings.SITE_URL.rstrip("/") + path


@register.simple_tag
def account_link_expires(kind: str) -> dt.datetime:
    """When a link of ``kind`` made now stops working (for "works until ..." lines)."""
    return timezone.now() + dt.timedelta(seconds=getattr(settings, TIMEOUTS[kind]))
