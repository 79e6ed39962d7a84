"""The session authentication backend, with the unread-notification count on the user."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from .models import Notification


def unread_count_subquery():
    return Coalesce(
        Subquery(
            Notification.objects.unread()
            .filter(recipient=OuterRef("pk"))
            .order_by()
            .values("recipient")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


class ModelBackendWithInbox(ModelBackend):
    """Django's ModelBackend whose ``get_user`` (run once per request for the session user)
    also loads ``user.unread_notifications`` in the same query: the bell in every page's
    navigation then costs no query of its own."""

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.annotate(
                unread_notifications=unread_count_subquery()
            ).get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
