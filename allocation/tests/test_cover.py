"""Leave and substitute cover: the sessions a leave hits, who could cover them, and the rules
``substitute_assign`` applies, each with its refusal message.

The batch under cover is GER-A1-MON, taught by Anna on Mondays and Wednesdays 10:00–12:00
over the spring term; the cover asked for is the week of Monday 6 April 2026. A substitute
must be an active member of the course's roster and free at those times on those dates:
their own teaching and their other covers count, as do leave, cap, status and availability.
"""

import datetime as dt

import pytest

from accounts.tests.factories import InstructorFactory, StudentFactory
from allocation.models import BatchStatus, RosterRole, RosterStatus, StaffRole, SubstituteCover
from allocation.selectors import leave_affected_sessions, substitute_candidates
from allocation.services import (
    MSG_NOT_INSTRUCTOR,
    batch_assign_instructor,
    batch_create,
    batch_staff_add,
    batch_staff_remove,
    batch_update,
    bookings_sync,
    roster_add,
    substitute_assign,
)
from allocation.tests.factories import (
    CourseFactory,
    ScheduleSlotFactory,
    StaffedBatchFactory,
    SubstituteCoverFactory,
)
from core import dates
from core.errors import DomainError
from tests.support import slot
from trainers.models import TrainerStatus
from trainers.services import Window, availability_set, leave_record, trainer_profile_for

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = range(5)
TERM_START, TERM_END = dt.date(2026, 3, 2), dt.date(2026, 5, 29)
WEEK_START, WEEK_END = dt.date(2026, 4, 6), dt.date(2026, 4, 10)  # Monday to Friday


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def d(day: int) -> dt.date:
    """A day of April 2026."""
    return dt.date(2026, 4, day)


def refusal(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        call(**kwargs)
    return excinfo.value


def set_trainer(user, **fields):
    profile = trainer_profile_for(user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    return profile


@pytest.fixture
def elsewhere():
    """Another course, so batches made there do not put their trainers on GER-A1's roster."""
    return CourseFactory(code="ENG-B2", title="English B2")


@pytest.fixture
def anna():
    return InstructorFactory(full_name="Anna Schmidt")


@pytest.fixture
def sue(course):
    sue = InstructorFactory(full_name="Sue Sub")
    roster_add(course=course, trainer=sue, role=RosterRole.SUBSTITUTE)
    return sue


@pytest.fixture
def create(admin, course):
    """batch_create with valid defaults: Active, the spring term, on GER-A1."""

    def create(instructor, code, *slots, **kwargs):
        fields = {
            "course": course,
            "batch_name": code.title(),
            "batch_code": code,
            "start_date": TERM_START,
            "end_date": TERM_END,
            "capacity": 12,
            "created_by": admin,
            "assigned_instructor": instructor,
            "status": BatchStatus.ACTIVE,
            "schedule": list(slots),
        }
        fields.update(kwargs)
        return batch_create(**fields)

    return create


@pytest.fixture
def monday_batch(create, anna):
    """Anna teaches GER-A1-MON on Mondays and Wednesdays 10:00–12:00."""
    return create(
        anna,
        "GER-A1-MON",
        slot(MONDAY, "10:00", "12:00"),
        slot(WEDNESDAY, "10:00", "12:00"),
        batch_name="Monday mornings",
    )


@pytest.fixture
def cover(monday_batch, anna, admin):
    """substitute_assign for Anna on GER-A1-MON over the week of 6 April, by default."""

    def cover(substitute, **kwargs):
        fields = {
            "batch": monday_batch,
            "absent_trainer": anna,
            "substitute": substitute,
            "start_date": WEEK_START,
            "end_date": WEEK_END,
            "assigned_by": admin,
        }
        fields.update(kwargs)
        return substitute_assign(**fields)

    return cover


# --- substitute_assign: what it records -----------------------------------------------------


class TestSubstituteAssign:
    def test_records_the_cover(self, cover, monday_batch, anna, sue, admin):
        made = cover(sue)

        made.refresh_from_db()
        assert (made.batch, made.absent_trainer, made.substitute, made.assigned_by) == (
            monday_batch,
            anna,
            sue,
            admin,
        )
        assert (made.start_date, made.end_date) == (WEEK_START, WEEK_END)

    def test_one_day_at_either_end_of_the_batch(self, cover, sue):
        cover(sue, start_date=TERM_START, end_date=TERM_START)  # its first Monday
        cover(sue, start_date=dt.date(2026, 5, 27), end_date=TERM_END)  # its last Wednesday

        assert SubstituteCover.objects.count() == 2

    def test_an_assistant_can_be_covered(self, course, cover, monday_batch, sue, admin):
        assistant = InstructorFactory(full_name="Asa Assistant")
        roster_add(course=course, trainer=assistant)
        batch_staff_add(
            batch=monday_batch, trainer=assistant, role=StaffRole.ASSISTANT, added_by=admin
        )

        made = cover(sue, absent_trainer=assistant)

        assert made.absent_trainer == assistant

    @pytest.mark.parametrize("role", [RosterRole.ASSISTANT, RosterRole.LEAD])
    def test_any_active_roster_member_may_cover(self, course, cover, role):
        helper = InstructorFactory()
        roster_add(course=course, trainer=helper, role=role)

        assert cover(helper).substitute == helper

    def test_the_substitute_may_be_on_leave_today_if_free_on_the_dates(self, cover, sue):
        today = dates.today()
        leave_record(trainer=sue, start_date=today, end_date=today, created_by=None)

        assert cover(sue).substitute == sue

    def test_leave_outside_the_dates_does_not_matter(self, cover, sue):
        leave_record(trainer=sue, start_date=d(11), end_date=d(20), created_by=None)

        assert cover(sue).substitute == sue

    def test_teaching_on_other_dates_does_not_clash(self, cover, sue, create, elsewhere):
        create(
            sue,
            "ENG-B2-LATE",
            slot(MONDAY, "10:00", "12:00"),
            course=elsewhere,
            start_date=d(13),
        )

        assert cover(sue).substitute == sue

    def test_other_covers_on_other_dates_do_not_clash(self, cover, sue, elsewhere):
        other = StaffedBatchFactory(
            course=elsewhere, start_date=TERM_START, end_date=TERM_END, batch_code="ENG-B2-X"
        )
        ScheduleSlotFactory(batch=other, day=MONDAY, start_time=t("10:00"), end_time=t("12:00"))
        SubstituteCoverFactory(batch=other, substitute=sue, start_date=d(13), end_date=d(17))

        assert cover(sue).substitute == sue

    def test_a_completed_batch_elsewhere_does_not_clash(self, cover, sue, create, elsewhere):
        other = create(sue, "ENG-B2-OLD", slot(MONDAY, "10:00", "12:00"), course=elsewhere)
        batch_update(batch=other, status=BatchStatus.COMPLETED)  # frees Sue's bookings

        assert cover(sue).substitute == sue

    def test_another_absence_on_the_same_dates_is_covered_separately(
        self, course, cover, monday_batch, sue, admin
    ):
        assistant = InstructorFactory()
        roster_add(course=course, trainer=assistant)
        batch_staff_add(
            batch=monday_batch, trainer=assistant, role=StaffRole.ASSISTANT, added_by=admin
        )
        other_sub = InstructorFactory()
        roster_add(course=course, trainer=other_sub, role=RosterRole.SUBSTITUTE)
        cover(sue)

        cover(other_sub, absent_trainer=assistant)

        assert SubstituteCover.objects.count() == 2

    def test_the_next_days_absence_is_a_new_cover(self, course, cover, sue):
        cover(sue)
        ben = InstructorFactory()
        roster_add(course=course, trainer=ben, role=RosterRole.SUBSTITUTE)

        cover(ben, start_date=d(11), end_date=d(17))

        assert SubstituteCover.objects.count() == 2


# --- substitute_assign: what it refuses -----------------------------------------------------


class TestSubstituteAssignRefuses:
    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (dt.date(2026, 3, 1), WEEK_END),  # starts the day before the batch
            (WEEK_START, dt.date(2026, 5, 30)),  # ends the day after it
            (dt.date(2026, 6, 1), dt.date(2026, 6, 5)),  # wholly after it
        ],
    )
    def test_dates_outside_the_batch(self, cover, sue, start, end):
        error = refusal(cover, substitute=sue, start_date=start, end_date=end)

        assert (error.message, error.field) == (
            "GER-A1-MON runs 2026-03-02 – 2026-05-29; the cover must fall inside those dates",
            "start_date",
        )
        assert not SubstituteCover.objects.exists()

    def test_reversed_dates(self, cover, sue):
        error = refusal(cover, substitute=sue, start_date=WEEK_END, end_date=WEEK_START)

        assert (error.message, error.field) == (
            "The cover must end on or after its first day",
            "end_date",
        )

    def test_self_cover(self, cover, anna):
        error = refusal(cover, substitute=anna)

        assert (error.message, error.field) == (
            "A trainer cannot cover for themselves",
            "substitute",
        )

    def test_an_absent_trainer_who_does_not_teach_the_batch(self, course, cover, sue):
        ben = InstructorFactory(full_name="Ben Okafor")
        roster_add(course=course, trainer=ben)

        error = refusal(cover, substitute=sue, absent_trainer=ben)

        assert (error.message, error.field) == (
            "Ben Okafor does not teach GER-A1-MON",
            "absent_trainer",
        )

    @pytest.mark.parametrize("history", ["backup", "former assistant"])
    def test_a_backup_or_former_assistant_is_not_teaching(
        self, course, cover, monday_batch, sue, admin, history
    ):
        ben = InstructorFactory(full_name="Ben Okafor")
        roster_add(course=course, trainer=ben)
        role = StaffRole.BACKUP if history == "backup" else StaffRole.ASSISTANT
        batch_staff_add(batch=monday_batch, trainer=ben, role=role, added_by=admin)
        if history == "former assistant":
            batch_staff_remove(batch=monday_batch, trainer=ben, removed_by=admin)

        error = refusal(cover, substitute=sue, absent_trainer=ben)

        assert error.message == "Ben Okafor does not teach GER-A1-MON"

    def test_a_former_primary_is_not_teaching(self, cover, monday_batch, anna, sue, admin):
        batch_assign_instructor(batch=monday_batch, instructor=sue, assigned_by=admin)
        other_sub = InstructorFactory()
        roster_add(course=monday_batch.course, trainer=other_sub)

        error = refusal(cover, substitute=other_sub, absent_trainer=anna)

        assert error.message == "Anna Schmidt does not teach GER-A1-MON"

    def test_a_substitute_not_on_the_roster(self, cover, elsewhere):
        outsider = InstructorFactory(full_name="Otto Outsider")
        roster_add(course=elsewhere, trainer=outsider, role=RosterRole.SUBSTITUTE)

        error = refusal(cover, substitute=outsider)

        assert (error.message, error.field) == (
            "Otto Outsider is not on the roster of GER-A1; add them to the course first",
            "trainer",
        )

    @pytest.mark.parametrize(
        ("status", "label"),
        [(RosterStatus.INACTIVE, "inactive"), (RosterStatus.ON_LEAVE, "on leave")],
    )
    def test_a_roster_entry_that_is_not_active(self, course, cover, status, label):
        sub = InstructorFactory(full_name="Ina Inactive")
        roster_add(course=course, trainer=sub, role=RosterRole.SUBSTITUTE, status=status)

        error = refusal(cover, substitute=sub)

        assert (error.message, error.field) == (
            f"Ina Inactive is {label} on the roster of GER-A1",
            "trainer",
        )

    def test_a_non_instructor(self, cover):
        error = refusal(cover, substitute=StudentFactory())

        assert error.message == MSG_NOT_INSTRUCTOR

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (d(10), d(20)),  # the last day of the cover
            (d(1), d(6)),  # the first day
            (d(7), d(8)),  # inside
        ],
    )
    def test_a_substitute_on_leave_during_the_dates(self, cover, sue, start, end):
        leave_record(trainer=sue, start_date=start, end_date=end, created_by=None)

        error = refusal(cover, substitute=sue)

        assert error.message == f"Sue Sub is on leave {start:%Y-%m-%d} – {end:%Y-%m-%d}"
        assert not SubstituteCover.objects.exists()

    @pytest.mark.parametrize("status", [TrainerStatus.INACTIVE, TrainerStatus.ON_LEAVE])
    def test_a_trainer_whose_profile_is_not_active(self, cover, sue, status):
        set_trainer(sue, status=status)

        error = refusal(cover, substitute=sue)

        assert error.message == (
            f"Sue Sub is {TrainerStatus(status).label.lower()} and cannot take new batches"
        )

    def test_a_clash_with_their_own_teaching(self, cover, sue, create, elsewhere):
        create(
            sue,
            "ENG-B2-WED",
            slot(WEDNESDAY, "11:00", "13:00"),
            course=elsewhere,
            batch_name="Wednesday English",
        )

        error = refusal(cover, substitute=sue)

        assert (error.message, error.field, error.code) == (
            "Schedule conflict: Sue Sub already teaches ENG-B2-WED (Wednesday English) on "
            "Wednesday 2026-04-08 11:00–13:00 (UTC), which overlaps Wednesday 2026-04-08 "
            "10:00–12:00 (UTC)",
            "schedule",
            "conflict",
        )
        assert not SubstituteCover.objects.exists()

    def test_a_clash_with_an_assistant_role(self, cover, sue, create, elsewhere, admin):
        other = create(InstructorFactory(), "ENG-B2-MON", slot(MONDAY, "09:00", "10:30"))
        batch_staff_add(batch=other, trainer=sue, role=StaffRole.ASSISTANT, added_by=admin)

        error = refusal(cover, substitute=sue)

        assert error.message.startswith("Schedule conflict: Sue Sub already teaches ENG-B2-MON")

    def test_a_clash_with_another_cover(self, cover, sue, create, admin):
        teacher = InstructorFactory()
        other = create(teacher, "ENG-B2-X", slot(MONDAY, "10:00", "11:00"), batch_name="English X")
        substitute_assign(
            batch=other,
            absent_trainer=teacher,
            substitute=sue,
            start_date=d(6),
            end_date=d(6),
            assigned_by=admin,
        )

        error = refusal(cover, substitute=sue)

        assert (error.message, error.code) == (
            "Schedule conflict: Sue Sub already covers ENG-B2-X (English X) on "
            "Monday 2026-04-06 10:00–11:00 (UTC), which overlaps Monday 2026-04-06 "
            "10:00–12:00 (UTC)",
            "conflict",
        )

    def test_an_absence_already_covered(self, course, cover, sue):
        cover(sue)
        ben = InstructorFactory(full_name="Ben Okafor")
        roster_add(course=course, trainer=ben, role=RosterRole.SUBSTITUTE)

        error = refusal(cover, substitute=ben, start_date=d(7), end_date=d(10))

        assert (error.message, error.field) == (
            "Sue Sub already covers Anna Schmidt on GER-A1-MON from 2026-04-06 to 2026-04-10",
            "start_date",
        )
        assert SubstituteCover.objects.count() == 1

    def test_a_partly_covered_range_covers_the_remaining_sessions(self, course, cover, sue):
        cover(sue)  # Monday 6 and Wednesday 8 April
        ben = InstructorFactory(full_name="Ben Okafor")
        roster_add(course=course, trainer=ben, role=RosterRole.SUBSTITUTE)

        made = cover(ben, start_date=d(8), end_date=d(15))

        assert [s.session.local_date for s in made.sessions.all()] == [d(13), d(15)]
        assert (made.start_date, made.end_date) == (d(8), d(15))

    def test_the_same_substitute_twice(self, cover, sue):
        cover(sue)

        error = refusal(cover, substitute=sue, start_date=d(8), end_date=d(8))

        assert error.message.startswith("Sue Sub already covers Anna Schmidt on GER-A1-MON")

    def test_a_substitute_at_their_cap(self, cover, sue, create, elsewhere):
        set_trainer(sue, max_active_batches=1)
        create(sue, "ENG-B2-FRI", slot(FRIDAY, "10:00", "12:00"), course=elsewhere)

        error = refusal(cover, substitute=sue)

        assert error.message == "Sue Sub already teaches 1 Active/Upcoming batches, their cap of 1"

    def test_a_substitute_outside_their_availability(self, cover, sue):
        availability_set(trainer=sue, windows=[Window(WEDNESDAY, t("08:00"), t("18:00"))])

        error = refusal(cover, substitute=sue)

        assert (error.message, error.field) == (
            "Sue Sub is not available on Monday 10:00–12:00 (outside their declared availability)",
            "schedule",
        )


class TestACoverIsADuty:
    """Once recorded, a cover counts against the substitute's other teaching."""

    def test_a_clashing_batch_is_refused_during_the_cover(self, cover, sue, create, elsewhere):
        cover(sue)

        error = refusal(
            create,
            instructor=sue,
            code="ENG-B2-NEW",
            course=elsewhere,
            schedule=[slot(WEDNESDAY, "11:00", "12:30")],
        )

        assert error.message == (
            "Schedule conflict: Sue Sub already covers GER-A1-MON (Monday mornings) on "
            "Wednesday 2026-04-08 10:00–12:00 (UTC), which overlaps Wednesday 2026-04-08 "
            "11:00–12:30 (UTC)"
        )

    def test_batch_assign_instructor_is_refused_too(self, cover, sue, create, elsewhere, admin):
        cover(sue)
        batch = create(InstructorFactory(), "ENG-B2-NEW", slot(MONDAY, "11:00", "12:00"))

        error = refusal(batch_assign_instructor, batch=batch, instructor=sue, assigned_by=admin)

        assert error.message.startswith("Schedule conflict: Sue Sub already covers GER-A1-MON")

    def test_a_batch_after_the_cover_is_fine(self, cover, sue, create, elsewhere):
        cover(sue)

        batch = create(
            sue,
            "ENG-B2-NEW",
            slot(MONDAY, "10:00", "12:00"),
            course=elsewhere,
            start_date=d(11),
        )

        assert batch.assigned_instructor == sue


# --- leave_affected_sessions ----------------------------------------------------------------


class TestLeaveAffectedSessions:
    @pytest.fixture
    def leave(self, course, create, monday_batch, anna, sue, admin):
        """Anna's leave, Monday 6 to Tuesday 14 April, over her teaching:

        - GER-A1-MON (primary, Mon + Wed 10:00–12:00), covered by Sue from 6 to 8 April;
        - GER-A1-TUE (assistant, Tue 14:00–15:00), its primary Tom covered on 7 April;
        - GER-A1-LATE (primary, Tue 16:00–17:00), starting on 13 April;
        - GER-A1-THU, where she is only a backup, and GER-A1-FRI, Completed: not hit.
        """
        tom = InstructorFactory(full_name="Tom")
        tuesday = create(tom, "GER-A1-TUE", slot(TUESDAY, "14:00", "15:00"))
        batch_staff_add(batch=tuesday, trainer=anna, role=StaffRole.ASSISTANT, added_by=admin)
        create(anna, "GER-A1-LATE", slot(TUESDAY, "16:00", "17:00"), start_date=d(13))
        thursday = create(InstructorFactory(), "GER-A1-THU", slot(THURSDAY, "10:00", "11:00"))
        batch_staff_add(batch=thursday, trainer=anna, role=StaffRole.BACKUP, added_by=admin)
        done = create(anna, "GER-A1-FRI", slot(FRIDAY, "10:00", "11:00"))
        done.status = BatchStatus.COMPLETED
        done.save()
        substitute_assign(
            batch=monday_batch,
            absent_trainer=anna,
            substitute=sue,
            start_date=d(6),
            end_date=d(8),
            assigned_by=admin,
        )
        tom_cover = InstructorFactory()
        roster_add(course=course, trainer=tom_cover, role=RosterRole.SUBSTITUTE)
        substitute_assign(
            batch=tuesday,
            absent_trainer=tom,
            substitute=tom_cover,
            start_date=d(7),
            end_date=d(7),
            assigned_by=admin,
        )
        return leave_record(trainer=anna, start_date=d(6), end_date=d(14), created_by=admin)

    def test_each_session_with_its_cover(self, leave):
        sessions = leave_affected_sessions(leave)

        assert [
            (
                s.date,
                s.batch.batch_code,
                s.when,
                s.role,
                s.covered,
                s.cover.substitute.full_name if s.cover else None,
            )
            for s in sessions
        ] == [
            (d(6), "GER-A1-MON", "Monday 2026-04-06 10:00–12:00 (UTC)", "primary", True, "Sue Sub"),
            (d(7), "GER-A1-TUE", "Tuesday 2026-04-07 14:00–15:00 (UTC)", "assistant", False, None),
            (
                d(8),
                "GER-A1-MON",
                "Wednesday 2026-04-08 10:00–12:00 (UTC)",
                "primary",
                True,
                "Sue Sub",
            ),
            (d(13), "GER-A1-MON", "Monday 2026-04-13 10:00–12:00 (UTC)", "primary", False, None),
            (d(14), "GER-A1-TUE", "Tuesday 2026-04-14 14:00–15:00 (UTC)", "assistant", False, None),
            (d(14), "GER-A1-LATE", "Tuesday 2026-04-14 16:00–17:00 (UTC)", "primary", False, None),
        ]

    def test_a_leave_outside_the_term_hits_nothing(self, anna, monday_batch):
        leave = leave_record(
            trainer=anna,
            start_date=dt.date(2026, 6, 1),
            end_date=dt.date(2026, 6, 30),
            created_by=None,
        )

        assert leave_affected_sessions(leave) == []

    def test_a_leave_on_days_without_slots_hits_nothing(self, anna, monday_batch):
        leave = leave_record(trainer=anna, start_date=d(9), end_date=d(12), created_by=None)

        assert leave_affected_sessions(leave) == []

    def test_a_trainer_without_teaching_has_no_sessions(self, sue):
        leave = leave_record(trainer=sue, start_date=d(6), end_date=d(14), created_by=None)

        assert leave_affected_sessions(leave) == []


# --- substitute_candidates -----------------------------------------------------------------


class TestSubstituteCandidates:
    @pytest.fixture
    def roster(self, course, elsewhere, monday_batch, create, admin):
        """GER-A1's roster around GER-A1-MON; other teaching happens on ENG-B2.

        Eligible: backups Bob (idle) and Bea (one batch); substitutes Sue (idle) and Sam (two
        batches); Carl (assistant) and Lea (lead), both idle. Refused: Leo (leave on 9 April),
        Bill (teaches Wednesday 11:00), Cora (covers Monday 10:00 on 6 April), Max (at his cap
        of 1), Ava (available Tuesdays only), Ina (inactive on the roster), Tim (inactive
        profile).
        """
        people = {}

        def member(name, role=RosterRole.SUBSTITUTE, **kwargs):
            person = InstructorFactory(full_name=name)
            roster_add(course=course, trainer=person, role=role, **kwargs)
            people[name.split()[0]] = person
            return person

        def teach(person, code, *slots):
            create(person, code, *slots, course=elsewhere)

        bob = member("Bob Backup", RosterRole.ASSISTANT)
        bea = member("Bea Backup")
        for backup in (bob, bea):
            batch_staff_add(
                batch=monday_batch, trainer=backup, role=StaffRole.BACKUP, added_by=admin
            )
        teach(bea, "ENG-BEA", slot(TUESDAY, "08:00", "09:00"))
        member("Sue Sub")
        sam = member("Sam Sub")
        teach(sam, "ENG-SAM-1", slot(THURSDAY, "08:00", "09:00"))
        teach(sam, "ENG-SAM-2", slot(FRIDAY, "08:00", "09:00"))
        member("Carl Assistant", RosterRole.ASSISTANT)
        member("Lea Lead", RosterRole.LEAD)

        leo = member("Leo Leave")
        leave_record(trainer=leo, start_date=d(9), end_date=d(9), created_by=admin)
        bill = member("Bill Busy")
        teach(bill, "ENG-BILL", slot(WEDNESDAY, "11:00", "12:00"))
        cora = member("Cora Cover")
        roster_add(course=elsewhere, trainer=cora, role=RosterRole.SUBSTITUTE)
        absent = InstructorFactory()
        covered = create(
            absent,
            "ENG-CORA",
            slot(MONDAY, "10:00", "11:00"),
            course=elsewhere,
            batch_name="Cora's cover",
        )
        substitute_assign(
            batch=covered,
            absent_trainer=absent,
            substitute=cora,
            start_date=d(6),
            end_date=d(6),
            assigned_by=admin,
        )
        max_ = member("Max Cap")
        set_trainer(max_, max_active_batches=1)
        teach(max_, "ENG-MAX", slot(FRIDAY, "14:00", "15:00"))
        ava = member("Ava Available")
        availability_set(trainer=ava, windows=[Window(TUESDAY, t("08:00"), t("18:00"))])
        member("Ina Inactive", status=RosterStatus.INACTIVE)
        tim = member("Tim Tired")
        set_trainer(tim, status=TrainerStatus.INACTIVE)
        return people

    def rows(self, candidates):
        return [
            (c.trainer.full_name.split()[0], c.rank, c.why, c.open_batches, c.refusal)
            for c in candidates
        ]

    def test_ranked_backups_then_substitutes_then_others_refused_last(
        self, monday_batch, anna, roster
    ):
        candidates = substitute_candidates(monday_batch, WEEK_START, WEEK_END, absent_trainer=anna)

        backup, sub = "backup of this batch", "substitute on the course roster"
        assert self.rows(candidates) == [
            ("Bob", 0, backup, 0, ""),
            ("Bea", 0, backup, 1, ""),  # more loaded than Bob
            ("Sue", 1, sub, 0, ""),
            ("Sam", 1, sub, 2, ""),
            ("Carl", 2, "assistant on the course roster", 0, ""),
            ("Lea", 2, "lead on the course roster", 0, ""),
            # Refused, in the same order: rank, load, name.
            (
                "Ava",
                1,
                sub,
                0,
                "Ava Available is not available on Monday 10:00–12:00 (outside their declared "
                "availability)",
            ),
            (
                "Cora",
                1,
                sub,
                0,
                "Schedule conflict: Cora Cover already covers ENG-CORA (Cora's cover) on "
                "Monday 2026-04-06 10:00–11:00 (UTC), which overlaps Monday 2026-04-06 "
                "10:00–12:00 (UTC)",
            ),
            ("Ina", 1, sub, 0, "Ina Inactive is inactive on the roster of GER-A1"),
            ("Leo", 1, sub, 0, "Leo Leave is on leave 2026-04-09 – 2026-04-09"),
            ("Tim", 1, sub, 0, "Tim Tired is inactive and cannot take new batches"),
            (
                "Bill",
                1,
                sub,
                1,
                "Schedule conflict: Bill Busy already teaches ENG-BILL (Eng-Bill) on "
                "Wednesday 2026-04-08 11:00–12:00 (UTC), which overlaps Wednesday 2026-04-08 "
                "10:00–12:00 (UTC)",
            ),
            ("Max", 1, sub, 1, "Max Cap already teaches 1 Active/Upcoming batches, their cap of 1"),
        ]
        assert [c.eligible for c in candidates] == [True] * 6 + [False] * 7

    def test_without_an_absent_trainer_the_primary_is_a_candidate(self, monday_batch, roster):
        candidates = substitute_candidates(monday_batch, WEEK_START, WEEK_END)

        assert ("Anna", 2, "assistant on the course roster", 0, "") in self.rows(candidates)

    def test_refusals_depend_on_the_dates(self, monday_batch, anna, roster):
        """A week later Leo is back and Cora's cover is over."""
        candidates = substitute_candidates(monday_batch, d(13), d(17), absent_trainer=anna)

        eligible = {c.trainer.full_name.split()[0] for c in candidates if c.eligible}
        assert {"Leo", "Cora"} <= eligible
        assert {"Bill", "Max", "Ava", "Ina", "Tim"}.isdisjoint(eligible)

    def test_every_eligible_candidate_is_accepted_by_substitute_assign(
        self, monday_batch, anna, admin, roster
    ):
        candidates = substitute_candidates(monday_batch, WEEK_START, WEEK_END, absent_trainer=anna)

        for candidate in candidates:
            try:
                made = substitute_assign(
                    batch=monday_batch,
                    absent_trainer=anna,
                    substitute=candidate.trainer,
                    start_date=WEEK_START,
                    end_date=WEEK_END,
                    assigned_by=admin,
                )
            except DomainError as error:
                assert error.message == candidate.refusal
            else:
                assert candidate.eligible
                # So the next candidate is not refused as a second cover.
                made.delete()
                bookings_sync(batch=monday_batch)
