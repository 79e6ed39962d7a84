"""The course and batch services: what they write, and each refusal word for word."""

import datetime as dt
import re

import pytest

from accounts.tests.factories import (
    AdminFactory,
    InstructorFactory,
    StudentFactory,
    UserFactory,
)
from allocation.models import Batch, BatchStatus, Course, ScheduleSlot
from allocation.services import (
    MSG_NOT_INSTRUCTOR,
    Slot,
    batch_create,
    batch_delete,
    batch_update,
    course_create,
)
from allocation.services import batches as services
from allocation.tests.factories import CourseFactory
from core.errors import DomainError
from enrollments.models import EnrollmentStatus
from enrollments.services import enrollment_cancel, enrollment_create
from enrollments.tests.factories import EnrollmentFactory
from tests.support import slot

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY = 0, 1


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def stored_schedule(batch: Batch) -> list[Slot]:
    return [
        Slot.of(s) for s in ScheduleSlot.objects.filter(batch=batch).order_by("day", "start_time")
    ]


@pytest.fixture
def instructor():
    return InstructorFactory()


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.fixture
def create(course, admin):
    """batch_create with valid defaults; keyword arguments override them.

    Each batch gets its own instructor unless one is given, so no trainer's cap or timetable
    is in play: these tests are about the batch itself.
    """

    def create(**kwargs):
        fields = {
            "course": course,
            "batch_name": "Morning group",
            "start_date": dt.date(2026, 3, 2),
            "end_date": dt.date(2026, 5, 29),
            "capacity": 12,
            "created_by": admin,
        }
        fields.update(kwargs)
        if "assigned_instructor" not in fields:
            fields["assigned_instructor"] = InstructorFactory()
        return batch_create(**fields)

    return create


def refusal(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        call(**kwargs)
    return excinfo.value


# --- batch_create -------------------------------------------------------------------------


class TestBatchCreate:
    def test_stores_the_batch_and_its_schedule(self, create, course, instructor, admin):
        batch = create(
            assigned_instructor=instructor,
            batch_name="  Morning group ",
            batch_notes="Bring the textbook",
            status=BatchStatus.ACTIVE,
            schedule=[slot(TUESDAY, "18:00", "20:00"), slot(MONDAY, "10:00", "12:00")],
        )

        batch = Batch.objects.get(pk=batch.pk)
        assert batch.course == course
        assert batch.batch_name == "Morning group"
        assert batch.batch_notes == "Bring the textbook"
        assert batch.status == BatchStatus.ACTIVE
        assert (batch.start_date, batch.end_date) == (dt.date(2026, 3, 2), dt.date(2026, 5, 29))
        assert batch.capacity == 12
        assert batch.enrolled_students == 0
        assert batch.assigned_instructor == instructor
        assert batch.created_by == admin
        assert stored_schedule(batch) == [
            slot(MONDAY, "10:00", "12:00"),
            slot(TUESDAY, "18:00", "20:00"),
        ]

    def test_defaults_to_upcoming_without_schedule(self, create):
        batch = create()

        assert batch.status == BatchStatus.UPCOMING
        assert stored_schedule(batch) == []


class TestBatchCode:
    def test_generated_code_is_course_year_month_sequence(self, create):
        batch = create(start_date=dt.date(2026, 3, 2))

        assert batch.batch_code == "GER-A1-2026-03-01"
        assert re.fullmatch(r"GER-A1-\d{4}-\d{2}-\d{2}", batch.batch_code)

    def test_sequence_increments_per_course_and_month(self, create):
        march = [create(start_date=dt.date(2026, 3, day)).batch_code for day in (2, 9, 31)]
        april = create(start_date=dt.date(2026, 4, 1)).batch_code
        march_2027 = create(
            start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 5, 28)
        ).batch_code
        other_course = create(
            course=CourseFactory(code="FRE-B2"), start_date=dt.date(2026, 3, 2)
        ).batch_code

        assert march == ["GER-A1-2026-03-01", "GER-A1-2026-03-02", "GER-A1-2026-03-03"]
        assert april == "GER-A1-2026-04-01"
        assert march_2027 == "GER-A1-2027-03-01"
        assert other_course == "FRE-B2-2026-03-01"

    def test_sequence_continues_after_the_highest_number_taken(self, create):
        create(batch_code="GER-A1-2026-03-07")
        create(batch_code="GER-A1-2026-03-evening")  # not a number: ignored

        assert create().batch_code == "GER-A1-2026-03-08"

    def test_blank_code_is_generated(self, create):
        assert create(batch_code="   ").batch_code == "GER-A1-2026-03-01"

    def test_manual_code_is_kept(self, create):
        batch = create(batch_code="  SPRING-INTENSIVE ")

        assert Batch.objects.get(pk=batch.pk).batch_code == "SPRING-INTENSIVE"

    def test_taken_code_is_refused(self, create):
        create(batch_code="SPRING")

        error = refusal(create, batch_code="SPRING", batch_name="Second")

        assert error.message == "This batch code is already in use"
        assert error.field == "batch_code"
        assert list(Batch.objects.values_list("batch_name", flat=True)) == ["Morning group"]

    def test_code_lost_to_a_concurrent_writer_is_refused_cleanly(self, create, monkeypatch):
        # Between full_clean and INSERT another transaction may take the code: the unique
        # constraint refuses it and the service turns that into a message, not a 500.
        create(batch_code="SPRING")
        monkeypatch.setattr(services, "full_clean_or_refuse", lambda instance, **kwargs: None)

        error = refusal(create, batch_code="SPRING")

        assert error.message == "Batch code SPRING is already in use"
        assert error.field == "batch_code"
        assert Batch.objects.count() == 1


class TestBatchCreateRefusals:
    def test_a_student_as_instructor(self, create):
        error = refusal(create, assigned_instructor=StudentFactory())

        assert error.message == "Assigned instructor must have instructor role"
        assert error.message == MSG_NOT_INSTRUCTOR
        assert error.field == "assigned_instructor"
        assert not Batch.objects.exists()

    def test_an_admin_without_the_instructor_role(self, create):
        error = refusal(create, assigned_instructor=AdminFactory())

        assert error.message == "Assigned instructor must have instructor role"
        assert not Batch.objects.exists()

    def test_an_inactive_instructor(self, create):
        error = refusal(create, assigned_instructor=InstructorFactory(is_active=False))

        assert error.message == "Assigned instructor must have instructor role"
        assert error.field == "assigned_instructor"
        assert not Batch.objects.exists()

    def test_no_instructor(self, create):
        error = refusal(create, assigned_instructor=None)

        assert error.message == "Instructor assignment is required for a batch"
        assert error.field == "assigned_instructor"

    def test_end_before_start(self, create):
        error = refusal(create, start_date=dt.date(2026, 3, 2), end_date=dt.date(2026, 3, 1))

        assert error.message == "The end date must be on or after the start date"
        assert error.field == "end_date"
        assert not Batch.objects.exists()

    def test_end_on_start_is_allowed(self, create):
        batch = create(start_date=dt.date(2026, 3, 2), end_date=dt.date(2026, 3, 2))

        assert batch.pk is not None

    def test_capacity_zero(self, create):
        error = refusal(create, capacity=0)

        assert error.message == "Capacity must be at least 1"
        assert error.field == "capacity"
        assert not Batch.objects.exists()

    def test_capacity_one_is_allowed(self, create):
        assert create(capacity=1).capacity == 1

    def test_empty_name(self, create):
        error = refusal(create, batch_name="   ")

        assert error.message == "This field cannot be blank."
        assert error.field == "batch_name"

    @pytest.mark.parametrize(("start", "end"), [("12:00", "10:00"), ("10:00", "10:00")])
    def test_slot_that_does_not_end_after_it_starts(self, create, start, end):
        error = refusal(create, schedule=[slot(MONDAY, start, end)])

        assert error.message == (
            f"Schedule slot Monday {start}–{end}: the end time must be after the start time"
        )
        assert error.field == "schedule"
        assert not Batch.objects.exists()
        assert not ScheduleSlot.objects.exists()

    def test_unknown_weekday(self, create):
        error = refusal(create, schedule=[slot(7, "10:00", "11:00")])

        assert error.message == "Unknown weekday 7"
        assert error.field == "schedule"

    @pytest.mark.parametrize(
        ("first", "second", "message"),
        [
            (
                ("10:00", "12:00"),
                ("10:00", "11:00"),
                "Schedule slots Monday 10:00–12:00 and Monday 10:00–11:00 overlap",
            ),
            (
                ("10:00", "12:00"),
                ("09:00", "11:00"),
                "Schedule slots Monday 09:00–11:00 and Monday 10:00–12:00 overlap",
            ),
            (
                ("10:00", "12:00"),
                ("11:00", "11:30"),
                "Schedule slots Monday 10:00–12:00 and Monday 11:00–11:30 overlap",
            ),
            (
                ("10:00", "12:00"),
                ("11:59", "13:00"),
                "Schedule slots Monday 10:00–12:00 and Monday 11:59–13:00 overlap",
            ),
        ],
    )
    def test_overlapping_slots(self, create, first, second, message):
        error = refusal(create, schedule=[slot(MONDAY, *first), slot(MONDAY, *second)])

        assert error.message == message
        assert error.field == "schedule"
        assert not Batch.objects.exists()
        assert not ScheduleSlot.objects.exists()

    def test_overlap_is_found_whatever_the_input_order(self, create):
        error = refusal(
            create,
            schedule=[
                slot(MONDAY, "12:00", "13:00"),
                slot(TUESDAY, "12:15", "12:45"),
                slot(MONDAY, "09:00", "10:00"),
                slot(MONDAY, "12:30", "14:00"),
            ],
        )

        assert error.message == "Schedule slots Monday 12:00–13:00 and Monday 12:30–14:00 overlap"


class TestHalfOpenSlots:
    def test_touching_slots_are_accepted(self, create):
        batch = create(schedule=[slot(MONDAY, "12:00", "13:00"), slot(MONDAY, "10:00", "12:00")])

        assert stored_schedule(batch) == [
            slot(MONDAY, "10:00", "12:00"),
            slot(MONDAY, "12:00", "13:00"),
        ]

    def test_same_times_on_different_days_are_accepted(self, create):
        batch = create(schedule=[slot(MONDAY, "10:00", "12:00"), slot(TUESDAY, "10:00", "12:00")])

        assert len(stored_schedule(batch)) == 2


# --- batch_update -------------------------------------------------------------------------


def enroll(batch: Batch, count: int = 1):
    return [
        enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
        for _ in range(count)
    ]


class TestBatchUpdate:
    def test_changes_fields(self, create):
        batch = create(batch_code="SPRING")
        new_instructor = InstructorFactory()

        updated = batch_update(
            batch=batch,
            batch_name=" Evening group ",
            status=BatchStatus.ACTIVE,
            end_date=dt.date(2026, 6, 30),
            capacity=20,
            assigned_instructor=new_instructor,
            batch_notes="Moved to the evening",
        )

        batch.refresh_from_db()
        assert updated == batch
        assert batch.batch_name == "Evening group"
        assert batch.batch_code == "SPRING"
        assert batch.status == BatchStatus.ACTIVE
        assert batch.end_date == dt.date(2026, 6, 30)
        assert batch.capacity == 20
        assert batch.assigned_instructor == new_instructor
        assert batch.batch_notes == "Moved to the evening"

    def test_capacity_below_enrolled_is_refused_with_the_count(self, create):
        batch = create(capacity=5)
        enroll(batch, 3)

        error = refusal(batch_update, batch=batch, capacity=2)

        assert error.message == "Capacity cannot be below the 3 students already enrolled"
        assert error.field == "capacity"
        batch.refresh_from_db()
        assert batch.capacity == 5

    def test_capacity_down_to_enrolled_is_allowed(self, create):
        batch = create(capacity=5)
        enroll(batch, 3)

        batch_update(batch=batch, capacity=3)

        batch.refresh_from_db()
        assert (batch.capacity, batch.enrolled_students) == (3, 3)

    def test_capacity_check_reads_the_current_counter_not_the_callers_copy(self, create):
        batch = create(capacity=5)
        stale = Batch.objects.get(pk=batch.pk)  # read before anyone enrolled
        enroll(batch, 2)

        error = refusal(batch_update, batch=stale, capacity=1)

        assert error.message == "Capacity cannot be below the 2 students already enrolled"

    def test_capacity_zero_is_refused(self, create):
        batch = create()

        error = refusal(batch_update, batch=batch, capacity=0)

        assert error.message == "Capacity must be at least 1"
        assert error.field == "capacity"

    def test_course_change_is_refused(self, create):
        batch = create()

        error = refusal(batch_update, batch=batch, course=CourseFactory())

        assert error.message == "These batch fields cannot be changed: course"
        assert error.field is None
        assert Batch.objects.get(pk=batch.pk).course.code == "GER-A1"

    def test_every_fixed_field_is_named(self, create):
        batch = create()

        error = refusal(batch_update, batch=batch, enrolled_students=3, course=CourseFactory())

        assert error.message == "These batch fields cannot be changed: course, enrolled_students"
        assert Batch.objects.get(pk=batch.pk).enrolled_students == 0

    def test_non_instructor_is_refused(self, create, instructor):
        batch = create(assigned_instructor=instructor)

        error = refusal(batch_update, batch=batch, assigned_instructor=UserFactory())

        assert error.message == "Assigned instructor must have instructor role"
        assert error.field == "assigned_instructor"
        assert Batch.objects.get(pk=batch.pk).assigned_instructor == instructor

    def test_end_before_start_is_refused(self, create):
        batch = create(start_date=dt.date(2026, 3, 2), end_date=dt.date(2026, 5, 29))

        error = refusal(batch_update, batch=batch, end_date=dt.date(2026, 3, 1))

        assert error.message == "The end date must be on or after the start date"
        assert error.field == "end_date"
        assert Batch.objects.get(pk=batch.pk).end_date == dt.date(2026, 5, 29)

    def test_taken_code_is_refused(self, create):
        create(batch_code="SPRING")
        batch = create(batch_code="SUMMER")

        error = refusal(batch_update, batch=batch, batch_code="SPRING")

        assert error.message == "This batch code is already in use"
        assert error.field == "batch_code"
        assert Batch.objects.get(pk=batch.pk).batch_code == "SUMMER"

    def test_blank_code_is_generated(self, create):
        batch = create(batch_code="SPRING")

        batch_update(batch=batch, batch_code="")

        assert Batch.objects.get(pk=batch.pk).batch_code == "GER-A1-2026-03-01"

    def test_schedule_is_replaced(self, create):
        batch = create(schedule=[slot(MONDAY, "10:00", "12:00"), slot(TUESDAY, "10:00", "12:00")])

        batch_update(batch=batch, schedule=[slot(MONDAY, "11:00", "13:00")])

        assert stored_schedule(batch) == [slot(MONDAY, "11:00", "13:00")]
        assert ScheduleSlot.objects.count() == 1

    def test_empty_schedule_clears_the_slots(self, create):
        batch = create(schedule=[slot(MONDAY, "10:00", "12:00")])

        batch_update(batch=batch, schedule=[])

        assert stored_schedule(batch) == []

    def test_slots_unchanged_when_schedule_is_none(self, create):
        schedule = [slot(MONDAY, "10:00", "12:00"), slot(TUESDAY, "18:00", "19:00")]
        batch = create(schedule=schedule)
        slot_pks = set(batch.schedule.values_list("pk", flat=True))

        batch_update(batch=batch, batch_name="Renamed")

        assert stored_schedule(batch) == schedule
        assert set(batch.schedule.values_list("pk", flat=True)) == slot_pks

    def test_bad_schedule_is_refused_and_the_old_one_kept(self, create):
        batch = create(schedule=[slot(MONDAY, "10:00", "12:00")])

        error = refusal(
            batch_update,
            batch=batch,
            batch_name="Renamed",
            schedule=[slot(MONDAY, "10:00", "12:00"), slot(MONDAY, "11:00", "12:30")],
        )

        assert error.message == "Schedule slots Monday 10:00–12:00 and Monday 11:00–12:30 overlap"
        assert error.field == "schedule"
        assert stored_schedule(batch) == [slot(MONDAY, "10:00", "12:00")]
        assert Batch.objects.get(pk=batch.pk).batch_name == "Morning group"

    def test_deleted_batch_is_refused(self, create):
        batch = create()
        Batch.objects.filter(pk=batch.pk).delete()

        error = refusal(batch_update, batch=batch, batch_name="Renamed")

        assert error.message == "This batch no longer exists"


# --- batch_delete -------------------------------------------------------------------------


class TestBatchDelete:
    def test_deletes_a_batch_that_never_had_students(self, create):
        batch = create(schedule=[slot(MONDAY, "10:00", "12:00")])

        batch_delete(batch=batch)

        assert not Batch.objects.filter(pk=batch.pk).exists()
        assert not ScheduleSlot.objects.exists()

    def test_refused_with_active_enrollments(self, create):
        batch = create(batch_code="SPRING", schedule=[slot(MONDAY, "10:00", "12:00")])
        enroll(batch, 2)

        error = refusal(batch_delete, batch=batch)

        assert error.message == (
            "Batch SPRING has 2 active enrollment(s); "
            "cancel or transfer them before deleting the batch"
        )
        assert Batch.objects.filter(pk=batch.pk).exists()
        assert batch.schedule.count() == 1

    def test_refused_with_only_past_enrollments(self, create):
        batch = create(batch_code="SPRING")
        for enrollment in enroll(batch, 2):
            enrollment_cancel(enrollment=enrollment)
        EnrollmentFactory(batch=batch, status=EnrollmentStatus.COMPLETED)

        error = refusal(batch_delete, batch=batch)

        assert error.message == (
            "Batch SPRING keeps the history of 3 past enrollment(s); "
            "set its status to Cancelled instead of deleting it"
        )
        assert Batch.objects.filter(pk=batch.pk).exists()

    def test_deleted_batch_is_refused(self, create):
        batch = create()
        Batch.objects.filter(pk=batch.pk).delete()

        error = refusal(batch_delete, batch=batch)

        assert error.message == "This batch no longer exists"


# --- course_create ------------------------------------------------------------------------


class TestCourseCreate:
    def test_stores_the_course_with_an_upper_case_code(self):
        course = course_create(code=" ger-a1 ", title="  German A1 ", description="Beginners")

        course = Course.objects.get(pk=course.pk)
        assert course.code == "GER-A1"
        assert course.title == "German A1"
        assert course.description == "Beginners"

    def test_empty_code_is_refused(self):
        error = refusal(course_create, code="  ", title="German A1")

        assert error.message == "This field cannot be blank."
        assert error.field == "code"
        assert not Course.objects.exists()

    def test_taken_code_is_refused_whatever_its_case(self):
        course_create(code="GER-A1", title="German A1")

        error = refusal(course_create, code="ger-a1", title="German A1 again")

        assert error.message == "This course code is already in use"
        assert error.field == "code"
        assert Course.objects.count() == 1

    def test_empty_title_is_refused(self):
        error = refusal(course_create, code="GER-A1", title=" ")

        assert error.message == "This field cannot be blank."
        assert error.field == "title"
