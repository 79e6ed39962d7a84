"""Admin for trainer profiles. No service owns them yet: the model form validates each save."""

from django.contrib import admin

from medh.accounts.models import User

from .models import TrainerProfile


@admin.register(TrainerProfile)
class TrainerProfileAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "specialization",
        "status",
        "max_active_batches",
        "max_individual_students",
    )
    list_filter = ("status", "max_active_batches")
    search_fields = ("user__email", "user__full_name", "specialization")
    list_select_related = ("user",)
    fields = (
        "user",
        "specialization",
        "status",
        "max_active_batches",
        "max_individual_students",
        "created_at",
        "updated_at",
    )

    def get_readonly_fields(self, request, obj=None):
        record = ("created_at", "updated_at")
        # A profile belongs to one person for good; the user is chosen once, when adding.
        return ("user", *record) if obj else record

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs.setdefault("queryset", User.objects.instructors())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
