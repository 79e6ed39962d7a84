"""Every admin-console list downloads as CSV: courses and leave too."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory, InstructorFactory
from allocation.services import roster_add
from allocation.tests.factories import CourseFactory
from core import dates
from tests.support import csv_text
from trainers.services import leave_record

pytestmark = pytest.mark.django_db


def rows(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(csv_text(response))))


def test_course_list_csv(client, django_assert_max_num_queries):
    course = CourseFactory(code="GER-A1", title="=German A1")
    roster_add(course=course, trainer=InstructorFactory(), workload_percent=30)
    client.force_login(AdminFactory())
    with django_assert_max_num_queries(3):  # session, user, courses with their figures
        response = client.get(reverse("console:course_list"), {"format": "csv"})
    header, *data = rows(response)
    assert header[:2] == ["Code", "Title"]
    # A title that would start a spreadsheet formula is escaped.
    assert data == [["GER-A1", "'=German A1", "0", "0", "0", "0", "1", "30"]]


def test_leave_list_csv(client):
    admin, trainer = AdminFactory(), InstructorFactory(full_name="Lea Leave")
    leave_record(
        trainer=trainer,
        start_date=dt.date(2026, 12, 1),
        end_date=dt.date(2026, 12, 5),
        reason="Conference",
        created_by=admin,
    )
    client.force_login(admin)
    header, *data = rows(client.get(reverse("console:leave_list"), {"format": "csv"}))
    assert header[0] == "Trainer"
    assert data == [
        ["Lea Leave", trainer.email, "2026-12-01", "2026-12-05", "Conference", admin.full_name]
    ]


def test_course_and_leave_lists_filter(client):
    admin = AdminFactory()
    CourseFactory(code="GER-A1", title="German A1")
    CourseFactory(code="ENG-B2", title="English B2")
    today = dates.today()
    for name, start in (("Past Pia", -30), ("Now Nora", -1), ("Soon Sam", 10)):
        leave_record(
            trainer=InstructorFactory(full_name=name),
            start_date=today + dt.timedelta(days=start),
            end_date=today + dt.timedelta(days=start + 3),
            created_by=admin,
        )
    client.force_login(admin)

    courses = client.get(reverse("console:course_list"), {"q": "germ"}).context["page"]
    assert [c.code for c in courses] == ["GER-A1"]

    def leave_names(**query):
        page = client.get(reverse("console:leave_list"), query).context["page"]
        return [leave.trainer.full_name for leave in page]

    assert leave_names(when="current") == ["Now Nora"]
    assert leave_names(when="upcoming") == ["Soon Sam"]
    assert leave_names(when="past") == ["Past Pia"]
    assert leave_names(q="sam") == ["Soon Sam"]
    _, *data = rows(client.get(reverse("console:leave_list"), {"when": "past", "format": "csv"}))
    assert [row[0] for row in data] == ["Past Pia"]
