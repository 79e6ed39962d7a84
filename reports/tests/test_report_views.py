"""The report pages and their CSV downloads: figures of the known data set (see
``test_reports``), filters, empty states, access, and query counts that do not grow."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation import services as allocation
from allocation.models import Weekday
from allocation.tests.factories import CourseFactory
from core import dates
from enrollments import services as enrollments
from enrollments.models import WaitlistEntry
from reports.tests.test_reports import build_known_data, slot
from tests.support import BATCH_DEFAULTS, build_batch, csv_text

pytestmark = pytest.mark.django_db

TODAY = dates.today()
REPORTS = ["reports:index", "reports:courses", "reports:batches", "reports:instructors"]
REPORTS.append("reports:students")


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(csv_text(response))))


@pytest.fixture
def known():
    return build_known_data()


@pytest.fixture
def admin_client(client, known):
    client.force_login(known["admin"])
    return client


# --- pages -----------------------------------------------------------------------------------


def test_index_shows_the_headline_figures(admin_client):
    response = admin_client.get(reverse("reports:index"))
    assert response.status_code == 200
    overall = response.context["overall"]
    assert (overall.capacity, overall.enrolled, overall.cancellations, overall.waitlist) == (
        19,
        9,
        2,
        3,
    )
    html = response.content.decode()
    assert 'data-figure="free-seats">10<' in html
    assert "9 of 19 seats taken in open batches" in html
    assert "Open seats" not in html  # the capacity is no count of open seats
    assert 'data-figure="fill-rate">47.4&nbsp;%<' in html
    assert 'data-figure="completion-rate">50&nbsp;%<' in html
    assert 'data-figure="cancellations">2<' in html
    assert 'data-figure="waitlist">3<' in html
    assert 'data-figure="with-instructor">5<' in html
    for name in REPORTS[1:]:
        assert f'href="{reverse(name)}"' in html
    # The definitions are on the page.
    assert "Completed ÷ (completed + cancelled + expired)" in html


def test_course_page(admin_client):
    response = admin_client.get(reverse("reports:courses"))
    rows = response.context["rows"]
    assert [r.course.code for r in rows] == ["ALPHA", "BETA", "EMPTY"]
    html = response.content.decode()
    assert "33.3&nbsp;%" in html  # ALPHA's fill rate
    assert "100&nbsp;%" in html  # BETA's
    assert 'title="No open seats">—' in html  # EMPTY's
    assert "All 3 courses" in html
    assert "47.4&nbsp;%" in html  # the totals row
    assert "3 in all" in html  # one page: no page controls, the count


def test_batch_page_filters(admin_client, known):
    url = reverse("reports:batches")

    def codes(**query):
        response = admin_client.get(url, query)
        assert response.status_code == 200
        return [r.batch.batch_code for r in response.context["rows"]]

    assert codes() == ["A1", "A3", "A2", "B1", "B2"]
    assert codes(course=known["beta"].pk) == ["B1", "B2"]
    assert codes(course=known["alpha"].pk, status="Completed") == ["A3"]
    html = admin_client.get(url, {"status": "Completed"}).content.decode()
    assert "66.7&nbsp;%" in html  # A3's completion rate
    assert 'title="Closed batches have no fill rate">—' in html


def test_batch_page_ignores_bad_filters(admin_client, known):
    response = admin_client.get(
        reverse("reports:batches"), {"course": "junk", "status": "Paused", "page": "x"}
    )
    assert response.status_code == 200
    form = response.context["filter"]["form"]
    assert set(form.errors) == {"course", "status"}
    assert len(response.context["rows"]) == 5  # nothing filtered out


def test_batch_page_empty_state(admin_client, known):
    response = admin_client.get(reverse("reports:batches"), {"course": known["empty"].pk})
    assert response.context["rows"] == []
    assert "No batches match these filters." in response.content.decode()


def test_instructor_page(admin_client):
    response = admin_client.get(reverse("reports:instructors"))
    html = response.content.decode()
    assert [r.trainer.full_name for r in response.context["rows"]] == [
        "Ines Ivanova",
        "Omar Okafor",
        "Paul Park",
    ]
    assert (TODAY - dt.timedelta(days=3)).isoformat() in html  # Ines's last contact
    assert ">5.5<" in html  # Ines's weekly hours


def test_student_page(admin_client):
    response = admin_client.get(reverse("reports:students"))
    assert response.context["distribution"].students == 17
    html = response.content.decode()
    assert "Without an instructor" in html
    assert "70.6&nbsp;%" in html


@pytest.mark.parametrize(
    ("name", "empty_text"),
    [
        ("reports:courses", "No courses yet"),
        ("reports:batches", "No batches match these filters."),
        ("reports:instructors", "No active instructors yet."),
        ("reports:students", "No students yet."),
    ],
)
def test_empty_states(client, name, empty_text):
    client.force_login(AdminFactory())
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert empty_text in response.content.decode()


def test_full_batches_leave_no_free_seat(client, course):
    """Every open seat taken: the overview says 0 free, not the capacity."""
    admin = AdminFactory()
    for code, seats in (("FULL-1", 3), ("FULL-2", 2)):
        build_batch(
            **BATCH_DEFAULTS | {"capacity": seats},
            course=course,
            instructor=InstructorFactory(),
            created_by=admin,
            batch_code=code,
            enrolled=seats,
        )
    client.force_login(admin)

    html = client.get(reverse("reports:index")).content.decode()

    assert 'data-figure="free-seats">0<' in html
    assert "5 of 5 seats taken in open batches" in html
    rows = csv_rows(client.get(reverse("reports:index"), {"format": "csv"}))
    assert ["Free seats", "0"] in rows


def test_index_without_data(client):
    client.force_login(AdminFactory())
    html = client.get(reverse("reports:index")).content.decode()
    assert 'data-figure="free-seats">0<' in html
    assert "0 of 0 seats taken in open batches" in html
    assert 'title="No open batches">—' in html
    assert 'title="No enrollment has ended yet">—' in html


# --- pagination -------------------------------------------------------------------------------


def more_courses(n: int) -> None:
    """``n`` more courses, titled after the known ones (so they come last), each with one
    cancelled individual enrollment: each adds to the totals."""
    for i in range(n):
        course = CourseFactory(code=f"MORE-{i:02d}", title=f"Zeta {i:02d}")
        enrollments.enrollment_cancel(
            enrollment=enrollments.enrollment_create(student=StudentFactory(), course=course)
        )


def totals_row(html: str) -> str:
    return html.split("<tfoot", 1)[1].split("</tfoot>", 1)[0]


def test_course_pages_show_the_totals_of_every_course(admin_client):
    more_courses(30)  # 33 courses: two pages
    url = reverse("reports:courses")
    first, second = admin_client.get(url), admin_client.get(url, {"page": "2"})
    assert [r.course.code for r in first.context["rows"]][:3] == ["ALPHA", "BETA", "EMPTY"]
    assert len(first.context["rows"]) == 25
    assert [r.course.code for r in second.context["rows"]] == [
        f"MORE-{i:02d}" for i in range(22, 30)
    ]
    # Both pages: the same totals, of all 33 courses (30 more cancellations than the 3 known).
    for response in (first, second):
        overall = response.context["overall"]
        assert (overall.capacity, overall.enrolled, overall.cancelled) == (19, 9, 32)
        assert "All 33 courses" in totals_row(response.content.decode())
    every = csv_rows(admin_client.get(url, {"format": "csv"}))[1:]
    assert len(every) == 33
    assert sum(int(row[8]) for row in every) == 32  # the CSV's cancellations add up alike
    html = first.content.decode()
    assert "1–25 of 33" in html
    assert 'href="?page=2"' in html


@pytest.mark.parametrize(
    ("page", "shown"),
    [("abc", 1), ("0", 2), ("-1", 2), ("99999", 2), ("2.5", 1), ("", 1), ("2", 2)],
)
def test_course_page_numbers_out_of_range_or_junk(admin_client, page, shown):
    more_courses(30)
    response = admin_client.get(reverse("reports:courses"), {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == shown
    assert response.context["overall"].cancelled == 32


def test_instructor_pages(admin_client, known):
    for i in range(30):
        InstructorFactory(full_name=f"Zoe {i:02d}")
    url = reverse("reports:instructors")
    first = admin_client.get(url)
    names = [r.trainer.full_name for r in first.context["rows"]]
    assert names[:3] == ["Ines Ivanova", "Omar Okafor", "Paul Park"] and len(names) == 25
    last = admin_client.get(url, {"page": "99"})  # past the end: the last page
    assert last.status_code == 200
    assert [r.trainer.full_name for r in last.context["rows"]] == [
        f"Zoe {i:02d}" for i in range(22, 30)
    ]
    assert "26–33 of 33" in last.content.decode()
    # The CSV holds every instructor, whatever the page asked.
    every = csv_rows(admin_client.get(url, {"format": "csv", "page": "2"}))[1:]
    assert [row[0] for row in every][:3] == ["Ines Ivanova", "Omar Okafor", "Paul Park"]
    assert len(every) == 33
    assert admin_client.get(url, {"page": "junk"}).context["page"].number == 1


# --- CSV ---------------------------------------------------------------------------------------


FIGURES_HEADER = [
    "Capacity",
    "Enrolled",
    "Fill rate %",
    "Completed",
    "Cancelled",
    "Expired",
    "Completion rate %",
    "Waitlist",
]


def test_index_csv(admin_client):
    rows = csv_rows(admin_client.get(reverse("reports:index"), {"format": "csv"}))
    assert rows == [
        ["Figure", "Value"],
        ["Courses", "3"],
        ["Seats in open batches", "19"],
        ["Enrolled", "9"],
        ["Free seats", "10"],
        ["Fill rate %", "47.4"],
        ["Completed enrollments", "3"],
        ["Cancellations", "2"],
        ["Expired enrollments", "1"],
        ["Completion rate %", "50.0"],
        ["Waitlist", "3"],
        ["Students", "17"],
        ["Students with an individual instructor", "5"],
        ["Students without an individual instructor", "12"],
    ]


def test_course_csv(admin_client):
    rows = csv_rows(admin_client.get(reverse("reports:courses"), {"format": "csv"}))
    assert rows == [
        ["Code", "Title", "Batches", "Open batches", *FIGURES_HEADER],
        ["ALPHA", "Alpha German", "3", "2", "15", "5", "33.3", "3", "2", "1", "50.0", "1"],
        ["BETA", "Beta English", "2", "1", "4", "4", "100.0", "0", "0", "0", "", "2"],
        ["EMPTY", "Empty Course", "0", "0", "0", "0", "", "0", "0", "0", "", "0"],
    ]


def test_batch_csv_keeps_the_filters(admin_client, known):
    start = (TODAY - dt.timedelta(days=28)).isoformat()
    end = (TODAY + dt.timedelta(days=56)).isoformat()
    rows = csv_rows(
        admin_client.get(
            reverse("reports:batches"),
            {"format": "csv", "course": known["alpha"].pk, "status": "Active", "page": "2"},
        )
    )
    head = ["Code", "Name", "Course", "Status", "Start date", "End date", "Instructor"]
    assert rows == [
        [*head, *FIGURES_HEADER],
        ["A1", "A1 group", "ALPHA", "Active", start, end, "Ines Ivanova"]
        + ["10", "4", "40.0", "0", "1", "1", "0.0", "0"],
    ]
    everything = csv_rows(admin_client.get(reverse("reports:batches"), {"format": "csv"}))
    assert [row[0] for row in everything[1:]] == ["A1", "A3", "A2", "B1", "B2"]
    assert everything[2][7:] == ["8", "0", "", "2", "1", "0", "66.7", "0"]  # A3, completed


def test_instructor_csv(admin_client):
    rows = csv_rows(admin_client.get(reverse("reports:instructors"), {"format": "csv"}))
    days = dt.timedelta
    assert rows == [
        [
            "Instructor",
            "Email",
            "Open batches",
            "Students across batches",
            "Individual students",
            "Weekly hours",
            "Mentoring sessions",
            "Last contact",
        ],
        ["Ines Ivanova", "ines@example.com", "2", "5", "2", "5.5", "2", str(TODAY - days(3))],
        ["Omar Okafor", "omar@example.com", "2", "8", "2", "5.0", "2", str(TODAY - days(5))],
        ["Paul Park", "paul@example.com", "0", "0", "1", "0.0", "0", ""],
    ]


def test_student_csv(admin_client):
    rows = csv_rows(admin_client.get(reverse("reports:students"), {"format": "csv"}))
    assert rows == [
        ["Group", "Category", "Students", "Share %"],
        ["Individual instructor", "With an instructor", "5", "29.4"],
        ["Individual instructor", "Without an instructor", "12", "70.6"],
        ["Assignment type", "Mentor", "2", "11.8"],
        ["Assignment type", "Tutor", "1", "5.9"],
        ["Assignment type", "Advisor", "1", "5.9"],
        ["Assignment type", "Supervisor", "1", "5.9"],
        ["Enrollment", "In a batch", "7", "41.2"],
        ["Enrollment", "Individual enrollment only", "1", "5.9"],
        ["Enrollment", "No active enrollment", "9", "52.9"],
    ]


def test_csv_cells_are_formula_safe(client):
    client.force_login(AdminFactory())
    CourseFactory(code="EVIL", title="=HYPERLINK(1)")
    rows = csv_rows(client.get(reverse("reports:courses"), {"format": "csv"}))
    assert rows[1][1] == "'=HYPERLINK(1)"


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize("query", [{}, {"format": "csv"}], ids=["page", "csv"])
def test_admins_only(client, name, query):
    url = reverse(name)
    response = client.get(url, query)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login")) and "next=" in response.url
    for user in (StudentFactory(), InstructorFactory()):
        client.force_login(user)
        assert client.get(url, query).status_code == 403
    client.force_login(AdminFactory())
    assert client.get(url, query).status_code == 200
    assert client.post(url, query).status_code == 405


# --- query counts ------------------------------------------------------------------------------


def grow(admin, n: int) -> None:
    """``n`` more courses, each with an instructor teaching a batch of two students (one
    cancelled), a waiting entry and a mentee with a logged session."""
    for i in range(n):
        course = CourseFactory(code=f"GROW-{i}", title=f"Grown {i}")
        instructor = InstructorFactory()
        batch = allocation.batch_create(
            course=course,
            batch_name=f"Grown batch {i}",
            start_date=TODAY - dt.timedelta(days=7),
            end_date=TODAY + dt.timedelta(days=60),
            capacity=5,
            assigned_instructor=instructor,
            created_by=admin,
            status="Active",
            schedule=[slot(Weekday.MONDAY, "09:00", "10:00")],
        )
        first, second, waiting = StudentFactory(), StudentFactory(), StudentFactory()
        enrollments.enrollment_create(student=first, course=course, batch=batch)
        enrollments.enrollment_cancel(
            enrollment=enrollments.enrollment_create(student=second, course=course, batch=batch)
        )
        WaitlistEntry.objects.create(batch=batch, student=waiting, position=1)
        assignment = allocation.individual_assign(
            student=first,
            instructor=instructor,
            assigned_by=admin,
            start_date=TODAY - dt.timedelta(days=7),
        )
        allocation.mentoring_session_log(
            assignment=assignment, logged_by=instructor, session_date=TODAY, duration_minutes=30
        )


# Each page: the session, the user, then (comments list the rest).
TOTALS = 3  # open batches' seats, ended enrollments by status, waiting entries
QUERIES = {
    # courses, the totals, students and those with an instructor
    "reports:index": 3 + TOTALS + 2,
    # count for the paginator, the page of courses (one query with subqueries), the totals
    "reports:courses": 4 + TOTALS,
    # count for the paginator, the page of batches, the courses of the filter form
    "reports:batches": 5,
    # count for the paginator, the page of instructors with workload and mentoring
    "reports:instructors": 4,
    # the distribution: students; active enrollments, and those of users who are not
    # students; current assignments
    "reports:students": 6,
}
# Every row at once: no paginator, no form, no totals.
CSV_QUERIES = QUERIES | {"reports:batches": 3, "reports:courses": 3, "reports:instructors": 3}


@pytest.mark.parametrize("size", [1, 30])
def test_query_count_does_not_grow(client, django_assert_max_num_queries, size):
    """Every report page and CSV with 1 and with 30 courses, batches, instructors and
    students: the same pinned number of queries. 30 courses, batches and instructors fill
    more than a page."""
    admin = AdminFactory()
    grow(admin, size)
    client.force_login(admin)
    for name in REPORTS:
        for csv_download, limits in ((False, QUERIES), (True, CSV_QUERIES)):
            query = {"format": "csv"} if csv_download else {}
            with django_assert_max_num_queries(limits[name], info=f"{name} {query}"):
                response = client.get(reverse(name), query)
            assert response.status_code == 200
    for name in ("reports:courses", "reports:batches", "reports:instructors"):
        context = client.get(reverse(name)).context
        assert len(context["rows"]) == min(size, 25)
        assert context["page"].paginator.count == size
