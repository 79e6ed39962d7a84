"""Forms of the allocation pages: they parse input; the services decide what is allowed.

A refusal from a service (``DomainError``) is shown on the form that caused it with
``add_domain_error``: on the field it names when the form has that field, above the form
otherwise.
"""

import datetime as dt
from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core import dates
from core.errors import DomainError
from core.forms import DomainErrorFormMixin, KeySafeModelMultipleChoiceField
from core.languages import languages_form_field
from core.timezones import default_time_zone, validate_time_zone
from core.widgets import LongSelect
from trainers.models import Skill
from trainers.services import Window

from .models import (
    DAY_PART_HOURS,
    TEXT_MAX_LENGTH,
    AssignmentType,
    Batch,
    BatchStatus,
    ClassSession,
    Course,
    DayPart,
    RosterRole,
    RosterStatus,
    StaffRole,
    Weekday,
)
from .services import BATCH_UPDATABLE_FIELDS, Slot, batch_field_refusals, schedule_refusals


class InstructorChoiceField(forms.ModelChoiceField):
    """Active users with the instructor role, listed by name."""

    widget = LongSelect

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", User.objects.instructors())
        kwargs.setdefault("empty_label", gettext("Choose an instructor…"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


class DateInput(forms.DateInput):
    """The browser's date picker, which reads and writes ISO dates."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class BatchAssignInstructorForm(DomainErrorFormMixin, forms.Form):
    field_aliases = {"assigned_instructor": "instructor"}

    instructor = InstructorChoiceField(label=gettext_lazy("New primary instructor"))

    def offer(self, instructors: Iterable[User]) -> None:
        """List ``instructors``, already loaded by the page (its candidates), as the choices
        instead of reading every instructor again (hundreds of rows); a posted choice is
        still checked against the field's queryset."""
        field = self.fields["instructor"]
        field.choices = [
            ("", field.empty_label),
            *((user.pk, field.label_from_instance(user)) for user in instructors),
        ]


class MentorAssignForm(DomainErrorFormMixin, forms.Form):
    instructor = InstructorChoiceField()
    assignment_type = forms.ChoiceField(
        label=gettext_lazy("Type"), choices=AssignmentType.choices, initial=AssignmentType.MENTOR
    )
    notes = forms.CharField(
        required=False, max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class MentorReassignForm(DomainErrorFormMixin, forms.Form):
    instructor = InstructorChoiceField(label=gettext_lazy("New instructor"))
    assignment_type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[("", gettext_lazy("Keep the current type")), *AssignmentType.choices],
        required=False,
    )
    notes = forms.CharField(
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Leave empty to keep the current notes."),
    )
    reason = forms.CharField(
        required=False, max_length=300, label=gettext_lazy("Reason for the change")
    )

    def service_kwargs(self) -> dict:
        """Empty type and notes mean "carry over", which the service does when given None."""
        data = self.cleaned_data
        return {
            "instructor": data["instructor"],
            "assignment_type": data["assignment_type"] or None,
            "notes": data["notes"] or None,
            "reason": data["reason"],
        }


class MentorUnassignForm(DomainErrorFormMixin, forms.Form):
    reason = forms.CharField(required=False, max_length=300, label=gettext_lazy("Reason"))


class StudentNeedsForm(DomainErrorFormMixin, forms.Form):
    """What a student needs of a mentor; times are read in the student's own zone."""

    skills = KeySafeModelMultipleChoiceField(
        queryset=Skill.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Skills"),
    )
    languages = languages_form_field(label=_("Preferred languages"))
    preferred_days = forms.TypedMultipleChoiceField(
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Preferred days"),
    )
    day_parts = forms.MultipleChoiceField(
        choices=[
            (part, f"{label} ({DAY_PART_HOURS[part][0]:%H:%M}–{DAY_PART_HOURS[part][1]:%H:%M})")
            for part, label in DayPart.choices
        ],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Parts of the day"),
    )
    notes = forms.CharField(required=False, max_length=500, label=_("Notes"))

    @classmethod
    def initial_of(cls, needs) -> dict:
        if needs is None:
            return {}
        return {
            "skills": list(needs.skills.all()),
            "languages": needs.languages,
            "preferred_days": needs.preferred_days,
            "day_parts": needs.day_parts,
            "notes": needs.notes,
        }


class MentoringSessionForm(DomainErrorFormMixin, forms.Form):
    session_date = forms.DateField(widget=DateInput, initial=dates.today)
    duration_minutes = forms.IntegerField(label=gettext_lazy("Duration (minutes)"), initial=60)
    notes = forms.CharField(
        required=False, max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    follow_up_date = forms.DateField(required=False, widget=DateInput)
    booking = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Booked session"),
        help_text=_("The 1:1 booking this session was; it is then counted as held."),
    )

    def __init__(self, *args, bookings=None, **kwargs):
        super().__init__(*args, **kwargs)
        from allocation.models import MentorBooking

        field = self.fields["booking"]
        field.queryset = bookings if bookings is not None else MentorBooking.objects.none()
        field.label_from_instance = _booking_label
        if bookings is None:
            del self.fields["booking"]


def _booking_label(booking) -> str:
    from django.utils import timezone as django_timezone

    local = django_timezone.localtime(booking.start_at)
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()} ({booking.minutes} min)"


# --- course rosters and batch staffing --------------------------------------------------------


class WorkloadPercentField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext("Workload %"))
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 100)
        super().__init__(**kwargs)


class RosterAddForm(DomainErrorFormMixin, forms.Form):
    trainer = InstructorChoiceField()
    role = forms.ChoiceField(choices=RosterRole.choices, initial=RosterRole.ASSISTANT)
    workload_percent = WorkloadPercentField(initial=0)
    status = forms.ChoiceField(choices=RosterStatus.choices, initial=RosterStatus.ACTIVE)


class RosterEntryForm(DomainErrorFormMixin, forms.Form):
    role = forms.ChoiceField(choices=RosterRole.choices)
    workload_percent = WorkloadPercentField()
    status = forms.ChoiceField(choices=RosterStatus.choices)

    @classmethod
    def for_entry(cls, entry, data=None) -> "RosterEntryForm":
        """The form of one roster row, with ids of its own (the roster page shows many)."""
        return cls(
            data,
            initial={
                "role": entry.role,
                "workload_percent": entry.workload_percent,
                "status": entry.status,
            },
            auto_id=f"id_entry{entry.pk}_%s",
        )


# What the staffing form can do to one trainer on one batch: each action is one service.
STAFFING_REMOVE = "remove"
STAFFING_ACTIONS = [
    (StaffRole.PRIMARY, "Make primary"),
    (StaffRole.ASSISTANT, gettext_lazy("Add as assistant")),
    (StaffRole.BACKUP, gettext_lazy("Add as backup")),
    (STAFFING_REMOVE, gettext_lazy("Remove from the batch")),
]


class BatchStaffingForm(DomainErrorFormMixin, forms.Form):
    """Change one trainer's role on one of the course's batches.

    Any instructor may be chosen: the services say who may not staff the batch (someone not
    on the roster, on leave, at their cap, with a conflict) and why.
    """

    field_aliases = {"assigned_instructor": "trainer"}

    batch = forms.ModelChoiceField(
        queryset=Batch.objects.none(), empty_label=gettext_lazy("Choose a batch…")
    )
    trainer = InstructorChoiceField(
        label=gettext_lazy("Trainer"), empty_label=gettext_lazy("Choose a trainer…")
    )
    action = forms.ChoiceField(choices=STAFFING_ACTIONS)

    def __init__(self, *args, course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = course.batches.order_by("start_date", "batch_code")


class SupervisingLeadForm(DomainErrorFormMixin, forms.Form):
    field_aliases = {"supervising_lead": "lead"}

    lead = InstructorChoiceField(required=False, empty_label=gettext_lazy("No supervising lead"))


# --- leave and substitute cover ------------------------------------------------------------


class LeaveForm(DomainErrorFormMixin, forms.Form):
    trainer = InstructorChoiceField()
    start_date = forms.DateField(label=gettext_lazy("First day"), widget=DateInput)
    end_date = forms.DateField(label=gettext_lazy("Last day"), widget=DateInput)
    reason = forms.CharField(required=False, max_length=300)


class CoverAssignForm(DomainErrorFormMixin, forms.Form):
    """A cover as the leave page proposes it: a batch, a substitute and the chosen sessions
    of that batch; the absent trainer is the leave's."""

    batch = forms.ModelChoiceField(queryset=Batch.objects.all())
    substitute = InstructorChoiceField(
        error_messages={
            "required": gettext_lazy("Choose who covers"),
            "invalid_choice": gettext_lazy("Choose who covers"),
        }
    )
    sessions = forms.ModelMultipleChoiceField(
        queryset=ClassSession.objects.select_related("batch"),
        error_messages={"required": gettext_lazy("Choose the sessions to cover")},
    )

    def clean(self):
        data = super().clean()
        batch, sessions = data.get("batch"), data.get("sessions")
        if batch is not None and sessions and any(s.batch_id != batch.pk for s in sessions):
            raise forms.ValidationError(gettext("The sessions to cover must be of this batch"))
        return data


# --- batch notes and availability ----------------------------------------------------------


class BatchNoteForm(DomainErrorFormMixin, forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": gettext_lazy(
                    "Handover, progress, anything the next trainer should know"
                ),
            }
        ),
    )


class TimeInput(forms.TimeInput):
    """A 24-hour ``HH:MM`` text box, as the site writes every time.

    Not ``<input type="time">``: its look follows the browser's locale, so an English
    browser shows "02:00 PM" (clipped to "02:00 PN" in a narrow column) on a site that
    otherwise reads 14:00. The pattern lets the browser flag a malformed time; the
    ``TimeField`` still checks it on the server.
    """

    input_type = "text"
    PATTERN = r"([01][0-9]|2[0-3]):[0-5][0-9]"

    def __init__(self, attrs=None):
        attrs = {
            "pattern": self.PATTERN,
            "inputmode": "numeric",
            "placeholder": "HH:MM",
            "maxlength": "5",
            "size": "5",
            "autocomplete": "off",
            "title": "24-hour time, e.g. 09:30 or 18:00",
            **(attrs or {}),
        }
        super().__init__(attrs=attrs, format="%H:%M")


class AvailabilityWindowForm(forms.Form):
    day = forms.TypedChoiceField(
        choices=[("", gettext_lazy("Choose a day…")), *Weekday.choices],
        coerce=int,
        empty_value=None,
    )
    start_time = forms.TimeField(label=gettext_lazy("From"), widget=TimeInput)
    end_time = forms.TimeField(label=gettext_lazy("Until"), widget=TimeInput)


class BaseAvailabilityFormSet(forms.BaseFormSet):
    def windows(self) -> list[Window]:
        """The windows of the filled-in rows not marked for deletion (none: always available)."""
        return [
            Window(**{name: form.cleaned_data[name] for name in ("day", "start_time", "end_time")})
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def add_domain_error(self, exc: DomainError) -> None:
        # The service names no row, so its refusal is shown above them all.
        self.non_form_errors().append(exc.message)


AvailabilityFormSet = forms.formset_factory(
    AvailabilityWindowForm, formset=BaseAvailabilityFormSet, extra=1, can_delete=True
)


# --- batch create/edit ---------------------------------------------------------------------


class BatchForm(DomainErrorFormMixin, forms.Form):
    """A batch's own fields; its weekly slots come from ``ScheduleFormSet`` beside it.

    On edit the course is shown but fixed: enrollments point at the batch's course.
    """

    # The services name the roster check's trainer "trainer"; here that is the instructor.
    field_aliases = {"trainer": "assigned_instructor"}

    course = forms.ModelChoiceField(
        queryset=Course.objects.order_by("title", "code"),
        empty_label=gettext_lazy("Choose a course…"),
        widget=LongSelect,
    )
    batch_name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    batch_code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("Leave blank to generate one from the course code and start month."),
    )
    status = forms.ChoiceField(choices=BatchStatus.choices, initial=BatchStatus.UPCOMING)
    start_date = forms.DateField(widget=DateInput)
    end_date = forms.DateField(widget=DateInput)
    capacity = forms.IntegerField(
        min_value=1,
        initial=20,
        error_messages={"min_value": gettext_lazy("Capacity must be at least 1")},
    )
    assigned_instructor = InstructorChoiceField(label=gettext_lazy("Primary instructor"))
    batch_notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    time_zone = forms.CharField(
        label=gettext_lazy("Time zone"),
        max_length=64,
        required=False,
        validators=[validate_time_zone],
        help_text=gettext_lazy(
            "IANA name, e.g. Europe/Berlin: the weekly slots are read in it. "
            "Blank: the platform's zone (a new batch) or unchanged."
        ),
    )
    default_room = forms.CharField(label=gettext_lazy("Room"), max_length=100, required=False)
    default_meeting_url = forms.URLField(
        label=gettext_lazy("Meeting link"), max_length=500, required=False, assume_scheme="https"
    )

    # Fields batch_update takes (all but the course), compared with the batch's values.
    UPDATABLE = tuple(sorted(BATCH_UPDATABLE_FIELDS))

    def __init__(self, *args, batch: Batch | None = None, **kwargs):
        self.batch = batch
        if batch is not None:
            kwargs.setdefault(
                "initial",
                {"course": batch.course_id}
                | {name: getattr(batch, name) for name in self.UPDATABLE},
            )
        super().__init__(*args, **kwargs)
        if batch is not None:
            self.fields["course"].disabled = True
            self.fields["course"].help_text = gettext("Fixed once the batch exists.")

    def clean(self):
        # The services' own checks of the dates and the capacity, all of them at once, so one
        # submit shows every input error (the service would stop at the first).
        data = super().clean()
        for refusal in batch_field_refusals(
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
            capacity=data.get("capacity"),
        ):
            if refusal.field not in self.errors:
                self.add_domain_error(refusal)
        return data

    def clean_time_zone(self) -> str:
        name = (self.cleaned_data.get("time_zone") or "").strip()
        if not name:
            return self.batch.time_zone if self.batch is not None else default_time_zone()
        return name

    def changes(self) -> dict:
        """The fields whose value differs from the batch's, for ``batch_update``."""
        return {
            name: self.cleaned_data[name]
            for name in self.UPDATABLE
            if self.cleaned_data[name] != getattr(self.batch, name)
        }


class ScheduleSlotForm(forms.Form):
    day = forms.TypedChoiceField(
        choices=[("", gettext_lazy("Choose a day…")), *Weekday.choices],
        coerce=int,
        empty_value=None,
    )
    start_time = forms.TimeField(label=gettext_lazy("From"), widget=TimeInput)
    end_time = forms.TimeField(label=gettext_lazy("Until"), widget=TimeInput)


SLOT_FIELDS = ("day", "start_time", "end_time")


class BaseScheduleFormSet(forms.BaseFormSet):
    def slots(self) -> list[Slot]:
        """The slots of the filled-in, valid rows not marked for deletion."""
        return [
            Slot(**{name: form.cleaned_data[name] for name in SLOT_FIELDS})
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and not form.cleaned_data.get("DELETE")
            and all(form.cleaned_data.get(name) is not None for name in SLOT_FIELDS)
        ]

    def clean(self):
        # The service's schedule checks (reversed slots, every overlapping pair), all shown
        # above the rows at once, together with the batch fields' errors beside them.
        super().clean()
        refusals = schedule_refusals(self.slots())
        if refusals:
            raise forms.ValidationError([refusal.message for refusal in refusals])

    def add_domain_error(self, exc: DomainError) -> None:
        # Overlaps and conflicts concern several rows (or other batches): shown above them all.
        self.non_form_errors().append(exc.message)


ScheduleFormSet = forms.formset_factory(
    ScheduleSlotForm, formset=BaseScheduleFormSet, extra=2, can_delete=True
)


def _parse_slot(text: str) -> Slot:
    """``day,HH:MM,HH:MM`` with the day as 0–6 (Monday = 0) or its English name."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 3:
        raise forms.ValidationError(
            gettext("Slot %(text)s is not day,HH:MM,HH:MM") % {"text": repr(text)}
        )
    day_text, start_text, end_text = parts
    names = {label.lower(): value for value, label in Weekday.choices}
    if day_text.isdigit() and int(day_text) in Weekday.values:
        day = int(day_text)
    elif day_text.lower() in names:
        day = names[day_text.lower()]
    else:
        raise forms.ValidationError(
            gettext("Slot %(text)s: unknown day %(day_text)s")
            % {"text": repr(text), "day_text": repr(day_text)}
        )
    try:
        # Only the time of day is kept: no naive datetime leaves this line.
        start, end = (
            dt.datetime.strptime(t, "%H:%M").time()  # noqa: DTZ007
            for t in (start_text, end_text)
        )
    except ValueError:
        raise forms.ValidationError(
            gettext("Slot %(text)s: times must be HH:MM") % {"text": repr(text)}
        ) from None
    if not start < end:
        raise forms.ValidationError(
            gettext("Slot %(text)s: the end time must be after the start time")
            % {"text": repr(text)}
        )
    return Slot(day=day, start_time=start, end_time=end)


class BatchConflictQueryForm(forms.Form):
    """The conflict check's query string: an instructor, a date range, slots, and the batch
    being edited (whose own slots never clash with themselves)."""

    instructor = InstructorChoiceField(
        error_messages={
            "required": "instructor is required",
            "invalid_choice": "instructor is not an active instructor",
        }
    )
    start_date = forms.DateField(error_messages={"required": "start_date is required"})
    end_date = forms.DateField(error_messages={"required": "end_date is required"})
    exclude = forms.ModelChoiceField(
        queryset=Batch.objects.all(),
        required=False,
        error_messages={"invalid_choice": "exclude is not a batch"},
    )
    status = forms.ChoiceField(choices=BatchStatus.choices, required=False)
    time_zone = forms.CharField(required=False, max_length=64, validators=[validate_time_zone])

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            raise forms.ValidationError(gettext("end_date is before start_date"))
        data["slots"] = [_parse_slot(text) for text in self.data.getlist("slot") if text]
        return data

    def first_error(self) -> str:
        """One line for the JSON error: the first complaint, prefixed with its parameter."""
        for field, errors in self.errors.items():
            message = errors[0]
            if field == forms.forms.NON_FIELD_ERRORS or message.startswith(field):
                return message
            return f"{field}: {message}"
        return "invalid query"
