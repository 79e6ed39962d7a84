"""Every path of the JSON API, mounted at /api/ by medh/urls.py.

Paths are the original Medh API's, without trailing slashes. Ids are digits
(``core.api.converters``); whatever matches no route — including an id that is not a number —
reaches the catch-all at the end and gets a 404 in the envelope, never Django's HTML page.
"""

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts
from allocation import api as allocation
from allocation import api_admin, api_leave, api_matching
from allocation import api_calendar as calendar
from allocation import api_mentoring as mentoring
from attendance import api as attendance
from core.api.converters import IdConverter
from core.api.exceptions import not_found
from enrollments import api as enrollments
from enrollments import api_self, api_waitlist
from feedback import api as feedback
from planning import api as planning
from reports import api as reports
from webhooks import api as webhooks

register_converter(IdConverter, "id")

app_name = "api"

urlpatterns = [
    # Authentication and individual assignments live under /api/v1/auth/ in the original.
    path("v1/auth/login", accounts.LoginView.as_view(), name="login"),
    path("v1/auth/logout", accounts.LogoutView.as_view(), name="logout"),
    path("v1/auth/password-reset", accounts.PasswordResetView.as_view(), name="password-reset"),
    path(
        "v1/auth/password-reset/confirm",
        accounts.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "v1/auth/assign-instructor-to-student",
        allocation.AssignInstructorToStudentView.as_view(),
        name="assign-instructor-to-student",
    ),
    path(
        "v1/auth/instructor-students/<id:instructor_id>",
        allocation.InstructorStudentsView.as_view(),
        name="instructor-students",
    ),
    path(
        "v1/auth/unassign-instructor-from-student/<id:student_id>",
        allocation.UnassignInstructorView.as_view(),
        name="unassign-instructor-from-student",
    ),
    path(
        "v1/auth/get-all-students-with-instructors",
        allocation.StudentsWithInstructorsView.as_view(),
        name="students-with-instructors",
    ),
    # Batches.
    path(
        "students/<id:student_id>/mentor-candidates",
        api_matching.MentorCandidatesView.as_view(),
        name="mentor-candidates",
    ),
    path("batches", allocation.BatchesView.as_view(), name="batches"),
    path(
        "batches/courses/<id:course_id>/batches",
        allocation.CourseBatchesView.as_view(),
        name="course-batches",
    ),
    path("batches/<id:batch_id>", allocation.BatchDetailView.as_view(), name="batch"),
    path(
        "batches/<id:batch_id>/feedback",
        feedback.BatchFeedbackView.as_view(),
        name="batch-feedback",
    ),
    path(
        "batches/<id:batch_id>/assign-instructor/<id:instructor_id>",
        allocation.BatchAssignInstructorView.as_view(),
        name="batch-assign-instructor",
    ),
    path(
        "batches/<id:batch_id>/students",
        allocation.BatchStudentsView.as_view(),
        name="batch-students",
    ),
    path(
        "batches/<id:batch_id>/trainers",
        allocation.BatchTrainersView.as_view(),
        name="batch-trainers",
    ),
    path(
        "batches/<id:batch_id>/trainers/primary",
        allocation.BatchPrimaryTrainerView.as_view(),
        name="batch-trainers-primary",
    ),
    path(
        "batches/<id:batch_id>/trainers/backup",
        allocation.BatchBackupTrainerView.as_view(),
        name="batch-trainers-backup",
    ),
    path(
        "batches/<id:batch_id>/trainers/<id:trainer_id>",
        api_admin.BatchTrainerDetailView.as_view(),
        name="batch-trainer",
    ),
    path(
        "batches/<id:batch_id>/waitlist",
        api_waitlist.BatchWaitlistView.as_view(),
        name="batch-waitlist",
    ),
    path(
        "batches/<id:batch_id>/waitlist/<id:entry_id>",
        api_waitlist.WaitlistEntryView.as_view(),
        name="batch-waitlist-entry",
    ),
    # Courses and their rosters.
    path("courses", allocation.CoursesView.as_view(), name="courses"),
    path(
        "courses/<id:course_id>/trainers",
        allocation.CourseTrainersView.as_view(),
        name="course-trainers",
    ),
    path(
        "courses/<id:course_id>/trainers/<id:trainer_id>",
        allocation.CourseTrainerDetailView.as_view(),
        name="course-trainer",
    ),
    path(
        "courses/<id:course_id>/batch-template",
        api_admin.CourseBatchTemplateView.as_view(),
        name="course-batch-template",
    ),
    # Trainers' leave.
    path(
        "trainers/<id:trainer_id>/leave",
        api_leave.TrainerLeaveView.as_view(),
        name="trainer-leave",
    ),
    path("leave/<id:leave_id>", api_leave.LeaveDetailView.as_view(), name="leave"),
    path(
        "leave/<id:leave_id>/candidates",
        api_leave.LeaveCandidatesView.as_view(),
        name="leave-candidates",
    ),
    path("leave/<id:leave_id>/covers", api_leave.LeaveCoversView.as_view(), name="leave-covers"),
    # Enrollments.
    path("enrollments", enrollments.EnrollmentsView.as_view(), name="enrollments"),
    path(
        "enrollments/students/<id:student_id>/enroll",
        enrollments.EnrollView.as_view(),
        name="enroll",
    ),
    path(
        "enrollments/<id:enrollment_id>",
        enrollments.EnrollmentDetailView.as_view(),
        name="enrollment",
    ),
    # A student's self-service (issue 20): open batches, their enrollments, requests.
    path(
        "courses/<id:course_id>/open-batches",
        api_self.OpenBatchesView.as_view(),
        name="course-open-batches",
    ),
    path("users/me/enrollments", api_self.MyEnrollmentsView.as_view(), name="my-enrollments"),
    path(
        "batches/<id:batch_id>/waitlist/students/<id:student_id>",
        api_self.WaitlistStudentView.as_view(),
        name="batch-waitlist-student",
    ),
    path(
        "enrollments/<id:enrollment_id>/transfer-request",
        api_self.TransferRequestView.as_view(),
        name="transfer-request",
    ),
    path(
        "enrollment-requests",
        api_self.EnrollmentRequestsView.as_view(),
        name="enrollment-requests",
    ),
    path(
        "enrollment-requests/<id:request_id>/decision",
        api_self.RequestDecisionView.as_view(),
        name="enrollment-request-decision",
    ),
    # Users and instructors.
    # The calendar (issue 18).
    path(
        "batches/<id:batch_id>/sessions",
        calendar.BatchSessionsView.as_view(),
        name="batch-sessions",
    ),
    path("sessions/<id:session_id>", calendar.SessionDetailView.as_view(), name="session"),
    path("users/<id:user_id>/sessions", calendar.UserSessionsView.as_view(), name="user-sessions"),
    path("holidays", calendar.HolidaysView.as_view(), name="holidays"),
    # Attendance and early warning (issue 19).
    path(
        "sessions/<id:session_id>/attendance",
        attendance.SessionAttendanceView.as_view(),
        name="session-attendance",
    ),
    path("students/at-risk", attendance.AtRiskView.as_view(), name="students-at-risk"),
    path(
        "students/<id:student_id>/attendance",
        attendance.StudentAttendanceView.as_view(),
        name="student-attendance",
    ),
    path("reports/attendance", attendance.AttendanceReportView.as_view(), name="report-attendance"),
    path("holidays/<id:holiday_id>", calendar.HolidayDetailView.as_view(), name="holiday"),
    # 1:1 mentoring bookings.
    path(
        "mentors/<id:instructor_id>/slots",
        mentoring.MentorSlotsView.as_view(),
        name="mentor-slots",
    ),
    path("mentoring/bookings", mentoring.BookingsView.as_view(), name="mentoring-bookings"),
    path(
        "mentoring/bookings/<id:booking_id>",
        mentoring.BookingDetailView.as_view(),
        name="mentoring-booking",
    ),
    path("users", accounts.UsersView.as_view(), name="users"),
    path("users/me", accounts.MeView.as_view(), name="me"),
    path("users/<id:user_id>", api_admin.UserDetailView.as_view(), name="user"),
    path(
        "instructors/<id:instructor_id>/workload",
        allocation.InstructorWorkloadView.as_view(),
        name="instructor-workload",
    ),
    # Trainer assignment and workload balancing as jobs.
    *planning.urlpatterns(),
    # Webhooks: endpoints, their delivery log, redelivery.
    *webhooks.urlpatterns(),
    # Reports and the audit log.
    *reports.urlpatterns,
    # OpenAPI 3 schema and Swagger UI (its assets from drf-spectacular-sidecar, served locally).
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (docs/?script=), so the
    # Content-Security-Policy needs no inline script for it.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # "^" alone matches every remainder, even one with a newline in it (".*" would not).
    re_path(r"^", not_found),
]
