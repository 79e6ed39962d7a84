"""The navigation menu of ``templates/base.html``: each role sees only the pages it may open.

``navigation`` puts ``nav_items`` in every template context: a list of ``NavItem(label, url,
icon, active)``. A user holding several roles sees the union, in the order of ``MENU``. An
entry whose URL name is not routed (yet) is skipped, so the menu grows by itself as the
console, instructor and student pages are added under the URL names below.
"""

from collections.abc import Callable
from typing import NamedTuple

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, gettext_noop

from accounts.access import is_admin, is_instructor, is_learner


class NavItem(NamedTuple):
    label: str
    url: str
    icon: str  # a Bootstrap Icons name, without the "bi-" prefix
    active: bool


# (label, URL name, icon, who sees it). The test is the same predicate the page's access
# decorator uses, so a link is shown exactly when the page would let the user in. The label is
# marked for translation (gettext_noop) and shown in the user's language.
MENU: list[tuple[str, str, str, Callable[[object], bool]]] = [
    (gettext_noop("Console"), "console:dashboard", "speedometer2", is_admin),
    (gettext_noop("Batches"), "console:batch_list", "collection", is_admin),
    (gettext_noop("Courses"), "console:course_list", "journal-bookmark", is_admin),
    (gettext_noop("Leave"), "console:leave_list", "calendar-x", is_admin),
    (gettext_noop("Holidays"), "console:holiday_list", "calendar2-x", is_admin),
    (gettext_noop("Enrollments"), "enroll:list", "person-plus", is_admin),
    (gettext_noop("Mentors"), "console:mentor_list", "person-badge", is_admin),
    (gettext_noop("Waitlists"), "waitlist:list", "hourglass-split", is_admin),
    (gettext_noop("Requests"), "enroll:requests", "inbox", is_admin),
    (gettext_noop("Assignment"), "assignment:preview", "diagram-3", is_admin),
    (gettext_noop("Reports"), "reports:index", "bar-chart", is_admin),
    (gettext_noop("Audit log"), "audit:log", "clock-history", is_admin),
    (gettext_noop("People"), "people:list", "person-lines-fill", is_admin),
    (gettext_noop("Import"), "imports:list", "upload", is_admin),
    (gettext_noop("Lifecycle"), "lifecycle:preview", "arrow-repeat", is_admin),
    (gettext_noop("Django admin"), "admin:index", "gear", is_admin),
    (gettext_noop("My batches"), "instructor:dashboard", "easel", is_instructor),
    (gettext_noop("This week"), "instructor:this_week", "calendar3-week", is_instructor),
    (gettext_noop("Mentees"), "instructor:mentees", "people", is_instructor),
    (gettext_noop("Availability"), "instructor:availability", "clock", is_instructor),
    (gettext_noop("My schedule"), "student:schedule", "calendar-week", is_learner),
    (gettext_noop("Find a course"), "student:catalogue", "journal-plus", is_learner),
    # Mentors reach the same page from "Mentees".
    (gettext_noop("1:1 sessions"), "mentoring:bookings", "calendar-check", is_learner),
]


# Entries shown under "More" in the navbar (by label).
MORE_MENU = frozenset(
    {
        "Holidays",
        "Requests",
        "Assignment",
        "Audit log",
        "People",
        "Import",
        "Lifecycle",
        "Django admin",
    }
)


def reverse_or_none(name: str) -> str | None:
    """``reverse(name)``, or None while no page is routed under that name."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def navigation(request) -> dict:
    """Context processor: ``nav_items`` for the current user (empty for anonymous visitors)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_main": [], "nav_more": []}

    entries = []
    for label, url_name, icon, may_see in MENU:
        if may_see(user) and (url := reverse_or_none(url_name)) is not None:
            entries.append((label, url, icon))

    # Highlight the entry with the longest URL that prefixes the current path, so that on
    # /console/batches/ "Batches" is active rather than "Console" (/console/) as well.
    matches = [url for _, url, _ in entries if request.path.startswith(url)]
    current = max(matches, key=len, default=None)
    # The label is shown in the user's language; MORE_MENU names the English one.
    main = [
        (label not in MORE_MENU, NavItem(gettext(label), url, icon, url == current))
        for label, url, icon in entries
    ]
    return {
        "nav_items": [item for _, item in main],
        # The navbar shows the daily pages and folds the rest into a "More" menu, so that the
        # admin's many entries fit one line.
        "nav_main": [item for is_main, item in main if is_main],
        "nav_more": [item for is_main, item in main if not is_main],
    }
