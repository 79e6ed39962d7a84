"""Planning jobs: ask for a proposal (the worker solves it), then apply it.

The solver itself and the apply's checks are ``allocation.assignment``'s, the same the
console's assignment pages call; this module only stores the request, the proposal and the
outcome.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from allocation import assignment
from allocation.assignment import AssignmentRow
from allocation.models import Course
from core.errors import DomainError

from .models import JobKind, JobStatus, PlanningJob
from .signals import job_created


@transaction.atomic
def job_create(
    *,
    kind: str,
    course: Course | None,
    created_by: User,
    time_limit: float = assignment.DEFAULT_TIME_LIMIT,
    tolerance_minutes: int | None = None,
) -> PlanningJob:
    """Store a planning job; the worker runs the solver once this commits. Locks nothing.

    Refuses a time limit outside (0, MAX_TIME_LIMIT] and a negative tolerance, with the
    solver module's messages; a balancing job without a tolerance gets 120 minutes."""
    if not 0 < time_limit <= assignment.MAX_TIME_LIMIT:
        raise DomainError(
            gettext("The time limit must be more than 0 and at most %(MAX_TIME_LIMIT)s seconds")
            % {"MAX_TIME_LIMIT": format(assignment.MAX_TIME_LIMIT, "g")},
            field="time_limit",
        )
    if kind == JobKind.BALANCE:
        tolerance_minutes = 120 if tolerance_minutes is None else tolerance_minutes
        if tolerance_minutes < 0:
            raise DomainError(gettext("The tolerance cannot be negative"), field="tolerance")
    else:
        tolerance_minutes = None
    job = PlanningJob.objects.create(
        kind=kind,
        course=course,
        time_limit=time_limit,
        tolerance_minutes=tolerance_minutes,
        created_by=created_by,
    )
    job_created.send(sender=PlanningJob, job_id=job.pk)
    return job


def _user(user) -> dict | None:
    if user is None:
        return None
    return {"_id": user.pk, "full_name": user.full_name, "email": user.email}


def proposal_data(proposal: assignment.Proposal) -> dict:
    """A proposal as JSON: the rows to apply, each trainer's load before and after against
    their target (minutes a week), what cannot be staffed and why, and how good it is."""
    return {
        "rows": [
            {
                "batch": r.batch.pk,
                "batch_code": r.batch.batch_code,
                "course": r.batch.course.code,
                "role": r.role,
                "trainer": _user(r.trainer),
                "previous": _user(r.previous),
                "minutes": r.minutes,
                "token": r.row.token,
            }
            for r in proposal.rows
        ],
        "loads": [
            {
                "trainer": _user(x.trainer),
                "target_minutes": x.target,
                "before_minutes": x.before,
                "after_minutes": x.after,
                "batches_before": x.batches_before,
                "batches_after": x.batches_after,
                "cap": x.cap,
            }
            for x in proposal.loads
        ],
        "unassignable": [
            {
                "batch": u.batch.pk,
                "batch_code": u.batch.batch_code,
                "role": u.role,
                "minutes": u.minutes,
                "reason": u.reason,
                "refusals": [{"trainer": _user(t), "reason": why} for t, why in u.refusals],
            }
            for u in proposal.unassignable
        ],
        "positions": proposal.positions,
        "solver_status": proposal.status,
        "optimal": proposal.proven_optimal,
        "bound": proposal.bound,
        "max_deviation_before_minutes": proposal.max_deviation_before,
        "max_deviation_minutes": proposal.max_deviation,
        "tolerance_minutes": proposal.tolerance,
        "wall_seconds": round(proposal.wall_seconds, 3),
        "time_limit": proposal.time_limit,
        "note": proposal.note,
    }


def job_run(*, job_id: int) -> PlanningJob | None:
    """Solve a queued job and store its proposal (or why it failed). A job that is gone or
    not queued is left alone. The solver runs outside any transaction; each status change is
    its own short write."""
    claimed = PlanningJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING
    )
    if not claimed:
        return None
    job = PlanningJob.objects.select_related("course").get(pk=job_id)
    try:
        if job.kind == JobKind.ASSIGN:
            proposal = assignment.assignment_propose(job.course, time_limit=job.time_limit)
        else:
            proposal = assignment.balance_propose(
                job.course, tolerance_minutes=job.tolerance_minutes, time_limit=job.time_limit
            )
    except DomainError as exc:
        job.status, job.error = JobStatus.FAILED, exc.message
    else:
        job.status, job.proposal = JobStatus.DONE, proposal_data(proposal)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "proposal", "error", "finished_at"])
    return job


@transaction.atomic
def job_apply(*, job: PlanningJob, applied_by: User) -> PlanningJob:
    """Apply a job's proposal in one transaction: ``assignment_apply`` (or ``balance_apply``)
    locks the trainers and batches, re-checks every row against the database as it is now and
    refuses the whole apply, naming the row, when one no longer holds.

    Locks the job row first, so a proposal is applied once. Refuses a job whose proposal is
    not ready, one already applied, and a proposal with nothing to apply.
    """
    job = PlanningJob.objects.select_for_update(of=("self",)).get(pk=job.pk)
    if job.status == JobStatus.APPLIED:
        raise DomainError(gettext("This proposal was already applied"))
    if job.status != JobStatus.DONE:
        raise DomainError(
            gettext("This proposal is not ready (status: %(status)s)") % {"status": job.status}
        )
    rows = [AssignmentRow.parse(r["token"]) for r in job.proposal["rows"]]
    if not rows:
        raise DomainError(gettext("The proposal has nothing to apply"))
    if job.kind == JobKind.ASSIGN:
        applied = assignment.assignment_apply(proposal_rows=rows, applied_by=applied_by)
    else:
        applied = assignment.balance_apply(moves=rows, applied_by=applied_by)
    job.status, job.applied_count, job.applied_at = JobStatus.APPLIED, applied, timezone.now()
    job.save(update_fields=["status", "applied_count", "applied_at"])
    return job
