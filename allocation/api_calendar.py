"""The JSON API of the calendar: a batch's sessions, one session's changes, a user's
sessions, and holidays.

Thin like ``allocation.api``: check who calls, parse, call the service the pages call,
answer in the envelope; a service's refusal is a 400 with its message.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from accounts.access import is_admin
from accounts.models import User
from accounts.permissions import ByMethod, IsAdmin, IsSignedIn, require
from core.api import responses
from core.api.pagination import PageParams, paginate
from core.api.schema import envelope, list_envelope

from . import selectors, services
from .api import learns_in, teaches
from .models import Batch, ClassSession, Holiday, SessionStatus
from .serializers_calendar import (
    HolidayCreatedSerializer,
    HolidayCreateSerializer,
    HolidaySerializer,
    SessionChangeSerializer,
    SessionCreateSerializer,
    SessionSerializer,
    SessionUpdateSerializer,
    SessionWindowSerializer,
)


def _window(request) -> dict:
    params = SessionWindowSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return {"start": params.validated_data.get("from"), "end": params.validated_data.get("to")}


def _session(pk: int) -> ClassSession:
    """The session as the serializer reads it (batch, teachers loaded)."""
    return get_object_or_404(selectors.batch_sessions_of_any(), pk=pk)


def _change_data(change) -> dict:
    return SessionChangeSerializer(
        {"session": _session(change.session.pk), "warnings": change.warnings}
    ).data


class BatchSessionsView(ByMethod, APIView):
    """``GET /api/batches/:batchId/sessions?from=&to=`` (Admin, the batch's trainers, its
    students); ``POST`` an extra session (Admin)."""

    permission_classes = [IsSignedIn]
    permissions_by_method = {"POST": [IsAdmin]}

    @extend_schema(
        tags=["sessions"],
        operation_id="batch_sessions_list",
        parameters=[SessionWindowSerializer, PageParams],
        responses={200: list_envelope(SessionSerializer, "Session")},
    )
    def get(self, request, batch_id: int):
        batch = get_object_or_404(Batch, pk=batch_id)
        user = request.user
        require(
            is_admin(user) or teaches(user, batch) or learns_in(user, batch),
            gettext("Only admins, the batch's trainers and its students can see its sessions"),
        )
        page = paginate(request, selectors.batch_sessions(batch, **_window(request)))
        return responses.listing(
            SessionSerializer(page.items, many=True).data,
            gettext("Sessions fetched successfully"),
            page,
        )

    @extend_schema(
        tags=["sessions"],
        request=SessionCreateSerializer,
        responses={201: envelope(SessionChangeSerializer, "SessionChange")},
    )
    def post(self, request, batch_id: int):
        batch = get_object_or_404(Batch, pk=batch_id)
        body = SessionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        change = services.session_add(
            batch=batch,
            start_at=data["start"],
            end_at=data["end"],
            added_by=request.user,
            reason=data["reason"],
            room=data["room"],
            meeting_url=data["meeting_url"],
        )
        return responses.created(_change_data(change), gettext("Session added successfully"))


class SessionDetailView(APIView):
    """``PUT /api/sessions/:sessionId``: move it (``start``, ``end``) or cancel it
    (``{"status": "cancelled", "reason": ...}``) (Admin)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["sessions"],
        request=SessionUpdateSerializer,
        responses={200: envelope(SessionChangeSerializer, "SessionChange")},
    )
    def put(self, request, session_id: int):
        session = get_object_or_404(ClassSession.objects.select_related("batch"), pk=session_id)
        body = SessionUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data.get("status") == SessionStatus.CANCELLED:
            change = services.session_cancel(
                session=session, reason=data["reason"], cancelled_by=request.user
            )
            return responses.ok(_change_data(change), gettext("Session cancelled successfully"))
        change = services.session_move(
            session=session,
            start_at=data["start"],
            end_at=data["end"],
            moved_by=request.user,
            reason=data["reason"],
        )
        return responses.ok(_change_data(change), gettext("Session moved successfully"))


class UserSessionsView(APIView):
    """``GET /api/users/:userId/sessions?from=&to=``: the sessions the user teaches or learns
    in (the user themself, or an Admin)."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["sessions"],
        operation_id="user_sessions_list",
        parameters=[SessionWindowSerializer, PageParams],
        responses={200: list_envelope(SessionSerializer, "Session")},
    )
    def get(self, request, user_id: int):
        user = get_object_or_404(User, pk=user_id)
        require(
            is_admin(request.user) or request.user.pk == user.pk,
            gettext("Only admins and the user themself can see these sessions"),
        )
        page = paginate(request, selectors.user_sessions(user, **_window(request)))
        return responses.listing(
            SessionSerializer(page.items, many=True).data,
            gettext("Sessions fetched successfully"),
            page,
        )


class HolidaysView(APIView):
    """``GET /api/holidays`` and ``POST /api/holidays`` (Admin)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["holidays"],
        operation_id="holidays_list",
        parameters=[PageParams],
        responses={200: list_envelope(HolidaySerializer, "Holiday")},
    )
    def get(self, request):
        page = paginate(request, selectors.holiday_list())
        return responses.listing(
            HolidaySerializer(page.items, many=True).data,
            gettext("Holidays fetched successfully"),
            page,
        )

    @extend_schema(
        tags=["holidays"],
        request=HolidayCreateSerializer,
        responses={201: envelope(HolidayCreatedSerializer, "HolidayCreated")},
    )
    def post(self, request):
        body = HolidayCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.holiday_create(created_by=request.user, **body.validated_data)
        data = {
            **HolidaySerializer(result.holiday).data,
            "cancelled_sessions": len(result.cancelled),
        }
        return responses.created(
            data,
            gettext("Holiday added; %(value)s session(s) cancelled")
            % {"value": len(result.cancelled)},
        )


class HolidayDetailView(APIView):
    """``DELETE /api/holidays/:id`` (Admin). The sessions it cancelled stay cancelled."""

    permission_classes = [IsAdmin]

    @extend_schema(tags=["holidays"], responses={200: envelope(HolidaySerializer, "Holiday")})
    def delete(self, request, holiday_id: int):
        holiday = get_object_or_404(Holiday, pk=holiday_id)
        data = HolidaySerializer(holiday).data
        services.holiday_delete(holiday=holiday, deleted_by=request.user)
        return responses.ok(data, gettext("Holiday deleted successfully"))
