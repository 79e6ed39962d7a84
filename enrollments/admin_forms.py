"""Forms for the enrollment admin: what an admin may type, never what is allowed.

Whether an enrollment may be made, moved or change status is the services' decision; a
refusal comes back through ``allocation.admin.ServiceAdminMixin`` as a form error.
"""

from django import forms
from django.utils.translation import gettext_lazy

from core.admin_support import RefusalFormMixin

from .models import Enrollment, EnrollmentType

ENROLLMENT_ADD_FIELDS = (
    "student",
    "course",
    "batch",
    "enrollment_type",
    "enrollment_source",
    "access_expiry_date",
    "payment_amount",
    "payment_currency",
    "payment_method",
    "payment_status",
    "transaction_id",
)


class EnrollmentAddForm(RefusalFormMixin, forms.ModelForm):
    # Blank lets enrollment_create choose: "batch" when a batch is given, else "individual".
    enrollment_type = forms.ChoiceField(
        choices=[("", gettext_lazy("From the batch (batch, or individual without one)"))]
        + EnrollmentType.choices,
        required=False,
    )

    class Meta:
        model = Enrollment
        fields = ENROLLMENT_ADD_FIELDS


class EnrollmentChangeForm(RefusalFormMixin, forms.ModelForm):
    """Only the status (enrollment_set_status) and the batch (enrollment_transfer) change."""

    class Meta:
        model = Enrollment
        fields = ("status", "batch")
