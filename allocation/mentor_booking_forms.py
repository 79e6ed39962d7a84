"""Forms of the 1:1 booking pages: a slot's start (as the slot buttons send it) and a reason.

They parse; ``allocation.services.mentor_bookings`` decides whether the time is free.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DomainErrorFormMixin


class InstantFormField(forms.Field):
    """An absolute time as ISO 8601 with its UTC offset ("2027-03-22T16:00:00+00:00")."""

    default_error_messages = {
        "invalid": _("Pick a time from the list of free slots."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not isinstance(value, str) or len(value) > 40:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            moment = dt.datetime.fromisoformat(value)
        except (ValueError, OverflowError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if moment.tzinfo is None or moment.utcoffset() is None or not 1900 < moment.year < 2200:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return moment.astimezone(dt.UTC)


class BookingSlotForm(DomainErrorFormMixin, forms.Form):
    field_aliases = {"student": "start", "instructor": "start"}

    start = InstantFormField(label=_("Time"), widget=forms.HiddenInput)


class BookingMoveForm(BookingSlotForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


class BookingCancelForm(DomainErrorFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)
