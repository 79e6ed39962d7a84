"""Planning jobs: queued, solved by the task, applied once, re-checked when applied."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.tests.factories import AdminFactory, InstructorFactory
from allocation import services as allocation_services
from allocation.models import BatchTemplate, BatchTrainer, Weekday
from allocation.tests.factories import CourseFactory
from core.errors import DomainError
from planning import services
from planning.models import JobStatus, PlanningJob
from tests.support import slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def course_needing_assistants():
    admin = AdminFactory()
    course = CourseFactory(code="GER-A1")
    primary, helper = InstructorFactory(), InstructorFactory()
    allocation_services.roster_add(course=course, trainer=primary, workload_percent=50)
    allocation_services.roster_add(course=course, trainer=helper, workload_percent=50)
    batch = allocation_services.batch_create(
        course=course,
        batch_name="Morning",
        start_date=dt.date(2027, 1, 4),
        end_date=dt.date(2027, 3, 26),
        capacity=10,
        assigned_instructor=primary,
        created_by=admin,
        schedule=[slot(Weekday.MONDAY, "08:00", "10:00")],
    )
    BatchTemplate.objects.create(course=course, assistants=1)
    return admin, course, batch, helper


def test_a_job_runs_after_commit_and_applies_once(
    course_needing_assistants, django_capture_on_commit_callbacks
):
    admin, course, batch, helper = course_needing_assistants
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_create(kind="assign", course=course, created_by=admin, time_limit=5)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert [r["trainer"]["_id"] for r in job.proposal["rows"]] == [helper.pk]
    services.job_apply(job=job, applied_by=admin)
    assert BatchTrainer.objects.filter(batch=batch, trainer=helper, role="assistant").exists()
    with pytest.raises(DomainError, match="already applied"):
        services.job_apply(job=job, applied_by=admin)


def test_a_rolled_back_request_queues_nothing(course_needing_assistants):
    """Without a commit the on_commit hook never fires: the job stays queued."""
    admin, course, *_ = course_needing_assistants
    job = services.job_create(kind="assign", course=course, created_by=admin)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def test_a_stale_proposal_is_refused_whole(
    course_needing_assistants, django_capture_on_commit_callbacks
):
    admin, course, batch, helper = course_needing_assistants
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_create(kind="assign", course=course, created_by=admin, time_limit=5)
    job.refresh_from_db()
    # Meanwhile the helper leaves the roster: the apply re-checks and refuses, naming the row.
    allocation_services.roster_remove(entry=course.roster.get(trainer=helper))
    with pytest.raises(DomainError):
        services.job_apply(job=job, applied_by=admin)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert not BatchTrainer.objects.filter(batch=batch, trainer=helper).exists()


def test_not_ready_and_bad_parameters_are_refused(course_needing_assistants):
    admin, course, *_ = course_needing_assistants
    job = services.job_create(kind="assign", course=course, created_by=admin)
    with pytest.raises(DomainError, match="not ready"):
        services.job_apply(job=job, applied_by=admin)
    with pytest.raises(DomainError, match="time limit"):
        services.job_create(kind="assign", course=course, created_by=admin, time_limit=0)
    with pytest.raises(DomainError, match="negative"):
        services.job_create(kind="balance", course=None, created_by=admin, tolerance_minutes=-1)


def test_a_crashed_solver_marks_the_job_failed(course_needing_assistants, monkeypatch):
    from allocation import assignment
    from planning import tasks

    admin, course, *_ = course_needing_assistants
    job = services.job_create(kind="assign", course=course, created_by=admin)

    def boom(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(assignment, "assignment_propose", boom)
    assert tasks.run_planning_job.call(job.pk) == "failed"
    job = PlanningJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.FAILED and "unexpectedly" in job.error
