"""Automatic batch creation: a new batch when a course's demand outgrows its batches.

Off unless the course's ``BatchTemplate.auto_create`` is on. There is a *need* when students
are waiting and either no open batch of the course has a free seat, or the course's waiting
students reach the template's ``waitlist_threshold``. Then ``batch_auto_create`` makes one
Upcoming batch from the template (capacity, weekly slots, length; it starts
``start_after_days`` from today), with the primary trainer the assignment solver chooses
(``allocation.assignment.best_trainer_for``), and moves the longest-waiting students in.

It runs as a background task queued when a student joins a waitlist
(``enrollments.tasks.auto_batch_check``), and can be called directly. Two runs for the same
need create one batch: the need is re-checked under the course row lock, after the first run
moved the waiting students.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils.translation import gettext

from accounts.services import system_user
from allocation.assignment import best_trainer_for
from allocation.models import OPEN_BATCH_STATUSES, Batch, BatchTemplate, Course
from allocation.services import batch_create, template_slots
from core import dates
from core.errors import DomainError
from enrollments import notices
from enrollments.models import WaitlistEntry, WaitlistStatus
from enrollments.seats import enroll, lock_batches
from enrollments.services.waitlist import waitlist_entry_resolve
from notifications.services import notify
from trainers.services import trainers_lock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchNeed:
    course: Course
    template: BatchTemplate
    waiting: int
    free_seats: int

    @property
    def reason(self) -> str:
        if self.free_seats == 0:
            return f"every open batch is full and {self.waiting} student(s) are waiting"
        return (
            f"{self.waiting} students are waiting (the threshold is "
            f"{self.template.waitlist_threshold})"
        )


def auto_batch_need(course: Course) -> BatchNeed | None:
    """The course's need for a new batch, or None (also when automatic creation is off)."""
    template = BatchTemplate.objects.filter(course=course, auto_create=True).first()
    if template is None:
        return None
    waiting = WaitlistEntry.objects.filter(
        batch__course=course,
        batch__status__in=OPEN_BATCH_STATUSES,
        status=WaitlistStatus.WAITING,
    ).count()
    if waiting == 0:
        return None
    free = (
        Batch.objects.open()
        .filter(course=course)
        .aggregate(free=Sum(F("capacity") - F("enrolled_students")))["free"]
        or 0
    )
    if free > 0 and waiting < template.waitlist_threshold:
        return None
    return BatchNeed(course=course, template=template, waiting=waiting, free_seats=free)


def template_dates(template: BatchTemplate, today: dt.date) -> tuple[dt.date, dt.date]:
    start = today + dt.timedelta(days=template.start_after_days)
    return start, start + dt.timedelta(weeks=template.duration_weeks) - dt.timedelta(days=1)


def _lock_course(course: Course) -> Course:
    return Course.objects.select_for_update(of=("self",)).get(pk=course.pk)


def _longest_waiting(course: Course, limit: int) -> list[WaitlistEntry]:
    """Lock the course's waiting entries (pk order), return the ``limit`` longest-waiting."""
    entries = list(
        WaitlistEntry.objects.select_for_update(of=("self",))
        .filter(
            batch__course=course,
            batch__status__in=OPEN_BATCH_STATUSES,
            status=WaitlistStatus.WAITING,
        )
        .select_related("student")
        .order_by("pk")
    )
    entries.sort(key=lambda e: (e.created_at, e.pk))
    return entries[:limit]


def batch_auto_create(*, course: Course, today: dt.date | None = None) -> Batch | None:
    """Create one batch for the course's need and move the longest-waiting students in.

    Returns the new batch, or None when there is no need (or automatic creation is off, or
    no trainer may teach it — logged as a warning). The trainer is chosen by the assignment
    solver without locks; then, in one transaction, their trainer profile and the course row
    are locked and the need is checked again, so a concurrent run for the same need finds it
    served and creates nothing. ``batch_create`` re-checks the trainer (status, leave, cap,
    conflicts) under those locks. Refuses (``DomainError``) a template whose slots are
    invalid.
    """
    need = auto_batch_need(course)
    if need is None:
        return None
    template = need.template
    slots = template_slots(template)
    start, end = template_dates(template, today or dates.today())
    choice = best_trainer_for(course=course, start_date=start, end_date=end, slots=slots)
    if choice.trainer is None:
        logger.warning("No automatic batch for %s: %s", course.code, choice.reason)
        return None
    with transaction.atomic():
        trainers_lock(choice.trainer)
        course = _lock_course(course)
        need = auto_batch_need(course)
        if need is None:
            return None
        number = Batch.objects.filter(course=course).count() + 1
        batch = batch_create(
            course=course,
            batch_name=f"{course.title} · batch {number}",
            start_date=start,
            end_date=end,
            capacity=template.capacity,
            assigned_instructor=choice.trainer,
            created_by=system_user(),
            schedule=slots,
            batch_notes=gettext("Created automatically because %(reason)s.")
            % {"reason": need.reason},
        )
        batch = lock_batches(batch)[batch.pk]
        for entry in _longest_waiting(course, template.capacity):
            try:
                with transaction.atomic():  # a refusal undoes this one move only
                    enrollment = enroll(
                        student=entry.student,
                        course=course,
                        batch=batch,
                        enrollment_type=entry.enrollment_type,
                        enrollment_source=entry.enrollment_source,
                        welcome=False,
                    )
            except DomainError as exc:
                if exc.code == "clash":
                    # The new batch clashes with the student's other classes: they keep
                    # waiting for the batch they chose.
                    continue
                waitlist_entry_resolve(
                    entry,
                    WaitlistStatus.REMOVED,
                    reason=gettext("Not moved to the new batch %(batch_code)s: %(message)s")
                    % {"batch_code": batch.batch_code, "message": exc.message},
                )
                continue
            batch.enrolled_students += 1
            waitlist_entry_resolve(
                entry,
                WaitlistStatus.PROMOTED,
                reason=gettext("Moved to the new batch %(batch_code)s")
                % {"batch_code": batch.batch_code},
                enrollment=enrollment,
            )
            _notify_moved(enrollment)
    logger.info("Created batch %s for %s: %s", batch.batch_code, course.code, need.reason)
    return batch


def _notify_moved(enrollment) -> None:
    notify(
        recipients=[enrollment.student],
        event="waitlist_new_batch",
        context={"enrollment": enrollment, **notices.batch_context(enrollment.batch)},
        url=reverse("student:schedule"),
    )


def auto_batch_enabled(course: Course) -> bool:
    """Whether the course creates batches automatically (its template says so)."""
    return BatchTemplate.objects.filter(course=course, auto_create=True).exists()
