"""Times in the viewer's zone, with the zone named: ``zoned``, ``zoned_range``,
``current_zone`` (core_tags). No database."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from core.templatetags.core_tags import zone_label, zoned, zoned_range

# 17:00 UTC on a winter Monday: 18:00 in Berlin (CET), 12:00 in New York (EST).
WINTER = dt.datetime(2027, 3, 1, 17, 0, tzinfo=dt.UTC)
# 16:00 UTC after Europe's change: still 18:00 in Berlin (CEST), 12:00 in New York (EDT).
SUMMER = dt.datetime(2027, 3, 29, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def in_zone():
    def activate(name):
        timezone.activate(ZoneInfo(name))

    yield activate
    timezone.deactivate()


def test_berlin_viewer_sees_the_wall_clock_with_the_abbreviation(in_zone):
    in_zone("Europe/Berlin")
    assert zoned(WINTER, "H:i") == "18:00 CET"
    assert zoned(SUMMER, "H:i") == "18:00 CEST"


def test_new_york_viewer_sees_the_same_class_at_noon_with_the_zone_named(in_zone):
    in_zone("America/New_York")
    assert zoned(WINTER, "H:i") == "12:00 EST (America/New_York)"
    assert zoned(SUMMER, "H:i") == "12:00 EDT (America/New_York)"


def test_offset_only_abbreviations_name_the_zone(in_zone):
    in_zone("Asia/Dubai")
    assert zoned(WINTER, "H:i") == "21:00 +04 (Asia/Dubai)"


def test_range_shows_the_end_date_when_it_crosses_midnight(in_zone):
    in_zone("Asia/Kolkata")
    start = dt.datetime(2027, 3, 1, 17, 0, tzinfo=dt.UTC)  # 22:30 IST
    assert zoned_range(start, start + dt.timedelta(hours=2)) == (
        "Mon 2027-03-01 22:30–2027-03-02 00:30 IST (Asia/Kolkata)"
    )
    assert zoned_range(start, start + dt.timedelta(hours=1), "") == "22:30–23:30 IST (Asia/Kolkata)"


def test_range_in_an_explicit_zone_ignores_the_viewers(in_zone):
    in_zone("America/New_York")
    assert zoned_range(WINTER, WINTER + dt.timedelta(minutes=90), tz="Europe/Berlin") == (
        "Mon 2027-03-01 18:00–19:30 CET"
    )
    assert zoned_range(WINTER, WINTER, tz="Not/AZone") == ""


@pytest.mark.parametrize("value", [None, "", "2027-03-01", 3, dt.date(2027, 3, 1)])
def test_anything_but_a_datetime_is_empty(value):
    assert zoned(value) == ""
    assert zoned_range(value, value) == ""


def test_a_naive_datetime_is_read_as_utc(in_zone):
    in_zone("Europe/Berlin")
    assert zoned(dt.datetime(2027, 3, 1, 17, 0), "H:i") == "18:00 CET"


def test_zone_label_of_utc():
    assert zone_label(WINTER.astimezone(ZoneInfo("UTC"))) == "UTC"


def test_template_use_names_the_current_zone(in_zone):
    in_zone("America/New_York")
    html = Template(
        "{% load core_tags %}{% current_zone %}|{{ t|zoned:'H:i' }}|{% zoned_range t t2 '' %}"
    ).render(Context({"t": WINTER, "t2": WINTER + dt.timedelta(hours=1)}))
    assert html == (
        "America/New_York|12:00 EST (America/New_York)|12:00–13:00 EST (America/New_York)"
    )
