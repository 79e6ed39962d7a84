"""Formatting filters and tags any page may use: ``{% load core_tags %}``. No queries, no
domain knowledge (the badges of a batch or roster status stay with their app's library)."""

from django import template

register = template.Library()


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
def display_name(user, empty: str = "—") -> str:
    """A user's full name, else their email; ``empty`` when there is no user."""
    if not user:
        return empty
    return user.display_name


@register.filter
def hours(value) -> str:
    """Weekly hours without trailing zeros: 16, 11.5, 4.25."""
    return f"{float(value or 0):g}"


@register.filter
def active_filters(form) -> int:
    """How many of a filter form's visible fields the request filled in (0 for an unbound
    form): the count on the folded filter form's button."""
    if not form.is_bound:
        return 0
    data = form.data
    values = data.getlist if hasattr(data, "getlist") else lambda name: [data.get(name)]
    return sum(
        1
        for field in form.visible_fields()
        if any(value not in ("", None) for value in values(field.html_name))
    )
