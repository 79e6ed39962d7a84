"""Writes and locks on trainer profiles.

The trainer profile row is the per-trainer lock: every service that adds teaching time,
batches or mentees to a trainer locks it first, so two admins assigning the same trainer at
the same moment are served one after the other and the second sees the first's result.
"""

from __future__ import annotations

from django.db import transaction

from medh.accounts.models import User

from .models import TrainerProfile


def trainer_profile_for(user: User) -> TrainerProfile:
    """The user's trainer profile, created with the defaults on first use."""
    profile, _ = TrainerProfile.objects.get_or_create(user=user)
    return profile


def trainers_lock(*users: User) -> dict[int, TrainerProfile]:
    """Lock the trainer profiles of ``users`` in primary-key order; return them by user id.

    Creates missing profiles first (each in its own savepoint, so a concurrent creation is
    absorbed by get_or_create). Must run inside a transaction, before any batch row is locked.
    """
    assert transaction.get_connection().in_atomic_block, "trainers_lock needs a transaction"
    user_ids = sorted({u.pk for u in users if u is not None})
    for user_id in user_ids:
        TrainerProfile.objects.get_or_create(user_id=user_id)
    locked = (
        TrainerProfile.objects.select_for_update(of=("self",))
        .filter(user_id__in=user_ids)
        .order_by("pk")
        .select_related("user")
    )
    return {profile.user_id: profile for profile in locked}
