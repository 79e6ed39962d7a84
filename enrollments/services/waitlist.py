"""Waitlists: who gets a seat when one frees.

When a batch is full a student may join its waitlist (``waitlist_join``). Its waiting entries
are served in order (``position``, then when they joined, then pk). Whenever a seat frees — a
cancellation or another status change leaving ``active`` (``enrollment_set_status``), a
transfer out (``enrollment_transfer``), a capacity raise (``allocation.signals.batch_seats_added``,
connected in ``apps.py``) — ``waitlist_promote`` enrolls the first waiting student in the same
transaction, through the same seat primitives as ``enrollment_create`` (``enrollments.seats``),
so the seat counter and every constraint hold. Entries whose student meanwhile got an active
enrollment in the course or is no longer an active student are skipped and marked removed;
the reason is the history row's change reason (``WaitlistEntry.history``). Completed and
Cancelled batches promote nobody.

A student whose other classes clash with the batch is skipped (``enrollments.clashes``):
taken off the waitlist with the clash as the reason, and told so (``waitlist_skipped``).

The promoted student gets one notification, ``waitlist_promoted`` (course, batch, schedule,
instructor): it replaces the welcome ``enrollment_create`` would send, so nobody hears twice.

Every write here locks the batch first, so the waitlist of a batch only changes under its batch
row lock. Lock order, as everywhere: enrollment → batches (pk) → waitlist entries (pk).

This module sits right above the seats: the services that free seats
(``enrollments.services.enrollment``), close batches (``lifecycle``) and create them
(``auto_batches``) build on it. The reads of the waitlist pages are in
``enrollments.selectors``.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from allocation.models import Batch
from core.errors import DomainError, full_clean_or_refuse
from enrollments import notices
from enrollments.models import (
    Enrollment,
    EnrollmentSource,
    EnrollmentType,
    WaitlistEntry,
    WaitlistStatus,
)
from enrollments.seats import enroll, lock_batches, refuse_non_learner, refuse_second_active
from enrollments.signals import waitlist_joined
from notifications.services import notify
from webhooks.services import event_emit

MSG_ALREADY_WAITING = gettext_noop("The student is already on this batch's waitlist")
MSG_NOT_WAITING = gettext_noop("This student is no longer waiting for this batch")

# simple_history's change reason column holds 100 characters.
REASON_MAX = 100


def waitlist_lock_waiting(batch_id: int) -> list[WaitlistEntry]:
    """Lock the batch's waiting entries in pk order; return them in serving order."""
    entries = list(
        WaitlistEntry.objects.select_for_update(of=("self",))
        .filter(batch_id=batch_id, status=WaitlistStatus.WAITING)
        .select_related("student")
        .order_by("pk")
    )
    entries.sort(key=lambda e: (e.position, e.created_at, e.pk))
    return entries


def waitlist_entry_resolve(
    entry: WaitlistEntry,
    status: str,
    *,
    reason: str,
    by: User | None = None,
    enrollment: Enrollment | None = None,
) -> None:
    """Close a waiting entry; ``reason`` and ``by`` go to its history row."""
    entry.status = status
    entry.resolved_at = timezone.now()
    entry.enrollment = enrollment
    entry._change_reason = reason[:REASON_MAX]
    if by is not None:
        entry._history_user = by
    entry.save(update_fields=["status", "resolved_at", "enrollment"])


@transaction.atomic
def waitlist_join(
    *,
    student: User,
    batch: Batch,
    enrollment_type: str = EnrollmentType.BATCH,
    enrollment_source: str = EnrollmentSource.WEBSITE,
) -> WaitlistEntry:
    """Put a student at the end of a full batch's waitlist and return the entry.

    Locks the batch row. Refuses: a user who is not a student, an individual enrollment, a
    student with an active enrollment in the course, a Completed/Cancelled batch, a batch with
    a free seat (enroll instead), a student already waiting for this batch.
    """
    refuse_non_learner(student)
    if enrollment_type == EnrollmentType.INDIVIDUAL:
        raise DomainError(
            gettext("An individual enrollment takes no batch seat, so it has no waitlist"),
            field="enrollment_type",
        )
    batch = lock_batches(batch)[batch.pk]
    # The duplicate first, as when enrolling (seats.enroll): "enroll instead" or "closed"
    # would send an enrolled student round in circles.
    refuse_second_active(student, batch.course)
    if not batch.is_open:
        raise DomainError(
            gettext("Batch %(batch_code)s is %(status)s and no longer accepts students")
            % {"batch_code": batch.batch_code, "status": batch.status},
            field="batch",
        )
    if batch.enrolled_students < batch.capacity:
        raise DomainError(
            gettext(
                "Batch %(batch_code)s has %(available_spots)s free seat(s): enroll the "
                "student instead"
            )
            % {"batch_code": batch.batch_code, "available_spots": batch.available_spots},
            field="batch",
            code="has_seats",
        )
    waiting = WaitlistEntry.objects.filter(batch=batch, status=WaitlistStatus.WAITING)
    if waiting.filter(student=student).exists():
        raise DomainError(MSG_ALREADY_WAITING, code="duplicate")
    last = waiting.aggregate(last=Max("position"))["last"] or 0
    entry = WaitlistEntry(
        batch=batch,
        student=student,
        position=last + 1,
        enrollment_type=enrollment_type,
        enrollment_source=enrollment_source,
    )
    full_clean_or_refuse(entry, validate_constraints=False)
    try:
        with transaction.atomic():  # a savepoint: the unique constraint is the backstop
            entry.save()
    except IntegrityError as exc:
        raise DomainError(MSG_ALREADY_WAITING, code="duplicate") from exc
    # A longer waitlist may call for a new batch (enrollments.services.auto_batches), checked
    # by a background task after commit: enrollments.tasks queues it on this signal.
    waitlist_joined.send(sender=WaitlistEntry, course=batch.course)
    return entry


def _lock_entry(entry: WaitlistEntry) -> tuple[Batch, list[WaitlistEntry], WaitlistEntry]:
    """Lock the entry's batch, then its waiting entries; refuse an entry no longer waiting."""
    batch = lock_batches(Batch(pk=entry.batch_id))[entry.batch_id]
    waiting = waitlist_lock_waiting(batch.pk)
    current = next((e for e in waiting if e.pk == entry.pk), None)
    if current is None:
        raise DomainError(MSG_NOT_WAITING)
    return batch, waiting, current


@transaction.atomic
def waitlist_remove(
    *, entry: WaitlistEntry, by: User | None = None, reason: str = gettext("Removed by an admin")
) -> WaitlistEntry:
    """Take a student off a waitlist; the entry is kept as history (``removed``, with
    ``reason`` and ``by``).

    Locks the batch row, then its waiting entries. Refuses an entry that is no longer waiting.
    """
    _, _, current = _lock_entry(entry)
    waitlist_entry_resolve(current, WaitlistStatus.REMOVED, reason=reason, by=by)
    return current


@transaction.atomic
def waitlist_move(
    *, entry: WaitlistEntry, position: int | None = None, direction: str | None = None
) -> WaitlistEntry:
    """Move a waiting entry to ``position`` (1 = served first) or one place ``"up"`` or
    ``"down"``; the batch's waiting entries are then numbered 1, 2, … in their new order.

    Locks the batch row, then its waiting entries in pk order. Refuses: both or neither of
    ``position`` and ``direction``, an unknown direction, a position outside the list, a move
    that changes nothing, an entry that is no longer waiting.
    """
    if (position is None) == (direction is None):
        raise DomainError(gettext("Give either a position or a direction (up or down)"))
    if direction is not None and direction not in ("up", "down"):
        raise DomainError(
            gettext("Unknown direction %(direction)s: use up or down")
            % {"direction": repr(direction)},
            field="direction",
        )
    _, waiting, current = _lock_entry(entry)
    index = waiting.index(current)
    if direction is not None:
        target = index - 1 if direction == "up" else index + 1
        if not 0 <= target < len(waiting):
            edge = "first" if direction == "up" else "last"
            raise DomainError(
                gettext("%(student)s is already %(edge)s on the waitlist")
                % {"student": current.student, "edge": edge}
            )
    else:
        if not 1 <= position <= len(waiting):
            raise DomainError(
                gettext("The position must be between 1 and %(count)s") % {"count": len(waiting)},
                field="position",
            )
        target = position - 1
        if target == index:
            raise DomainError(
                gettext("%(student)s is already number %(position)s")
                % {"student": current.student, "position": position}
            )
    waiting.insert(target, waiting.pop(index))
    for number, waiting_entry in enumerate(waiting, start=1):
        if waiting_entry.position != number:
            waiting_entry.position = number
            waiting_entry._change_reason = "Waitlist reordered"
            waiting_entry.save(update_fields=["position"])
    return current


@transaction.atomic
def waitlist_reorder(*, batch: Batch, order: list[int]) -> list[WaitlistEntry]:
    """Put a batch's waiting entries in the order ``order`` gives (entry ids, first served
    first) and number them 1, 2, …; return them in their new order.

    Locks the batch row, then its waiting entries in pk order. Refuses an order that does not
    name every waiting entry of the batch exactly once (entries joined or served meanwhile make
    the caller's list stale).
    """
    lock_batches(Batch(pk=batch.pk))
    waiting = waitlist_lock_waiting(batch.pk)
    by_id = {entry.pk: entry for entry in waiting}
    if len(order) != len(set(order)) or set(order) != set(by_id):
        raise DomainError(
            gettext("The order must name every waiting entry of this batch once: %(waiting)s")
            % {"waiting": ", ".join(str(pk) for pk in sorted(by_id)) or "none are waiting"},
            field="order",
        )
    entries = [by_id[pk] for pk in order]
    for number, entry in enumerate(entries, start=1):
        if entry.position != number:
            entry.position = number
            entry._change_reason = "Waitlist reordered"
            entry.save(update_fields=["position"])
    return entries


def _stale_reason(entry: WaitlistEntry) -> str | None:
    """Why a waiting student can no longer be enrolled, or None."""
    student = entry.student
    if not student.is_active:
        return "the student's account is deactivated"
    if not student.is_learner:
        return "the user no longer has the student role"
    return None


@transaction.atomic
def waitlist_promote(*, batch_id: int, seats: int | None = None) -> list[WaitlistEntry]:
    """Fill the batch's free seats (at most ``seats``) from its waitlist, first come first.

    For the services that free or add seats, inside their transaction, with the batch row
    already locked: it is locked again (a no-op) and re-read, then its waiting entries are
    locked in pk order. Each promotion enrolls through ``enrollments.seats.enroll`` in a
    savepoint; an entry that cannot be enrolled (already active in the course, deactivated,
    no longer a student, a batch that clashes with the student's other classes) is marked
    removed with the reason in its history, and the next one is tried. A student skipped for
    a clash is told why (``waitlist_skipped``), as they could not otherwise know. A Completed
    or Cancelled batch promotes nobody. Returns the promoted entries.
    """
    batch = lock_batches(Batch(pk=batch_id))[batch_id]
    if not batch.is_open:
        return []
    free = batch.capacity - batch.enrolled_students
    if seats is not None:
        free = min(free, seats)
    if free <= 0:
        return []
    promoted: list[WaitlistEntry] = []
    for entry in waitlist_lock_waiting(batch_id):
        if len(promoted) == free:
            break
        reason = _stale_reason(entry)
        if reason is None:
            try:
                with transaction.atomic():  # a refusal undoes this promotion only
                    enrollment = enroll(
                        student=entry.student,
                        course=batch.course,
                        batch=batch,
                        enrollment_type=entry.enrollment_type,
                        enrollment_source=entry.enrollment_source,
                        welcome=False,
                    )
            except DomainError as exc:
                reason = exc.message
                if exc.code == "clash":
                    _notify_skipped(entry, batch, exc.message)
            else:
                # take_seat wrote the counter with F(); keep this copy true for the
                # seat check of the next promotion.
                batch.enrolled_students += 1
                waitlist_entry_resolve(
                    entry,
                    WaitlistStatus.PROMOTED,
                    reason=gettext("Enrolled from the waitlist"),
                    enrollment=enrollment,
                )
                _notify_promoted(enrollment)
                event_emit(
                    type="waitlist.promoted",
                    data={
                        "waitlist_entry": entry.pk,
                        "enrollment": enrollment.pk,
                        "student": enrollment.student_id,
                        "batch": enrollment.batch_id,
                    },
                )
                promoted.append(entry)
                continue
        waitlist_entry_resolve(
            entry,
            WaitlistStatus.REMOVED,
            reason=gettext("Skipped when a seat freed: %(reason)s") % {"reason": reason},
        )
    return promoted


def _notify_skipped(entry: WaitlistEntry, batch: Batch, reason: str) -> None:
    """A seat freed, but the student's schedule clashes with the batch: they were passed over
    and taken off its waitlist."""
    notify(
        recipients=[entry.student],
        event="waitlist_skipped",
        context={"batch": batch, "course": batch.course, "reason": reason},
        url=reverse("student:schedule"),
    )


def _notify_promoted(enrollment: Enrollment) -> None:
    """Instead of the welcome: the seat came from the waitlist, with the batch's schedule."""
    notify(
        recipients=[enrollment.student],
        event="waitlist_promoted",
        context={"enrollment": enrollment, **notices.batch_context(enrollment.batch)},
        url=reverse("student:schedule"),
    )
