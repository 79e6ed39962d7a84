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

from .views import catalogue, enrollments, feeds, imports, lifecycle, requests, student, waitlists

student_patterns = [
    path("schedule/", student.student_schedule, name="schedule"),
    path("courses/", catalogue.catalogue, name="catalogue"),
    path("courses/<int:pk>/", catalogue.course_detail, name="course"),
    path("batches/<int:pk>/enroll/", catalogue.batch_enroll, name="batch_enroll"),
    path("batches/<int:pk>/request/", catalogue.batch_request, name="batch_request"),
    path("batches/<int:pk>/waitlist/join/", catalogue.waitlist_join, name="waitlist_join"),
    path("batches/<int:pk>/waitlist/leave/", catalogue.waitlist_leave, name="waitlist_leave"),
    path("enrollments/<int:pk>/cancel/", catalogue.enrollment_cancel, name="cancel"),
    path("enrollments/<int:pk>/transfer/", catalogue.transfer_request, name="transfer"),
]

console_patterns = [
    path("", enrollments.enroll_list, name="list"),
    path("new/", enrollments.enroll_create, name="create"),
    path("<int:pk>/cancel/", enrollments.enroll_cancel, name="cancel"),
    path("<int:pk>/transfer/", enrollments.enroll_transfer, name="transfer"),
    path("requests/", requests.request_list, name="requests"),
    path("requests/<int:pk>/decide/", requests.request_decide, name="request_decide"),
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
