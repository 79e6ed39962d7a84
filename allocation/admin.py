"""Admin for courses and batches. Every write goes through ``allocation.services``.

How a refusal reaches the page: the forms call the validators the services use, so most
mistakes show next to their field before anything is written. The write itself happens in
``save_model``/``save_related`` by calling the service; a ``DomainError`` it raises there (a
rule it checks under its locks, or a lost race) is handled by ``ServiceAdminMixin``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy

from accounts.models import User
from core.admin_history import AuditHistoryAdmin
from core.admin_support import RefusalFormMixin, ServiceAdminMixin, adopt_saved
from core.errors import DomainError
from core.forms import KeySafeModelMultipleChoiceField
from core.languages import languages_form_field
from trainers.models import Skill

from .admin_forms import (
    BatchAdminForm,
    CourseAdminForm,
    CourseTrainerAdminForm,
    IndividualAssignmentAdminForm,
    InstructorChoiceField,
    ScheduleSlotFormSet,
)
from .feedback import kept_sessions_warning, no_slots_warning, saved_message
from .models import (
    Batch,
    BatchNote,
    BatchTemplate,
    BatchTrainer,
    Course,
    CourseTrainer,
    DayPart,
    IndividualAssignment,
    MentorBooking,
    MentoringSession,
    ScheduleSlot,
    StudentNeeds,
    SubstituteCover,
    Weekday,
)
from .selectors import batch_staff_history
from .services import (
    BATCH_UPDATABLE_FIELDS,
    batch_create,
    batch_delete,
    batch_update,
    course_convert_to_multi_trainer,
    course_create,
    individual_assign,
    individual_unassign,
    roster_add,
    roster_remove,
    roster_update,
    student_needs_set,
    template_slots,
)
from .services.mentor_bookings import mentor_booking_cancel


class BatchTemplateForm(forms.ModelForm):
    class Meta:
        model = BatchTemplate
        fields = (
            "capacity",
            "schedule",
            "duration_weeks",
            "start_after_days",
            "assistants",
            "auto_create",
            "waitlist_threshold",
        )
        help_texts = {
            "schedule": 'Weekly slots, e.g. [{"day": 0, "start": "18:00", "end": "20:00"}] '
            "(day 0 = Monday).",
        }

    def clean(self):
        cleaned = super().clean()
        if "schedule" in cleaned:
            # The same validation automatic batch creation applies (allocation.services).
            try:
                template_slots(BatchTemplate(schedule=cleaned["schedule"]))
            except DomainError as exc:
                raise forms.ValidationError({"schedule": exc.message}) from exc
        return cleaned


class BatchTemplateInline(admin.StackedInline):
    """How automatic batch creation and the trainer assignment make this course's batches."""

    model = BatchTemplate
    form = BatchTemplateForm
    extra = 0
    max_num = 1
    can_delete = True


@admin.register(Course)
class CourseAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = CourseAdminForm
    inlines = (BatchTemplateInline,)
    list_display = ("code", "title", "batch_count")
    search_fields = ("code", "title")
    readonly_fields = ("created_at", "updated_at")
    actions = ("convert_to_multi_trainer",)

    @admin.action(
        description=gettext_lazy("Convert to multi-trainer (staffing rows and roster entries)")
    )
    def convert_to_multi_trainer(self, request, queryset):
        for course in queryset:
            rows, entries = course_convert_to_multi_trainer(course=course)
            self.message_user(
                request,
                f"{course.code}: {rows} primary staffing row(s) and {entries} roster "
                "entry(ies) added.",
                messages.SUCCESS,
            )

    def get_queryset(self, request):
        # One query for the whole page rather than one count per row.
        return super().get_queryset(request).annotate(batch_count=Count("batches"))

    @admin.display(description="batches", ordering="batch_count")
    def batch_count(self, course):
        return course.batch_count

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("code", "title", "description")
        return (
            "code",
            "title",
            "description",
            # Who may put students in the course's batches (README, "Students acting for
            # themselves"); the model form validates the window.
            "enrollment_policy",
            "enrollment_opens_at",
            "enrollment_closes_at",
            "created_at",
            "updated_at",
        )

    def get_readonly_fields(self, request, obj=None):
        # The code is normalised by course_create and prefixes every batch code; there is no
        # service to change it, so the admin does not either.
        return ("code", *self.readonly_fields) if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            # Title, description and enrollment policy only, validated by the model form (its
            # constraints too): no service owns them.
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


def _admin_time(moment) -> str:
    """A stored (UTC) time as the admin shows it: in TIME_ZONE, to the minute."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


class ReadOnlyAdminMixin:
    """History kept by the services: shown in the admin, never written there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Batch)
class BatchAdmin(ServiceAdminMixin, AuditHistoryAdmin):
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

    @admin.display(description=gettext_lazy("staffing and its history"))
    def staffing_history(self, batch):
        rows = batch_staff_history(batch)
        if not rows:
            return "—"
        return format_html(
            "<table><tr><th>trainer</th><th>role</th><th>from</th><th>by</th><th>until</th>"
            "<th>by</th></tr>{}</table>",
            format_html_join(
                "",
                # format_html_join escapes each value before formatting it, so a datetime
                # arrives as a SafeString: format the times first ("{:%Y…}" would raise).
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        row.trainer,
                        row.get_role_display(),
                        _admin_time(row.assigned_at),
                        row.assigned_by or "—",
                        _admin_time(row.ended_at) if row.ended_at else "current",
                        row.ended_by or "—",
                    )
                    for row in rows
                ),
            ),
        )

    @admin.display(description=gettext_lazy("fill"))
    def fill(self, batch):
        return f"{batch.enrolled_students}/{batch.capacity}"

    @admin.display(description=gettext_lazy("available spots"))
    def available_spots(self, batch):
        return batch.available_spots

    def get_fields(self, request, obj=None):
        return BATCH_FIELDS + ((*BATCH_RECORD_FIELDS, "staffing_history") if obj else ())

    def get_readonly_fields(self, request, obj=None):
        # The counter belongs to the enrollment services; the course is fixed once the batch
        # exists (batch_update refuses to change it).
        fixed = ("enrolled_students", *BATCH_RECORD_FIELDS)
        return ("course", *fixed, "staffing_history") if obj else fixed

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
                saved = batch_update(
                    batch=form.instance, schedule=slots, updated_by=request.user, **changes
                )
                adopt_saved(form.instance, saved)
                if saved.seats_filled_by:  # who moved up from the waitlist
                    self.message_user(request, saved_message(saved), messages.SUCCESS)
                kept = kept_sessions_warning(saved)
                if kept:
                    self.message_user(request, kept, messages.WARNING)
        else:
            batch = batch_create(
                course=data["course"],
                created_by=request.user,
                schedule=schedule.slots() if schedule is not None else (),
                # The same fields batch_update accepts: all but the course, passed on its own.
                **{name: data[name] for name in BATCH_UPDATABLE_FIELDS if name in data},
            )
            adopt_saved(form.instance, batch)
        if schedule is not None:
            schedule.record_saved()
        if not form.instance.schedule.exists():
            self.message_user(request, no_slots_warning(form.instance), messages.WARNING)

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


@admin.register(BatchTrainer)
class BatchTrainerAdmin(ReadOnlyAdminMixin, AuditHistoryAdmin):
    """Staffing rows are history written by the services; see them here, never edit them."""

    def has_delete_permission(self, request, obj=None):
        # Asked per row when a batch is deleted: its staffing rows go with it. Deleting one
        # row on its own is refused in delete_view; the bulk action is off (obj is None).
        return obj is not None

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied

    list_display = ("batch", "trainer", "role", "assigned_by", "assigned_at", "ended_at")
    list_filter = ("role", ("ended_at", admin.EmptyFieldListFilter))
    search_fields = ("batch__batch_code", "trainer__email", "trainer__full_name")
    list_select_related = ("batch", "trainer", "assigned_by")
    date_hierarchy = "assigned_at"


@admin.register(IndividualAssignment)
class IndividualAssignmentAdmin(ServiceAdminMixin, AuditHistoryAdmin):
    """Assign through ``individual_assign``; end through the "Unassign" action (history kept)."""

    form = IndividualAssignmentAdminForm
    list_display = (
        "student",
        "instructor",
        "assignment_type",
        "start_date",
        "assigned_by",
        "ended_at",
        "end_reason",
    )
    list_filter = ("assignment_type", ("ended_at", admin.EmptyFieldListFilter))
    search_fields = ("student__email", "student__full_name", "instructor__email")
    list_select_related = ("student", "instructor", "assigned_by")
    actions = ("unassign_selected",)
    RECORD_FIELDS = ("assigned_by", "assigned_at", "ended_at", "ended_by", "end_reason")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # A saved assignment changes only through the services: unassign or reassign.
        return (*IndividualAssignmentAdminForm.Meta.fields, *self.RECORD_FIELDS)

    def has_delete_permission(self, request, obj=None):
        return False  # history: end an assignment instead

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        adopt_saved(
            obj,
            individual_assign(
                student=data["student"],
                instructor=data["instructor"],
                assignment_type=data["assignment_type"],
                notes=data.get("notes", ""),
                start_date=data.get("start_date"),
                assigned_by=request.user,
            ),
        )

    @admin.action(description=gettext_lazy("Unassign selected (keeps them as history)"))
    def unassign_selected(self, request, queryset):
        done = 0
        for assignment in queryset.filter(ended_at__isnull=True).select_related("student"):
            try:
                individual_unassign(
                    student=assignment.student, ended_by=request.user, reason="Ended in the admin"
                )
                done += 1
            except DomainError as refusal:
                self.message_user(request, f"{assignment}: {refusal}", messages.ERROR)
        if done:
            self.message_user(request, f"Unassigned {done} assignment(s).", messages.SUCCESS)


class StudentNeedsAdminForm(RefusalFormMixin, forms.ModelForm):
    student = forms.ModelChoiceField(queryset=User.objects.students())
    skills = KeySafeModelMultipleChoiceField(
        queryset=Skill.objects.all(),
        required=False,
        widget=FilteredSelectMultiple("skills", is_stacked=False),
    )
    languages = languages_form_field(label=gettext_lazy("Preferred languages"))
    preferred_days = forms.TypedMultipleChoiceField(
        choices=Weekday.choices, coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    day_parts = forms.MultipleChoiceField(
        choices=DayPart.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = StudentNeeds
        fields = ("student", "skills", "languages", "preferred_days", "day_parts", "notes")


@admin.register(StudentNeeds)
class StudentNeedsAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """What a student needs of a mentor; saved through ``student_needs_set`` (also on the
    console's mentor page)."""

    form = StudentNeedsAdminForm
    list_display = ("student", "skill_names", "languages", "preferred_days", "day_parts")
    search_fields = ("student__email", "student__full_name")
    list_select_related = ("student",)
    readonly_fields = ("updated_at", "updated_by")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("skills")

    def get_readonly_fields(self, request, obj=None):
        return ("student", *self.readonly_fields) if obj else self.readonly_fields

    @admin.display(description=gettext_lazy("Skills"))
    def skill_names(self, obj: StudentNeeds) -> str:
        return ", ".join(s.name for s in obj.skills.all())

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        adopt_saved(
            obj,
            student_needs_set(
                student=data.get("student") or obj.student,
                skills=data["skills"],
                languages=data["languages"],
                preferred_days=data["preferred_days"],
                day_parts=data["day_parts"],
                notes=data.get("notes", ""),
                updated_by=request.user,
            ),
        )

    def save_related(self, request, form, formsets, change):
        pass  # the service set the skills


@admin.register(MentoringSession)
class MentoringSessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Sessions are logged by the assigned instructor on their mentees page."""

    list_display = ("session_date", "assignment", "duration_minutes", "follow_up_date", "logged_by")
    list_filter = ("session_date",)
    search_fields = ("assignment__student__email", "assignment__instructor__email")
    list_select_related = ("assignment__student", "assignment__instructor", "logged_by")
    date_hierarchy = "session_date"


@admin.register(MentorBooking)
class MentorBookingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """1:1 bookings are made, moved and cancelled by the mentee, the mentor or an admin on the
    booking pages or the API; here they are read, and cancelled with the action (as an admin:
    the notice window does not apply)."""

    list_display = ("start_at", "end_at", "mentor", "mentee", "status", "created_by", "session")
    list_filter = ("status",)
    search_fields = ("mentor__email", "mentee__email")
    list_select_related = ("mentor", "mentee", "created_by", "session")
    date_hierarchy = "start_at"
    actions = ["cancel_bookings"]

    def get_actions(self, request):
        # ReadOnlyAdminMixin refuses delete; the cancel action goes through the service.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=gettext_lazy("Cancel the selected bookings (notifies both sides)"))
    def cancel_bookings(self, request, queryset):
        done = 0
        for booking in queryset.order_by("pk"):
            try:
                mentor_booking_cancel(
                    booking=booking,
                    cancelled_by=request.user,
                    reason=gettext("Cancelled by an admin"),
                )
                done += 1
            except DomainError as refusal:
                self.message_user(request, f"{booking}: {refusal}", messages.ERROR)
        if done:
            self.message_user(
                request, gettext("Cancelled %(n)s booking(s).") % {"n": done}, messages.SUCCESS
            )


@admin.register(CourseTrainer)
class CourseTrainerAdmin(ServiceAdminMixin, AuditHistoryAdmin):
    """The course roster. Adds, changes and removals go through the roster services, which
    keep the active workload shares of a course at or under 100 %."""

    form = CourseTrainerAdminForm
    list_display = ("course", "trainer", "role", "workload_percent", "status")
    list_filter = ("course", "role", "status")
    search_fields = ("trainer__email", "trainer__full_name", "course__code")
    list_select_related = ("course", "trainer")

    def get_readonly_fields(self, request, obj=None):
        return ("course", "trainer") if obj else ()

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, through roster_remove
        return actions

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = roster_update(
                entry=obj,
                role=data["role"],
                workload_percent=data["workload_percent"],
                status=data["status"],
            )
        else:
            saved = roster_add(
                course=data["course"],
                trainer=data["trainer"],
                role=data["role"],
                workload_percent=data["workload_percent"],
                status=data["status"],
            )
        adopt_saved(obj, saved)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:allocation_coursetrainer_change", args=(quote(object_id),))
            )

    def delete_model(self, request, obj):
        roster_remove(entry=obj)


@admin.register(SubstituteCover)
class SubstituteCoverAdmin(ReadOnlyAdminMixin, AuditHistoryAdmin):
    """Covers are assigned from the console's leave page, where the candidates are ranked."""

    list_display = (
        "batch",
        "absent_trainer",
        "substitute",
        "start_date",
        "end_date",
        "assigned_by",
    )
    list_filter = ("start_date",)
    search_fields = ("batch__batch_code", "substitute__email", "absent_trainer__email")
    list_select_related = ("batch", "absent_trainer", "substitute", "assigned_by")
    date_hierarchy = "start_date"


@admin.register(BatchNote)
class BatchNoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The batches' handover notes, written by their trainers on the batch pages."""

    list_display = ("batch", "author", "created_at", "body")
    search_fields = ("batch__batch_code", "author__email", "body")
    list_select_related = ("batch", "author")
    date_hierarchy = "created_at"
