"""Console: trainers' leave and the substitute cover of the sessions it hits.

Each view checks access with a decorator, fetches what it works on, parses a form and calls
one service or selector; a service's refusal (``DomainError``) is shown on the form and the
page re-renders with status 200. The rules themselves live in ``services``, ``selectors``
and ``eligibility``.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import admin_required
from allocation import selectors, services
from allocation.filters import LeaveFilter
from allocation.forms import CoverAssignForm, LeaveForm
from core import dates
from core.errors import DomainError
from core.web import csv_response, paginate, wants_csv
from trainers import services as trainer_services
from trainers.models import TrainerLeave


@admin_required
@require_http_methods(["GET", "POST"])
def leave_list(request):
    """Every recorded leave (CSV with ?format=csv); the form records one and opens its cover
    page."""
    filterset = LeaveFilter(
        request.GET if request.method == "GET" else None, queryset=selectors.leave_list()
    )
    if request.method == "GET" and wants_csv(request):
        return csv_response(
            "leave.csv",
            ("Trainer", "Email", "First day", "Last day", "Reason", "Recorded by"),
            (
                (
                    leave.trainer.display_name,
                    leave.trainer.email,
                    leave.start_date,
                    leave.end_date,
                    leave.reason,
                    "" if leave.created_by is None else leave.created_by.display_name,
                )
                for leave in filterset.qs
            ),
        )
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            leave = trainer_services.leave_record(created_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                gettext("Leave of %(trainer)s recorded; cover the sessions it hits below.")
                % {"trainer": leave.trainer.display_name},
            )
            return redirect("console:leave_detail", pk=leave.pk)
    return render(
        request,
        "allocation/leave_list.html",
        {
            "form": form,
            "filter": filterset,
            "page": paginate(request, filterset.qs),
            "today": dates.today(),
        },
    )


def _get_leave(pk: int) -> TrainerLeave:
    return get_object_or_404(TrainerLeave.objects.select_related("trainer", "created_by"), pk=pk)


@admin_required
@require_GET
def leave_detail(request, pk: int):
    """The sessions a leave hits, who covers them, and ranked candidates for the rest."""
    leave = _get_leave(pk)
    sessions = selectors.leave_affected_sessions(leave)
    return render(
        request,
        "allocation/leave_detail.html",
        {
            "leave": leave,
            "sessions": sessions,
            "uncovered_count": sum(not s.covered for s in sessions),
            "plan": selectors.leave_cover_plan(leave, sessions),
        },
    )


@admin_required
@require_POST
def cover_assign(request, pk: int):
    """Have a substitute cover the chosen sessions of one batch that the leave hits; back to
    the leave page."""
    leave = _get_leave(pk)
    form = CoverAssignForm(request.POST)
    if form.is_valid():
        try:
            cover = services.session_cover_assign(
                sessions=list(form.cleaned_data["sessions"]),
                absent_trainer=leave.trainer,
                substitute=form.cleaned_data["substitute"],
                assigned_by=request.user,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            count = cover.sessions.count()
            messages.success(
                request,
                ngettext(
                    "%(substitute)s covers %(count)s session of %(batch_code)s for "
                    "%(trainer)s from %(start_date)s to %(end_date)s.",
                    "%(substitute)s covers %(count)s sessions of %(batch_code)s for "
                    "%(trainer)s from %(start_date)s to %(end_date)s.",
                    count,
                )
                % {
                    "substitute": cover.substitute.display_name,
                    "count": count,
                    "batch_code": cover.batch.batch_code,
                    "trainer": leave.trainer.display_name,
                    "start_date": format(cover.start_date, "%Y-%m-%d"),
                    "end_date": format(cover.end_date, "%Y-%m-%d"),
                },
            )
    else:
        messages.error(
            request, " ".join(error for errors in form.errors.values() for error in errors)
        )
    return redirect("console:leave_detail", pk=leave.pk)
