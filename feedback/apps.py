from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback"

    def ready(self):
        # feedback builds on allocation and enrollments, so it listens rather than being
        # called: a batch that completes (the daily run or an admin's status change) asks its
        # students to rate it; the daily run asks at midpoint when the course wants it.
        from allocation.signals import batch_completed
        from enrollments.signals import demo_seeded, lifecycle_ran

        from . import demo, services

        batch_completed.connect(
            services.on_batch_completed, dispatch_uid="feedback.request_on_completion"
        )
        lifecycle_ran.connect(services.on_lifecycle_ran, dispatch_uid="feedback.midpoint_requests")
        demo_seeded.connect(demo.on_demo_seeded, dispatch_uid="feedback.demo")
