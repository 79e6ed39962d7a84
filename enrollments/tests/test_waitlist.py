"""The waitlist services: joining, removing and reordering with their refusals, and every
path that promotes the first waiting student when a seat frees (cancel, other status
changes, transfer out, capacity raise), skipping stale entries and closed batches, with the
notification sent after commit only. Races are in test_waitlist_concurrency.py."""

import datetime as dt

import pytest
from django.db.models import Count, Q

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation import services as allocation_services
from allocation.models import Batch, BatchStatus
from allocation.tests.factories import BatchFactory
from core.errors import DomainError
from enrollments.models import (
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    EnrollmentType,
    WaitlistEntry,
    WaitlistStatus,
)
from enrollments.services import (
    MSG_ALREADY_ENROLLED,
    enrollment_cancel,
    enrollment_create,
    enrollment_set_status,
    enrollment_transfer,
)
from enrollments.services.waitlist import (
    MSG_ALREADY_WAITING,
    MSG_NOT_WAITING,
    waitlist_join,
    waitlist_move,
    waitlist_promote,
    waitlist_remove,
)
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def refusal(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        call(**kwargs)
    return excinfo.value


def seats(batch: Batch) -> int:
    return Batch.objects.get(pk=batch.pk).enrolled_students


def assert_counters_true() -> None:
    for batch in Batch.objects.annotate(
        active=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE))
    ):
        assert batch.enrolled_students == batch.active <= batch.capacity, batch.batch_code


def waiting(batch: Batch) -> list[str]:
    """The waiting students' emails, in serving order."""
    return list(
        WaitlistEntry.objects.filter(batch=batch, status=WaitlistStatus.WAITING)
        .order_by("position", "created_at", "pk")
        .values_list("student__email", flat=True)
    )


def reason(entry: WaitlistEntry) -> str:
    return entry.history.order_by("-history_date", "-history_id").first().history_change_reason


@pytest.fixture
def batch(course):
    """A full batch of two."""
    batch = BatchFactory(course=course, batch_code="GER-A1-01", capacity=2)
    for _ in range(2):
        enrollment_create(student=StudentFactory(), course=course, batch=batch)
    return batch


@pytest.fixture
def seated(batch):
    """The two active enrollments of ``batch``, oldest first."""
    return list(Enrollment.objects.filter(batch=batch).order_by("pk"))


@pytest.fixture
def queue(batch):
    """Three students waiting for ``batch``: ann, ben, cid."""
    students = [StudentFactory(email=f"{name}@example.com") for name in ("ann", "ben", "cid")]
    return [waitlist_join(student=s, batch=batch) for s in students]


class TestJoin:
    def test_entries_queue_up_in_order(self, batch, queue):
        assert [e.position for e in queue] == [1, 2, 3]
        assert waiting(batch) == ["ann@example.com", "ben@example.com", "cid@example.com"]
        assert all(e.status == WaitlistStatus.WAITING for e in queue)
        assert seats(batch) == 2  # joining takes no seat

    def test_type_and_source_are_kept_for_the_promotion(self, batch):
        entry = waitlist_join(
            student=StudentFactory(),
            batch=batch,
            enrollment_type=EnrollmentType.SCHOLARSHIP,
            enrollment_source=EnrollmentSource.ADMIN,
        )

        entry.refresh_from_db()
        assert (entry.enrollment_type, entry.enrollment_source) == ("scholarship", "admin")

    def test_position_follows_the_last_waiting_entry(self, batch, queue):
        waitlist_remove(entry=queue[2])

        assert waitlist_join(student=StudentFactory(), batch=batch).position == 3

    def test_a_batch_with_a_free_seat_is_refused(self, course):
        roomy = BatchFactory(course=course, capacity=5)

        error = refusal(waitlist_join, student=StudentFactory(), batch=roomy)

        assert error.code == "has_seats"
        assert "enroll the student instead" in error.message
        assert not WaitlistEntry.objects.exists()

    @pytest.mark.parametrize("status", [BatchStatus.COMPLETED, BatchStatus.CANCELLED])
    def test_a_closed_batch_is_refused(self, batch, status):
        Batch.objects.filter(pk=batch.pk).update(status=status)

        error = refusal(waitlist_join, student=StudentFactory(), batch=batch)

        assert error.message == f"Batch GER-A1-01 is {status} and no longer accepts students"
        assert not WaitlistEntry.objects.exists()

    def test_a_student_enrolled_in_the_course_is_refused(self, course, batch):
        other = BatchFactory(course=course, capacity=5)
        student = StudentFactory()
        enrollment_create(student=student, course=course, batch=other)

        error = refusal(waitlist_join, student=student, batch=batch)

        assert error.message == MSG_ALREADY_ENROLLED
        assert not WaitlistEntry.objects.exists()

    def test_a_student_seated_in_a_batch_with_room_is_told_they_are_enrolled(self, course):
        roomy = BatchFactory(course=course, capacity=5)
        student = StudentFactory()
        enrollment_create(student=student, course=course, batch=roomy)

        error = refusal(waitlist_join, student=student, batch=roomy)

        assert (error.message, error.code) == (MSG_ALREADY_ENROLLED, "duplicate")

    def test_waiting_twice_for_a_batch_is_refused(self, batch, queue):
        error = refusal(waitlist_join, student=queue[0].student, batch=batch)

        assert (error.message, error.code) == (MSG_ALREADY_WAITING, "duplicate")
        assert WaitlistEntry.objects.count() == 3

    def test_after_a_removal_the_student_may_join_again(self, batch, queue):
        waitlist_remove(entry=queue[0])

        again = waitlist_join(student=queue[0].student, batch=batch)

        assert again.position == 4
        assert waiting(batch)[-1] == "ann@example.com"

    def test_waiting_for_two_batches_of_a_course_is_allowed(self, course, batch):
        other = BatchFactory(course=course, capacity=1)
        enrollment_create(student=StudentFactory(), course=course, batch=other)
        student = StudentFactory()

        waitlist_join(student=student, batch=batch)
        waitlist_join(student=student, batch=other)

        assert WaitlistEntry.objects.filter(student=student).count() == 2

    def test_not_a_student_or_individual_is_refused(self, batch):
        assert refusal(waitlist_join, student=InstructorFactory(), batch=batch).field == "student"
        error = refusal(
            waitlist_join,
            student=StudentFactory(),
            batch=batch,
            enrollment_type=EnrollmentType.INDIVIDUAL,
        )
        assert error.field == "enrollment_type"
        assert not WaitlistEntry.objects.exists()


class TestRemove:
    def test_the_entry_is_kept_as_history_with_who_and_why(self, batch, queue):
        admin = AdminFactory()

        removed = waitlist_remove(entry=queue[1], by=admin)

        removed.refresh_from_db()
        assert removed.status == WaitlistStatus.REMOVED
        assert removed.resolved_at is not None
        assert waiting(batch) == ["ann@example.com", "cid@example.com"]
        last = removed.history.order_by("-history_date", "-history_id").first()
        assert (last.history_user, last.history_change_reason) == (admin, "Removed by an admin")

    def test_an_entry_no_longer_waiting_is_refused(self, batch, queue):
        waitlist_remove(entry=queue[0])

        error = refusal(waitlist_remove, entry=queue[0])

        assert error.message == MSG_NOT_WAITING


class TestMove:
    def test_up_and_down(self, batch, queue):
        waitlist_move(entry=queue[2], direction="up")
        assert waiting(batch) == ["ann@example.com", "cid@example.com", "ben@example.com"]

        waitlist_move(entry=queue[0], direction="down")
        assert waiting(batch) == ["cid@example.com", "ann@example.com", "ben@example.com"]
        # Renumbered 1, 2, 3.
        assert sorted(
            WaitlistEntry.objects.filter(status="waiting").values_list("position", flat=True)
        ) == [1, 2, 3]

    def test_to_a_position(self, batch, queue):
        waitlist_move(entry=queue[2], position=1)

        assert waiting(batch) == ["cid@example.com", "ann@example.com", "ben@example.com"]
        assert reason(WaitlistEntry.objects.get(pk=queue[0].pk)) == "Waitlist reordered"

    def test_gaps_left_by_removals_do_not_matter(self, batch, queue):
        waitlist_remove(entry=queue[1])  # positions 1 and 3 remain

        waitlist_move(entry=queue[2], direction="up")

        assert waiting(batch) == ["cid@example.com", "ann@example.com"]

    @pytest.mark.parametrize(
        ("index", "kwargs", "message"),
        [
            (0, {"direction": "up"}, "already first"),
            (2, {"direction": "down"}, "already last"),
            (1, {"position": 2}, "already number 2"),
            (1, {"position": 4}, "between 1 and 3"),
            (1, {"position": 0}, "between 1 and 3"),
            (1, {"direction": "sideways"}, "Unknown direction"),
            (1, {}, "either a position or a direction"),
            (1, {"position": 1, "direction": "up"}, "either a position or a direction"),
        ],
    )
    def test_refusals_change_nothing(self, batch, queue, index, kwargs, message):
        error = refusal(waitlist_move, entry=queue[index], **kwargs)

        assert message in error.message
        assert waiting(batch) == ["ann@example.com", "ben@example.com", "cid@example.com"]

    def test_an_entry_no_longer_waiting_is_refused(self, batch, queue):
        waitlist_remove(entry=queue[0])

        assert refusal(waitlist_move, entry=queue[0], position=1).message == MSG_NOT_WAITING


class TestPromotion:
    def promoted(self, entry: WaitlistEntry) -> Enrollment:
        entry.refresh_from_db()
        assert entry.status == WaitlistStatus.PROMOTED
        assert entry.resolved_at is not None
        assert entry.enrollment.is_active
        assert entry.enrollment.student_id == entry.student_id
        return entry.enrollment

    def test_on_cancel_the_first_waiting_student_takes_the_seat(self, batch, seated, queue):
        enrollment_cancel(enrollment=seated[0])

        enrollment = self.promoted(queue[0])
        assert enrollment.batch == batch
        assert enrollment.enrollment_type == EnrollmentType.BATCH
        assert seats(batch) == 2
        assert waiting(batch) == ["ben@example.com", "cid@example.com"]
        assert reason(queue[0]) == "Enrolled from the waitlist"
        assert_counters_true()

    def test_the_order_follows_a_reordering(self, batch, seated, queue):
        waitlist_move(entry=queue[2], position=1)

        enrollment_cancel(enrollment=seated[0])

        self.promoted(queue[2])
        assert waiting(batch) == ["ann@example.com", "ben@example.com"]

    def test_type_and_source_come_from_the_entry(self, batch, seated):
        entry = waitlist_join(
            student=StudentFactory(),
            batch=batch,
            enrollment_type=EnrollmentType.CORPORATE,
            enrollment_source=EnrollmentSource.REFERRAL,
        )

        enrollment_cancel(enrollment=seated[0])

        enrollment = self.promoted(entry)
        assert (enrollment.enrollment_type, enrollment.enrollment_source) == (
            "corporate",
            "referral",
        )

    @pytest.mark.parametrize(
        "status",
        [
            EnrollmentStatus.COMPLETED,
            EnrollmentStatus.EXPIRED,
            EnrollmentStatus.ON_HOLD,
            EnrollmentStatus.CANCELLED,
        ],
    )
    def test_on_every_status_change_leaving_active(self, batch, seated, queue, status):
        enrollment_set_status(enrollment=seated[1], status=status)

        self.promoted(queue[0])
        assert seats(batch) == 2
        assert_counters_true()

    def test_returning_to_active_is_then_refused_as_full(self, batch, seated, queue):
        enrollment_set_status(enrollment=seated[0], status=EnrollmentStatus.ON_HOLD)

        error = refusal(enrollment_set_status, enrollment=seated[0], status="active")

        assert error.code == "full"
        assert_counters_true()

    def test_on_transfer_out(self, course, batch, seated, queue):
        roomy = BatchFactory(course=course, capacity=5)

        enrollment_transfer(enrollment=seated[0], to_batch=roomy)

        assert self.promoted(queue[0]).batch == batch
        assert (seats(batch), seats(roomy)) == (2, 1)
        assert_counters_true()

    def test_on_capacity_raise_two_seats_go_to_the_first_two_in_order(self, batch, seated, queue):
        batch.refresh_from_db()

        allocation_services.batch_update(batch=batch, capacity=4)

        self.promoted(queue[0])
        self.promoted(queue[1])
        assert waiting(batch) == ["cid@example.com"]
        assert seats(batch) == 4
        assert_counters_true()

    def test_a_capacity_raise_without_waiting_students_changes_no_counter(self, course):
        lonely = BatchFactory(course=course, capacity=2)

        allocation_services.batch_update(batch=lonely, capacity=3)

        assert seats(lonely) == 0

    def test_stale_entries_are_skipped_and_marked_removed(self, course, batch, seated, queue):
        # Ann found a seat in another batch of the course; Ben's account was deactivated.
        other = BatchFactory(course=course, capacity=5)
        enrollment_create(student=queue[0].student, course=course, batch=other)
        ben = queue[1].student
        ben.is_active = False
        ben.save(update_fields=["is_active"])

        enrollment_cancel(enrollment=seated[0])

        self.promoted(queue[2])
        for stale, why in (
            (queue[0], MSG_ALREADY_ENROLLED),
            (queue[1], "the student's account is deactivated"),
        ):
            stale.refresh_from_db()
            assert stale.status == WaitlistStatus.REMOVED
            assert stale.enrollment is None
            assert reason(stale) == f"Skipped when a seat freed: {why}"
        assert waiting(batch) == []
        assert_counters_true()

    def test_a_user_who_lost_the_student_role_is_skipped(self, batch, seated, queue):
        ann = queue[0].student
        ann.is_student = False
        ann.save(update_fields=["is_student"])

        enrollment_cancel(enrollment=seated[0])

        self.promoted(queue[1])
        assert reason(queue[0]) == (
            "Skipped when a seat freed: the user no longer has the student role"
        )

    def test_only_stale_entries_leave_the_seat_free(self, course, batch, seated, queue):
        for entry in queue:
            entry.student.is_active = False
            entry.student.save(update_fields=["is_active"])

        enrollment_cancel(enrollment=seated[0])

        assert seats(batch) == 1
        assert WaitlistEntry.objects.filter(status=WaitlistStatus.REMOVED).count() == 3
        assert_counters_true()

    def test_an_empty_waitlist_leaves_the_seat_free(self, batch, seated):
        enrollment_cancel(enrollment=seated[0])

        assert seats(batch) == 1

    @pytest.mark.parametrize("status", [BatchStatus.COMPLETED, BatchStatus.CANCELLED])
    def test_a_closed_batch_promotes_nobody(self, batch, seated, queue, status):
        Batch.objects.filter(pk=batch.pk).update(status=status)

        enrollment_cancel(enrollment=seated[0])

        assert seats(batch) == 1
        assert len(waiting(batch)) == 3
        assert waitlist_promote(batch_id=batch.pk) == []

    def test_promote_fills_only_free_seats_and_at_most_seats(self, batch, seated, queue):
        assert waitlist_promote(batch_id=batch.pk) == []  # full: nothing to fill
        Batch.objects.filter(pk=batch.pk).update(capacity=5)  # three seats, without the signal

        assert [e.pk for e in waitlist_promote(batch_id=batch.pk, seats=1)] == [queue[0].pk]
        assert [e.pk for e in waitlist_promote(batch_id=batch.pk)] == [queue[1].pk, queue[2].pk]
        assert seats(batch) == 5
        assert_counters_true()


class TestNotification:
    def test_the_promoted_student_hears_once_after_commit(
        self, batch, seated, queue, mailoutbox, django_capture_on_commit_callbacks
    ):
        ann = queue[0].student
        mailoutbox.clear()

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            enrollment_cancel(enrollment=seated[0])
        # Nothing is mailed inside the transaction...
        assert mailoutbox == []
        for callback in callbacks:
            callback()

        # ...and after commit Ann gets one message, not the plain welcome besides.
        to_ann = [m for m in mailoutbox if m.to == [ann.email]]
        assert len(to_ann) == 1
        assert to_ann[0].subject == "A seat is yours: German A1, batch GER-A1-01"
        assert "you were next on its waitlist" in to_ann[0].body
        assert list(Notification.objects.filter(recipient=ann).values_list("event", flat=True)) == [
            "waitlist_promoted"
        ]

    def test_a_rolled_back_change_notifies_nobody(self, batch, seated, queue):
        from django.db import transaction

        with pytest.raises(RuntimeError), transaction.atomic():
            enrollment_cancel(enrollment=seated[0])
            raise RuntimeError("rolled back")

        assert not Notification.objects.filter(recipient=queue[0].student).exists()
        queue[0].refresh_from_db()
        assert queue[0].status == WaitlistStatus.WAITING


def test_joined_at_breaks_position_ties(batch):
    """Entries with the same position (e.g. written by hand) are served by when they joined."""
    late = WaitlistEntry.objects.create(
        batch=batch, student=StudentFactory(email="late@example.com"), position=1
    )
    early = WaitlistEntry.objects.create(
        batch=batch,
        student=StudentFactory(email="early@example.com"),
        position=1,
        created_at=late.created_at - dt.timedelta(minutes=5),
    )
    seated = Enrollment.objects.filter(batch=batch).first()

    enrollment_cancel(enrollment=seated)

    early.refresh_from_db()
    assert early.status == WaitlistStatus.PROMOTED
