"""The JSON API of attendance: a session's roll (read and save), a student's attendance, the
attendance report and the at-risk list. Thin: check who calls, parse, call the selector or
``services.attendance_record`` the pages call, answer in the envelope; a refusal is a 400
with the service's message."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from accounts.access import is_admin, is_instructor
from accounts.models import User
from accounts.permissions import IsAdmin, IsSignedIn, require
from allocation.models import BatchTrainer, ClassSession
from core.api import responses
from core.api.pagination import PageParams, paginate
from core.api.schema import envelope, list_envelope
from core.errors import DomainError
from enrollments.models import Enrollment

from . import figures, selectors, services
from .models import AttendanceStatus


class MarkSerializer(serializers.Serializer):
    student = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    status = serializers.ChoiceField(choices=AttendanceStatus.values)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RollSaveSerializer(serializers.Serializer):
    marks = MarkSerializer(many=True, allow_empty=False, max_length=1000)


def _rate(rate: selectors.Rate | None) -> dict | None:
    return None if rate is None else rate.as_dict()


def _roll_data(session: ClassSession) -> dict:
    return {
        "session": session.pk,
        "batch": session.batch_id,
        "start": session.start_at,
        "window_end": services.window_end(session),
        "definitions": selectors.DEFINITIONS,
        "roll": [
            {
                "student": row.student.pk,
                "name": row.student.display_name,
                "on_roll": row.on_roll,
                "status": row.mark.status if row.mark else None,
                "note": row.mark.note if row.mark else "",
                "marked_at": row.mark.marked_at if row.mark else None,
            }
            for row in selectors.roll_view(session)
        ],
    }


# What the answers hold, for the OpenAPI schema (the fuzz test checks every answer against it).
class RateSchema(serializers.Serializer):
    present = serializers.IntegerField()
    late = serializers.IntegerField()
    absent = serializers.IntegerField()
    excused = serializers.IntegerField()
    attended = serializers.IntegerField()
    counted = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="attended ÷ counted; null: none")


class RollEntrySchema(serializers.Serializer):
    student = serializers.IntegerField()
    name = serializers.CharField()
    on_roll = serializers.BooleanField()
    status = serializers.ChoiceField(choices=AttendanceStatus.values, allow_null=True)
    note = serializers.CharField(allow_blank=True)
    marked_at = serializers.DateTimeField(allow_null=True)


class RollSchema(serializers.Serializer):
    session = serializers.IntegerField()
    batch = serializers.IntegerField()
    start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    definitions = serializers.CharField()
    roll = RollEntrySchema(many=True)
    created = serializers.IntegerField(required=False, help_text="PUT only")
    changed = serializers.IntegerField(required=False, help_text="PUT only")
    unchanged = serializers.IntegerField(required=False, help_text="PUT only")


class BatchRateSchema(RateSchema):
    batch = serializers.IntegerField()
    batch_code = serializers.CharField()


class StudentMarkSchema(serializers.Serializer):
    session = serializers.IntegerField()
    batch = serializers.IntegerField()
    start = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=AttendanceStatus.values)
    note = serializers.CharField(allow_blank=True)
    counted = serializers.BooleanField()


class StudentAttendanceSchema(serializers.Serializer):
    student = serializers.IntegerField()
    definitions = serializers.CharField()
    batches = BatchRateSchema(many=True)
    marks = StudentMarkSchema(many=True)


class TrainerRateSchema(RateSchema):
    trainer = serializers.IntegerField()
    name = serializers.CharField()


class WeekRateSchema(RateSchema):
    week = serializers.DateField()


class AttendanceReportSchema(serializers.Serializer):
    definitions = serializers.CharField()
    total = RateSchema()
    batches = BatchRateSchema(many=True)
    count = serializers.IntegerField()
    total_batches = serializers.IntegerField()
    page = serializers.IntegerField()
    limit = serializers.IntegerField()
    pages = serializers.IntegerField()
    trainers = TrainerRateSchema(many=True)
    trend = WeekRateSchema(many=True)


class AtRiskSchema(serializers.Serializer):
    student = serializers.IntegerField()
    name = serializers.CharField()
    batch = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    kind = serializers.CharField()
    since = serializers.CharField(allow_null=True, help_text="a date or a date-time")


ROLL = envelope(RollSchema, "Roll")


class SessionAttendanceView(APIView):
    """``GET /api/sessions/:sessionId/attendance`` and ``PUT`` (a list of
    ``{"student", "status", "note"}``, or ``{"marks": [...]}``): the session's teacher (the
    cover for a covered session) within the window, or an Admin."""

    permission_classes = [IsSignedIn]

    def _session(self, request, session_id: int) -> ClassSession:
        session = get_object_or_404(
            ClassSession.objects.select_related("batch__assigned_instructor"), pk=session_id
        )
        require(
            is_admin(request.user) or request.user.pk in services.session_teachers_now(session),
            gettext("Only the session's trainer or an admin can see or take its attendance"),
        )
        return session

    @extend_schema(tags=["attendance"], responses={200: ROLL})
    def get(self, request, session_id: int):
        session = self._session(request, session_id)
        return responses.ok(_roll_data(session), gettext("Attendance fetched successfully"))

    @extend_schema(tags=["attendance"], request=RollSaveSerializer, responses={200: ROLL})
    def put(self, request, session_id: int):
        session = self._session(request, session_id)
        data = request.data if isinstance(request.data, dict) else {"marks": request.data}
        body = RollSaveSerializer(data=data)
        body.is_valid(raise_exception=True)
        result = services.attendance_record(
            session=session,
            marks=[services.MarkInput(**m) for m in body.validated_data["marks"]],
            marked_by=request.user,
        )
        return responses.ok(
            {
                **_roll_data(result.session),
                "created": result.created,
                "changed": result.changed,
                "unchanged": result.unchanged,
            },
            gettext("Attendance saved successfully"),
        )


class StudentAttendanceView(APIView):
    """``GET /api/students/:studentId/attendance``: the student themself, the trainers of
    their batches, or an Admin."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["attendance"],
        responses={200: envelope(StudentAttendanceSchema, "StudentAttendance")},
    )
    def get(self, request, student_id: int):
        student = get_object_or_404(User, pk=student_id)
        user = request.user
        teaches = (
            is_instructor(user)
            and BatchTrainer.objects.filter(
                trainer=user,
                ended_at__isnull=True,
                batch__in=Enrollment.objects.filter(student=student).values("batch_id"),
            ).exists()
        )
        require(
            is_admin(user) or user.pk == student.pk or teaches,
            gettext("Only the student, their trainers and admins can see their attendance"),
        )
        data = figures.student_attendance(student)
        return responses.ok(
            {
                "student": student.pk,
                "definitions": selectors.DEFINITIONS,
                "batches": [
                    {"batch": b.pk, "batch_code": b.batch_code, **rate.as_dict()}
                    for b, rate in data["batches"]
                ],
                "marks": [
                    {
                        "session": m.session_id,
                        "batch": m.batch_id,
                        "start": m.session_start,
                        "status": m.status,
                        "note": m.note,
                        "counted": m.session.status != "cancelled",
                    }
                    for m in data["marks"]
                ],
            },
            gettext("Attendance fetched successfully"),
        )


class AttendanceReportView(APIView):
    """``GET /api/reports/attendance?course=&batch=&trainer=&page=&limit=`` (Admin): the
    batches a page at a time (``total_batches``, ``page``, ``limit``, ``pages``), the trainers
    of the page's batches, the total and the trend of the last ``TREND_WEEKS`` weeks."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["attendance"],
        parameters=[
            *(
                OpenApiParameter(name, int, required=False)
                for name in ("course", "batch", "trainer")
            ),
            PageParams,
        ],
        responses={200: envelope(AttendanceReportSchema, "AttendanceReport")},
    )
    def get(self, request):
        for name in ("course", "batch", "trainer"):
            value = request.query_params.get(name, "")
            if value and not (value.isdigit() and len(value) < 12):
                raise DomainError(gettext("%(name)s must be an id") % {"name": name}, field=name)
        filters = figures.ReportFilters.from_query(request.query_params)
        page = paginate(request, figures.report_batches(filters))
        data = figures.attendance_report(filters, page.items)
        return responses.ok(
            {
                "definitions": selectors.DEFINITIONS,
                "total": data["total"].as_dict(),
                "batches": [
                    {"batch": b.pk, "batch_code": b.batch_code, **r.as_dict()}
                    for b, r in data["batches"]
                ],
                "count": len(data["batches"]),
                "total_batches": page.total,
                "page": page.number,
                "limit": page.limit,
                "pages": page.pages,
                "trainers": [
                    {"trainer": t.pk, "name": t.display_name, **r.as_dict()}
                    for t, r in data["trainers"]
                ],
                "trend": [{"week": w, **r.as_dict()} for w, r in data["trend"]],
            },
            gettext("Attendance report fetched successfully"),
        )


class AtRiskView(APIView):
    """``GET /api/students/at-risk?page=&limit=``: every student at risk (Admin), a trainer's
    own; open episodes (newest first), then mentees without contact."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["attendance"],
        parameters=[PageParams],
        responses={200: list_envelope(AtRiskSchema, "AtRisk")},
    )
    def get(self, request):
        user = request.user
        require(
            is_admin(user) or is_instructor(user),
            gettext("Only admins and trainers can see this list"),
        )
        risk = figures.at_risk_list(trainer=None if is_admin(user) else user)
        page = paginate(request, risk)
        return responses.listing(
            [
                {
                    "student": r.student.pk,
                    "name": r.student.display_name,
                    "batch": r.batch.pk if r.batch else None,
                    "reason": r.reason,
                    "kind": r.kind,
                    "since": r.since,
                }
                for r in page.items
            ],
            "At-risk students fetched successfully",
            page,
        )
