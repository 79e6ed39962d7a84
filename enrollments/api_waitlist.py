"""The JSON API of a batch's waitlist: read it, put it in a new order, take a student off.

Thin views over ``enrollments.services`` (``waitlist_reorder``, ``waitlist_remove``) and
``enrollments.selectors.waitlist_waiting``, the same the console's waitlist page uses.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from accounts.access import is_admin
from accounts.models import User
from accounts.permissions import ByMethod, IsAdmin, IsAdminOrInstructor, IsSignedIn, require
from accounts.serializers import UserBriefSerializer
from allocation.api import MSG_NOT_YOURS, teaches
from allocation.models import Batch
from core.api import responses
from core.api.fields import MAX_ID, Text, TimestampField
from core.api.pagination import PageParams, paginate
from core.api.schema import envelope, list_envelope

from . import selectors, services
from .models import EnrollmentSource, EnrollmentType, WaitlistEntry, WaitlistStatus


class WaitlistEntrySerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="pk", read_only=True)
    batch = serializers.IntegerField(source="batch_id", read_only=True)
    student = UserBriefSerializer(read_only=True)
    position = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=WaitlistStatus.choices, read_only=True)
    enrollment_type = serializers.ChoiceField(choices=EnrollmentType.choices, read_only=True)
    createdAt = TimestampField(source="created_at")
    enrolled_elsewhere = serializers.BooleanField(
        read_only=True,
        default=False,
        help_text=gettext_lazy(
            "Already enrolled in the course elsewhere: skipped when a seat frees"
        ),
    )


class WaitlistOrderSerializer(serializers.Serializer):
    """The body of ``PUT /api/batches/:batchId/waitlist``: every waiting entry's id, first
    served first."""

    order = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=10_000,
    )


class WaitlistRemoveSerializer(serializers.Serializer):
    reason = Text(max_length=100, required=False, allow_blank=True, default="")


class WaitlistJoinSerializer(serializers.Serializer):
    student = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Admin only: the student to put on the waitlist (default: the caller)",
    )


def _batch(batch_id: int) -> Batch:
    return get_object_or_404(Batch.objects.select_related("course"), pk=batch_id)


class BatchWaitlistView(ByMethod, APIView):
    """``GET /api/batches/:batchId/waitlist`` (Admin, the batch's trainers), ``PUT``
    (Admin): the waiting students in serving order; PUT sets that order. ``POST`` (a student
    for themself, within the course's policy; an Admin naming ``student``): join it."""

    permission_classes = [IsAdminOrInstructor]
    permissions_by_method = {"PUT": [IsAdmin], "POST": [IsSignedIn]}

    @extend_schema(
        tags=["waitlist"],
        request=WaitlistJoinSerializer,
        responses={201: envelope(WaitlistEntrySerializer, "WaitlistEntry")},
    )
    def post(self, request, batch_id: int):
        require(
            is_admin(request.user) or request.user.is_learner,
            gettext("Only students and admins can join a waitlist"),
        )
        body = WaitlistJoinSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        batch = _batch(batch_id)
        named = body.validated_data.get("student")
        if is_admin(request.user) and named is not None:
            entry = services.waitlist_join(
                student=get_object_or_404(User, pk=named),
                batch=batch,
                enrollment_source=EnrollmentSource.ADMIN,
            )
        else:
            require(
                named is None or named == request.user.pk,
                gettext("Students can only put themselves on a waitlist"),
            )
            entry = services.self_waitlist_join(
                student=request.user, batch=batch, source=EnrollmentSource.API
            )
        return responses.created(
            WaitlistEntrySerializer(entry).data, gettext("Joined the waitlist")
        )

    @extend_schema(
        tags=["waitlist"],
        parameters=[PageParams],
        responses={200: list_envelope(WaitlistEntrySerializer, "WaitlistEntry")},
    )
    def get(self, request, batch_id: int):
        batch = _batch(batch_id)
        require(is_admin(request.user) or teaches(request.user, batch), gettext(MSG_NOT_YOURS))
        page = paginate(request, selectors.waitlist_waiting(batch))
        return responses.listing(
            WaitlistEntrySerializer(page.items, many=True).data,
            gettext("Waitlist fetched successfully"),
            page,
        )

    @extend_schema(
        tags=["waitlist"],
        request=WaitlistOrderSerializer,
        responses={200: list_envelope(WaitlistEntrySerializer, "WaitlistEntry")},
    )
    def put(self, request, batch_id: int):
        batch = _batch(batch_id)
        body = WaitlistOrderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.waitlist_reorder(batch=batch, order=body.validated_data["order"])
        page = paginate(request, selectors.waitlist_waiting(batch))
        return responses.listing(
            WaitlistEntrySerializer(page.items, many=True).data,
            gettext("Waitlist reordered successfully"),
            page,
        )


class WaitlistEntryView(APIView):
    """``DELETE /api/batches/:batchId/waitlist/:entryId`` (Admin): take a student off the
    waitlist (kept as history, with the reason)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["waitlist"],
        request=WaitlistRemoveSerializer,
        responses={200: envelope(WaitlistEntrySerializer, "WaitlistEntry")},
    )
    def delete(self, request, batch_id: int, entry_id: int):
        entry = get_object_or_404(
            WaitlistEntry.objects.select_related("student"), pk=entry_id, batch_id=batch_id
        )
        body = WaitlistRemoveSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        removed = services.waitlist_remove(
            entry=entry,
            by=request.user,
            reason=body.validated_data["reason"].strip() or gettext("Removed by an admin"),
        )
        removed.refresh_from_db()
        return responses.ok(
            WaitlistEntrySerializer(removed).data,
            gettext("Student removed from waitlist successfully"),
        )
