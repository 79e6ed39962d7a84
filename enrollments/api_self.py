"""The JSON API of a student's self-service: a course's open batches for the caller, their own
enrollments, joining and leaving a waitlist, asking for a place or a transfer, and the
admin's decision on such a request.

Thin views over ``enrollments.services.self_service`` and ``enrollments.selectors.catalogue``:
the course's policy and window, seats, duplicates and clashes are the services' rules.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_noop
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from accounts.access import is_admin
from accounts.models import User
from accounts.permissions import IsAdmin, IsSignedIn, require
from accounts.serializers import UserBriefSerializer
from allocation.models import Batch, Course, EnrollmentPolicy
from allocation.serializers import ScheduleSlotSerializer
from core.api import responses
from core.api.fields import IdOf, Text, TimestampField
from core.api.pagination import PageParams, paginate
from core.api.schema import envelope, list_envelope

from . import services
from .api_waitlist import WaitlistEntrySerializer
from .models import Enrollment, EnrollmentRequest, RequestKind, RequestStatus
from .selectors.catalogue import course_offer, pending_requests
from .serializers import EnrollmentSerializer

MSG_MAY_NOT_ENROLL = gettext_noop("Only students and admins can see a course's open batches")


class ClashSerializer(serializers.Serializer):
    batch = serializers.IntegerField(source="batch_id")
    batch_code = serializers.CharField()
    batch_name = serializers.CharField()
    when = serializers.CharField(source="other_when", help_text="In the caller's time zone")
    overlaps = serializers.CharField(source="when", help_text="This batch's session it overlaps")


class OpenBatchSerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="batch.pk")
    batch_name = serializers.CharField(source="batch.batch_name")
    batch_code = serializers.CharField(source="batch.batch_code")
    course = serializers.IntegerField(source="batch.course_id")
    status = serializers.CharField(source="batch.status")
    start_date = serializers.DateField(source="batch.start_date")
    end_date = serializers.DateField(source="batch.end_date")
    capacity = serializers.IntegerField(source="batch.capacity")
    available_spots = serializers.IntegerField(source="batch.available_spots")
    time_zone = serializers.CharField(
        source="batch.time_zone", help_text="IANA name the weekly slots are read in"
    )
    schedule = ScheduleSlotSerializer(many=True, source="batch.schedule.all")
    assigned_instructor = UserBriefSerializer(source="batch.assigned_instructor")
    clashes_with = ClashSerializer(
        source="clash",
        allow_null=True,
        help_text="The caller's other class this batch overlaps (null: none)",
    )
    waitlist_position = serializers.IntegerField(
        source="waiting_position", allow_null=True, help_text="The caller's place, if waiting"
    )
    enrolled = serializers.BooleanField(help_text="The caller is enrolled in this batch")


class EnrollmentRequestSerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="pk", read_only=True)
    kind = serializers.ChoiceField(choices=RequestKind.choices, read_only=True)
    student = serializers.IntegerField(source="student_id", read_only=True)
    course = serializers.IntegerField(source="course_id", read_only=True)
    batch = serializers.IntegerField(source="batch_id", read_only=True)
    enrollment = serializers.IntegerField(source="enrollment_id", read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=RequestStatus.choices, read_only=True)
    note = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True)
    decided_by = serializers.IntegerField(source="decided_by_id", read_only=True, allow_null=True)
    decidedAt = TimestampField(source="decided_at", allow_null=True)
    createdAt = TimestampField(source="created_at")


class RequestPlaceSerializer(serializers.Serializer):
    batchId = IdOf("batch", queryset=Batch.objects.select_related("course"))
    note = Text(max_length=500, required=False, allow_blank=True, default="")


class TransferRequestSerializer(serializers.Serializer):
    batchId = IdOf("batch", queryset=Batch.objects.select_related("course"))
    note = Text(max_length=500, required=False, allow_blank=True, default="")


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("approve", "approve"), ("decline", "decline")])
    reason = Text(max_length=500, required=False, allow_blank=True, default="")
    allow_clash = serializers.BooleanField(required=False, default=False)


def _may_enroll(user) -> bool:
    return is_admin(user) or user.is_learner


class OpenBatchesView(APIView):
    """``GET /api/courses/:courseId/open-batches`` (students and admins): the course's Active
    and Upcoming batches with their free seats, weekly schedule and, for the caller, the
    class of theirs each one clashes with."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["self-service"],
        # Every open batch of the course (a handful): one list, not paginated.
        responses={200: envelope(OpenBatchSerializer, "OpenBatchList", many=True)},
    )
    def get(self, request, course_id: int):
        require(_may_enroll(request.user), gettext(MSG_MAY_NOT_ENROLL))
        course = get_object_or_404(Course, pk=course_id)
        if not is_admin(request.user):
            require(
                course.enrollment_policy != EnrollmentPolicy.ADMIN_ONLY,
                gettext("Only an admin can enroll students in this course"),
            )
        offer = course_offer(request.user, course)
        return responses.ok(
            OpenBatchSerializer(offer.batches, many=True).data,
            gettext("Open batches fetched successfully"),
        )


class MyEnrollmentsView(APIView):
    """``GET /api/users/me/enrollments``: the caller's own enrollments, newest first."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["self-service"],
        parameters=[PageParams],
        responses={200: list_envelope(EnrollmentSerializer, "Enrollment")},
    )
    def get(self, request):
        mine = Enrollment.objects.filter(student=request.user).order_by("-enrollment_date", "-pk")
        page = paginate(request, mine)
        return responses.listing(
            EnrollmentSerializer(page.items, many=True).data,
            "Enrollments fetched successfully",
            page,
        )


class WaitlistStudentView(APIView):
    """``DELETE /api/batches/:batchId/waitlist/students/:studentId`` (the student themself, or
    an Admin): take the student off the batch's waitlist (kept as history)."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["waitlist"],
        request=None,
        responses={200: envelope(WaitlistEntrySerializer, "WaitlistEntry")},
    )
    def delete(self, request, batch_id: int, student_id: int):
        require(
            is_admin(request.user) or request.user.pk == student_id,
            gettext("Students can only take themselves off a waitlist"),
        )
        student = get_object_or_404(User, pk=student_id)
        get_object_or_404(Batch, pk=batch_id)
        entry = services.self_waitlist_leave(student=student, batch=batch_id)
        entry.refresh_from_db()
        return responses.ok(WaitlistEntrySerializer(entry).data, gettext("Left the waitlist"))


class EnrollmentRequestsView(APIView):
    """``GET /api/enrollment-requests`` (Admin: the pending ones, oldest first; others: their
    own) and ``POST`` (a student asks for a place in a batch of an on-request course)."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["self-service"],
        parameters=[PageParams],
        responses={200: list_envelope(EnrollmentRequestSerializer, "EnrollmentRequest")},
    )
    def get(self, request):
        if is_admin(request.user):
            found = pending_requests()
        else:
            found = EnrollmentRequest.objects.filter(student=request.user).order_by(
                "-created_at", "-pk"
            )
        page = paginate(request, found)
        return responses.listing(
            EnrollmentRequestSerializer(page.items, many=True).data,
            "Requests fetched successfully",
            page,
        )

    @extend_schema(
        tags=["self-service"],
        request=RequestPlaceSerializer,
        responses={201: envelope(EnrollmentRequestSerializer, "EnrollmentRequest")},
    )
    def post(self, request):
        require(request.user.is_learner, gettext("Only students can ask for a place"))
        body = RequestPlaceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = services.enrollment_request_create(
            student=request.user,
            batch=body.validated_data["batchId"],
            note=body.validated_data["note"],
        )
        return responses.created(EnrollmentRequestSerializer(made).data, gettext("Request sent"))


class TransferRequestView(APIView):
    """``POST /api/enrollments/:enrollmentId/transfer-request`` (the enrolled student): ask to
    move to another open batch of the course; an admin decides."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["self-service"],
        request=TransferRequestSerializer,
        responses={201: envelope(EnrollmentRequestSerializer, "EnrollmentRequest")},
    )
    def post(self, request, enrollment_id: int):
        enrollment = get_object_or_404(Enrollment, pk=enrollment_id)
        require(
            enrollment.student_id == request.user.pk,
            gettext("Only the student can ask to transfer their enrollment"),
        )
        body = TransferRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = services.transfer_request_create(
            student=request.user,
            enrollment=enrollment,
            to_batch=body.validated_data["batchId"],
            note=body.validated_data["note"],
        )
        return responses.created(
            EnrollmentRequestSerializer(made).data, gettext("Transfer requested")
        )


class RequestDecisionView(APIView):
    """``POST /api/enrollment-requests/:requestId/decision`` (Admin): approve (runs the enroll
    or transfer service; ``allow_clash`` overrides a clash) or decline (with a ``reason``)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["self-service"],
        request=DecisionSerializer,
        responses={200: envelope(EnrollmentRequestSerializer, "EnrollmentRequest")},
    )
    def post(self, request, request_id: int):
        found = get_object_or_404(EnrollmentRequest, pk=request_id)
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        decided = services.enrollment_request_decide(
            request=found,
            approve=data["decision"] == "approve",
            by=request.user,
            reason=data["reason"],
            allow_clash=data["allow_clash"],
        )
        return responses.ok(EnrollmentRequestSerializer(decided).data, gettext("Request decided"))
