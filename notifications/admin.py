from django.contrib import admin, messages
from django.utils.translation import gettext, gettext_lazy

from .models import Notification
from .services import notification_emails_resend


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("subject", "recipient", "event", "created_at", "read_at", "email_status")
    list_filter = ("email_status", "event", "created_at")
    search_fields = ("subject", "recipient__email", "recipient__full_name")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)
    # Delivery is the outbox's: the lease and the rendering are shown, never edited.
    readonly_fields = (
        "created_at",
        "rendered_at",
        "emailed_at",
        "email_attempts",
        "email_error",
        "send_after",
        "lease_until",
        "lease_token",
        "resends",
        "context",
    )
    actions = ["resend_email"]

    @admin.action(description=gettext_lazy("Send the email again"))
    def resend_email(self, request, queryset):
        count = notification_emails_resend(
            notification_ids=queryset.values_list("pk", flat=True), include_sent=True
        )
        messages.success(request, gettext("Queued %(count)s email(s).") % {"count": count})
