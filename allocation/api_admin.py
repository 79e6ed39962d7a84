"""Admin endpoints of the JSON API added after the original's: change a user's name and
roles, end an assistant's or backup's role on a batch, and a course's batch template.

Thin views over ``allocation.services`` (``user_update``, ``batch_staff_remove``,
``batch_template_save``), the same services the console and the admin call.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.views import APIView

from accounts import api as accounts_api
from accounts.models import Role, User
from accounts.permissions import ByMethod, IsAdmin
from accounts.serializers import UserSerializer
from core.api import responses
from core.api.fields import Text, TimestampField
from core.api.schema import envelope

from . import services
from .api import _staffing_changed
from .models import Batch, BatchTemplate, Course
from .serializers import BatchTrainersSerializer, ScheduleSlotSerializer, slots_from

# --- users -----------------------------------------------------------------------------------


class UserUpdateSerializer(serializers.Serializer):
    """The body of ``PUT /api/users/:userId``: a new ``full_name`` and/or every ``role`` the
    user keeps."""

    full_name = Text(max_length=150, required=False)
    role = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        allow_empty=False,
        max_length=4,
        required=False,
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(gettext("Give a full_name, a role list or both."))
        return attrs


class UserDetailView(ByMethod, accounts_api.UserDetailView):
    """``GET /api/users/:userId`` (Admin, Self) and ``PUT`` (Admin): name and role flags."""

    permissions_by_method = {"PUT": [IsAdmin]}

    @extend_schema(
        tags=["users"],
        request=UserUpdateSerializer,
        responses={200: envelope(UserSerializer, "User")},
    )
    def put(self, request, user_id: int):
        user = get_object_or_404(User, pk=user_id)
        body = UserUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = services.user_update(
            user=user, by=request.user, full_name=data.get("full_name"), roles=data.get("role")
        )
        return responses.ok(UserSerializer(user).data, gettext("User updated successfully"))


# --- batch staffing --------------------------------------------------------------------------


class BatchTrainerDetailView(APIView):
    """``DELETE /api/batches/:batchId/trainers/:trainerId`` (Admin): end an assistant's or a
    backup's role on the batch (the primary is replaced, not removed)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["multi-trainer"],
        responses={200: envelope(BatchTrainersSerializer, "BatchTrainers")},
    )
    def delete(self, request, batch_id: int, trainer_id: int):
        batch = get_object_or_404(Batch, pk=batch_id)
        trainer = get_object_or_404(User, pk=trainer_id)
        services.batch_staff_remove(batch=batch, trainer=trainer, removed_by=request.user)
        return _staffing_changed(batch_id, gettext("Trainer removed from batch successfully"))


# --- batch template --------------------------------------------------------------------------


class BatchTemplateSerializer(serializers.Serializer):
    course = serializers.IntegerField(source="course_id", read_only=True)
    capacity = serializers.IntegerField(read_only=True)
    schedule = serializers.SerializerMethodField()
    duration_weeks = serializers.IntegerField(read_only=True)
    start_after_days = serializers.IntegerField(read_only=True)
    assistants = serializers.IntegerField(read_only=True)
    auto_create = serializers.BooleanField(read_only=True)
    waitlist_threshold = serializers.IntegerField(read_only=True)
    updatedAt = TimestampField(source="updated_at", allow_null=True)

    @extend_schema_field(ScheduleSlotSerializer(many=True))
    def get_schedule(self, template: BatchTemplate) -> list[dict]:
        return ScheduleSlotSerializer(services.template_slots(template), many=True).data


class BatchTemplateInputSerializer(serializers.Serializer):
    """Any subset of the template's fields; ``schedule`` replaces the weekly slots."""

    capacity = serializers.IntegerField(min_value=-32768, max_value=1_000_000, required=False)
    schedule = ScheduleSlotSerializer(many=True, required=False, max_length=50)
    duration_weeks = serializers.IntegerField(min_value=0, max_value=520, required=False)
    start_after_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    assistants = serializers.IntegerField(min_value=0, max_value=50, required=False)
    auto_create = serializers.BooleanField(required=False)
    waitlist_threshold = serializers.IntegerField(min_value=0, max_value=10_000, required=False)

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        if "schedule" in data:
            data["schedule"] = slots_from(data["schedule"])
        return data


class CourseBatchTemplateView(ByMethod, APIView):
    """``GET /api/courses/:courseId/batch-template`` and ``PUT`` (Admin): how automatic batch
    creation makes the course's batches, and whether it is on."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["courses"], responses={200: envelope(BatchTemplateSerializer, "BatchTemplate")}
    )
    def get(self, request, course_id: int):
        course = get_object_or_404(Course, pk=course_id)
        template = services.batch_template_of(course)
        return responses.ok(
            BatchTemplateSerializer(template).data, gettext("Batch template fetched successfully")
        )

    @extend_schema(
        tags=["courses"],
        request=BatchTemplateInputSerializer,
        responses={200: envelope(BatchTemplateSerializer, "BatchTemplate")},
    )
    def put(self, request, course_id: int):
        course = get_object_or_404(Course, pk=course_id)
        body = BatchTemplateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        template = services.batch_template_save(course=course, **body.service_kwargs())
        return responses.ok(
            BatchTemplateSerializer(template).data, gettext("Batch template saved successfully")
        )
