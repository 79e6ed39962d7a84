"""Course, Batch and ScheduleSlot: every constraint, in the database and in full_clean.

Rows are arranged with the factories, which save directly and so bypass the services: these
tests prove the database refuses what the services are supposed to never write.
"""

import datetime as dt
from contextlib import contextmanager

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.tests.factories import AdminFactory, InstructorFactory
from allocation.models import Batch, BatchStatus, Course, ScheduleSlot, Weekday, slots_overlap
from allocation.tests.factories import BatchFactory, CourseFactory, ScheduleSlotFactory

pytestmark = pytest.mark.django_db


@contextmanager
def refused_by(constraint: str):
    """The database refuses the write with an IntegrityError that names ``constraint``."""
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        yield


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def constraint_errors(instance) -> list[str]:
    """The messages of the model's own constraints, whatever full_clean reports first."""
    with pytest.raises(ValidationError) as excinfo:
        instance.validate_constraints()
    return excinfo.value.message_dict[NON_FIELD_ERRORS]


def violated(name: str) -> str:
    return f"Constraint “{name}” is violated."


def unsaved_batch(**fields) -> Batch:
    """A batch built in memory whose related rows exist, so full_clean judges only ``fields``."""
    fields.setdefault("course", CourseFactory())
    fields.setdefault("assigned_instructor", InstructorFactory())
    fields.setdefault("created_by", AdminFactory())
    return BatchFactory.build(**fields)


def full_clean_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


# --- Course -------------------------------------------------------------------------------


class TestCourse:
    def test_valid_course_passes_full_clean(self):
        course = CourseFactory(code="GER-A1", title="German A1")

        course.full_clean()
        assert str(course) == "German A1 (GER-A1)"

    def test_empty_code_is_refused_by_the_database(self):
        with refused_by("course_code_not_empty"):
            Course.objects.create(code="", title="Nameless")
        assert not Course.objects.exists()

    def test_empty_code_is_refused_by_full_clean(self):
        course = Course(code="", title="Nameless")

        assert full_clean_errors(course) == {"code": ["This field cannot be blank."]}
        assert constraint_errors(course) == [violated("course_code_not_empty")]

    def test_taken_code_is_refused_by_the_database(self):
        CourseFactory(code="GER-A1")

        with pytest.raises(IntegrityError), transaction.atomic():
            Course.objects.create(code="GER-A1", title="Another")
        assert Course.objects.count() == 1

    def test_taken_code_is_refused_by_full_clean(self):
        CourseFactory(code="GER-A1")

        assert full_clean_errors(Course(code="GER-A1", title="Another")) == {
            "code": ["This course code is already in use"]
        }


# --- Batch --------------------------------------------------------------------------------


class TestBatchDates:
    def test_one_day_batch_is_allowed(self):
        day = dt.date(2026, 5, 4)
        batch = BatchFactory(start_date=day, end_date=day)

        batch.full_clean()
        assert Batch.objects.filter(pk=batch.pk).exists()

    def test_end_before_start_is_refused_by_the_database(self):
        with refused_by("batch_end_on_or_after_start"):
            BatchFactory(start_date=dt.date(2026, 5, 4), end_date=dt.date(2026, 5, 3))
        assert not Batch.objects.exists()

    def test_end_moved_before_start_is_refused_by_the_database(self):
        batch = BatchFactory(start_date=dt.date(2026, 5, 4), end_date=dt.date(2026, 6, 1))

        with refused_by("batch_end_on_or_after_start"):
            Batch.objects.filter(pk=batch.pk).update(end_date=dt.date(2026, 5, 1))
        batch.refresh_from_db()
        assert batch.end_date == dt.date(2026, 6, 1)

    def test_end_before_start_is_refused_by_full_clean(self):
        batch = unsaved_batch(start_date=dt.date(2026, 5, 4), end_date=dt.date(2026, 5, 3))

        assert full_clean_errors(batch) == {
            NON_FIELD_ERRORS: ["The end date must be on or after the start date"]
        }


class TestBatchCapacity:
    def test_capacity_zero_is_refused_by_the_database(self):
        with refused_by("batch_capacity_at_least_1"):
            BatchFactory(capacity=0)
        assert not Batch.objects.exists()

    def test_capacity_zero_is_refused_by_full_clean(self):
        assert full_clean_errors(unsaved_batch(capacity=0)) == {
            NON_FIELD_ERRORS: ["Capacity must be at least 1"]
        }

    def test_counter_may_reach_capacity(self):
        batch = BatchFactory(capacity=3, enrolled_students=3)

        batch.full_clean()
        assert batch.is_full
        assert batch.available_spots == 0

    def test_counter_above_capacity_is_refused_by_the_database(self):
        with refused_by("batch_enrolled_within_capacity"):
            BatchFactory(capacity=3, enrolled_students=4)
        assert not Batch.objects.exists()

    def test_capacity_lowered_below_counter_is_refused_by_the_database(self):
        batch = BatchFactory(capacity=3, enrolled_students=3)

        with refused_by("batch_enrolled_within_capacity"):
            Batch.objects.filter(pk=batch.pk).update(capacity=2)
        batch.refresh_from_db()
        assert batch.capacity == 3

    def test_an_f_increment_past_capacity_is_refused_by_the_database(self):
        # The backstop behind every service that takes a seat with an F() update.
        from django.db.models import F

        batch = BatchFactory(capacity=1, enrolled_students=1)

        with refused_by("batch_enrolled_within_capacity"):
            Batch.objects.filter(pk=batch.pk).update(enrolled_students=F("enrolled_students") + 1)
        batch.refresh_from_db()
        assert batch.enrolled_students == 1

    def test_negative_counter_is_refused_by_the_database(self):
        batch = BatchFactory()

        with pytest.raises(IntegrityError), transaction.atomic():
            Batch.objects.filter(pk=batch.pk).update(enrolled_students=-1)
        batch.refresh_from_db()
        assert batch.enrolled_students == 0

    def test_counter_above_capacity_is_refused_by_full_clean(self):
        assert full_clean_errors(unsaved_batch(capacity=3, enrolled_students=4)) == {
            NON_FIELD_ERRORS: ["Batch has reached maximum capacity"]
        }

    def test_negative_counter_is_refused_by_full_clean(self):
        batch = unsaved_batch(enrolled_students=-1)

        assert "enrolled_students" in full_clean_errors(batch)
        assert constraint_errors(batch) == ["Batch has reached maximum capacity"]

    def test_available_spots(self):
        batch = unsaved_batch(capacity=10, enrolled_students=4)

        assert batch.available_spots == 6
        assert not batch.is_full


class TestBatchStatus:
    @pytest.mark.parametrize("status", BatchStatus.values)
    def test_every_known_status_is_stored(self, status):
        batch = BatchFactory(status=status)

        batch.full_clean()
        assert Batch.objects.get(pk=batch.pk).status == status
        assert batch.is_open is (status in ("Active", "Upcoming"))

    def test_unknown_status_is_refused_by_the_database(self):
        with refused_by("batch_status_valid"):
            BatchFactory(status="active")  # the original API's spelling is "Active"
        assert not Batch.objects.exists()

    def test_unknown_status_is_refused_by_full_clean(self):
        batch = unsaved_batch(status="Paused")

        assert "status" in full_clean_errors(batch)
        assert constraint_errors(batch) == [violated("batch_status_valid")]

    def test_open_queryset(self):
        active = BatchFactory(status=BatchStatus.ACTIVE)
        upcoming = BatchFactory(status=BatchStatus.UPCOMING)
        BatchFactory(status=BatchStatus.COMPLETED)
        BatchFactory(status=BatchStatus.CANCELLED)

        assert set(Batch.objects.open()) == {active, upcoming}


class TestBatchCode:
    def test_empty_code_is_refused_by_the_database(self):
        with refused_by("batch_code_not_empty"):
            BatchFactory(batch_code="")
        assert not Batch.objects.exists()

    def test_empty_code_is_refused_by_full_clean(self):
        batch = unsaved_batch(batch_code="")

        assert full_clean_errors(batch) == {"batch_code": ["This field cannot be blank."]}
        assert constraint_errors(batch) == [violated("batch_code_not_empty")]

    def test_taken_code_is_refused_by_the_database(self):
        BatchFactory(batch_code="GER-A1-2026-01-01")

        with pytest.raises(IntegrityError), transaction.atomic():
            BatchFactory(batch_code="GER-A1-2026-01-01")
        assert Batch.objects.count() == 1

    def test_taken_code_is_refused_by_full_clean(self):
        BatchFactory(batch_code="GER-A1-2026-01-01")
        batch = unsaved_batch(batch_code="GER-A1-2026-01-01")

        assert full_clean_errors(batch) == {"batch_code": ["This batch code is already in use"]}


class TestBatchIdCourseUnique:
    """The (id, course) key exists only as the target of the enrollments' composite key.

    ``id`` alone is unique, so no pair of rows can violate it; what matters is that the
    database holds it (PostgreSQL needs it to accept the composite foreign key).
    """

    def test_the_unique_key_exists_in_the_database(self):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, Batch._meta.db_table)
        unique_column_sets = [
            c["columns"] for c in constraints.values() if c["unique"] and not c["primary_key"]
        ]
        assert ["id", "course_id"] in unique_column_sets

    def test_full_clean_accepts_a_saved_batch(self):
        # The constraint's validation excludes the row itself, so it never refuses a save.
        batch = BatchFactory()

        batch.full_clean()


def test_batch_str():
    batch = unsaved_batch(batch_code="GER-A1-2026-01-01", batch_name="Morning")

    assert str(batch) == "GER-A1-2026-01-01 · Morning"


# --- ScheduleSlot -------------------------------------------------------------------------


class TestSlotTimes:
    def test_valid_slot(self):
        slot = ScheduleSlotFactory(day=Weekday.FRIDAY, start_time=t("18:00"), end_time=t("19:30"))

        slot.full_clean()
        assert str(slot) == "Friday 18:00–19:30"

    @pytest.mark.parametrize(("start", "end"), [("12:00", "10:00"), ("10:00", "10:00")])
    def test_end_not_after_start_is_refused_by_the_database(self, start, end):
        batch = BatchFactory()

        with refused_by("slot_start_before_end"):
            ScheduleSlotFactory(batch=batch, start_time=t(start), end_time=t(end))
        assert not ScheduleSlot.objects.exists()

    @pytest.mark.parametrize(("start", "end"), [("12:00", "10:00"), ("10:00", "10:00")])
    def test_end_not_after_start_is_refused_by_full_clean(self, start, end):
        slot = ScheduleSlot(batch=BatchFactory(), day=0, start_time=t(start), end_time=t(end))

        assert full_clean_errors(slot) == {
            NON_FIELD_ERRORS: ["A schedule slot must end after it starts"]
        }


class TestSlotDay:
    @pytest.mark.parametrize("day", [0, 6])
    def test_monday_and_sunday_are_valid(self, day):
        slot = ScheduleSlotFactory(day=day)

        slot.full_clean()
        assert ScheduleSlot.objects.get(pk=slot.pk).day == day

    def test_day_seven_is_refused_by_the_database(self):
        batch = BatchFactory()

        with refused_by("slot_day_valid"):
            ScheduleSlotFactory(batch=batch, day=7)
        assert not ScheduleSlot.objects.exists()

    def test_day_seven_is_refused_by_full_clean(self):
        slot = ScheduleSlot(batch=BatchFactory(), day=7, start_time=t("10:00"), end_time=t("11:00"))

        assert "day" in full_clean_errors(slot)
        assert constraint_errors(slot) == ["Unknown weekday"]


class TestSlotUniqueStart:
    def test_same_start_on_one_batch_and_day_is_refused_by_the_database(self):
        batch = BatchFactory()
        ScheduleSlotFactory(batch=batch, day=0, start_time=t("10:00"), end_time=t("11:00"))

        with pytest.raises(IntegrityError), transaction.atomic():
            ScheduleSlotFactory(batch=batch, day=0, start_time=t("10:00"), end_time=t("12:00"))
        assert batch.schedule.count() == 1

    def test_same_start_on_one_batch_and_day_is_refused_by_full_clean(self):
        batch = BatchFactory()
        ScheduleSlotFactory(batch=batch, day=0, start_time=t("10:00"), end_time=t("11:00"))
        slot = ScheduleSlot(batch=batch, day=0, start_time=t("10:00"), end_time=t("12:00"))

        assert full_clean_errors(slot) == {
            NON_FIELD_ERRORS: ["Two slots of a batch cannot start at the same time on the same day"]
        }

    def test_same_start_on_another_day_or_batch_is_allowed(self):
        batch = BatchFactory()
        ScheduleSlotFactory(batch=batch, day=0, start_time=t("10:00"), end_time=t("12:00"))
        ScheduleSlotFactory(batch=batch, day=1, start_time=t("10:00"), end_time=t("12:00"))
        ScheduleSlotFactory(day=0, start_time=t("10:00"), end_time=t("12:00"))  # other batch

        assert ScheduleSlot.objects.filter(start_time=t("10:00")).count() == 3


class TestSlotOverlapInTheDatabase:
    """PostgreSQL's exclusion constraint (migration allocation.0002) on half-open slots."""

    def test_touching_slots_are_stored(self):
        batch = BatchFactory()
        ScheduleSlotFactory(batch=batch, day=0, start_time=t("10:00"), end_time=t("12:00"))
        ScheduleSlotFactory(batch=batch, day=0, start_time=t("12:00"), end_time=t("13:00"))

        assert batch.schedule.count() == 2

    @pytest.mark.postgres
    @pytest.mark.parametrize(
        ("start", "end"),
        [("10:30", "11:00"), ("09:00", "10:30"), ("11:59", "13:00"), ("09:00", "13:00")],
    )
    def test_overlapping_slots_of_one_batch_are_refused(self, start, end):
        batch = BatchFactory()
        ScheduleSlotFactory(batch=batch, day=0, start_time=t("10:00"), end_time=t("12:00"))

        with refused_by("slot_no_overlap_within_batch"):
            ScheduleSlotFactory(batch=batch, day=0, start_time=t(start), end_time=t(end))
        assert batch.schedule.count() == 1

    @pytest.mark.postgres
    def test_an_update_into_an_overlap_is_refused(self):
        batch = BatchFactory()
        ScheduleSlotFactory(batch=batch, day=0, start_time=t("10:00"), end_time=t("12:00"))
        later = ScheduleSlotFactory(batch=batch, day=0, start_time=t("12:00"), end_time=t("13:00"))

        with refused_by("slot_no_overlap_within_batch"):
            ScheduleSlot.objects.filter(pk=later.pk).update(start_time=t("11:00"))
        later.refresh_from_db()
        assert later.start_time == t("12:00")

    @pytest.mark.postgres
    def test_overlapping_slots_on_another_day_or_batch_are_stored(self):
        batch = BatchFactory()
        ScheduleSlotFactory(batch=batch, day=0, start_time=t("10:00"), end_time=t("12:00"))
        ScheduleSlotFactory(batch=batch, day=1, start_time=t("10:30"), end_time=t("11:00"))
        ScheduleSlotFactory(day=0, start_time=t("10:30"), end_time=t("11:00"))

        assert ScheduleSlot.objects.count() == 3


class TestSlotsOverlap:
    @pytest.mark.parametrize(
        ("a", "b", "expected"),
        [
            ((0, "10:00", "12:00"), (0, "12:00", "13:00"), False),
            ((0, "12:00", "13:00"), (0, "10:00", "12:00"), False),
            ((0, "10:00", "12:00"), (0, "10:00", "11:00"), True),
            ((0, "09:00", "11:00"), (0, "10:00", "12:00"), True),
            ((0, "10:00", "12:00"), (0, "11:00", "11:30"), True),
            ((0, "10:00", "12:00"), (1, "10:00", "12:00"), False),
        ],
    )
    def test_half_open_intervals_on_one_weekday(self, a, b, expected):
        first = ScheduleSlot(day=a[0], start_time=t(a[1]), end_time=t(a[2]))
        second = ScheduleSlot(day=b[0], start_time=t(b[1]), end_time=t(b[2]))

        assert slots_overlap(first, second) is expected
        assert first.overlaps(second) is expected
        assert second.overlaps(first) is expected
