"""The console's waitlist pages and the enroll page's placement and "add to waitlist" offer:
what each shows and does, each refusal as a form error or message, the CSVs, and pinned
query counts at two sizes."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.tests.factories import StudentFactory
from allocation.models import Batch, BatchStatus, Weekday
from allocation.tests.factories import BatchFactory, CourseFactory, ScheduleSlotFactory
from enrollments.models import Enrollment, WaitlistEntry, WaitlistStatus
from enrollments.services import (
    MSG_ALREADY_ENROLLED,
    MSG_FULL,
    enrollment_cancel,
    enrollment_create,
)
from enrollments.services.waitlist import MSG_ALREADY_WAITING, waitlist_join, waitlist_remove
from enrollments.views.waitlists import BATCH_CSV_HEADER, LIST_CSV_HEADER
from tests.support import csv_text

pytestmark = pytest.mark.django_db

LIST = reverse("waitlist:list")
ENROLL = reverse("enroll:create")


def page(batch: Batch) -> str:
    return reverse("waitlist:batch", kwargs={"pk": batch.pk})


def action(name: str, batch: Batch) -> str:
    return reverse(f"waitlist:{name}", kwargs={"pk": batch.pk})


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_text(response))))


def full_batch(course, capacity: int = 1, **fields) -> Batch:
    batch = BatchFactory(course=course, capacity=capacity, **fields)
    for _ in range(capacity):
        enrollment_create(student=StudentFactory(), course=course, batch=batch)
    return batch


def waiting(batch: Batch) -> list[str]:
    return list(
        WaitlistEntry.objects.filter(batch=batch, status=WaitlistStatus.WAITING)
        .order_by("position", "created_at", "pk")
        .values_list("student__email", flat=True)
    )


@pytest.fixture
def batch(course):
    return full_batch(course, batch_code="GER-A1-01", batch_name="Morning group")


@pytest.fixture
def queue(batch):
    students = [
        StudentFactory(email=f"{name}@example.com", full_name=name.title())
        for name in ("ann", "ben", "cid")
    ]
    return [waitlist_join(student=s, batch=batch) for s in students]


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


class TestList:
    def test_open_batches_with_waiting_students_and_their_counts(self, admin_client, course, queue):
        quiet = full_batch(course, batch_code="GER-A1-QUIET")  # full, nobody waiting
        closed = full_batch(course, batch_code="GER-A1-DONE")
        waitlist_join(student=StudentFactory(), batch=closed)
        Batch.objects.filter(pk=closed.pk).update(status=BatchStatus.COMPLETED)

        response = admin_client.get(LIST)

        assert response.status_code == 200
        listed = list(response.context["page"].object_list)
        assert [(b.batch_code, b.waiting) for b in listed] == [("GER-A1-01", 3)]
        html = response.content.decode()
        assert page(queue[0].batch) in html
        assert quiet.batch_code not in html and closed.batch_code not in html

    def test_filter_by_course(self, admin_client, queue):
        other = full_batch(CourseFactory(code="FR-B1"), batch_code="FR-B1-01")
        waitlist_join(student=StudentFactory(), batch=other)

        response = admin_client.get(LIST, {"course": other.course_id})

        assert [b.batch_code for b in response.context["page"].object_list] == ["FR-B1-01"]

    def test_empty(self, admin_client):
        assert "Nobody is waiting for a seat." in admin_client.get(LIST).content.decode()

    def test_csv(self, admin_client, batch, queue):
        response = admin_client.get(LIST, {"format": "csv"})

        assert response["Content-Type"].startswith("text/csv")
        table = rows(response)
        assert table[0] == LIST_CSV_HEADER
        assert table[1][:3] == ["GER-A1-01", "Morning group", "GER-A1"]
        assert table[1][5:8] == ["1", "1", "3"]


class TestBatchPage:
    def test_waiting_students_in_order_with_their_buttons(self, admin_client, batch, queue):
        response = admin_client.get(page(batch))

        assert response.status_code == 200
        assert [e.student.email for e in response.context["entries"]] == [
            "ann@example.com",
            "ben@example.com",
            "cid@example.com",
        ]
        html = response.content.decode()
        assert html.index("ann@example.com") < html.index("ben@example.com")
        assert action("move", batch) in html and action("remove", batch) in html
        assert f'name="entry" value="{queue[0].pk}"' in html

    def test_a_student_enrolled_elsewhere_is_flagged(self, admin_client, course, batch, queue):
        enrollment_create(
            student=queue[1].student, course=course, batch=BatchFactory(course=course)
        )

        response = admin_client.get(page(batch))

        assert [e.enrolled_elsewhere for e in response.context["entries"]] == [
            False,
            True,
            False,
        ]
        assert "will be skipped" in response.content.decode()

    def test_resolved_entries_show_why(self, admin_client, batch, queue, admin):
        waitlist_remove(entry=queue[1], by=admin)
        enrollment_cancel(enrollment=Enrollment.objects.filter(batch=batch).first())

        response = admin_client.get(page(batch))

        resolved = {e.student.email: (e.status, e.reason) for e in response.context["resolved"]}
        assert resolved == {
            "ann@example.com": ("promoted", "Enrolled from the waitlist"),
            "ben@example.com": ("removed", "Removed by an admin"),
        }
        assert "Removed by an admin" in response.content.decode()

    def test_csv(self, admin_client, batch, queue):
        response = admin_client.get(page(batch), {"format": "csv"})

        table = rows(response)
        assert table[0] == BATCH_CSV_HEADER
        assert [row[:3] for row in table[1:]] == [
            ["1", "Ann", "ann@example.com"],
            ["2", "Ben", "ben@example.com"],
            ["3", "Cid", "cid@example.com"],
        ]

    def test_unknown_batch_is_404(self, admin_client):
        assert admin_client.get(reverse("waitlist:batch", kwargs={"pk": 999999})).status_code == 404


class TestAdd:
    def test_adds_at_the_end(self, admin_client, batch, queue):
        student = StudentFactory(email="dora@example.com")

        response = admin_client.post(
            action("add", batch),
            {"student": student.pk, "enrollment_type": "batch", "enrollment_source": "admin"},
            follow=True,
        )

        assert response.redirect_chain == [(page(batch), 302)]
        assert waiting(batch)[-1] == "dora@example.com"
        assert "(number 4)" in response.content.decode()

    def test_a_refusal_is_a_form_error(self, admin_client, batch, queue):
        response = admin_client.post(
            action("add", batch),
            {
                "student": queue[0].student.pk,
                "enrollment_type": "batch",
                "enrollment_source": "admin",
            },
        )

        assert response.status_code == 200
        assert MSG_ALREADY_WAITING in response.context["form"].non_field_errors()
        assert len(waiting(batch)) == 3

    def test_a_batch_with_free_seats_is_refused(self, admin_client, course):
        roomy = BatchFactory(course=course, capacity=5)

        response = admin_client.post(
            action("add", roomy),
            {
                "student": StudentFactory().pk,
                "enrollment_type": "batch",
                "enrollment_source": "admin",
            },
        )

        assert response.status_code == 200
        assert "enroll the student instead" in response.content.decode()
        assert not WaitlistEntry.objects.exists()

    def test_an_empty_form(self, admin_client, batch):
        response = admin_client.post(action("add", batch), {})

        assert response.status_code == 200
        assert response.context["form"].errors["student"]

    def test_get_is_not_allowed(self, admin_client, batch):
        assert admin_client.get(action("add", batch)).status_code == 405


class TestMoveAndRemove:
    def test_move_up(self, admin_client, batch, queue):
        response = admin_client.post(
            action("move", batch), {"entry": queue[2].pk, "direction": "up"}, follow=True
        )

        assert response.redirect_chain == [(page(batch), 302)]
        assert waiting(batch) == ["ann@example.com", "cid@example.com", "ben@example.com"]
        assert "Cid moved on the waitlist." in response.content.decode()

    def test_move_to_a_position(self, admin_client, batch, queue):
        admin_client.post(action("move", batch), {"entry": queue[2].pk, "position": 1})

        assert waiting(batch) == ["cid@example.com", "ann@example.com", "ben@example.com"]

    def test_a_refused_move_is_a_message(self, admin_client, batch, queue):
        response = admin_client.post(
            action("move", batch), {"entry": queue[0].pk, "direction": "up"}, follow=True
        )

        assert "already first on the waitlist" in response.content.decode()
        assert waiting(batch) == ["ann@example.com", "ben@example.com", "cid@example.com"]

    def test_remove_keeps_who_did_it(self, admin_client, admin, batch, queue):
        response = admin_client.post(action("remove", batch), {"entry": queue[1].pk}, follow=True)

        assert response.redirect_chain == [(page(batch), 302)]
        assert waiting(batch) == ["ann@example.com", "cid@example.com"]
        assert "Ben is no longer waiting for GER-A1-01." in response.content.decode()
        last = queue[1].history.order_by("-history_date", "-history_id").first()
        assert last.history_user == admin

    def test_removing_twice_is_a_message(self, admin_client, batch, queue):
        admin_client.post(action("remove", batch), {"entry": queue[1].pk})

        response = admin_client.post(action("remove", batch), {"entry": queue[1].pk}, follow=True)

        assert "no longer waiting for this batch" in response.content.decode()

    def test_an_entry_of_another_batch_is_404(self, admin_client, course, batch, queue):
        other = full_batch(course)

        for name in ("move", "remove"):
            response = admin_client.post(
                action(name, other), {"entry": queue[0].pk, "direction": "down"}
            )
            assert response.status_code == 404
        assert len(waiting(batch)) == 3

    @pytest.mark.parametrize("data", [{}, {"entry": "x"}, {"entry": "-1"}])
    def test_junk_is_a_message_never_a_500(self, admin_client, batch, queue, data):
        for name in ("move", "remove"):
            response = admin_client.post(action(name, batch), data, follow=True)
            assert response.status_code == 200
            assert "Choose a waiting student" in response.content.decode()
        assert len(waiting(batch)) == 3

    def test_next_inside_the_site_is_followed(self, admin_client, batch, queue):
        response = admin_client.post(action("remove", batch), {"entry": queue[0].pk, "next": LIST})
        assert response["Location"] == LIST

        response = admin_client.post(
            action("remove", batch), {"entry": queue[1].pk, "next": "https://evil.example/"}
        )
        assert response["Location"] == page(batch)


class TestEnrollPage:
    def form(self, student, course, **extra) -> dict:
        return {
            "student": student.pk,
            "course": course.pk,
            "batch": "",
            "enrollment_type": "batch",
            "enrollment_source": "admin",
            **extra,
        }

    def test_type_batch_without_a_batch_places_by_preference(self, admin_client, course):
        BatchFactory(course=course, capacity=20, batch_code="ROOMY")
        evening = BatchFactory(course=course, capacity=5, batch_code="EVENING")
        ScheduleSlotFactory(batch=evening, day=Weekday.FRIDAY, start_time="18:00", end_time="20:00")
        student = StudentFactory()

        response = admin_client.post(
            ENROLL,
            self.form(
                student, course, preferred_days=[Weekday.FRIDAY], preferred_times=["evening"]
            ),
            follow=True,
        )

        assert response.redirect_chain == [(reverse("enroll:list"), 302)]
        assert Enrollment.objects.get(student=student).batch == evening
        assert "batch EVENING" in response.content.decode()

    def test_without_a_preference_the_emptiest_batch(self, admin_client, course):
        BatchFactory(course=course, capacity=5)
        roomy = BatchFactory(course=course, capacity=20)
        student = StudentFactory()

        admin_client.post(ENROLL, self.form(student, course))

        assert Enrollment.objects.get(student=student).batch == roomy

    def test_no_batch_and_no_type_is_still_individual(self, admin_client, course):
        BatchFactory(course=course)
        student = StudentFactory()

        admin_client.post(ENROLL, self.form(student, course, enrollment_type=""))

        assert Enrollment.objects.get(student=student).batch is None

    def test_a_full_batch_offers_its_waitlist(self, admin_client, course, batch):
        student = StudentFactory()

        response = admin_client.post(ENROLL, self.form(student, course, batch=batch.pk))

        assert response.status_code == 200
        assert response.context["form"].errors["batch"] == [MSG_FULL]
        assert response.context["waitlist_offer"] == [batch]
        html = response.content.decode()
        assert action("add", batch) in html
        assert f'name="student" value="{student.pk}"' in html

        # The offer's button adds the student to that waitlist.
        admin_client.post(
            action("add", batch),
            {"student": student.pk, "enrollment_type": "batch", "enrollment_source": "admin"},
        )
        assert waiting(batch) == [student.email]

    def test_every_batch_full_offers_every_waitlist(self, admin_client, course, batch):
        second = full_batch(course, batch_code="GER-A1-02")
        other = full_batch(CourseFactory(), batch_code="OTHER-01")

        response = admin_client.post(ENROLL, self.form(StudentFactory(), course))

        assert response.status_code == 200
        assert "every open batch of GER-A1 is full" in response.content.decode()
        assert set(response.context["waitlist_offer"]) == {batch, second}
        html = response.content.decode()
        assert action("add", batch) in html and action("add", second) in html
        assert action("add", other) not in html

    def test_other_refusals_offer_no_waitlist(self, admin_client, course, batch):
        roomy = BatchFactory(course=course, capacity=5)
        seated = Enrollment.objects.filter(batch=batch).first().student

        response = admin_client.post(ENROLL, self.form(seated, course, batch=roomy.pk))

        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [MSG_ALREADY_ENROLLED]
        assert response.context["waitlist_offer"] == []

    def test_a_duplicate_in_its_own_full_batch_is_told_so_and_offered_no_waitlist(
        self, admin_client, course, batch
    ):
        seated = Enrollment.objects.filter(batch=batch).first().student

        response = admin_client.post(ENROLL, self.form(seated, course, batch=batch.pk))

        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [MSG_ALREADY_ENROLLED]
        assert MSG_FULL not in response.content.decode()
        assert response.context["waitlist_offer"] == []
        assert action("add", batch) not in response.content.decode()

    def test_an_unknown_preferred_day_is_a_form_error(self, admin_client, course):
        BatchFactory(course=course)

        response = admin_client.post(
            ENROLL, self.form(StudentFactory(), course, preferred_days=["9"])
        )

        assert response.status_code == 200
        assert response.context["form"].errors["preferred_days"]
        assert not Enrollment.objects.exists()


class TestQueryCounts:
    # session, user, count, page of batches (annotated, course joined), the course filter's
    # choices
    @pytest.mark.parametrize("n", [2, 12])
    def test_list(self, admin_client, course, django_assert_max_num_queries, n):
        for _ in range(n):
            waitlist_join(student=StudentFactory(), batch=full_batch(course))

        with django_assert_max_num_queries(5):
            response = admin_client.get(LIST)
        assert len(response.context["page"].object_list) == n
        # session, user, the rows
        with django_assert_max_num_queries(3):
            admin_client.get(LIST, {"format": "csv"})

    # session, user, the batch (course joined), waiting entries (student joined, annotated),
    # resolved entries (student joined, reason subquery), the add form's student choices
    @pytest.mark.parametrize("n", [2, 12])
    def test_batch(self, admin_client, batch, django_assert_max_num_queries, n):
        entries = [waitlist_join(student=StudentFactory(), batch=batch) for _ in range(n)]
        for entry in entries[: n // 2]:
            waitlist_remove(entry=entry)

        with django_assert_max_num_queries(6):
            response = admin_client.get(page(batch))
        assert len(response.context["entries"]) == n - n // 2
        assert len(response.context["resolved"]) == n // 2
        # session, user, the batch, the rows
        with django_assert_max_num_queries(4):
            admin_client.get(page(batch), {"format": "csv"})


class TestBatchCsvFilename:
    """The batch's code goes into the download's filename (waitlist-<code>.csv)."""

    @pytest.mark.parametrize(
        "code,disposition",
        [
            ("GER\nA1", 'attachment; filename="waitlist-GER_A1.csv"'),
            (
                "GER\"; filename*=utf-8''x.exe",
                'attachment; filename="waitlist-GER\\"; filename*=utf-8\'\'x.exe.csv"',
            ),
            ("DEU-Grüße", "attachment; filename*=utf-8''waitlist-DEU-Gr%C3%BC%C3%9Fe.csv"),
        ],
    )
    def test_any_code_gives_a_download_with_its_name(self, admin_client, batch, code, disposition):
        Batch.objects.filter(pk=batch.pk).update(batch_code=code)

        response = admin_client.get(page(batch), {"format": "csv"})

        assert response.status_code == 200
        assert response["Content-Disposition"] == disposition
        assert rows(response)[0] == BATCH_CSV_HEADER
