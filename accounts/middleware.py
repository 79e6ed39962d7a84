"""Each request shows times in its viewer's zone, and speaks its viewer's language."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import trans_real

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


def accept_language(request) -> str:
    """The best of ``settings.LANGUAGES`` for the request's ``Accept-Language`` header, else
    the platform's language (English): the cookie and the session play no part."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return translation.get_supported_language_variant(settings.LANGUAGE_CODE)


class UserLanguageMiddleware:
    """Which language a response speaks. After ``LocaleMiddleware`` (which chose by the
    language cookie, else ``Accept-Language``: anonymous pages) and ``AuthenticationMiddleware``:

    - **the API** (``/api/``): ``Accept-Language`` only, English without it. A client's
      token, its user's profile language and a browser's language cookie do not change it,
      so existing clients keep the original English error texts word for word.
    - **a signed-in user's pages**: their ``User.language``.
    - anything else: as ``LocaleMiddleware`` chose.

    Costs no query: the user is loaded with the session anyway."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = None
        if request.path_info.startswith("/api/"):
            language = accept_language(request)
        else:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                language = getattr(user, "language", "") or None
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
