"""Who may open which page: one predicate and one view decorator per role.

Every page view starts with one of these decorators::

    from accounts.access import admin_required

    @admin_required
    def batch_list(request): ...

Class-based views take them through ``method_decorator``::

    @method_decorator(instructor_required, name="dispatch")
    class MenteeList(ListView): ...

All three behave the same way: an anonymous visitor is redirected to ``settings.LOGIN_URL``
with ``?next=`` so they land back on the page after logging in; a logged-in user without the
role gets ``PermissionDenied``, which Django renders as ``templates/403.html``. Redirecting a
logged-in user to the login page instead would only loop them back to where they were.

The predicates (``is_admin``, ``is_instructor``, ``is_learner``) are the single definition of
each role for pages: the navigation menu and the home page use them too, so a link is shown
exactly when its page would let the user in.
"""

from collections.abc import Callable

from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext


def is_admin(user) -> bool:
    """The admin role is Django's ``is_staff``: it grants the console and the Django admin."""
    return bool(user.is_authenticated and user.is_staff)


def is_instructor(user) -> bool:
    """Trainers: users with the instructor role."""
    return bool(user.is_authenticated and user.is_instructor)


def is_learner(user) -> bool:
    """Students of either kind (``is_student`` or ``is_corporate_student``)."""
    return bool(user.is_authenticated and user.is_learner)


def _role_required(has_role: Callable[[object], bool], refusal: str):
    """Build a decorator: anonymous → login redirect; logged in without the role → 403."""

    def test(user) -> bool:
        if not user.is_authenticated:
            return False  # user_passes_test redirects to LOGIN_URL with ?next=
        if has_role(user):
            return True
        raise PermissionDenied(refusal)

    return user_passes_test(test)


def admin_required(view_func):
    """Let in logged-in admins (``is_staff``); others get 403, anonymous visitors the login page."""
    return _role_required(is_admin, gettext("This page is for admins."))(view_func)


def instructor_required(view_func):
    """Let in logged-in instructors; others get 403, anonymous visitors the login page."""
    return _role_required(is_instructor, gettext("This page is for instructors."))(view_func)


def student_required(view_func):
    """Let in logged-in students and corporate students (``user.is_learner``); others get 403,
    anonymous visitors the login page."""
    return _role_required(is_learner, gettext("This page is for students."))(view_func)
