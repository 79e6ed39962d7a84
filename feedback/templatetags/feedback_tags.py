"""Feedback on the pages of the apps below it (the student's schedule, the batch pages),
which cannot import feedback: they load these tags instead."""

from django import template

from feedback import selectors

register = template.Library()


@register.inclusion_tag("feedback/_student_card.html")
def student_feedback_card(user):
    """The student's open requests to rate a batch, and their mentoring sessions not rated
    yet (at most 5 listed). Three queries, whatever the data."""
    sessions = list(selectors.mentee_sessions_to_rate(user)[:5])
    return {"requests": selectors.open_requests(user), "sessions": sessions}


@register.inclusion_tag("feedback/_batch_link.html")
def batch_feedback_link(batch):
    """A link to the batch's feedback page (no query: the page checks who may see it)."""
    return {"batch": batch}


@register.inclusion_tag("feedback/_mentoring_rating.html")
def mentoring_rating_figure(mentor):
    """The mentor's average rating from their mentees, only from ``min_answers()`` ratings
    (the same anonymity rule as a batch's trainers). One query."""
    figure = selectors.mentoring_figures([mentor.pk]).get(mentor.pk)
    shown = figure is not None and figure.answers >= selectors.min_answers()
    return {"figure": figure if shown else None, "min_answers": selectors.min_answers()}
