from django.apps import AppConfig


class AllocationConfig(AppConfig):
    name = "allocation"
    verbose_name = "Allocation"

    def ready(self):
        from trainers.signals import leave_recorded

        from . import notices

        leave_recorded.connect(notices.leave_recorded, dispatch_uid="allocation-leave-notice")
