"""Calendar feeds (``/feeds/``, namespace ``feeds``) and their reset.

The feeds take no login: the secret token in their URL is the credential (calendar apps
cannot log in). An unknown token, or one of a user without the feed's role, is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.services import feed_token_reset
from allocation.selectors import calendar_pages
from allocation.selectors.mentor_slots import bookings_between
from core.web import attachment
from enrollments import feeds, selectors
from enrollments.views.redirects import next_url


def _ics_response(calendar, filename: str) -> HttpResponse:
    response = attachment(
        calendar.to_ical(), filename=filename, content_type="text/calendar; charset=utf-8"
    )
    # The URL is a secret: keep shared caches from storing the feed.
    response["Cache-Control"] = "private"
    return response


def _feed_owner(token: str, has_role) -> object:
    user = selectors.user_by_feed_token(token)
    if user is None or not has_role(user):
        raise Http404(gettext("No such calendar feed"))
    return user


@require_GET
def student_feed(request, token: str):
    student = _feed_owner(token, lambda user: user.is_learner)
    since = feeds.feed_since()
    rows = calendar_pages.student_feed_sessions(student, since=since)
    bookings = bookings_between(student, since, None)
    # In the owner's language: a calendar app sends no useful Accept-Language, and no cookie.
    with translation.override(student.language):
        return _ics_response(feeds.student_calendar(student, rows, bookings), "medh-classes.ics")


@require_GET
def instructor_feed(request, token: str):
    instructor = _feed_owner(token, lambda user: user.is_instructor)
    since = feeds.feed_since()
    rows = calendar_pages.trainer_feed_sessions(instructor, since=since)
    bookings = bookings_between(instructor, since, None)
    with translation.override(instructor.language):
        return _ics_response(
            feeds.instructor_calendar(instructor, rows, bookings), "medh-teaching.ics"
        )


@login_required
@require_POST
def feed_reset(request):
    """Give the user a new feed token; every feed URL with the old one becomes a 404."""
    feed_token_reset(user=request.user)
    messages.success(
        request,
        gettext(
            "Your calendar feed has a new address. The old one no longer works: subscribe again "
            "with the new address in your calendar app."
        ),
    )
    return HttpResponseRedirect(next_url(request, reverse("home")))
