from django.conf import settings
from django.core.management.base import BaseCommand

from notifications.worker import OutboxWorker


class Command(BaseCommand):
    help = (
        "Send the notification emails in the outbox until stopped (SIGTERM/SIGINT stop it "
        "within a few seconds). Run one or more next to the web servers; docs/notifications.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=10, help="emails claimed at a time")
        parser.add_argument(
            "--poll",
            type=float,
            default=settings.OUTBOX_POLL_SECONDS,
            help="seconds between looks at an empty outbox",
        )
        parser.add_argument(
            "--once", action="store_true", help="send what is due now, then exit (cron, tests)"
        )

    def handle(self, *args, batch, poll, once, **options):
        worker = OutboxWorker(batch=batch, poll=poll, grace=settings.OUTBOX_STOP_GRACE_SECONDS)
        if once:
            total = {"sent": 0, "retrying": 0, "failed": 0, "released": 0, "skipped": 0}
            while True:
                counts = worker.run_once()
                for key, value in counts.items():
                    total[key] += value
                if not (counts["sent"] or counts["skipped"]):
                    break
            self.stdout.write(f"Outbox: {total}")
            return
        worker.install_signal_handlers()
        worker.run()
