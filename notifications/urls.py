"""The inbox, at ``/inbox/`` (namespace ``inbox``), for every logged-in user."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox, name="list"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
]
