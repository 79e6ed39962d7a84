import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.tests.factories import UserFactory
from notifications.models import EmailStatus, Notification


class NotificationFactory(DjangoModelFactory):
    """A notification saved directly (no templates, already rendered): for inbox and delivery
    tests. Unread and not yet emailed by default."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    event = "test_event"
    subject = factory.Sequence(lambda n: f"Notice {n}")
    body = "Something happened.\n"
    body_html = "<p>Something happened.</p>"
    rendered_at = factory.LazyFunction(timezone.now)
    url = ""
    email_status = EmailStatus.PENDING
