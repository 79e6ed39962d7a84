"""The calendar feeds carry the real sessions: parsed back with icalendar and expanded with
recurring-ical-events as a calendar app would, each session is one event at its real time in
its batch's zone (an 18:00 Berlin class stays 18:00 Berlin across the daylight-saving change
of 28 March 2027, i.e. 17:00 then 16:00 UTC, and 13:00 then 12:00 in New York), a moved
session is at its new time, a cancelled one is marked ``STATUS:CANCELLED`` for students and
absent for its trainers; the secret token is the only way in, and resetting it shuts the old
URL.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from allocation import services as allocation
from allocation.tests.calendar_world import BERLIN, WEEK_1, WEEK_2, build_calendar, make_session
from tests.support import AdminFactory, CourseFactory, InstructorFactory, StudentFactory, slot

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _now(monkeypatch):
    """The feeds reach back 60 days from now: pin now before the world's sessions."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def cal(db):
    return build_calendar()


def student_feed(user: User) -> str:
    return reverse("feeds:student", args=[user.feed_token])


def instructor_feed(user: User) -> str:
    return reverse("feeds:instructor", args=[user.feed_token])


def fetch(client, url: str) -> icalendar.Calendar:
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    # "private" for a calendar app; a signed-in browser's request also gets no-store
    # (core.middleware.NoStoreMiddleware).
    assert response["Cache-Control"].split(",")[0] == "private"
    return icalendar.Calendar.from_ical(response.content)


def expand(calendar, first=dt.date(2027, 3, 1), last=dt.date(2027, 6, 1)):
    """The events a calendar app shows between ``first`` and ``last``, in time order."""
    events = recurring_ical_events.of(calendar).between(first, last)
    return sorted(events, key=lambda e: e.decoded("dtstart"))


def starts(events, tz=dt.UTC) -> list[str]:
    return [f"{e.decoded('dtstart').astimezone(tz):%Y-%m-%d %H:%M}" for e in events]


# --- the student's feed ------------------------------------------------------------------------


def test_student_feed_holds_each_session_at_its_real_time_in_the_batchs_zone(client, cal):
    events = expand(fetch(client, student_feed(cal.student)))
    assert len(events) == 4
    # Berlin wall clock: 18:00 on both sides of the change; the moved one at 10:00.
    assert starts(events, BERLIN) == [
        "2027-03-22 18:00",
        "2027-03-24 18:00",
        "2027-03-29 10:00",
        "2027-03-29 18:00",
    ]
    # Real time: 17:00 UTC in winter, 16:00 UTC in summer.
    assert starts(events)[0] == "2027-03-22 17:00" and starts(events)[3] == "2027-03-29 16:00"
    # What a New York calendar shows: 13:00, then 12:00.
    assert starts(events, NEW_YORK)[0] == "2027-03-22 13:00"
    assert starts(events, NEW_YORK)[3] == "2027-03-29 12:00"
    for event in events:
        assert event["dtstart"].params["TZID"] == "Europe/Berlin"


def test_the_feed_carries_the_zone_it_uses_and_the_readers_zone(client, cal):
    cal.student.time_zone = "America/New_York"
    cal.student.save(update_fields=["time_zone"])
    calendar = fetch(client, student_feed(cal.student))
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert calendar["x-wr-timezone"] == "America/New_York"


def test_a_cancelled_session_is_marked_cancelled_with_its_reason(client, cal):
    events = {e["uid"]: e for e in expand(fetch(client, student_feed(cal.student)))}
    cancelled = events[f"session-{cal.cancelled.pk}-student@medh"]
    assert cancelled["status"] == "CANCELLED"
    assert str(cancelled["summary"]).startswith("Cancelled: ")
    assert "Trainer ill" in str(cancelled["description"])
    assert events[f"session-{cal.held.pk}-student@medh"]["status"] == "CONFIRMED"


def test_a_moved_session_is_at_its_new_time_and_says_where_it_came_from(client, cal):
    events = {e["uid"]: e for e in expand(fetch(client, student_feed(cal.student)))}
    moved = events[f"session-{cal.moved.pk}-student@medh"]
    assert moved.decoded("dtstart").astimezone(BERLIN).hour == 10
    assert moved["sequence"] == 1
    assert "Moved from Tue 2027-03-30 18:00–19:30 (Europe/Berlin)" in str(moved["description"])


def test_the_description_names_teachers_and_cover(client, cal):
    events = {e["uid"]: e for e in expand(fetch(client, student_feed(cal.student)))}
    covered = str(events[f"session-{cal.covered.pk}-student@medh"]["description"])
    assert "Sofia Substitute (cover" in covered
    assert "Substitute: Sofia Substitute for Ingrid Primary" in covered
    held = str(events[f"session-{cal.held.pk}-student@medh"]["description"])
    assert "Ingrid Primary (primary" in held and "Anton Assistant (assistant" in held


def test_another_students_feed_has_none_of_it(client, cal):
    assert expand(fetch(client, student_feed(cal.outsider))) == []


def test_sessions_older_than_the_window_drop_out(client, cal, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2027, 5, 28, 17, tzinfo=dt.UTC))
    uids = {str(e["uid"]) for e in fetch(client, student_feed(cal.student)).walk("VEVENT")}
    assert f"session-{cal.held.pk}-student@medh" not in uids  # 22 March: over 60 days ago
    assert f"session-{cal.covered.pk}-student@medh" in uids  # 29 March: within


# --- the instructor's feed ---------------------------------------------------------------------


def test_primary_gets_what_they_teach_without_cancelled_or_covered_sessions(client, cal):
    events = expand(fetch(client, instructor_feed(cal.primary)))
    assert [str(e["uid"]) for e in events] == [
        f"session-{cal.held.pk}-instructor@medh",
        f"session-{cal.moved.pk}-instructor@medh",
    ]
    assert "Your role: Primary" in str(events[0]["description"])


def test_substitute_gets_the_covered_session_as_a_cover_duty(client, cal):
    [event] = expand(fetch(client, instructor_feed(cal.substitute)))
    assert str(event["uid"]) == f"session-{cal.covered.pk}-instructor@medh"
    assert str(event["summary"]).startswith("Substitute: ")
    assert "Covering for Ingrid Primary" in str(event["description"])


def test_assistant_gets_every_held_session(client, cal):
    events = expand(fetch(client, instructor_feed(cal.assistant)))
    assert len(events) == 3
    assert all("Your role: Assistant" in str(e["description"]) for e in events)


def test_sessions_generated_from_weekly_slots_stay_at_the_wall_clock_across_dst(client):
    """Through the services: a Monday 18:00 Berlin slot from 15 March to 5 April 2027."""
    admin, primary, student = AdminFactory(), InstructorFactory(), StudentFactory()
    course = CourseFactory(code="DST-1")
    batch = allocation.batch_create(
        course=course,
        batch_name="Across the change",
        start_date=dt.date(2027, 3, 15),
        end_date=dt.date(2027, 4, 5),
        capacity=5,
        assigned_instructor=primary,
        created_by=admin,
        time_zone="Europe/Berlin",
        schedule=[slot(0, "18:00", "19:30")],
    )
    from enrollments.services import enrollment_create

    enrollment_create(student=student, course=course, batch=batch)
    for user, url in ((student, student_feed), (primary, instructor_feed)):
        events = expand(fetch(client, url(user)))
        assert starts(events, BERLIN) == [
            "2027-03-15 18:00",
            "2027-03-22 18:00",
            "2027-03-29 18:00",
            "2027-04-05 18:00",
        ]
        assert starts(events)[1:3] == ["2027-03-22 17:00", "2027-03-29 16:00"]


# --- tokens and reset --------------------------------------------------------------------------


def test_a_wrong_token_or_another_roles_token_is_404(client, cal):
    for name in ("feeds:student", "feeds:instructor"):
        assert client.get(reverse(name, args=["x" * 43])).status_code == 404
    assert client.get(student_feed(cal.primary)).status_code == 404
    assert client.get(instructor_feed(cal.student)).status_code == 404


def test_an_inactive_users_feed_is_404(client, cal):
    User.objects.filter(pk=cal.student.pk).update(is_active=False)
    assert client.get(student_feed(cal.student)).status_code == 404


def test_feeds_need_no_login_and_refuse_post(client, cal):
    assert client.get(student_feed(cal.student)).status_code == 200
    assert client.post(student_feed(cal.student)).status_code == 405


def test_reset_shuts_the_old_url_and_opens_a_new_one(client, cal):
    student = cal.student
    old_url = student_feed(student)
    client.force_login(student)
    back = reverse("student:schedule")
    response = client.post(reverse("feeds:reset"), {"next": back}, follow=True)
    assert response.redirect_chain == [(back, 302)]
    student.refresh_from_db()
    assert client.get(old_url).status_code == 404
    assert len(expand(fetch(client, student_feed(student)))) == 4
    assert student.feed_token in response.content.decode()


def test_reset_ignores_a_next_of_another_site_and_refuses_get(client, cal):
    client.force_login(cal.student)
    assert client.post(reverse("feeds:reset"), {"next": "https://evil.example/"}).url == "/"
    assert client.get(reverse("feeds:reset")).status_code == 405


# --- query counts ------------------------------------------------------------------------------


# user by token; sessions (batch, course, primary joined); bookings' trainers; covers;
# 1:1 mentoring bookings (mentor and mentee joined)
FEED_QUERIES = 5


@pytest.mark.parametrize("feed", ["student", "instructor"])
def test_feeds_run_a_fixed_number_of_queries(client, cal, django_assert_max_num_queries, feed):
    user, url = (cal.student, student_feed) if feed == "student" else (cal.primary, instructor_feed)
    with django_assert_max_num_queries(FEED_QUERIES):
        fetch(client, url(user))
    for week in range(2, 8):
        make_session(
            cal.batch,
            WEEK_1 + dt.timedelta(weeks=week),
            teachers=[(cal.primary, "primary"), (cal.assistant, "assistant")],
        )
    with django_assert_max_num_queries(FEED_QUERIES):
        calendar = fetch(client, url(user))
    assert len(calendar.walk("VEVENT")) == (10 if feed == "student" else 8)


def test_week_2_is_after_the_change():
    assert WEEK_2 > dt.date(2027, 3, 28) > WEEK_1
