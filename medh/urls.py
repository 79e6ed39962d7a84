from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Medh Allocation"
admin.site.site_title = "Medh Allocation admin"
admin.site.index_title = "Courses, batches, trainers and enrollments"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
