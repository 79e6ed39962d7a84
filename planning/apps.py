from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Planning jobs (trainer assignment and balancing)"

    def ready(self):
        from . import signals, tasks

        signals.job_created.connect(tasks.queue_job, dispatch_uid="planning-queue-job")
