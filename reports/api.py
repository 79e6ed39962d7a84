"""The JSON API of the reports and the audit log (Admin).

``GET /api/reports/{overview,courses,batches,instructors,students,mentoring}`` answer the
console's report pages, with their filters: JSON rows (keys from the CSV header, e.g.
``fill_rate_percent``) in the list envelope, or with ``?format=csv`` the console's CSV file.
Both come from ``reports.tables``, so the API and the pages share each column's definition.
``GET /api/audit`` is the audit log of ``reports.audit.audit_log``.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsAdmin
from accounts.serializers import UserBriefSerializer
from allocation.models import BatchStatus, Course
from core.api import responses
from core.api.fields import MAX_ID, IdOf, TimestampField
from core.api.pagination import PageParams, paginate
from core.api.schema import list_envelope
from core.replica import replica_reads
from core.web import csv_response

from . import audit, tables

# --- reports ---------------------------------------------------------------------------------


class ReportRowSerializer(serializers.Serializer):
    """One row of a report: the CSV's columns as keys (numbers, strings; undefined rates are
    null)."""

    def to_representation(self, instance):
        return instance


class FormatParams(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=["json", "csv"],
        required=False,
        default="json",
        help_text=gettext_lazy("csv: a CSV file"),
    )


class BatchReportParams(FormatParams):
    course = IdOf("course", queryset=Course.objects.all(), required=False)
    status = serializers.ChoiceField(choices=BatchStatus.choices, required=False)


class MentoringReportParams(FormatParams):
    instructor = IdOf("user", queryset=User.objects.all(), required=False)


def _csv_cell(value):
    return "" if value is None else value


class ReportView(APIView):
    """One report: ``name`` names it (and its CSV file); ``table`` builds it from the
    validated filters."""

    permission_classes = [IsAdmin]
    name = ""
    params = FormatParams
    table = staticmethod(lambda **filters: tables.overview_table())

    def get(self, request):
        params = self.params(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = dict(params.validated_data)
        wanted = filters.pop("format")
        table = self.table(**filters)
        if wanted == "csv":
            return csv_response(
                f"report-{self.name}.csv",
                table.header,
                ([_csv_cell(v) for v in row] for row in table.rows),
            )
        keys = table.keys
        rows = [dict(zip(keys, row, strict=True)) for row in table.rows]
        page = paginate(request, rows)
        return responses.listing(page.items, gettext("Report fetched successfully"), page)


def _report(name: str, table, params=FormatParams, doc: str = ""):
    """A ``ReportView`` subclass for one report, documented in the schema."""
    schema = extend_schema(
        tags=["reports"],
        operation_id=f"reports_{name}",
        description=doc,
        parameters=[params, PageParams],
        responses={
            (200, "application/json"): list_envelope(ReportRowSerializer, f"Report{name.title()}"),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="With format=csv"),
        },
    )
    view = type(
        f"{name.title()}ReportView",
        (ReportView,),
        {"name": name, "params": params, "table": staticmethod(table), "__doc__": doc},
    )

    # A function of its own for each report: extend_schema annotates the function it is given,
    # and the inherited one is shared by every report.
    # Its reads may come from the read replica (core/replica.py).
    def get(self, request):
        return replica_reads(lambda request: ReportView.get(self, request))(request)

    view.get = schema(get)
    return view


REPORTS = {
    "overview": _report(
        "overview",
        lambda **f: tables.overview_table(),
        doc="The headline figures of every course together (figure, value).",
    ),
    "courses": _report(
        "courses",
        lambda **f: tables.courses_table(),
        doc="Per course: batches, seats and enrollment outcomes.",
    ),
    "batches": _report(
        "batches",
        lambda **f: tables.batches_table(**f),
        BatchReportParams,
        doc="Per batch, filtered by course and status.",
    ),
    "instructors": _report(
        "instructors",
        lambda **f: tables.instructors_table(),
        doc="Per active instructor: batches, students, weekly hours, mentoring.",
    ),
    "students": _report(
        "students",
        lambda **f: tables.students_table(),
        doc="How students are spread by individual instructor and by enrollment.",
    ),
    "mentoring": _report(
        "mentoring",
        lambda **f: tables.mentoring_table(**f),
        MentoringReportParams,
        doc="Active individual assignments with their session figures, by instructor.",
    ),
}


# --- audit log -------------------------------------------------------------------------------


class AuditParams(serializers.Serializer):
    object_type = serializers.ChoiceField(
        choices=[key for key, _ in audit.MODEL_CHOICES], required=False
    )
    object_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    user = IdOf(
        "user",
        queryset=User.objects.all(),
        required=False,
        help_text=gettext_lazy("Who changed it"),
    )
    # "from" is a keyword in Python: the fields are declared below by name.

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, help_text=gettext("First day, inclusive")
        )
        fields["to"] = serializers.DateField(
            required=False, help_text=gettext("Last day, inclusive")
        )
        return fields

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and end < start:
            raise serializers.ValidationError({"to": [gettext("Must be on or after from.")]})
        return attrs

    def filters(self) -> dict:
        """The filters as keyword arguments of ``audit.audit_log``."""
        data = self.validated_data
        wanted = {
            "model": data.get("object_type"),
            "object_id": data.get("object_id"),
            "user": data.get("user"),
            "date_from": data.get("from"),
            "date_to": data.get("to"),
        }
        return {name: value for name, value in wanted.items() if value is not None}


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField(allow_null=True)


class AuditEntrySerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="history_id")
    when = TimestampField()
    user = UserBriefSerializer(allow_null=True)
    action = serializers.ChoiceField(choices=sorted(audit.ACTIONS.values()))
    object_type = serializers.CharField(source="model_key")
    object_label = serializers.CharField(source="model_label")
    object_id = serializers.IntegerField()
    summary = serializers.CharField()
    changes = ChangeSerializer(many=True)
    reason = serializers.CharField()


class AuditLogView(APIView):
    """``GET /api/audit?object_type=&object_id=&user=&from=&to=`` (Admin): every audited
    change, newest first."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["audit"],
        parameters=[AuditParams, PageParams],
        responses={200: list_envelope(AuditEntrySerializer, "AuditEntry")},
    )
    def get(self, request):
        params = AuditParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = paginate(request, audit.audit_log(**params.filters()))
        entries = audit.audit_entries(page.items)
        return responses.listing(
            AuditEntrySerializer(entries, many=True).data,
            gettext("Audit log fetched successfully"),
            page,
        )


urlpatterns = [
    *(
        path(f"reports/{name}", view.as_view(), name=f"report-{name}")
        for name, view in REPORTS.items()
    ),
    path("audit", AuditLogView.as_view(), name="audit"),
]
