"""Forms and filters of the enrollment pages (enrollments, waitlists, bulk imports): they
parse input; the services decide.

A refusal from a service (``DomainError``) is shown with ``add_domain_error``: on the field it
names when the form has that field, above the form otherwise. The console list's filter lives
here too, next to the forms it shares choice labels with.
"""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.forms import UserEmailField
from accounts.models import User
from allocation.models import Batch, Course, Weekday
from allocation.selectors import course_choices
from core.errors import DomainError
from core.forms import DomainErrorFormMixin
from core.ids import parse_id
from core.widgets import LongSelect

from .models import (
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    EnrollmentType,
    ImportMode,
    PaymentStatus,
)
from .seats import Payment
from .services.imports import MAX_BYTES, import_parse
from .services.placement import PART_OF_DAY_CHOICES


def student_label(user: User) -> str:
    return f"{user.full_name} ({user.email})" if user.full_name else user.email


def batch_label(batch: Batch) -> str:
    """Code, name, course and seats, e.g. ``GER-A1-2027-01 · Morning (GER-A1) · 3/10``."""
    return (
        f"{batch.batch_code} · {batch.batch_name} ({batch.course.code}) · "
        f"{batch.enrolled_students}/{batch.capacity}{' full' if batch.is_full else ''}"
    )


class StudentChoiceField(UserEmailField):
    """An active user who may be enrolled (student or corporate student), by email."""

    default_error_messages = {
        "invalid_choice": gettext_lazy("No active student has this email address.")
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", User.objects.students().filter(is_active=True))
        kwargs.setdefault("help_text", gettext("The student's email address."))
        super().__init__(**kwargs)
        self.widget.attrs["placeholder"] = "student@example.org"


class BatchChoiceField(forms.ModelChoiceField):
    widget = LongSelect

    def label_from_instance(self, obj: Batch) -> str:
        return batch_label(obj)


ALLOW_CLASH_LABEL = _("Enroll even if it clashes with the student's other classes")
ALLOW_CLASH_HELP = _(
    "An override on purpose: it is recorded in the audit trail. Leave it off to be told "
    "about a clash."
)


class EnrollmentCreateForm(DomainErrorFormMixin, forms.Form):
    """Enroll a student: in a batch, or individually when no batch is chosen."""

    student = StudentChoiceField()
    course = forms.ModelChoiceField(
        queryset=Course.objects.order_by("title"),
        empty_label=gettext_lazy("Choose a course…"),
        widget=LongSelect,
    )
    batch = BatchChoiceField(
        # Completed and Cancelled batches take no students, so they are not offered.
        queryset=Batch.objects.open().select_related("course").order_by("start_date", "pk"),
        required=False,
        empty_label=gettext_lazy("No batch: individual, or placed automatically"),
        help_text=gettext_lazy(
            "A batch of the chosen course. Leave empty for an individual enrollment, or "
            "with type Batch to place the student in the open batch that suits them."
        ),
    )
    enrollment_type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        # Blank lets enrollment_create choose: "batch" with a batch, else "individual".
        choices=[
            ("", gettext_lazy("From the batch (batch, or individual without one)")),
            *EnrollmentType.choices,
        ],
        required=False,
    )
    enrollment_source = forms.ChoiceField(
        label=gettext_lazy("Source"),
        choices=EnrollmentSource.choices,
        initial=EnrollmentSource.ADMIN,
    )
    payment_amount = forms.DecimalField(
        label=gettext_lazy("Amount"), max_digits=10, decimal_places=2, required=False
    )
    payment_currency = forms.CharField(
        label=gettext_lazy("Currency"),
        max_length=3,
        required=False,
        help_text=gettext_lazy("ISO code, e.g. EUR."),
    )
    payment_method = forms.CharField(label=gettext_lazy("Method"), max_length=30, required=False)
    payment_status = forms.ChoiceField(
        label=gettext_lazy("Payment status"),
        choices=[("", "—"), *PaymentStatus.choices],
        required=False,
    )
    transaction_id = forms.CharField(
        label=gettext_lazy("Transaction ID"), max_length=100, required=False
    )
    # Only for automatic placement (type Batch, no batch): see enrollments.services.placement.
    preferred_days = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Preferred days"),
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_times = forms.MultipleChoiceField(
        label=gettext_lazy("Preferred times"),
        choices=PART_OF_DAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Morning: before 12:00; afternoon: 12:00–17:00; evening: from 17:00."
        ),
    )
    allow_clash = forms.BooleanField(
        label=ALLOW_CLASH_LABEL, help_text=ALLOW_CLASH_HELP, required=False
    )

    def places_automatically(self) -> bool:
        """A batch enrollment without a batch: ``enrollment_place`` chooses it."""
        data = self.cleaned_data
        return data["batch"] is None and data["enrollment_type"] == EnrollmentType.BATCH

    def placement_kwargs(self) -> dict:
        """The keyword arguments of ``enrollment_place``."""
        kwargs = self.service_kwargs()
        del kwargs["batch"]
        kwargs["preferred_days"] = self.cleaned_data["preferred_days"]
        kwargs["preferred_times"] = self.cleaned_data["preferred_times"]
        return kwargs

    def service_kwargs(self) -> dict:
        """The keyword arguments of ``enrollment_create``."""
        data = self.cleaned_data
        return {
            "student": data["student"],
            "course": data["course"],
            "batch": data["batch"],
            "enrollment_type": data["enrollment_type"] or None,
            "enrollment_source": data["enrollment_source"],
            "allow_clash": data["allow_clash"],
            "payment": Payment(
                amount=data["payment_amount"],
                currency=data["payment_currency"].strip(),
                payment_method=data["payment_method"].strip(),
                payment_status=data["payment_status"],
                transaction_id=data["transaction_id"].strip(),
            ),
        }


class EnrollmentTransferForm(DomainErrorFormMixin, forms.Form):
    # enrollment_transfer names the target batch "batch".
    field_aliases = {"batch": "to_batch"}

    to_batch = BatchChoiceField(queryset=Batch.objects.none(), label=gettext_lazy("Move to batch"))
    allow_clash = forms.BooleanField(
        label=ALLOW_CLASH_LABEL, help_text=ALLOW_CLASH_HELP, required=False
    )

    def __init__(self, *args, targets, **kwargs):
        """``targets``: the batches offered (``selectors.transfer_targets``)."""
        super().__init__(*args, **kwargs)
        self.fields["to_batch"].queryset = targets.select_related("course")
        self.fields["to_batch"].empty_label = gettext("Choose a batch…")


class EnrollmentFilter(django_filters.FilterSet):
    """Filters ``selectors.enrollment_list()`` on the console's enrollment list."""

    q = django_filters.CharFilter(method="filter_q", label=gettext_lazy("Student name or email"))
    course = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Course"),
        queryset=course_choices(),
        empty_label=gettext_lazy("Any course"),
        widget=LongSelect,
    )
    # A code typed in, not a drop-down of every batch (5,000 options at scale); the id is
    # accepted too, for links.
    batch = django_filters.CharFilter(method="filter_batch", label=gettext_lazy("Batch code"))
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=EnrollmentStatus.choices,
        empty_label=gettext_lazy("Any status"),
    )
    enrollment_type = django_filters.ChoiceFilter(
        label=gettext_lazy("Type"),
        choices=EnrollmentType.choices,
        empty_label=gettext_lazy("Any type"),
    )

    class Meta:
        model = Enrollment
        fields = []

    def filter_batch(self, queryset, name, value):
        value = value.strip()
        pk = parse_id(value)
        if pk is not None:
            return queryset.filter(Q(batch_id=pk) | Q(batch__batch_code__iexact=value))
        return queryset.filter(batch__batch_code__iexact=value)

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(student__full_name__icontains=value) | Q(student__email__icontains=value)
        )


# --- waitlists -----------------------------------------------------------------------------------


class WaitlistFilter(django_filters.FilterSet):
    """Filters ``selectors.waitlist_batches()`` on the waitlist list page."""

    course = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Course"),
        queryset=course_choices(),
        empty_label=gettext_lazy("Any course"),
        widget=LongSelect,
    )

    class Meta:
        model = Batch
        fields = []


class WaitlistAddForm(DomainErrorFormMixin, forms.Form):
    """Put a student on this batch's waitlist."""

    student = StudentChoiceField()
    enrollment_type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        # An individual enrollment takes no seat, so it never waits for one.
        choices=[c for c in EnrollmentType.choices if c[0] != EnrollmentType.INDIVIDUAL],
        initial=EnrollmentType.BATCH,
    )
    enrollment_source = forms.ChoiceField(
        label=gettext_lazy("Source"),
        choices=EnrollmentSource.choices,
        initial=EnrollmentSource.ADMIN,
    )


class WaitlistEntryForm(forms.Form):
    """Which waiting entry of the batch to move or remove, and how to move it."""

    entry = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    direction = forms.ChoiceField(
        choices=[("up", gettext_lazy("Up")), ("down", gettext_lazy("Down"))], required=False
    )
    position = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)


# --- bulk imports --------------------------------------------------------------------------------

# Spreadsheets are the usual wrong upload: say what to do instead of "not UTF-8".
SPREADSHEET_SUFFIXES = (".xls", ".xlsx", ".xlsm", ".ods", ".numbers")


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=lazy(
            lambda: (
                gettext(
                    "UTF-8, with the header row email, full_name, course_code, batch_code, "
                    "enrollment_type; at most %(MAX_BYTES)s MB."
                )
                % {"MAX_BYTES": MAX_BYTES // (1024 * 1024)}
            ),
            str,
        )(),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("When some rows are invalid"),
        choices=ImportMode.choices,
        initial=ImportMode.VALID_ROWS,
        widget=forms.RadioSelect,
    )
    send_invitations = forms.BooleanField(
        label=_("Email new students an invitation"),
        required=False,
        initial=True,
        help_text=_("A link to choose their password; they cannot sign in without one."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.name.lower().endswith(SPREADSHEET_SUFFIXES):
            raise forms.ValidationError(
                gettext(
                    "This is a spreadsheet file, not a CSV. Save the sheet as “CSV UTF-8” and "
                    "upload that."
                )
            )
        # Check the size before reading: an oversized upload is refused without loading it.
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                gettext(
                    "The file is too large (%(size)s KB); the limit is %(MAX_BYTES)s MB. "
                    "Split it into several imports."
                )
                % {"size": upload.size // 1024, "MAX_BYTES": MAX_BYTES // (1024 * 1024)}
            )
        try:
            self.cleaned_data["rows"] = import_parse(data=upload.read())
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return upload


class RequestDecisionForm(forms.Form):
    """An admin's answer to a student's request (the console's requests page): approve, or
    decline with a reason; ``allow_clash`` overrides the student's own clash on approval.
    The service decides what is refused (a decline without a reason, a full batch...)."""

    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("decline", _("Decline"))], initial="decline"
    )
    reason = forms.CharField(max_length=500, required=False)
    allow_clash = forms.BooleanField(required=False)


class RequestNoteForm(forms.Form):
    """The optional note a student sends with a request for a place."""

    note = forms.CharField(max_length=500, required=False)


def form_errors(form: forms.Form) -> str:
    """A bound, invalid form's errors as one line for a flash message."""
    return " ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
