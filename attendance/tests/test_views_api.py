"""Pages and API: who may open what, the roll in constant queries (25 students), the plain
form and the JSON save, the report's CSV."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from allocation.models import ClassSession
from attendance.models import AttendanceMark
from attendance.services import MarkInput, attendance_record

from .world import build_world

pytestmark = pytest.mark.django_db


def started(w):
    """Move the session to an hour ago, so it is inside the window now."""
    start = timezone.now() - dt.timedelta(hours=1)
    ClassSession.objects.filter(pk=w.session.pk).update(
        start_at=start, end_at=start + dt.timedelta(minutes=90)
    )
    w.session.refresh_from_db()
    return w.session


def post_all(client, w, status="present"):
    data = {f"status_{s.pk}": status for s in w.students}
    return client.post(reverse("attendance:roll", args=[w.session.pk]), data)


@pytest.mark.parametrize("size", [3, 25])
def test_the_roll_renders_and_saves_in_constant_queries(
    client, django_assert_max_num_queries, size
):
    w = build_world(students=size)
    started(w)
    client.force_login(w.primary)
    url = reverse("attendance:roll", args=[w.session.pk])
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(26):
        assert post_all(client, w).status_code == 302
    assert AttendanceMark.objects.filter(status="present").count() == size
    with django_assert_max_num_queries(26):
        response = client.post(
            url,
            {f"status_{s.pk}": "late" for s in w.students},
            headers={"accept": "application/json"},
        )
    assert response.json() == {"success": True, "created": 0, "changed": size}


def test_the_roll_page_access(client):
    w = build_world()
    started(w)
    url = reverse("attendance:roll", args=[w.session.pk])
    for user, code in [
        (w.primary, 200),
        (w.assistant, 200),
        (w.admin, 200),
        (w.outsider, 403),
        (w.students[0], 403),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == code, user


def test_a_refused_save_shows_the_message_and_keeps_nothing(client):
    w = build_world()
    client.force_login(w.primary)  # the session is in 2027: not started
    response = post_all(client, w)
    assert response.status_code == 200
    assert "not started yet" in response.content.decode()
    assert not AttendanceMark.objects.exists()
    started(w)
    bad = client.post(reverse("attendance:roll", args=[w.session.pk]), {"status_x": "present"})
    assert bad.status_code == 200 and "Unknown student" in bad.content.decode()
    worse = client.post(
        reverse("attendance:roll", args=[w.session.pk]), {f"status_{w.students[0].pk}": "<b>"}
    )
    assert "Unknown attendance status" in worse.content.decode()
    assert "<b>" not in worse.content.decode()


def test_the_student_sees_their_marks_and_rate(client, django_assert_max_num_queries):
    w = build_world()
    started(w)
    attendance_record(
        session=w.session, marks=[MarkInput(w.students[0].pk, "late")], marked_by=w.primary
    )
    client.force_login(w.students[0])
    with django_assert_max_num_queries(10):
        response = client.get(reverse("attendance:mine"))
    assert "100%" in response.content.decode()


def test_at_risk_and_report_pages(client, django_assert_max_num_queries):
    w = build_world()
    started(w)
    attendance_record(
        session=w.session,
        marks=[MarkInput(s.pk, "absent") for s in w.students],
        marked_by=w.primary,
    )
    client.force_login(w.admin)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("attendance:report")).status_code == 200
    csv = client.get(reverse("attendance:report"), {"format": "csv"})
    assert "GER-EVE" in csv.content.decode("utf-8-sig")
    assert client.get(reverse("attendance:at_risk")).status_code == 200
    client.force_login(w.primary)
    assert client.get(reverse("attendance:report")).status_code == 403
    assert client.get(reverse("attendance:at_risk")).status_code == 200
    client.force_login(w.students[0])
    assert client.get(reverse("attendance:at_risk")).status_code == 403


def test_api_roll_get_and_put(client):
    w = build_world()
    started(w)
    url = f"/api/sessions/{w.session.pk}/attendance"
    client.force_login(w.primary)
    body = [{"student": s.pk, "status": "present"} for s in w.students]
    response = client.put(url, body, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["created"] == 4
    assert [r["status"] for r in client.get(url).json()["data"]["roll"]] == ["present"] * 4
    bad = client.put(
        url, [{"student": 999999, "status": "present"}], content_type="application/json"
    )
    assert bad.status_code == 400 and "not on this session's roll" in bad.json()["message"]
    wrong = client.put(
        url, [{"student": w.students[0].pk, "status": "asleep"}], content_type="application/json"
    )
    assert wrong.status_code == 400
    client.force_login(w.outsider)
    assert client.get(url).status_code == 403
    assert client.put(url, body, content_type="application/json").status_code == 403


def test_api_student_attendance_report_and_at_risk_by_role(client):
    w = build_world()
    started(w)
    student = w.students[0]
    url = f"/api/students/{student.pk}/attendance"
    for user, code in [
        (student, 200),
        (w.primary, 200),
        (w.admin, 200),
        (w.outsider, 403),
        (w.students[1], 403),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == code, user
    for user, code in [(w.admin, 200), (w.primary, 403), (student, 403)]:
        client.force_login(user)
        assert client.get("/api/reports/attendance?course=&batch=").status_code == code
    client.force_login(w.admin)
    assert client.get("/api/reports/attendance?batch=abc").status_code == 400
    for user, code in [(w.admin, 200), (w.primary, 200), (student, 403)]:
        client.force_login(user)
        assert client.get("/api/students/at-risk").status_code == code


@pytest.mark.parametrize("size", [2, 12])
def test_the_at_risk_page_and_api_in_constant_queries(client, django_assert_max_num_queries, size):
    """session, user, open episodes (page), stale mentees (page), the two counts."""
    from allocation.models import IndividualAssignment
    from attendance.models import AtRiskEpisode

    w = build_world(students=size)
    for student in w.students:
        AtRiskEpisode.objects.create(student=student, batch=w.batch, reason="3 absences in a row")
        IndividualAssignment.objects.create(
            student=student,
            instructor=w.primary,
            assigned_by=w.admin,
            start_date=timezone.localdate() - dt.timedelta(days=30),
        )
    for user in (w.admin, w.primary):
        client.force_login(user)
        with django_assert_max_num_queries(8):
            response = client.get(reverse("attendance:at_risk"))
        text = response.content.decode()
        assert text.count(">3 absences in a row</div>") == size
        assert text.count(">no mentoring contact for 30 days") == size
        with django_assert_max_num_queries(8):
            assert len(client.get("/api/students/at-risk").json()["data"]) == 2 * size
