"""The calendar feeds: parsed back with icalendar and expanded with dateutil, they must hold
one weekly event per schedule slot, on the right weekday, at the right wall-clock time in the
configured zone (across a daylight-saving change), until the batch's last day; the secret
token is the only way in, and resetting it shuts the old URL.

The batch runs from Monday 1 March to Friday 28 May 2027; Europe/Berlin moves to summer time
on 28 March 2027, so the same 10:00 class is 09:00 UTC before and 08:00 UTC after.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation import services as allocation
from allocation.tests.factories import CourseFactory
from enrollments.services import enrollment_cancel, enrollment_create
from tests.support import slot

pytestmark = pytest.mark.django_db

ZONE = "Europe/Berlin"
BERLIN = ZoneInfo(ZONE)
MONDAY, THURSDAY = 0, 3
START, END = dt.date(2027, 3, 1), dt.date(2027, 5, 28)
COVER_START, COVER_END = dt.date(2027, 3, 8), dt.date(2027, 3, 21)


@pytest.fixture(autouse=True)
def _berlin(settings):
    settings.TIME_ZONE = ZONE


@pytest.fixture
def world():
    """A student in a batch (Monday 10:00–12:00, Thursday 18:30–20:00) with a primary, an
    assistant and a substitute covering the primary for two weeks; another student elsewhere."""
    admin = AdminFactory()
    course = CourseFactory(code="GER-A1", title="German A1")
    primary = InstructorFactory(full_name="Ingrid Instructor")
    assistant = InstructorFactory(full_name="Anton Assistant")
    substitute = InstructorFactory(full_name="Dr Sofia Sub")
    batch = allocation.batch_create(
        course=course,
        batch_name="Spring group",
        batch_code="GER-A1-SPRING",
        start_date=START,
        end_date=END,
        capacity=10,
        assigned_instructor=primary,
        created_by=admin,
        schedule=[slot(MONDAY, "10:00", "12:00"), slot(THURSDAY, "18:30", "20:00")],
    )
    allocation.roster_add(course=course, trainer=assistant)
    allocation.batch_staff_add(batch=batch, trainer=assistant, role="assistant", added_by=admin)
    allocation.roster_add(course=course, trainer=substitute, role="substitute")
    cover = allocation.substitute_assign(
        batch=batch,
        absent_trainer=primary,
        substitute=substitute,
        start_date=COVER_START,
        end_date=COVER_END,
        assigned_by=admin,
    )
    student = StudentFactory(full_name="Sam Student")
    enrollment = enrollment_create(student=student, course=course, batch=batch)
    other_course = CourseFactory(code="ENG-B2", title="English B2")
    other_batch = allocation.batch_create(
        course=other_course,
        batch_name="Other group",
        batch_code="ENG-B2-OTHER",
        start_date=START,
        end_date=END,
        capacity=10,
        assigned_instructor=InstructorFactory(),
        created_by=admin,
        schedule=[slot(MONDAY, "10:00", "11:00")],
    )
    enrollment_create(student=StudentFactory(), course=other_course, batch=other_batch)
    return {
        "admin": admin,
        "course": course,
        "batch": batch,
        "slots": {s.day: s for s in batch.schedule.all()},
        "primary": primary,
        "assistant": assistant,
        "substitute": substitute,
        "cover": cover,
        "student": student,
        "enrollment": enrollment,
    }


def student_feed(user: User) -> str:
    return reverse("feeds:student", args=[user.feed_token])


def instructor_feed(user: User) -> str:
    return reverse("feeds:instructor", args=[user.feed_token])


def fetch(client, url: str) -> icalendar.Calendar:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events_by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def occurrences(event: icalendar.Event) -> list[dt.datetime]:
    """The event's session starts: its RRULE expanded from DTSTART, minus its EXDATEs."""
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=event.start, forceset=True)
    for excluded in event.exdates:
        rule.exdate(excluded)
    return list(rule)


def until_of(event: icalendar.Event) -> dt.datetime:
    (until,) = event["RRULE"]["UNTIL"]
    return until


# --- the student's feed ------------------------------------------------------------------------


class TestStudentFeed:
    def test_one_weekly_event_per_slot(self, client, world):
        response = client.get(student_feed(world["student"]))

        assert response["Content-Disposition"] == 'attachment; filename="medh-classes.ics"'
        events = events_by_uid(icalendar.Calendar.from_ical(response.content))
        slots = world["slots"]
        assert set(events) == {f"slot-{s.pk}-student@medh" for s in slots.values()}
        for s in slots.values():
            event = events[f"slot-{s.pk}-student@medh"]
            assert event["RRULE"]["FREQ"] == ["WEEKLY"]
            assert str(event["SUMMARY"]) == "German A1 · GER-A1-SPRING"

    def test_dtstart_is_the_first_session_on_the_slots_weekday(self, client, world):
        events = events_by_uid(fetch(client, student_feed(world["student"])))

        monday = events[f"slot-{world['slots'][MONDAY].pk}-student@medh"]
        thursday = events[f"slot-{world['slots'][THURSDAY].pk}-student@medh"]
        # The batch starts on a Monday: the Thursday slot first meets three days later.
        assert monday.start == dt.datetime(2027, 3, 1, 10, 0, tzinfo=BERLIN)
        assert monday.end == dt.datetime(2027, 3, 1, 12, 0, tzinfo=BERLIN)
        assert thursday.start == dt.datetime(2027, 3, 4, 18, 30, tzinfo=BERLIN)
        assert thursday.end == dt.datetime(2027, 3, 4, 20, 0, tzinfo=BERLIN)
        for day, event in ((MONDAY, monday), (THURSDAY, thursday)):
            assert event.start.weekday() == day
            assert event.start.tzinfo.key == ZONE  # a TZID, not a floating or UTC time

    def test_rrule_until_is_the_end_of_the_batchs_last_day_in_utc(self, client, world):
        for event in fetch(client, student_feed(world["student"])).walk("VEVENT"):
            until = until_of(event)
            assert until.utcoffset() == dt.timedelta(0)
            assert until == dt.datetime(2027, 5, 28, 23, 59, 59, tzinfo=BERLIN)
            assert until.astimezone(BERLIN).date() == END

    def test_sessions_keep_their_local_time_across_daylight_saving(self, client, world):
        events = events_by_uid(fetch(client, student_feed(world["student"])))
        monday = events[f"slot-{world['slots'][MONDAY].pk}-student@medh"]

        sessions = occurrences(monday)

        assert len(sessions) == 13  # every Monday from 1 March to 24 May
        assert sessions[-1].date() == dt.date(2027, 5, 24)
        assert all(s.weekday() == MONDAY and s.time() == dt.time(10, 0) for s in sessions)
        assert sessions[0].astimezone(dt.UTC).hour == 9  # winter time, UTC+1
        assert sessions[-1].astimezone(dt.UTC).hour == 8  # summer time, UTC+2

    def test_the_calendar_carries_the_zones_definition(self, client, world):
        calendar = fetch(client, student_feed(world["student"]))

        assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [ZONE]
        assert str(calendar["X-WR-TIMEZONE"]) == ZONE

    @pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
    def test_times_are_in_the_configured_zone(self, client, world, settings, zone):
        settings.TIME_ZONE = zone

        response = client.get(student_feed(world["student"]))

        text = response.content.decode()
        if zone == "UTC":
            assert "DTSTART:20270301T100000Z" in text
        else:
            assert f"DTSTART;TZID={zone}:20270301T100000" in text
        events = events_by_uid(icalendar.Calendar.from_ical(response.content))
        monday = events[f"slot-{world['slots'][MONDAY].pk}-student@medh"]
        assert monday.start == dt.datetime(2027, 3, 1, 10, 0, tzinfo=ZoneInfo(zone))
        assert until_of(monday).astimezone(ZoneInfo(zone)) == dt.datetime(
            2027, 5, 28, 23, 59, 59, tzinfo=ZoneInfo(zone)
        )

    def test_describes_instructors_and_substitutes(self, client, world):
        for event in fetch(client, student_feed(world["student"])).walk("VEVENT"):
            description = str(event["DESCRIPTION"])
            assert (
                f"Instructors: Ingrid Instructor (primary, {world['primary'].email}); "
                f"Anton Assistant (assistant, {world['assistant'].email})"
            ) in description
            assert (
                "Substitute: Dr Sofia Sub substitutes for Ingrid Instructor "
                "from 2027-03-08 to 2027-03-21"
            ) in description

    def test_holds_only_the_students_active_batch_enrollments(self, client, world):
        student = world["student"]
        french = CourseFactory(code="FRE-A1", title="French A1")
        enrollment_create(student=student, course=french)  # individual: no sessions

        assert len(fetch(client, student_feed(student)).walk("VEVENT")) == 2

        enrollment_cancel(enrollment=world["enrollment"])

        assert fetch(client, student_feed(student)).walk("VEVENT") == []

    def test_a_slot_with_no_session_in_the_batch_has_no_event(self, client, world):
        # Monday 1 to Wednesday 3 March: no Thursday at all.
        short = allocation.batch_create(
            course=CourseFactory(code="SHORT"),
            batch_name="Three days",
            start_date=START,
            end_date=dt.date(2027, 3, 3),
            capacity=5,
            assigned_instructor=InstructorFactory(),
            created_by=world["admin"],
            schedule=[slot(MONDAY, "08:00", "09:00"), slot(THURSDAY, "08:00", "09:00")],
        )
        student = StudentFactory()
        enrollment_create(student=student, course=short.course, batch=short)

        (event,) = fetch(client, student_feed(student)).walk("VEVENT")

        assert occurrences(event) == [dt.datetime(2027, 3, 1, 8, 0, tzinfo=BERLIN)]


# --- the instructor's feed ---------------------------------------------------------------------


class TestInstructorFeed:
    def test_primary_gets_their_batch_without_the_covered_sessions(self, client, world):
        response = client.get(instructor_feed(world["primary"]))

        assert response["Content-Disposition"] == 'attachment; filename="medh-teaching.ics"'
        events = events_by_uid(icalendar.Calendar.from_ical(response.content))
        assert set(events) == {f"slot-{s.pk}-instructor@medh" for s in world["slots"].values()}
        monday = events[f"slot-{world['slots'][MONDAY].pk}-instructor@medh"]
        assert "Your role: Primary" in str(monday["DESCRIPTION"])
        # The substitute teaches 8 and 15 March; the primary's other 11 Mondays remain.
        dates = [s.date() for s in occurrences(monday)]
        assert dt.date(2027, 3, 8) not in dates
        assert dt.date(2027, 3, 15) not in dates
        assert len(dates) == 11
        assert until_of(monday).astimezone(BERLIN).date() == END

    def test_assistant_gets_the_batch(self, client, world):
        events = events_by_uid(fetch(client, instructor_feed(world["assistant"])))

        assert set(events) == {f"slot-{s.pk}-instructor@medh" for s in world["slots"].values()}
        for event in events.values():
            assert "Your role: Assistant" in str(event["DESCRIPTION"])
            assert len(occurrences(event)) == 13  # the assistant is not away

    def test_substitute_gets_cover_events_limited_to_the_cover_dates(self, client, world):
        cover = world["cover"]

        events = events_by_uid(fetch(client, instructor_feed(world["substitute"])))

        slots = world["slots"]
        assert set(events) == {
            f"cover-{cover.pk}-slot-{s.pk}-instructor@medh" for s in slots.values()
        }
        monday = events[f"cover-{cover.pk}-slot-{slots[MONDAY].pk}-instructor@medh"]
        thursday = events[f"cover-{cover.pk}-slot-{slots[THURSDAY].pk}-instructor@medh"]
        assert occurrences(monday) == [
            dt.datetime(2027, 3, 8, 10, 0, tzinfo=BERLIN),
            dt.datetime(2027, 3, 15, 10, 0, tzinfo=BERLIN),
        ]
        assert occurrences(thursday) == [
            dt.datetime(2027, 3, 11, 18, 30, tzinfo=BERLIN),
            dt.datetime(2027, 3, 18, 18, 30, tzinfo=BERLIN),
        ]
        assert thursday.end == dt.datetime(2027, 3, 11, 20, 0, tzinfo=BERLIN)
        for event in (monday, thursday):
            assert until_of(event).astimezone(BERLIN).date() == COVER_END
            assert str(event["SUMMARY"]) == "Substitute: German A1 · GER-A1-SPRING"
            assert "Covering for Ingrid Instructor from 2027-03-08 to 2027-03-21" in str(
                event["DESCRIPTION"]
            )

    def test_a_student_has_no_instructor_feed(self, client, world):
        assert client.get(instructor_feed(world["student"])).status_code == 404


# --- tokens ------------------------------------------------------------------------------------


class TestTokens:
    def test_every_user_has_a_distinct_url_safe_token(self, world):
        tokens = list(User.objects.values_list("feed_token", flat=True))

        assert len(set(tokens)) == len(tokens) > 1
        assert all(len(token) == 43 for token in tokens)

    def test_a_wrong_token_is_404(self, client, world):
        for name in ("feeds:student", "feeds:instructor"):
            url = reverse(name, args=["x" * 43])
            assert client.get(url).status_code == 404, name

    def test_a_token_of_another_role_is_404(self, client, world):
        assert client.get(student_feed(world["primary"])).status_code == 404
        assert client.get(instructor_feed(world["student"])).status_code == 404

    def test_an_inactive_users_feed_is_404(self, client, world):
        User.objects.filter(pk=world["student"].pk).update(is_active=False)

        assert client.get(student_feed(world["student"])).status_code == 404

    def test_feeds_need_no_login_and_refuse_post(self, client, world):
        url = student_feed(world["student"])

        assert client.get(url).status_code == 200
        assert client.post(url).status_code == 405


class TestReset:
    URL = reverse("feeds:reset")

    def test_reset_shuts_the_old_url_and_opens_a_new_one(self, client, world):
        student = world["student"]
        old_url = student_feed(student)
        client.force_login(student)
        back = reverse("student:schedule")

        response = client.post(self.URL, {"next": back}, follow=True)

        assert response.redirect_chain == [(back, 302)]
        assert any("new address" in str(m) for m in response.context["messages"])
        student.refresh_from_db()
        assert client.get(old_url).status_code == 404
        assert student_feed(student) != old_url
        assert len(fetch(client, student_feed(student)).walk("VEVENT")) == 2
        # The schedule page now shows the new address.
        assert student.feed_token in response.content.decode()

    def test_instructor_reset(self, client, world):
        instructor = world["primary"]
        old_url = instructor_feed(instructor)
        client.force_login(instructor)

        response = client.post(self.URL)

        assert response.url == reverse("home")
        instructor.refresh_from_db()
        assert client.get(old_url).status_code == 404
        assert client.get(instructor_feed(instructor)).status_code == 200

    def test_next_to_another_site_is_ignored(self, client, world):
        client.force_login(world["student"])

        response = client.post(self.URL, {"next": "https://evil.example/"})

        assert response.url == reverse("home")

    def test_anonymous_is_sent_to_login_and_nothing_changes(self, client, world):
        token = world["student"].feed_token

        response = client.post(self.URL)

        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        world["student"].refresh_from_db()
        assert world["student"].feed_token == token

    def test_get_is_refused(self, client, world):
        client.force_login(world["student"])

        assert client.get(self.URL).status_code == 405


# --- query counts ------------------------------------------------------------------------------


class TestQueryCounts:
    # user by token, batches (course joined), their slots, teaching staff, covers
    @pytest.mark.parametrize("n", [1, 4])
    def test_student_feed(self, client, django_assert_max_num_queries, n):
        admin, student = AdminFactory(), StudentFactory()
        for i in range(n):
            batch = allocation.batch_create(
                course=CourseFactory(code=f"S{i}"),
                batch_name=f"Group {i}",
                start_date=START,
                end_date=END,
                capacity=5,
                assigned_instructor=InstructorFactory(),
                created_by=admin,
                schedule=[slot(i, "08:00", "09:00"), slot(i, "12:00", "13:00")],
            )
            enrollment_create(student=student, course=batch.course, batch=batch)

        with django_assert_max_num_queries(5):
            calendar = fetch(client, student_feed(student))
        assert len(calendar.walk("VEVENT")) == 2 * n

    # user by token, batches, their slots, teaching staff, covers; cover duties (batch and
    # course joined), their batches' slots
    @pytest.mark.parametrize("n", [1, 3])
    def test_instructor_feed(self, client, world, django_assert_max_num_queries, n):
        substitute = world["substitute"]
        for i in range(n):
            course = CourseFactory(code=f"T{i}")
            allocation.batch_create(
                course=course,
                batch_name=f"Group {i}",
                start_date=START,
                end_date=END,
                capacity=5,
                assigned_instructor=substitute,
                created_by=world["admin"],
                schedule=[slot(i + 1, "08:00", "09:00")],
            )

        with django_assert_max_num_queries(7):
            calendar = fetch(client, instructor_feed(substitute))
        assert len(calendar.walk("VEVENT")) == n + 2  # n batches of one slot, 2 cover events


def test_instructor_dashboard_shows_their_own_feed_address(client):
    from accounts.tests.factories import InstructorFactory

    instructor, other = InstructorFactory(), InstructorFactory()
    client.force_login(instructor)
    page = client.get(reverse("instructor:dashboard")).content.decode()
    assert reverse("feeds:instructor", args=[instructor.feed_token]) in page
    assert other.feed_token not in page
