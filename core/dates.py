"""Today's date as the platform sees it.

``today()`` is the date in ``TIME_ZONE`` (Django's current time zone), not the server
process's local date: ``datetime.date.today()`` follows the machine's clock zone, which in a
container is often UTC while the platform runs in Asia/Kolkata, so "today" would flip at the
wrong midnight. Every "what is today" in the code asks here.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def today() -> dt.date:
    """Today's date in the current time zone (``TIME_ZONE`` unless a request activated another)."""
    return timezone.localdate()
