"""The console's bulk import pages (``/console/imports/``, namespace ``imports``): upload a
CSV of students, read the per-row check, import it in the background and watch it progress.

The rules are in ``enrollments.services.imports``; these views only parse, call it and
render.
"""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.access import admin_required
from core.errors import DomainError
from core.web import csv_response, paginate, wants_csv
from enrollments.forms import ImportUploadForm
from enrollments.models import EnrollmentImport, ImportStatus
from enrollments.services.imports import (
    COLUMN_TITLES,
    COLUMNS,
    MAX_ROWS,
    import_blocker,
    import_create,
    import_start,
)

REPORT_PAGE_SIZE = 100
# How often (seconds) a running import's page reloads itself.
REFRESH_SECONDS = 2

SAMPLE_ROWS = (
    ("new.student@example.com", "Nora New", "GER-A1", "GER-A1-2027-01", "batch"),
    ("known.student@example.com", "", "GER-A1", "", "individual"),
)


def _list_page(request, form, status=200):
    jobs = EnrollmentImport.objects.select_related("created_by")
    return render(
        request,
        "enrollments/import_list.html",
        {"form": form, "page": paginate(request, jobs), "max_rows": MAX_ROWS},
        status=status,
    )


@admin_required
@require_GET
def import_list(request):
    """Recent imports, and the upload form."""
    if wants_csv(request):
        jobs = EnrollmentImport.objects.select_related("created_by")
        return csv_response(
            "imports.csv",
            ("ID", "Uploaded", "By", "File", "Mode", "Status", "Rows", "Enrolled", "Failed"),
            (
                (
                    j.pk,
                    f"{j.created_at:%Y-%m-%d %H:%M}",
                    j.created_by.email if j.created_by else "",
                    j.filename,
                    j.get_mode_display(),
                    j.get_status_display(),
                    j.total,
                    j.enrolled,
                    j.failed,
                )
                for j in jobs
            ),
        )
    return _list_page(request, ImportUploadForm())


@admin_required
@require_POST
def upload(request):
    """Check an uploaded CSV and keep it as an import to review; nothing is enrolled yet."""
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, form)
    try:
        job = import_create(
            rows=form.cleaned_data["rows"],
            filename=form.cleaned_data["file"].name,
            mode=form.cleaned_data["mode"],
            created_by=request.user,
            send_invitations=form.cleaned_data["send_invitations"],
        )
    except DomainError as exc:
        form.add_error("mode" if exc.field == "mode" else None, exc.message)
        return _list_page(request, form)
    return redirect("imports:detail", pk=job.pk)


def _report_rows(job: EnrollmentImport):
    """The uploaded rows side by side with their report entries."""
    for row, entry in zip(job.rows, job.report, strict=True):
        yield {**row, **entry, "result": entry.get("result", "")}


@admin_required
@require_GET
def detail(request, pk):
    """An import's per-row report, its progress while it runs, and the Import button."""
    job = get_object_or_404(EnrollmentImport.objects.select_related("created_by"), pk=pk)
    rows = list(_report_rows(job))
    if wants_csv(request):
        return csv_response(
            f"import-{job.pk}-report.csv",
            (*COLUMN_TITLES, "Line", "Valid", "Action", "Result", "Error"),
            (
                (
                    *(r[c] for c in COLUMNS),
                    r["line"],
                    "yes" if r["ok"] else "no",
                    r["action"],
                    r["result"],
                    r["error"],
                )
                for r in rows
            ),
        )
    show = request.GET.get("show", "")
    shown = (
        [r for r in rows if not r["ok"] or r["result"] == "failed"] if show == "failed" else rows
    )
    valid = sum(1 for r in rows if r["ok"])
    return render(
        request,
        "enrollments/import_detail.html",
        {
            "job": job,
            "page": paginate(request, shown, per_page=REPORT_PAGE_SIZE),
            "show": show,
            "valid": valid,
            "invalid": len(rows) - valid,
            "blocker": import_blocker(job),
            "running": job.status == ImportStatus.RUNNING,
            "percent": round(100 * job.processed / job.total) if job.total else 0,
            "refresh_seconds": REFRESH_SECONDS,
        },
    )


@admin_required
@require_POST
def apply(request, pk):
    """Start importing the valid rows (refused twice, or for an all-or-nothing job with an
    invalid row); the import runs in the background."""
    job = get_object_or_404(EnrollmentImport, pk=pk)
    try:
        import_start(job=job)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("Import started."))
    return redirect("imports:detail", pk=pk)


@admin_required
@require_GET
def status(request, pk):
    """The progress of an import, as JSON, for scripts and polling pages."""
    job = get_object_or_404(EnrollmentImport, pk=pk)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_display": job.get_status_display(),
            "total": job.total,
            "processed": job.processed,
            "created_students": job.created_students,
            "enrolled": job.enrolled,
            "failed": job.failed,
            "error": job.error,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        }
    )


@admin_required
@require_GET
def template(request):
    """A sample CSV with the header the upload expects."""
    return csv_response("enrollment-import-template.csv", COLUMN_TITLES, SAMPLE_ROWS)
