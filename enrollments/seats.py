"""The seat primitives every enrollment write is built from: the bottom of the write path.

The rule: ``Batch.enrolled_students`` always equals the batch's number of active enrollments
and never exceeds its capacity. A service that takes a seat locks the batch row first
(``lock_batches`` / ``lock_batch_to_enroll``), re-reads it, checks (``check_seat``), then writes
the enrollment (``enroll`` / ``save_enrollment``) and the counter with ``F()`` (``take_seat``,
``free_seat``) in one transaction. Batches are always locked in primary-key order, after the
enrollment row, so two services can never wait on each other in a cycle (README, "Rules the
system keeps").

Nothing here opens a transaction: the services in ``enrollments.services`` do, and call these
inside it. This module imports no other write module of the app.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError
from django.db.models import Exists, F, OuterRef, UniqueConstraint
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from allocation.models import Batch, Course
from core.errors import DomainError, full_clean_or_refuse
from webhooks.services import event_emit

from . import notices
from .clashes import refuse_student_clash
from .models import Enrollment, EnrollmentStatus

MSG_FULL = gettext_noop("Batch has reached maximum capacity")
MSG_ALREADY_ENROLLED = gettext_noop("Student already has an active enrollment in this course")
# The code of a refusal naming a course or batch id that has no row.
NOT_FOUND = "not_found"
# Access to course material lasts this long after a batch ends, as in the original examples.
ACCESS_AFTER_BATCH_END = dt.timedelta(days=30)


@dataclass(frozen=True)
class Payment:
    amount: Decimal | None = None
    currency: str = ""
    payment_method: str = ""
    payment_status: str = ""
    transaction_id: str = ""


# --- locks -----------------------------------------------------------------------------------

# How often a batch lock query is run before a missing row counts as gone. The lock queries
# join the batch's course and instructor. When a batch row was changed by a transaction we
# waited for, PostgreSQL (READ COMMITTED) re-checks the query against the row's new version
# but with the joined rows it read before waiting: a new instructor no longer matches the old
# one, and the batch drops out of the result although it exists. The next statement reads
# the committed rows and matches again.
_LOCK_READS = 3


def _lock_rows(query, count: int) -> list | None:
    """Run the locking ``query`` until it returns ``count`` rows (see ``_LOCK_READS``);
    None when it never does."""
    for _ in range(_LOCK_READS):
        rows = list(query.all())  # .all(): a new statement each time, not a cached result
        if len(rows) == count:
            return rows
    return None


def lock_batches(*batches: Batch) -> dict[int, Batch]:
    """Lock the given batch rows in primary-key order and return fresh copies by pk."""
    pks = sorted({b.pk for b in batches})
    locked = _lock_rows(
        Batch.objects.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .order_by("pk")
        # The instructor too: the notices name them, and this saves a query under the lock.
        .select_related("course", "assigned_instructor"),
        len(pks),
    )
    if locked is None:
        raise DomainError(gettext("This batch no longer exists"))
    return {b.pk: b for b in locked}


def lock_batch_to_enroll(batch_id: int, *, student: User) -> Batch:
    """Lock one batch row to take a seat in it, and read in the same query what the seat
    checks and the welcome need: the fresh row, its course and instructor, and whether
    ``student`` already has an active enrollment in the batch's course
    (``student_already_active``; a "yes" may predate waiting for the lock, see
    ``refuse_second_active``). Refuses an id of no batch (code ``not_found``).
    """
    already_active = Enrollment.objects.filter(
        student=student, course=OuterRef("course_id"), status=EnrollmentStatus.ACTIVE
    )
    locked = _lock_rows(
        Batch.objects.select_for_update(of=("self",))
        .select_related("course", "assigned_instructor")
        .annotate(student_already_active=Exists(already_active))
        .filter(pk=batch_id),
        1,
    )
    if locked is None:
        raise DomainError(gettext("This batch no longer exists"), field="batch", code=NOT_FOUND)
    return locked[0]


# --- seats -----------------------------------------------------------------------------------


def check_seat(batch: Batch, course: Course) -> None:
    """Refuse a seat in a batch of another course, a closed batch or a full one.

    ``batch`` must be a locked, freshly read row.
    """
    if batch.course_id != course.pk:
        raise DomainError(
            gettext("Batch %(batch_code)s belongs to course %(course_code)s, not %(course_code2)s")
            % {
                "batch_code": batch.batch_code,
                "course_code": batch.course.code,
                "course_code2": course.code,
            },
            field="batch",
        )
    if not batch.is_open:
        raise DomainError(
            gettext("Batch %(batch_code)s is %(status)s and no longer accepts students")
            % {"batch_code": batch.batch_code, "status": batch.status},
            field="batch",
        )
    if batch.enrolled_students >= batch.capacity:
        raise DomainError(MSG_FULL, field="batch", code="full")


def take_seat(batch: Batch) -> None:
    """Take a seat of ``batch`` (locked and freshly read by the caller); the last seat makes
    a ``batch.full`` webhook event."""
    Batch.objects.filter(pk=batch.pk).update(enrolled_students=F("enrolled_students") + 1)
    if batch.enrolled_students + 1 >= batch.capacity:
        event_emit(
            type="batch.full",
            data={"batch": batch.pk, "course": batch.course_id, "capacity": batch.capacity},
        )


def free_seat(batch_id: int) -> None:
    # Freeing a seat never makes anything less available, so it needs no check (pretix's
    # rule); the UPDATE itself row-locks the batch until commit.
    Batch.objects.filter(pk=batch_id).update(enrolled_students=F("enrolled_students") - 1)


def enrollment_event_data(enrollment: Enrollment) -> dict:
    return {
        "enrollment": enrollment.pk,
        "student": enrollment.student_id,
        "course": enrollment.course_id,
        "batch": enrollment.batch_id,
    }


def access_expiry(batch: Batch) -> dt.datetime:
    """When access to the course material of ``batch`` ends: ``ACCESS_AFTER_BATCH_END`` after
    its last day."""
    return timezone.make_aware(
        dt.datetime.combine(batch.end_date + ACCESS_AFTER_BATCH_END, dt.time.min)
    )


# --- refusals --------------------------------------------------------------------------------


def refuse_second_active(
    student: User,
    course: Course,
    *,
    exclude_pk: int | None = None,
    already_active: bool | None = None,
) -> None:
    """Refuse a second active enrollment of ``student`` in ``course``. ``already_active`` is
    the answer when the caller has already read it (with its batch lock); otherwise a query
    asks. The partial unique index is the backstop for a concurrent enrollment either way."""
    # An answer read with the batch lock may date from before waiting for that lock: there,
    # PostgreSQL re-reads the locked row but not the subquery. A stale "no" is safe (the
    # unique index refuses a second active enrollment), a stale "yes" is not (the enrollment
    # may have ended while we waited), so a "yes" is asked again.
    if already_active is not False:
        others = Enrollment.objects.filter(student=student, course=course, status="active")
        if exclude_pk:
            others = others.exclude(pk=exclude_pk)
        already_active = others.exists()
    if already_active:
        raise DomainError(MSG_ALREADY_ENROLLED, code="duplicate")


def refuse_non_learner(student: User) -> None:
    if not student.is_learner:
        raise DomainError(
            gettext("Only a user with the student role can be enrolled"), field="student"
        )


# --- the insert ------------------------------------------------------------------------------

# How each database names the one-active-enrollment index in its IntegrityError: PostgreSQL
# by the constraint's name, SQLite by the table's columns (the only unique index on them).
_TABLE = Enrollment._meta.db_table
(_ONE_ACTIVE,) = (
    c.name
    for c in Enrollment._meta.constraints
    if isinstance(c, UniqueConstraint) and set(c.fields) == {"student", "course"}
)
_DUPLICATE_ACTIVE_MARKS = (
    _ONE_ACTIVE,
    f"UNIQUE constraint failed: {_TABLE}.student_id, {_TABLE}.course_id",
)


def _is_duplicate_active(exc: IntegrityError) -> bool:
    """Whether ``exc`` is the one-active-enrollment index refusing an insert or update."""
    diag = getattr(exc.__cause__, "diag", None)  # psycopg names the constraint itself
    if diag is not None and diag.constraint_name:
        return diag.constraint_name == _ONE_ACTIVE
    return any(mark in str(exc) for mark in _DUPLICATE_ACTIVE_MARKS)


def save_enrollment(enrollment: Enrollment) -> None:
    """Validate and save ``enrollment``; a duplicate active enrollment refused by the partial
    unique index becomes the same refusal as the friendly check's."""
    # The student, course and batch are rows the caller has just read (the batch locked), so
    # full_clean's three "does it exist" queries are skipped; the foreign keys still hold.
    full_clean_or_refuse(
        enrollment, exclude=["student", "course", "batch"], validate_constraints=False
    )
    try:
        # No savepoint: a refusal rolls back the service's whole transaction (or savepoint,
        # when it is nested) anyway, and callers that go on after a refusal wrap the call in
        # their own savepoint. So the error is translated from the constraint it names, with
        # no query (the transaction is aborted after it on PostgreSQL).
        enrollment.save()
    except IntegrityError as exc:
        if _is_duplicate_active(exc):
            # A concurrent enrollment of the same student in the course, committed after
            # the friendly check: the partial unique index refused this one.
            raise DomainError(MSG_ALREADY_ENROLLED, code="duplicate") from exc
        raise


def enroll(
    *,
    student: User,
    course: Course,
    batch: Batch | None,
    enrollment_type: str,
    enrollment_source: str,
    payment: Payment | None = None,
    access_expiry_date: dt.datetime | None = None,
    welcome: bool = True,
    already_active: bool | None = None,
    allow_clash: bool = False,
) -> Enrollment:
    """Enroll in a ``batch`` that is already locked and freshly read (or None, individually):
    refuse a second active enrollment in the course, check the seat (in that order: a
    duplicate is a duplicate even in a full batch), insert the enrollment, take the seat with
    ``F()``.

    The body of ``enrollment_create``, shared with automatic placement, waitlist promotion and
    automatic batches, which lock their batches themselves. ``welcome=False`` leaves the
    notice to the caller (a promotion sends its own). ``already_active``: whether the student
    already has an active enrollment in the course, when the caller read it under the lock
    (``lock_batch_to_enroll``); None asks. A batch whose sessions clash with the student's
    other active enrollments is refused (``enrollments.clashes``, code ``clash``) unless
    ``allow_clash`` (an admin's deliberate override, written to the audit trail as the
    history row's change reason).
    """
    # The duplicate first: a student who already holds a seat in the course is told so, not
    # that the batch is full (and offered its waitlist, which would refuse them next).
    refuse_second_active(student, course, already_active=already_active)
    overridden = ""
    if batch is not None:
        check_seat(batch, course)
        # After the seat: a full batch is "full" (and offers its waitlist) whatever it clashes
        # with. Under the batch lock, so a clash check and the insert see the same batch.
        overridden = refuse_student_clash(student, batch, allow_clash=allow_clash)
        if access_expiry_date is None:
            access_expiry_date = access_expiry(batch)
    payment = payment or Payment()
    # full_clean below skips constraints, so without this the check constraint would surface
    # as an IntegrityError instead of a refusal.
    if payment.amount is not None and payment.amount < 0:
        raise DomainError(gettext("The payment amount cannot be negative"), field="payment_amount")
    enrollment = Enrollment(
        student=student,
        course=course,
        batch=batch,
        enrollment_type=enrollment_type,
        enrollment_source=enrollment_source,
        access_expiry_date=access_expiry_date,
        payment_amount=payment.amount,
        payment_currency=(payment.currency or "").upper(),
        payment_method=payment.payment_method,
        payment_status=payment.payment_status,
        transaction_id=payment.transaction_id,
    )
    if overridden:
        enrollment._change_reason = overridden[:100]
    save_enrollment(enrollment)
    event_emit(type="enrollment.created", data=enrollment_event_data(enrollment))
    if batch is not None:
        take_seat(batch)
    if welcome:
        notices.enrolled(enrollment)
    return enrollment
