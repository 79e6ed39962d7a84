"""Forms for the allocation admin: input parsing and the services' own validators, no rules.

The batch form and its schedule inline call the validators ``batch_create``/``batch_update``
use (``validate_instructor``, ``schedule_refusals``), so their refusals show next to the
field at fault before anything is written. Whatever only the service can decide (under its
row locks) is shown through ``RefusalFormMixin``: see ``allocation.admin.ServiceAdminMixin``.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from accounts.models import User
from core.admin_support import RefusalFormMixin
from core.errors import DomainError

from .models import Batch, Course
from .services import Slot, schedule_refusals, validate_instructor


class InstructorChoiceField(forms.ModelChoiceField):
    """Offers the users who may teach; refuses anyone else with the service's own message.

    A plain ModelChoiceField answers "Select a valid choice" for a user outside its queryset,
    e.g. one who lost the instructor role after the page was opened. Asking
    ``validate_instructor`` about that user gives the message clients already know.
    """

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as invalid_choice:
            refusal = self._refusal_for(value)
            if refusal is None:
                raise
            raise ValidationError(refusal.message, code=refusal.code) from invalid_choice

    @staticmethod
    def _refusal_for(value) -> DomainError | None:
        try:
            user = User.objects.filter(pk=value).first()
        except (ValueError, TypeError, ValidationError):
            return None
        if user is None:
            return None
        try:
            validate_instructor(user)
        except DomainError as exc:
            return exc
        return None


class BatchAdminForm(RefusalFormMixin, forms.ModelForm):
    class Meta:
        model = Batch
        fields = (
            "batch_name",
            "batch_code",
            "course",
            "status",
            "start_date",
            "end_date",
            "capacity",
            "assigned_instructor",
            "batch_notes",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "batch_code" in self.fields:
            # Left blank, the service generates <course code>-<YYYY>-<MM>-<NN>.
            self.fields["batch_code"].required = False


class ScheduleSlotFormSet(BaseInlineFormSet):
    """The weekly slots of one batch, handed to the batch services as a list of ``Slot``."""

    def slots(self) -> list[Slot]:
        """Every filled-in row that is not marked for deletion (valid rows only)."""
        slots = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE") or any(
                data.get(name) is None for name in ("day", "start_time", "end_time")
            ):
                continue
            slots.append(
                Slot(day=data["day"], start_time=data["start_time"], end_time=data["end_time"])
            )
        return slots

    def clean(self):
        super().clean()
        refusals = schedule_refusals(self.slots())  # every fault at once, not the first
        if refusals:
            raise ValidationError([ValidationError(r.message, code=r.code) for r in refusals])

    def record_saved(self) -> None:
        """Fill in what the admin's change message reads.

        ``formset.save()`` normally sets these; here the batch service wrote the slots.
        """

        def deleted(form):
            return bool(form.cleaned_data.get("DELETE"))

        self.new_objects = [
            form.instance for form in self.extra_forms if form.has_changed() and not deleted(form)
        ]
        self.changed_objects = [
            (form.instance, form.changed_data)
            for form in self.initial_forms
            if form.has_changed() and not deleted(form)
        ]
        self.deleted_objects = [form.instance for form in self.initial_forms if deleted(form)]


class CourseAdminForm(RefusalFormMixin, forms.ModelForm):
    class Meta:
        model = Course
        fields = (
            "code",
            "title",
            "description",
            "enrollment_policy",
            "enrollment_opens_at",
            "enrollment_closes_at",
        )


class IndividualAssignmentAdminForm(RefusalFormMixin, forms.ModelForm):
    """Add form for an individual assignment; the write is ``individual_assign``."""

    instructor = InstructorChoiceField(queryset=User.objects.instructors())
    student = forms.ModelChoiceField(queryset=User.objects.students())

    class Meta:
        from .models import IndividualAssignment

        model = IndividualAssignment
        fields = ("student", "instructor", "assignment_type", "notes", "start_date")


class CourseTrainerAdminForm(RefusalFormMixin, forms.ModelForm):
    """Roster entry; the writes are ``roster_add`` / ``roster_update``."""

    trainer = InstructorChoiceField(queryset=User.objects.instructors())

    class Meta:
        from .models import CourseTrainer

        model = CourseTrainer
        fields = ("course", "trainer", "role", "workload_percent", "status")
