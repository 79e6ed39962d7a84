from django.core.management.base import BaseCommand

from notifications.services import notification_emails_resend


class Command(BaseCommand):
    help = (
        "Queue the email of every notification not sent yet (after a mail outage). "
        "--pending-only leaves the ones that already gave up (failed) alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--pending-only", action="store_true")

    def handle(self, *args, pending_only=False, **options):
        count = notification_emails_resend(include_failed=not pending_only)
        self.stdout.write(f"Queued {count} notification email(s).")
