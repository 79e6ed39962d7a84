"""Every write to enrollments, and the seat counter they keep on each batch.

The rule: ``Batch.enrolled_students`` always equals the batch's number of active enrollments
and never exceeds its capacity. Every service that takes a seat locks the batch row first,
re-reads it, checks, then writes the enrollment and the counter (with ``F()``) in one
transaction. Lock order is always enrollment row first, then batch rows in primary-key order,
so two services can never wait on each other in a cycle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, UniqueConstraint
from django.utils import timezone

from accounts.models import User
from allocation.models import Batch, Course
from core.errors import DomainError, full_clean_or_refuse

from . import notices
from .models import Enrollment, EnrollmentSource, EnrollmentStatus, EnrollmentType
from .selectors import active_enrollment_count

MSG_FULL = "Batch has reached maximum capacity"
MSG_ALREADY_ENROLLED = "Student already has an active enrollment in this course"
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


def _lock_batches(*batches: Batch) -> dict[int, Batch]:
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
        raise DomainError("This batch no longer exists")
    return {b.pk: b for b in locked}


def _lock_batch_to_enroll(batch_id: int, *, student: User) -> Batch:
    """Lock one batch row to take a seat in it, and read in the same query what the seat
    checks and the welcome need: the fresh row, its course and instructor, and whether
    ``student`` already has an active enrollment in the batch's course
    (``student_already_active``; a "yes" may predate waiting for the lock, see
    ``_refuse_second_active``). Refuses an id of no batch (code ``not_found``).
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
        raise DomainError("This batch no longer exists", field="batch", code=NOT_FOUND)
    return locked[0]


def _course_for(course: Course | int | None, batch: Batch | None) -> Course:
    """The course row an enrollment names: ``course`` itself when it is a row; the batch's
    course, read with the locked batch, when ``course`` is its id or None; otherwise the
    course read by id (to refuse it as another course's, or as no course at all)."""
    if isinstance(course, Course):
        return course
    if batch is not None and course in (None, batch.course_id):
        return batch.course
    if course is None:
        raise DomainError("Choose a course", field="course")
    found = Course.objects.filter(pk=course).first()
    if found is None:
        raise DomainError("This course no longer exists", field="course", code=NOT_FOUND)
    return found


def _lock_enrollment(enrollment: Enrollment) -> Enrollment:
    try:
        return Enrollment.objects.select_for_update(of=("self",)).get(pk=enrollment.pk)
    except Enrollment.DoesNotExist:
        raise DomainError("This enrollment no longer exists") from None


def _check_seat(batch: Batch, course: Course) -> None:
    """Refuse a seat in a batch of another course, a closed batch or a full one.

    ``batch`` must be a locked, freshly read row.
    """
    if batch.course_id != course.pk:
        raise DomainError(
            f"Batch {batch.batch_code} belongs to course {batch.course.code}, not {course.code}",
            field="batch",
        )
    if not batch.is_open:
        raise DomainError(
            f"Batch {batch.batch_code} is {batch.status} and no longer accepts students",
            field="batch",
        )
    if batch.enrolled_students >= batch.capacity:
        raise DomainError(MSG_FULL, field="batch", code="full")


def _take_seat(batch: Batch) -> None:
    Batch.objects.filter(pk=batch.pk).update(enrolled_students=F("enrolled_students") + 1)


def _free_seat(batch_id: int) -> None:
    # Freeing a seat never makes anything less available, so it needs no check (pretix's
    # rule); the UPDATE itself row-locks the batch until commit.
    Batch.objects.filter(pk=batch_id).update(enrolled_students=F("enrolled_students") - 1)


def _seat_freed(batch_id: int) -> None:
    """A seat of the batch became free in this transaction (its row is locked): the first
    waiting student of its waitlist gets it, in the same transaction."""
    from .waitlist import waitlist_promote  # the waitlist builds on the services here

    waitlist_promote(batch_id=batch_id)


def _refuse_second_active(
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


def _save_enrollment(enrollment: Enrollment) -> None:
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


def _refuse_non_learner(student: User) -> None:
    if not student.is_learner:
        raise DomainError("Only a user with the student role can be enrolled", field="student")


def _enroll(
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
) -> Enrollment:
    """The body of ``enrollment_create`` for a ``batch`` that is already locked and freshly
    read (or None): check the seat, insert the enrollment, take the seat with ``F()``.

    Shared with automatic placement and waitlist promotion, which lock their batches
    themselves. ``welcome=False`` leaves the notice to the caller (a promotion sends its own).
    ``already_active``: whether the student already has an active enrollment in the course,
    when the caller read it under the lock (``_lock_batch_to_enroll``); None asks.
    """
    if batch is not None:
        _check_seat(batch, course)
        if access_expiry_date is None:
            access_expiry_date = timezone.make_aware(
                dt.datetime.combine(batch.end_date + ACCESS_AFTER_BATCH_END, dt.time.min)
            )
    _refuse_second_active(student, course, already_active=already_active)
    payment = payment or Payment()
    # full_clean below skips constraints, so without this the check constraint would surface
    # as an IntegrityError instead of a refusal.
    if payment.amount is not None and payment.amount < 0:
        raise DomainError("The payment amount cannot be negative", field="payment_amount")
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
    _save_enrollment(enrollment)
    if batch is not None:
        _take_seat(batch)
    if welcome:
        notices.enrolled(enrollment)
    return enrollment


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
) -> Enrollment:
    """Enroll a student in a course: in ``batch``, or individually when it is None.

    ``course`` and ``batch`` are rows or ids; ``course`` may be left out with a batch (the
    batch's course). Locks the batch row and reads it fresh (only its id is used) with its
    course, its instructor and the student's active enrollment in the course, in one query;
    reads the course only when it is not the batch's. Then inserts the enrollment and
    increments the counter with ``F()`` — all or nothing. Refuses: an id of no batch or
    course (code ``not_found``, before anything else), a user who is not a student, a batch
    of another course, a Completed/Cancelled batch, a full batch ("Batch has reached maximum
    capacity"), a second active enrollment in the same course, a type that contradicts the
    batch. (A batch enrollment without a batch is ``enrollments.waitlist.enrollment_place``'s
    job.)
    """
    already_active = None
    if batch is not None:
        batch_id = batch.pk if isinstance(batch, Batch) else batch
        batch = _lock_batch_to_enroll(batch_id, student=student)
        already_active = batch.student_already_active
    course = _course_for(course, batch)
    _refuse_non_learner(student)
    enrollment_type = enrollment_type or (
        EnrollmentType.BATCH if batch else EnrollmentType.INDIVIDUAL
    )
    if enrollment_type == EnrollmentType.INDIVIDUAL and batch is not None:
        raise DomainError("An individual enrollment cannot name a batch", field="batch")
    if enrollment_type == EnrollmentType.BATCH and batch is None:
        raise DomainError("A batch enrollment needs a batch", field="batch")
    return _enroll(
        student=student,
        course=course,
        batch=batch,
        enrollment_type=enrollment_type,
        enrollment_source=enrollment_source,
        payment=payment,
        access_expiry_date=access_expiry_date,
        already_active=already_active,
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
        raise DomainError(f"Unknown enrollment status {status!r}", field="status")
    enrollment = _lock_enrollment(enrollment)
    if enrollment.status == status:
        raise DomainError(f"The enrollment is already {enrollment.get_status_display().lower()}")
    becomes_active = status == EnrollmentStatus.ACTIVE
    if becomes_active:
        if enrollment.batch_id:
            batch = _lock_batches(enrollment.batch)[enrollment.batch_id]
            _check_seat(batch, enrollment.course)
        _refuse_second_active(enrollment.student, enrollment.course, exclude_pk=enrollment.pk)
    was_active = enrollment.is_active
    enrollment.status = status
    enrollment.status_changed_at = timezone.now()
    _save_enrollment(enrollment)
    if enrollment.batch_id and becomes_active:
        _take_seat(enrollment.batch)
    elif enrollment.batch_id and was_active:
        _free_seat(enrollment.batch_id)
        _seat_freed(enrollment.batch_id)
    if status == EnrollmentStatus.CANCELLED:
        notices.cancelled(enrollment)
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
                f"Only an active or on-hold enrollment can be cancelled; this one is "
                f"{current.get_status_display().lower()}"
            )
        return enrollment_set_status(enrollment=current, status=EnrollmentStatus.CANCELLED)


@transaction.atomic
def enrollment_transfer(*, enrollment: Enrollment, to_batch: Batch) -> Enrollment:
    """Move an active batch enrollment to another batch of the same course.

    Locks the enrollment row, then both batch rows in primary-key order (so two transfers in
    opposite directions cannot deadlock). Refuses: an enrollment that is not active or not in
    a batch, the batch it is already in, a batch of another course, a closed or full batch.
    """
    enrollment = _lock_enrollment(enrollment)
    if not enrollment.is_active:
        raise DomainError("Only an active enrollment can be transferred")
    if not enrollment.batch_id:
        raise DomainError("Only a batch enrollment can be transferred to another batch")
    if enrollment.batch_id == to_batch.pk:
        raise DomainError(f"The student is already in batch {to_batch.batch_code}", field="batch")
    locked = _lock_batches(enrollment.batch, to_batch)
    target = locked[to_batch.pk]
    _check_seat(target, enrollment.course)
    from_batch = locked[enrollment.batch_id]
    enrollment.batch = target
    enrollment.access_expiry_date = timezone.make_aware(
        dt.datetime.combine(target.end_date + ACCESS_AFTER_BATCH_END, dt.time.min)
    )
    _save_enrollment(enrollment)
    _free_seat(from_batch.pk)
    _take_seat(target)
    _seat_freed(from_batch.pk)
    notices.transferred(enrollment, from_batch)
    return enrollment


@dataclass
class CounterMismatch:
    batch_id: int
    batch_code: str
    stored: int
    actual: int
    capacity: int
    fixed: bool = False

    @property
    def fixable(self) -> bool:
        # More active enrollments than seats can only come from data written around the
        # services; the counter cannot say so (check constraint), so a person must decide.
        return self.actual <= self.capacity


def enrollment_counters_reconcile(*, dry_run: bool = False) -> list[CounterMismatch]:
    """Recount every batch's ``enrolled_students`` from its active enrollments.

    Returns the batches whose counter was wrong. Unless ``dry_run``, fixes each one in its own
    transaction after locking its row and recounting under the lock. Refuses to "fix" a batch
    whose active enrollments exceed its capacity: it is reported with ``fixed=False``.
    """
    counted = Batch.objects.annotate(actual=active_enrollment_count()).exclude(
        enrolled_students=F("actual")
    )
    mismatches = [
        CounterMismatch(b.pk, b.batch_code, b.enrolled_students, b.actual, b.capacity)
        for b in counted.order_by("pk")
    ]
    if dry_run:
        return mismatches
    for mismatch in mismatches:
        with transaction.atomic():
            batch = _lock_batches(Batch(pk=mismatch.batch_id))[mismatch.batch_id]
            mismatch.actual = batch.enrollments.filter(status=EnrollmentStatus.ACTIVE).count()
            mismatch.capacity = batch.capacity
            if mismatch.fixable:
                Batch.objects.filter(pk=batch.pk).update(enrolled_students=mismatch.actual)
                mismatch.fixed = True
    return mismatches
