"""Each request shows times in its viewer's zone."""

from __future__ import annotations

from django.utils import timezone

from core.timezones import is_time_zone, zone


class UserTimeZoneMiddleware:
    """Activate the signed-in user's ``time_zone`` for the request (templates, forms and
    ``timezone.localtime`` then read and write times in it); anonymous visitors get the
    platform's zone. Placed after ``AuthenticationMiddleware``. ``request.user`` is lazy and
    loaded with the session anyway, so this costs no query of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        name = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        if is_time_zone(name):
            timezone.activate(zone(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
