"""The batch lifecycle, driven by the calendar and run once a day (``advance_lifecycle``).

One run, as of a date ``today`` (and a moment ``now`` for access expiry):

- Upcoming batches whose start date has come become Active (``batch_started`` to their
  students and primary);
- Active batches whose end date has passed become Completed, and so do Upcoming ones that
  ended without ever starting; their active enrollments become completed
  (``batch_completed`` to those students and the primary);
- active and on-hold enrollments whose ``access_expiry_date`` is before ``now`` expire
  (``enrollment_expired`` to the student).

``lifecycle_plan`` says what a run would change, in three queries whatever the data (the
console's preview and ``--dry-run`` show it). ``lifecycle_advance`` applies it: each batch and
each expiring enrollment in its own transaction, so one refusal (a batch an admin changed
meanwhile) leaves the rest done. Every step re-reads under its lock and skips what is no
longer due, so a second run, or two runs at once, change nothing twice and notify nobody twice.

Lock order, as everywhere (see ``enrollments.seats``): a completing batch's enrollment rows
first, then the batch row. Completing enrollments frees seats of a Completed batch; the
counter stays true, and the batch is Completed before any seat frees, so its waitlist (which
only fills open batches) takes nobody.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from allocation.models import Batch, BatchStatus
from allocation.services import batch_advance_status
from core import dates
from core.errors import DomainError
from enrollments.models import Enrollment, EnrollmentStatus, WaitlistStatus
from enrollments.selectors import active_enrollment_count
from enrollments.services.enrollment import enrollment_set_status
from enrollments.services.waitlist import waitlist_entry_resolve, waitlist_lock_waiting
from enrollments.signals import lifecycle_ran
from notifications.services import notify
from webhooks.services import event_emit

logger = logging.getLogger(__name__)

# The enrollment statuses whose access runs out at access_expiry_date.
EXPIRING_STATUSES = (EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD)


def lifecycle_moment(today: dt.date | None = None) -> tuple[dt.date, dt.datetime]:
    """The date and moment a run is "as of": now, or the start of ``today`` when a date
    other than the current one is given (``advance_lifecycle --date``)."""
    current = dates.today()
    if today is None or today == current:
        return current, timezone.now()
    return today, timezone.make_aware(dt.datetime.combine(today, dt.time.min))


@dataclass
class LifecyclePlan:
    today: dt.date
    now: dt.datetime
    to_start: list[Batch]
    # Each batch carries ``active_count``: the active enrollments completing with it.
    to_complete: list[Batch]
    to_expire: list[Enrollment]

    @property
    def is_empty(self) -> bool:
        return not (self.to_start or self.to_complete or self.to_expire)

    @property
    def enrollments_to_complete(self) -> int:
        return sum(batch.active_count for batch in self.to_complete)


def lifecycle_plan(
    today: dt.date | None = None, *, now: dt.datetime | None = None
) -> LifecyclePlan:
    """What a run as of ``today`` would change. Three queries; changes nothing.

    An active enrollment of a batch that completes in the same run completes with it, so it
    is not listed to expire as well.
    """
    today, default_now = lifecycle_moment(today)
    now = now or default_now
    batches = Batch.objects.select_related("course", "assigned_instructor")
    to_start = list(
        batches.filter(
            status=BatchStatus.UPCOMING, start_date__lte=today, end_date__gte=today
        ).order_by("start_date", "pk")
    )
    to_complete = list(
        batches.filter(status__in=(BatchStatus.ACTIVE, BatchStatus.UPCOMING), end_date__lt=today)
        .annotate(active_count=active_enrollment_count())
        .order_by("end_date", "pk")
    )
    to_expire = list(
        Enrollment.objects.filter(status__in=EXPIRING_STATUSES, access_expiry_date__lt=now)
        .exclude(status=EnrollmentStatus.ACTIVE, batch_id__in=[b.pk for b in to_complete])
        .select_related("student", "course", "batch")
        .order_by("access_expiry_date", "pk")
    )
    return LifecyclePlan(
        today=today, now=now, to_start=to_start, to_complete=to_complete, to_expire=to_expire
    )


@dataclass
class LifecycleSummary:
    today: dt.date
    started: list[str] = field(default_factory=list)
    # (batch code, enrollments completed with it)
    completed: list[tuple[str, int]] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    # Steps another run did meanwhile: not errors, nothing left to do.
    already_done: int = 0
    failures: list[str] = field(default_factory=list)
    # What the apps listening to ``lifecycle_ran`` did (feedback's midpoint requests).
    other: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.started or self.completed or self.expired)

    @property
    def enrollments_completed(self) -> int:
        return sum(count for _, count in self.completed)

    def lines(self) -> list[str]:
        """The summary as the command prints it and the console shows it."""
        lines = [
            f"Batches started: {len(self.started)}"
            + (f" ({', '.join(self.started)})" if self.started else ""),
            f"Batches completed: {len(self.completed)}"
            + (
                f" ({', '.join(code for code, _ in self.completed)}), with "
                f"{self.enrollments_completed} enrollment(s) completed"
                if self.completed
                else ""
            ),
            f"Enrollments expired: {len(self.expired)}",
        ]
        if self.already_done:
            lines.append(
                gettext("Already done by another run: %(already_done)s")
                % {"already_done": self.already_done}
            )
        lines += self.other
        lines += [f"Failed: {failure}" for failure in self.failures]
        return lines


def _active_enrollments(batch: Batch):
    return Enrollment.objects.filter(batch_id=batch.pk, status=EnrollmentStatus.ACTIVE)


def _notify_batch(batch: Batch, event: str, students: list) -> None:
    """The batch's students (their schedule page) and its primary (their dashboard)."""
    context = {
        "batch": batch,
        "course": batch.course,
        "instructor": batch.assigned_instructor,
        "schedule": list(batch.schedule.order_by("day", "start_time")),
    }
    notify(
        recipients=students,
        event=event,
        context={**context, "for_instructor": False, "student_count": len(students)},
        url=reverse("student:schedule"),
    )
    notify(
        recipients=[batch.assigned_instructor],
        event=event,
        context={**context, "for_instructor": True, "student_count": len(students)},
        url=reverse("instructor:dashboard"),
    )


def _start(batch: Batch, today: dt.date) -> None:
    with transaction.atomic():
        batch = batch_advance_status(batch=batch, to_status=BatchStatus.ACTIVE, today=today)
        students = [e.student for e in _active_enrollments(batch).select_related("student")]
        _notify_batch(batch, "batch_started", students)
        event_emit(type="batch.started", data={"batch": batch.pk, "course": batch.course_id})


def _complete(batch: Batch, today: dt.date) -> int:
    """Complete the batch and its active enrollments; returns how many enrollments."""
    with transaction.atomic():
        # Enrollment rows before the batch row (the global lock order). Once the batch row is
        # locked nobody can add an active enrollment to it, so the re-read below is final.
        list(_active_enrollments(batch).select_for_update(of=("self",)).order_by("pk"))
        batch = batch_advance_status(batch=batch, to_status=BatchStatus.COMPLETED, today=today)
        enrollments = list(_active_enrollments(batch).select_related("student").order_by("pk"))
        for enrollment in enrollments:
            enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.COMPLETED)
        # A completed batch promotes nobody: its waitlist is closed rather than left waiting.
        for entry in waitlist_lock_waiting(batch.pk):
            waitlist_entry_resolve(
                entry, WaitlistStatus.REMOVED, reason=gettext("The batch completed")
            )
        _notify_batch(batch, "batch_completed", [e.student for e in enrollments])
        event_emit(type="batch.completed", data={"batch": batch.pk, "course": batch.course_id})
        return len(enrollments)


def _expire(enrollment: Enrollment, now: dt.datetime) -> bool:
    """Expire the enrollment if it is still due; False when another run got there first."""
    with transaction.atomic():
        current = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("student", "course", "batch")
            .filter(pk=enrollment.pk)
            .first()
        )
        if (
            current is None
            or current.status not in EXPIRING_STATUSES
            or current.access_expiry_date is None
            or current.access_expiry_date >= now
        ):
            return False
        current = enrollment_set_status(enrollment=current, status=EnrollmentStatus.EXPIRED)
        notify(
            recipients=[current.student],
            event="enrollment_expired",
            context={"enrollment": current, "course": current.course, "batch": current.batch},
            url=reverse("student:schedule"),
        )
        return True


def _describe(enrollment: Enrollment) -> str:
    where = enrollment.batch.batch_code if enrollment.batch_id else "individual"
    return f"{enrollment.student.email} in {enrollment.course.code} ({where})"


def lifecycle_advance(
    today: dt.date | None = None, *, now: dt.datetime | None = None
) -> LifecycleSummary:
    """Apply ``lifecycle_plan(today)``: start, complete, expire; returns what it changed.

    Each batch (with its enrollments) and each expiring enrollment is its own transaction;
    locks and refusals are those of ``batch_advance_status`` and ``enrollment_set_status``.
    A step that is no longer due is skipped (counted in ``already_done``); a refused or failed
    one is listed in ``failures`` and rolled back alone.
    """
    plan = lifecycle_plan(today, now=now)
    summary = LifecycleSummary(today=plan.today)

    def attempt(label: str, step) -> object | None:
        try:
            return step()
        except DomainError as exc:
            if exc.code == "already":
                summary.already_done += 1
            else:
                summary.failures.append(f"{label}: {exc.message}")
        except DatabaseError as exc:  # e.g. a counter that drifted: rolled back, reported
            logger.exception("Lifecycle step failed: %s", label)
            summary.failures.append(f"{label}: database error ({exc.__class__.__name__})")
        return None

    for batch in plan.to_start:
        if attempt(f"start {batch.batch_code}", lambda b=batch: _start(b, plan.today) or True):
            summary.started.append(batch.batch_code)
    for batch in plan.to_complete:
        count = attempt(f"complete {batch.batch_code}", lambda b=batch: _complete(b, plan.today))
        if count is not None:
            summary.completed.append((batch.batch_code, count))
    for enrollment in plan.to_expire:
        label = f"expire {_describe(enrollment)}"
        done = attempt(label, lambda e=enrollment: _expire(e, plan.now))
        if done:
            summary.expired.append(_describe(enrollment))
        elif done is False:
            summary.already_done += 1
    for _receiver, lines in lifecycle_ran.send(sender=LifecycleSummary, today=plan.today):
        summary.other.extend(lines or ())
    return summary
