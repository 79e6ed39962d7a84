"""The report's tallies (``AttendanceTally``) equal a recount from the marks after records and
corrections, the report reads them in constant queries, and the report and the at-risk list
paginate (pages and API)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from allocation.models import ClassSession, SessionStatus
from attendance import figures, selectors, tallies
from attendance.models import AttendanceMark, AttendanceTally
from attendance.services import MarkInput, attendance_record

from .world import WEEK_1, build_world, session_on

pytestmark = pytest.mark.django_db


def assert_tallies_are_a_recount():
    assert tallies.tallied(AttendanceTally) == tallies.recount(AttendanceMark)


def report_of(batch_id=None):
    filters = figures.ReportFilters(batch=batch_id)
    return figures.attendance_report(filters, list(figures.report_batches(filters)))


def test_tallies_follow_records_and_corrections_and_the_report_keeps_the_definitions():
    w = build_world(students=4)
    s1, s2, s3 = w.students[:3]
    second = session_on(w, WEEK_1 + dt.timedelta(days=7))
    now = w.session.start_at + dt.timedelta(hours=1)
    attendance_record(
        session=w.session,
        marks=[MarkInput(s1.pk, "absent"), MarkInput(s2.pk, "late"), MarkInput(s3.pk, "excused")],
        marked_by=w.primary,
        now=now,
    )
    assert_tallies_are_a_recount()
    # Absent -> present, and a note alone changes no count.
    attendance_record(
        session=w.session,
        marks=[MarkInput(s1.pk, "present"), MarkInput(s2.pk, "late", "bus")],
        marked_by=w.primary,
        now=now,
    )
    assert_tallies_are_a_recount()
    attendance_record(
        session=second,
        marks=[MarkInput(s.pk, "absent") for s in w.students],
        marked_by=w.assistant,
        now=second.start_at + dt.timedelta(hours=1),
    )
    # An admin's correction long after the window.
    attendance_record(
        session=w.session,
        marks=[MarkInput(s3.pk, "absent")],
        marked_by=w.admin,
        now=w.session.start_at + dt.timedelta(days=60),
    )
    assert_tallies_are_a_recount()
    assert AttendanceTally.objects.filter(present__lt=0).count() == 0
    # The report equals the recount from the marks (the definitions of the selectors).
    report = report_of()
    assert report["batches"] == [
        (w.batch, selectors.batch_attendance_rates([w.batch.pk])[w.batch.pk])
    ]
    assert report["total"] == selectors.batch_attendance_rates([w.batch.pk])[w.batch.pk]
    assert report["total"].as_dict()["rate"] == round(2 / 7, 4)  # present+late / counted
    # A cancelled session stops counting, with no write to the tallies.
    ClassSession.objects.filter(pk=second.pk).update(status=SessionStatus.CANCELLED, reason="storm")
    assert_tallies_are_a_recount()
    report = report_of()
    rate = selectors.batch_attendance_rates([w.batch.pk])[w.batch.pk]
    assert report["batches"] == [(w.batch, rate)]
    assert report["total"] == rate
    assert (rate.present, rate.late, rate.absent, rate.excused) == (1, 1, 1, 0)
    trainers = {t.pk: r for t, r in report["trainers"]}
    assert trainers == selectors.trainer_attendance_rates(list(trainers))


def test_a_rebuild_equals_the_kept_tallies():
    w = build_world(students=3)
    attendance_record(
        session=w.session,
        marks=[MarkInput(s.pk, "absent") for s in w.students],
        marked_by=w.primary,
        now=w.session.start_at + dt.timedelta(hours=1),
    )
    kept = tallies.tallied(AttendanceTally)
    assert tallies.rebuild(AttendanceMark, AttendanceTally) == 1
    assert tallies.tallied(AttendanceTally) == kept


def started_world(students):
    w = build_world(students=students)
    start = timezone.now() - dt.timedelta(hours=1)
    ClassSession.objects.filter(pk=w.session.pk).update(
        start_at=start, end_at=start + dt.timedelta(minutes=90)
    )
    w.session.refresh_from_db()
    attendance_record(
        session=w.session,
        marks=[MarkInput(s.pk, "absent") for s in w.students],
        marked_by=w.primary,
    )
    return w


@pytest.mark.parametrize("size", [2, 20])
def test_the_report_page_and_api_in_constant_queries(client, django_assert_max_num_queries, size):
    """session, user, count, page, tallies by batch, by trainer, total, trend, cancelled,
    trainers, courses, trainer choices."""
    w = started_world(size)
    client.force_login(w.admin)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("attendance:report"))
    assert "GER-EVE" in response.text
    with django_assert_max_num_queries(11):
        body = client.get("/api/reports/attendance", {"page": 1, "limit": 10}).json()
    assert body["data"]["batches"][0]["absent"] == size
    assert (body["data"]["page"], body["data"]["limit"], body["data"]["pages"]) == (1, 10, 1)
    assert body["data"]["total_batches"] == 1
    assert client.get("/api/reports/attendance", {"limit": 0}).status_code == 400
    empty = client.get("/api/reports/attendance", {"page": 2, "limit": 10}).json()["data"]
    assert empty["batches"] == [] and empty["total"]["absent"] == size
    csv = client.get(reverse("attendance:report"), {"format": "csv"}).content.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Batch code,Course")
    assert f"GER-EVE,German A1,Ingrid Primary,0,0,{size},0,0,{size},0" in csv


def test_the_at_risk_list_paginates_episodes_then_mentees(client):
    from allocation.models import IndividualAssignment
    from attendance.models import AtRiskEpisode

    w = build_world(students=4)
    for student in w.students:
        AtRiskEpisode.objects.create(student=student, batch=w.batch, reason="3 absences in a row")
        IndividualAssignment.objects.create(
            student=student,
            instructor=w.primary,
            assigned_by=w.admin,
            start_date=timezone.localdate() - dt.timedelta(days=30),
        )
    client.force_login(w.admin)
    body = client.get("/api/students/at-risk", {"page": 2, "limit": 3}).json()
    assert (body["total"], body["page"], body["limit"], body["pages"], body["count"]) == (
        8,
        2,
        3,
        3,
        3,
    )
    assert [r["kind"] for r in body["data"]] == ["attendance", "mentoring", "mentoring"]
    every = client.get("/api/students/at-risk").json()["data"]
    pages = [
        r
        for n in (1, 2, 3)
        for r in client.get("/api/students/at-risk", {"page": n, "limit": 3}).json()["data"]
    ]
    assert pages == every
    assert client.get("/api/students/at-risk", {"page": "x"}).status_code == 400
    risk = figures.at_risk_list(limit=2)
    assert len(risk.rows) == 2 and risk.more == 6


def test_many_courses_or_trainers_are_filtered_by_id(client, monkeypatch):
    w = started_world(2)
    client.force_login(w.admin)
    assert (
        'select class="form-select form-select-sm" name="trainer"'
        in client.get(reverse("attendance:report")).text
    )
    monkeypatch.setattr(figures, "FILTER_CHOICES", 1)
    text = client.get(reverse("attendance:report"), {"trainer": w.primary.pk}).text
    assert 'type="number" min="1" name="trainer"' in text
    assert f'value="{w.primary.pk}"' in text
    assert "GER-EVE" in text
