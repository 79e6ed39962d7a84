"""Login, logout and the users endpoints (accounts only; domain endpoints live in the apps)."""

from __future__ import annotations

import axes.utils
from django.contrib.auth import authenticate, logout
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from accounts import services
from accounts.access import is_admin
from accounts.models import User
from accounts.security import client_ip
from core.api import responses
from core.api.authentication import token_expires_at
from core.api.fields import timestamp_out
from core.api.pagination import PageParams, paginate
from core.api.schema import envelope, list_envelope
from core.errors import DomainError

from .permissions import ByMethod, IsAdmin, IsSignedIn, require
from .serializers import (
    LoginResultSerializer,
    LoginSerializer,
    MeSerializer,
    MeUpdateSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    RoleFilterSerializer,
    UserCreateSerializer,
    UserSerializer,
)

MSG_BAD_LOGIN = gettext_noop("Invalid email or password")


# The service's field names that the API calls differently.
API_FIELDS = {"email_off": "email_notifications"}


def refused(exc: DomainError) -> exceptions.ValidationError:
    """A service's refusal as a 400 naming its field (``errors``), message word for word."""
    if not exc.field:
        return exceptions.ValidationError(exc.message)
    return exceptions.ValidationError({API_FIELDS.get(exc.field, exc.field): [exc.message]})


class LoginView(APIView):
    """``POST /api/v1/auth/login``: trade an email and password for a Bearer token."""

    # No authentication: a stale token or a session must not stand in the way of logging in
    # (and without SessionAuthentication no CSRF token is needed to call it).
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=LoginSerializer,
        responses={200: envelope(LoginResultSerializer, "Login")},
        auth=[],
    )
    def post(self, request):
        body = LoginSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # Django's request, not DRF's wrapper: django-axes counts the failure on it, and once
        # the account is locked AxesMiddleware answers 429 instead (accounts/security.py).
        user = authenticate(
            request._request,
            email=body.validated_data["email"],
            password=body.validated_data["password"],
        )
        if user is None:
            raise exceptions.AuthenticationFailed(gettext(MSG_BAD_LOGIN))
        # A success clears this account's failures from this address (AXES_RESET_ON_SUCCESS
        # does that for session logins, through the user_logged_in signal a token login lacks).
        axes.utils.reset(ip=client_ip(request._request), username=user.email)
        token = services.api_token_issue(user=user)
        return responses.ok(
            {
                "token": token.key,
                "expiresAt": timestamp_out(token_expires_at(token)),
                "user": UserSerializer(user).data,
            },
            gettext("Logged in successfully"),
        )

    def get_authenticate_header(self, request):
        return "Bearer"  # so a wrong password is a 401, as without credentials elsewhere


class LogoutView(APIView):
    """``POST /api/v1/auth/logout``: revoke the caller's token (and end a browser session)."""

    @extend_schema(
        tags=["auth"],
        request=None,
        responses={200: envelope(serializers.JSONField(allow_null=True), "Logout")},
    )
    def post(self, request):
        services.api_token_revoke(user=request.user)
        if request._request.session.session_key:
            logout(request._request)
        return responses.ok(None, gettext("Logged out successfully"))


class UsersView(ByMethod, APIView):
    """``GET /api/users?role=...`` and ``POST /api/users`` (Admin)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["users"],
        operation_id="users_list",
        parameters=[RoleFilterSerializer, PageParams],
        responses={200: list_envelope(UserSerializer, "User")},
    )
    def get(self, request):
        filters = RoleFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        users = User.objects.order_by("full_name", "email", "pk")
        if role := filters.validated_data.get("role"):
            users = users.with_role(role)
        page = paginate(request, users)
        return responses.listing(
            UserSerializer(page.items, many=True).data, gettext("Users fetched successfully"), page
        )

    @extend_schema(
        tags=["users"],
        request=UserCreateSerializer,
        responses={201: envelope(UserSerializer, "User")},
    )
    def post(self, request):
        body = UserCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            user = services.user_create(
                email=data["email"],
                password=data["password"],
                roles=data["role"],
                full_name=data["full_name"],
                invite=data["send_invitation"],
                invited_by=request.user,
            )
        except DomainError as exc:  # the same email registered meanwhile
            raise exceptions.ValidationError({"email": [exc.message]}) from exc
        return responses.created(UserSerializer(user).data, gettext("User created successfully"))


class UserDetailView(APIView):
    """``GET /api/users/:userId`` (Admin, Self)."""

    permission_classes = [IsSignedIn]

    @extend_schema(tags=["users"], responses={200: envelope(UserSerializer, "User")})
    def get(self, request, user_id: int):
        require(is_admin(request.user) or request.user.pk == user_id)
        user = get_object_or_404(User, pk=user_id)
        return responses.ok(UserSerializer(user).data, gettext("User fetched successfully"))


class MeView(APIView):
    """``GET /api/users/me`` and ``PUT /api/users/me``: the caller's own account and
    preferences (``full_name``, ``time_zone``, ``language``, ``email_notifications``).

    The API itself answers in the language of ``Accept-Language``, not in ``language``:
    ``language`` is for the user's pages, emails and calendar feed."""

    permission_classes = [IsSignedIn]

    @extend_schema(tags=["users"], responses={200: envelope(MeSerializer, "Me")})
    def get(self, request):
        return responses.ok(MeSerializer(request.user).data, _("Profile fetched successfully"))

    @extend_schema(
        tags=["users"], request=MeUpdateSerializer, responses={200: envelope(MeSerializer, "Me")}
    )
    def put(self, request):
        body = MeUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = request.user
        email_off = None
        if "email_notifications" in data:
            off = set(user.email_off or ())
            for event, wanted in data["email_notifications"].items():
                (off.discard if wanted else off.add)(event)
            email_off = sorted(off)
        try:
            services.user_profile_update(
                user=user,
                full_name=data.get("full_name"),
                time_zone=data.get("time_zone"),
                language=data.get("language"),
                email_off=email_off,
            )
        except DomainError as exc:
            raise refused(exc) from exc
        return responses.ok(MeSerializer(user).data, _("Profile updated successfully"))


MSG_RESET_SENT = gettext_lazy(
    "If an account has this email address, a link to choose a new password is on its way to it."
)


class PasswordResetView(APIView):
    """``POST /api/v1/auth/password-reset`` with ``{"email"}``: email that account a
    reset link, through the outbox. The answer is the same 200 whether or not the address
    has an account (no account enumeration)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=PasswordResetSerializer,
        responses={200: envelope(serializers.JSONField(allow_null=True), "PasswordReset")},
        auth=[],
    )
    def post(self, request):
        body = PasswordResetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.password_reset_request(email=body.validated_data["email"])
        return responses.ok(None, str(MSG_RESET_SENT))


class PasswordResetConfirmView(APIView):
    """``POST /api/v1/auth/password-reset/confirm`` with ``{"uid", "token", "new_password"}``
    from the reset email's link: set the new password (the site's validators decide; their
    messages in a 400). The link then stops working."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=PasswordResetConfirmSerializer,
        responses={200: envelope(serializers.JSONField(allow_null=True), "PasswordResetConfirm")},
        auth=[],
    )
    def post(self, request):
        body = PasswordResetConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            services.password_reset_confirm(
                uidb64=data["uid"], token=data["token"], new_password=data["new_password"]
            )
        except DomainError as exc:
            raise refused(exc) from exc
        return responses.ok(None, _("Your password has been set. Log in with it."))
