from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Generic helpers every app may use: errors, ids, dates, pages, widgets, template tags.

    It sits below every domain app and imports none of them.
    """

    name = "core"
    label = "core"
    verbose_name = "Core"
