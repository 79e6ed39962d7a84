"""The main pages on a phone (390px) and a desktop (1280px), on the demo data.

One test, so the demo data (two courses, one of 13 trainers, 800 students) is built once. At
each width every page of the admin console, the instructor and the student must load without
a JavaScript error or a 4xx/5xx response (``conftest.watch``) and without widening the page
body; at 1280px no control shows its text cut off and no table scrolls inside its card. On
the phone the instructor's and the student's pages and the workload dashboard show cards and
a day-by-day agenda instead of wide tables, folded filters and readable chart text.
"""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from allocation.models import Batch, BatchStatus, Course, MentoringSession, Weekday
from attendance.models import AttendanceMark
from enrollments.demo import Student
from enrollments.models import Enrollment, EnrollmentStatus
from feedback.models import FeedbackRequest
from tests.browser.layout import CLIPPED, PAGE_OVERFLOW
from trainers.models import TrainerLeave

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, DESKTOP = 390, 1280
HEIGHTS = {PHONE: 844, DESKTOP: 800}  # a common phone's screen; the screenshots' desktop
ADMIN = ("admin@medh.local", "admin12345")
# An assistant teaching four German batches (the lead only backs them up: no timetable).
INSTRUCTOR = ("john.miller@medh.local", "demo12345")


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    english = Course.objects.get(code="ENG-B2")
    upcoming = (
        Enrollment.objects.filter(
            status=EnrollmentStatus.ACTIVE,
            batch__status=BatchStatus.UPCOMING,
            batch__schedule__day=Weekday.SATURDAY,
        )
        .select_related("student")
        .order_by("pk")
        .first()
    )
    rated = Batch.objects.get(batch_name="German A1 · Winter cohort")
    # A student of the completed batch whose request is still open, and a mentee with a
    # session to rate (the feedback demo: feedback/demo.py).
    asked = (
        FeedbackRequest.objects.filter(batch=rated)
        .exclude(student__feedback_given__batch=rated)
        .order_by("student_id")
        .first()
        .student
    )
    session = MentoringSession.objects.filter(rating__isnull=True).order_by("pk").first()
    return SimpleNamespace(
        rated=rated,
        asked=(asked.email, "demo12345"),
        mentee=(session.assignment.student.email, "demo12345"),
        mentoring_session=session,
        english=english,
        batch=Batch.objects.filter(course=english).order_by("pk").first(),
        leave=TrainerLeave.objects.order_by("pk").first(),
        # A student whose batch has not started (the page names both statuses) and meets on
        # Saturdays (the day a narrow grid cut off).
        student=(upcoming.student.email, "demo12345"),
        # The latest session with a roll taken (the demo has four weeks of attendance).
        roll_session=AttendanceMark.objects.order_by("-session_start").first().session_id,
        # A student with needs recorded: the mentor page ranks candidates with reasons.
        needy_student=User.objects.get(email=Student(1).email),
    )


def admin_pages(demo) -> list[str]:
    course, batch = demo.english.pk, demo.batch.pk
    names = [
        ("console:dashboard", ()),
        ("console:batch_list", ()),
        ("console:batch_create", ()),
        ("console:batch_detail", (batch,)),
        ("console:batch_edit", (batch,)),
        ("console:batch_assign_instructor", (batch,)),
        ("console:course_list", ()),
        ("console:course_detail", (course,)),
        ("console:course_roster", (course,)),
        ("console:course_staffing", (course,)),
        ("console:leave_list", ()),
        ("console:leave_detail", (demo.leave.pk,)),
        ("console:mentor_list", ()),
        ("console:mentor_assign", (demo.needy_student.pk,)),
        ("enroll:list", ()),
        ("enroll:create", ()),
        ("waitlist:list", ()),
        ("assignment:preview", ()),
        ("reports:index", ()),
        ("reports:courses", ()),
        ("reports:batches", ()),
        ("reports:instructors", ()),
        ("reports:students", ()),
        ("reports:quality", ()),
        ("feedback:batch", (demo.rated.pk,)),
        ("audit:log", ()),
        ("imports:list", ()),
        ("lifecycle:preview", ()),
        ("inbox:list", ()),
        ("people:list", ()),
        ("profile", ()),
        ("attendance:report", ()),
        ("attendance:at_risk", ()),
        ("attendance:roll", (demo.roll_session,)),
        ("enroll:requests", ()),
    ]
    return [reverse(name, args=args) for name, args in names]


INSTRUCTOR_PAGES = [
    "instructor:dashboard",
    "instructor:mentees",
    "instructor:availability",
    "mentoring:bookings",
    "attendance:at_risk",
]
STUDENT_PAGES = [
    "student:schedule",
    "inbox:list",
    "profile",
    "mentoring:bookings",
    "attendance:mine",
    "student:catalogue",
]


def open_course_page(demo) -> str:
    """The student's course opened to self-enrollment, and the URL of its catalogue page."""
    from allocation.models import Course
    from enrollments.models import Enrollment

    course_id = Enrollment.objects.filter(student__email=demo.student[0]).first().course_id
    Course.objects.filter(pk=course_id).update(enrollment_policy="open")
    return reverse("student:course", args=[course_id])


def log_in(page, base: str, account: tuple[str, str]) -> None:
    email, password = account
    page.goto(f"{base}{reverse('login')}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)


def walk(page, base: str, paths: list[str], width: int, findings: dict, cards: bool) -> None:
    """Open each page; note page-body overflow at any width and, at 1280px (and on the phone
    for the pages that show ``cards``), cut-off controls and tables that scroll inside
    their card."""
    for path in paths:
        page.goto(f"{base}{path}")
        found = page.evaluate(PAGE_OVERFLOW)
        if width == DESKTOP or cards:
            found += page.evaluate(CLIPPED, ".table-responsive, pre")
        if found:
            findings[f"{width}px {path}"] = found


def test_main_pages_fit_a_phone_and_a_desktop(live_server, open_page, demo, screenshot):
    base, findings = live_server.url, {}
    # The instructor's and the student's pages show cards on the phone: nothing scrolls.
    accounts = [
        (ADMIN, admin_pages(demo), False),
        (INSTRUCTOR, [reverse(name) for name in INSTRUCTOR_PAGES], True),
        (demo.student, [reverse(name) for name in STUDENT_PAGES] + [open_course_page(demo)], True),
        # Feedback: the schedule with "Rate this batch", the form; a mentee's rating form.
        (
            demo.asked,
            [reverse("student:schedule"), reverse("feedback:rate", args=[demo.rated.pk])],
            True,
        ),
        (
            demo.mentee,
            [reverse("feedback:rate_mentoring", args=[demo.mentoring_session.pk])],
            True,
        ),
    ]
    # A student who follows a link to the console gets the refusal page, which must fit too.
    console = reverse("console:dashboard")
    pages = {}
    for width in (PHONE, DESKTOP):
        for account, paths, cards in accounts:
            refused = [(403, console)] if account == demo.student else []
            page = pages[width, account[0]] = open_page(width, HEIGHTS[width], refused)
            log_in(page, base, account)
            walk(page, base, paths + [path for _, path in refused], width, findings, cards)
    assert findings == {}, "pages overflow or clip their content"

    # --- on the phone ----------------------------------------------------------------------
    phone = pages[PHONE, INSTRUCTOR[0]]
    phone.goto(f"{base}{reverse('instructor:dashboard')}")
    # Cards, not a table that scrolls sideways; the agenda, not the 7-column grid.
    assert phone.evaluate(CLIPPED, "main .table-responsive") == []
    expect(phone.locator("#my-batches thead")).to_have_css("position", "absolute")
    expect(phone.locator("#timetable")).to_be_hidden()
    expect(phone.locator("#agenda")).to_be_visible()
    screenshot(phone, "instructor-dashboard-phone")

    phone = pages[PHONE, demo.student[0]]
    phone.goto(f"{base}{reverse('student:schedule')}")
    assert phone.evaluate(CLIPPED, "main .table-responsive") == []
    expect(phone.locator("#timetable")).to_be_hidden()
    # Saturday is there (the Fri/Sat afternoon batch), where a 7-column grid cut it off.
    expect(phone.locator(f'#agenda [data-day="{Weekday.SATURDAY}"]')).to_contain_text("14:00–16:00")
    statuses = phone.locator("[data-testid=statuses]").first
    expect(statuses).to_contain_text("Batch Upcoming")
    expect(statuses).to_contain_text("Enrollment Active")
    screenshot(phone, "student-schedule-phone")

    # The rating form of a completed batch, on the phone: one row of 1-5 per question.
    phone = pages[PHONE, demo.asked[0]]
    phone.goto(f"{base}{reverse('feedback:rate', args=[demo.rated.pk])}")
    expect(phone.get_by_role("button", name="Send my rating")).to_be_visible()
    screenshot(phone, "feedback-rate-phone")

    phone = pages[PHONE, ADMIN[0]]
    phone.goto(f"{base}{reverse('console:dashboard')}")
    # The filters wait behind their button, so the first screen shows instructors.
    expect(phone.locator("#filters")).to_be_hidden()
    assert phone.evaluate(CLIPPED, "main .table-responsive") == []
    screenshot(phone, "workload-phone")
    # Chart text is drawn at its CSS size, not scaled down with the drawing.
    heights = phone.locator(".chart .chart-label").evaluate_all(
        "labels => labels.map(label => parseFloat(getComputedStyle(label).fontSize) *"
        " label.getScreenCTM().a)"
    )
    assert heights and min(heights) >= 12, heights
    phone.get_by_role("button", name="Filters").click()
    expect(phone.locator("#filters")).to_be_visible()

    # --- on the desktop ----------------------------------------------------------------------
    desktop = pages[DESKTOP, ADMIN[0]]
    desktop.goto(f"{base}{reverse('console:batch_create')}")
    start = desktop.locator("#id_slots-0-start_time")
    # 24-hour entry, as the site writes times, not the locale's "02:00 PM" picker.
    expect(start).to_have_attribute("type", "text")
    expect(start).to_have_attribute("pattern", "([01][0-9]|2[0-3]):[0-5][0-9]")
    expect(start).to_have_attribute("placeholder", "HH:MM")
    start.fill("14:00")
    assert desktop.evaluate(CLIPPED, "") == []

    desktop.goto(f"{base}{reverse('console:course_staffing', args=[demo.english.pk])}")
    trainers = desktop.locator("#staffing-map thead .matrix-trainer")
    expect(trainers).to_have_count(13)
    screenshot(desktop, "course-staffing")
    box = desktop.locator("#staffing-map").locator("xpath=..").bounding_box()
    for index in range(13):
        cell = trainers.nth(index).bounding_box()
        assert cell["x"] + cell["width"] <= box["x"] + box["width"] + 1, index
