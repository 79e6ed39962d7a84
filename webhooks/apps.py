from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from . import signals, tasks

        signals.deliveries_created.connect(
            tasks.queue_deliveries, dispatch_uid="webhooks-queue-deliveries"
        )
