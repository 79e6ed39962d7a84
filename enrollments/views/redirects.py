"""Where a page sends the browser back to after a POST."""

from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request, default: str) -> str:
    """The ``next`` parameter when it points into this site, else ``default``.

    Answer it with ``HttpResponseRedirect``, not ``redirect()``: that would look a bare word
    ("next=abc") up as a URL name and fail.
    """
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
