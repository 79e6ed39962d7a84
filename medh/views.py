"""Views of the project itself, outside any app."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    """``/favicon.ico``: the vendored icon (static/favicon.ico, under 3 KB), for the browsers
    and pages that ask there rather than for the icon the site's pages link (the Django
    admin's)."""
    path = finders.find("favicon.ico")
    if path is None:  # a deployment without the project's static folder
        raise Http404("No favicon")
    return HttpResponse(Path(path).read_bytes(), content_type="image/x-icon")
