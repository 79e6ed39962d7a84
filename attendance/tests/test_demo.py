"""The demo data set has a few weeks of attendance, with students at risk for each reason."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from attendance.figures import at_risk_list
from attendance.models import AtRiskEpisode, AttendanceMark
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_the_demo_has_attendance_and_students_at_risk():
    call_command("seed_demo", "--quiet", stdout=open("/dev/null", "w"))  # noqa: SIM115
    marks = AttendanceMark.objects.count()
    assert marks > 1000
    assert set(AttendanceMark.objects.values_list("status", flat=True)) == {
        "present",
        "late",
        "absent",
        "excused",
    }
    reasons = set(AtRiskEpisode.objects.values_list("reason", flat=True))
    assert any("in a row" in r for r in reasons)
    assert any("of the last" in r for r in reasons)
    assert Notification.objects.filter(event="attendance_at_risk").count() == (
        AtRiskEpisode.objects.count()
    )
    kinds = {row.kind for row in at_risk_list(limit=1000).rows}
    assert kinds == {"attendance", "mentoring"}
    # A second run marks nothing more.
    call_command("seed_demo", "--quiet", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert AttendanceMark.objects.count() == marks
