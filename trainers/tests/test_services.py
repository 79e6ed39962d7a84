"""Leave and availability: the trainer services and the reads built on them.

``leave_record`` refuses overlapping leave; while a leave covers a day the trainer's status
reads ``on_leave`` for that day (``trainer_status_on``). ``availability_set`` replaces a
trainer's weekly windows.
"""

import datetime as dt

import pytest

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from core.errors import DomainError
from trainers.models import AvailabilityWindow, TrainerLeave, TrainerStatus
from trainers.selectors import trainer_status_on
from trainers.services import Window, availability_set, leave_record, trainer_profile_for
from trainers.tests.factories import TrainerLeaveFactory

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY = 0, 1
APRIL_6, APRIL_10 = dt.date(2026, 4, 6), dt.date(2026, 4, 10)


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def refusal(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        call(**kwargs)
    return excinfo.value


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.fixture
def anna():
    return InstructorFactory(full_name="Anna Schmidt")


@pytest.fixture
def record(anna, admin):
    def record(start, end, **kwargs):
        fields = {"trainer": anna, "start_date": start, "end_date": end, "created_by": admin}
        fields.update(kwargs)
        return leave_record(**fields)

    return record


# --- leave_record ---------------------------------------------------------------------------


class TestLeaveRecord:
    def test_records_the_leave_with_reason_and_recorder(self, record, anna, admin):
        leave = record(APRIL_6, APRIL_10, reason="  Conference  ")

        leave.refresh_from_db()
        assert (leave.trainer, leave.start_date, leave.end_date) == (anna, APRIL_6, APRIL_10)
        assert (leave.reason, leave.created_by) == ("Conference", admin)

    def test_the_recorder_is_optional(self, anna):
        leave = leave_record(trainer=anna, start_date=APRIL_6, end_date=APRIL_6, created_by=None)

        leave.refresh_from_db()
        assert leave.created_by is None

    def test_a_one_day_leave_is_allowed(self, record):
        leave = record(APRIL_6, APRIL_6)

        assert leave.covers(APRIL_6)

    def test_refuses_a_non_instructor(self, admin):
        error = refusal(
            leave_record,
            trainer=StudentFactory(),
            start_date=APRIL_6,
            end_date=APRIL_10,
            created_by=admin,
        )

        assert (error.message, error.field) == ("Only an instructor can be given leave", "trainer")
        assert not TrainerLeave.objects.exists()

    def test_refuses_an_end_before_the_start(self, record):
        error = refusal(record, start=APRIL_10, end=APRIL_6)

        assert (error.message, error.field) == (
            "The leave must end on or after its first day",
            "end_date",
        )
        assert not TrainerLeave.objects.exists()

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (dt.date(2026, 4, 1), APRIL_6),  # ends on its first day: days are inclusive
            (APRIL_10, dt.date(2026, 4, 20)),  # starts on its last day
            (dt.date(2026, 4, 7), dt.date(2026, 4, 8)),  # inside it
            (dt.date(2026, 4, 1), dt.date(2026, 4, 30)),  # around it
            (APRIL_6, APRIL_10),  # the same dates again
        ],
    )
    def test_refuses_leave_overlapping_another_naming_it(self, record, start, end):
        record(APRIL_6, APRIL_10)

        error = refusal(record, start=start, end=end)

        assert (error.message, error.field) == (
            "Anna Schmidt is already on leave 2026-04-06 – 2026-04-10, which overlaps these dates",
            "start_date",
        )
        assert TrainerLeave.objects.count() == 1

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (dt.date(2026, 4, 1), dt.date(2026, 4, 5)),  # ends the day before
            (dt.date(2026, 4, 11), dt.date(2026, 4, 20)),  # starts the day after
        ],
    )
    def test_adjacent_leave_is_allowed(self, record, start, end):
        record(APRIL_6, APRIL_10)

        record(start, end)

        assert TrainerLeave.objects.count() == 2

    def test_another_trainers_leave_does_not_overlap(self, record, admin):
        record(APRIL_6, APRIL_10)

        leave_record(
            trainer=InstructorFactory(),
            start_date=APRIL_6,
            end_date=APRIL_10,
            created_by=admin,
        )

        assert TrainerLeave.objects.count() == 2

    def test_creates_the_trainer_profile_it_locks(self, record, anna):
        record(APRIL_6, APRIL_10)

        assert anna.trainer_profile.status == TrainerStatus.ACTIVE


# --- trainer_status_on ----------------------------------------------------------------------


class TestTrainerStatusOn:
    @pytest.mark.parametrize("day", [APRIL_6, dt.date(2026, 4, 8), APRIL_10])
    def test_on_leave_on_every_day_the_leave_covers(self, anna, day):
        TrainerLeaveFactory(trainer=anna, start_date=APRIL_6, end_date=APRIL_10)

        assert trainer_status_on(anna, day) == TrainerStatus.ON_LEAVE

    @pytest.mark.parametrize("day", [dt.date(2026, 4, 5), dt.date(2026, 4, 11)])
    def test_the_profile_status_outside_the_leave(self, anna, day):
        TrainerLeaveFactory(trainer=anna, start_date=APRIL_6, end_date=APRIL_10)

        assert trainer_status_on(anna, day) == TrainerStatus.ACTIVE

    def test_without_a_profile_a_trainer_reads_active(self, anna):
        assert trainer_status_on(anna, APRIL_6) == TrainerStatus.ACTIVE

    def test_an_inactive_profile_reads_inactive_outside_leave(self, anna):
        profile = trainer_profile_for(anna)
        profile.status = TrainerStatus.INACTIVE
        profile.save()

        assert trainer_status_on(anna, APRIL_6) == TrainerStatus.INACTIVE
        TrainerLeaveFactory(trainer=anna, start_date=APRIL_6, end_date=APRIL_6)
        assert trainer_status_on(anna, APRIL_6, profile) == TrainerStatus.ON_LEAVE

    def test_another_trainers_leave_does_not_count(self, anna):
        TrainerLeaveFactory(start_date=APRIL_6, end_date=APRIL_10)

        assert trainer_status_on(anna, APRIL_6) == TrainerStatus.ACTIVE


# --- availability -----------------------------------------------------------------------------


class TestAvailabilitySet:
    def test_replaces_the_windows(self, anna):
        availability_set(trainer=anna, windows=[Window(MONDAY, t("09:00"), t("12:00"))])

        availability_set(
            trainer=anna,
            windows=[
                Window(TUESDAY, t("14:00"), t("18:00")),
                Window(MONDAY, t("08:00"), t("10:00")),
            ],
        )

        assert list(
            AvailabilityWindow.objects.filter(trainer=anna).values_list(
                "day", "start_time", "end_time"
            )
        ) == [(MONDAY, t("08:00"), t("10:00")), (TUESDAY, t("14:00"), t("18:00"))]

    def test_an_empty_list_clears_them(self, anna):
        availability_set(trainer=anna, windows=[Window(MONDAY, t("09:00"), t("12:00"))])

        assert availability_set(trainer=anna, windows=[]) == []

        assert not AvailabilityWindow.objects.filter(trainer=anna).exists()

    def test_refuses_a_window_that_ends_before_it_starts_and_keeps_the_old_ones(self, anna):
        availability_set(trainer=anna, windows=[Window(MONDAY, t("09:00"), t("12:00"))])

        error = refusal(
            availability_set,
            trainer=anna,
            windows=[
                Window(TUESDAY, t("09:00"), t("10:00")),
                Window(MONDAY, t("12:00"), t("10:00")),
            ],
        )

        assert error.message == "An availability window must end after it starts"
        assert list(
            AvailabilityWindow.objects.filter(trainer=anna).values_list("day", "start_time")
        ) == [(MONDAY, t("09:00"))]

    def test_refuses_an_unknown_weekday(self, anna):
        error = refusal(availability_set, trainer=anna, windows=[Window(7, t("09:00"), t("10:00"))])

        assert (error.message, error.field) == ("Value 7 is not a valid choice.", "day")
        assert not AvailabilityWindow.objects.exists()

    def test_another_trainers_windows_are_left_alone(self, anna):
        ben = InstructorFactory()
        availability_set(trainer=ben, windows=[Window(MONDAY, t("09:00"), t("12:00"))])

        availability_set(trainer=anna, windows=[])

        assert AvailabilityWindow.objects.filter(trainer=ben).count() == 1
