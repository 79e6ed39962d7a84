"""The session page (cancel, move), adding a session and the holidays page: each form calls
the session and holiday services; a refusal is a form error on the page (200), a student's
clash a warning after the change. Times are typed in the batch's zone by default.

The world is ``calendar_world``: a Europe/Berlin batch (GER-EVE) with Monday 18:00 classes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from allocation.models import ClassSession, Holiday, SessionKind, SessionStatus
from allocation.tests.calendar_world import BERLIN, WEEK_1, berlin, build_calendar, make_session
from enrollments.models import Enrollment
from tests.support import CourseFactory, build_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def cal(db):
    return build_calendar()


@pytest.fixture
def admin_client(client, cal):
    cal.admin.time_zone = "Europe/Berlin"
    cal.admin.save(update_fields=["time_zone"])
    client.force_login(cal.admin)
    return client


def url(name, pk):
    return reverse(f"console:{name}", args=[pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the session page ----------------------------------------------------------------------


def test_session_page_shows_time_in_both_zones_teachers_and_cover(cal, client):
    cal.admin.time_zone = "America/New_York"
    cal.admin.save(update_fields=["time_zone"])
    client.force_login(cal.admin)
    page = client.get(url("session_detail", cal.covered.pk)).content.decode()
    assert "Mon 2027-03-29 12:00–13:30 EDT (America/New_York)" in page
    assert "Mon 2027-03-29 18:00–19:30 CEST" in page  # the batch's own zone
    assert "Sofia Substitute for Ingrid Primary" in page
    # The move form offers the batch's zone and the viewer's.
    assert 'value="Europe/Berlin"' in page and 'value="America/New_York"' in page


def test_session_page_in_a_fixed_number_of_queries(
    cal, admin_client, django_assert_max_num_queries
):
    admin_client.get(url("session_detail", cal.covered.pk))
    # session + user; the session (batch, course, primary, override, holiday joined); its
    # bookings (trainers joined); its covers (absent trainers and substitutes joined)
    with django_assert_max_num_queries(5):
        assert admin_client.get(url("session_detail", cal.covered.pk)).status_code == 200


def test_cancel_with_a_reason(cal, admin_client):
    response = admin_client.post(url("session_cancel", cal.held.pk), {"reason": "Snow day"})
    assert response.status_code == 302
    assert response["Location"] == url("session_detail", cal.held.pk)
    cal.held.refresh_from_db()
    assert cal.held.status == SessionStatus.CANCELLED and cal.held.reason == "Snow day"
    assert not cal.held.bookings.exists()
    page = admin_client.get(response["Location"]).content.decode()
    assert "This session is cancelled" in page and "Add a make-up session" in page


@pytest.mark.parametrize("reason", ["", "   ", "x" * 301])
def test_cancel_without_a_proper_reason_is_a_form_error(cal, admin_client, reason):
    response = admin_client.post(url("session_cancel", cal.held.pk), {"reason": reason})
    assert response.status_code == 200
    assert response.context["cancel_form"].errors["reason"]
    cal.held.refresh_from_db()
    assert cal.held.status == SessionStatus.SCHEDULED


def test_cancelling_a_cancelled_session_is_refused_on_the_form(cal, admin_client):
    response = admin_client.post(url("session_cancel", cal.cancelled.pk), {"reason": "Again"})
    assert response.status_code == 200
    assert "already cancelled" in response.content.decode()


def move(client, session, day, start, end, time_zone="Europe/Berlin", reason="Room change"):
    return client.post(
        url("session_move", session.pk),
        {"date": day, "start": start, "end": end, "time_zone": time_zone, "reason": reason},
    )


def test_move_reads_the_times_in_the_batchs_zone_and_keeps_the_original(cal, admin_client):
    response = move(admin_client, cal.held, "2027-03-23", "17:00", "18:30")
    assert response.status_code == 302, response.content.decode()
    cal.held.refresh_from_db()
    assert cal.held.status == SessionStatus.MOVED
    assert cal.held.start_at == berlin(dt.date(2027, 3, 23), 17)
    assert cal.held.original_start_at == berlin(WEEK_1, 18)
    assert "Session moved" in " ".join(messages_of(response))


def test_move_in_the_viewers_zone(cal, admin_client):
    response = move(admin_client, cal.held, "2027-03-23", "12:00", "13:30", "Europe/Berlin")
    assert response.status_code == 302
    cal.held.refresh_from_db()
    assert cal.held.start_at.astimezone(BERLIN).hour == 12


@pytest.mark.parametrize(
    ("day", "start", "end", "field"),
    [
        ("2027-03-23", "19:00", "18:00", "end"),
        ("2027-03-23", "18:00", "18:00", "end"),
        ("", "18:00", "19:00", "date"),
        ("2027-02-30", "18:00", "19:00", "date"),
        ("2027-03-23", "25:00", "26:00", "start"),
    ],
)
def test_move_with_bad_times_is_a_form_error(cal, admin_client, day, start, end, field):
    response = move(admin_client, cal.held, day, start, end)
    assert response.status_code == 200
    assert response.context["move_form"].errors[field]
    cal.held.refresh_from_db()
    assert cal.held.status == SessionStatus.SCHEDULED


def test_move_into_a_clash_of_the_trainer_names_the_other_batch(cal, admin_client):
    other = build_batch(
        course=cal.batch.course,
        instructor=cal.primary,
        created_by=cal.admin,
        batch_code="GER-OTHER",
        start_date=dt.date(2027, 3, 1),
        end_date=dt.date(2027, 5, 28),
        status="Active",
        time_zone="Europe/Berlin",
    )
    make_session(other, dt.date(2027, 3, 23), (17, 0), (19, 0), teachers=[(cal.primary, "primary")])
    response = move(admin_client, cal.held, "2027-03-23", "18:00", "19:30")
    assert response.status_code == 200
    page = response.content.decode()
    assert "GER-OTHER" in page
    cal.held.refresh_from_db()
    assert cal.held.status == SessionStatus.SCHEDULED


def test_a_student_clash_is_a_warning_not_a_refusal(cal, admin_client):
    """The student also learns in another course's batch at the new time."""
    other = build_batch(
        course=CourseFactory(code="OTHER-C"),
        instructor=cal.substitute,
        created_by=cal.admin,
        batch_code="OTHER-B",
        start_date=dt.date(2027, 3, 1),
        end_date=dt.date(2027, 5, 28),
        status="Active",
        time_zone="Europe/Berlin",
    )
    Enrollment.objects.create(
        student=cal.student,
        course=other.course,
        batch=other,
        enrollment_type="batch",
        status="active",
    )
    make_session(
        other, dt.date(2027, 3, 23), (18, 0), (19, 0), teachers=[(cal.substitute, "primary")]
    )
    response = move(admin_client, cal.held, "2027-03-23", "18:00", "19:30")
    assert response.status_code == 302, response.content.decode()
    warnings = [m for m in messages_of(response) if "Session moved" not in m]
    assert warnings, "the student's clash is reported"
    cal.held.refresh_from_db()
    assert cal.held.status == SessionStatus.MOVED


# --- adding a session ----------------------------------------------------------------------


def test_add_page_fills_in_the_date_from_the_holidays_link(cal, admin_client):
    response = admin_client.get(f"{url('session_add', cal.batch.pk)}?date=2027-04-06")
    assert response.status_code == 200
    assert response.context["form"].initial["date"] == dt.date(2027, 4, 6)
    assert admin_client.get(f"{url('session_add', cal.batch.pk)}?date=junk").status_code == 200


def test_add_an_extra_session(cal, admin_client):
    response = admin_client.post(
        url("session_add", cal.batch.pk),
        {
            "date": "2027-04-06",
            "start": "18:00",
            "end": "19:30",
            "time_zone": "Europe/Berlin",
            "reason": "Make-up for Easter",
            "room": "Room 4",
            "meeting_url": "",
        },
    )
    assert response.status_code == 302, response.content.decode()
    session = ClassSession.objects.get(batch=cal.batch, reason="Make-up for Easter")
    assert response["Location"] == url("session_detail", session.pk)
    assert session.kind == SessionKind.EXTRA
    assert session.start_at == berlin(dt.date(2027, 4, 6), 18)
    assert session.room == "Room 4"


def test_add_with_a_bad_link_is_a_form_error(cal, admin_client):
    response = admin_client.post(
        url("session_add", cal.batch.pk),
        {
            "date": "2027-04-06",
            "start": "18:00",
            "end": "19:30",
            "time_zone": "Europe/Berlin",
            "meeting_url": "javascript:alert(1)",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["meeting_url"]


# --- holidays ------------------------------------------------------------------------------


def test_a_platform_holiday_cancels_the_sessions_it_covers_and_offers_a_make_up(cal, admin_client):
    response = admin_client.post(
        reverse("console:holiday_list"),
        {"name": "Spring break", "start_date": "2027-03-22", "end_date": "2027-03-22"},
    )
    assert response.status_code == 302, response.content.decode()
    holiday = Holiday.objects.get(name="Spring break")
    assert holiday.scope == "platform"
    cal.held.refresh_from_db()
    assert cal.held.status == SessionStatus.CANCELLED and cal.held.holiday == holiday
    page = admin_client.get(reverse("console:holiday_list")).content.decode()
    assert "Spring break" in page
    assert "GER-EVE" in page and "lost 1 session" in page
    assert url("session_add", cal.batch.pk) in page


def test_a_batch_closure_by_code(cal, admin_client):
    response = admin_client.post(
        reverse("console:holiday_list"),
        {
            "name": "Room works",
            "start_date": "2027-03-29",
            "end_date": "2027-03-29",
            "batch": "ger-eve",
        },
    )
    assert response.status_code == 302
    assert Holiday.objects.get(name="Room works").batch == cal.batch


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "start_date": "2027-03-22", "end_date": "2027-03-22"}, "name"),
        ({"name": "Back", "start_date": "2027-03-22", "end_date": "2027-03-21"}, "end_date"),
        (
            {"name": "Nope", "start_date": "2027-03-22", "end_date": "2027-03-22", "batch": "NOPE"},
            "batch",
        ),
        (
            {"name": "Nope", "start_date": "2027-03-22", "end_date": "2027-03-22", "course": "NO"},
            "course",
        ),
    ],
)
def test_holiday_form_errors(cal, admin_client, data, field):
    response = admin_client.post(reverse("console:holiday_list"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Holiday.objects.exists()


def test_a_closure_for_a_course_and_a_batch_at_once_is_refused(cal, admin_client):
    response = admin_client.post(
        reverse("console:holiday_list"),
        {
            "name": "Both",
            "start_date": "2027-03-22",
            "end_date": "2027-03-22",
            "course": cal.batch.course.code,
            "batch": "GER-EVE",
        },
    )
    assert response.status_code == 200
    assert "not both" in response.content.decode()


def test_a_course_closure_by_code(cal, admin_client):
    response = admin_client.post(
        reverse("console:holiday_list"),
        {
            "name": "Course break",
            "start_date": "2027-03-29",
            "end_date": "2027-03-29",
            "course": "ger-a1",
        },
    )
    assert response.status_code == 302
    assert Holiday.objects.get(name="Course break").course == cal.batch.course


def test_delete_a_holiday(cal, admin_client):
    holiday = Holiday.objects.create(
        name="Old", start_date=dt.date(2027, 5, 1), end_date=dt.date(2027, 5, 1)
    )
    response = admin_client.post(url("holiday_delete", holiday.pk), follow=True)
    assert response.redirect_chain == [(reverse("console:holiday_list"), 302)]
    assert not Holiday.objects.filter(pk=holiday.pk).exists()
    assert "Old removed" in response.content.decode()
    assert admin_client.post(url("holiday_delete", holiday.pk)).status_code == 404


def test_holidays_page_in_a_fixed_number_of_queries(
    cal, admin_client, django_assert_max_num_queries
):
    def fill(n):
        for i in range(n):
            Holiday.objects.create(
                name=f"Day {i}",
                start_date=dt.date(2027, 6, 1 + i),
                end_date=dt.date(2027, 6, 1 + i),
                course=cal.batch.course if i % 2 else None,
            )
            ClassSession.objects.filter(pk=cal.held.pk).update(
                status="cancelled", reason="x", holiday=Holiday.objects.last()
            )

    fill(1)
    admin_client.get(reverse("console:holiday_list"))
    # session + user; holidays (course, batch, author joined); batches that lost sessions:
    # count and page (course joined); their lost counts
    with django_assert_max_num_queries(HOLIDAY_QUERIES):
        admin_client.get(reverse("console:holiday_list"))
    fill(10)
    with django_assert_max_num_queries(HOLIDAY_QUERIES):
        response = admin_client.get(reverse("console:holiday_list"))
    assert len(response.context["holidays"]) == 11


HOLIDAY_QUERIES = 6
