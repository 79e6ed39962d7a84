"""Console: the webhook delivery log, at ``/console/webhooks/`` (namespace ``webhooks``),
admins only, with "redeliver" on each delivery."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.access import admin_required
from core.web import paginate

from . import services
from .models import WebhookDelivery, WebhookEndpoint


@admin_required
@require_GET
def deliveries(request):
    """The endpoints and every delivery, newest first (25 a page)."""
    log = WebhookDelivery.objects.select_related("event", "endpoint").order_by("-pk")
    return render(
        request,
        "webhooks/deliveries.html",
        {"endpoints": WebhookEndpoint.objects.order_by("pk"), "page": paginate(request, log)},
    )


@admin_required
@require_POST
def redeliver(request, pk: int):
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    services.delivery_redeliver(delivery=delivery)
    messages.success(request, gettext("Delivery %(pk)s queued again.") % {"pk": delivery.pk})
    return redirect("webhooks:deliveries")


urlpatterns = [
    path("", deliveries, name="deliveries"),
    path("deliveries/<int:pk>/redeliver/", redeliver, name="redeliver"),
]
