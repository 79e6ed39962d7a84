"""The JSON API of trainers' leave: list and record a trainer's leave, withdraw one.

Thin views over ``trainers.services.leave_record``/``leave_delete`` (the pages' services) and
``selectors.leave_list``. The sessions a leave hits and their cover are endpoints of their own
(per-session cover), not here.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from accounts.access import is_admin
from accounts.models import User
from accounts.permissions import ByMethod, IsAdmin, IsAdminOrInstructor, require
from accounts.serializers import UserBriefSerializer
from core.api import responses
from core.api.fields import ApiDateField, Text, TimestampField
from core.api.pagination import PageParams, paginate
from core.api.schema import envelope, list_envelope
from trainers import services as trainer_services
from trainers.models import TrainerLeave

from . import selectors


class LeaveSerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="pk", read_only=True)
    trainer = UserBriefSerializer(read_only=True)
    start_date = ApiDateField(read_only=True)
    end_date = ApiDateField(read_only=True)
    reason = serializers.CharField(read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)
    createdAt = TimestampField(source="created_at")


class LeaveInputSerializer(serializers.Serializer):
    """The body of ``POST /api/trainers/:trainerId/leave``: whole days, both ends included."""

    start_date = ApiDateField()
    end_date = ApiDateField()
    reason = Text(max_length=300, required=False, allow_blank=True, default="")


class TrainerLeaveView(ByMethod, APIView):
    """``GET /api/trainers/:trainerId/leave`` (Admin, that trainer), ``POST`` (Admin)."""

    permission_classes = [IsAdminOrInstructor]
    permissions_by_method = {"POST": [IsAdmin]}

    @extend_schema(
        tags=["leave"],
        parameters=[PageParams],
        responses={200: list_envelope(LeaveSerializer, "Leave")},
    )
    def get(self, request, trainer_id: int):
        require(
            is_admin(request.user) or request.user.pk == trainer_id,
            "Instructors can only see their own leave",
        )
        trainer = get_object_or_404(User, pk=trainer_id)
        page = paginate(request, selectors.leave_list().filter(trainer=trainer))
        return responses.listing(
            LeaveSerializer(page.items, many=True).data, "Leave fetched successfully", page
        )

    @extend_schema(
        tags=["leave"],
        request=LeaveInputSerializer,
        responses={201: envelope(LeaveSerializer, "Leave")},
    )
    def post(self, request, trainer_id: int):
        trainer = get_object_or_404(User, pk=trainer_id)
        body = LeaveInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        leave = trainer_services.leave_record(
            trainer=trainer, created_by=request.user, **body.validated_data
        )
        return responses.created(LeaveSerializer(leave).data, "Leave recorded successfully")


class LeaveDetailView(APIView):
    """``DELETE /api/leave/:leaveId`` (Admin): withdraw a recorded leave."""

    permission_classes = [IsAdmin]

    @extend_schema(tags=["leave"], responses={200: envelope(LeaveSerializer, "Leave")})
    def delete(self, request, leave_id: int):
        leave = get_object_or_404(TrainerLeave.objects.select_related("trainer"), pk=leave_id)
        data = LeaveSerializer(leave).data
        trainer_services.leave_delete(leave=leave)
        return responses.ok(data, "Leave deleted successfully")
