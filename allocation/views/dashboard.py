"""Console: every instructor's workload, the fill-rate chart and mentor coverage."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import admin_required
from accounts.models import User
from allocation import selectors
from allocation.filters import TrainerWorkloadFilter
from core.replica import replica_reads
from core.web import csv_response, paginate, wants_csv
from trainers.models import TrainerStatus

WORKLOAD_CSV_HEADER = [
    "Instructor",
    "Email",
    "Status",
    "Active batches",
    "Cap",
    "Individual students",
    "Students across batches",
    "Weekly hours",
    "Fill rate %",
]


# The fill-rate chart shows this many open batches, the fullest first.
FILL_CHART_SIZE = 20


@admin_required
@require_GET
@replica_reads
def dashboard(request):
    """Every instructor's workload with flags (over cap, leave with uncovered sessions,
    mentees without contact) and charts; filterable by name, status, course roster and role;
    ``?format=csv`` downloads the figures."""
    filterset = TrainerWorkloadFilter(request.GET, queryset=User.objects.instructors())
    trainers = selectors.trainers_with_workload(filterset.qs)
    if wants_csv(request):
        rows = (
            [
                w.trainer.display_name,
                w.trainer.email,
                TrainerStatus(w.status).label,
                w.active_batches,
                w.max_active_batches,
                w.individual_students,
                w.batch_students,
                w.weekly_hours,
                "" if w.fill_rate is None else round(w.fill_rate * 100, 1),
            ]
            for w in map(selectors.workload_of, trainers)
        )
        return csv_response("instructor-workload.csv", WORKLOAD_CSV_HEADER, rows)
    page = paginate(request, trainers)
    rows = selectors.dashboard_rows(page)
    course = getattr(filterset.form, "cleaned_data", {}).get("course")
    return render(
        request,
        "allocation/dashboard.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "workloads": [row.workload for row in rows],
            "page_trainers": [row.trainer for row in rows],
            "fill_batches": selectors.open_batches_by_fill(limit=FILL_CHART_SIZE, course=course),
            "fill_course": course,
            "coverage": selectors.mentor_coverage(),
            "stale_days": selectors.STALE_CONTACT_DAYS,
        },
    )
