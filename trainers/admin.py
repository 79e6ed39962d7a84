"""Admin for trainer profiles, leave and availability.

Profiles have no service of their own: the model form validates each save. Leave goes
through ``trainers.services.leave_record``; availability is set by the trainers themselves.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.admin_history import AuditHistoryAdmin
from core.admin_support import RefusalFormMixin, ServiceAdminMixin, adopt_saved
from core.forms import KeySafeModelMultipleChoiceField
from core.languages import language_name, languages_form_field

from .models import AvailabilityWindow, Skill, TrainerLeave, TrainerProfile
from .services import leave_record


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    """The skills admins keep: trainers offer them, students' needs name them."""

    list_display = ("name", "description", "created_at")
    search_fields = ("name", "description")
    fields = ("name", "description")


class TrainerProfileAdminForm(forms.ModelForm):
    skills = KeySafeModelMultipleChoiceField(
        queryset=Skill.objects.all(),
        required=False,
        widget=FilteredSelectMultiple("skills", is_stacked=False),
    )
    languages = languages_form_field()

    class Meta:
        model = TrainerProfile
        fields = (
            "user",
            "specialization",
            "skills",
            "languages",
            "status",
            "max_active_batches",
            "max_individual_students",
        )


@admin.register(TrainerProfile)
class TrainerProfileAdmin(admin.ModelAdmin):
    form = TrainerProfileAdminForm
    list_display = (
        "user",
        "specialization",
        "language_names",
        "status",
        "max_active_batches",
        "max_individual_students",
    )
    list_filter = ("status", "max_active_batches", "skills")
    search_fields = ("user__email", "user__full_name", "specialization")
    list_select_related = ("user",)
    fields = (
        "user",
        "specialization",
        "skills",
        "languages",
        "status",
        "max_active_batches",
        "max_individual_students",
        "mentoring_slot_minutes",
        "created_at",
        "updated_at",
    )

    @admin.display(description=gettext_lazy("Languages"))
    def language_names(self, obj: TrainerProfile) -> str:
        return ", ".join(language_name(c) for c in obj.languages)

    def get_readonly_fields(self, request, obj=None):
        record = ("created_at", "updated_at")
        # A profile belongs to one person for good; the user is chosen once, when adding.
        return ("user", *record) if obj else record

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs.setdefault("queryset", User.objects.instructors())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TrainerLeaveAdminForm(RefusalFormMixin, forms.ModelForm):
    trainer = forms.ModelChoiceField(queryset=User.objects.instructors())

    class Meta:
        model = TrainerLeave
        fields = ("trainer", "start_date", "end_date", "reason")


@admin.register(TrainerLeave)
class TrainerLeaveAdmin(ServiceAdminMixin, AuditHistoryAdmin):
    """Leave is recorded through ``leave_record`` (which refuses overlapping leave); the
    console's leave page shows the sessions it hits and assigns substitutes."""

    form = TrainerLeaveAdminForm
    list_display = ("trainer", "start_date", "end_date", "reason", "created_by")
    list_filter = ("start_date",)
    search_fields = ("trainer__email", "trainer__full_name", "reason")
    list_select_related = ("trainer", "created_by")
    date_hierarchy = "start_date"

    def has_change_permission(self, request, obj=None):
        return False  # a recorded leave is history: record a new one

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        adopt_saved(
            obj,
            leave_record(
                trainer=data["trainer"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                reason=data.get("reason", ""),
                created_by=request.user,
            ),
        )


@admin.register(AvailabilityWindow)
class AvailabilityWindowAdmin(admin.ModelAdmin):
    """Trainers declare their weekly windows themselves (Availability page); shown here."""

    list_display = ("trainer", "day", "start_time", "end_time")
    list_filter = ("day",)
    search_fields = ("trainer__email", "trainer__full_name")
    list_select_related = ("trainer",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
