"""Reads about trainers that services, pages and the API share."""

from __future__ import annotations

import datetime as dt

from accounts.models import User

from .models import TrainerLeave, TrainerProfile, TrainerStatus


def trainer_status_on(trainer: User, day: dt.date, profile: TrainerProfile | None = None) -> str:
    """The trainer's status on ``day``: ``on_leave`` while a recorded leave covers it."""
    if TrainerLeave.objects.filter(
        trainer=trainer, start_date__lte=day, end_date__gte=day
    ).exists():
        return TrainerStatus.ON_LEAVE
    profile = profile or TrainerProfile.objects.filter(user=trainer).first()
    return profile.status if profile else TrainerStatus.ACTIVE
