"""The JSON API of webhooks (Admin): register, list and remove endpoints; read an endpoint's
delivery log; redeliver. Thin views over ``webhooks.services``."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from accounts.permissions import ByMethod, IsAdmin
from core.api import responses
from core.api.fields import Text, TimestampField
from core.api.pagination import PageParams, paginate
from core.api.schema import envelope, list_envelope

from . import services
from .models import DeliveryStatus, EventType, WebhookDelivery, WebhookEndpoint


class EndpointSerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="pk")
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))
    description = serializers.CharField()
    active = serializers.BooleanField()
    createdAt = TimestampField(source="created_at")


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(
        help_text=gettext_lazy("Shown once: keep it to verify the signatures")
    )


class EndpointInputSerializer(serializers.Serializer):
    url = Text(max_length=500)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False, max_length=20
    )
    secret = Text(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Generated if empty"),
    )
    description = Text(max_length=200, required=False, allow_blank=True, default="")


class DeliverySerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="pk")
    endpoint = serializers.IntegerField(source="endpoint_id")
    event_id = serializers.UUIDField(source="event.id")
    event_type = serializers.ChoiceField(source="event.type", choices=EventType.choices)
    event_data = serializers.DictField(source="event.data")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    nextAttemptAt = TimestampField(source="next_attempt_at")
    deliveredAt = TimestampField(source="delivered_at", allow_null=True)
    createdAt = TimestampField(source="created_at")


class EndpointsView(ByMethod, APIView):
    """``GET /api/webhooks`` and ``POST /api/webhooks`` (Admin)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["webhooks"],
        operation_id="webhooks_list",
        parameters=[PageParams],
        responses={200: list_envelope(EndpointSerializer, "WebhookEndpoint")},
    )
    def get(self, request):
        page = paginate(request, WebhookEndpoint.objects.order_by("pk"))
        return responses.listing(
            EndpointSerializer(page.items, many=True).data,
            gettext("Webhooks fetched successfully"),
            page,
        )

    @extend_schema(
        tags=["webhooks"],
        request=EndpointInputSerializer,
        responses={201: envelope(EndpointCreatedSerializer, "WebhookEndpointCreated")},
    )
    def post(self, request):
        body = EndpointInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint = services.endpoint_register(created_by=request.user, **body.validated_data)
        return responses.created(
            EndpointCreatedSerializer(endpoint).data, gettext("Webhook registered successfully")
        )


class EndpointDetailView(APIView):
    """``DELETE /api/webhooks/:webhookId`` (Admin)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["webhooks"], responses={200: envelope(EndpointSerializer, "WebhookEndpoint")}
    )
    def delete(self, request, webhook_id: int):
        endpoint = get_object_or_404(WebhookEndpoint, pk=webhook_id)
        data = EndpointSerializer(endpoint).data
        services.endpoint_delete(endpoint=endpoint)
        return responses.ok(data, gettext("Webhook deleted successfully"))


class DeliveriesView(APIView):
    """``GET /api/webhooks/:webhookId/deliveries`` (Admin): the delivery log, newest first."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["webhooks"],
        parameters=[PageParams],
        responses={200: list_envelope(DeliverySerializer, "WebhookDelivery")},
    )
    def get(self, request, webhook_id: int):
        endpoint = get_object_or_404(WebhookEndpoint, pk=webhook_id)
        page = paginate(request, endpoint.deliveries.select_related("event").order_by("-pk"))
        return responses.listing(
            DeliverySerializer(page.items, many=True).data,
            gettext("Deliveries fetched successfully"),
            page,
        )


class RedeliverView(APIView):
    """``POST /api/webhooks/deliveries/:deliveryId/redeliver`` (Admin)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["webhooks"],
        request=None,
        responses={200: envelope(DeliverySerializer, "WebhookDelivery")},
    )
    def post(self, request, delivery_id: int):
        delivery = get_object_or_404(WebhookDelivery, pk=delivery_id)
        delivery = services.delivery_redeliver(delivery=delivery)
        delivery = WebhookDelivery.objects.select_related("event").get(pk=delivery.pk)
        return responses.ok(DeliverySerializer(delivery).data, gettext("Delivery queued again"))


def urlpatterns() -> list:
    """The routes; called by medh/api_urls.py once it has registered the ``id`` converter."""
    return [
        path("webhooks", EndpointsView.as_view(), name="webhooks"),
        path("webhooks/<id:webhook_id>", EndpointDetailView.as_view(), name="webhook"),
        path(
            "webhooks/<id:webhook_id>/deliveries",
            DeliveriesView.as_view(),
            name="webhook-deliveries",
        ),
        path(
            "webhooks/deliveries/<id:delivery_id>/redeliver",
            RedeliverView.as_view(),
            name="webhook-redeliver",
        ),
    ]
