"""Attendance pages: take a session's roll (phone first), a student's own attendance, the
at-risk list, and the admin's attendance report. Thin: access, parse, call the selector or
``services.attendance_record``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.access import admin_required, is_admin, is_instructor, student_required
from allocation.models import ClassSession
from core.errors import DomainError
from core.web import csv_response, paginate, wants_csv

from . import figures, selectors, services
from .models import AttendanceStatus


def _session(pk: int) -> ClassSession:
    return get_object_or_404(
        ClassSession.objects.select_related(
            "batch__course", "batch__assigned_instructor", "instructor_override"
        ),
        pk=pk,
    )


def _parse_roll(post) -> list[services.MarkInput]:
    """``status_<student id>`` and ``note_<student id>`` fields; a student left without a
    status is left unmarked."""
    marks = []
    for key, value in post.items():
        if not key.startswith("status_") or not value:
            continue
        try:
            student = int(key.removeprefix("status_"))
        except ValueError:
            raise DomainError(_("Unknown student %(key)s") % {"key": key}) from None
        marks.append(services.MarkInput(student, value, post.get(f"note_{student}", "")))
    return marks


@login_required
def roll(request, pk: int):
    """A session's roll: one row per student on it, four buttons each, "everyone present",
    one Save. Its teacher (the cover for a covered session) within the window, or an admin.
    A ``fetch`` with ``Accept: application/json`` saves the same way and answers JSON."""
    session = _session(pk)
    teachers = services.session_teachers_now(session)
    if not (is_admin(request.user) or request.user.pk in teachers):
        raise PermissionDenied(_("Only the session's trainer or an admin can open its roll."))
    wants_json = "application/json" in request.headers.get("Accept", "")
    error = None
    if request.method == "POST":
        try:
            result = services.attendance_record(
                session=session, marks=_parse_roll(request.POST), marked_by=request.user
            )
        except DomainError as exc:
            if wants_json:
                return JsonResponse({"success": False, "message": exc.message}, status=400)
            error = exc.message
        else:
            if wants_json:
                return JsonResponse(
                    {"success": True, "created": result.created, "changed": result.changed}
                )
            messages.success(request, _("Attendance saved."))
            return redirect("attendance:roll", pk=session.pk)
    refusal = services.can_take(request.user, session, teachers)
    view = selectors.roll_view(session)
    return render(
        request,
        "attendance/roll.html",
        {
            "session": session,
            "batch": session.batch,
            "rows": view,
            "statuses": AttendanceStatus.choices,
            "refusal": refusal.message if refusal else None,
            "error": error,
            "window_end": services.window_end(session),
            "definitions": selectors.DEFINITIONS,
            "submitted": request.POST if error else None,
        },
    )


@student_required
def my_attendance(request):
    """The student's own marks, session by session, and their rate per batch."""
    return render(
        request,
        "attendance/mine.html",
        {**figures.student_attendance(request.user), "definitions": selectors.DEFINITIONS},
    )


@login_required
def at_risk(request):
    """Students at risk: every one for an admin, a trainer's own students for a trainer,
    ``AT_RISK_PAGE_SIZE`` a page."""
    if is_admin(request.user):
        risk = figures.at_risk_list()
    elif is_instructor(request.user):
        risk = figures.at_risk_list(trainer=request.user)
    else:
        raise PermissionDenied(_("This page is for admins and trainers."))
    page = paginate(request, risk, figures.AT_RISK_PAGE_SIZE)
    return render(
        request,
        "attendance/at_risk.html",
        {
            "risk": {"rows": page.object_list, "more": 0},
            "page": page,
            "definitions": selectors.DEFINITIONS,
            "rule": figures.at_risk_rule(),
        },
    )


@admin_required
def report(request):
    """Attendance per batch (paginated), per trainer of the page's batches and week by week,
    filtered by course, batch and trainer; ``?format=csv`` downloads every filtered batch,
    streamed a page of batches at a time."""
    filters = figures.ReportFilters.from_query(request.GET)
    if wants_csv(request):
        return csv_response("attendance.csv", figures.CSV_HEADER, figures.csv_export(filters))
    page = paginate(request, figures.report_batches(filters), figures.REPORT_PAGE_SIZE)
    data = figures.attendance_report(filters, list(page.object_list))
    return render(
        request,
        "attendance/report.html",
        {
            **data,
            **figures.filter_choices(),
            "page": page,
            "filters": filters,
            "definitions": selectors.DEFINITIONS,
        },
    )
