"""Automatic batch creation: when it creates a batch (need), what the batch looks like, who
teaches it, which waiting students move in, and that two runs for one need create one batch
(PostgreSQL, real threads)."""

import datetime as dt
import logging

import pytest
from django.core import mail

from accounts.services import SYSTEM_EMAIL
from accounts.tests.factories import StudentFactory
from allocation.models import Batch, BatchStatus, BatchTemplate, RosterRole, StaffRole
from allocation.tests.factories import CourseFactory, CourseTrainerFactory, StaffedBatchFactory
from core.errors import DomainError
from core.testing import race
from enrollments.models import Enrollment, WaitlistEntry, WaitlistStatus
from enrollments.services import enrollment_create
from enrollments.services.auto_batches import (
    auto_batch_need,
    batch_auto_create,
)
from enrollments.services.waitlist import waitlist_join
from trainers.services import trainer_profile_for

TODAY = dt.date(2026, 11, 23)


def make_course(*, capacity=2, waiting=2, threshold=5, auto_create=True, template_capacity=3):
    """A course with one full batch of ``capacity`` and ``waiting`` students on its
    waitlist, a lead on the roster free in the evenings, and a batch template."""
    course = CourseFactory()
    lead = CourseTrainerFactory(course=course, role=RosterRole.LEAD, workload_percent=100)
    full = StaffedBatchFactory(
        course=course,
        assigned_instructor=lead.trainer,
        capacity=capacity,
        status=BatchStatus.ACTIVE,
        start_date=TODAY - dt.timedelta(days=30),
        end_date=TODAY + dt.timedelta(days=60),
    )
    for student in StudentFactory.create_batch(capacity):
        enrollment_create(student=student, course=course, batch=full)
    waiting_students = StudentFactory.create_batch(waiting)
    for student in waiting_students:
        waitlist_join(student=student, batch=full)
    template = BatchTemplate.objects.create(
        course=course,
        capacity=template_capacity,
        schedule=[{"day": 2, "start": "18:00", "end": "20:00"}],
        duration_weeks=10,
        start_after_days=7,
        auto_create=auto_create,
        waitlist_threshold=threshold,
    )
    return course, lead.trainer, full, waiting_students, template


@pytest.mark.django_db
class TestNeed:
    def test_off_unless_the_template_says_so(self):
        course, *_ = make_course(auto_create=False)
        assert auto_batch_need(course) is None
        assert batch_auto_create(course=course, today=TODAY) is None
        assert Batch.objects.filter(course=course).count() == 1

    def test_no_template_no_need(self):
        course = CourseFactory()
        assert auto_batch_need(course) is None

    def test_all_full_and_students_waiting(self):
        course, *_ = make_course(waiting=1, threshold=5)
        need = auto_batch_need(course)
        assert need is not None
        assert (need.waiting, need.free_seats) == (1, 0)
        assert need.reason == "every open batch is full and 1 student(s) are waiting"

    def test_free_seats_elsewhere_but_waitlist_at_threshold(self):
        course, trainer, full, _, _ = make_course(waiting=3, threshold=3)
        StaffedBatchFactory(course=course, assigned_instructor=trainer, capacity=5)
        need = auto_batch_need(course)
        assert need is not None and need.free_seats == 5
        assert "3 students are waiting (the threshold is 3)" in need.reason

    def test_free_seats_elsewhere_and_waitlist_below_threshold(self):
        course, trainer, *_ = make_course(waiting=2, threshold=3)
        StaffedBatchFactory(course=course, assigned_instructor=trainer, capacity=5)
        assert auto_batch_need(course) is None

    def test_nobody_waiting_no_need(self):
        course, *_ = make_course(waiting=0)
        assert auto_batch_need(course) is None


@pytest.mark.django_db
def test_creates_an_upcoming_batch_from_the_template_and_moves_the_waiting_in(
    django_capture_on_commit_callbacks,
):
    course, trainer, full, waiting_students, template = make_course(waiting=4, template_capacity=3)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_auto_create(course=course, today=TODAY)

    assert batch is not None
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UPCOMING
    assert batch.start_date == TODAY + dt.timedelta(days=7)
    assert batch.end_date == batch.start_date + dt.timedelta(weeks=10, days=-1)
    assert batch.capacity == 3
    assert batch.assigned_instructor == trainer
    assert batch.created_by.email == SYSTEM_EMAIL
    assert not batch.created_by.is_active
    assert batch.batch_code.startswith(f"{course.code}-")
    assert "every open batch is full and 4 student(s) are waiting" in batch.batch_notes
    assert [(s.day, s.start_time, s.end_time) for s in batch.schedule.all()] == [
        (2, dt.time(18), dt.time(20))
    ]
    assert batch.staff.get(ended_at__isnull=True).role == StaffRole.PRIMARY
    # The three who waited longest move in; the fourth keeps waiting.
    moved = set(
        Enrollment.objects.filter(batch=batch, status="active").values_list("student", flat=True)
    )
    assert moved == {s.pk for s in waiting_students[:3]}
    assert batch.enrolled_students == 3
    entries = {e.student_id: e for e in WaitlistEntry.objects.filter(batch=full)}
    assert [entries[s.pk].status for s in waiting_students] == [
        WaitlistStatus.PROMOTED,
        WaitlistStatus.PROMOTED,
        WaitlistStatus.PROMOTED,
        WaitlistStatus.WAITING,
    ]
    # Each moved student hears about their seat; the trainer about the new batch.
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([s.email for s in waiting_students[:3]] + [trainer.email])


@pytest.mark.django_db
def test_a_second_run_for_the_same_need_creates_nothing():
    course, *_ = make_course(waiting=2, template_capacity=3)
    assert batch_auto_create(course=course, today=TODAY) is not None
    assert batch_auto_create(course=course, today=TODAY) is None
    assert Batch.objects.filter(course=course).count() == 2


@pytest.mark.django_db
def test_no_trainer_may_teach_it_creates_nothing_and_logs_why(caplog):
    course, trainer, *_ = make_course()
    profile = trainer_profile_for(trainer)
    profile.status = "inactive"
    profile.save()
    with caplog.at_level(logging.WARNING, logger="enrollments.auto_batches"):
        assert batch_auto_create(course=course, today=TODAY) is None
    assert Batch.objects.filter(course=course).count() == 1
    assert f"No automatic batch for {course.code}" in caplog.text


@pytest.mark.django_db
def test_a_broken_template_schedule_is_refused_clearly():
    course, *_, template = make_course()
    template.schedule = [{"day": 2, "start": "20:00", "end": "18:00"}]
    template.save()
    with pytest.raises(DomainError):
        batch_auto_create(course=course, today=TODAY)
    assert Batch.objects.filter(course=course).count() == 1


@pytest.mark.django_db
def test_joining_a_waitlist_queues_the_check_after_commit(django_capture_on_commit_callbacks):
    course, trainer, full, _, template = make_course(waiting=0)
    student = StudentFactory()

    with django_capture_on_commit_callbacks(execute=True):
        waitlist_join(student=student, batch=full)

    new = Batch.objects.filter(course=course).exclude(pk=full.pk).get()
    assert Enrollment.objects.get(student=student, status="active").batch == new


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_for_one_need_create_one_batch():
    course, *_ = make_course(waiting=3, template_capacity=5)

    outcomes = race(batch_auto_create, [{"course": course, "today": TODAY}] * 6)

    assert [o.error for o in outcomes if o.error] == []
    created = [o.value for o in outcomes if o.value is not None]
    assert len(created) == 1
    assert Batch.objects.filter(course=course).count() == 2
    assert created[0].enrollments.filter(status="active").count() == 3
    assert not WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).exists()
