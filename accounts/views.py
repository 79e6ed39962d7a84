"""The home page, which sends each user to their role's landing page, logout, the user's
profile (time zone, language, email preferences), the language switch, and the password
reset and invitation pages (Django's own views with this site's templates and the outbox)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from accounts.access import admin_required, is_admin, is_instructor, is_learner
from accounts.context_processors import reverse_or_none
from accounts.forms import (
    LanguageSwitchForm,
    PasswordResetRequestForm,
    PeopleFilterForm,
    ProfileForm,
)
from accounts.models import User
from accounts.services import user_invite, user_profile_update
from accounts.tokens import invitation_tokens
from core.errors import DomainError
from core.web import csv_response, paginate, wants_csv

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
    """The user's own preferences: the time zone every page, email and feed shows times in,
    their language, and which notifications also come by email."""
    user = request.user
    initial = {"time_zone": user.time_zone, "language": user.language, "email_off": user.email_off}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user_profile_update(
                user=user,
                time_zone=form.cleaned_data["time_zone"],
                language=form.cleaned_data["language"] or None,
                email_off=form.chosen_email_off(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                gettext("Saved. Times are now shown in %(time_zone)s.")
                % {"time_zone": user.time_zone},
            )
            return redirect("profile")
    return render(request, "registration/profile.html", {"form": form})


@require_POST
def language_switch(request):
    """The navigation's language switch: a signed-in user's choice is saved on their profile
    (it follows them to every device, their emails and feed); for everyone, Django's
    ``set_language`` sets the language cookie and redirects back to ``next`` (a URL of this
    site only). An unknown language changes nothing."""
    form = LanguageSwitchForm(request.POST)
    if form.is_valid() and request.user.is_authenticated:
        user_profile_update(user=request.user, language=form.cleaned_data["language"])
    return set_language(request)


class PasswordResetView(auth_views.PasswordResetView):
    """ "Forgot password": the same page and message whether or not the email has an
    account; the email goes through the outbox (``PasswordResetRequestForm``)."""

    form_class = PasswordResetRequestForm


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invitation's link: choose a password and be signed in. Django's reset-confirm view
    with the invitation tokens (``INVITATION_TIMEOUT``); signing in (or the new password)
    makes every earlier invitation link invalid."""

    token_generator = invitation_tokens
    template_name = "registration/invitation_confirm.html"
    post_reset_login = True
    post_reset_login_backend = settings.AUTHENTICATION_BACKENDS[-1]
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Welcome! Your password is set and you are signed in."))
        return response


PEOPLE_CSV_HEADER = ["Name", "Email", "Roles", "Last signed in", "Last invited"]


@admin_required
@require_GET
def people_list(request):
    """Console: every account, with whether it ever signed in and when it was last invited;
    an account that never signed in can be invited (again). ``?format=csv`` downloads it."""
    form = PeopleFilterForm(request.GET or None)
    users = form.filter(User.objects.order_by("full_name", "email", "pk"))
    if wants_csv(request):
        rows = (
            [
                u.display_name,
                u.email,
                " ".join(u.roles),
                u.last_login.isoformat() if u.last_login else "",
                u.last_invited_at.isoformat() if u.last_invited_at else "",
            ]
            for u in users.iterator()
        )
        return csv_response("people.csv", PEOPLE_CSV_HEADER, rows)
    return render(
        request, "accounts/people_list.html", {"form": form, "page": paginate(request, users)}
    )


@admin_required
@require_POST
def people_invite(request, pk: int):
    """Console: send (again) the invitation of an account that never signed in."""
    user = get_object_or_404(User, pk=pk)
    try:
        user_invite(user=user, invited_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse_lazy("people:list")
    return redirect(back)
