"""The background tasks of enrollments: bulk imports and automatic batches.

They run on the configured task backend (settings.TASKS): immediately in dev and tests, in
the database worker (``manage.py db_worker``) in production, so a long import or a batch
creation never holds a web request. Each task body calls its service and holds no rule.

How a task gets queued, one way only: this module imports the services at the top, so the
services cannot import it back. A service that starts background work sends a signal inside
its transaction (``enrollments.signals``: ``import_started`` from ``import_start``,
``waitlist_joined`` from ``waitlist_join``); the receivers below, connected in ``apps.py``,
queue the task with ``transaction.on_commit``, so a rolled-back change queues nothing and the
task never runs before the rows it reads are committed. Dependencies: apps → tasks →
services → seats, signals; no service knows a task.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django_tasks import task

from allocation.models import Course
from core.errors import DomainError
from enrollments.models import EnrollmentImport
from enrollments.services.auto_batches import auto_batch_enabled, batch_auto_create
from enrollments.services.imports import import_apply, import_crashed

logger = logging.getLogger(__name__)


# --- bulk imports --------------------------------------------------------------------------------


@task()
def run_import(import_id: int) -> str:
    """Import the rows of the job ``import_id`` (started by ``import_start``); returns its
    final status. A job that is gone or not running is left alone."""
    job = EnrollmentImport.objects.filter(pk=import_id).first()
    if job is None:
        return "missing"
    try:
        job = import_apply(job=job)
    except Exception as exc:
        logger.exception("Import %s stopped", import_id)
        job = import_crashed(job=job, exc=exc)
    return job.status


def queue_import(sender, *, job_id: int, **kwargs) -> None:
    """``import_started``: import the job's rows once ``import_start`` commits."""
    transaction.on_commit(lambda: run_import.enqueue(job_id), robust=True)


# --- automatic batches ---------------------------------------------------------------------------


@task()
def auto_batch_check(course_id: int) -> str:
    """Background task queued after a student joins a waitlist: create a batch if needed."""
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        return "no such course"
    try:
        batch = batch_auto_create(course=course)
    except DomainError as exc:
        logger.error("Automatic batch for %s refused: %s", course.code, exc.message)
        return f"refused: {exc.message}"
    return batch.batch_code if batch else "no need"


def queue_auto_batch_check(sender, *, course: Course, **kwargs) -> None:
    """``waitlist_joined``: queue ``auto_batch_check`` once the caller's transaction commits,
    when the course creates batches automatically."""
    if auto_batch_enabled(course):
        course_id = course.pk
        transaction.on_commit(lambda: auto_batch_check.enqueue(course_id), robust=True)
