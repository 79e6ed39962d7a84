"""Automatic placement (``enrollment_place``): which batch a student lands in without naming
one, the balance of the fill, and each refusal. Races are in test_waitlist_concurrency.py."""

import datetime as dt

import pytest
from django.db.models import Count, Q

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.models import Batch, BatchStatus, Weekday
from allocation.tests.factories import BatchFactory, CourseFactory, ScheduleSlotFactory
from core.errors import DomainError
from enrollments.models import Enrollment, EnrollmentSource, EnrollmentStatus, EnrollmentType
from enrollments.services import MSG_ALREADY_ENROLLED, MSG_FULL, Payment, enrollment_create
from enrollments.services.placement import enrollment_place, part_of_day

pytestmark = pytest.mark.django_db


def refusal(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        call(**kwargs)
    return excinfo.value


def fills(batches) -> list[int]:
    return [Batch.objects.get(pk=b.pk).enrolled_students for b in batches]


def assert_counters_true() -> None:
    for batch in Batch.objects.annotate(
        active=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE))
    ):
        assert batch.enrolled_students == batch.active <= batch.capacity, batch.batch_code


def with_slot(batch: Batch, day: int, start: str) -> Batch:
    begin = dt.time.fromisoformat(start)
    ScheduleSlotFactory(
        batch=batch, day=day, start_time=begin, end_time=dt.time(begin.hour + 1, begin.minute)
    )
    return batch


@pytest.fixture
def course():
    return CourseFactory(code="GER-A1")


class TestBalance:
    def test_without_a_preference_eight_batches_fill_evenly(self, course):
        batches = BatchFactory.create_batch(8, course=course, capacity=25)

        for count in range(1, 101):
            enrollment_place(student=StudentFactory(), course=course)
            taken = fills(batches)
            assert max(taken) - min(taken) <= 1, (count, taken)

        assert fills(batches) == [13, 13, 13, 13, 12, 12, 12, 12]
        assert_counters_true()

    def test_the_batch_with_most_free_seats_wins_then_the_lowest_pk(self, course):
        small = BatchFactory(course=course, capacity=5)
        big = BatchFactory(course=course, capacity=10)
        twin = BatchFactory(course=course, capacity=10)

        first = enrollment_place(student=StudentFactory(), course=course)
        second = enrollment_place(student=StudentFactory(), course=course)

        assert first.batch == big  # 10 free beats 5, and big's pk is lower than twin's
        assert second.batch == twin  # now twin has the most free seats
        assert fills([small, big, twin]) == [0, 1, 1]

    def test_a_full_batch_is_skipped(self, course):
        full = BatchFactory(course=course, capacity=1)
        enrollment_create(student=StudentFactory(), course=course, batch=full)
        roomy = BatchFactory(course=course, capacity=1)

        assert enrollment_place(student=StudentFactory(), course=course).batch == roomy

    def test_closed_batches_and_other_courses_are_never_chosen(self, course):
        BatchFactory(course=course, capacity=50, status=BatchStatus.COMPLETED)
        BatchFactory(course=course, capacity=50, status=BatchStatus.CANCELLED)
        BatchFactory(capacity=50)  # another course
        upcoming = BatchFactory(course=course, capacity=2, status=BatchStatus.UPCOMING)

        assert enrollment_place(student=StudentFactory(), course=course).batch == upcoming


class TestPreference:
    @pytest.fixture
    def batches(self, course):
        """Roomy Tue/Thu mornings, Mon/Wed evenings, Mon morning + Sat afternoon."""
        morning = BatchFactory(course=course, capacity=30, batch_code="MORNING")
        with_slot(morning, Weekday.TUESDAY, "09:00")
        with_slot(morning, Weekday.THURSDAY, "09:00")
        evening = BatchFactory(course=course, capacity=10, batch_code="EVENING")
        with_slot(evening, Weekday.MONDAY, "18:00")
        with_slot(evening, Weekday.WEDNESDAY, "18:00")
        mixed = BatchFactory(course=course, capacity=10, batch_code="MIXED")
        with_slot(mixed, Weekday.MONDAY, "10:00")
        with_slot(mixed, Weekday.SATURDAY, "14:00")
        return morning, evening, mixed

    def place(self, course, **preference) -> str:
        enrollment = enrollment_place(student=StudentFactory(), course=course, **preference)
        return enrollment.batch.batch_code

    def test_days_are_preferred_over_free_seats(self, course, batches):
        assert self.place(course, preferred_days=[Weekday.MONDAY, Weekday.WEDNESDAY]) == "EVENING"

    def test_a_partial_fit_beats_no_fit(self, course, batches):
        # MIXED has half its sessions on Saturday; the others none.
        assert self.place(course, preferred_days=[Weekday.SATURDAY]) == "MIXED"

    def test_parts_of_the_day(self, course, batches):
        assert self.place(course, preferred_times=["evening"]) == "EVENING"
        assert self.place(course, preferred_times=["Afternoon"]) == "MIXED"  # any case
        assert self.place(course, preferred_times=["morning"]) == "MORNING"

    def test_days_and_times_together(self, course, batches):
        # Monday mornings: only MIXED has one (half its sessions); EVENING's Monday is at 18:00.
        assert (
            self.place(course, preferred_days=[Weekday.MONDAY], preferred_times=["morning"])
            == "MIXED"
        )

    def test_equal_fits_go_to_the_most_free_seats(self, course, batches):
        # Monday: EVENING fits 1/2, MIXED 1/2; both have 10 seats → the lower pk (EVENING),
        # then MIXED has more free seats.
        assert self.place(course, preferred_days=[Weekday.MONDAY]) == "EVENING"
        assert self.place(course, preferred_days=[Weekday.MONDAY]) == "MIXED"

    def test_a_full_preferred_batch_falls_back_to_the_emptiest(self, course, batches):
        morning, evening, mixed = batches
        Batch.objects.filter(pk=evening.pk).update(capacity=1)
        enrollment_create(student=StudentFactory(), course=course, batch=evening)

        assert self.place(course, preferred_times=["evening"]) == "MORNING"

    def test_no_fit_at_all_still_places_the_student(self, course, batches):
        assert self.place(course, preferred_days=[Weekday.SUNDAY]) == "MORNING"

    def test_part_of_day_boundaries(self):
        assert part_of_day(dt.time(11, 59)) == "morning"
        assert part_of_day(dt.time(12, 0)) == "afternoon"
        assert part_of_day(dt.time(16, 59)) == "afternoon"
        assert part_of_day(dt.time(17, 0)) == "evening"
        assert part_of_day(dt.time(0, 0)) == "morning"

    @pytest.mark.parametrize(
        ("preference", "field"),
        [
            ({"preferred_days": [7]}, "preferred_days"),
            ({"preferred_days": ["monday"]}, "preferred_days"),
            ({"preferred_times": ["night"]}, "preferred_times"),
        ],
    )
    def test_unknown_preferences_are_refused(self, course, batches, preference, field):
        error = refusal(enrollment_place, student=StudentFactory(), course=course, **preference)

        assert error.field == field
        assert not Enrollment.objects.exists()


class TestWhatIsWritten:
    def test_the_enrollment_is_like_enrollment_create_s(
        self, course, mailoutbox, django_capture_on_commit_callbacks
    ):
        batch = BatchFactory(course=course, capacity=3, end_date=dt.date(2026, 3, 27))
        student = StudentFactory()

        with django_capture_on_commit_callbacks(execute=True):
            enrollment = enrollment_place(
                student=student,
                course=course,
                enrollment_source=EnrollmentSource.API,
                payment=Payment(amount=10, currency="eur"),
            )

        enrollment.refresh_from_db()
        assert (enrollment.batch, enrollment.enrollment_type) == (batch, EnrollmentType.BATCH)
        assert enrollment.enrollment_source == EnrollmentSource.API
        assert enrollment.payment_currency == "EUR"
        assert enrollment.access_expiry_date.date() == dt.date(2026, 4, 26)  # end + 30 days
        assert fills([batch]) == [1]
        # The usual welcome, once.
        assert [m.to for m in mailoutbox] == [[student.email]]
        assert mailoutbox[0].subject.startswith("Welcome")

    def test_another_seat_taking_type_is_kept(self, course):
        BatchFactory(course=course)

        enrollment = enrollment_place(
            student=StudentFactory(), course=course, enrollment_type=EnrollmentType.CORPORATE
        )

        assert enrollment.enrollment_type == EnrollmentType.CORPORATE
        assert enrollment.batch_id is not None


class TestRefusals:
    def test_every_batch_full(self, course):
        batches = BatchFactory.create_batch(2, course=course, capacity=1)
        for batch in batches:
            enrollment_create(student=StudentFactory(), course=course, batch=batch)

        error = refusal(enrollment_place, student=StudentFactory(), course=course)

        assert error.code == "full"
        assert error.field == "batch"
        assert error.message.startswith(MSG_FULL)
        assert "waitlist" in error.message
        assert fills(batches) == [1, 1]
        assert Enrollment.objects.count() == 2

    def test_no_open_batch(self, course):
        BatchFactory(course=course, status=BatchStatus.COMPLETED)

        error = refusal(enrollment_place, student=StudentFactory(), course=course)

        assert error.code == "no_batch"
        assert "GER-A1 has no open batch" in error.message

    def test_a_second_active_enrollment_in_the_course(self, course):
        batch = BatchFactory(course=course, capacity=5)
        student = StudentFactory()
        enrollment_create(student=student, course=course, batch=batch)

        error = refusal(enrollment_place, student=student, course=course)

        assert error.message == MSG_ALREADY_ENROLLED
        assert fills([batch]) == [1]

    def test_not_a_student(self, course):
        BatchFactory(course=course)

        error = refusal(enrollment_place, student=InstructorFactory(), course=course)

        assert error.field == "student"
        assert not Enrollment.objects.exists()

    def test_an_individual_enrollment(self, course):
        BatchFactory(course=course)

        error = refusal(
            enrollment_place,
            student=StudentFactory(),
            course=course,
            enrollment_type=EnrollmentType.INDIVIDUAL,
        )

        assert error.field == "enrollment_type"
        assert not Enrollment.objects.exists()


class TestApi:
    """``POST /api/enrollments/students/:id/enroll`` with type batch and no ``batchId``."""

    @pytest.fixture
    def api(self):
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_authenticate(AdminFactory())
        return client

    def post(self, api, student, body):
        return api.post(f"/api/enrollments/students/{student.pk}/enroll", body, format="json")

    def test_places_by_the_preferred_days(self, api, course):
        BatchFactory(course=course, capacity=30)
        friday = with_slot(BatchFactory(course=course, capacity=5), Weekday.FRIDAY, "18:00")
        student = StudentFactory()

        response = self.post(
            api,
            student,
            {
                "courseId": str(course.pk),
                "enrollment_type": "batch",
                "preferred_days": ["Friday"],
                "preferred_times": ["evening"],
            },
        )

        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["message"] == "Student enrolled in batch successfully"
        assert body["data"]["batch"] == friday.pk
        assert body["data"]["enrollment_type"] == "batch"
        assert body["data"]["enrollment_source"] == "api"

    def test_without_a_preference_the_emptiest_batch(self, api, course):
        BatchFactory(course=course, capacity=5)
        roomy = BatchFactory(course=course, capacity=9)

        response = self.post(
            api, StudentFactory(), {"courseId": course.pk, "enrollment_type": "batch"}
        )

        assert response.json()["data"]["batch"] == roomy.pk

    def test_every_batch_full_is_a_400_naming_the_waitlist(self, api, course):
        full = BatchFactory(course=course, capacity=1)
        enrollment_create(student=StudentFactory(), course=course, batch=full)

        response = self.post(
            api, StudentFactory(), {"courseId": course.pk, "enrollment_type": "batch"}
        )

        assert response.status_code == 400
        assert response.json()["success"] is False
        assert response.json()["message"].startswith(MSG_FULL)
        assert "waitlist" in response.json()["message"]

    @pytest.mark.parametrize(
        "extra", [{"preferred_days": ["someday"]}, {"preferred_times": ["night"]}]
    )
    def test_unknown_preferences_are_a_400(self, api, course, extra):
        BatchFactory(course=course)

        response = self.post(
            api, StudentFactory(), {"courseId": course.pk, "enrollment_type": "batch", **extra}
        )

        assert response.status_code == 400
        assert not Enrollment.objects.exists()

    def test_without_a_type_it_is_still_individual(self, api, course):
        BatchFactory(course=course)

        response = self.post(api, StudentFactory(), {"courseId": course.pk})

        assert response.status_code == 201
        assert response.json()["data"]["batch"] is None
        assert response.json()["message"] == "Student enrolled in course successfully"

    def test_the_schema_documents_the_preferences(self, api):
        schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
        components = schema["components"]["schemas"]
        body = components["EnrollInputRequest"]["properties"]

        def enum(prop):
            return components[body[prop]["items"]["$ref"].rsplit("/", 1)[1]]["enum"]

        assert body["preferred_days"]["type"] == "array"
        assert enum("preferred_days")[0] == "monday" and len(enum("preferred_days")) == 7
        assert "Automatic placement" in body["preferred_days"]["description"]
        assert set(enum("preferred_times")) == {"morning", "afternoon", "evening"}
