"""The JSON API of trainers' leave: list and record a trainer's leave, withdraw one.

Thin views over ``trainers.services.leave_record``/``leave_delete`` (the pages' services) and
``selectors.leave_list``; the cover of the sessions a leave hits over the leave page's own
``selectors.leave_cover_plan`` (the ranked candidates) and ``services.session_cover_assign``.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.views import APIView

from accounts.access import is_admin
from accounts.models import User
from accounts.permissions import ByMethod, IsAdmin, IsAdminOrInstructor, require
from accounts.serializers import UserBriefSerializer
from core.api import responses
from core.api.fields import ApiDateField, IdOf, Text, TimestampField
from core.api.pagination import PageParams, paginate
from core.api.schema import envelope, list_envelope
from core.errors import DomainError
from core.ids import MAX_ID
from trainers import services as trainer_services
from trainers.models import TrainerLeave

from . import selectors, services
from .models import Batch, ClassSession, SubstituteCover
from .serializers_calendar import SessionSerializer


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
            gettext("Instructors can only see their own leave"),
        )
        trainer = get_object_or_404(User, pk=trainer_id)
        page = paginate(request, selectors.leave_list().filter(trainer=trainer))
        return responses.listing(
            LeaveSerializer(page.items, many=True).data, gettext("Leave fetched successfully"), page
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
        return responses.created(
            LeaveSerializer(leave).data, gettext("Leave recorded successfully")
        )


class LeaveDetailView(APIView):
    """``DELETE /api/leave/:leaveId`` (Admin): withdraw a recorded leave."""

    permission_classes = [IsAdmin]

    @extend_schema(tags=["leave"], responses={200: envelope(LeaveSerializer, "Leave")})
    def delete(self, request, leave_id: int):
        leave = get_object_or_404(TrainerLeave.objects.select_related("trainer"), pk=leave_id)
        data = LeaveSerializer(leave).data
        trainer_services.leave_delete(leave=leave)
        return responses.ok(data, gettext("Leave deleted successfully"))


# --- cover of the sessions a leave hits ----------------------------------------------------


class CandidateSerializer(serializers.Serializer):
    """A substitute candidate as the leave page ranks it (``selectors.SubstituteCandidate``)."""

    trainer = UserBriefSerializer(read_only=True)
    rank = serializers.IntegerField(
        read_only=True,
        help_text=gettext_lazy(
            "0 a backup of the batch, 1 a substitute on the course roster, 2 another "
            "trainer on the course roster"
        ),
    )
    why = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Why they are ranked where they are")
    )
    eligible = serializers.BooleanField(read_only=True)
    refusal = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy("Why a cover by them would be refused; empty when eligible"),
    )
    open_batches = serializers.IntegerField(read_only=True)


class LeaveBatchSerializer(serializers.Serializer):
    """One batch a leave hits (``selectors.LeaveBatch``): its uncovered sessions, the ones
    already covered, and the ranked candidates for the uncovered ones."""

    batch = serializers.IntegerField(source="batch.pk", read_only=True)
    batch_code = serializers.CharField(source="batch.batch_code", read_only=True)
    role = serializers.CharField(
        read_only=True, help_text=gettext_lazy("The absent trainer's role in it")
    )
    start_date = ApiDateField(read_only=True)
    end_date = ApiDateField(read_only=True)
    sessions = serializers.SerializerMethodField()
    covered_sessions = serializers.SerializerMethodField()
    candidates = CandidateSerializer(many=True, read_only=True)

    @extend_schema_field(SessionSerializer(many=True))
    def get_sessions(self, entry) -> list[dict]:
        """The uncovered sessions, read as the session endpoints give them."""
        rows = self.context["sessions"]
        return SessionSerializer([rows[s.session.pk] for s in entry.uncovered], many=True).data

    def get_covered_sessions(self, entry) -> list[int]:
        return [s.session.pk for s in entry.sessions if s.covered]


class LeaveCandidatesSerializer(serializers.Serializer):
    leave = LeaveSerializer(read_only=True)
    batches = LeaveBatchSerializer(many=True, read_only=True)


class CoverInputSerializer(serializers.Serializer):
    """The body of ``POST /api/leave/:leaveId/covers``."""

    batch = IdOf("batch", queryset=Batch.objects.all())
    substitute = IdOf("user", queryset=User.objects.all())
    sessions = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=1_000,
        required=False,
        help_text=gettext_lazy(
            "Session ids of the batch; default every uncovered session of the batch in the leave"
        ),
    )


class CoverSerializer(serializers.Serializer):
    """A cover: who teaches which sessions of a batch for whom."""

    _id = serializers.IntegerField(source="pk", read_only=True)
    batch = serializers.IntegerField(source="batch_id", read_only=True)
    batch_code = serializers.CharField(source="batch.batch_code", read_only=True)
    substitute = UserBriefSerializer(read_only=True)
    absent_trainer = UserBriefSerializer(read_only=True)
    sessions = serializers.SerializerMethodField()
    start_date = ApiDateField(read_only=True)
    end_date = ApiDateField(read_only=True)
    createdAt = TimestampField(source="created_at")

    def get_sessions(self, cover) -> list[int]:
        return list(
            cover.sessions.order_by("session__start_at", "session_id").values_list(
                "session_id", flat=True
            )
        )


def _leave(leave_id: int) -> TrainerLeave:
    return get_object_or_404(
        TrainerLeave.objects.select_related("trainer", "created_by"), pk=leave_id
    )


class LeaveCandidatesView(APIView):
    """``GET /api/leave/:leaveId/candidates`` (Admin): each batch the leave hits, its
    uncovered sessions and the ranked substitutes for them, with the reason for each — the
    leave page's ``selectors.leave_cover_plan``."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["leave"],
        responses={200: envelope(LeaveCandidatesSerializer, "LeaveCandidates")},
    )
    def get(self, request, leave_id: int):
        leave = _leave(leave_id)
        plan = selectors.leave_cover_plan(leave)
        uncovered = [s.session.pk for entry in plan for s in entry.uncovered]
        rows = selectors.batch_sessions_of_any().in_bulk(uncovered)
        data = LeaveCandidatesSerializer(
            {"leave": leave, "batches": plan}, context={"sessions": rows}
        ).data
        return responses.ok(data, gettext("Cover candidates fetched successfully"))


class LeaveCoversView(APIView):
    """``POST /api/leave/:leaveId/covers`` (Admin): a substitute covers sessions of one batch
    the leave hits — ``services.session_cover_assign``, as the leave page's cover form."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["leave"],
        request=CoverInputSerializer,
        responses={201: envelope(CoverSerializer, "Cover")},
    )
    def post(self, request, leave_id: int):
        leave = _leave(leave_id)
        body = CoverInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = body.validated_data["batch"]
        ids = body.validated_data.get("sessions")
        if ids is None:
            sessions = [
                s.session
                for s in selectors.leave_affected_sessions(leave)
                if s.batch.pk == batch.pk and not s.covered
            ]
            if not sessions:
                raise DomainError(
                    gettext("%(trainer)s has no uncovered session of %(batch_code)s in this leave")
                    % {"trainer": leave.trainer.display_name, "batch_code": batch.batch_code},
                    field="sessions",
                )
        else:
            found = ClassSession.objects.select_related("batch").in_bulk(ids)
            missing = [pk for pk in ids if pk not in found]
            if missing:
                raise DomainError(
                    gettext("No session with id %(missing)s.") % {"missing": missing[0]},
                    field="sessions",
                )
            sessions = [found[pk] for pk in dict.fromkeys(ids)]
            if any(s.batch_id != batch.pk for s in sessions):
                raise DomainError(
                    gettext("The sessions to cover must be of this batch"), field="sessions"
                )
        cover = services.session_cover_assign(
            sessions=sessions,
            absent_trainer=leave.trainer,
            substitute=body.validated_data["substitute"],
            assigned_by=request.user,
        )
        cover = SubstituteCover.objects.select_related("batch", "substitute", "absent_trainer").get(
            pk=cover.pk
        )
        return responses.created(
            CoverSerializer(cover).data, gettext("Cover assigned successfully")
        )
