from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "medh.notifications"
    label = "notifications"
    verbose_name = "Notifications"
