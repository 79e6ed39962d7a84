"""URLs of the allocation pages, in two lists that ``medh/urls.py`` mounts under their own
prefix and namespace: ``console_patterns`` at ``/console/`` (namespace ``console``, admins)
and ``instructor_patterns`` at ``/instructor/`` (namespace ``instructor``)."""

from django.urls import path

from . import views

console_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/new/", views.batch_create, name="batch_create"),
    path("batches/conflicts/", views.batch_conflicts, name="batch_conflicts"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/edit/", views.batch_edit, name="batch_edit"),
    path(
        "batches/<int:pk>/assign-instructor/",
        views.batch_assign_instructor,
        name="batch_assign_instructor",
    ),
    path("batches/<int:pk>/notes/", views.batch_note_add, name="batch_note_add"),
    path(
        "batches/<int:pk>/supervising-lead/",
        views.batch_supervising_lead,
        name="batch_supervising_lead",
    ),
    path("courses/", views.course_list, name="course_list"),
    path("courses/<int:pk>/", views.course_detail, name="course_detail"),
    path("courses/<int:pk>/roster/", views.course_roster, name="course_roster"),
    path("courses/<int:pk>/staffing/", views.course_staffing, name="course_staffing"),
    path("roster/<int:entry_pk>/", views.roster_entry_edit, name="roster_entry_edit"),
    path("roster/<int:entry_pk>/remove/", views.roster_entry_remove, name="roster_entry_remove"),
    path("leave/", views.leave_list, name="leave_list"),
    path("leave/<int:pk>/", views.leave_detail, name="leave_detail"),
    path("leave/<int:pk>/cover/", views.cover_assign, name="cover_assign"),
    path("mentors/", views.mentor_list, name="mentor_list"),
    path("mentors/<int:student_pk>/", views.mentor_assign, name="mentor_assign"),
    path(
        "mentors/<int:student_pk>/assign/",
        views.mentor_assign_submit,
        name="mentor_assign_submit",
    ),
    path("mentors/<int:student_pk>/reassign/", views.mentor_reassign, name="mentor_reassign"),
    path("mentors/<int:student_pk>/unassign/", views.mentor_unassign, name="mentor_unassign"),
]

instructor_patterns = [
    path("", views.instructor_dashboard, name="dashboard"),
    path("mentees/", views.instructor_mentees, name="mentees"),
    path("mentees/<int:assignment_pk>/log/", views.session_log, name="session_log"),
    path("batches/<int:pk>/notes/", views.batch_notes, name="batch_notes"),
    path("availability/", views.availability, name="availability"),
]
