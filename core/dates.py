"""Today's date as the platform sees it.

``today()`` is the date in ``TIME_ZONE`` (the platform's zone), not the server
process's local date: ``datetime.date.today()`` follows the machine's clock zone, which in a
container is often UTC while the platform runs in Asia/Kolkata, so "today" would flip at the
wrong midnight. Every "what is today" in the code asks here.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone


def today() -> dt.date:
    """Today's date in ``TIME_ZONE``, the platform's zone, whoever asks: the rules (leave
    today, a batch's lifecycle, an enrollment's date) follow the platform's calendar, not the
    zone a request activated for its viewer (``accounts.middleware``). Pages that show a
    viewer their own "today" ask ``timezone.localdate()``."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))
