"""The calendar pages: the batch's month and week, "This week", the student's next sessions,
each in the viewer's zone with the zone named, in a fixed number of queries.

The world (``calendar_world``): a Europe/Berlin batch with Monday 18:00 classes on 22 March
2027 (CET) and 29 March 2027 (CEST); New York is on summer time from 14 March, so a New York
viewer sees them at 13:00 and at 12:00.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from allocation.selectors import calendar_pages
from allocation.tests.calendar_world import NEW_YORK, WEEK_1, WEEK_2, build_calendar, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def cal(db):
    return build_calendar()


def login(client, user, time_zone="Europe/Berlin"):
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])
    client.force_login(user)
    return client


def calendar_url(cal, **query):
    url = reverse("console:batch_calendar", args=[cal.batch.pk])
    return url + "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else url


# --- the batch's calendar ----------------------------------------------------------------------


def test_month_shows_every_session_with_status_teacher_and_cover_in_the_viewers_zone(client, cal):
    login(client, cal.admin, NEW_YORK)
    response = client.get(calendar_url(cal, view="month", date="2027-03-01"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "March 2027" in page
    assert "Times in America/New_York" in page
    # 18:00 Berlin is 13:00 in New York before Europe's change and 12:00 after it.
    assert "13:00" in page and "12:00" in page
    assert "18:00" not in page
    for session in (cal.held, cal.cancelled, cal.moved, cal.covered):
        assert reverse("console:session_detail", args=[session.pk]) in page
    assert "Cancelled" in page and "Moved" in page
    assert "Sofia Substitute covers for Ingrid Primary" in page
    assert "Anton Assistant" in page
    calendar = response.context["calendar"]
    assert calendar.session_count == 4
    [monday_22] = [day for day in calendar.days if day.day == WEEK_1]
    assert [row.session for row in monday_22.rows] == [cal.held]


def test_a_berlin_viewer_sees_the_berlin_wall_clock(client, cal):
    login(client, cal.admin, "Europe/Berlin")
    page = client.get(calendar_url(cal, view="week", date="2027-03-29")).content.decode()
    assert "18:00–19:30 CEST" in page
    assert "Times in Europe/Berlin" in page


def test_week_view_holds_the_seven_days_of_the_week_in_the_viewers_zone(client, cal):
    login(client, cal.admin, "Asia/Kolkata")
    response = client.get(calendar_url(cal, view="week", date="2027-03-31"))
    calendar = response.context["calendar"]
    assert calendar.anchor == WEEK_2 and len(calendar.days) == 7
    assert calendar.session_count == 2
    page = response.content.decode()
    # 18:00 CEST is 21:30 in Kolkata; IST names several zones, so the IANA name follows it.
    assert "21:30–23:00 IST (Asia/Kolkata)" in page
    assert f"date={calendar.previous:%Y-%m-%d}" in page and calendar.previous == WEEK_1


def test_a_late_session_falls_on_the_viewers_own_day(cal):
    """A Berlin 23:30 class is already the next day in Kolkata."""
    late = make_session(cal.batch, WEEK_1, (23, 30), (23, 59), teachers=[(cal.primary, "primary")])
    from zoneinfo import ZoneInfo

    calendar = calendar_pages.batch_calendar(
        cal.batch, view="week", day=WEEK_1, tz=ZoneInfo("Asia/Kolkata"), today=WEEK_1
    )
    [tuesday] = [day for day in calendar.days if day.day == WEEK_1 + dt.timedelta(days=1)]
    assert late in [row.session for row in tuesday.rows]


@pytest.mark.parametrize(
    "query", ["view=year", "date=2027-13-01", "date=yesterday", "date=9999-12-31"]
)
def test_a_bad_calendar_query_is_a_400(client, cal, query):
    login(client, cal.admin)
    response = client.get(f"{reverse('console:batch_calendar', args=[cal.batch.pk])}?{query}")
    assert response.status_code == 400


def test_batch_page_links_to_its_calendar(client, cal):
    login(client, cal.admin)
    page = client.get(reverse("console:batch_detail", args=[cal.batch.pk])).content.decode()
    assert reverse("console:batch_calendar", args=[cal.batch.pk]) in page


def test_month_renders_in_a_fixed_number_of_queries(client, cal, django_assert_max_num_queries):
    login(client, cal.admin)
    url = calendar_url(cal, view="month", date="2027-03-01")
    client.get(url)  # warm caches (session, content types)
    # session + user; batch (course joined); sessions (batch, course, primary, override and
    # holiday joined); bookings (trainer joined); covers (absent trainer, substitute joined)
    with django_assert_max_num_queries(CALENDAR_QUERIES):
        assert client.get(url).status_code == 200
    for day in range(1, 20):
        make_session(
            cal.batch, dt.date(2027, 3, day), teachers=[(cal.primary, "primary")], kind="extra"
        )
    with django_assert_max_num_queries(CALENDAR_QUERIES):
        assert client.get(url).status_code == 200


CALENDAR_QUERIES = 6

# --- "This week" -------------------------------------------------------------------------------


def test_this_week_lists_the_instructors_sessions_in_order_with_role_and_cover(client, cal):
    login(client, cal.primary, NEW_YORK)
    response = client.get(f"{reverse('instructor:this_week')}?date=2027-03-30")
    assert response.status_code == 200
    calendar = response.context["calendar"]
    rows = [row for day in calendar.days for row in day.rows]
    assert [row.session for row in rows] == [cal.moved, cal.covered]
    assert [row.role for row in rows] == ["primary", "covered"]
    page = response.content.decode()
    assert "covered for you" in page
    assert "{#" not in page and "{%" not in page  # no template comment leaks
    assert "Sofia Substitute covers for Ingrid Primary" in page
    assert "Times in America/New_York" in page
    # The moved session: 10:00 Berlin (CEST) is 04:00 in New York; where it came from.
    assert "04:00–05:30 EDT (America/New_York)" in page
    assert "Moved from" in page


def test_this_week_of_the_substitute_shows_the_cover_duty(client, cal):
    login(client, cal.substitute)
    response = client.get(f"{reverse('instructor:this_week')}?date=2027-03-29")
    rows = [row for day in response.context["calendar"].days for row in day.rows]
    assert [(row.session, row.role) for row in rows] == [(cal.covered, "cover")]


def test_this_week_with_no_sessions_says_so(client, cal):
    login(client, cal.assistant)
    response = client.get(f"{reverse('instructor:this_week')}?date=2030-01-07")
    assert "No sessions this week." in response.content.decode()


def test_this_week_bad_date_is_a_400(client, cal):
    login(client, cal.primary)
    assert client.get(f"{reverse('instructor:this_week')}?date=nope").status_code == 400


def test_this_week_is_linked_from_the_dashboard_and_the_navigation(client, cal):
    login(client, cal.primary)
    page = client.get(reverse("instructor:dashboard")).content.decode()
    assert page.count(reverse("instructor:this_week")) >= 2  # the nav and the dashboard


def test_this_week_renders_in_a_fixed_number_of_queries(client, cal, django_assert_max_num_queries):
    login(client, cal.primary)
    url = f"{reverse('instructor:this_week')}?date=2027-03-29"
    client.get(url)
    with django_assert_max_num_queries(THIS_WEEK_QUERIES):
        client.get(url)
    for hour in range(6, 16):
        make_session(
            cal.batch,
            WEEK_2 + dt.timedelta(days=2),
            (hour, 0),
            (hour, 30),
            teachers=[(cal.primary, "primary")],
        )
    with django_assert_max_num_queries(THIS_WEEK_QUERIES):
        response = client.get(url)
    assert response.context["calendar"].session_count == 12


# session + user; the sessions taught, their bookings, their covers; the sessions covered for
# them (one query with the subquery of covers), their bookings, their covers; their 1:1
# mentoring bookings
THIS_WEEK_QUERIES = 9

# --- the student's next sessions ---------------------------------------------------------------


def test_student_sees_next_sessions_above_the_timetable_in_their_zone(client, cal, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2027, 3, 20, tzinfo=dt.UTC))
    login(client, cal.student, NEW_YORK)
    response = client.get(reverse("student:schedule"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index('data-testid="next-sessions"') < page.index("Weekly timetable")
    rows = response.context["next_sessions"]
    assert [row.session for row in rows] == [cal.held, cal.cancelled, cal.moved, cal.covered]
    assert "Mon 2027-03-22 13:00–14:30 EDT (America/New_York)" in page
    assert "Mon 2027-03-29 12:00–13:30 EDT (America/New_York)" in page
    assert "Trainer ill" in page  # the cancellation is news
    assert "Sofia Substitute covers for Ingrid Primary" in page


def test_another_student_sees_none_of_them(client, cal):
    login(client, cal.outsider)
    response = client.get(reverse("student:schedule"))
    assert response.context["next_sessions"] == []
    assert "No upcoming sessions." in response.content.decode()
