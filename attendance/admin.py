"""Admin for attendance: read-only lists of marks (with their audit trail) and at-risk
episodes. Marks are taken and corrected on the roll page (``attendance:roll``), through
``services.attendance_record``, which an admin may use at any time; the admin writes none."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_history import AuditHistoryAdmin

from .models import AtRiskEpisode, AttendanceMark


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AttendanceMark)
class AttendanceMarkAdmin(ReadOnlyAdmin, AuditHistoryAdmin):
    list_display = ["session_start", "batch", "student", "status", "trainer", "marked_by", "roll"]
    list_filter = ["status"]
    search_fields = ["student__email", "student__full_name", "batch__batch_code"]
    list_select_related = ["batch", "student", "trainer", "marked_by"]
    date_hierarchy = "session_start"
    readonly_fields = [
        "session",
        "batch",
        "student",
        "session_start",
        "trainer",
        "status",
        "note",
        "marked_by",
        "marked_at",
        "roll",
    ]

    @admin.display(description=_("Roll"))
    def roll(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("attendance:roll", args=[obj.session_id]), _("Open")
        )


@admin.register(AtRiskEpisode)
class AtRiskEpisodeAdmin(ReadOnlyAdmin):
    list_display = ["student", "batch", "reason", "opened_at", "closed_at", "notified"]
    list_filter = [("closed_at", admin.EmptyFieldListFilter)]
    search_fields = ["student__email", "student__full_name", "batch__batch_code"]
    list_select_related = ["student", "batch", "notified"]
    readonly_fields = ["student", "batch", "reason", "opened_at", "closed_at", "notified"]
