"""URLs of the enrollment pages, in three lists that ``medh/urls.py`` mounts under their own
prefix and namespace: ``student_patterns`` at ``/me/`` (namespace ``student``),
``console_patterns`` at ``/console/enrollments/`` (namespace ``enroll``, admins; apart from
the allocation console's ``console`` namespace) and ``feed_patterns`` at ``/feeds/``
(namespace ``feeds``; the calendar feeds need no login)."""

from django.urls import path

from . import views

student_patterns = [
    path("schedule/", views.student_schedule, name="schedule"),
]

console_patterns = [
    path("", views.enroll_list, name="list"),
    path("new/", views.enroll_create, name="create"),
    path("<int:pk>/cancel/", views.enroll_cancel, name="cancel"),
    path("<int:pk>/transfer/", views.enroll_transfer, name="transfer"),
]

# Feed tokens are secrets.token_urlsafe() strings: exactly the slug alphabet.
feed_patterns = [
    path("student/<slug:token>.ics", views.student_feed, name="student"),
    path("instructor/<slug:token>.ics", views.instructor_feed, name="instructor"),
    path("reset/", views.feed_reset, name="reset"),
]
