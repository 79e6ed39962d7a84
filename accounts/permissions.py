"""Who may call an endpoint, by role, the way the original's "Access" column says.

The roles are the same predicates the pages use (``accounts.access``). Anonymous callers
get 401 (from ``IsAuthenticated`` semantics: every class here requires a signed-in user),
signed-in callers without the role 403. Object-level rules ("the instructor of this batch",
"self") are checked in the views with ``require``, after the object is found.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from accounts.access import is_admin, is_instructor


class _Role(BasePermission):
    message = gettext_lazy("You are not allowed to do this")

    def allowed(self, user) -> bool:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF answers 401 (NotAuthenticated) for an anonymous caller
        return self.allowed(user)


class IsAdmin(_Role):
    message = gettext_lazy("Admin role required")

    def allowed(self, user) -> bool:
        return is_admin(user)


class IsAdminOrInstructor(_Role):
    message = gettext_lazy("Admin or instructor role required")

    def allowed(self, user) -> bool:
        return is_admin(user) or is_instructor(user)


class IsSignedIn(_Role):
    def allowed(self, user) -> bool:
        return True


def require(condition: bool, message: str | None = None) -> None:
    """Refuse with 403 unless ``condition``: an object-level check inside a view."""
    if not condition:
        # The default is translated here, when refusing, in the caller's language.
        raise exceptions.PermissionDenied(message or gettext("You are not allowed to access this"))


class ByMethod:
    """Mixin for APIViews whose methods need different roles: ``permissions_by_method =
    {"GET": [IsAdminOrInstructor], "POST": [IsAdmin]}``; methods not listed fall back to
    ``permission_classes``."""

    permissions_by_method: dict[str, list[type[BasePermission]]] = {}

    def get_permissions(self):
        classes = self.permissions_by_method.get(self.request.method, self.permission_classes)
        return [cls() for cls in classes]
