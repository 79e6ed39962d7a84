"""The inbox: every logged-in user's notifications, newest first, and marking them read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_POST

from core.web import paginate

from . import services
from .models import Notification


@login_required
@require_GET
def inbox(request):
    """The user's notifications, 25 a page; ``?unread=1`` shows only the unread ones.
    An item the outbox worker has not rendered yet is rendered here (and stored)."""
    notifications = Notification.objects.filter(recipient=request.user).only(
        "pk", "subject", "body", "url", "created_at", "read_at", "event", "rendered_at"
    )
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        notifications = notifications.unread()
    page = paginate(request, notifications)
    services.notifications_render(notifications=page.object_list, recipient=request.user)
    return render(request, "notifications/inbox.html", {"page": page, "only_unread": only_unread})


@login_required
@require_POST
def mark_read(request, pk: int):
    """Mark one of the user's notifications read, then open its link (or the inbox).
    Another user's notification is a 404."""
    if not services.notification_mark_read(user=request.user, notification_id=pk):
        raise Http404(gettext("No such notification"))
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        # Not redirect(): it would look a bare word ("next=abc") up as a URL name and fail.
        return HttpResponseRedirect(target)
    return redirect("inbox:list")


@login_required
@require_POST
def mark_all_read(request):
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(
        request,
        ngettext(
            "Marked %(count)s notification as read.",
            "Marked %(count)s notifications as read.",
            count,
        )
        % {"count": count},
    )
    return redirect("inbox:list")
