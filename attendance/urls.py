from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    path("sessions/<int:pk>/", views.roll, name="roll"),
    path("me/", views.my_attendance, name="mine"),
    path("at-risk/", views.at_risk, name="at_risk"),
    path("report/", views.report, name="report"),
]
