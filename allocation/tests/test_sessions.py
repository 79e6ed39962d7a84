"""The calendar of a batch: dated sessions, time zones, holidays, one-session changes and
per-session cover, through the services.

Every batch here is made by ``batch_create``, so its sessions and bookings are what the
services store. Times are checked as absolute UTC instants and on the batch's wall clock.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.models import (
    BatchStatus,
    ClassSession,
    SessionKind,
    SessionStatus,
    TrainerBooking,
)
from allocation.selectors import (
    batch_sessions,
    session_teachers,
    sessions_lost_to_holidays,
    student_sessions,
    trainer_sessions,
    user_sessions,
)
from allocation.services import (
    batch_create,
    batch_sessions_regenerate,
    batch_staff_add,
    batch_update,
    holiday_create,
    holiday_delete,
    roster_add,
    session_add,
    session_cancel,
    session_cover_assign,
    session_move,
)
from allocation.tests.factories import CourseFactory
from core.errors import DomainError
from enrollments.services import enrollment_create
from notifications.models import Notification
from notifications.outbox import render
from tests.support import slot
from trainers.services import Window, availability_set, leave_record

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
BERLIN, NEW_YORK, KOLKATA = "Europe/Berlin", "America/New_York", "Asia/Kolkata"
UTC = dt.UTC


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def wall(moment: dt.datetime, zone_name: str) -> tuple[dt.date, dt.time]:
    local = moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    return local.date(), local.time()


def refusal(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        call(**kwargs)
    return excinfo.value


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.fixture
def course():
    return CourseFactory(code="GER-A1", title="German A1")


@pytest.fixture
def create(admin, course):
    def create(instructor, code, *slots, **kwargs):
        fields = {
            "course": course,
            "batch_name": code.title(),
            "batch_code": code,
            "start_date": dt.date(2026, 3, 2),
            "end_date": dt.date(2026, 5, 29),
            "capacity": 10,
            "created_by": admin,
            "assigned_instructor": instructor,
            "status": BatchStatus.ACTIVE,
            "schedule": list(slots),
        }
        fields.update(kwargs)
        return batch_create(**fields)

    return create


def held(batch):
    return list(ClassSession.objects.filter(batch=batch).held().order_by("start_at"))


# --- generation and DST -----------------------------------------------------------------


class TestGeneration:
    def test_a_berlin_class_stays_at_18_berlin_across_both_changes(self, create):
        """Sundays 18:00–19:30 Berlin from 22 March to 1 November 2026: the clocks go
        forward on 29 March and back on 25 October."""
        batch = create(
            InstructorFactory(),
            "BER",
            slot(SUNDAY, "18:00", "19:30"),
            time_zone=BERLIN,
            start_date=dt.date(2026, 3, 22),
            end_date=dt.date(2026, 11, 1),
        )

        sessions = held(batch)

        assert len(sessions) == 33  # every Sunday from 22 March to 1 November
        assert {wall(s.start_at, BERLIN)[1] for s in sessions} == {dt.time(18)}
        assert {wall(s.end_at, BERLIN)[1] for s in sessions} == {dt.time(19, 30)}
        by_day = {s.local_date: (s.start_at, s.end_at) for s in sessions}
        assert by_day[dt.date(2026, 3, 22)] == (utc(2026, 3, 22, 17), utc(2026, 3, 22, 18, 30))
        assert by_day[dt.date(2026, 3, 29)] == (utc(2026, 3, 29, 16), utc(2026, 3, 29, 17, 30))
        assert by_day[dt.date(2026, 10, 25)] == (utc(2026, 10, 25, 17), utc(2026, 10, 25, 18, 30))
        assert by_day[dt.date(2026, 11, 1)] == (utc(2026, 11, 1, 17), utc(2026, 11, 1, 18, 30))
        assert all(s.kind == SessionKind.REGULAR and not s.locked for s in sessions)

    def test_the_default_zone_is_the_platforms(self, create, settings):
        batch = create(InstructorFactory(), "DEF", slot(MONDAY, "10:00", "12:00"))

        assert batch.time_zone == settings.TIME_ZONE
        assert held(batch)[0].start_at == utc(2026, 3, 2, 10)

    def test_an_unknown_zone_is_refused_and_nothing_is_stored(self, create):
        error = refusal(
            create,
            instructor=InstructorFactory(),
            code="BAD",
            time_zone="Mars/Olympus_Mons",
        )

        assert (error.message, error.field) == (
            "Mars/Olympus_Mons is not a known time zone (use an IANA name such as Europe/Berlin)",
            "time_zone",
        )
        assert not ClassSession.objects.exists()

    def test_the_primary_is_booked_for_every_session(self, create):
        anna = InstructorFactory()
        batch = create(
            anna, "BOOK", slot(MONDAY, "10:00", "12:00"), slot(THURSDAY, "08:00", "09:00")
        )

        bookings = TrainerBooking.objects.filter(batch=batch)
        assert bookings.count() == len(held(batch)) == 26
        assert set(bookings.values_list("trainer_id", "role")) == {(anna.pk, "primary")}


# --- conflicts across zones --------------------------------------------------------------


class TestConflictsInRealTime:
    def test_a_kolkata_trainer_teaching_new_york_and_berlin_clashes_only_in_real_time(self, create):
        """New York Monday 09:00 is 13:00 UTC (EDT, from 8 March); Berlin Monday 15:00 is
        13:00 UTC too once Berlin is on summer time (29 March), 14:00 before."""
        ravi = InstructorFactory(full_name="Ravi Rao", time_zone=KOLKATA)
        create(
            ravi,
            "NYC",
            slot(MONDAY, "09:00", "10:00"),
            time_zone=NEW_YORK,
            start_date=dt.date(2026, 3, 9),
            end_date=dt.date(2026, 3, 30),
        )

        # Before Berlin's change the classes are an hour apart: no clash.
        create(
            ravi,
            "BER-MARCH",
            slot(MONDAY, "15:00", "16:00"),
            time_zone=BERLIN,
            start_date=dt.date(2026, 3, 9),
            end_date=dt.date(2026, 3, 23),
        )
        # The Monday after it, the same wall times meet.
        error = refusal(
            create,
            instructor=ravi,
            code="BER-APRIL",
            schedule=[slot(MONDAY, "15:00", "16:00")],
            time_zone=BERLIN,
            start_date=dt.date(2026, 3, 24),
            end_date=dt.date(2026, 4, 6),
        )

        assert error.message == (
            "Schedule conflict: Ravi Rao already teaches NYC (Nyc) on Monday 2026-03-30 "
            "09:00–10:00 (America/New_York), which overlaps Monday 2026-03-30 15:00–16:00 "
            "(Europe/Berlin)"
        )
        assert error.code == "conflict"

    def test_the_same_wall_time_in_two_zones_does_not_clash(self, create):
        ravi = InstructorFactory()
        create(ravi, "KOL", slot(MONDAY, "18:00", "19:00"), time_zone=KOLKATA)
        # 18:00 in Berlin is 12:30 later than 18:00 in Kolkata in winter.
        create(ravi, "BER", slot(MONDAY, "18:00", "19:00"), time_zone=BERLIN)

        assert TrainerBooking.objects.filter(trainer=ravi).count() == 26


# --- holidays ----------------------------------------------------------------------------


class TestHolidays:
    def test_no_session_is_generated_on_a_holiday_made_before(self, create, admin, course):
        holiday_create(
            name="Easter",
            start_date=dt.date(2026, 4, 3),
            end_date=dt.date(2026, 4, 6),
            created_by=admin,
        )
        batch = create(InstructorFactory(), "EAST", slot(MONDAY, "10:00", "12:00"))

        days = [s.local_date for s in ClassSession.objects.filter(batch=batch)]
        assert dt.date(2026, 4, 6) not in days
        assert len(days) == 12

    def test_a_holiday_added_later_cancels_and_notifies(self, create, admin, course):
        anna = InstructorFactory(full_name="Anna")
        batch = create(
            anna, "LATE", slot(MONDAY, "10:00", "12:00"), slot(TUESDAY, "10:00", "11:00")
        )
        student = StudentFactory(time_zone=KOLKATA)
        enrollment_create(student=student, course=course, batch=batch)
        other = create(
            InstructorFactory(), "ELSE", slot(MONDAY, "10:00", "12:00"), course=CourseFactory()
        )

        result = holiday_create(
            name="Easter Monday",
            start_date=dt.date(2026, 4, 6),
            end_date=dt.date(2026, 4, 6),
            created_by=admin,
            course=course,
        )

        [cancelled] = result.cancelled
        assert (cancelled.batch, cancelled.local_date) == (batch, dt.date(2026, 4, 6))
        cancelled.refresh_from_db()
        assert (cancelled.status, cancelled.reason, cancelled.holiday, cancelled.locked) == (
            SessionStatus.CANCELLED,
            "Easter Monday",
            result.holiday,
            True,
        )
        assert not TrainerBooking.objects.filter(session=cancelled).exists()
        # The other course's batch keeps its Monday.
        assert ClassSession.objects.get(batch=other, local_date=dt.date(2026, 4, 6)).is_held
        assert sessions_lost_to_holidays() == {batch.pk: 1}
        # Rendered as the outbox worker renders them, in each recipient's zone.
        notes = {
            n.recipient_id: render(n)
            for n in Notification.objects.filter(event="holiday_cancelled")
        }
        assert set(notes) == {anna.pk, student.pk}
        # The student reads the time on their own clock: 10:00 UTC is 15:30 in Kolkata.
        assert "Monday 2026-04-06 15:30–17:30 (Asia/Kolkata)" in notes[student.pk].body

    def test_regeneration_keeps_the_cancelled_session_and_makes_none_on_the_holiday(
        self, create, admin
    ):
        batch = create(InstructorFactory(), "KEEP", slot(MONDAY, "10:00", "12:00"))
        holiday_create(
            name="Closed", start_date=dt.date(2026, 4, 6), end_date=dt.date(2026, 4, 6),
            created_by=admin, batch=batch,
        )  # fmt: skip

        result = batch_sessions_regenerate(batch=batch)

        assert (result.created, result.deleted, result.kept) == (0, 0, [])
        session = ClassSession.objects.get(batch=batch, local_date=dt.date(2026, 4, 6))
        assert session.status == SessionStatus.CANCELLED

    def test_a_make_up_session_for_what_was_lost(self, create, admin):
        batch = create(InstructorFactory(), "MAKEUP", slot(MONDAY, "10:00", "12:00"))
        holiday_create(
            name="Closed", start_date=dt.date(2026, 4, 6), end_date=dt.date(2026, 4, 6),
            created_by=admin,
        )  # fmt: skip

        change = session_add(
            batch=batch,
            start_at=utc(2026, 4, 8, 10),
            end_at=utc(2026, 4, 8, 12),
            added_by=admin,
            reason="Make-up for Easter Monday",
        )

        assert change.session.kind == SessionKind.EXTRA
        assert change.session.bookings.count() == 1
        assert len(held(batch)) == 13

    def test_deleting_a_holiday_leaves_its_cancellations(self, create, admin):
        batch = create(InstructorFactory(), "DEL", slot(MONDAY, "10:00", "12:00"))
        result = holiday_create(
            name="Closed", start_date=dt.date(2026, 4, 6), end_date=dt.date(2026, 4, 6),
            created_by=admin,
        )  # fmt: skip

        holiday_delete(holiday=result.holiday, deleted_by=admin)

        assert ClassSession.objects.get(batch=batch, local_date=dt.date(2026, 4, 6)).status == (
            SessionStatus.CANCELLED
        )

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"name": " "}, "A holiday needs a name"),
            (
                {"start_date": dt.date(2026, 4, 7), "end_date": dt.date(2026, 4, 6)},
                "The holiday must end on or after its first day",
            ),
        ],
    )
    def test_refusals(self, admin, fields, message):
        values = {
            "name": "Closed",
            "start_date": dt.date(2026, 4, 6),
            "end_date": dt.date(2026, 4, 6),
            "created_by": admin,
            **fields,
        }

        assert refusal(holiday_create, **values).message == message

    def test_a_closure_for_a_course_and_a_batch_is_refused(self, create, admin, course):
        batch = create(InstructorFactory(), "BOTH", slot(MONDAY, "10:00", "12:00"))

        error = refusal(
            holiday_create, name="X", start_date=dt.date(2026, 4, 6),
            end_date=dt.date(2026, 4, 6), created_by=admin, course=course, batch=batch,
        )  # fmt: skip

        assert error.message == "A closure is for a course or for a batch, not both"


# --- cancel, move, add -------------------------------------------------------------------


@pytest.fixture
def anna():
    return InstructorFactory(full_name="Anna Schmidt")


@pytest.fixture
def monday(create, anna):
    return create(anna, "MON", slot(MONDAY, "10:00", "12:00"), batch_name="Monday mornings")


def first_session(batch) -> ClassSession:
    return ClassSession.objects.filter(batch=batch).order_by("start_at").first()


class TestCancel:
    def test_cancels_frees_the_booking_and_notifies(self, monday, admin, anna, course):
        student = StudentFactory()
        enrollment_create(student=student, course=course, batch=monday)
        session = first_session(monday)

        change = session_cancel(session=session, reason="Snow", cancelled_by=admin)

        session.refresh_from_db()
        assert (session.status, session.reason, session.locked) == ("cancelled", "Snow", True)
        assert not session.bookings.exists()
        assert change.warnings == []
        assert set(
            Notification.objects.filter(event="session_cancelled").values_list(
                "recipient_id", flat=True
            )
        ) == {anna.pk, student.pk}

    def test_refuses_no_reason_and_a_second_cancel(self, monday, admin):
        session = first_session(monday)

        assert refusal(session_cancel, session=session, reason=" ", cancelled_by=admin).field == (
            "reason"
        )
        session_cancel(session=session, reason="Snow", cancelled_by=admin)
        assert refusal(
            session_cancel, session=session, reason="Again", cancelled_by=admin
        ).message == ("This session is already cancelled")


class TestMove:
    def test_moves_keeps_the_original_and_rebooks(self, monday, admin, anna):
        session = first_session(monday)

        change = session_move(
            session=session, start_at=utc(2026, 3, 3, 14), end_at=utc(2026, 3, 3, 16),
            moved_by=admin, reason="Room taken",
        )  # fmt: skip

        session.refresh_from_db()
        assert (session.status, session.start_at, session.original_start_at) == (
            SessionStatus.MOVED,
            utc(2026, 3, 3, 14),
            utc(2026, 3, 2, 10),
        )
        assert list(session.bookings.values_list("trainer_id", "start_at")) == [
            (anna.pk, utc(2026, 3, 3, 14))
        ]
        assert change.warnings == []
        # Moved again, the first original time stays.
        session_move(
            session=session, start_at=utc(2026, 3, 4, 14), end_at=utc(2026, 3, 4, 16),
            moved_by=admin,
        )  # fmt: skip
        session.refresh_from_db()
        assert session.original_start_at == utc(2026, 3, 2, 10)

    def test_a_move_onto_another_batch_of_the_trainer_is_refused(self, monday, create, admin, anna):
        create(anna, "TUE", slot(TUESDAY, "14:00", "16:00"), batch_name="Tuesday afternoons")
        session = first_session(monday)

        error = refusal(
            session_move, session=session, start_at=utc(2026, 3, 3, 15),
            end_at=utc(2026, 3, 3, 17), moved_by=admin,
        )  # fmt: skip

        assert error.message == (
            "Schedule conflict: Anna Schmidt already teaches TUE (Tuesday afternoons) on "
            "Tuesday 2026-03-03 14:00–16:00 (UTC), which overlaps Tuesday 2026-03-03 "
            "15:00–17:00 (UTC)"
        )
        session.refresh_from_db()
        assert session.start_at == utc(2026, 3, 2, 10)

    def test_a_move_into_the_trainers_leave_is_refused(self, monday, admin, anna):
        leave_record(
            trainer=anna, start_date=dt.date(2026, 3, 3), end_date=dt.date(2026, 3, 3),
            created_by=admin,
        )  # fmt: skip

        error = refusal(
            session_move, session=first_session(monday), start_at=utc(2026, 3, 3, 10),
            end_at=utc(2026, 3, 3, 12), moved_by=admin,
        )  # fmt: skip

        assert error.code == "on_leave"

    def test_a_move_outside_the_trainers_availability_is_refused(self, monday, admin, anna):
        availability_set(trainer=anna, windows=[Window(MONDAY, dt.time(8), dt.time(18))])

        error = refusal(
            session_move, session=first_session(monday), start_at=utc(2026, 3, 3, 10),
            end_at=utc(2026, 3, 3, 12), moved_by=admin,
        )  # fmt: skip

        assert error.message == (
            "Anna Schmidt is not available on Tuesday 10:00–12:00 (outside their declared "
            "availability)"
        )

    @pytest.mark.parametrize(
        ("start", "end", "message"),
        [
            (utc(2026, 3, 3, 12), utc(2026, 3, 3, 10), "A session must end after it starts"),
            (utc(2026, 3, 3, 0), utc(2026, 3, 4, 2), "A session lasts at most 25 hours"),
            (
                dt.datetime(2026, 3, 3, 10),
                dt.datetime(2026, 3, 3, 12),
                "Give the start and end with their time zone or UTC offset",
            ),
        ],
    )
    def test_bad_times_are_refused(self, monday, admin, start, end, message):
        error = refusal(
            session_move, session=first_session(monday), start_at=start, end_at=end, moved_by=admin
        )

        assert error.message == message

    def test_a_cancelled_session_cannot_move(self, monday, admin):
        session = first_session(monday)
        session_cancel(session=session, reason="Snow", cancelled_by=admin)

        error = refusal(
            session_move, session=session, start_at=utc(2026, 3, 3, 10),
            end_at=utc(2026, 3, 3, 12), moved_by=admin,
        )  # fmt: skip

        assert error.message == "A cancelled session cannot be moved; add a make-up session instead"

    def test_a_student_clash_is_a_warning_not_a_refusal(self, monday, create, admin, course):
        other = create(InstructorFactory(), "TUE", slot(TUESDAY, "10:00", "12:00"))
        student = StudentFactory(full_name="Stella Student")
        enrollment_create(student=student, course=course, batch=monday)
        other_course = CourseFactory()
        other.course = other_course  # a second course, so both enrollments may be active
        other.save(update_fields=["course"])
        enrollment_create(student=student, course=other_course, batch=other)

        change = session_move(
            session=first_session(monday), start_at=utc(2026, 3, 3, 11),
            end_at=utc(2026, 3, 3, 13), moved_by=admin,
        )  # fmt: skip

        assert change.warnings == [
            "Stella Student also has TUE on Tuesday 2026-03-03 10:00–12:00 (UTC) at the same time"
        ]
        assert change.session.status == SessionStatus.MOVED

    def test_the_move_notice_names_the_new_time_in_each_recipients_zone(
        self, monday, admin, anna, course
    ):
        anna.time_zone = BERLIN
        anna.save()
        student = StudentFactory(time_zone=NEW_YORK)
        enrollment_create(student=student, course=course, batch=monday)

        session_move(
            session=first_session(monday), start_at=utc(2026, 3, 10, 15),
            end_at=utc(2026, 3, 10, 17), moved_by=admin,
        )  # fmt: skip

        notes = {
            n.recipient_id: render(n).body
            for n in Notification.objects.filter(event="session_moved")
        }
        assert "moves to Tuesday 2026-03-10 16:00–18:00 (Europe/Berlin)" in notes[anna.pk]
        assert "moves to Tuesday 2026-03-10 11:00–13:00 (America/New_York)" in notes[student.pk]


class TestAdd:
    def test_an_extra_session_clashing_with_the_trainer_is_refused(self, monday, admin):
        error = refusal(
            session_add, batch=monday, start_at=utc(2026, 3, 9, 11), end_at=utc(2026, 3, 9, 13),
            added_by=admin,
        )  # fmt: skip

        assert error.message.startswith("Schedule conflict: Anna Schmidt already teaches MON")

    def test_a_closed_batch_takes_no_session(self, monday, admin):
        batch_update(batch=monday, status=BatchStatus.CANCELLED)

        error = refusal(
            session_add, batch=monday, start_at=utc(2026, 3, 3, 10), end_at=utc(2026, 3, 3, 12),
            added_by=admin,
        )  # fmt: skip

        assert error.message == "Batch MON is Cancelled; its sessions no longer change"
        assert not TrainerBooking.objects.filter(batch=monday).exists()

    def test_an_assistant_is_booked_and_checked_too(self, monday, create, admin, course):
        asa = InstructorFactory(full_name="Asa Assistant")
        roster_add(course=course, trainer=asa)
        batch_staff_add(batch=monday, trainer=asa, role="assistant", added_by=admin)
        create(asa, "ASA", slot(WEDNESDAY, "10:00", "12:00"))

        error = refusal(
            session_add, batch=monday, start_at=utc(2026, 3, 4, 11), end_at=utc(2026, 3, 4, 12),
            added_by=admin,
        )  # fmt: skip

        assert error.message.startswith("Schedule conflict: Asa Assistant already teaches ASA")
        roles = {t.role for t in session_teachers(batch_sessions(monday).first())}
        assert roles == {"primary", "assistant"}


# --- regeneration ------------------------------------------------------------------------


class TestRegeneration:
    def test_new_slots_replace_plain_sessions_and_keep_edited_ones(self, monday, admin):
        sessions = list(ClassSession.objects.filter(batch=monday).order_by("start_at"))
        session_cancel(session=sessions[0], reason="Snow", cancelled_by=admin)
        moved = session_move(
            session=sessions[1], start_at=utc(2026, 3, 10, 14), end_at=utc(2026, 3, 10, 16),
            moved_by=admin,
        ).session  # fmt: skip

        batch_update(batch=monday, schedule=[slot(THURSDAY, "09:00", "10:00")])

        left = ClassSession.objects.filter(batch=monday)
        # 13 Thursdays, plus the two sessions edited by hand, kept as they are.
        assert left.count() == 15
        assert left.get(pk=sessions[0].pk).status == SessionStatus.CANCELLED
        assert left.get(pk=moved.pk).start_at == utc(2026, 3, 10, 14)
        assert not left.filter(slot_start=dt.time(10), locked=False).exists()

    def test_the_result_lists_held_sessions_kept_for_an_admin(self, monday, admin):
        moved = session_move(
            session=first_session(monday), start_at=utc(2026, 3, 3, 14),
            end_at=utc(2026, 3, 3, 16), moved_by=admin,
        ).session  # fmt: skip
        ClassSession.objects.filter(batch=monday).exclude(pk=moved.pk).delete()
        monday.schedule.all().delete()

        result = batch_sessions_regenerate(batch=monday)

        assert result.kept == [moved]
        assert result.created == 0

    def test_a_time_zone_change_moves_plain_sessions(self, monday):
        batch_update(batch=monday, time_zone=BERLIN)

        sessions = held(monday)
        assert {wall(s.start_at, BERLIN)[1] for s in sessions} == {dt.time(10)}
        assert sessions[0].start_at == utc(2026, 3, 2, 9)  # CET
        assert sessions[-1].start_at == utc(2026, 5, 25, 8)  # CEST
        assert TrainerBooking.objects.filter(batch=monday, start_at=utc(2026, 5, 25, 8)).exists()

    def test_shorter_dates_drop_sessions(self, monday):
        batch_update(batch=monday, end_date=dt.date(2026, 3, 31))

        assert len(held(monday)) == 5


# --- per-session cover -------------------------------------------------------------------


class TestSessionCover:
    def test_covers_chosen_sessions_only(self, monday, admin, anna, course):
        sue = InstructorFactory(full_name="Sue Sub")
        roster_add(course=course, trainer=sue, role="substitute")
        sessions = list(ClassSession.objects.filter(batch=monday).order_by("start_at"))

        cover = session_cover_assign(
            sessions=[sessions[1], sessions[3]], absent_trainer=anna, substitute=sue,
            assigned_by=admin,
        )  # fmt: skip

        assert [c.session for c in cover.sessions.order_by("session__start_at")] == [
            sessions[1],
            sessions[3],
        ]
        covered = TrainerBooking.objects.filter(session__in=[sessions[1], sessions[3]])
        assert set(covered.values_list("session_id", "trainer_id")) == {
            (sessions[1].pk, sue.pk),
            (sessions[3].pk, sue.pk),
        }
        assert sessions[0].bookings.get().trainer == anna
        assert [s.pk for s in trainer_sessions(sue)] == [sessions[1].pk, sessions[3].pk]

    def test_a_session_of_another_batch_and_no_session_are_refused(
        self, monday, create, admin, anna, course
    ):
        sue = InstructorFactory()
        roster_add(course=course, trainer=sue, role="substitute")
        other = create(InstructorFactory(), "OTHER", slot(FRIDAY, "10:00", "12:00"))

        mixed = [first_session(monday), first_session(other)]
        assert refusal(
            session_cover_assign, sessions=mixed, absent_trainer=anna, substitute=sue,
            assigned_by=admin,
        ).message == "The sessions to cover must be of one batch"  # fmt: skip
        assert refusal(
            session_cover_assign, sessions=[], absent_trainer=anna, substitute=sue,
            assigned_by=admin,
        ).message == "Choose the sessions to cover"  # fmt: skip


# --- reads -------------------------------------------------------------------------------


class TestSelectors:
    def test_user_sessions_teaching_and_learning_in_a_window(self, monday, create, course):
        student = StudentFactory()
        enrollment_create(student=student, course=course, batch=monday)
        window = {"start": utc(2026, 3, 1), "end": utc(2026, 3, 15)}

        assert len(user_sessions(student, **window)) == 2
        assert len(student_sessions(student, **window)) == 2
        assert len(user_sessions(monday.assigned_instructor, **window)) == 2

    def test_a_batchs_sessions_in_constant_queries(self, monday, django_assert_num_queries):
        with django_assert_num_queries(2):  # sessions joined, their bookings with trainers
            sessions = list(batch_sessions(monday))
            teachers = [session_teachers(s) for s in sessions]
        assert len(teachers) == 13


# --- the check's cost --------------------------------------------------------------------


class TestCheckQueryCount:
    # trainer profiles, open batches taught (counted), availability windows, leaves, roster
    # entries, holidays (generating the 40 proposed sessions), overlapping bookings
    @pytest.mark.parametrize("n", [1, 4])
    def test_a_trainer_for_a_batch_of_40_sessions_in_seven_queries_at_any_size(
        self, create, course, django_assert_num_queries, n
    ):
        from allocation.eligibility import teaching_context, teaching_refusal
        from allocation.models import Batch

        anna = InstructorFactory()
        for i in range(n):  # more data: Anna's own batches and other trainers' batches
            create(anna, f"A{i}", slot(i, "08:00", "09:00"))
            create(InstructorFactory(), f"O{i}", slot(i, "10:00", "11:00"))
        proposed = Batch(
            course=course,
            start_date=dt.date(2026, 3, 2),
            end_date=dt.date(2026, 7, 19),  # 20 weeks
            status=BatchStatus.UPCOMING,
        )
        slots = [slot(MONDAY, "08:30", "09:30"), slot(THURSDAY, "18:00", "19:00")]

        with django_assert_num_queries(7):
            context = teaching_context(proposed, [anna.pk], slots=slots)
            refusal = teaching_refusal(context, anna, newly_teaching=True)

        assert len(context.sessions) == 40
        # Monday 08:30 meets A0's Monday 08:00–09:00 (with 4 batches she is at her cap first)
        assert refusal.code == ("conflict" if n < 4 else "at_cap")
        assert context.conflicts[anna.pk][0].batch_code == "A0"


def test_the_kept_sessions_warning_names_five_and_counts_the_rest():
    from types import SimpleNamespace

    from allocation.feedback import kept_sessions_warning

    kept = [SimpleNamespace(start_at=utc(2026, 3, 2 + day, 9)) for day in range(7)]
    batch = SimpleNamespace(time_zone=BERLIN, sessions_kept=kept)

    assert kept_sessions_warning(batch) == (
        "7 sessions edited by hand no longer match the weekly slots and dates and were kept as "
        "they are: Mon 2026-03-02 10:00, Tue 2026-03-03 10:00, Wed 2026-03-04 10:00, "
        "Thu 2026-03-05 10:00, Fri 2026-03-06 10:00 and 2 more (Europe/Berlin). Cancel or move "
        "them on the batch's calendar if they should not take place."
    )
    assert kept_sessions_warning(SimpleNamespace(time_zone=BERLIN, sessions_kept=[])) is None
