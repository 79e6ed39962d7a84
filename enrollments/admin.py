"""Admin for enrollments. Every write goes through ``enrollments.services``.

Adding calls ``enrollment_create``; the change form edits only the status
(``enrollment_set_status``) and the batch (``enrollment_transfer``). Enrollments are history:
they are cancelled, never deleted. A service's refusal is shown as a form error on the
re-rendered page (``allocation.admin.ServiceAdminMixin``), with nothing stored.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy

from allocation.models import Batch
from core.admin_history import AuditHistoryAdmin
from core.admin_support import KeySafeAutocompleteMixin, ServiceAdminMixin, adopt_saved
from core.errors import DomainError

from .admin_forms import ENROLLMENT_ADD_FIELDS, EnrollmentAddForm, EnrollmentChangeForm
from .models import Enrollment, EnrollmentSource, EnrollmentStatus
from .services import (
    Payment,
    enrollment_cancel,
    enrollment_create,
    enrollment_set_status,
    enrollment_transfer,
)

ENROLLMENT_CHANGE_FIELDS = (
    "student",
    "course",
    "batch",
    "enrollment_type",
    "status",
    "enrollment_date",
    "status_changed_at",
    "access_expiry_date",
    "enrollment_source",
    "payment_amount",
    "payment_currency",
    "payment_method_label",
    "payment_status",
    "transaction_id",
    "created_at",
    "updated_at",
)


@admin.register(Enrollment)
class EnrollmentAdmin(KeySafeAutocompleteMixin, ServiceAdminMixin, AuditHistoryAdmin):
    list_display = ("student", "course", "batch", "enrollment_type", "status", "enrollment_date")
    list_filter = ("status", "enrollment_type", "course")
    search_fields = ("student__email", "batch__batch_code")
    list_select_related = ("student", "course", "batch")
    autocomplete_fields = ("student",)
    actions = ("cancel_enrollments",)

    def get_fields(self, request, obj=None):
        return ENROLLMENT_CHANGE_FIELDS if obj else ENROLLMENT_ADD_FIELDS

    @admin.display(description=gettext_lazy("payment method"))
    def payment_method_label(self, enrollment):
        return enrollment.payment_method_label

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        editable = {"status", "batch"} if obj.batch_id else {"status"}
        return tuple(name for name in ENROLLMENT_CHANGE_FIELDS if name not in editable)

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = EnrollmentChangeForm if obj else EnrollmentAddForm
        form = super().get_form(request, obj, **kwargs)
        batch = form.base_fields.get("batch")
        if obj is not None and batch is not None:
            # A transfer stays within the course; the service checks the rest (open, seats).
            batch.queryset = Batch.objects.filter(course_id=obj.course_id)
            batch.required = True
        return form

    def get_changeform_initial_data(self, request):
        return {
            "enrollment_source": EnrollmentSource.ADMIN,
            **super().get_changeform_initial_data(request),
        }

    def has_delete_permission(self, request, obj=None):
        # Enrollments are history, and deleting an active one would desynchronise the batch's
        # seat counter: cancel instead.
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = enrollment_create(
                student=data["student"],
                course=data["course"],
                batch=data.get("batch"),
                enrollment_type=data.get("enrollment_type") or None,
                enrollment_source=data["enrollment_source"],
                access_expiry_date=data.get("access_expiry_date"),
                payment=Payment(
                    amount=data.get("payment_amount"),
                    currency=data.get("payment_currency", ""),
                    payment_method=data.get("payment_method", ""),
                    payment_status=data.get("payment_status", ""),
                    transaction_id=data.get("transaction_id", ""),
                ),
            )
            adopt_saved(obj, saved)
            return
        saved = None
        new_status = data.get("status") if "status" in form.changed_data else None
        # Only an active enrollment can be transferred: activate before moving it, cancel (or
        # otherwise end) it after.
        if new_status == EnrollmentStatus.ACTIVE:
            saved = enrollment_set_status(enrollment=obj, status=new_status)
        if "batch" in form.changed_data:
            saved = enrollment_transfer(enrollment=obj, to_batch=data["batch"])
        if new_status and new_status != EnrollmentStatus.ACTIVE:
            saved = enrollment_set_status(enrollment=obj, status=new_status)
        if saved is not None:
            adopt_saved(obj, saved)

    @admin.action(description=gettext_lazy("Cancel selected enrollments"), permissions=["change"])
    def cancel_enrollments(self, request, queryset):
        cancelled = 0
        for enrollment in queryset.select_related("student", "course", "batch").order_by("pk"):
            try:
                enrollment_cancel(enrollment=enrollment)
            except DomainError as refusal:
                self.message_user(request, f"{enrollment}: {refusal}", messages.ERROR)
            else:
                cancelled += 1
        if cancelled:
            self.message_user(request, f"Cancelled {cancelled} enrollment(s).", messages.SUCCESS)
