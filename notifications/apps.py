from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from notifications import receivers  # noqa: F401  (queues the account emails)
