"""Forms of the calendar pages: which month or week to show, and a session's cancel, move
and add, and the holiday form. They parse; the rules are in ``services.sessions`` and
``services.holidays``."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from core.forms import DomainErrorFormMixin
from core.timezones import zone

from .forms import DateInput, TimeInput
from .models import Batch, Course
from .session_times import interval

CALENDAR_VIEWS = (("month", gettext_lazy("Month")), ("week", gettext_lazy("Week")))


class CalendarQueryForm(forms.Form):
    """``?view=month|week&date=YYYY-MM-DD`` (default: this month, around today)."""

    view = forms.ChoiceField(choices=CALENDAR_VIEWS, required=False)
    date = forms.DateField(required=False, widget=DateInput)

    def clean_date(self):
        day = self.cleaned_data.get("date")
        # Python's dates end in year 9999; a month grid around it would run past.
        if day is not None and not (dt.date(1900, 1, 1) <= day <= dt.date(9000, 12, 31)):
            raise forms.ValidationError(gettext("Pick a date between 1900 and 9000."))
        return day


class SessionCancelForm(DomainErrorFormMixin, forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Trainer ill, building closed"}),
        help_text=gettext_lazy("Students and trainers are told, with this reason."),
    )


class SessionTimesForm(DomainErrorFormMixin, forms.Form):
    """A date and a wall-clock start and end, read in a zone the admin picks: the batch's
    (default) or their own. ``cleaned_data`` gains ``start_at`` and ``end_at`` (aware)."""

    date = forms.DateField(widget=DateInput)
    start = forms.TimeField(widget=TimeInput)
    end = forms.TimeField(widget=TimeInput)
    time_zone = forms.ChoiceField(label=gettext_lazy("Times are in"))
    reason = forms.CharField(max_length=300, required=False)

    field_aliases = {"start_at": "start", "end_at": "end"}

    def __init__(self, *args, batch: Batch, **kwargs):
        super().__init__(*args, **kwargs)
        zones = [batch.time_zone]
        viewer = timezone.get_current_timezone_name()
        if viewer not in zones:
            zones.append(viewer)
        self.fields["time_zone"].choices = [
            (name, f"{name} (the batch's)" if name == batch.time_zone else f"{name} (yours)")
            for name in zones
        ]
        self.fields["time_zone"].initial = batch.time_zone

    def clean(self):
        data = super().clean()
        day, start, end, name = (data.get(k) for k in ("date", "start", "end", "time_zone"))
        if day is None or start is None or end is None or not name:
            return data
        if end <= start:
            self.add_error("end", gettext("The end must be after the start (on the same day)."))
            return data
        try:
            zone(name)
            data["start_at"], data["end_at"] = interval(day, start, end, name)
        except (OverflowError, ValueError):
            self.add_error("date", gettext("Pick a date the calendar can hold."))
        return data


class SessionMoveForm(SessionTimesForm):
    pass


class SessionAddForm(SessionTimesForm):
    room = forms.CharField(max_length=100, required=False)
    meeting_url = forms.URLField(
        max_length=500, required=False, label=gettext_lazy("Meeting link"), assume_scheme="https"
    )


class HolidayForm(DomainErrorFormMixin, forms.Form):
    """A platform holiday (no course, no batch), or a closure of a course or of a batch."""

    name = forms.CharField(max_length=200)
    start_date = forms.DateField(label=gettext_lazy("First day"), widget=DateInput)
    end_date = forms.DateField(label=gettext_lazy("Last day"), widget=DateInput)
    # Codes, not drop-downs: a list of every course (or batch) would put the whole table
    # into the page (500 courses at 100× in bench/dashboards.py).
    course = forms.CharField(
        label=gettext_lazy("Course code"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("Close one course's batches only (its code); empty: every course."),
    )
    batch = forms.CharField(
        label=gettext_lazy("Batch code"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("Or close one batch only (its code)."),
    )

    def clean_course(self):
        code = self.cleaned_data.get("course", "").strip()
        if not code:
            return None
        course = Course.objects.filter(code__iexact=code).first()
        if course is None:
            raise forms.ValidationError(gettext("No course has this code."))
        return course

    def clean_batch(self):
        code = self.cleaned_data.get("batch", "").strip()
        if not code:
            return None
        batch = Batch.objects.filter(batch_code__iexact=code).first()
        if batch is None:
            raise forms.ValidationError(gettext("No batch has this code."))
        return batch

    def clean(self):
        data = super().clean()
        first, last = data.get("start_date"), data.get("end_date")
        if first and last and last < first:
            self.add_error("end_date", gettext("The last day cannot be before the first."))
        if data.get("course") and data.get("batch"):
            self.add_error("batch", gettext("Close a course or a batch, not both."))
        return data
