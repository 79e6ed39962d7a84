"""The JSON API of enrollments: enroll, read, change (status or batch) and cancel.

Thin views over ``enrollments.services``: the seat counter, capacity ("Batch has reached
maximum capacity"), one active enrollment per course and the batch's course are the services'
rules, enforced under their row locks; a refusal reaches the client as 400 with its message.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from accounts.access import is_admin
from accounts.models import User
from accounts.permissions import ByMethod, IsAdmin, IsSignedIn, require
from allocation.api import teaches
from core.api import responses
from core.api.pagination import PageParams, paginate
from core.api.schema import envelope, list_envelope
from core.errors import DomainError

from . import services
from .models import Enrollment
from .serializers import (
    EnrollInputSerializer,
    EnrollmentFilterSerializer,
    EnrollmentSerializer,
    EnrollmentUpdateSerializer,
)
from .services.self_service import refuse_admin_only_fields, refuse_by_policy


def _enrollment(pk: int) -> Enrollment:
    return get_object_or_404(Enrollment.objects.select_related("batch"), pk=pk)


def _data(pk: int) -> dict:
    """The enrollment as stored now (services update counters and fields in the database)."""
    return EnrollmentSerializer(Enrollment.objects.get(pk=pk)).data


def _course_of(body: EnrollInputSerializer):
    """The course an enroll body is about: its batch's, else the one it names."""
    references = body.read_references()
    if "batchId" in references:
        return references["batchId"].course
    return references["courseId"]


class EnrollView(APIView):
    """``POST /api/enrollments/students/:studentId/enroll`` (Admin, the student themselves).

    A student enrolling themselves may not set payment details, a privileged type or
    source, or ``allow_clash``: refused with 400 naming the fields. A batch enrollment
    without ``batchId`` is placed automatically in an open batch of the
    course (``enrollments.services.enrollment_place``)."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["enrollments"],
        request=EnrollInputSerializer,
        responses={201: envelope(EnrollmentSerializer, "Enrollment")},
    )
    def post(self, request, student_id: int):
        require(
            is_admin(request.user) or request.user.pk == student_id,
            gettext("Students can only enroll themselves"),
        )
        student = get_object_or_404(User, pk=student_id)
        body = EnrollInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not is_admin(request.user):
            # Trusted payments: a student's own enrollment carries no payment, privileged
            # type or source, nor a clash override (enrollments.services.self_service).
            kwargs = body.service_kwargs()
            refuse_admin_only_fields(
                payment=kwargs["payment"],
                enrollment_type=kwargs["enrollment_type"],
                enrollment_source=kwargs["enrollment_source"],
                allow_clash=kwargs["allow_clash"],
            )
            # The course's policy and window bind a student's own enrollment.
            refuse_by_policy(_course_of(body), wanted="enroll")
        if body.places_automatically():
            enrollment = services.enrollment_place(student=student, **body.placement_kwargs())
        else:
            try:
                enrollment = services.enrollment_create(student=student, **body.service_kwargs())
            except DomainError as refusal:
                if refusal.code == services.NOT_FOUND:
                    body.read_references()  # "batchId: No batch with id N.", as always
                raise
        message = (
            gettext("Student enrolled in batch successfully")
            if enrollment.batch_id
            else gettext("Student enrolled in course successfully")
        )
        # The enrollment was just inserted as it is in memory: no need to read it back.
        return responses.created(EnrollmentSerializer(enrollment).data, message)


class EnrollmentsView(APIView):
    """``GET /api/enrollments`` (Admin): every enrollment, filtered. Not in the original API."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["enrollments"],
        operation_id="enrollments_list",
        parameters=[EnrollmentFilterSerializer, PageParams],
        responses={200: list_envelope(EnrollmentSerializer, "Enrollment")},
    )
    def get(self, request):
        filters = EnrollmentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        enrollments = Enrollment.objects.order_by("-enrollment_date", "-pk")
        for name in ("course", "batch", "student"):
            if name in wanted:
                enrollments = enrollments.filter(**{f"{name}_id": wanted[name]})
        if "status" in wanted:
            enrollments = enrollments.filter(status=wanted["status"])
        page = paginate(request, enrollments)
        return responses.listing(
            EnrollmentSerializer(page.items, many=True).data,
            gettext("Enrollments fetched successfully"),
            page,
        )


class EnrollmentDetailView(ByMethod, APIView):
    """``GET /api/enrollments/:id`` (Admin, the batch's trainers, the student), ``PUT``
    (Admin: status, batch, payment details, access expiry, type) and ``DELETE`` (Admin, the
    student within their cancel window: cancels and frees the seat)."""

    permission_classes = [IsSignedIn]
    permissions_by_method = {"PUT": [IsAdmin]}

    @extend_schema(
        tags=["enrollments"], responses={200: envelope(EnrollmentSerializer, "Enrollment")}
    )
    def get(self, request, enrollment_id: int):
        enrollment = _enrollment(enrollment_id)
        user = request.user
        require(
            is_admin(user)
            or enrollment.student_id == user.pk
            or (enrollment.batch is not None and teaches(user, enrollment.batch)),
            gettext("Only admins, the student and the batch's trainers can see this enrollment"),
        )
        return responses.ok(
            EnrollmentSerializer(enrollment).data, gettext("Enrollment fetched successfully")
        )

    @extend_schema(
        tags=["enrollments"],
        request=EnrollmentUpdateSerializer,
        responses={200: envelope(EnrollmentSerializer, "Enrollment")},
    )
    def put(self, request, enrollment_id: int):
        enrollment = _enrollment(enrollment_id)
        body = EnrollmentUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.enrollment_update(enrollment=enrollment, **body.service_kwargs())
        return responses.ok(_data(enrollment_id), gettext("Enrollment updated successfully"))

    @extend_schema(
        tags=["enrollments"], responses={200: envelope(EnrollmentSerializer, "Enrollment")}
    )
    def delete(self, request, enrollment_id: int):
        enrollment = _enrollment(enrollment_id)
        require(
            is_admin(request.user) or enrollment.student_id == request.user.pk,
            gettext("Only admins and the student can cancel this enrollment"),
        )
        if is_admin(request.user):
            services.enrollment_cancel(enrollment=enrollment)
        else:
            # The student's own cancel: before the batch starts or within
            # SELF_CANCEL_DAYS_AFTER_START days of it, as on the website.
            services.self_cancel(student=request.user, enrollment=enrollment)
        return responses.ok(_data(enrollment_id), gettext("Enrollment cancelled successfully"))
