"""Forms of the allocation pages: they parse input; the services decide what is allowed.

A refusal from a service (``DomainError``) is shown on the form that caused it with
``add_domain_error``: on the field it names when the form has that field, above the form
otherwise.
"""

import datetime as dt

from django import forms

from medh.accounts.models import User
from medh.errors import DomainError

from .models import AssignmentType


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
