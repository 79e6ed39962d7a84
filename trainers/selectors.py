"""Reads about trainers that services, pages and the API share."""

from __future__ import annotations

import datetime as dt

from accounts.models import User

from .models import AvailabilityWindow, TrainerLeave, TrainerProfile, TrainerStatus


def trainer_status_on(trainer: User, day: dt.date, profile: TrainerProfile | None = None) -> str:
    """The trainer's status on ``day``: ``on_leave`` while a recorded leave covers it."""
    if TrainerLeave.objects.filter(
        trainer=trainer, start_date__lte=day, end_date__gte=day
    ).exists():
        return TrainerStatus.ON_LEAVE
    profile = profile or TrainerProfile.objects.filter(user=trainer).first()
    return profile.status if profile else TrainerStatus.ACTIVE


def leave_overlapping(trainer: User, start: dt.date, end: dt.date) -> TrainerLeave | None:
    """The first recorded leave of the trainer that touches [start, end], if any."""
    return (
        TrainerLeave.objects.filter(trainer=trainer, start_date__lte=end, end_date__gte=start)
        .order_by("start_date")
        .first()
    )


def outside_availability(trainer: User, slots) -> list:
    """The slots that fall outside the trainer's declared weekly windows (none declared:
    always available, so none are outside). A slot must fit inside one window."""
    windows = list(AvailabilityWindow.objects.filter(trainer=trainer))
    if not windows:
        return []
    return [
        slot
        for slot in slots
        if not any(
            w.day == slot.day and w.start_time <= slot.start_time and slot.end_time <= w.end_time
            for w in windows
        )
    ]
