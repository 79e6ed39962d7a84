"""The pieces of the outbox: the stored context, rendering per recipient in their time zone,
and the development console backend's one line per email."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from io import StringIO

import pytest
from django.core.mail import EmailMessage

from accounts.models import User
from accounts.tests.factories import StudentFactory
from allocation.models import ScheduleSlot
from allocation.tests.factories import BatchFactory, CourseFactory
from notifications.context import Related, freeze, thaw
from notifications.mail import OneLineConsoleBackend
from notifications.models import Notification
from notifications.outbox import render

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.mark.django_db
class TestContext:
    def test_instances_dates_and_values_round_trip_through_json(self):
        course = CourseFactory(code="GER-A1")
        student = StudentFactory()
        when = dt.datetime(2027, 3, 28, 16, 0, tzinfo=dt.UTC)
        context = {
            "course": course,
            "people": [student, None],
            "when": when,
            "day": dt.date(2027, 3, 29),
            "at": dt.time(18, 30),
            "fee": Decimal("12.50"),
            "nested": {"count": 3, "ok": True, "name": "x"},
        }

        frozen = freeze(context)

        assert frozen["course"] == {"$model": "allocation.course", "pk": course.pk}
        assert Notification(context=frozen).context == frozen  # JSON-safe as it is
        back = thaw(frozen)
        assert back["course"] == course and back["people"] == [student, None]
        assert back["when"] == when and back["when"].tzinfo is not None
        assert (back["day"], back["at"], back["fee"]) == (
            dt.date(2027, 3, 29),
            dt.time(18, 30),
            Decimal("12.50"),
        )
        assert back["nested"] == {"count": 3, "ok": True, "name": "x"}

    def test_an_instance_deleted_since_thaws_to_none_and_leaves_a_list(self):
        kept, gone = CourseFactory(), CourseFactory()
        frozen = freeze({"one": gone, "many": [kept, gone]})
        gone.delete()

        assert thaw(frozen) == {"one": None, "many": [kept]}

    def test_a_related_list_is_read_at_render_time_not_in_the_request(
        self, django_assert_num_queries
    ):
        batch = BatchFactory()
        with django_assert_num_queries(0):
            frozen = freeze({"schedule": Related(batch, "schedule")})
        assert frozen == {
            "schedule": {
                "$related": {"$model": "allocation.batch", "pk": batch.pk},
                "name": "schedule",
            }
        }
        later = ScheduleSlot.objects.create(
            batch=batch, day=2, start_time=dt.time(9), end_time=dt.time(10)
        )
        first = ScheduleSlot.objects.create(
            batch=batch, day=0, start_time=dt.time(9), end_time=dt.time(10)
        )

        assert thaw(frozen)["schedule"] == [first, later]  # in the slots' own order
        batch.delete()
        assert thaw(frozen)["schedule"] == []

    def test_one_query_per_model(self, django_assert_num_queries):
        frozen = freeze({"a": CourseFactory(), "b": [CourseFactory(), CourseFactory()]})
        with django_assert_num_queries(1):
            thaw(frozen)

    @pytest.mark.parametrize(
        "value, message",
        [
            (User(email="unsaved@example.com"), "unsaved"),
            (dt.datetime(2027, 1, 1, 10, 0), "naive datetime"),
            ({"$model": "x"}, "reserved"),
            (object(), "cannot store object"),
        ],
    )
    def test_what_cannot_be_stored_is_refused_at_notify_time(self, value, message):
        with pytest.raises(TypeError, match=message):
            freeze({"value": value})


@pytest.fixture
def tz_template(settings, tmp_path):
    """A test event whose templates show an aware datetime, in the active time zone."""
    folder = tmp_path / "notifications"
    folder.mkdir()
    (folder / "tz_test.subject.txt").write_text("Class at {{ when|time:'H:i T' }}")
    (folder / "tz_test.txt").write_text("Hello {{ recipient.full_name }}: {{ when|date:'c' }}")
    (folder / "tz_test.html").write_text("<p>{{ when|time:'H:i' }}</p>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]


@pytest.mark.django_db
class TestRender:
    def notification(self, recipient) -> Notification:
        when = dt.datetime(2027, 3, 29, 16, 0, tzinfo=dt.UTC)  # 18:00 in Berlin (CEST)
        return Notification.objects.create(
            recipient=recipient, event="tz_test", context=freeze({"when": when})
        )

    def test_renders_in_the_recipients_time_zone(self, tz_template):
        n = render(self.notification(StudentFactory(full_name="Sam", time_zone="Europe/Berlin")))

        assert n.subject == "Class at 18:00 CEST"
        assert n.body == "Hello Sam: 2027-03-29T18:00:00+02:00\n"
        assert n.body_html == "<p>18:00</p>"
        stored = Notification.objects.get(pk=n.pk)
        assert (stored.subject, stored.rendered_at) == (n.subject, n.rendered_at)

    def test_without_a_time_zone_of_their_own_the_platforms(self, tz_template, settings):
        settings.TIME_ZONE = "Asia/Kolkata"
        n = render(self.notification(StudentFactory()))

        assert n.subject == "Class at 21:30 IST"

    def test_rendered_once_the_first_stored_wins(self, tz_template):
        n = self.notification(StudentFactory())
        late = Notification.objects.get(pk=n.pk)  # a second renderer, loaded before
        render(n)
        User.objects.filter(pk=n.recipient_id).update(time_zone="Europe/Berlin")
        late.recipient.refresh_from_db()

        render(late)

        assert late.subject == n.subject  # the inbox and the email say the same


def test_the_console_backend_writes_one_line_per_email():
    stream = StringIO()
    backend = OneLineConsoleBackend(stream=stream)
    message = EmailMessage(
        subject="Welcome to German A1",
        body="A long body\n" * 50,
        to=["sam@example.com"],
        headers={"Message-ID": "<notification.1.2.0@medh.local>"},
    )

    assert backend.send_messages([message]) == 1

    assert stream.getvalue() == (
        "email to sam@example.com: Welcome to German A1 <notification.1.2.0@medh.local>\n"
    )
