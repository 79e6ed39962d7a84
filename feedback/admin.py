"""Feedback in the Django admin: the answers and ratings are read-only (students write them,
through ``services``); a course's midpoint option is the one thing an admin sets here."""

from django.contrib import admin

from allocation.admin import ReadOnlyAdminMixin

from .models import (
    BatchFeedback,
    CourseFeedbackOption,
    FeedbackRequest,
    MentoringRating,
    TrainerRating,
)


@admin.register(CourseFeedbackOption)
class CourseFeedbackOptionAdmin(admin.ModelAdmin):
    list_display = ("course", "ask_at_midpoint")
    list_filter = ("ask_at_midpoint",)
    list_select_related = ("course",)
    autocomplete_fields = ("course",)


class TrainerRatingInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TrainerRating
    fields = ("trainer", "rating", "comment")
    readonly_fields = fields
    extra = 0


@admin.register(BatchFeedback)
class BatchFeedbackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("batch", "stage", "student", "rating", "created_at")
    list_filter = ("stage", "rating")
    search_fields = ("batch__batch_code", "student__email")
    list_select_related = ("batch", "student")
    inlines = [TrainerRatingInline]


@admin.register(MentoringRating)
class MentoringRatingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("session", "mentor", "student", "rating", "created_at")
    list_filter = ("rating",)
    search_fields = ("mentor__email", "student__email")
    list_select_related = (
        "session__assignment__student",
        "session__assignment__instructor",
        "mentor",
        "student",
    )


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("batch", "stage", "student", "created_at")
    list_filter = ("stage",)
    search_fields = ("batch__batch_code", "student__email")
    list_select_related = ("batch", "student")
