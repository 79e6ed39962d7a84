"""The calendar pages: a batch's month and week (console), a session's page where the admin
cancels or moves it, adding an extra session, the holidays page (console), and the
instructor's "This week".

Each view checks access with a decorator, fetches what it works on, parses a form and calls
one service or selector (``services.sessions``, ``services.holidays``,
``selectors.calendar_pages``); a refusal (``DomainError``) is shown on the form and the page
re-renders with status 200. Times are shown in the viewer's zone (the middleware activated
it), and forms read the times typed in the zone the admin picks (the batch's by default).
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import admin_required, instructor_required
from allocation.calendar_forms import (
    CalendarQueryForm,
    HolidayForm,
    SessionAddForm,
    SessionCancelForm,
    SessionMoveForm,
)
from allocation.models import Batch, ClassSession, Holiday, SessionCover, TrainerBooking
from allocation.selectors import calendar_pages, sessions
from allocation.services import holidays as holiday_services
from allocation.services import sessions as session_services
from core.errors import DomainError
from core.web import paginate


def _calendar_query(request):
    """(view, day) from ``?view=&date=``, or None for a bad query (the caller answers 400)."""
    form = CalendarQueryForm(request.GET)
    if not form.is_valid():
        return None
    return form.cleaned_data["view"] or "month", form.cleaned_data["date"] or timezone.localdate()


def _warn(request, warnings) -> None:
    for warning in warnings:
        messages.warning(request, warning)


# --- the batch's calendar --------------------------------------------------------------------


@admin_required
@require_GET
def batch_calendar(request, pk: int):
    """The batch's sessions by month (a grid; a list of days on a phone) or by week, each
    with its status, teacher and cover, in the viewer's zone."""
    batch = get_object_or_404(Batch.objects.select_related("course"), pk=pk)
    query = _calendar_query(request)
    if query is None:
        return HttpResponseBadRequest(
            gettext("Bad calendar query: use ?view=month|week&date=YYYY-MM-DD")
        )
    view, day = query
    calendar = calendar_pages.batch_calendar(
        batch,
        view=view,
        day=day,
        tz=timezone.get_current_timezone(),
        today=timezone.localdate(),
    )
    return render(request, "allocation/batch_calendar.html", {"batch": batch, "calendar": calendar})


# --- one session -----------------------------------------------------------------------------


def _get_session(pk: int) -> ClassSession:
    return get_object_or_404(
        ClassSession.objects.select_related(
            "batch__course", "batch__assigned_instructor", "instructor_override", "holiday"
        ).prefetch_related(
            Prefetch("bookings", queryset=TrainerBooking.objects.select_related("trainer")),
            Prefetch(
                "covers",
                queryset=SessionCover.objects.select_related("absent_trainer", "substitute"),
            ),
        ),
        pk=pk,
    )


def _session_page(request, session, *, cancel_form=None, move_form=None, status=200):
    local = session.start_at.astimezone(timezone.get_current_timezone())
    return render(
        request,
        "allocation/session_detail.html",
        {
            "session": session,
            "batch": session.batch,
            "teachers": sessions.session_teachers(session),
            "covers": list(session.covers.all()),
            "cancel_form": cancel_form or SessionCancelForm(),
            "move_form": move_form
            or SessionMoveForm(
                batch=session.batch,
                initial={
                    "date": local.date(),
                    "start": local.time(),
                    "end": session.end_at.astimezone(local.tzinfo).time(),
                    "time_zone": timezone.get_current_timezone_name(),
                },
            ),
            "calendar_url": (
                f"{reverse('console:batch_calendar', args=[session.batch_id])}"
                f"?view=week&date={local.date():%Y-%m-%d}"
            ),
        },
        status=status,
    )


@admin_required
@require_GET
def session_detail(request, pk: int):
    """A session: when (in the viewer's zone and the batch's), status, reason, who teaches
    it and who covers whom; the forms to cancel and to move it."""
    return _session_page(request, _get_session(pk))


@admin_required
@require_POST
def session_cancel(request, pk: int):
    session = _get_session(pk)
    form = SessionCancelForm(request.POST)
    if form.is_valid():
        try:
            change = session_services.session_cancel(
                session=session, reason=form.cleaned_data["reason"], cancelled_by=request.user
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, gettext("Session cancelled; its students and trainers are told.")
            )
            _warn(request, change.warnings)
            return redirect("console:session_detail", pk=session.pk)
    return _session_page(request, session, cancel_form=form)


@admin_required
@require_POST
def session_move(request, pk: int):
    session = _get_session(pk)
    form = SessionMoveForm(request.POST, batch=session.batch)
    if form.is_valid():
        try:
            change = session_services.session_move(
                session=session,
                start_at=form.cleaned_data["start_at"],
                end_at=form.cleaned_data["end_at"],
                reason=form.cleaned_data["reason"],
                moved_by=request.user,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, gettext("Session moved; its students and trainers are told."))
            _warn(request, change.warnings)
            return redirect("console:session_detail", pk=session.pk)
    return _session_page(request, session, move_form=form)


@admin_required
@require_http_methods(["GET", "POST"])
def session_add(request, pk: int):
    """Add an extra session to the batch (a make-up for one lost to a holiday, or an extra
    class); ``?date=`` fills the date in."""
    batch = get_object_or_404(Batch.objects.select_related("course"), pk=pk)
    initial = {}
    if (day := CalendarQueryForm(request.GET)).is_valid() and day.cleaned_data["date"]:
        initial["date"] = day.cleaned_data["date"]
    form = SessionAddForm(request.POST or None, batch=batch, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = session_services.session_add(
                batch=batch,
                start_at=data["start_at"],
                end_at=data["end_at"],
                added_by=request.user,
                reason=data["reason"],
                room=data["room"],
                meeting_url=data["meeting_url"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, gettext("Session added; its students and trainers are told."))
            _warn(request, change.warnings)
            return redirect("console:session_detail", pk=change.session.pk)
    return render(request, "allocation/session_add.html", {"batch": batch, "form": form})


# --- holidays --------------------------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def holiday_list(request):
    """Platform holidays and course/batch closures, the form to add one, and how many
    sessions each batch lost to them, with a link to add a make-up session."""
    form = HolidayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = holiday_services.holiday_create(
                name=data["name"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                course=data["course"],
                batch=data["batch"],
                created_by=request.user,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                gettext("%(holiday_name)s added; %(count)s session(s) cancelled.")
                % {"holiday_name": result.holiday.name, "count": len(result.cancelled)},
            )
            return redirect("console:holiday_list")
    # A platform holiday costs every batch a session: the list is paginated.
    page = paginate(request, calendar_pages.batches_that_lost_sessions())
    lost = sessions.sessions_lost_to_holidays(batch.pk for batch in page)
    return render(
        request,
        "allocation/holiday_list.html",
        {
            "form": form,
            "holidays": sessions.holiday_list(),
            "page": page,
            "losses": [(batch, lost.get(batch.pk, 0)) for batch in page],
        },
    )


@admin_required
@require_POST
def holiday_delete(request, pk: int):
    holiday = get_object_or_404(Holiday, pk=pk)
    try:
        holiday_services.holiday_delete(holiday=holiday, deleted_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext(
                "%(holiday_name)s removed. The sessions it cancelled stay cancelled; new "
                "sessions are made on its dates again."
            )
            % {"holiday_name": holiday.name},
        )
    return redirect("console:holiday_list")


# --- the instructor's week -------------------------------------------------------------------


@instructor_required
@require_GET
def this_week(request):
    """The instructor's sessions of the week in order (as primary, assistant or cover), and
    the ones a substitute covers for them; ``?date=`` shows another week."""
    query = _calendar_query(request)
    if query is None:
        return HttpResponseBadRequest(gettext("Bad week: use ?date=YYYY-MM-DD"))
    _, day = query
    calendar = calendar_pages.trainer_week(
        request.user,
        day=day,
        tz=timezone.get_current_timezone(),
        today=timezone.localdate(),
    )
    return render(request, "allocation/this_week.html", {"calendar": calendar})
