"""Data consistency checks (``check_integrity`` and the console's lifecycle page).

The services keep these rules; data written around them (imports, shell sessions, a
restored backup, a user edited in the Django admin) can still break them. Each check takes a
fixed number of queries whatever the data, and reads an index or a small set of rows rather
than every enrollment (the lifecycle page runs them all on every view):

- ``non_instructor``: a current mentoring assignment, batch primary or staffing row of an
  Active/Upcoming batch held by a user who lost the instructor role or was deactivated.
  Reported only: a person must choose who takes over.
- ``primary_missing``: a batch whose ``assigned_instructor`` has no current primary staffing
  row. Fixed by restoring the row, unless another trainer holds the primary row (reported).
- ``active_in_closed_batch``: an active enrollment in a Completed batch (fixed: completed) or
  a Cancelled one (fixed: cancelled), through ``enrollment_set_status``.
- ``counter``: a batch whose ``enrolled_students`` is not its number of active enrollments
  (``enrollment_counters_reconcile``); fixed unless the active enrollments exceed the capacity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.db.models import Exists, F, OuterRef, Subquery

from accounts.models import User
from allocation.models import (
    OPEN_BATCH_STATUSES,
    Batch,
    BatchStatus,
    BatchTrainer,
    IndividualAssignment,
    StaffRole,
)
from allocation.services import batch_primary_row_restore
from core.errors import DomainError
from enrollments.models import Enrollment, EnrollmentStatus
from enrollments.seats import lock_batches
from enrollments.selectors import active_enrollment_count
from enrollments.services.enrollment import enrollment_set_status

NON_INSTRUCTOR = "non_instructor"
PRIMARY_MISSING = "primary_missing"
ACTIVE_IN_CLOSED_BATCH = "active_in_closed_batch"
COUNTER = "counter"

CHECK_TITLES = {
    NON_INSTRUCTOR: "Assignments held by users who are no longer active instructors",
    PRIMARY_MISSING: "Batches whose primary is missing from their staffing",
    ACTIVE_IN_CLOSED_BATCH: "Active enrollments in Completed or Cancelled batches",
    COUNTER: "Batch seat counters that do not match their active enrollments",
}

# What an active enrollment of a closed batch becomes.
CLOSED_BATCH_ENROLLMENT_STATUS = {
    BatchStatus.COMPLETED: EnrollmentStatus.COMPLETED,
    BatchStatus.CANCELLED: EnrollmentStatus.CANCELLED,
}


@dataclass(frozen=True)
class Finding:
    check: str
    # The row the finding is about: the batch, enrollment or assignment, as ("model", pk).
    key: tuple[str, int]
    message: str
    fixable: bool
    # What --fix does, or why it does not.
    remedy: str

    @property
    def title(self) -> str:
        return CHECK_TITLES[self.check]


def _labelled(user) -> str:
    return f"{user.display_name} <{user.email}>"


def _why(user) -> str:
    return "is deactivated" if not user.is_active else "no longer has the instructor role"


def _non_instructor_findings() -> list[Finding]:
    remedy = "Reported only: a person must choose who takes over."
    findings = []
    # "Not an active instructor" as "not among the active instructors": a small hashed set
    # each row is looked up in, instead of joining every row to its user.
    instructors = User.objects.instructors()
    assignments = (
        IndividualAssignment.objects.filter(ended_at__isnull=True)
        .exclude(instructor__in=instructors)
        .select_related("student", "instructor")
        .order_by("pk")
    )
    for a in assignments:
        findings.append(
            Finding(
                NON_INSTRUCTOR,
                ("assignment", a.pk),
                f"{a.get_assignment_type_display()} assignment of {_labelled(a.student)}: "
                f"{_labelled(a.instructor)} {_why(a.instructor)}",
                False,
                remedy + " Reassign or end it on the Mentors page.",
            )
        )
    primaries = (
        Batch.objects.open()
        .exclude(assigned_instructor__in=instructors)
        .select_related("assigned_instructor")
        .order_by("pk")
    )
    for b in primaries:
        findings.append(
            Finding(
                NON_INSTRUCTOR,
                ("batch", b.pk),
                f"Batch {b.batch_code} ({b.status}): its primary "
                f"{_labelled(b.assigned_instructor)} {_why(b.assigned_instructor)}",
                False,
                remedy + " Assign another instructor on the batch page.",
            )
        )
    # The primary rows are covered by the batch finding above.
    rows = (
        BatchTrainer.objects.filter(ended_at__isnull=True, batch__status__in=OPEN_BATCH_STATUSES)
        .exclude(role=StaffRole.PRIMARY)
        .exclude(trainer__in=instructors)
        .select_related("batch", "trainer")
        .order_by("pk")
    )
    for row in rows:
        findings.append(
            Finding(
                NON_INSTRUCTOR,
                ("staffing", row.pk),
                f"Batch {row.batch.batch_code} ({row.batch.status}): its "
                f"{row.get_role_display().lower()} {_labelled(row.trainer)} {_why(row.trainer)}",
                False,
                remedy + " Remove or replace them on the course's staffing page.",
            )
        )
    return findings


def _primary_missing_findings() -> list[Finding]:
    current_primary = BatchTrainer.objects.filter(
        batch=OuterRef("pk"), role=StaffRole.PRIMARY, ended_at__isnull=True
    )
    batches = (
        Batch.objects.annotate(
            mirrored=Exists(current_primary.filter(trainer=OuterRef("assigned_instructor"))),
            other_primary=Subquery(
                current_primary.exclude(trainer=OuterRef("assigned_instructor")).values(
                    "trainer__email"
                )[:1]
            ),
        )
        .filter(mirrored=False)
        .select_related("assigned_instructor")
        .order_by("pk")
    )
    findings = []
    for b in batches:
        message = (
            f"Batch {b.batch_code} ({b.status}) names {_labelled(b.assigned_instructor)} as its "
            "primary, but its staffing has no current primary row for them"
        )
        if b.other_primary:
            findings.append(
                Finding(
                    PRIMARY_MISSING,
                    ("batch", b.pk),
                    f"{message}; {b.other_primary} holds the primary row instead",
                    False,
                    "Reported only: a person must decide which of the two is the primary "
                    "(assign the right instructor on the batch page).",
                )
            )
        else:
            findings.append(
                Finding(
                    PRIMARY_MISSING,
                    ("batch", b.pk),
                    message,
                    True,
                    "--fix restores the primary staffing row (with history).",
                )
            )
    return findings


def _closed_batch_findings() -> list[Finding]:
    # First the closed batches that hold an active enrollment, each probed in the partial
    # index of active enrollments by batch (``enrollment_active_batch``); then only their
    # enrollments, with no query when there are none. In one join, the planner expects a
    # closed batch to hold as many active enrollments as any batch and reads every active
    # enrollment row (28 ms at 100,000 students, against 2 ms).
    holding = Enrollment.objects.filter(batch=OuterRef("pk"), status=EnrollmentStatus.ACTIVE)
    batches = list(
        Batch.objects.filter(status__in=list(CLOSED_BATCH_ENROLLMENT_STATUS))
        .filter(Exists(holding))
        .values_list("pk", flat=True)
    )
    enrollments = (
        Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE, batch__in=batches)
        .select_related("student", "course", "batch")
        .order_by("pk")
    )
    return [
        Finding(
            ACTIVE_IN_CLOSED_BATCH,
            ("enrollment", e.pk),
            f"{_labelled(e.student)} is still active in batch {e.batch.batch_code}, which is "
            f"{e.batch.status}",
            True,
            f"--fix sets the enrollment to "
            f"{CLOSED_BATCH_ENROLLMENT_STATUS[e.batch.status]} (frees the seat).",
        )
        for e in enrollments
    ]


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
            batch = lock_batches(Batch(pk=mismatch.batch_id))[mismatch.batch_id]
            mismatch.actual = batch.enrollments.filter(status=EnrollmentStatus.ACTIVE).count()
            mismatch.capacity = batch.capacity
            if mismatch.fixable:
                Batch.objects.filter(pk=batch.pk).update(enrolled_students=mismatch.actual)
                mismatch.fixed = True
    return mismatches


def _counter_findings() -> list[Finding]:
    return [
        Finding(
            COUNTER,
            ("batch", m.batch_id),
            f"Batch {m.batch_code}: counter says {m.stored} enrolled, but it has {m.actual} "
            "active enrollment(s)",
            m.fixable,
            "--fix recounts it."
            if m.fixable
            else f"Reported only: more active enrollments than its capacity of {m.capacity}; "
            "a person must move or cancel some.",
        )
        for m in enrollment_counters_reconcile(dry_run=True)
    ]


def integrity_findings() -> list[Finding]:
    """Every problem the checks find, in check order. Six queries (seven when a closed batch
    holds an active enrollment); changes nothing."""
    return (
        _non_instructor_findings()
        + _primary_missing_findings()
        + _closed_batch_findings()
        + _counter_findings()
    )


@dataclass
class IntegrityRun:
    before: list[Finding]
    after: list[Finding]
    fixed: list[Finding] = field(default_factory=list)
    # Fixes that were tried and refused or failed, with the reason.
    errors: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.after


def _try(run: IntegrityRun, finding: Finding, fix) -> None:
    try:
        fix()
    except DomainError as exc:
        run.errors.append(f"{finding.message}: {exc.message}")
    except DatabaseError as exc:  # rolled back alone, reported; the re-check lists it again
        run.errors.append(f"{finding.message}: database error ({exc.__class__.__name__})")


def _close_enrollment(enrollment_pk: int) -> None:
    with transaction.atomic():
        enrollment = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("batch")
            .filter(pk=enrollment_pk)
            .first()
        )
        # Re-read under the lock: fixed meanwhile, or the batch was reopened.
        if enrollment is None or not enrollment.is_active:
            return
        target = CLOSED_BATCH_ENROLLMENT_STATUS.get(enrollment.batch.status)
        if target is not None:
            enrollment_set_status(enrollment=enrollment, status=target)


def integrity_fix() -> IntegrityRun:
    """Check, fix what is safe, check again.

    Counters are recounted first, so that the seats freed by closing enrollments are taken
    from a true count, and once more at the end. Each fix is its own transaction with the
    locks of the service it calls; a refused fix is listed in ``errors`` and the finding stays.
    """
    run = IntegrityRun(before=integrity_findings(), after=[])
    enrollment_counters_reconcile()
    for finding in run.before:
        if not finding.fixable:
            continue
        _, pk = finding.key
        if finding.check == PRIMARY_MISSING:
            _try(run, finding, lambda pk=pk: batch_primary_row_restore(batch=Batch(pk=pk)))
        elif finding.check == ACTIVE_IN_CLOSED_BATCH:
            _try(run, finding, lambda pk=pk: _close_enrollment(pk))
    enrollment_counters_reconcile()
    run.after = integrity_findings()
    remaining = {(f.check, f.key) for f in run.after}
    run.fixed = [f for f in run.before if f.fixable and (f.check, f.key) not in remaining]
    return run
