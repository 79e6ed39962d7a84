"""OpenAPI helpers: the envelope as schema components, and error responses on every operation.

``envelope(SomeSerializer, "Batch")`` describes ``{"success", "message", "data": <Batch>}``;
``list_envelope`` adds ``count`` and the page figures. ``EnvelopeAutoSchema`` (the default
schema class) documents the error envelope for 400/401/403/404/405/413/415 on every operation, so
a response that the API really gives is always one the schema allows.
"""

from __future__ import annotations

from functools import cache

from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


class ErrorEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=False)
    message = serializers.CharField()
    errors = serializers.DictField(
        required=False,
        child=serializers.JSONField(),
        help_text=gettext_lazy(
            "Per field, the complaints about invalid input (validation failures only)."
        ),
    )


ERROR_RESPONSES = {
    "400": "Invalid input (see errors) or an operation the rules refuse (see message)",
    "401": "No or invalid credentials",
    "403": "The caller's role or relation to the object does not allow this",
    "404": "No such object",
    "405": "Method not allowed",
    "413": "The body is larger than the server accepts",
    "415": "The body is not JSON",
}


@cache
def envelope(data, name: str, *, many: bool = False):
    """``{"success", "message", "data"}`` around ``data`` (a serializer class or a field)."""
    return inline_serializer(
        name=f"{name}Envelope",
        fields={
            "success": serializers.BooleanField(),
            "message": serializers.CharField(),
            "data": data(many=many) if isinstance(data, type) else data,
        },
    )


@cache
def list_envelope(item, name: str):
    """A (paginated) list: ``count`` items in ``data``, of ``total`` matches on ``pages``."""
    return inline_serializer(
        name=f"{name}ListEnvelope",
        fields={
            "success": serializers.BooleanField(),
            "message": serializers.CharField(),
            "count": serializers.IntegerField(help_text=gettext("Items in data")),
            "total": serializers.IntegerField(help_text=gettext("Items matching, on every page")),
            "page": serializers.IntegerField(),
            "limit": serializers.IntegerField(),
            "pages": serializers.IntegerField(),
            "data": item(many=True),
        },
    )


class EnvelopeAutoSchema(AutoSchema):
    # _get_response_bodies rather than get_response_serializers: @extend_schema replaces the
    # latter on a subclass of this class without calling it.
    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        for code, description in ERROR_RESPONSES.items():
            if code not in bodies:
                bodies[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorEnvelopeSerializer, description=description),
                    code,
                    direction=direction,
                )
        return bodies
