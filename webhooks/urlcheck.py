"""Whether a webhook URL may be called: http or https, and (unless
``settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES``) not an address of this machine or its private
network, so a registered endpoint cannot make the server probe its own network."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext

from core.errors import DomainError


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise DomainError(
            gettext("The host %(host)s cannot be resolved") % {"host": host}, field="url"
        ) from exc
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_url(url: str) -> str:
    """Refuse a URL that is not http(s), has no host, or points at a private, loopback,
    link-local or reserved address (unless allowed); return it."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a port that is not a number raises here, not when sending
    except ValueError:
        host = None
    if not host or parts.scheme not in ("http", "https") or any(c.isspace() for c in url):
        raise DomainError(gettext("The URL must be http:// or https:// with a host"), field="url")
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False):
        return url
    for address in _addresses(host):
        if not address.is_global or address.is_multicast:
            raise DomainError(
                gettext(
                    "The URL points at a private or local address (%(address)s); webhooks go "
                    "to public addresses only"
                )
                % {"address": address},
                field="url",
            )
    return url
