"""Helpers the console/instructor view tests share. The fixtures they use (``admin``,
``course``, ``make_batch``) are the shared ones in tests/support/."""

import datetime as dt

from tests.support import slot
from trainers.models import TrainerProfile

__all__ = ["END", "START", "set_profile", "slot"]

# The shared make_batch's default term.
START, END = dt.date(2027, 1, 4), dt.date(2027, 3, 26)


def set_profile(user, **fields) -> TrainerProfile:
    profile, _ = TrainerProfile.objects.get_or_create(user=user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    return profile
