from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "attendance"
    verbose_name = _("Attendance")

    def ready(self):
        # Attendance builds on allocation: it adds its panels to allocation's pages by
        # answering allocation's signal (allocation/signals.py).
        from allocation.signals import page_panels

        from .panels import page_panel

        page_panels.connect(page_panel, dispatch_uid="attendance.page_panel")
        # The demo data set gets a few weeks of attendance (attendance/demo.py).
        from enrollments.signals import demo_seeded

        from .demo import on_demo_seeded

        demo_seeded.connect(on_demo_seeded, dispatch_uid="attendance.demo")
