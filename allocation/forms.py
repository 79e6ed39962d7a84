"""Forms of the allocation pages: they parse input; the services decide what is allowed.

A refusal from a service (``DomainError``) is shown on the form that caused it with
``add_domain_error``: on the field it names when the form has that field, above the form
otherwise.
"""

import datetime as dt

from django import forms

from medh.accounts.models import User
from medh.errors import DomainError
from trainers.services import Window

from .models import AssignmentType, Batch, RosterRole, RosterStatus, StaffRole, Weekday


class DomainErrorFormMixin:
    # Service field names that this form calls differently, e.g. the batch's
    # ``assigned_instructor`` is this form's ``instructor``.
    field_aliases: dict[str, str] = {}

    def add_domain_error(self, exc: DomainError) -> None:
        field = self.field_aliases.get(exc.field, exc.field)
        self.add_error(field if field in self.fields else None, exc.message)


class InstructorChoiceField(forms.ModelChoiceField):
    """Active users with the instructor role, listed by name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", User.objects.instructors())
        kwargs.setdefault("empty_label", "Choose an instructor…")
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

    instructor = InstructorChoiceField(label="New primary instructor")


class MentorAssignForm(DomainErrorFormMixin, forms.Form):
    instructor = InstructorChoiceField()
    assignment_type = forms.ChoiceField(
        label="Type", choices=AssignmentType.choices, initial=AssignmentType.MENTOR
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MentorReassignForm(DomainErrorFormMixin, forms.Form):
    instructor = InstructorChoiceField(label="New instructor")
    assignment_type = forms.ChoiceField(
        label="Type",
        choices=[("", "Keep the current type"), *AssignmentType.choices],
        required=False,
    )
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Leave empty to keep the current notes.",
    )
    reason = forms.CharField(required=False, max_length=300, label="Reason for the change")

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
    reason = forms.CharField(required=False, max_length=300, label="Reason")


class MentoringSessionForm(DomainErrorFormMixin, forms.Form):
    session_date = forms.DateField(widget=DateInput, initial=dt.date.today)
    duration_minutes = forms.IntegerField(label="Duration (minutes)", initial=60)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    follow_up_date = forms.DateField(required=False, widget=DateInput)


# --- course rosters and batch staffing --------------------------------------------------------


class WorkloadPercentField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Workload %")
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
    (StaffRole.ASSISTANT, "Add as assistant"),
    (StaffRole.BACKUP, "Add as backup"),
    (STAFFING_REMOVE, "Remove from the batch"),
]


class BatchStaffingForm(DomainErrorFormMixin, forms.Form):
    """Change one trainer's role on one of the course's batches.

    Any instructor may be chosen: the services say who may not staff the batch (someone not
    on the roster, on leave, at their cap, with a conflict) and why.
    """

    field_aliases = {"assigned_instructor": "trainer"}

    batch = forms.ModelChoiceField(queryset=Batch.objects.none(), empty_label="Choose a batch…")
    trainer = InstructorChoiceField(label="Trainer", empty_label="Choose a trainer…")
    action = forms.ChoiceField(choices=STAFFING_ACTIONS)

    def __init__(self, *args, course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = course.batches.order_by("start_date", "batch_code")


class SupervisingLeadForm(DomainErrorFormMixin, forms.Form):
    field_aliases = {"supervising_lead": "lead"}

    lead = InstructorChoiceField(required=False, empty_label="No supervising lead")


# --- leave and substitute cover ------------------------------------------------------------


class LeaveForm(DomainErrorFormMixin, forms.Form):
    trainer = InstructorChoiceField()
    start_date = forms.DateField(label="First day", widget=DateInput)
    end_date = forms.DateField(label="Last day", widget=DateInput)
    reason = forms.CharField(required=False, max_length=300)


class CoverAssignForm(DomainErrorFormMixin, forms.Form):
    """A cover as the leave page proposes it (hidden inputs); the absent trainer is the
    leave's."""

    batch = forms.ModelChoiceField(queryset=Batch.objects.all())
    substitute = InstructorChoiceField()
    start_date = forms.DateField()
    end_date = forms.DateField()


# --- batch notes and availability ----------------------------------------------------------


class BatchNoteForm(DomainErrorFormMixin, forms.Form):
    body = forms.CharField(
        label="Note",
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": "Handover, progress, anything the next trainer should know",
            }
        ),
    )


class TimeInput(forms.TimeInput):
    """The browser's time picker, which reads and writes HH:MM."""

    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class AvailabilityWindowForm(forms.Form):
    day = forms.TypedChoiceField(
        choices=[("", "Choose a day…"), *Weekday.choices], coerce=int, empty_value=None
    )
    start_time = forms.TimeField(label="From", widget=TimeInput)
    end_time = forms.TimeField(label="Until", widget=TimeInput)


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
