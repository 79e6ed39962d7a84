"""Form fields about users, shared by the pages of every app."""

from __future__ import annotations

from django import forms

from .models import User


class UserEmailField(forms.ModelChoiceField):
    """A user of ``queryset``, typed as their email address; an id is accepted too (hidden
    inputs and links send one).

    A text box, not a drop-down: a list of every student (or every author of a change) puts
    the whole user table into each page (100,000 options at scale; bench/dashboards.py), where
    one lookup by the unique email is a single indexed query.
    """

    widget = forms.TextInput
    default_error_messages = {"invalid_choice": "No user has this email address."}

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Their email address.")
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
        # Emails are stored lower-cased (UserManager), so the unique index answers; an id
        # longer than a bigint's digits, or a NUL character (PostgreSQL refuses it in any
        # query), can name no row.
        if "\x00" in text:
            lookup = None
        elif text.isdigit():
            lookup = {"pk": int(text)} if len(text) <= 18 else None
        else:
            lookup = {"email": text.lower()} if len(text) <= 254 else None
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
        text = str(value).strip() if isinstance(value, (int, str)) else ""
        if text.isdigit() and len(text) <= 18:
            user = self.queryset.filter(pk=int(text)).only("email").first()
            return user.email if user else value
        return value
