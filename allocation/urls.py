"""URLs of the allocation pages, in three lists that ``medh/urls.py`` mounts under their own
prefix and namespace: ``console_patterns`` at ``/console/`` (namespace ``console``, admins),
``instructor_patterns`` at ``/instructor/`` (namespace ``instructor``) and
``assignment_patterns`` at ``/console/assignment/`` (namespace ``assignment``, admins)
and ``mentoring_patterns`` at ``/mentoring/`` (namespace ``mentoring``, mentees and mentors)."""

from django.urls import path

from allocation.views import (
    assignment,
    batches,
    calendar,
    courses,
    dashboard,
    instructor,
    leave,
    mentor_bookings,
    mentors,
)

console_patterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("batches/", batches.batch_list, name="batch_list"),
    path("batches/new/", batches.batch_create, name="batch_create"),
    path("batches/conflicts/", batches.batch_conflicts, name="batch_conflicts"),
    path("batches/<int:pk>/", batches.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/edit/", batches.batch_edit, name="batch_edit"),
    path(
        "batches/<int:pk>/assign-instructor/",
        batches.batch_assign_instructor,
        name="batch_assign_instructor",
    ),
    path("batches/<int:pk>/notes/", batches.batch_note_add, name="batch_note_add"),
    path(
        "batches/<int:pk>/supervising-lead/",
        courses.batch_supervising_lead,
        name="batch_supervising_lead",
    ),
    path("batches/<int:pk>/calendar/", calendar.batch_calendar, name="batch_calendar"),
    path("batches/<int:pk>/sessions/new/", calendar.session_add, name="session_add"),
    path("sessions/<int:pk>/", calendar.session_detail, name="session_detail"),
    path("sessions/<int:pk>/cancel/", calendar.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/move/", calendar.session_move, name="session_move"),
    path("holidays/", calendar.holiday_list, name="holiday_list"),
    path("holidays/<int:pk>/delete/", calendar.holiday_delete, name="holiday_delete"),
    path("courses/", courses.course_list, name="course_list"),
    path("courses/<int:pk>/", courses.course_detail, name="course_detail"),
    path("courses/<int:pk>/roster/", courses.course_roster, name="course_roster"),
    path("courses/<int:pk>/staffing/", courses.course_staffing, name="course_staffing"),
    path("roster/<int:entry_pk>/", courses.roster_entry_edit, name="roster_entry_edit"),
    path("roster/<int:entry_pk>/remove/", courses.roster_entry_remove, name="roster_entry_remove"),
    path("leave/", leave.leave_list, name="leave_list"),
    path("leave/<int:pk>/", leave.leave_detail, name="leave_detail"),
    path("leave/<int:pk>/cover/", leave.cover_assign, name="cover_assign"),
    path("mentors/", mentors.mentor_list, name="mentor_list"),
    path("mentors/<int:student_pk>/", mentors.mentor_assign, name="mentor_assign"),
    path(
        "mentors/<int:student_pk>/assign/",
        mentors.mentor_assign_submit,
        name="mentor_assign_submit",
    ),
    path("mentors/<int:student_pk>/reassign/", mentors.mentor_reassign, name="mentor_reassign"),
    path("mentors/<int:student_pk>/unassign/", mentors.mentor_unassign, name="mentor_unassign"),
    path("mentors/<int:student_pk>/needs/", mentors.student_needs_edit, name="student_needs_edit"),
]

instructor_patterns = [
    path("", instructor.instructor_dashboard, name="dashboard"),
    path("week/", calendar.this_week, name="this_week"),
    path("mentees/", instructor.instructor_mentees, name="mentees"),
    path("mentees/<int:assignment_pk>/log/", instructor.session_log, name="session_log"),
    path("batches/<int:pk>/notes/", instructor.batch_notes, name="batch_notes"),
    path("availability/", instructor.availability, name="availability"),
]

# 1:1 mentoring bookings, at /mentoring/ (namespace ``mentoring``): mentees and mentors.
mentoring_patterns = [
    path("", mentor_bookings.bookings, name="bookings"),
    path("book/", mentor_bookings.book, name="book"),
    path("<int:pk>/cancel/", mentor_bookings.cancel, name="cancel"),
    path("<int:pk>/move/", mentor_bookings.move, name="move"),
]

assignment_patterns = [
    path("", assignment.preview, name="preview"),
    path("balance/", assignment.balance, name="balance"),
]
