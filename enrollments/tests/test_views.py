"""The student's schedule and the console's enrollment pages: who may open them, what each
shows and does, what the CSV holds, and how many queries each runs.

Data whose rules matter is arranged through the services (``batch_create`` writes the
staffing rows the schedule reads; ``enrollment_create`` keeps the seat counters true). The
schedule shows covers that have not ended yet, so its dates are counted from today.
"""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import InstructorFactory, StudentFactory
from allocation import services as allocation
from allocation.models import Batch, BatchStatus, SubstituteCover
from allocation.tests.factories import CourseFactory
from core import dates
from enrollments.models import Enrollment, EnrollmentStatus, EnrollmentType
from enrollments.services import (
    MSG_ALREADY_ENROLLED,
    MSG_FULL,
    enrollment_cancel,
    enrollment_create,
    enrollment_set_status,
)
from enrollments.views.enrollments import ENROLLMENT_CSV_HEADER
from tests.support import csv_text, slot

pytestmark = pytest.mark.django_db

MONDAY, WEDNESDAY = 0, 2
TODAY = dates.today()
# An Upcoming batch of twelve weeks starting on the next Monday: every cover is in the future.
START = TODAY + dt.timedelta(days=7 - TODAY.weekday())
END = START + dt.timedelta(weeks=12, days=-3)


@pytest.fixture
def make_batch(admin, course):
    """``allocation.services.batch_create`` with valid defaults (Upcoming, twelve weeks from
    next Monday, 10 seats, the instructor given or a new one)."""

    def make(*, instructor=None, schedule=(), **fields):
        values = {
            "course": course,
            "batch_name": "Morning group",
            "start_date": START,
            "end_date": END,
            "capacity": 10,
            "created_by": admin,
        }
        values.update(fields)
        return allocation.batch_create(
            assigned_instructor=instructor or InstructorFactory(),
            schedule=list(schedule),
            **values,
        )

    return make


@pytest.fixture
def world(admin, course, make_batch):
    """A student in a batch taught by a primary and an assistant, with a substitute covering
    the primary's first week, a mentor; and another student in a batch of another course."""
    primary = InstructorFactory(full_name="Ingrid Instructor")
    assistant = InstructorFactory(full_name="Anton Assistant")
    substitute = InstructorFactory(full_name="Dr Sofia Sub")
    mentor = InstructorFactory(full_name="Mia Mentor")
    student = StudentFactory(full_name="Sam Student")
    batch = make_batch(
        instructor=primary,
        batch_code="GER-A1-MORNING",
        schedule=[slot(MONDAY, "10:00", "12:00"), slot(WEDNESDAY, "18:30", "20:00")],
    )
    allocation.roster_add(course=course, trainer=assistant, role="assistant")
    allocation.batch_staff_add(batch=batch, trainer=assistant, role="assistant", added_by=admin)
    allocation.roster_add(course=course, trainer=substitute, role="substitute")
    cover = allocation.substitute_assign(
        batch=batch,
        absent_trainer=primary,
        substitute=substitute,
        start_date=START,
        end_date=START + dt.timedelta(days=6),
        assigned_by=admin,
    )
    enrollment = enrollment_create(student=student, course=course, batch=batch)
    allocation.individual_assign(
        student=student,
        instructor=mentor,
        assigned_by=admin,
        assignment_type="tutor",
        notes="Grammar every Friday",
    )
    other_student = StudentFactory(full_name="Olga Other")
    other_course = CourseFactory(code="ENG-B2", title="English B2")
    other_batch = make_batch(
        course=other_course,
        batch_code="ENG-B2-EVENING",
        schedule=[slot(MONDAY, "10:00", "11:00")],
    )
    enrollment_create(student=other_student, course=other_course, batch=other_batch)
    return {
        "admin": admin,
        "primary": primary,
        "assistant": assistant,
        "substitute": substitute,
        "mentor": mentor,
        "student": student,
        "course": course,
        "batch": batch,
        "cover": cover,
        "enrollment": enrollment,
        "other_student": other_student,
        "other_course": other_course,
        "other_batch": other_batch,
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_text(response))))


def timetable_cell(html: str, day: int, hour: int) -> str:
    """The inner HTML of the timetable cell of ``day`` (Monday = 0) and ``hour``."""
    match = re.search(
        rf'<td data-day="{day}" data-hour="{hour}"[^>]*>(.*?)</td>', html, flags=re.DOTALL
    )
    assert match, f"no timetable cell for day {day}, hour {hour}"
    return match.group(1)


SCHEDULE = reverse("student:schedule")


# --- the student's schedule --------------------------------------------------------------------


class TestStudentScheduleAccess:
    def test_student_opens_it(self, client, world):
        client.force_login(world["student"])

        response = client.get(SCHEDULE)

        assert response.status_code == 200
        assert "GER-A1-MORNING" in response.content.decode()

    def test_corporate_student_opens_it(self, client):
        client.force_login(StudentFactory(is_student=False, is_corporate_student=True))

        assert client.get(SCHEDULE).status_code == 200


class TestStudentSchedule:
    def test_lists_the_batch_with_course_status_and_dates(self, client, world):
        client.force_login(world["student"])

        response = client.get(SCHEDULE)

        assert [e.pk for e in response.context["enrollments"]] == [world["enrollment"].pk]
        html = response.content.decode()
        assert "German A1" in html
        assert "Upcoming" in html
        assert f"{START:%Y-%m-%d} → {END:%Y-%m-%d}" in html
        assert "Monday 10:00–12:00" in html

    def test_timetable_places_each_slot_in_its_weekday_and_hours(self, client, world):
        client.force_login(world["student"])

        response = client.get(SCHEDULE)

        html = response.content.decode()
        # Monday 10:00–12:00 fills the 10:00 and 11:00 rows of Monday only.
        assert "GER-A1-MORNING" in timetable_cell(html, MONDAY, 10)
        assert "GER-A1-MORNING" in timetable_cell(html, MONDAY, 11)
        assert "GER-A1-MORNING" not in timetable_cell(html, MONDAY, 12)
        assert "GER-A1-MORNING" not in timetable_cell(html, MONDAY, 9)
        assert "GER-A1-MORNING" not in timetable_cell(html, 1, 10)
        # Wednesday 18:30–20:00 touches the 18:00 and 19:00 rows.
        assert "GER-A1-MORNING" in timetable_cell(html, WEDNESDAY, 18)
        assert "GER-A1-MORNING" in timetable_cell(html, WEDNESDAY, 19)
        assert "GER-A1-MORNING" not in timetable_cell(html, WEDNESDAY, 20)
        # Rows run from 07:00 to the 21:00–22:00 row, columns Monday to Sunday.
        rows = response.context["timetable"].rows
        assert [row.hour for row in rows] == list(range(7, 22))
        assert all(len(row.cells) == 7 for row in rows)

    def test_agenda_lists_each_slot_once_by_day_in_time_order(self, client, world):
        # The phone's view of the same week: a slot spanning two hour rows is listed once.
        client.force_login(world["student"])

        response = client.get(SCHEDULE)

        agenda = response.context["timetable"].agenda
        assert [
            (day.name, [(e.batch_code, f"{e.start_time:%H:%M}") for e in day.entries])
            for day in agenda
        ] == [
            ("Monday", [("GER-A1-MORNING", "10:00")]),
            ("Wednesday", [("GER-A1-MORNING", "18:30")]),
        ]
        html = response.content.decode()
        agenda_html = html[html.index('id="agenda"') :]
        assert agenda_html.count("GER-A1-MORNING") == 2
        assert "10:00–12:00" in agenda_html and "18:30–20:00" in agenda_html

    def test_names_the_batch_status_and_the_enrollment_status(self, client, world):
        # An Upcoming batch beside an unlabelled "Active" read as a contradiction.
        client.force_login(world["student"])

        html = client.get(SCHEDULE).content.decode()

        statuses = re.search(r'data-testid="statuses">(.*?)</ul>', html, re.S).group(1)
        text = " ".join(re.sub(r"<[^>]+>", " ", statuses).split())
        assert text.startswith("Batch Upcoming Enrollment Active")

    def test_another_students_batch_never_appears(self, client, world):
        client.force_login(world["student"])

        response = client.get(SCHEDULE)

        html = response.content.decode()
        assert "ENG-B2-EVENING" not in html
        assert "English B2" not in html
        assert "ENG-B2-EVENING" not in timetable_cell(html, MONDAY, 10)

    def test_shows_instructors_with_roles_and_emails(self, client, world):
        client.force_login(world["student"])

        response = client.get(SCHEDULE)

        batch = response.context["enrollments"][0].batch
        assert [(row.trainer, row.role) for row in batch.teaching_staff] == [
            (world["primary"], "primary"),
            (world["assistant"], "assistant"),
        ]
        html = response.content.decode()
        for who in ("primary", "assistant"):
            assert world[who].full_name in html
            assert f"mailto:{world[who].email}" in html

    def test_shows_who_substitutes_when(self, client, world):
        client.force_login(world["student"])

        text = " ".join(client.get(SCHEDULE).content.decode().split())

        cover = world["cover"]
        assert (
            f"Dr Sofia Sub substitutes for Ingrid Instructor from {cover.start_date:%Y-%m-%d} "
            f"to {cover.end_date:%Y-%m-%d}"
        ) in text

    def test_covers_that_ended_before_today_are_not_shown(self, client, world, admin, course):
        batch, student = world["batch"], world["student"]
        # A cover of an earlier batch run: written directly, as the service only records
        # covers inside the batch's (future) dates.
        SubstituteCover.objects.create(
            batch=batch,
            absent_trainer=world["primary"],
            substitute=world["substitute"],
            start_date=TODAY - dt.timedelta(days=10),
            end_date=TODAY - dt.timedelta(days=1),
            assigned_by=admin,
        )
        client.force_login(student)

        response = client.get(SCHEDULE)

        shown = response.context["enrollments"][0].batch.cover_list
        assert shown == [world["cover"]]

    def test_shows_the_mentor(self, client, world):
        client.force_login(world["student"])

        response = client.get(SCHEDULE)

        assert response.context["mentor"].instructor == world["mentor"]
        html = response.content.decode()
        assert "Mia Mentor" in html
        assert world["mentor"].email in html
        assert "Tutor" in html
        assert "Grammar every Friday" in html
        assert f"Since {TODAY:%Y-%m-%d}" in html

    def test_without_mentor_or_enrollments(self, client):
        client.force_login(StudentFactory())

        html = client.get(SCHEDULE).content.decode()

        assert "No mentor is assigned to you." in html
        assert "You are not enrolled in anything at the moment." in html
        assert "No weekly sessions." in html
        assert "No past enrollments." in html

    def test_past_enrollments_are_in_their_own_table(self, client, world):
        enrollment_cancel(enrollment=world["enrollment"])
        client.force_login(world["student"])

        response = client.get(SCHEDULE)

        assert response.context["enrollments"] == []
        assert [e.pk for e in response.context["past"]] == [world["enrollment"].pk]
        assert response.context["timetable"].is_empty
        html = response.content.decode()
        assert "Past enrollments" in html
        assert "Cancelled" in html

    def test_individual_enrollment_is_listed_without_timetable(self, client, world):
        individual = CourseFactory(code="FRE-A1", title="French A1")
        enrollment_create(student=world["student"], course=individual)
        client.force_login(world["student"])

        response = client.get(SCHEDULE)

        assert [e.course for e in response.context["enrollments"]] == [
            world["course"],
            individual,
        ]
        assert "Individual, self-paced" in response.content.decode()

    def test_links_the_calendar_feed_and_its_reset(self, client, world):
        student = world["student"]
        client.force_login(student)

        html = client.get(SCHEDULE).content.decode()

        feed = reverse("feeds:student", args=[student.feed_token])
        assert f'value="http://testserver{feed}"' in html
        assert f'href="webcal://testserver{feed}"' in html
        assert f'action="{reverse("feeds:reset")}"' in html
        assert f'name="next" value="{SCHEDULE}"' in html


# --- console: enrollments ----------------------------------------------------------------------


LIST = reverse("enroll:list")
CREATE = reverse("enroll:create")


def console_get_urls(w):
    return [
        LIST,
        LIST + "?format=csv",
        CREATE,
        reverse("enroll:transfer", args=[w["enrollment"].pk]),
    ]


class TestConsoleAccess:
    def test_admin_opens_every_page(self, client, world):
        client.force_login(world["admin"])
        for url in console_get_urls(world):
            response = client.get(url)
            assert response.status_code == 200, url
            assert b"[invalid name]" not in response.content, url

    def test_missing_enrollment_is_404(self, client, admin):
        client.force_login(admin)

        assert client.get(reverse("enroll:transfer", args=[999999])).status_code == 404
        assert client.post(reverse("enroll:cancel", args=[999999])).status_code == 404


class TestEnrollmentList:
    def test_lists_enrollments_with_actions(self, client, world):
        client.force_login(world["admin"])

        response = client.get(LIST)

        html = response.content.decode()
        assert {e.student for e in response.context["page"].object_list} == {
            world["student"],
            world["other_student"],
        }
        assert "GER-A1-MORNING" in html
        assert reverse("enroll:transfer", args=[world["enrollment"].pk]) in html
        assert reverse("enroll:cancel", args=[world["enrollment"].pk]) in html
        assert reverse("enroll:create") in html

    def test_filters(self, client, world):
        individual = enrollment_create(student=world["other_student"], course=world["course"])
        enrollment_set_status(enrollment=world["enrollment"], status=EnrollmentStatus.ON_HOLD)
        client.force_login(world["admin"])

        def pks(**params):
            return {e.pk for e in client.get(LIST, params).context["page"].object_list}

        german = {world["enrollment"].pk, individual.pk}
        assert pks(course=world["course"].pk) == german
        assert pks(batch=world["batch"].pk) == {world["enrollment"].pk}
        assert pks(batch=" ger-a1-morning ") == {world["enrollment"].pk}  # the code, any case
        assert pks(batch="NO-SUCH-BATCH") == set()
        assert pks(status="on_hold") == {world["enrollment"].pk}
        assert pks(enrollment_type="individual") == {individual.pk}
        olga = set(
            Enrollment.objects.filter(student=world["other_student"]).values_list("pk", flat=True)
        )
        assert len(olga) == 2
        assert pks(q="olga") == olga

    def test_paginates_by_25(self, client, admin):
        for i in range(26):
            enrollment_create(student=StudentFactory(), course=CourseFactory(code=f"X{i}"))
        client.force_login(admin)

        first = client.get(LIST)
        last = client.get(LIST, {"page": 2})

        assert len(first.context["page"].object_list) == 25
        assert len(last.context["page"].object_list) == 1

    def test_empty_state(self, client, admin):
        client.force_login(admin)

        assert "No enrollments yet." in client.get(LIST).content.decode()

    def test_csv_download(self, client, world):
        Enrollment.objects.filter(pk=world["enrollment"].pk).update(
            payment_amount=Decimal("120.00"), payment_currency="EUR", payment_status="completed"
        )
        client.force_login(world["admin"])

        response = client.get(LIST, {"format": "csv", "course": world["course"].pk})

        assert response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"] == 'attachment; filename="enrollments.csv"'
        enrolled_on = world["enrollment"].enrollment_date.date().isoformat()
        assert csv_rows(response) == [
            ENROLLMENT_CSV_HEADER,
            ["Sam Student", world["student"].email, "GER-A1", "GER-A1-MORNING", "Batch",
             "Active", enrolled_on, "Website", "120.00", "EUR", "Completed", ""],
        ]  # fmt: skip


def create_data(student, course, batch=None, **extra) -> dict:
    data = {
        "student": student.pk,
        "course": course.pk,
        "batch": batch.pk if batch else "",
        "enrollment_type": "",
        "enrollment_source": "admin",
    }
    data.update(extra)
    return data


class TestEnrollmentCreate:
    def test_enrolls_into_a_batch_and_takes_a_seat(self, client, world):
        batch, newcomer = world["batch"], StudentFactory(full_name="Nina New")
        client.force_login(world["admin"])

        response = client.post(
            CREATE,
            create_data(
                newcomer,
                world["course"],
                batch,
                payment_amount="99.50",
                payment_currency="eur",
                payment_method="card",
                payment_status="completed",
                transaction_id="tx-1",
            ),
            follow=True,
        )

        assert response.redirect_chain == [(LIST, 302)]
        enrollment = Enrollment.objects.get(student=newcomer)
        assert (enrollment.batch, enrollment.enrollment_type, enrollment.enrollment_source) == (
            batch,
            EnrollmentType.BATCH,
            "admin",
        )
        assert (
            enrollment.payment_amount,
            enrollment.payment_currency,
            enrollment.payment_method,
            enrollment.payment_status,
            enrollment.transaction_id,
        ) == (Decimal("99.50"), "EUR", "card", "completed", "tx-1")
        batch.refresh_from_db()
        assert batch.enrolled_students == 2
        assert any("Nina New" in m and "GER-A1-MORNING" in m for m in messages_of(response))

    def test_without_a_batch_enrolls_individually(self, client, world):
        newcomer = StudentFactory()
        client.force_login(world["admin"])

        client.post(CREATE, create_data(newcomer, world["course"]))

        enrollment = Enrollment.objects.get(student=newcomer)
        assert (enrollment.batch, enrollment.enrollment_type) == (None, "individual")

    def test_a_full_batch_is_refused_and_nothing_is_created(self, client, world, make_batch):
        full = make_batch(batch_code="GER-A1-TINY", capacity=1)
        enrollment_create(student=StudentFactory(), course=world["course"], batch=full)
        newcomer = StudentFactory()
        client.force_login(world["admin"])

        response = client.post(CREATE, create_data(newcomer, world["course"], full))

        assert response.status_code == 200
        assert response.context["form"].errors["batch"] == [MSG_FULL]
        assert MSG_FULL in response.content.decode()
        assert not Enrollment.objects.filter(student=newcomer).exists()
        full.refresh_from_db()
        assert full.enrolled_students == 1

    def test_a_second_active_enrollment_in_the_course_is_refused(self, client, world, make_batch):
        second = make_batch(batch_code="GER-A1-SECOND")
        client.force_login(world["admin"])

        response = client.post(CREATE, create_data(world["student"], world["course"], second))

        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [MSG_ALREADY_ENROLLED]
        assert MSG_ALREADY_ENROLLED in response.content.decode()
        assert Enrollment.objects.filter(student=world["student"]).count() == 1
        second.refresh_from_db()
        assert second.enrolled_students == 0

    def test_a_batch_of_another_course_is_refused(self, client, world):
        newcomer = StudentFactory()
        client.force_login(world["admin"])

        response = client.post(CREATE, create_data(newcomer, world["course"], world["other_batch"]))

        assert response.status_code == 200
        assert response.context["form"].errors["batch"] == [
            "Batch ENG-B2-EVENING belongs to course ENG-B2, not GER-A1"
        ]
        assert not Enrollment.objects.filter(student=newcomer).exists()

    def test_a_negative_payment_lands_on_the_amount(self, client, world):
        client.force_login(world["admin"])

        response = client.post(
            CREATE, create_data(StudentFactory(), world["course"], payment_amount="-1")
        )

        assert response.context["form"].errors["payment_amount"] == [
            "The payment amount cannot be negative"
        ]

    def test_only_students_are_offered_and_accepted(self, client, world):
        client.force_login(world["admin"])

        response = client.post(CREATE, create_data(world["primary"], world["course"]))

        assert response.status_code == 200
        assert "student" in response.context["form"].errors
        assert not Enrollment.objects.filter(student=world["primary"]).exists()

    def test_the_student_is_typed_as_an_email_in_any_case(self, client, world):
        newcomer = StudentFactory(email="nina.new@example.org")
        client.force_login(world["admin"])

        form_page = client.get(CREATE).content.decode()
        client.post(
            CREATE, create_data(newcomer, world["course"]) | {"student": " Nina.New@Example.ORG "}
        )

        # A text box: the page never lists the students (it would hold all of them).
        assert 'type="text" name="student"' in form_page
        assert world["student"].email not in form_page
        assert Enrollment.objects.filter(student=newcomer, course=world["course"]).exists()

    @pytest.mark.parametrize(
        "typed",
        [
            "nobody@example.org",
            "not an email",
            "9" * 40,
            "x" * 300 + "@example.org",
            "nul\x00@example.org",
            "²",  # a digit to str.isdigit, but no id
        ],
    )
    def test_an_unknown_student_is_a_form_error(self, client, world, typed):
        client.force_login(world["admin"])
        before = Enrollment.objects.count()

        response = client.post(
            CREATE, create_data(world["student"], world["course"]) | {"student": typed}
        )

        assert response.status_code == 200
        assert response.context["form"].errors["student"] == [
            "No active student has this email address."
        ]
        assert Enrollment.objects.count() == before

    def test_an_inactive_student_is_not_accepted(self, client, world):
        gone = StudentFactory(email="gone@example.org", is_active=False)
        client.force_login(world["admin"])

        response = client.post(CREATE, create_data(gone, world["course"]))

        assert "student" in response.context["form"].errors
        assert not Enrollment.objects.filter(student=gone).exists()

    def test_closed_batches_are_not_offered(self, client, world, make_batch):
        done = make_batch(batch_code="GER-A1-DONE", status=BatchStatus.COMPLETED)
        client.force_login(world["admin"])

        response = client.get(CREATE)

        offered = set(response.context["form"].fields["batch"].queryset)
        assert world["batch"] in offered
        assert done not in offered


class TestEnrollmentCancel:
    def test_cancel_frees_the_seat_and_returns_to_the_list(self, client, world):
        batch = world["batch"]
        client.force_login(world["admin"])
        back = LIST + "?status=active"

        response = client.post(
            reverse("enroll:cancel", args=[world["enrollment"].pk]), {"next": back}, follow=True
        )

        assert response.redirect_chain == [(back, 302)]
        assert Enrollment.objects.get(pk=world["enrollment"].pk).status == "cancelled"
        batch.refresh_from_db()
        assert batch.enrolled_students == 0
        assert any("cancelled" in m and "GER-A1-MORNING" in m for m in messages_of(response))

    def test_cancelling_twice_shows_the_refusal(self, client, world):
        enrollment_cancel(enrollment=world["enrollment"])
        client.force_login(world["admin"])

        response = client.post(reverse("enroll:cancel", args=[world["enrollment"].pk]), follow=True)

        assert response.redirect_chain == [(LIST, 302)]
        assert messages_of(response) == [
            "Only an active or on-hold enrollment can be cancelled; this one is cancelled"
        ]
        world["batch"].refresh_from_db()
        assert world["batch"].enrolled_students == 0

    def test_next_to_another_site_is_ignored(self, client, world):
        client.force_login(world["admin"])

        response = client.post(
            reverse("enroll:cancel", args=[world["enrollment"].pk]),
            {"next": "https://evil.example/"},
        )

        assert response.url == LIST


class TestEnrollmentTransfer:
    def url(self, world):
        return reverse("enroll:transfer", args=[world["enrollment"].pk])

    def test_offers_only_the_other_open_batches_of_the_course(self, client, world, make_batch):
        sibling = make_batch(batch_code="GER-A1-EVENING")
        make_batch(batch_code="GER-A1-OLD", status=BatchStatus.COMPLETED)
        client.force_login(world["admin"])

        response = client.get(self.url(world))

        assert list(response.context["form"].fields["to_batch"].queryset) == [sibling]

    def test_moves_the_enrollment_and_its_seat(self, client, world, make_batch):
        sibling = make_batch(batch_code="GER-A1-EVENING")
        client.force_login(world["admin"])

        response = client.post(self.url(world), {"to_batch": sibling.pk}, follow=True)

        assert response.redirect_chain == [(LIST, 302)]
        assert Enrollment.objects.get(pk=world["enrollment"].pk).batch == sibling
        counts = dict(
            Batch.objects.filter(pk__in=[world["batch"].pk, sibling.pk]).values_list(
                "batch_code", "enrolled_students"
            )
        )
        assert counts == {"GER-A1-MORNING": 0, "GER-A1-EVENING": 1}
        assert any("GER-A1-MORNING to GER-A1-EVENING" in m for m in messages_of(response))

    def test_a_full_target_is_refused_on_the_field(self, client, world, make_batch):
        full = make_batch(batch_code="GER-A1-TINY", capacity=1)
        enrollment_create(student=StudentFactory(), course=world["course"], batch=full)
        client.force_login(world["admin"])

        response = client.post(self.url(world), {"to_batch": full.pk})

        assert response.status_code == 200
        assert response.context["form"].errors["to_batch"] == [MSG_FULL]
        assert Enrollment.objects.get(pk=world["enrollment"].pk).batch == world["batch"]

    def test_a_batch_of_another_course_is_not_a_choice(self, client, world):
        client.force_login(world["admin"])

        response = client.post(self.url(world), {"to_batch": world["other_batch"].pk})

        assert response.status_code == 200
        assert "to_batch" in response.context["form"].errors
        assert Enrollment.objects.get(pk=world["enrollment"].pk).batch == world["batch"]

    def test_a_cancelled_enrollment_is_refused_above_the_form(self, client, world, make_batch):
        sibling = make_batch(batch_code="GER-A1-EVENING")
        enrollment_cancel(enrollment=world["enrollment"])
        client.force_login(world["admin"])

        response = client.post(self.url(world), {"to_batch": sibling.pk})

        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [
            "Only an active enrollment can be transferred"
        ]
        sibling.refresh_from_db()
        assert sibling.enrolled_students == 0


# --- query counts ------------------------------------------------------------------------------
#
# Each page runs a fixed number of queries whatever the number of rows. Every count includes
# the two queries of the logged-in request itself (session, user).


def student_with_enrollments(n: int, admin):
    """A student in ``n`` batches (one per course), each with two slots, a primary, an
    assistant and a substitute cover; one past enrollment and a mentor."""
    student = StudentFactory()
    for i in range(n):
        course = CourseFactory(code=f"Q{i}", title=f"Course {i}")
        primary, assistant, substitute = InstructorFactory.create_batch(3)
        batch = allocation.batch_create(
            course=course,
            batch_name=f"Group {i}",
            start_date=START,
            end_date=END,
            capacity=5,
            assigned_instructor=primary,
            created_by=admin,
            schedule=[slot(i % 7, "08:00", "09:30"), slot((i + 1) % 7, "17:00", "18:00")],
        )
        allocation.roster_add(course=course, trainer=assistant)
        allocation.batch_staff_add(batch=batch, trainer=assistant, role="assistant", added_by=admin)
        allocation.roster_add(course=course, trainer=substitute, role="substitute")
        allocation.substitute_assign(
            batch=batch,
            absent_trainer=primary,
            substitute=substitute,
            start_date=START,
            end_date=START + dt.timedelta(days=6),
            assigned_by=admin,
        )
        enrollment_create(student=student, course=course, batch=batch)
    past = enrollment_create(student=student, course=CourseFactory(code="PAST"))
    enrollment_cancel(enrollment=past)
    allocation.individual_assign(student=student, instructor=InstructorFactory(), assigned_by=admin)
    return student


class TestQueryCounts:
    # session, user, active enrollments (course, batch, batch course joined), their slots,
    # their current teaching staff, their covers, past enrollments, the mentor; the next
    # sessions (batch, course, primary joined), their bookings, their covers; feedback's card:
    # the mentoring sessions to rate, the open rating requests; the next 1:1 mentoring bookings
    # (mentor joined)
    @pytest.mark.parametrize("n", [1, 5])
    def test_student_schedule(self, client, admin, django_assert_max_num_queries, n):
        client.force_login(student_with_enrollments(n, admin))

        with django_assert_max_num_queries(14):
            response = client.get(SCHEDULE)
        assert len(response.context["enrollments"]) == n
        assert all(len(e.batch.teaching_staff) == 2 for e in response.context["enrollments"])
        assert all(len(e.batch.cover_list) == 1 for e in response.context["enrollments"])
        assert len(response.context["past"]) == 1

    # session, user, count, page of enrollments (student, course, batch joined), the filter
    # form's course and batch choices
    @pytest.mark.parametrize("n", [3, 15])
    def test_enrollment_list(self, client, admin, make_batch, django_assert_max_num_queries, n):
        batch = make_batch(capacity=n)
        for _ in range(n):
            enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
        client.force_login(admin)

        with django_assert_max_num_queries(6):
            response = client.get(LIST)
        assert len(response.context["page"].object_list) == n
        # session, user, the rows
        with django_assert_max_num_queries(3):
            client.get(LIST, {"format": "csv"})
