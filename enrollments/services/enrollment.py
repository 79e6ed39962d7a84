"""Every write to one student's enrollment: enroll, change its status, cancel, transfer.

Built on the seat primitives (``enrollments.seats``): each service that takes a seat locks
the batch row first, re-reads it, checks, then writes the enrollment and the counter (with
``F()``) in one transaction. Lock order is always enrollment row first, then batch rows in
primary-key order, so two services can never wait on each other in a cycle. A seat freed here
goes to the batch's waitlist at once (``enrollments.services.waitlist.waitlist_promote``).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from allocation.models import Batch, Course
from core.errors import DomainError, full_clean_or_refuse
from enrollments import notices
from enrollments.clashes import refuse_student_clash
from enrollments.models import Enrollment, EnrollmentSource, EnrollmentStatus, EnrollmentType
from enrollments.seats import (
    NOT_FOUND,
    Payment,
    access_expiry,
    check_seat,
    enroll,
    enrollment_event_data,
    free_seat,
    lock_batch_to_enroll,
    lock_batches,
    refuse_non_learner,
    refuse_second_active,
    save_enrollment,
    take_seat,
)
from enrollments.services.waitlist import waitlist_promote
from webhooks.services import event_emit


def _course_for(course: Course | int | None, batch: Batch | None) -> Course:
    """The course row an enrollment names: ``course`` itself when it is a row; the batch's
    course, read with the locked batch, when ``course`` is its id or None; otherwise the
    course read by id (to refuse it as another course's, or as no course at all)."""
    if isinstance(course, Course):
        return course
    if batch is not None and course in (None, batch.course_id):
        return batch.course
    if course is None:
        raise DomainError(gettext("Choose a course"), field="course")
    found = Course.objects.filter(pk=course).first()
    if found is None:
        raise DomainError(gettext("This course no longer exists"), field="course", code=NOT_FOUND)
    return found


def _lock_enrollment(enrollment: Enrollment) -> Enrollment:
    try:
        return Enrollment.objects.select_for_update(of=("self",)).get(pk=enrollment.pk)
    except Enrollment.DoesNotExist:
        raise DomainError(gettext("This enrollment no longer exists")) from None


def _seat_freed(batch_id: int) -> None:
    """A seat of the batch became free in this transaction (its row is locked): the first
    waiting student of its waitlist gets it, in the same transaction."""
    waitlist_promote(batch_id=batch_id)


@transaction.atomic
def enrollment_create(
    *,
    student: User,
    course: Course | int | None = None,
    batch: Batch | int | None = None,
    enrollment_type: str | None = None,
    enrollment_source: str = EnrollmentSource.WEBSITE,
    payment: Payment | None = None,
    access_expiry_date: dt.datetime | None = None,
    allow_clash: bool = False,
) -> Enrollment:
    """Enroll a student in a course: in ``batch``, or individually when it is None.

    ``course`` and ``batch`` are rows or ids; ``course`` may be left out with a batch (the
    batch's course). Locks the batch row and reads it fresh (only its id is used) with its
    course, its instructor and the student's active enrollment in the course, in one query;
    reads the course only when it is not the batch's. Then inserts the enrollment and
    increments the counter with ``F()`` — all or nothing. Refuses: an id of no batch or
    course (code ``not_found``, before anything else), a user who is not a student, a batch
    of another course, a second active enrollment in the same course (before the seat checks,
    so a duplicate is never told the batch is full), a Completed/Cancelled batch, a full batch
    ("Batch has reached maximum capacity"), a batch whose sessions clash with the student's
    other active enrollments (``enrollments.clashes``; ``allow_clash`` is an admin's
    deliberate override, kept in the audit trail), a type that contradicts the batch. (A
    batch enrollment without a batch is ``enrollments.services.placement.enrollment_place``'s
    job.)
    """
    already_active = None
    if batch is not None:
        batch_id = batch.pk if isinstance(batch, Batch) else batch
        batch = lock_batch_to_enroll(batch_id, student=student)
        already_active = batch.student_already_active
    course = _course_for(course, batch)
    refuse_non_learner(student)
    enrollment_type = enrollment_type or (
        EnrollmentType.BATCH if batch else EnrollmentType.INDIVIDUAL
    )
    if enrollment_type == EnrollmentType.INDIVIDUAL and batch is not None:
        raise DomainError(gettext("An individual enrollment cannot name a batch"), field="batch")
    if enrollment_type == EnrollmentType.BATCH and batch is None:
        raise DomainError(gettext("A batch enrollment needs a batch"), field="batch")
    return enroll(
        student=student,
        course=course,
        batch=batch,
        enrollment_type=enrollment_type,
        enrollment_source=enrollment_source,
        payment=payment,
        access_expiry_date=access_expiry_date,
        already_active=already_active,
        allow_clash=allow_clash,
    )


@transaction.atomic
def enrollment_set_status(*, enrollment: Enrollment, status: str) -> Enrollment:
    """Move an enrollment to another status, keeping the batch's seat count true.

    Locks the enrollment row, then (when a seat is taken) its batch row. Leaving ``active``
    frees the seat; returning to ``active`` takes one and is refused like a new enrollment
    (closed or full batch, another active enrollment in the course). Refuses an unknown status
    and a change to the status it already has.
    """
    if status not in EnrollmentStatus.values:
        raise DomainError(
            gettext("Unknown enrollment status %(status)s") % {"status": repr(status)},
            field="status",
        )
    enrollment = _lock_enrollment(enrollment)
    if enrollment.status == status:
        raise DomainError(
            gettext("The enrollment is already %(status)s")
            % {"status": enrollment.get_status_display().lower()}
        )
    becomes_active = status == EnrollmentStatus.ACTIVE
    if becomes_active:
        if enrollment.batch_id:
            batch = lock_batches(enrollment.batch)[enrollment.batch_id]
        # The duplicate before the seat, as in seats.enroll.
        refuse_second_active(enrollment.student, enrollment.course, exclude_pk=enrollment.pk)
        if enrollment.batch_id:
            check_seat(batch, enrollment.course)
            refuse_student_clash(enrollment.student, batch)
    was_active = enrollment.is_active
    enrollment.status = status
    enrollment.status_changed_at = timezone.now()
    save_enrollment(enrollment)
    if enrollment.batch_id and becomes_active:
        take_seat(enrollment.batch)
    elif enrollment.batch_id and was_active:
        free_seat(enrollment.batch_id)
        _seat_freed(enrollment.batch_id)
    if status == EnrollmentStatus.CANCELLED:
        notices.cancelled(enrollment)
        event_emit(type="enrollment.cancelled", data=enrollment_event_data(enrollment))
    return enrollment


def enrollment_cancel(*, enrollment: Enrollment) -> Enrollment:
    """Cancel an active or on-hold enrollment, freeing its seat.

    Locks as ``enrollment_set_status``. Refuses an enrollment that is already cancelled,
    completed or expired.
    """
    with transaction.atomic():
        current = _lock_enrollment(enrollment)
        if current.status not in (EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD):
            raise DomainError(
                gettext(
                    "Only an active or on-hold enrollment can be cancelled; this one is %(status)s"
                )
                % {"status": current.get_status_display().lower()}
            )
        return enrollment_set_status(enrollment=current, status=EnrollmentStatus.CANCELLED)


@transaction.atomic
def enrollment_transfer(
    *, enrollment: Enrollment, to_batch: Batch, allow_clash: bool = False
) -> Enrollment:
    """Move an active batch enrollment to another batch of the same course.

    Locks the enrollment row, then both batch rows in primary-key order (so two transfers in
    opposite directions cannot deadlock). Refuses: an enrollment that is not active or not in
    a batch, the batch it is already in, a batch of another course, a closed or full batch.
    """
    enrollment = _lock_enrollment(enrollment)
    if not enrollment.is_active:
        raise DomainError(gettext("Only an active enrollment can be transferred"))
    if not enrollment.batch_id:
        raise DomainError(gettext("Only a batch enrollment can be transferred to another batch"))
    if enrollment.batch_id == to_batch.pk:
        raise DomainError(
            gettext("The student is already in batch %(batch_code)s")
            % {"batch_code": to_batch.batch_code},
            field="batch",
        )
    locked = lock_batches(enrollment.batch, to_batch)
    target = locked[to_batch.pk]
    check_seat(target, enrollment.course)
    overridden = refuse_student_clash(enrollment.student, target, allow_clash=allow_clash)
    from_batch = locked[enrollment.batch_id]
    enrollment.batch = target
    if overridden:
        enrollment._change_reason = overridden[:100]
    enrollment.access_expiry_date = access_expiry(target)
    save_enrollment(enrollment)
    free_seat(from_batch.pk)
    take_seat(target)
    _seat_freed(from_batch.pk)
    notices.transferred(enrollment, from_batch)
    event_emit(
        type="enrollment.transferred",
        data={**enrollment_event_data(enrollment), "from_batch": from_batch.pk},
    )
    return enrollment


@transaction.atomic
def enrollment_update(
    *,
    enrollment: Enrollment,
    to_batch: Batch | None = None,
    status: str | None = None,
    payment: Payment | None = None,
    access_expiry_date: dt.datetime | None = None,
    enrollment_type: str | None = None,
    allow_clash: bool = False,
) -> Enrollment:
    """Change an enrollment's batch (``enrollment_transfer``), then its status
    (``enrollment_set_status``), then its details (``enrollment_details_update``): all or
    none. Locks and refuses as those do."""
    if to_batch is not None:
        enrollment = enrollment_transfer(
            enrollment=enrollment, to_batch=to_batch, allow_clash=allow_clash
        )
    if status is not None:
        enrollment = enrollment_set_status(enrollment=enrollment, status=status)
    if payment is not None or access_expiry_date is not None or enrollment_type is not None:
        enrollment = enrollment_details_update(
            enrollment=enrollment,
            payment=payment,
            access_expiry_date=access_expiry_date,
            enrollment_type=enrollment_type,
        )
    return enrollment


@transaction.atomic
def enrollment_details_update(
    *,
    enrollment: Enrollment,
    payment: Payment | None = None,
    access_expiry_date: dt.datetime | None = None,
    enrollment_type: str | None = None,
) -> Enrollment:
    """Change an enrollment's payment details, access expiry or type (an admin's correction).

    Locks the enrollment row. Refuses what the model's constraints refuse: a negative amount,
    an unknown payment status, a "batch" type without a batch or an "individual" type with one.
    """
    enrollment = _lock_enrollment(enrollment)
    fields: list[str] = []
    if payment is not None:
        enrollment.payment_amount = payment.amount
        enrollment.payment_currency = payment.currency
        enrollment.payment_method = payment.payment_method
        enrollment.payment_status = payment.payment_status
        enrollment.transaction_id = payment.transaction_id
        fields += [
            "payment_amount",
            "payment_currency",
            "payment_method",
            "payment_status",
            "transaction_id",
        ]
    if access_expiry_date is not None:
        enrollment.access_expiry_date = access_expiry_date
        fields.append("access_expiry_date")
    if enrollment_type is not None:
        enrollment.enrollment_type = enrollment_type
        fields.append("enrollment_type")
    if fields:
        full_clean_or_refuse(enrollment)
        enrollment.save(update_fields=[*fields, "updated_at"])
    return enrollment
