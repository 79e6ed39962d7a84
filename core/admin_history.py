"""The audit trail in the Django admin: simple-history's history views, read only.

``AuditHistoryAdmin`` adds the "History" button of django-simple-history to an admin class:
the list of an object's history rows (who, when, what changed) and each past version. It
never restores a past version: simple-history's "Revert" saves the old row directly, past
the services and their checks (and for the read-only admins, past ``has_change_permission``:
its form view accepts a POST from anyone who may view). A change is made on the change form
or in the console, which go through the services.

Put it after ``ServiceAdminMixin`` (or ``ReadOnlyAdminMixin``) in the bases, in place of
``admin.ModelAdmin``.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin


class AuditHistoryAdmin(SimpleHistoryAdmin):
    # simple-history's list, with "—" for no change reason and "System" for no user.
    object_history_list_template = "core/admin/history_list.html"

    def revert_disabled(self, request, obj=None):
        return True  # hides the Revert button; history_form_view refuses the POST itself

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied(gettext("A past version is shown here, never restored."))
        return super().history_form_view(request, object_id, version_id, extra_context)
