"""The planning jobs' task: run the solver in the worker, never in a web request."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import task

from .models import JobStatus, PlanningJob
from .services import job_run

logger = logging.getLogger(__name__)


@task()
def run_planning_job(job_id: int) -> str:
    try:
        job = job_run(job_id=job_id)
    except Exception:
        # A bug or a crash of the solver: the job says so instead of running for ever.
        logger.exception("Planning job %s crashed", job_id)
        PlanningJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED,
            error=gettext("The solver stopped unexpectedly"),
            finished_at=timezone.now(),
        )
        return "failed"
    return "gone" if job is None else job.status


def queue_job(sender, *, job_id: int, **kwargs) -> None:
    """``job_created``: run the job once the request's transaction commits."""
    transaction.on_commit(lambda: run_planning_job.enqueue(job_id), robust=True)
