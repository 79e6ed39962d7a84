"""Login, logout and the users endpoints (accounts only; domain endpoints live in the apps)."""

from __future__ import annotations

import axes.utils
from django.contrib.auth import authenticate, logout
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_noop
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
    RoleFilterSerializer,
    UserCreateSerializer,
    UserSerializer,
)

MSG_BAD_LOGIN = gettext_noop("Invalid email or password")


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
