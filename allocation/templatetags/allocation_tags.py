"""Presentation helpers for the allocation pages: badges and lookups of its statuses and
roles, no queries (except ``page_panels``, whose receivers read their own figures). Generic
formatting (percentages, hours, names) is in ``core_tags``."""

from django import template

from allocation.models import BatchStatus, RosterRole, RosterStatus, StaffRole
from trainers.models import TrainerStatus

register = template.Library()


@register.simple_tag(takes_context=True)
def page_panels(context, page: str, **objects):
    """The panels that apps above allocation add to ``page`` (``signals.page_panels``),
    already rendered and marked safe by the receiver, in the order they answered."""
    from django.utils.html import format_html_join

    from allocation.signals import page_panels as signal

    answers = signal.send(sender=page, page=page, request=context.get("request"), **objects)
    return format_html_join("", "{}", ((html,) for _, html in answers if html))


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
ROSTER_STATUS_BADGES = {
    RosterStatus.ACTIVE: "text-bg-success",
    RosterStatus.ON_LEAVE: "text-bg-warning",
    RosterStatus.INACTIVE: "text-bg-secondary",
}
ROSTER_ROLE_BADGES = {
    RosterRole.LEAD: "text-bg-primary",
    RosterRole.ASSISTANT: "text-bg-info",
    RosterRole.SUBSTITUTE: "text-bg-dark",
}
# Batch staffing roles as the staffing matrix shows them: a letter on a coloured badge.
STAFF_ROLE_BADGES = {
    StaffRole.PRIMARY: ("P", "text-bg-primary"),
    StaffRole.ASSISTANT: ("A", "text-bg-info"),
    StaffRole.BACKUP: ("B", "text-bg-secondary"),
}


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
def roster_status_badge(value) -> str:
    return ROSTER_STATUS_BADGES.get(value, "text-bg-light")


@register.filter
def roster_role_badge(value) -> str:
    return ROSTER_ROLE_BADGES.get(value, "text-bg-light")


@register.filter
def staff_role_label(value) -> str:
    """A staffing role as people write it ("Primary"), from its stored value ("primary")."""
    return StaffRole(value).label if value in StaffRole.values else str(value)


@register.filter
def staff_role_letter(value) -> str:
    return STAFF_ROLE_BADGES.get(value, ("?", ""))[0]


@register.filter
def staff_role_badge(value) -> str:
    return STAFF_ROLE_BADGES.get(value, ("", "text-bg-light"))[1]


@register.filter
def role_counts(rows) -> list[tuple[str, int]]:
    """Staffing rows counted by role, primary first: [("primary", 3), ("backup", 1)]."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.role] = counts.get(row.role, 0) + 1
    return [(role, counts[role]) for role in StaffRole.values if role in counts]


@register.simple_tag
def staffing_cell(matrix, batch, entry):
    """The cell of ``matrix`` (a ``StaffingMatrix``) for one batch and one roster entry."""
    return matrix.cell(batch, entry)


@register.filter
def workload_for(workloads, trainer_id):
    """The ``Workload`` of a trainer from a dict keyed by trainer id, or None."""
    return workloads.get(trainer_id)


@register.filter
def of_batch(rows, batch) -> list:
    """The rows (anything with ``batch_id``) that belong to ``batch``."""
    return [row for row in rows if row.batch_id == batch.pk]


@register.filter
def language_name(code) -> str:
    """An ISO 639-1 code's name: "de" -> "German"."""
    from core.languages import language_name as name

    return name(code)


@register.filter
def preferred_times_text(needs) -> str:
    """A student's preferred days and parts of the day as people read them."""
    from django.utils.translation import gettext as _

    from allocation.models import DAY_PART_HOURS, DayPart, Weekday

    days = ", ".join(str(Weekday(d).label) for d in sorted(needs.preferred_days))
    parts = ", ".join(
        f"{DayPart(p).label} {DAY_PART_HOURS[p][0]:%H}–{DAY_PART_HOURS[p][1]:%H}"
        for p in DayPart.values
        if p in needs.day_parts
    )
    if not days and not parts:
        return _("no preference")
    return " · ".join(x for x in (days or _("any day"), parts or _("any time of day")))
