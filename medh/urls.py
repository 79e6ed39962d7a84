from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from accounts.forms import LoginForm
from allocation.urls import assignment_patterns, console_patterns, instructor_patterns
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

# Login, logout and password change with the site's own templates (templates/registration/).
# Password reset is left out on purpose: it needs outgoing email and its own pages.
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
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
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
    path("console/", include((console_patterns, "console"))),
    path("instructor/", include((instructor_patterns, "instructor"))),
    path("me/", include((student_patterns, "student"))),
    path("feeds/", include((feed_patterns, "feeds"))),
    path("attendance/", include(("attendance.urls", "attendance"))),
    path("inbox/", include(("notifications.urls", "inbox"))),
    path("feedback/", include(("feedback.urls", "feedback"))),
    path("favicon.ico", favicon, name="favicon"),
    path("", account_views.home, name="home"),
]
