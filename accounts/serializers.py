"""Users as the original API shows them, and the bodies of login and user creation."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers

from accounts.models import Role, User
from accounts.preferences import EMAIL_EVENTS
from core.api.fields import Text, TimestampField


class UserBriefSerializer(serializers.Serializer):
    """``{"_id", "full_name", "email"}``: how the original nests a user in another object."""

    _id = serializers.IntegerField(source="pk", read_only=True)
    full_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)


class UserSerializer(UserBriefSerializer):
    role = serializers.ListField(
        source="roles", child=serializers.ChoiceField(choices=Role.choices), read_only=True
    )
    is_active = serializers.BooleanField(read_only=True)
    createdAt = TimestampField(source="date_joined")


class LoginSerializer(serializers.Serializer):
    email = Text(max_length=254, trim_whitespace=True)
    password = Text(max_length=128, trim_whitespace=False)


class LoginResultSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiresAt = TimestampField(
        help_text=gettext_lazy("When the token stops working (API_TOKEN_LIFETIME)")
    )
    user = UserSerializer()


class UserCreateSerializer(serializers.Serializer):
    """``{"full_name", "email", "password", "role": [...], "send_invitation"}``; the password
    is checked by the site's password validators and stored hashed. Without a password the
    account gets none it can use, and an invitation email unless ``send_invitation`` is
    false."""

    full_name = Text(max_length=150)
    email = serializers.EmailField(max_length=254)
    password = Text(max_length=128, write_only=True, trim_whitespace=False, required=False)
    role = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), allow_empty=False, max_length=4
    )
    send_invitation = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Without a password: email the user an invitation to choose one (default).",
    )

    def validate_email(self, value: str) -> str:
        value = value.strip().lower()
        if User.objects.filter(email=value).exists():
            raise serializers.ValidationError(gettext("A user with this email already exists."))
        return value

    def validate(self, attrs):
        if not attrs.get("password"):
            attrs["password"] = None
            return attrs
        candidate = User(email=attrs["email"], full_name=attrs["full_name"])
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class RoleFilterSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)


class MeSerializer(UserSerializer):
    """The signed-in user's own account and preferences (``GET /api/users/me``)."""

    time_zone = serializers.CharField(read_only=True)
    language = serializers.CharField(read_only=True)
    email_notifications = serializers.SerializerMethodField(
        help_text="Per kind of notification: also by email (true) or in the inbox only."
    )
    lastLogin = TimestampField(source="last_login", allow_null=True)

    def get_email_notifications(self, user) -> dict[str, bool]:
        return {event: user.wants_email(event) for event in EMAIL_EVENTS}


class MeUpdateSerializer(serializers.Serializer):
    """``PUT /api/users/me``: any of ``full_name``, ``time_zone`` (IANA), ``language`` and
    ``email_notifications`` (``{"session_moved": false, ...}``: the kinds given change, the
    others stay)."""

    full_name = Text(max_length=150, required=False)
    time_zone = Text(max_length=64, required=False)
    language = Text(max_length=8, required=False)
    email_notifications = serializers.DictField(
        child=serializers.BooleanField(), required=False, allow_empty=True
    )


class PasswordResetSerializer(serializers.Serializer):
    email = Text(max_length=254, trim_whitespace=True)


class PasswordResetConfirmSerializer(serializers.Serializer):
    """The ``uid`` and ``token`` of the reset email's link (``/accounts/reset/<uid>/<token>/``)
    and the new password."""

    uid = Text(max_length=64)
    token = Text(max_length=64)
    new_password = Text(max_length=128, trim_whitespace=False, write_only=True)
