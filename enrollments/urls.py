"""URLs of the enrollment pages, in lists that ``medh/urls.py`` mounts under their own prefix
and namespace:

- ``student_patterns`` at ``/me/`` (namespace ``student``);
- ``console_patterns`` at ``/console/enrollments/`` (namespace ``enroll``, admins; apart from
  the allocation console's ``console`` namespace);
- ``feed_patterns`` at ``/feeds/`` (namespace ``feeds``; the calendar feeds need no login);
- ``waitlist_patterns`` at ``/console/waitlists/`` (namespace ``waitlist``);
- ``import_patterns`` at ``/console/imports/`` (namespace ``imports``);
- ``lifecycle_patterns`` at ``/console/lifecycle/`` (namespace ``lifecycle``).
"""

from django.urls import path

from .views import enrollments, feeds, imports, lifecycle, student, waitlists

student_patterns = [
    path("schedule/", student.student_schedule, name="schedule"),
]

console_patterns = [
    path("", enrollments.enroll_list, name="list"),
    path("new/", enrollments.enroll_create, name="create"),
    path("<int:pk>/cancel/", enrollments.enroll_cancel, name="cancel"),
    path("<int:pk>/transfer/", enrollments.enroll_transfer, name="transfer"),
]

# Feed tokens are secrets.token_urlsafe() strings: exactly the slug alphabet.
feed_patterns = [
    path("student/<slug:token>.ics", feeds.student_feed, name="student"),
    path("instructor/<slug:token>.ics", feeds.instructor_feed, name="instructor"),
    path("reset/", feeds.feed_reset, name="reset"),
]

waitlist_patterns = [
    path("", waitlists.waitlist_list, name="list"),
    path("<int:pk>/", waitlists.waitlist_batch, name="batch"),
    path("<int:pk>/add/", waitlists.waitlist_add, name="add"),
    path("<int:pk>/move/", waitlists.waitlist_move, name="move"),
    path("<int:pk>/remove/", waitlists.waitlist_remove, name="remove"),
]

import_patterns = [
    path("", imports.import_list, name="list"),
    path("upload/", imports.upload, name="upload"),
    path("template.csv", imports.template, name="template"),
    path("<int:pk>/", imports.detail, name="detail"),
    path("<int:pk>/import/", imports.apply, name="apply"),
    path("<int:pk>/status/", imports.status, name="status"),
]

lifecycle_patterns = [
    path("", lifecycle.preview, name="preview"),
    path("run/", lifecycle.run, name="run"),
]
