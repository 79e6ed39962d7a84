"""Individual assignments (assign, unassign, reassign, caseload cap) and mentoring sessions.

Every refusal is checked word for word, and every change is checked to keep the history:
ending an assignment sets who, when and why, and never deletes the row.
"""

import datetime as dt

import pytest

from accounts.tests.factories import (
    AdminFactory,
    InstructorFactory,
    StudentFactory,
    UserFactory,
)
from allocation.models import AssignmentType, IndividualAssignment, MentoringSession
from allocation.selectors import STALE_CONTACT_DAYS, mentoring_report
from allocation.services import (
    MSG_ALREADY_ASSIGNED,
    MSG_NOT_INSTRUCTOR,
    individual_assign,
    individual_reassign,
    individual_unassign,
    mentoring_session_log,
)
from allocation.services import mentoring as services
from allocation.tests.factories import IndividualAssignmentFactory, MentoringSessionFactory
from core import dates
from core.errors import DomainError
from trainers.models import TrainerStatus
from trainers.services import trainer_profile_for

pytestmark = pytest.mark.django_db


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


def history(student) -> list[tuple[int, bool]]:
    """(instructor id, is active) of every assignment the student ever had, oldest first."""
    rows = IndividualAssignment.objects.filter(student=student).order_by("assigned_at", "pk")
    return [(a.instructor_id, a.ended_at is None) for a in rows]


@pytest.fixture
def anna():
    return InstructorFactory(full_name="Anna Schmidt")


@pytest.fixture
def ben():
    return InstructorFactory(full_name="Ben Okafor")


@pytest.fixture
def sam():
    return StudentFactory(full_name="Sam Student")


@pytest.fixture
def assign(admin):
    def assign(**kwargs):
        kwargs.setdefault("assigned_by", admin)
        return individual_assign(**kwargs)

    return assign


# --- individual_assign --------------------------------------------------------------------


class TestAssign:
    def test_stores_an_active_assignment(self, assign, anna, sam, admin):
        before = dt.datetime.now(tz=dt.UTC)

        assignment = assign(
            student=sam,
            instructor=anna,
            assignment_type=AssignmentType.TUTOR,
            notes="Grammar",
            start_date=dt.date(2026, 3, 2),
        )

        assignment = IndividualAssignment.objects.get(pk=assignment.pk)
        assert (assignment.student, assignment.instructor) == (sam, anna)
        assert assignment.assignment_type == AssignmentType.TUTOR
        assert assignment.notes == "Grammar"
        assert assignment.start_date == dt.date(2026, 3, 2)
        assert assignment.assigned_by == admin
        assert assignment.assigned_at >= before
        assert (assignment.ended_at, assignment.ended_by, assignment.end_reason) == (None, None, "")
        assert assignment.is_active

    def test_defaults_to_a_mentor_from_today(self, assign, anna, sam):
        assignment = assign(student=sam, instructor=anna)

        assert assignment.assignment_type == AssignmentType.MENTOR
        assert assignment.start_date == dates.today()
        assert assignment.notes == ""

    def test_a_corporate_student_can_be_assigned(self, assign, anna):
        corporate = UserFactory(is_corporate_student=True)

        assert assign(student=corporate, instructor=anna).student == corporate

    def test_an_instructor_may_mentor_many_students_without_a_cap(self, assign, anna):
        for student in StudentFactory.create_batch(6):
            assign(student=student, instructor=anna)

        assert IndividualAssignment.objects.filter(instructor=anna, ended_at=None).count() == 6

    def test_the_same_instructor_again_is_refused(self, assign, anna, sam):
        assign(student=sam, instructor=anna)

        error = refusal(assign, student=sam, instructor=anna)

        assert error.message == MSG_ALREADY_ASSIGNED
        assert (error.field, error.code) == ("instructor", "duplicate")
        assert history(sam) == [(anna.pk, True)]

    def test_another_instructor_while_one_is_active_is_refused(self, assign, anna, ben, sam):
        assign(student=sam, instructor=anna)

        error = refusal(assign, student=sam, instructor=ben)

        assert error.message == (
            "Sam Student already has Anna Schmidt as mentor; unassign them first or use reassign"
        )
        assert error.field == "student"
        assert history(sam) == [(anna.pk, True)]

    def test_the_refusal_names_the_current_type(self, assign, anna, ben, sam):
        assign(student=sam, instructor=anna, assignment_type=AssignmentType.SUPERVISOR)

        error = refusal(assign, student=sam, instructor=ben)

        assert "already has Anna Schmidt as supervisor;" in error.message

    def test_after_unassign_the_student_can_be_assigned_again(self, assign, anna, ben, sam, admin):
        assign(student=sam, instructor=anna)
        individual_unassign(student=sam, ended_by=admin)

        assign(student=sam, instructor=ben)
        assign_again = refusal(assign, student=sam, instructor=ben)

        assert assign_again.message == MSG_ALREADY_ASSIGNED
        assert history(sam) == [(anna.pk, False), (ben.pk, True)]

    def test_the_former_instructor_can_be_assigned_again(self, assign, anna, sam, admin):
        assign(student=sam, instructor=anna)
        individual_unassign(student=sam, ended_by=admin)

        assign(student=sam, instructor=anna)

        assert history(sam) == [(anna.pk, False), (anna.pk, True)]

    @pytest.mark.parametrize(
        "make_instructor",
        [
            pytest.param(lambda: StudentFactory(), id="student"),
            pytest.param(lambda: AdminFactory(), id="admin-without-instructor-role"),
            pytest.param(lambda: InstructorFactory(is_active=False), id="deactivated-account"),
        ],
    )
    def test_only_an_instructor_can_mentor(self, assign, sam, make_instructor):
        error = refusal(assign, student=sam, instructor=make_instructor())

        assert error.message == MSG_NOT_INSTRUCTOR
        assert error.field == "instructor"
        assert not IndividualAssignment.objects.exists()

    @pytest.mark.parametrize(
        "make_student",
        [
            pytest.param(lambda: InstructorFactory(), id="instructor"),
            pytest.param(lambda: AdminFactory(), id="admin"),
            pytest.param(lambda: UserFactory(), id="no-role"),
        ],
    )
    def test_only_a_student_can_be_assigned(self, assign, anna, make_student):
        error = refusal(assign, student=make_student(), instructor=anna)

        assert error.message == "Only a student can be assigned an instructor"
        assert error.field == "student"

    def test_an_instructor_cannot_be_assigned_to_themselves(self, assign):
        both = InstructorFactory(is_student=True)

        error = refusal(assign, student=both, instructor=both)

        assert error.message == "An instructor cannot be assigned to themselves"
        assert error.field == "student"

    def test_an_unknown_type_is_refused(self, assign, anna, sam):
        error = refusal(assign, student=sam, instructor=anna, assignment_type="buddy")

        assert error.message == "Assignment type must be one of: mentor, tutor, advisor, supervisor"
        assert error.field == "assignment_type"

    @pytest.mark.parametrize(
        ("status", "message"),
        [
            (TrainerStatus.INACTIVE, "Anna Schmidt is inactive and cannot take new students"),
            (TrainerStatus.ON_LEAVE, "Anna Schmidt is on leave and cannot take new students"),
        ],
    )
    def test_an_instructor_who_is_not_active_is_refused(self, assign, anna, sam, status, message):
        set_trainer(anna, status=status)

        error = refusal(assign, student=sam, instructor=anna)

        assert error.message == message
        assert error.field == "instructor"


class TestCaseloadCap:
    def test_at_the_cap_is_refused_naming_cap_and_count(self, assign, anna):
        set_trainer(anna, max_individual_students=2)
        for student in StudentFactory.create_batch(2):
            assign(student=student, instructor=anna)

        error = refusal(assign, student=StudentFactory(), instructor=anna)

        assert error.message == (
            "Anna Schmidt already has 2 individually assigned students, their cap of 2"
        )
        assert error.field == "instructor"
        assert IndividualAssignment.objects.filter(instructor=anna).count() == 2

    def test_one_below_the_cap_passes(self, assign, anna):
        set_trainer(anna, max_individual_students=2)
        assign(student=StudentFactory(), instructor=anna)

        assign(student=StudentFactory(), instructor=anna)

    def test_ended_assignments_free_a_place(self, assign, anna, sam, admin):
        set_trainer(anna, max_individual_students=1)
        assign(student=sam, instructor=anna)
        individual_unassign(student=sam, ended_by=admin)

        assign(student=StudentFactory(), instructor=anna)

    def test_other_instructors_students_do_not_count(self, assign, anna, ben):
        set_trainer(anna, max_individual_students=1)
        assign(student=StudentFactory(), instructor=ben)
        assign(student=StudentFactory(), instructor=ben)

        assign(student=StudentFactory(), instructor=anna)

    def test_the_cap_applies_to_reassignment(self, assign, anna, ben, sam, admin):
        set_trainer(ben, max_individual_students=1)
        assign(student=StudentFactory(), instructor=ben)
        assign(student=sam, instructor=anna)

        error = refusal(individual_reassign, student=sam, instructor=ben, assigned_by=admin)

        assert error.message == (
            "Ben Okafor already has 1 individually assigned students, their cap of 1"
        )
        assert history(sam) == [(anna.pk, True)]


# --- individual_unassign -------------------------------------------------------------------


class TestUnassign:
    def test_ends_the_assignment_and_keeps_it(self, assign, anna, sam):
        assignment = assign(student=sam, instructor=anna)
        other_admin = AdminFactory()
        before = dt.datetime.now(tz=dt.UTC)

        ended = individual_unassign(student=sam, ended_by=other_admin, reason="Course finished")

        ended = IndividualAssignment.objects.get(pk=assignment.pk)
        assert before <= ended.ended_at <= dt.datetime.now(tz=dt.UTC)
        assert ended.ended_by == other_admin
        assert ended.end_reason == "Course finished"
        assert not ended.is_active
        assert history(sam) == [(anna.pk, False)]

    def test_sessions_stay_with_the_ended_assignment(self, assign, anna, sam, admin):
        assignment = assign(student=sam, instructor=anna, start_date=dt.date(2026, 1, 5))
        MentoringSessionFactory(assignment=assignment)

        individual_unassign(student=sam, ended_by=admin)

        assert MentoringSession.objects.filter(assignment=assignment).count() == 1

    def test_a_long_reason_is_cut_to_300_characters(self, assign, anna, sam, admin):
        assign(student=sam, instructor=anna)

        ended = individual_unassign(student=sam, ended_by=admin, reason="x" * 400)

        assert IndividualAssignment.objects.get(pk=ended.pk).end_reason == "x" * 300

    def test_a_student_without_an_assignment_is_refused(self, sam, admin):
        error = refusal(individual_unassign, student=sam, ended_by=admin)

        assert error.message == "Sam Student has no assigned instructor"
        assert error.field == "student"

    def test_unassigning_twice_is_refused(self, assign, anna, sam, admin):
        assign(student=sam, instructor=anna)
        individual_unassign(student=sam, ended_by=admin)

        error = refusal(individual_unassign, student=sam, ended_by=admin)

        assert error.message == "Sam Student has no assigned instructor"
        assert history(sam) == [(anna.pk, False)]


# --- individual_reassign -------------------------------------------------------------------


class TestReassign:
    def test_ends_the_old_and_starts_the_new(self, assign, anna, ben, sam, admin):
        old = assign(
            student=sam,
            instructor=anna,
            assignment_type=AssignmentType.TUTOR,
            notes="Needs help with cases",
            start_date=dt.date(2026, 1, 5),
        )
        other_admin = AdminFactory()

        new = individual_reassign(student=sam, instructor=ben, assigned_by=other_admin)

        old.refresh_from_db()
        assert old.ended_by == other_admin
        assert old.end_reason == "Reassigned"
        assert old.ended_at is not None
        new.refresh_from_db()
        assert new.instructor == ben
        assert new.assigned_by == other_admin
        assert new.ended_at is None
        # Type and notes carry over; the new assignment starts today.
        assert new.assignment_type == AssignmentType.TUTOR
        assert new.notes == "Needs help with cases"
        assert new.start_date == dates.today()
        assert history(sam) == [(anna.pk, False), (ben.pk, True)]

    def test_type_notes_and_reason_can_be_given(self, assign, anna, ben, sam, admin):
        old = assign(student=sam, instructor=anna, notes="Old notes")

        new = individual_reassign(
            student=sam,
            instructor=ben,
            assigned_by=admin,
            assignment_type=AssignmentType.ADVISOR,
            notes="",
            reason="Anna moved to evening classes",
        )

        assert (new.assignment_type, new.notes) == (AssignmentType.ADVISOR, "")
        old.refresh_from_db()
        assert old.end_reason == "Anna moved to evening classes"

    def test_every_reassignment_stays_in_the_history(self, assign, anna, ben, sam, admin):
        carla = InstructorFactory()
        assign(student=sam, instructor=anna)

        individual_reassign(student=sam, instructor=ben, assigned_by=admin)
        individual_reassign(student=sam, instructor=carla, assigned_by=admin)
        individual_reassign(student=sam, instructor=anna, assigned_by=admin)

        assert history(sam) == [
            (anna.pk, False),
            (ben.pk, False),
            (carla.pk, False),
            (anna.pk, True),
        ]

    def test_a_student_without_an_assignment_is_refused(self, ben, sam, admin):
        error = refusal(individual_reassign, student=sam, instructor=ben, assigned_by=admin)

        assert error.message == (
            "Sam Student has no assigned instructor to replace; assign one instead"
        )
        assert error.field == "student"
        assert not IndividualAssignment.objects.exists()

    def test_the_instructor_they_already_have_is_refused(self, assign, anna, sam, admin):
        assign(student=sam, instructor=anna)

        error = refusal(individual_reassign, student=sam, instructor=anna, assigned_by=admin)

        assert error.message == MSG_ALREADY_ASSIGNED
        assert history(sam) == [(anna.pk, True)]

    def test_a_non_instructor_is_refused_and_the_old_one_kept(self, assign, anna, sam, admin):
        assign(student=sam, instructor=anna)

        error = refusal(
            individual_reassign, student=sam, instructor=StudentFactory(), assigned_by=admin
        )

        assert error.message == MSG_NOT_INSTRUCTOR
        assert history(sam) == [(anna.pk, True)]

    def test_an_instructor_on_leave_is_refused_and_the_old_one_kept(
        self, assign, anna, ben, sam, admin
    ):
        assign(student=sam, instructor=anna)
        set_trainer(ben, status=TrainerStatus.ON_LEAVE)

        error = refusal(individual_reassign, student=sam, instructor=ben, assigned_by=admin)

        assert error.message == "Ben Okafor is on leave and cannot take new students"
        assert history(sam) == [(anna.pk, True)]

    def test_an_unknown_type_is_refused(self, assign, anna, ben, sam, admin):
        assign(student=sam, instructor=anna)

        error = refusal(
            individual_reassign,
            student=sam,
            instructor=ben,
            assigned_by=admin,
            assignment_type="buddy",
        )

        assert error.field == "assignment_type"
        assert history(sam) == [(anna.pk, True)]

    def test_one_transaction_a_failure_after_ending_keeps_the_old_one(
        self, assign, anna, ben, sam, admin, monkeypatch
    ):
        """If starting the new assignment fails, the end of the old one is rolled back too."""
        assign(student=sam, instructor=anna)

        def fail(**kwargs):
            raise DomainError("simulated failure")

        monkeypatch.setattr(services, "_start_assignment", fail)

        error = refusal(individual_reassign, student=sam, instructor=ben, assigned_by=admin)

        assert error.message == "simulated failure"
        assert history(sam) == [(anna.pk, True)]
        assert IndividualAssignment.objects.get(student=sam).end_reason == ""


# --- mentoring_session_log -----------------------------------------------------------------


@pytest.fixture
def mentoring(assign, anna, sam):
    """Anna mentors Sam since 30 days ago."""
    return assign(student=sam, instructor=anna, start_date=dates.today() - dt.timedelta(30))


class TestMentoringSessionLog:
    def test_the_assigned_instructor_logs_a_session(self, mentoring, anna):
        day = dates.today() - dt.timedelta(2)

        session = mentoring_session_log(
            assignment=mentoring,
            logged_by=anna,
            session_date=day,
            duration_minutes=45,
            notes="Went through the perfect tense",
            follow_up_date=day + dt.timedelta(7),
        )

        session = MentoringSession.objects.get(pk=session.pk)
        assert session.assignment == mentoring
        assert session.logged_by == anna
        assert (session.session_date, session.duration_minutes) == (day, 45)
        assert session.notes == "Went through the perfect tense"
        assert session.follow_up_date == day + dt.timedelta(7)

    @pytest.mark.parametrize(
        "session_date",
        [
            pytest.param(dates.today(), id="today"),
            pytest.param(dates.today() - dt.timedelta(30), id="the-start-date"),
        ],
    )
    def test_edge_dates_are_accepted(self, mentoring, anna, session_date):
        mentoring_session_log(
            assignment=mentoring, logged_by=anna, session_date=session_date, duration_minutes=30
        )

    @pytest.mark.parametrize("minutes", [1, 1440])
    def test_edge_durations_are_accepted(self, mentoring, anna, minutes):
        mentoring_session_log(
            assignment=mentoring,
            logged_by=anna,
            session_date=dates.today(),
            duration_minutes=minutes,
        )

    def test_a_follow_up_on_the_session_day_is_accepted(self, mentoring, anna):
        mentoring_session_log(
            assignment=mentoring,
            logged_by=anna,
            session_date=dates.today(),
            duration_minutes=30,
            follow_up_date=dates.today(),
        )

    @pytest.mark.parametrize(
        "make_logger",
        [
            pytest.param(lambda: InstructorFactory(), id="another-instructor"),
            pytest.param(lambda: AdminFactory(), id="an-admin"),
        ],
    )
    def test_only_the_assigned_instructor_may_log(self, mentoring, make_logger):
        error = refusal(
            mentoring_session_log,
            assignment=mentoring,
            logged_by=make_logger(),
            session_date=dates.today(),
            duration_minutes=30,
        )

        assert error.message == "Only the assigned instructor can log sessions for this student"
        assert not MentoringSession.objects.exists()

    def test_the_student_may_not_log(self, mentoring, sam):
        error = refusal(
            mentoring_session_log,
            assignment=mentoring,
            logged_by=sam,
            session_date=dates.today(),
            duration_minutes=30,
        )

        assert error.message == "Only the assigned instructor can log sessions for this student"

    def test_an_ended_assignment_is_refused(self, mentoring, anna, sam, admin):
        individual_unassign(student=sam, ended_by=admin)

        error = refusal(
            mentoring_session_log,
            assignment=mentoring,
            logged_by=anna,
            session_date=dates.today(),
            duration_minutes=30,
        )

        assert error.message == (
            "This assignment has ended; sessions can only be logged while it is active"
        )

    def test_after_reassignment_only_the_new_instructor_logs_on_the_new_one(
        self, mentoring, anna, ben, sam, admin
    ):
        new = individual_reassign(student=sam, instructor=ben, assigned_by=admin)
        today = dates.today()

        old_one = refusal(
            mentoring_session_log,
            assignment=mentoring,
            logged_by=anna,
            session_date=today,
            duration_minutes=30,
        )
        anna_on_new = refusal(
            mentoring_session_log,
            assignment=new,
            logged_by=anna,
            session_date=today,
            duration_minutes=30,
        )
        mentoring_session_log(
            assignment=new, logged_by=ben, session_date=today, duration_minutes=30
        )

        assert old_one.message.startswith("This assignment has ended")
        assert anna_on_new.message.startswith("Only the assigned instructor")
        assert list(MentoringSession.objects.values_list("assignment_id", flat=True)) == [new.pk]

    def test_a_future_date_is_refused(self, mentoring, anna):
        error = refusal(
            mentoring_session_log,
            assignment=mentoring,
            logged_by=anna,
            session_date=dates.today() + dt.timedelta(1),
            duration_minutes=30,
        )

        assert error.message == "A session cannot be logged for a future date"
        assert error.field == "session_date"

    def test_a_date_before_the_assignment_started_is_refused(self, mentoring, anna):
        start = mentoring.start_date

        error = refusal(
            mentoring_session_log,
            assignment=mentoring,
            logged_by=anna,
            session_date=start - dt.timedelta(1),
            duration_minutes=30,
        )

        assert error.message == (
            f"The session date is before the assignment started ({start:%Y-%m-%d})"
        )
        assert error.field == "session_date"

    @pytest.mark.parametrize("minutes", [0, 1441])
    def test_a_duration_outside_one_to_1440_minutes_is_refused(self, mentoring, anna, minutes):
        error = refusal(
            mentoring_session_log,
            assignment=mentoring,
            logged_by=anna,
            session_date=dates.today(),
            duration_minutes=minutes,
        )

        assert error.message == "A session lasts between 1 and 1440 minutes"
        assert not MentoringSession.objects.exists()

    def test_a_follow_up_before_the_session_is_refused(self, mentoring, anna):
        today = dates.today()

        error = refusal(
            mentoring_session_log,
            assignment=mentoring,
            logged_by=anna,
            session_date=today,
            duration_minutes=30,
            follow_up_date=today - dt.timedelta(1),
        )

        assert error.message == "The follow-up date cannot be before the session"
        assert not MentoringSession.objects.exists()


# --- mentoring_report ----------------------------------------------------------------------

TODAY = dt.date(2026, 3, 31)


@pytest.fixture
def caseload(anna, ben):
    """Anna mentors Sam (2 sessions), Sara (none) and Tom (none, started 14 days ago);
    Ben mentors Uma (1 session 13 days ago) and once mentored Vic (ended, with a session).
    """
    sam = StudentFactory(full_name="Sam A")
    sara = StudentFactory(full_name="Sara B")
    tom = StudentFactory(full_name="Tom C")
    uma = StudentFactory(full_name="Uma D")
    vic = StudentFactory(full_name="Vic E")
    rows = {
        "sam": IndividualAssignmentFactory(
            student=sam, instructor=anna, start_date=dt.date(2026, 3, 1)
        ),
        "sara": IndividualAssignmentFactory(
            student=sara, instructor=anna, start_date=dt.date(2026, 3, 1)
        ),
        "tom": IndividualAssignmentFactory(
            student=tom, instructor=anna, start_date=dt.date(2026, 3, 17)
        ),
        "uma": IndividualAssignmentFactory(
            student=uma, instructor=ben, start_date=dt.date(2026, 2, 1)
        ),
        "vic": IndividualAssignmentFactory(
            student=vic, instructor=ben, start_date=dt.date(2026, 2, 1)
        ),
    }
    MentoringSessionFactory(
        assignment=rows["sam"], session_date=dt.date(2026, 3, 10), duration_minutes=60
    )
    MentoringSessionFactory(
        assignment=rows["sam"], session_date=dt.date(2026, 3, 20), duration_minutes=45
    )
    MentoringSessionFactory(
        assignment=rows["uma"], session_date=dt.date(2026, 3, 18), duration_minutes=30
    )
    MentoringSessionFactory(
        assignment=rows["vic"], session_date=dt.date(2026, 3, 30), duration_minutes=90
    )
    IndividualAssignment.objects.filter(pk=rows["vic"].pk).update(
        ended_at=dt.datetime.now(tz=dt.UTC), end_reason="Finished"
    )
    return rows


def figures(rows):
    return [
        (
            r.assignment.student.full_name,
            r.sessions,
            r.minutes,
            r.last_contact,
            r.days_since_contact,
            r.stale,
        )
        for r in rows
    ]


class TestMentoringReport:
    def test_one_instructor(self, caseload, anna):
        rows = mentoring_report(anna, today=TODAY)

        assert figures(rows) == [
            ("Sam A", 2, 105, dt.date(2026, 3, 20), 11, False),
            # No session yet: counted from the start of the assignment.
            ("Sara B", 0, 0, None, 30, True),
            ("Tom C", 0, 0, None, 14, True),  # 14 days is stale
        ]
        assert [r.assignment for r in rows] == [caseload["sam"], caseload["sara"], caseload["tom"]]

    def test_every_instructor_ordered_by_instructor_then_student(self, caseload):
        rows = mentoring_report(today=TODAY)

        assert [
            (r.assignment.instructor.full_name, r.assignment.student.full_name) for r in rows
        ] == [
            ("Anna Schmidt", "Sam A"),
            ("Anna Schmidt", "Sara B"),
            ("Anna Schmidt", "Tom C"),
            ("Ben Okafor", "Uma D"),  # Vic's ended assignment is not reported
        ]
        assert figures(rows)[3] == ("Uma D", 1, 30, dt.date(2026, 3, 18), 13, False)

    def test_the_threshold_is_fourteen_days(self, caseload, ben):
        assert STALE_CONTACT_DAYS == 14

        [row] = mentoring_report(ben, today=TODAY + dt.timedelta(1))

        assert (row.days_since_contact, row.stale) == (14, True)

    def test_an_instructor_without_mentees_gets_an_empty_report(self, caseload):
        assert mentoring_report(InstructorFactory(), today=TODAY) == []

    def test_one_query_whatever_the_number_of_rows(self, caseload, django_assert_num_queries):
        # The assignments with student and instructor joined and the sessions aggregated.
        with django_assert_num_queries(1):
            rows = mentoring_report(today=TODAY)
            [(r.assignment.student.email, r.assignment.instructor.email) for r in rows]

    def test_sessions_logged_through_the_service_are_reported(self, assign, anna, sam):
        today = dates.today()
        assignment = assign(student=sam, instructor=anna, start_date=today - dt.timedelta(20))
        for days_ago, minutes in ((15, 30), (3, 50)):
            mentoring_session_log(
                assignment=assignment,
                logged_by=anna,
                session_date=today - dt.timedelta(days_ago),
                duration_minutes=minutes,
            )

        [row] = mentoring_report(anna)

        assert (row.sessions, row.minutes, row.last_contact) == (
            2,
            80,
            today - dt.timedelta(3),
        )
        assert (row.days_since_contact, row.stale) == (3, False)
