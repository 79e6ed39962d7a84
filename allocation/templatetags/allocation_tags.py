"""Presentation helpers for the allocation pages: labels and percentages, no queries."""

from django import template

from allocation.models import BatchStatus
from trainers.models import TrainerStatus

register = template.Library()

BATCH_STATUS_BADGES = {
    BatchStatus.ACTIVE: "text-bg-success",
    BatchStatus.UPCOMING: "text-bg-info",
    BatchStatus.COMPLETED: "text-bg-secondary",
    BatchStatus.CANCELLED: "text-bg-dark",
}
TRAINER_STATUS_BADGES = {
    TrainerStatus.ACTIVE: "text-bg-success",
    TrainerStatus.ON_LEAVE: "text-bg-warning",
    TrainerStatus.INACTIVE: "text-bg-secondary",
}


@register.filter
def percent(value) -> int:
    """A ratio such as 0.523 as a whole percentage (52), clamped to 0–100 for progress bars."""
    if value is None:
        return 0
    return max(0, min(100, round(float(value) * 100)))


@register.simple_tag
def ratio_percent(part, whole) -> int:
    """``part / whole`` as a whole percentage, clamped to 0–100; 0 when ``whole`` is 0."""
    if not whole:
        return 0
    return max(0, min(100, round(100 * (part or 0) / whole)))


@register.filter
def trainer_status_label(value) -> str:
    return TrainerStatus(value).label if value in TrainerStatus.values else str(value)


@register.filter
def trainer_status_badge(value) -> str:
    return TRAINER_STATUS_BADGES.get(value, "text-bg-light")


@register.filter
def batch_status_badge(value) -> str:
    return BATCH_STATUS_BADGES.get(value, "text-bg-light")


@register.filter
def display_name(user, empty: str = "—") -> str:
    """A user's full name, else their email; ``empty`` when there is no user."""
    if not user:
        return empty
    return user.full_name or user.email


@register.filter
def hours(value) -> str:
    """Weekly hours without trailing zeros: 16, 11.5, 4.25."""
    return f"{float(value or 0):g}"
