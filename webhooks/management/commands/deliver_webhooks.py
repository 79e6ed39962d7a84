"""Send the webhook deliveries that are due: retries whose delay has passed and deliveries
whose worker's lease expired. Run it every minute (cron or a systemd timer) next to the
task worker; with the database task backend retries are also queued with their delay."""

from django.core.management.base import BaseCommand

from webhooks.services import deliveries_due
from webhooks.tasks import send


class Command(BaseCommand):
    help = "Send the webhook deliveries that are due."

    def handle(self, *args, **options):
        outcomes = [send(pk) for pk in deliveries_due()]
        self.stdout.write(
            f"{len(outcomes)} due; {outcomes.count('delivered')} delivered, "
            f"{outcomes.count('pending')} to retry, {outcomes.count('failed')} failed"
        )
