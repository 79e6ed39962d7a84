"""The report selectors on a known data set: every figure of every report, exactly.

``build_known_data`` writes the data set through the services (WaitlistEntry rows directly).
The figures it must give, worked out by hand:

Batches (open = Active/Upcoming):

| batch | course | status    | cap | enrolled | completed | cancelled | expired | waiting |
|-------|--------|-----------|-----|----------|-----------|-----------|---------|---------|
| A1    | ALPHA  | Active    | 10  | 4        | 0         | 1         | 1       | 0       |
| A2    | ALPHA  | Upcoming  | 5   | 1 (+1 on hold) | 0   | 0         | 0       | 1       |
| A3    | ALPHA  | Completed | 8   | 0        | 2         | 1         | 0       | 0       |
| B1    | BETA   | Active    | 4   | 4        | 0         | 0         | 0       | 2 (+1 removed) |
| B2    | BETA   | Cancelled | 6   | 0        | 0         | 0         | 0       | 0       |

Course ALPHA also has two individual enrollments (one active, one completed); course BETA one
active individual enrollment; course EMPTY has nothing.
"""

import datetime as dt

import pytest

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation import services as allocation
from allocation.models import AssignmentType, BatchStatus, Weekday
from allocation.tests.factories import CourseFactory
from core import dates
from enrollments import services as enrollments
from enrollments.models import EnrollmentStatus, WaitlistEntry, WaitlistStatus
from reports import reports
from tests.support import slot

pytestmark = pytest.mark.django_db

TODAY = dates.today()


def _batch(admin, course, code, instructor, status, capacity, schedule, *, upcoming=False):
    start = TODAY + dt.timedelta(days=14) if upcoming else TODAY - dt.timedelta(days=28)
    return allocation.batch_create(
        course=course,
        batch_name=f"{code} group",
        batch_code=code,
        start_date=start,
        end_date=start + dt.timedelta(days=84),
        capacity=capacity,
        assigned_instructor=instructor,
        created_by=admin,
        status=status,
        schedule=schedule,
    )


def build_known_data():
    """The data set of the module docstring; returns its objects by name."""
    admin = AdminFactory(full_name="Ada Admin")
    ines = InstructorFactory(full_name="Ines Ivanova", email="ines@example.com")
    omar = InstructorFactory(full_name="Omar Okafor", email="omar@example.com")
    paul = InstructorFactory(full_name="Paul Park", email="paul@example.com")
    alpha = CourseFactory(code="ALPHA", title="Alpha German")
    beta = CourseFactory(code="BETA", title="Beta English")
    empty = CourseFactory(code="EMPTY", title="Empty Course")
    s = {n: StudentFactory(full_name=f"Student {n:02d}") for n in range(1, 18)}

    # Ines teaches A1 (2 h + 1.5 h) and A2 (2 h): 5.5 h a week.
    a1 = _batch(
        admin,
        alpha,
        "A1",
        ines,
        BatchStatus.ACTIVE,
        10,
        [slot(Weekday.MONDAY, "09:00", "11:00"), slot(Weekday.WEDNESDAY, "09:00", "10:30")],
    )
    a2 = _batch(
        admin,
        alpha,
        "A2",
        ines,
        BatchStatus.UPCOMING,
        5,
        [slot(Weekday.TUESDAY, "14:00", "16:00")],
        upcoming=True,
    )
    # Omar teaches A3 (closed by the end: not counted), B1 (1.5 h) and assists on A1 (3.5 h).
    a3 = _batch(
        admin, alpha, "A3", omar, BatchStatus.ACTIVE, 8, [slot(Weekday.THURSDAY, "10:00", "12:00")]
    )
    b1 = _batch(
        admin, beta, "B1", omar, BatchStatus.ACTIVE, 4, [slot(Weekday.FRIDAY, "18:00", "19:30")]
    )
    allocation.batch_staff_add(batch=a1, trainer=omar, role="assistant", added_by=admin)
    # Paul's only batch is cancelled.
    b2 = _batch(
        admin, beta, "B2", paul, BatchStatus.CANCELLED, 6, [slot(Weekday.MONDAY, "18:00", "20:00")]
    )

    def enroll(student, course, batch=None):
        return enrollments.enrollment_create(student=s[student], course=course, batch=batch)

    # A1: 1–4 active, 5 cancelled, 6 expired.
    for n in (1, 2, 3, 4):
        enroll(n, alpha, a1)
    enrollments.enrollment_cancel(enrollment=enroll(5, alpha, a1))
    enrollments.enrollment_set_status(enrollment=enroll(6, alpha, a1), status="expired")
    # A2: 7 active, 8 on hold.
    enroll(7, alpha, a2)
    enrollments.enrollment_set_status(enrollment=enroll(8, alpha, a2), status="on_hold")
    # A3: 9 and 10 completed, 11 cancelled, then the batch is completed.
    for n in (9, 10):
        enrollments.enrollment_set_status(enrollment=enroll(n, alpha, a3), status="completed")
    enrollments.enrollment_cancel(enrollment=enroll(11, alpha, a3))
    allocation.batch_update(batch=a3, status=BatchStatus.COMPLETED, updated_by=admin)
    # B1: full with 1, 2, 9 and 12.
    for n in (1, 2, 9, 12):
        enroll(n, beta, b1)
    # Individual enrollments: 13 active in ALPHA, 14 completed in ALPHA, 7 active in BETA.
    enroll(13, alpha)
    enrollments.enrollment_set_status(enrollment=enroll(14, alpha), status="completed")
    enroll(7, beta)
    # Waitlists: 3 and 4 wait for B1 (5 was removed); 15 waits for A2.
    for position, (n, batch, status) in enumerate(
        [
            (3, b1, WaitlistStatus.WAITING),
            (4, b1, WaitlistStatus.WAITING),
            (5, b1, WaitlistStatus.REMOVED),
            (15, a2, WaitlistStatus.WAITING),
        ],
        start=1,
    ):
        WaitlistEntry.objects.create(batch=batch, student=s[n], position=position, status=status)

    # Individual assignments, all started 30 days ago so sessions can be logged since.
    def assign(n, instructor, kind):
        return allocation.individual_assign(
            student=s[n],
            instructor=instructor,
            assigned_by=admin,
            assignment_type=kind,
            start_date=TODAY - dt.timedelta(days=30),
        )

    def log(assignment, days_ago):
        allocation.mentoring_session_log(
            assignment=assignment,
            logged_by=assignment.instructor,
            session_date=TODAY - dt.timedelta(days=days_ago),
            duration_minutes=45,
        )

    ines_mentee = assign(1, ines, AssignmentType.MENTOR)
    log(ines_mentee, 10)
    log(ines_mentee, 3)
    assign(2, ines, AssignmentType.TUTOR)
    log(assign(7, omar, AssignmentType.ADVISOR), 5)
    assign(3, omar, AssignmentType.MENTOR)
    # 16's assignment to Omar ended: its session still counts, the student is unassigned.
    log(assign(16, omar, AssignmentType.MENTOR), 20)
    allocation.individual_unassign(student=s[16], ended_by=admin, reason="Finished")
    assign(17, paul, AssignmentType.SUPERVISOR)

    return {
        "admin": admin,
        "ines": ines,
        "omar": omar,
        "paul": paul,
        "alpha": alpha,
        "beta": beta,
        "empty": empty,
        "batches": {"A1": a1, "A2": a2, "A3": a3, "B1": b1, "B2": b2},
        "students": s,
    }


@pytest.fixture
def known():
    return build_known_data()


def figures(row) -> tuple:
    return (
        row.capacity,
        row.enrolled,
        row.fill_percent,
        row.completed,
        row.cancellations,
        row.expired,
        row.completion_percent,
        row.waitlist,
    )


class TestCourseReport:
    def test_figures_of_each_course(self, known, django_assert_num_queries):
        with django_assert_num_queries(1):
            rows = reports.course_rows(reports.course_report())
        by_code = {r.course.code: r for r in rows}
        assert [r.course.code for r in rows] == ["ALPHA", "BETA", "EMPTY"]  # by title
        alpha, beta, empty = by_code["ALPHA"], by_code["BETA"], by_code["EMPTY"]
        assert (alpha.batches, alpha.open_batches) == (3, 2)
        # Seats of A1 + A2 (A3 is completed); completed: 9, 10, 14; cancelled: 5, 11;
        # expired: 6; completion 3 of 6 ended.
        assert figures(alpha) == (15, 5, 33.3, 3, 2, 1, 50.0, 1)
        assert (beta.batches, beta.open_batches) == (2, 1)
        # B2 is cancelled: only B1's 4 seats, all taken; nothing has ended.
        assert figures(beta) == (4, 4, 100.0, 0, 0, 0, None, 2)
        assert figures(empty) == (0, 0, None, 0, 0, 0, None, 0)

    def test_a_page_of_courses_is_a_slice_of_the_report(self, known):
        page = reports.course_report()[1:2]
        assert [r.course.code for r in reports.course_rows(page)] == ["BETA"]


def course_sums(rows) -> tuple:
    """The figures of ``rows`` added up, as the totals row must show them."""
    names = ("capacity", "enrolled", "completed", "cancelled", "expired", "waitlist")
    return tuple(sum(getattr(row, name) for row in rows) for name in names)


class TestPlatformFigures:
    def test_they_are_the_sum_of_every_course(self, known, django_assert_num_queries):
        # open batches' seats, ended enrollments by status, waiting entries
        with django_assert_num_queries(3):
            overall = reports.platform_figures()
        assert figures(overall) == (19, 9, 47.4, 3, 2, 1, 50.0, 3)
        assert overall.ended == 6
        assert overall.fill_rate == pytest.approx(9 / 19)
        every_course = reports.course_rows(reports.course_report())
        assert course_sums([overall]) == course_sums(every_course)

    def test_changes_show_at_once(self, known):
        a1 = known["batches"]["A1"]
        first = a1.enrollments.filter(status=EnrollmentStatus.ACTIVE).order_by("pk").first()
        enrollments.enrollment_set_status(enrollment=first, status="completed")
        WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).update(
            status=WaitlistStatus.REMOVED
        )
        # A seat freed, one more completed, nobody waiting.
        assert figures(reports.platform_figures()) == (19, 8, 42.1, 4, 2, 1, 57.1, 0)
        assert course_sums([reports.platform_figures()]) == course_sums(
            reports.course_rows(reports.course_report())
        )

    def test_no_courses(self):
        assert reports.course_rows(reports.course_report()) == []
        assert figures(reports.platform_figures()) == (0, 0, None, 0, 0, 0, None, 0)


class TestBatchReport:
    def test_figures_of_each_batch(self, known, django_assert_num_queries):
        with django_assert_num_queries(1):
            rows = reports.batch_rows(reports.batch_report())
        assert [r.batch.batch_code for r in rows] == ["A1", "A3", "A2", "B1", "B2"]
        by_code = {r.batch.batch_code: r for r in rows}
        assert figures(by_code["A1"]) == (10, 4, 40.0, 0, 1, 1, 0.0, 0)
        # The one on hold neither holds a seat nor has ended.
        assert figures(by_code["A2"]) == (5, 1, 20.0, 0, 0, 0, None, 1)
        # Closed batches have no fill rate.
        assert figures(by_code["A3"]) == (8, 0, None, 2, 1, 0, 66.7, 0)
        assert figures(by_code["B1"]) == (4, 4, 100.0, 0, 0, 0, None, 2)
        assert figures(by_code["B2"]) == (6, 0, None, 0, 0, 0, None, 0)

    def test_filters(self, known):
        def codes(**filters):
            return [r.batch.batch_code for r in reports.batch_rows(reports.batch_report(**filters))]

        assert codes(course=known["beta"]) == ["B1", "B2"]
        assert codes(status=BatchStatus.ACTIVE) == ["A1", "B1"]
        assert codes(course=known["alpha"], status=BatchStatus.COMPLETED) == ["A3"]
        assert codes(course=known["empty"]) == []

    def test_enrollment_outcome_changes_show(self, known):
        a1 = known["batches"]["A1"]
        first = a1.enrollments.filter(status=EnrollmentStatus.ACTIVE).order_by("pk").first()
        enrollments.enrollment_set_status(enrollment=first, status="completed")
        (row,) = reports.batch_rows(reports.batch_report(course=known["alpha"], status="Active"))
        # A seat freed and one more ended enrollment, completed: 1 of 3.
        assert figures(row) == (10, 3, 30.0, 1, 1, 1, 33.3, 0)


class TestInstructorReport:
    def test_figures_of_each_instructor(self, known, django_assert_num_queries):
        with django_assert_num_queries(1):
            rows = reports.instructor_rows(reports.instructor_report())
        assert [r.trainer.full_name for r in rows] == ["Ines Ivanova", "Omar Okafor", "Paul Park"]
        got = {
            r.trainer.full_name: (
                r.workload.active_batches,
                r.workload.batch_students,
                r.workload.individual_students,
                r.workload.weekly_hours,
                r.sessions,
                r.last_contact,
            )
            for r in rows
        }
        days = dt.timedelta
        # Ines: A1 + A2, 4 + 1 students, 2 mentees, 5.5 h, 2 sessions (last 3 days ago).
        assert got["Ines Ivanova"] == (2, 5, 2, 5.5, 2, TODAY - days(3))
        # Omar: B1 + assistant on A1 (A3 completed), 4 + 4 students, 2 current mentees,
        # 1.5 + 3.5 h; the ended assignment's session counts too.
        assert got["Omar Okafor"] == (2, 8, 2, 5.0, 2, TODAY - days(5))
        # Paul: only a cancelled batch; a supervisee without sessions.
        assert got["Paul Park"] == (0, 0, 1, 0.0, 0, None)

    def test_inactive_instructors_are_left_out(self, known):
        known["paul"].is_active = False
        known["paul"].save(update_fields=["is_active"])
        names = [r.trainer.full_name for r in reports.instructor_rows(reports.instructor_report())]
        assert names == ["Ines Ivanova", "Omar Okafor"]


class TestStudentDistribution:
    def test_counts(self, known, django_assert_num_queries):
        # students; active enrollments, and those of users who are not students; assignments
        with django_assert_num_queries(4):
            d = reports.student_distribution()
        assert d.students == 17
        # 1 (Ines, mentor), 2 (Ines, tutor), 7 (Omar, advisor), 3 (Omar, mentor),
        # 17 (Paul, supervisor); 16's assignment ended.
        assert (d.with_instructor, d.without_instructor) == (5, 12)
        assert d.by_type == {"mentor": 2, "tutor": 1, "advisor": 1, "supervisor": 1}
        # In a batch: 1, 2, 3, 4, 7 (also individual in BETA), 9, 12. Individual only: 13.
        # None active: 5, 6, 8 (on hold), 10, 11, 14, 15 (waiting), 16, 17.
        assert (d.in_batch, d.individual_only, d.not_enrolled) == (7, 1, 9)

    def test_rows_with_shares(self, known):
        assert reports.student_distribution().rows() == [
            ("Individual instructor", "With an instructor", 5, 29.4),
            ("Individual instructor", "Without an instructor", 12, 70.6),
            ("Assignment type", "Mentor", 2, 11.8),
            ("Assignment type", "Tutor", 1, 5.9),
            ("Assignment type", "Advisor", 1, 5.9),
            ("Assignment type", "Supervisor", 1, 5.9),
            ("Enrollment", "In a batch", 7, 41.2),
            ("Enrollment", "Individual enrollment only", 1, 5.9),
            ("Enrollment", "No active enrollment", 9, 52.9),
        ]

    def test_instructors_and_admins_are_not_students(self):
        InstructorFactory()
        AdminFactory()
        d = reports.student_distribution()
        assert (d.students, d.with_instructor, d.not_enrolled) == (0, 0, 0)
        assert all(share is None for *_, share in d.rows())

    def test_a_user_who_is_no_longer_a_student_is_left_out(self, known):
        """Their active enrollments and assignment stay, but they are not counted: not among
        the students, nor in a batch, nor with an instructor (the counts of users who are not
        students are taken away)."""
        # 1 is in A1 and B1 with Ines as mentor; 7 is in A2, individual in BETA, with Omar.
        for n in (1, 7):
            user = known["students"][n]
            user.is_student, user.is_instructor = False, True
            user.save(update_fields=["is_student", "is_instructor"])
        d = reports.student_distribution()
        assert d.students == 15
        assert (d.with_instructor, d.without_instructor) == (3, 12)
        assert d.by_type == {"mentor": 1, "tutor": 1, "advisor": 0, "supervisor": 1}
        assert (d.in_batch, d.individual_only, d.not_enrolled) == (5, 1, 9)

    def test_corporate_students_count(self, known):
        user = known["students"][13]  # individual only, in ALPHA
        user.is_student, user.is_corporate_student = False, True
        user.save(update_fields=["is_student", "is_corporate_student"])
        d = reports.student_distribution()
        assert (d.students, d.in_batch, d.individual_only, d.not_enrolled) == (17, 7, 1, 9)
