"""Admin for courses and batches. Every write goes through ``allocation.services``.

How a refusal reaches the page: the forms call the validators the services use, so most
mistakes show next to their field before anything is written. The write itself happens in
``save_model``/``save_related`` by calling the service; a ``DomainError`` it raises there (a
rule it checks under its locks, or a lost race) is handled by ``ServiceAdminMixin``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse

from medh.accounts.models import User
from medh.errors import DomainError

from .admin_forms import (
    BatchAdminForm,
    CourseAdminForm,
    InstructorChoiceField,
    ScheduleSlotFormSet,
)
from .models import Batch, Course, ScheduleSlot
from .services import (
    BATCH_UPDATABLE_FIELDS,
    batch_create,
    batch_delete,
    batch_update,
    course_create,
)

# Set on the request when a service refused the first attempt at saving the POST.
REFUSAL_ATTR = "_medh_service_refusal"


class ServiceAdminMixin:
    """Turns a service's refusal at save time into a form error on a re-rendered page.

    Django runs a POST to the add/change view inside ``transaction.atomic``. A DomainError
    raised by the service in ``save_model``/``save_related`` leaves that block, so everything
    the request wrote (the service's rows, the log entry) is rolled back. The view then runs
    once more on the same POST with the refusal attached to the form (``RefusalFormMixin``):
    the form is invalid, so nothing is saved, and the page comes back with status 200 and the
    service's message next to the field it names.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as refusal:
            if request.method != "POST" or hasattr(request, REFUSAL_ATTR):
                raise
            setattr(request, REFUSAL_ATTR, refusal)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # modelform_factory builds a new class on every call: this never leaks to other requests.
        form.refusal = getattr(request, REFUSAL_ATTR, None)
        return form


def adopt_saved(target, saved) -> None:
    """Copy the row a service saved onto the admin's form instance.

    The admin logs and redirects using the object it built from the form, so that object
    must carry the primary key and generated values (e.g. the batch code) of the saved row.
    """
    for field in type(saved)._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


@admin.register(Course)
class CourseAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = CourseAdminForm
    list_display = ("code", "title", "batch_count")
    search_fields = ("code", "title")
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        # One query for the whole page rather than one count per row.
        return super().get_queryset(request).annotate(batch_count=Count("batches"))

    @admin.display(description="batches", ordering="batch_count")
    def batch_count(self, course):
        return course.batch_count

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("code", "title", "description")
        return ("code", "title", "description", "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        # The code is normalised by course_create and prefixes every batch code; there is no
        # service to change it, so the admin does not either.
        return ("code", *self.readonly_fields) if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            # Title and description only, validated by the model form: no service owns them.
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        adopt_saved(
            obj,
            course_create(
                code=data["code"], title=data["title"], description=data.get("description", "")
            ),
        )


class ScheduleSlotInline(admin.TabularInline):
    """The batch's weekly slots. Saved by the batch service, never by the formset."""

    model = ScheduleSlot
    formset = ScheduleSlotFormSet
    extra = 2


# Fields of the batch form, in order; the record fields are shown on the change page only.
BATCH_FIELDS = (
    "batch_name",
    "batch_code",
    "course",
    "status",
    ("start_date", "end_date"),
    ("capacity", "enrolled_students"),
    "assigned_instructor",
    "batch_notes",
)
BATCH_RECORD_FIELDS = ("created_by", "created_at", "updated_at")
BATCH_CREATE_FIELDS = (
    "batch_name",
    "batch_code",
    "status",
    "start_date",
    "end_date",
    "capacity",
    "assigned_instructor",
    "batch_notes",
)


@admin.register(Batch)
class BatchAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = BatchAdminForm
    inlines = (ScheduleSlotInline,)
    list_display = (
        "batch_code",
        "batch_name",
        "course",
        "status",
        "start_date",
        "end_date",
        "fill",
        "available_spots",
        "assigned_instructor",
    )
    list_filter = ("course", "status")
    search_fields = ("batch_code", "batch_name", "assigned_instructor__email")
    list_select_related = ("course", "assigned_instructor")

    @admin.display(description="fill")
    def fill(self, batch):
        return f"{batch.enrolled_students}/{batch.capacity}"

    @admin.display(description="available spots")
    def available_spots(self, batch):
        return batch.available_spots

    def get_fields(self, request, obj=None):
        return BATCH_FIELDS + (BATCH_RECORD_FIELDS if obj else ())

    def get_readonly_fields(self, request, obj=None):
        # The counter belongs to the enrollment services; the course is fixed once the batch
        # exists (batch_update refuses to change it).
        fixed = ("enrolled_students", *BATCH_RECORD_FIELDS)
        return ("course", *fixed) if obj else fixed

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_instructor":
            kwargs.setdefault("queryset", User.objects.instructors())
            kwargs["form_class"] = InstructorChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        field = form.base_fields.get("assigned_instructor")
        if obj is not None and field is not None:
            # Keep showing the current instructor even if they lost the role since; the
            # service only checks the role of an instructor being assigned.
            field.queryset = field.queryset | User.objects.filter(pk=obj.assigned_instructor_id)
        return form

    def get_actions(self, request):
        # Deleting goes through batch_delete one batch at a time (see delete_model).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        """Nothing here: the batch and its schedule are written together in save_related."""

    def save_related(self, request, form, formsets, change):
        schedule = next((fs for fs in formsets if isinstance(fs, ScheduleSlotFormSet)), None)
        data = form.cleaned_data
        if change:
            changes = {
                name: data[name] for name in form.changed_data if name in BATCH_UPDATABLE_FIELDS
            }
            slots = schedule.slots() if schedule is not None and schedule.has_changed() else None
            if changes or slots is not None:
                adopt_saved(
                    form.instance, batch_update(batch=form.instance, schedule=slots, **changes)
                )
        else:
            batch = batch_create(
                course=data["course"],
                created_by=request.user,
                schedule=schedule.slots() if schedule is not None else (),
                **{name: data[name] for name in BATCH_CREATE_FIELDS if name in data},
            )
            adopt_saved(form.instance, batch)
        if schedule is not None:
            schedule.record_saved()

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as refusal:
            # Raised by batch_delete inside the view's transaction, which has rolled back.
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:allocation_batch_change", args=(quote(object_id),))
            )

    def delete_model(self, request, obj):
        batch_delete(batch=obj)
