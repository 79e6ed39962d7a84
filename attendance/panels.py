"""Attendance on allocation's pages: the batch page, the instructor dashboard and the
workload dashboard answer ``allocation.signals.page_panels`` with a rendered panel from here
(allocation sits below attendance and does not import it). Each panel reads a fixed number
of queries, whatever the data."""

from __future__ import annotations

from django.template.loader import render_to_string

from accounts.models import User

from . import figures, selectors
from .models import AtRiskEpisode


def _batch_detail(batch, request) -> str:
    rates = selectors.batch_student_rates(batch.pk)
    students = User.objects.in_bulk(list(rates))
    at_risk = {
        e.student_id: e.reason
        for e in AtRiskEpisode.objects.filter(batch=batch, closed_at__isnull=True)
    }
    total = selectors.Rate(
        sum(r.present for r in rates.values()),
        sum(r.late for r in rates.values()),
        sum(r.absent for r in rates.values()),
        sum(r.excused for r in rates.values()),
    )
    rows = sorted(
        ((students[s], r, at_risk.get(s)) for s, r in rates.items() if s in students),
        key=lambda row: (row[0].full_name, row[0].email),
    )
    return render_to_string(
        "attendance/panels/batch.html",
        {
            "total": total,
            "rows": rows,
            "trend": selectors.weekly_trend(selectors.counted_marks().filter(batch_id=batch.pk)),
            "definitions": selectors.DEFINITIONS,
        },
        request=request,
    )


def _instructor_dashboard(request) -> str:
    me = request.user
    return render_to_string(
        "attendance/panels/instructor.html",
        {
            "rate": selectors.trainer_attendance_rates([me.pk]).get(me.pk, selectors.Rate()),
            "trend": selectors.weekly_trend(selectors.counted_marks().filter(trainer=me)),
            "risk": figures.at_risk_list(trainer=me, limit=10),
            "rule": figures.at_risk_rule(),
            "definitions": selectors.DEFINITIONS,
        },
        request=request,
    )


def _workload_dashboard(trainers, request) -> str:
    rates = selectors.trainer_attendance_rates([t.pk for t in trainers])
    return render_to_string(
        "attendance/panels/workload.html",
        {
            "rows": [(t, rates.get(t.pk)) for t in trainers],
            "trend": selectors.weekly_trend(selectors.counted_marks()),
            "risk": figures.at_risk_list(limit=10),
            "rule": figures.at_risk_rule(),
            "definitions": selectors.DEFINITIONS,
        },
        request=request,
    )


def page_panel(sender, page, request=None, **objects) -> str | None:
    """The receiver of ``allocation.signals.page_panels``."""
    if page == "batch_detail":
        return _batch_detail(objects["batch"], request)
    if page == "instructor_dashboard":
        return _instructor_dashboard(request)
    if page == "workload_dashboard":
        return _workload_dashboard(objects["trainers"], request)
    return None
