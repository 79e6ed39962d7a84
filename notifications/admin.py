from django.contrib import admin, messages

from .models import EmailStatus, Notification
from .tasks import send_notification_email


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("subject", "recipient", "event", "created_at", "read_at", "email_status")
    list_filter = ("email_status", "event", "created_at")
    search_fields = ("subject", "recipient__email", "recipient__full_name")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)
    readonly_fields = ("created_at", "emailed_at", "email_attempts", "email_error")
    actions = ["resend_email"]

    @admin.action(description="Send the email again")
    def resend_email(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        queryset.update(email_status=EmailStatus.PENDING, email_attempts=0)
        for pk in ids:
            send_notification_email.enqueue(pk)
        messages.success(request, f"Queued {len(ids)} email(s).")
