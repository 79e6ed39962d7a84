"""Users as the original API shows them, and the bodies of login and user creation."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers

from accounts.models import Role, User
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
    """``{"full_name", "email", "password", "role": [...]}``; the password is checked by the
    site's password validators and stored hashed."""

    full_name = Text(max_length=150)
    email = serializers.EmailField(max_length=254)
    password = Text(max_length=128, write_only=True, trim_whitespace=False)
    role = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), allow_empty=False, max_length=4
    )

    def validate_email(self, value: str) -> str:
        value = value.strip().lower()
        if User.objects.filter(email=value).exists():
            raise serializers.ValidationError(gettext("A user with this email already exists."))
        return value

    def validate(self, attrs):
        candidate = User(email=attrs["email"], full_name=attrs["full_name"])
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class RoleFilterSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
