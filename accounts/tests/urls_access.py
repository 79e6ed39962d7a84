"""A URLconf for the access-decorator tests: the real site plus one tiny page per decorator.

Including the real URLconf keeps ``login``, ``home`` and the rest of the names that
``base.html`` and the 403 page need.
"""

from django.http import HttpResponse
from django.urls import include, path

from accounts.access import admin_required, instructor_required, student_required


@admin_required
def admin_page(request):
    return HttpResponse("admin page")


@instructor_required
def instructor_page(request):
    return HttpResponse("instructor page")


@student_required
def student_page(request):
    return HttpResponse("student page")


urlpatterns = [
    path("access-test/admin/", admin_page, name="access_admin"),
    path("access-test/instructor/", instructor_page, name="access_instructor"),
    path("access-test/student/", student_page, name="access_student"),
    path("", include("medh.urls")),
]
