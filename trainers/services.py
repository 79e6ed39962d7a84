"""Writes and locks on trainer profiles.

The trainer profile row is the per-trainer lock: every service that adds teaching time,
batches or mentees to a trainer locks it first, so two admins assigning the same trainer at
the same moment are served one after the other and the second sees the first's result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from core.errors import DomainError, full_clean_or_refuse

from .models import AvailabilityWindow, TrainerLeave, TrainerProfile
from .signals import leave_recorded


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


def _name(user: User) -> str:
    return user.display_name


@transaction.atomic
def leave_record(
    *,
    trainer: User,
    start_date: dt.date,
    end_date: dt.date,
    created_by: User | None,
    reason: str = "",
) -> TrainerLeave:
    """Record a trainer's leave (whole days, both ends included).

    Locks the trainer's profile, so two overlapping leaves cannot be recorded at once.
    Refuses: a user without the instructor role, an end before the start, a leave that
    overlaps another leave of the same trainer (naming it).
    """
    if not trainer.is_instructor:
        raise DomainError(gettext("Only an instructor can be given leave"), field="trainer")
    if end_date < start_date:
        raise DomainError(gettext("The leave must end on or after its first day"), field="end_date")
    trainers_lock(trainer)
    clash = TrainerLeave.objects.filter(
        trainer=trainer, start_date__lte=end_date, end_date__gte=start_date
    ).first()
    if clash is not None:
        raise DomainError(
            gettext(
                "%(name)s is already on leave %(start_date)s – %(end_date)s, which overlaps "
                "these dates"
            )
            % {
                "name": _name(trainer),
                "start_date": format(clash.start_date, "%Y-%m-%d"),
                "end_date": format(clash.end_date, "%Y-%m-%d"),
            },
            field="start_date",
        )
    leave = TrainerLeave(
        trainer=trainer,
        start_date=start_date,
        end_date=end_date,
        reason=reason.strip(),
        created_by=created_by,
    )
    # Who recorded it is optional (None is allowed above); the field is not blank=True.
    full_clean_or_refuse(leave, exclude=["created_by"])
    leave.save()
    leave_recorded.send(sender=TrainerLeave, leave=leave)
    return leave


@dataclass(frozen=True)
class Window:
    day: int
    start_time: dt.time
    end_time: dt.time


@transaction.atomic
def availability_set(*, trainer: User, windows: Sequence[Window]) -> list[AvailabilityWindow]:
    """Replace the trainer's weekly availability windows (an empty list: always available).

    Locks the trainer's profile. Refuses a window that ends before it starts or an unknown
    weekday. Existing teaching outside the new windows is not undone; new assignments are
    checked against them.
    """
    trainers_lock(trainer)
    rows = [
        AvailabilityWindow(trainer=trainer, day=w.day, start_time=w.start_time, end_time=w.end_time)
        for w in windows
    ]
    for row in rows:
        full_clean_or_refuse(row, exclude=["trainer"])
    AvailabilityWindow.objects.filter(trainer=trainer).delete()
    return AvailabilityWindow.objects.bulk_create(rows)


@transaction.atomic
def leave_delete(*, leave: TrainerLeave) -> None:
    """Withdraw a recorded leave (a leave entered by mistake, or cancelled by the trainer).

    Locks the trainer's profile, as ``leave_record`` does, so a leave is never withdrawn while
    an overlapping one is being recorded. Refuses a leave that no longer exists.
    """
    trainers_lock(leave.trainer)
    deleted, _ = TrainerLeave.objects.filter(pk=leave.pk).delete()
    if not deleted:
        raise DomainError(gettext("This leave no longer exists"))
