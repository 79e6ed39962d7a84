"""The repairs of the data consistency checks (``check_integrity --fix``,
``reconcile_enrollments``): what the checks find is ``enrollments.selectors.integrity``.

Each fix is its own transaction with the locks of the service it calls, and re-reads under
them: a finding fixed meanwhile is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import DatabaseError, transaction

from allocation.models import Batch
from allocation.services import batch_primary_row_restore
from core.errors import DomainError
from enrollments.models import Enrollment, EnrollmentStatus
from enrollments.seats import lock_batches
from enrollments.selectors.integrity import (
    ACTIVE_IN_CLOSED_BATCH,
    CLOSED_BATCH_ENROLLMENT_STATUS,
    PRIMARY_MISSING,
    CounterMismatch,
    Finding,
    counter_mismatches,
    integrity_findings,
)
from enrollments.services.enrollment import enrollment_set_status


def enrollment_counters_reconcile(*, dry_run: bool = False) -> list[CounterMismatch]:
    """Recount every batch's ``enrolled_students`` from its active enrollments.

    Returns the batches whose counter was wrong. Unless ``dry_run``, fixes each one in its own
    transaction after locking its row and recounting under the lock. Refuses to "fix" a batch
    whose active enrollments exceed its capacity: it is reported with ``fixed=False``.
    """
    mismatches = counter_mismatches()
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
