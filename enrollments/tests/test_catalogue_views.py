"""The student's catalogue pages and actions, and the console's request page."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import StudentFactory
from allocation.models import Course, Weekday
from allocation.tests.factories import CourseFactory
from enrollments.models import Enrollment, EnrollmentRequest, WaitlistEntry
from enrollments.services import enrollment_create, enrollment_request_create
from tests.support import slot

MON = Weekday.MONDAY


@pytest.fixture
def world(make_batch, student):
    w = type("World", (), {})()
    w.student = student
    student.time_zone = "America/New_York"
    student.save(update_fields=["time_zone"])
    w.german = Course.objects.get(code="GER-A1")
    w.held = make_batch(
        batch_code="GER-HELD", schedule=[slot(MON, "10:00", "12:00")], time_zone="Europe/Berlin"
    )
    enrollment_create(student=student, batch=w.held)
    w.english = CourseFactory(code="ENG-B2", title="English B2", enrollment_policy="open")
    w.clashing = make_batch(
        course=w.english,
        batch_code="ENG-CLASH",
        schedule=[slot(MON, "11:00", "13:00")],
        time_zone="Europe/Berlin",
    )
    w.tuesday = make_batch(
        course=w.english,
        batch_code="ENG-TUE",
        schedule=[slot(Weekday.TUESDAY, "18:00", "19:00")],
        time_zone="Europe/Berlin",
        capacity=1,
    )
    w.closed = CourseFactory(code="SECRET", title="Admin only")
    return w


def course_url(course):
    return reverse("student:course", args=[course.pk])


class TestCatalogue:
    def test_lists_only_courses_open_to_students(self, client, world):
        client.force_login(world.student)
        html = client.get(reverse("student:catalogue")).content.decode()
        assert "English B2" in html and "Admin only" not in html

    def test_an_admin_only_course_page_is_404(self, client, world):
        client.force_login(world.student)
        assert client.get(course_url(world.closed)).status_code == 404

    def test_the_course_page_shows_seats_schedule_in_the_students_zone_and_the_clash(
        self, client, world
    ):
        client.force_login(world.student)
        html = client.get(course_url(world.english)).content.decode()
        # Tuesday 18:00 Berlin is 12:00 in New York.
        assert "Tuesday 12:00–13:00 EST (America/New_York)" in html
        assert "1 seat left" in html
        assert "Clashes with GER-HELD (Morning group) Monday 2027-01-04 04:00–06:00" in html

    def test_instructors_and_admins_are_not_students(self, client, world, admin, instructor):
        for user in (admin, instructor):
            client.force_login(user)
            assert client.get(reverse("student:catalogue")).status_code == 403


class TestActions:
    def test_enroll_then_cancel_before_the_start(self, client, world):
        client.force_login(world.student)
        response = client.post(reverse("student:batch_enroll", args=[world.tuesday.pk]))
        assert response.status_code == 302
        enrollment = Enrollment.objects.get(batch=world.tuesday, student=world.student)
        client.post(reverse("student:cancel", args=[enrollment.pk]))
        enrollment.refresh_from_db()
        assert enrollment.status == "cancelled"

    def test_the_website_takes_no_payment_type_or_source_from_a_student(self, client, world):
        client.force_login(world.student)
        client.post(
            reverse("student:batch_enroll", args=[world.tuesday.pk]),
            {
                "payment_status": "completed",
                "payment_amount": "0",
                "transaction_id": "FAKE",
                "enrollment_type": "scholarship",
                "enrollment_source": "admin",
                "allow_clash": "on",
            },
        )
        enrollment = Enrollment.objects.get(batch=world.tuesday, student=world.student)
        assert (
            enrollment.payment_status,
            enrollment.payment_amount,
            enrollment.transaction_id,
            enrollment.enrollment_type,
            enrollment.enrollment_source,
        ) == ("", None, "", "batch", "website")

    def test_enrolling_in_a_clash_is_refused_with_the_message(self, client, world):
        client.force_login(world.student)
        response = client.post(
            reverse("student:batch_enroll", args=[world.clashing.pk]), follow=True
        )
        assert "Schedule clash" in response.content.decode()
        assert not Enrollment.objects.filter(batch=world.clashing).exists()

    def test_cancel_window_after_the_start(self, client, world, settings, monkeypatch):
        settings.SELF_CANCEL_DAYS_AFTER_START = 7
        enrollment = enrollment_create(student=world.student, batch=world.tuesday)
        client.force_login(world.student)
        from core import dates

        monkeypatch.setattr(dates, "today", lambda: world.tuesday.start_date + dt.timedelta(8))
        response = client.post(reverse("student:cancel", args=[enrollment.pk]), follow=True)
        assert "please ask an admin" in response.content.decode()
        enrollment.refresh_from_db()
        assert enrollment.status == "active"
        # The last day of the window still counts.
        monkeypatch.setattr(dates, "today", lambda: world.tuesday.start_date + dt.timedelta(7))
        client.post(reverse("student:cancel", args=[enrollment.pk]))
        enrollment.refresh_from_db()
        assert enrollment.status == "cancelled"

    def test_someone_elses_enrollment_is_404(self, client, world):
        enrollment = enrollment_create(student=StudentFactory(), batch=world.tuesday)
        client.force_login(world.student)
        assert client.post(reverse("student:cancel", args=[enrollment.pk])).status_code == 404

    def test_waitlist_join_shows_the_position_and_leave(self, client, world):
        enrollment_create(student=StudentFactory(), batch=world.tuesday)
        client.force_login(world.student)
        client.post(reverse("student:waitlist_join", args=[world.tuesday.pk]))
        html = client.get(course_url(world.english)).content.decode()
        assert "You are number 1 on the waitlist." in html
        client.post(reverse("student:waitlist_leave", args=[world.tuesday.pk]))
        assert WaitlistEntry.objects.get().status == "removed"

    def test_on_request_asks_and_an_admin_approves_on_the_console(self, client, world, admin):
        Course.objects.filter(pk=world.english.pk).update(enrollment_policy="on_request")
        client.force_login(world.student)
        client.post(reverse("student:batch_request", args=[world.tuesday.pk]))
        request = EnrollmentRequest.objects.get()
        client.force_login(admin)
        assert "ENG-TUE" in client.get(reverse("enroll:requests")).content.decode()
        client.post(reverse("enroll:request_decide", args=[request.pk]), {"decision": "approve"})
        request.refresh_from_db()
        assert request.status == "approved"
        assert Enrollment.objects.filter(student=world.student, batch=world.tuesday).exists()

    def test_the_console_decline_needs_a_reason(self, client, world, admin):
        Course.objects.filter(pk=world.english.pk).update(enrollment_policy="on_request")
        world.english.refresh_from_db()
        request = enrollment_request_create(student=world.student, batch=world.tuesday)
        client.force_login(admin)
        url = reverse("enroll:request_decide", args=[request.pk])
        response = client.post(url, {"decision": "decline"}, follow=True)
        assert "Say why the request is declined" in response.content.decode()
        client.post(url, {"decision": "decline", "reason": "Full"})
        request.refresh_from_db()
        assert (request.status, request.reason, request.decided_by) == ("declined", "Full", admin)

    def test_a_transfer_request_from_the_course_page(self, client, world, make_batch):
        late = make_batch(
            course=world.english,
            batch_code="ENG-WED",
            schedule=[slot(Weekday.WEDNESDAY, "18:00", "19:00")],
        )
        enrollment = enrollment_create(student=world.student, batch=world.tuesday)
        client.force_login(world.student)
        client.post(reverse("student:transfer", args=[enrollment.pk]), {"to_batch": late.pk})
        request = EnrollmentRequest.objects.get()
        assert (request.kind, request.batch, request.enrollment) == ("transfer", late, enrollment)


class TestQueryCounts:
    def test_the_course_page_does_not_grow_with_batches(
        self, client, world, make_batch, django_assert_max_num_queries
    ):
        client.force_login(world.student)
        url = course_url(world.english)
        with django_assert_max_num_queries(16) as few:
            client.get(url)
        for day in range(5):
            make_batch(course=world.english, schedule=[slot(day, "07:00", "08:00")])
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get(url).status_code == 200

    def test_the_catalogue_does_not_grow_with_courses(
        self, client, world, django_assert_max_num_queries
    ):
        client.force_login(world.student)
        url = reverse("student:catalogue")
        with django_assert_max_num_queries(12) as few:
            client.get(url)
        for n in range(5):
            CourseFactory(enrollment_policy="open", code=f"C{n}")
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get(url).status_code == 200

    def test_the_request_page_does_not_grow_with_requests(
        self, client, world, admin, make_batch, django_assert_max_num_queries
    ):
        Course.objects.filter(pk=world.english.pk).update(enrollment_policy="on_request")
        client.force_login(admin)
        url = reverse("enroll:requests")
        enrollment_request_create(student=StudentFactory(), batch=world.tuesday)
        with django_assert_max_num_queries(12) as few:
            client.get(url)
        for _ in range(5):
            enrollment_request_create(student=StudentFactory(), batch=world.clashing)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get(url).status_code == 200
