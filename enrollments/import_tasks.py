"""The background task of bulk imports (``enrollments.importing``): import one job's rows.

Runs on the configured task backend (settings.TASKS): immediately in dev and tests, in the
database worker (``manage.py db_worker``) in production, so a long import never holds a web
request.
"""

from __future__ import annotations

import logging

from django_tasks import task

from .importing import import_apply, import_crashed
from .models import EnrollmentImport

logger = logging.getLogger(__name__)


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
