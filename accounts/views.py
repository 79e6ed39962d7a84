"""The home page, which sends each user to their role's landing page, logout, and the
user's profile (their time zone)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from accounts.access import is_admin, is_instructor, is_learner
from accounts.context_processors import reverse_or_none
from accounts.forms import ProfileForm
from accounts.services import user_profile_update
from core.errors import DomainError

# Where each role lands, most privileged first. A user holding several roles goes to the
# first landing page that exists; pages not routed yet are skipped.
LANDING_PAGES = [
    (is_admin, ("console:dashboard", "admin:index")),
    (is_instructor, ("instructor:dashboard",)),
    (is_learner, ("student:schedule",)),
]


@login_required
def home(request):
    """Redirect to the user's landing page, or explain that there is nothing to see yet."""
    for has_role, url_names in LANDING_PAGES:
        if not has_role(request.user):
            continue
        for url_name in url_names:
            if (url := reverse_or_none(url_name)) is not None:
                return redirect(url)
    return render(request, "home.html")


class LogoutView(auth_views.LogoutView):
    """Django's POST-only logout, plus a message on the page it redirects to (the login)."""

    def post(self, request, *args, **kwargs):
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_logged_in:
            # Stored in the messages cookie: the session was just flushed.
            messages.info(request, gettext("You have been logged out."))
        return response


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The user's own preferences: the time zone every page, email and feed shows times in."""
    form = ProfileForm(request.POST or None, initial={"time_zone": request.user.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            user_profile_update(user=request.user, time_zone=form.cleaned_data["time_zone"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                gettext("Saved. Times are now shown in %(time_zone)s.")
                % {"time_zone": request.user.time_zone},
            )
            return redirect("profile")
    return render(request, "registration/profile.html", {"form": form})
