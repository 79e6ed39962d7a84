"""The audit log of the admin console, at ``/console/audit/`` (namespace ``audit``).

- ``log``: every audited change, newest first, filtered by who made it, object type, kind of
  change and date range (and, from a batch's or a student's page, by that batch or student);
  paginated; ``?format=csv`` downloads every filtered change.
- ``student``: one student's history (enrollments, individual assignments, waitlist entries).

The rows and their before/after values come from ``reports.audit``; these views only parse
the filters and render. The Django admin's history view (simple-history) shows one object's
rows as well.
"""

from django import forms
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET

from accounts.access import admin_required
from accounts.forms import UserEmailField
from accounts.models import User
from allocation.models import Batch
from core.web import csv_response, paginate, wants_csv

from . import audit

CSV_HEADER = [
    "When",
    "User",
    "User email",
    "Action",
    "Object type",
    "Object id",
    "Object",
    "Changes",
    "Reason",
]


class AuditLogFilter(forms.Form):
    """The log's filters; an invalid value is shown as an error and not applied."""

    user = UserEmailField(
        queryset=User.objects.all(), required=False, label=gettext_lazy("Changed by"), help_text=""
    )
    model = forms.ChoiceField(
        choices=[("", gettext_lazy("Any object type")), *audit.MODEL_CHOICES],
        required=False,
        label=gettext_lazy("Object type"),
    )
    action = forms.ChoiceField(
        choices=[("", gettext_lazy("Any change")), *audit.ACTION_CHOICES],
        required=False,
        label=gettext_lazy("Change"),
    )
    date_from = forms.DateField(
        required=False, label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    # Set by the links from a batch's or a student's page; shown as a removable scope.
    # max_value: a larger number is no id (BigAutoField) and would overflow the query.
    batch = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )
    student = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", gettext("The end date must be on or after the start date"))
        return data

    def filters(self) -> dict:
        """The valid filters, as keyword arguments of ``audit.audit_log``."""
        self.is_valid()  # cleaned_data holds the valid fields only
        return {name: value for name, value in self.cleaned_data.items() if value}


def _csv(filename: str, log):
    return csv_response(
        filename,
        CSV_HEADER,
        (
            [
                f"{entry.when:%Y-%m-%d %H:%M:%S}",
                (entry.user.display_name) if entry.user else "",
                entry.user.email if entry.user else "",
                entry.action_label,
                entry.model_label,
                entry.object_id,
                entry.summary,
                entry.changes_text,
                entry.reason,
            ]
            for entry in audit.iter_entries(log)
        ),
    )


@admin_required
@require_GET
def log(request):
    """The filterable audit log (CSV of every filtered change with ?format=csv)."""
    form = AuditLogFilter(request.GET)
    filters = form.filters()
    rows = audit.audit_log(**filters)
    if wants_csv(request):
        return _csv("audit-log.csv", rows)
    page = paginate(request, rows)
    scope_batch = scope_student = None
    if "batch" in filters:
        scope_batch = Batch.objects.filter(pk=filters["batch"]).first()
    if "student" in filters:
        scope_student = User.objects.filter(pk=filters["student"]).first()
    return render(
        request,
        "reports/audit_log.html",
        {
            "form": form,
            "page": page,
            "entries": audit.audit_entries(page.object_list),
            "scope_batch": scope_batch,
            "scope_student": scope_student,
            "scoped_to_id": filters.get("batch") or filters.get("student"),
        },
    )


@admin_required
@require_GET
def student(request, pk: int):
    """One student's history: enrollments, individual assignments, waitlist entries."""
    learner = get_object_or_404(User.objects.students(), pk=pk)
    rows = audit.student_history(learner)
    if wants_csv(request):
        return _csv(f"audit-student-{learner.pk}.csv", rows)
    page = paginate(request, rows)
    return render(
        request,
        "reports/audit_student.html",
        {"student": learner, "page": page, "entries": audit.audit_entries(page.object_list)},
    )


urlpatterns = [
    path("", log, name="log"),
    path("students/<int:pk>/", student, name="student"),
]
