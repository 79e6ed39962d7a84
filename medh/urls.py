from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from accounts.forms import LoginForm
from allocation.urls import (
    assignment_patterns,
    console_patterns,
    instructor_patterns,
    mentoring_patterns,
)
from core import health
from enrollments.urls import console_patterns as enrollment_console_patterns
from enrollments.urls import (
    feed_patterns,
    import_patterns,
    lifecycle_patterns,
    student_patterns,
    waitlist_patterns,
)
from medh.views import favicon
from reports.urls import audit_patterns, report_patterns
from webhooks.views import urlpatterns as webhook_patterns

# A database that fails under a page answers 503 with a clear message; anything else, the 500
# page (core/db_errors.py).
handler500 = "core.db_errors.server_error"
# A request refused outside any view (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a bad Host):
# the API's envelope under /api/, Django's page elsewhere.
handler400 = "core.api.exceptions.bad_request"

admin.site.site_header = "Medh Allocation"
admin.site.site_title = "Medh Allocation admin"
admin.site.index_title = "Courses, batches, trainers and enrollments"

# Login, logout, password change and reset, and invitations, with the site's own templates
# (templates/registration/). Reset and invitation emails go through the notifications outbox.
account_patterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("logout/", account_views.LogoutView.as_view(), name="logout"),
    path("profile/", account_views.profile, name="profile"),
    path("language/", account_views.language_switch, name="language_switch"),
    path("password_reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "invitation/<uidb64>/<token>/",
        account_views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]

# The console's people list and invitations (accounts.views).
people_patterns = [
    path("", account_views.people_list, name="list"),
    path("<int:pk>/invite/", account_views.people_invite, name="invite"),
]

urlpatterns = [
    # Load-balancer probes: no login, no HTTPS redirect (core/health.py).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include(account_patterns)),
    path("api/", include("medh.api_urls")),
    # The console's enrollment pages, in their own namespace; listed first so that they win
    # over any "enrollments/" path the allocation console might add later.
    path("console/enrollments/", include((enrollment_console_patterns, "enroll"))),
    path("console/imports/", include((import_patterns, "imports"))),
    path("console/lifecycle/", include((lifecycle_patterns, "lifecycle"))),
    path("console/waitlists/", include((waitlist_patterns, "waitlist"))),
    path("console/assignment/", include((assignment_patterns, "assignment"))),
    path("console/reports/", include((report_patterns, "reports"))),
    path("console/audit/", include((audit_patterns, "audit"))),
    path("console/webhooks/", include((webhook_patterns, "webhooks"))),
    path("console/people/", include((people_patterns, "people"))),
    path("console/", include((console_patterns, "console"))),
    path("instructor/", include((instructor_patterns, "instructor"))),
    path("me/", include((student_patterns, "student"))),
    path("mentoring/", include((mentoring_patterns, "mentoring"))),
    path("feeds/", include((feed_patterns, "feeds"))),
    path("attendance/", include(("attendance.urls", "attendance"))),
    path("inbox/", include(("notifications.urls", "inbox"))),
    path("feedback/", include(("feedback.urls", "feedback"))),
    path("favicon.ico", favicon, name="favicon"),
    path("", account_views.home, name="home"),
]
