"""Form fields about users, shared by the pages of every app."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import models
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from core.forms import DomainErrorFormMixin
from core.ids import parse_id
from core.timezones import available_time_zones

from .models import User
from .preferences import EMAIL_EVENT_GROUPS
from .services import password_reset_request


class UserEmailField(forms.ModelChoiceField):
    """A user of ``queryset``, typed as their email address; an id is accepted too (hidden
    inputs and links send one).

    A text box, not a drop-down: a list of every student (or every author of a change) puts
    the whole user table into each page (100,000 options at scale; bench/dashboards.py), where
    one lookup by the unique email is a single indexed query.
    """

    widget = forms.TextInput
    default_error_messages = {"invalid_choice": gettext_lazy("No user has this email address.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", gettext("Their email address."))
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"placeholder": "name@example.org", "autocomplete": "off", "spellcheck": "false"}
        )

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, User):
            value = value.pk
        text = str(value).strip()
        pk = parse_id(text)
        # Emails are stored lower-cased (UserManager), so the unique index answers. A NUL
        # character (PostgreSQL refuses it in any query) or an over-long text names no user.
        if pk is not None:
            lookup = {"pk": pk}
        elif "\x00" in text or len(text) > 254:
            lookup = None
        else:
            lookup = {"email": text.lower()}
        try:
            if lookup is None:
                raise User.DoesNotExist
            return self.queryset.get(**lookup)
        except User.DoesNotExist:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None

    def prepare_value(self, value):
        # Show the email in the box: for an initial User, or for an id sent by a hidden input.
        if isinstance(value, User):
            return value.email
        pk = parse_id(value.strip() if isinstance(value, str) else value)
        if pk is not None:
            user = self.queryset.filter(pk=pk).only("email").first()
            return user.email if user else value
        return value


# The login error. Django's says "both fields may be case-sensitive"; the email is not (it is
# stored and looked up lower-cased), only the password is.
MSG_INVALID_LOGIN = gettext_lazy(
    "This email address and password do not match an account. Check the password: it is "
    "case-sensitive (the email address is not)."
)


class LoginForm(AuthenticationForm):
    """Django's login form with an error message that is true here."""

    error_messages = {**AuthenticationForm.error_messages, "invalid_login": MSG_INVALID_LOGIN}


def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone, grouped by region for the drop-down: ("Europe", [("Europe/Berlin",
    "Berlin"), ...]); UTC first."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(available_time_zones()):
        region, _, place = name.partition("/")
        if not place or region in {"Etc", "SystemV", "US", "posixrules"}:
            continue  # aliases and legacy names: one spelling per place is enough
        groups.setdefault(region, []).append((name, place.replace("_", " ")))
    return [("UTC", "UTC"), *groups.items()]


class PasswordResetRequestForm(PasswordResetForm):
    """Django's "forgot password" form, queuing the email in the outbox instead of sending it
    from the request (``password_reset_request``). Whether the address has an account or
    not, the form does the same and the page says the same."""

    def save(self, **kwargs) -> None:
        # Django's save() renders and sends the email here, over SMTP; ours writes an outbox
        # row that the worker renders (with the link) and sends.
        password_reset_request(email=self.cleaned_data["email"])


class ProfileForm(DomainErrorFormMixin, forms.Form):
    """The user's own preferences: time zone, language and which notifications they get by
    email (``email_on``: the events ticked; the service stores the others as ``email_off``)."""

    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        help_text=gettext_lazy("Pages, emails and your calendar show times in this zone."),
    )
    # Optional, and so is the email section: a form posted without them (an older page, a
    # script) changes the time zone only.
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        required=False,
        help_text=_("Pages, emails and your calendar feed are in this language."),
    )
    # Says the "Email me about" checkboxes were on the page: an unticked box sends nothing.
    email_section = forms.BooleanField(required=False, initial=True, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for index, (group, entries) in enumerate(EMAIL_EVENT_GROUPS):
            self.fields[f"email_on_{index}"] = forms.MultipleChoiceField(
                label=group,
                choices=entries,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=[event for event, _label in entries if event not in self.email_off],
            )
        choices = time_zone_choices()
        initial = self.initial.get("time_zone")
        # A zone stored before the list changed (or a legacy alias) stays selectable.
        if initial and initial != "UTC" and all(initial not in dict(g) for _, g in choices[1:]):
            choices.append((initial, initial))
        self.fields["time_zone"].choices = choices

    @property
    def email_off(self) -> list[str]:
        return list(self.initial.get("email_off") or [])

    def email_fields(self):
        """The bound fields of the "Email me about" section."""
        return [self[name] for name in self.fields if name.startswith("email_on_")]

    def chosen_email_off(self) -> list[str] | None:
        """The events left unticked: the user's new ``email_off`` (None: not on the form)."""
        if not self.cleaned_data.get("email_section"):
            return None
        ticked = set()
        for name in self.fields:
            if name.startswith("email_on_"):
                ticked.update(self.cleaned_data.get(name) or ())
        return [
            event
            for _group, entries in EMAIL_EVENT_GROUPS
            for event, _label in entries
            if event not in ticked
        ]


class LanguageSwitchForm(forms.Form):
    """The navigation's language switch (its ``next`` is read by Django's ``set_language``)."""

    language = forms.ChoiceField(choices=settings.LANGUAGES)


class PeopleFilterForm(forms.Form):
    """The console's people list: search by name or email, and by whether they signed in."""

    NEVER, SIGNED_IN = "never", "yes"

    q = forms.CharField(label=_("Name or email"), required=False, max_length=254)
    signed_in = forms.ChoiceField(
        label=_("Signed in"),
        required=False,
        choices=[("", _("Anyone")), (NEVER, _("Never signed in")), (SIGNED_IN, _("Has signed in"))],
    )

    def filter(self, users):
        if not self.is_valid():
            return users
        if q := self.cleaned_data["q"].replace("\x00", "").strip():
            users = users.filter(models.Q(email__icontains=q) | models.Q(full_name__icontains=q))
        if self.cleaned_data["signed_in"] == self.NEVER:
            users = users.filter(last_login__isnull=True)
        elif self.cleaned_data["signed_in"] == self.SIGNED_IN:
            users = users.filter(last_login__isnull=False)
        return users
