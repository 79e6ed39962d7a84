"""Feedback pages, at ``/feedback/`` (namespace ``feedback``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("batches/<int:batch_id>/rate/", views.rate_batch, name="rate"),
    path("batches/<int:batch_id>/", views.batch_feedback, name="batch"),
    path("mentoring/<int:session_id>/rate/", views.rate_mentoring, name="rate_mentoring"),
]
