"""The integrity checks and ``check_integrity``: each finding on deliberately broken data
(written with ``.update()`` and direct creates, as drift would be), what ``--fix`` repairs,
what it leaves to a person, and the exit codes."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.models import Batch, BatchStatus, BatchTrainer, IndividualAssignment, StaffRole
from allocation.services import batch_primary_row_restore, individual_assign
from allocation.tests.factories import BatchTrainerFactory, StaffedBatchFactory
from core.errors import DomainError
from enrollments.models import Enrollment, EnrollmentStatus
from enrollments.selectors.integrity import (
    ACTIVE_IN_CLOSED_BATCH,
    COUNTER,
    NON_INSTRUCTOR,
    PRIMARY_MISSING,
    integrity_findings,
)
from enrollments.services import enrollment_cancel, enrollment_create, enrollment_set_status
from enrollments.services.integrity import integrity_fix

pytestmark = pytest.mark.django_db


def enroll(batch: Batch, n: int = 1) -> list[Enrollment]:
    return [
        enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
        for _ in range(n)
    ]


def run(*args: str) -> tuple[int, str]:
    """(exit code, stdout) of check_integrity."""
    out = io.StringIO()
    try:
        call_command("check_integrity", *args, stdout=out, stderr=io.StringIO())
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def of(check: str) -> list:
    return [f for f in integrity_findings() if f.check == check]


@pytest.fixture
def healthy():
    """Data written through the services: no findings."""
    batch = StaffedBatchFactory(batch_code="OK-1")
    enroll(batch, 2)
    mentor = InstructorFactory()
    individual_assign(student=StudentFactory(), instructor=mentor, assigned_by=AdminFactory())
    return batch


def test_clean_data_has_no_findings_and_exits_0(healthy):
    assert integrity_findings() == []
    code, output = run()
    assert code == 0
    assert "No integrity problems found." in output
    assert run("--fix") == (0, "No integrity problems found.\n")


# --- assignments held by users who are no longer instructors: reported only ----------------


def test_assignments_of_non_instructors_are_reported_not_fixed(healthy):
    mentor = IndividualAssignment.objects.get().instructor
    User.objects.filter(pk=mentor.pk).update(is_instructor=False)  # lost the role
    primary = healthy.assigned_instructor
    User.objects.filter(pk=primary.pk).update(is_active=False)  # deactivated
    assistant = BatchTrainerFactory(batch=healthy, role=StaffRole.BACKUP).trainer
    User.objects.filter(pk=assistant.pk).update(is_active=False)
    # The same people on a Completed batch are history, not a problem.
    old = StaffedBatchFactory(
        status=BatchStatus.COMPLETED, assigned_instructor=primary, batch_code="OLD-1"
    )
    BatchTrainerFactory(batch=old, trainer=assistant)

    messages = sorted(f.message for f in of(NON_INSTRUCTOR))

    assert len(messages) == 3
    assert any(
        f"{mentor.email}> no longer has the instructor role" in m and "Mentor assignment" in m
        for m in messages
    )
    assert any("Batch OK-1 (Active): its primary" in m and "is deactivated" in m for m in messages)
    assert any(f"its backup {assistant.full_name}" in m for m in messages)
    assert not any("OLD-1" in m for m in messages)

    code, output = run("--fix")

    assert code == 1
    assert "Reported only: a person must choose who takes over." in output
    assert "3 problem(s) remain; 3 need a person to decide (not fixed automatically)" in output
    assert IndividualAssignment.objects.get().ended_at is None  # untouched
    assert len(of(NON_INSTRUCTOR)) == 3


# --- a primary missing from the staffing -----------------------------------------------------


def test_missing_primary_row_is_found_and_restored_with_history(healthy):
    BatchTrainer.objects.filter(batch=healthy, role=StaffRole.PRIMARY).delete()
    # The primary also held an old assistant row that is still current: it gives way.
    BatchTrainer.objects.create(
        batch=healthy, trainer=healthy.assigned_instructor, role=StaffRole.ASSISTANT
    )

    [finding] = of(PRIMARY_MISSING)
    assert finding.fixable
    assert "Batch OK-1 (Active) names" in finding.message
    assert "no current primary row" in finding.message
    assert run()[0] == 1

    code, output = run("--fix")

    assert code == 0, output
    assert "Fixed 1 problem(s):" in output
    current = BatchTrainer.objects.get(batch=healthy, ended_at__isnull=True)
    assert (current.trainer, current.role) == (healthy.assigned_instructor, StaffRole.PRIMARY)
    assert current.history.latest().history_change_reason == "Integrity: primary row restored"
    assert BatchTrainer.objects.filter(
        batch=healthy, role=StaffRole.ASSISTANT, ended_at__isnull=False
    ).exists()
    assert of(PRIMARY_MISSING) == []


def test_another_trainers_primary_row_is_only_reported(healthy):
    other = InstructorFactory()
    BatchTrainer.objects.filter(batch=healthy, role=StaffRole.PRIMARY).update(trainer=other)

    [finding] = of(PRIMARY_MISSING)

    assert not finding.fixable
    assert f"{other.email} holds the primary row instead" in finding.message
    code, output = run("--fix")
    assert code == 1
    assert "a person must decide which of the two is the primary" in output
    assert BatchTrainer.objects.get(batch=healthy, ended_at__isnull=True).trainer == other
    with pytest.raises(DomainError, match="holds the primary row"):
        batch_primary_row_restore(batch=healthy)


def test_restore_refuses_a_batch_that_has_its_row(healthy):
    with pytest.raises(DomainError, match="already has its primary staffing row"):
        batch_primary_row_restore(batch=healthy)


# --- active enrollments in closed batches ----------------------------------------------------


@pytest.mark.parametrize(
    ("batch_status", "becomes"),
    [
        (BatchStatus.COMPLETED, EnrollmentStatus.COMPLETED),
        (BatchStatus.CANCELLED, EnrollmentStatus.CANCELLED),
    ],
)
def test_active_enrollments_in_closed_batches_are_closed(healthy, batch_status, becomes):
    Batch.objects.filter(pk=healthy.pk).update(status=batch_status)

    findings = of(ACTIVE_IN_CLOSED_BATCH)
    assert len(findings) == 2
    assert all(f"in batch OK-1, which is {batch_status}" in f.message for f in findings)
    assert all(f.fixable for f in findings)
    assert run()[0] == 1

    code, output = run("--fix")

    assert code == 0, output
    assert "Fixed 2 problem(s):" in output
    statuses = set(Enrollment.objects.filter(batch=healthy).values_list("status", flat=True))
    assert statuses == {becomes}
    healthy.refresh_from_db()
    assert healthy.enrolled_students == 0  # the seats were given back through the service
    assert Enrollment.history.filter(status=becomes).count() == 2  # through .save(): audited


def test_only_closed_batches_holding_active_enrollments_are_reported(healthy):
    """Open batches, closed ones whose enrollments all ended and individual enrollments are
    not findings; the findings of several closed batches come in enrollment order."""
    ended = StaffedBatchFactory(batch_code="ENDED")
    for enrollment in enroll(ended, 2):
        enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.COMPLETED)
    Batch.objects.filter(pk=ended.pk).update(status=BatchStatus.COMPLETED)
    enrollment_create(student=StudentFactory(), course=ended.course)  # individual
    assert of(ACTIVE_IN_CLOSED_BATCH) == []
    late = StaffedBatchFactory(batch_code="LATE")
    first, second = enroll(healthy)[0], enroll(late)[0]
    third = enroll(healthy)[0]
    Batch.objects.filter(pk__in=[healthy.pk, late.pk]).update(status=BatchStatus.CANCELLED)

    findings = of(ACTIVE_IN_CLOSED_BATCH)

    keys = [f.key for f in findings]
    assert keys == sorted(keys) and len(keys) == 5  # healthy's two earlier ones too
    assert {("enrollment", e.pk) for e in (first, second, third)} <= set(keys)


# --- seat counters ---------------------------------------------------------------------------


def test_wrong_counter_is_recounted(healthy):
    Batch.objects.filter(pk=healthy.pk).update(enrolled_students=7)

    [finding] = of(COUNTER)
    assert finding.message == (
        "Batch OK-1: counter says 7 enrolled, but it has 2 active enrollment(s)"
    )
    code, output = run("--fix")
    assert code == 0, output
    healthy.refresh_from_db()
    assert healthy.enrolled_students == 2


def test_counters_count_only_the_batchs_active_enrollments(healthy):
    """Ended and individual enrollments, and batches without any, are no drift."""
    enrollment_cancel(enrollment=enroll(healthy)[0])
    enrollment_create(student=StudentFactory(), course=healthy.course)  # individual
    StaffedBatchFactory(batch_code="EMPTY")
    assert of(COUNTER) == []
    Batch.objects.filter(batch_code="EMPTY").update(enrolled_students=1)
    [finding] = of(COUNTER)
    assert finding.message == (
        "Batch EMPTY: counter says 1 enrolled, but it has 0 active enrollment(s)"
    )


def test_more_active_enrollments_than_capacity_is_only_reported(healthy):
    Batch.objects.filter(pk=healthy.pk).update(capacity=2, enrolled_students=1)
    Enrollment.objects.create(
        student=StudentFactory(), course=healthy.course, batch=healthy, enrollment_type="batch"
    )

    [finding] = of(COUNTER)
    assert not finding.fixable
    code, output = run("--fix")
    assert code == 1
    assert "more active enrollments than its capacity of 2" in output
    healthy.refresh_from_db()
    assert healthy.enrolled_students == 1


def test_closing_enrollments_of_a_batch_whose_counter_drifted(healthy):
    """The counters are recounted before seats are freed, so a drifted counter cannot go
    below zero (the database would refuse it)."""
    Batch.objects.filter(pk=healthy.pk).update(status=BatchStatus.COMPLETED, enrolled_students=0)
    assert {f.check for f in integrity_findings()} == {ACTIVE_IN_CLOSED_BATCH, COUNTER}

    result = integrity_fix()

    assert result.errors == []
    assert result.clean
    assert len(result.fixed) == 3
    healthy.refresh_from_db()
    assert healthy.enrolled_students == 0


# --- all together ----------------------------------------------------------------------------


def test_fix_repairs_the_safe_ones_and_exits_1_for_the_rest(healthy):
    Batch.objects.filter(pk=healthy.pk).update(enrolled_students=5)
    primary_rows = BatchTrainer.objects.filter(batch=healthy, role=StaffRole.PRIMARY)
    primary_rows.update(ended_at=timezone.now())
    User.objects.filter(pk=IndividualAssignment.objects.get().instructor_id).update(is_active=False)
    assert {f.check for f in integrity_findings()} == {NON_INSTRUCTOR, PRIMARY_MISSING, COUNTER}

    code, output = run("--fix")

    assert code == 1
    assert "Fixed 2 problem(s):" in output
    assert "1 problem(s) remain; 1 need a person to decide" in output
    assert [f.check for f in integrity_findings()] == [NON_INSTRUCTOR]


def test_report_without_fix_names_the_remedy_and_changes_nothing(healthy):
    Batch.objects.filter(pk=healthy.pk).update(enrolled_students=5)

    code, output = run()

    assert code == 1
    assert "Batch seat counters that do not match their active enrollments (1):" in output
    assert "--fix recounts it." in output
    assert "run with --fix to repair the others" in output
    healthy.refresh_from_db()
    assert healthy.enrolled_students == 5


def test_findings_take_six_queries_at_any_size(healthy, django_assert_num_queries):
    # Mentoring assignments, open batches' primaries, staffing rows, missing primary rows,
    # active enrollments in closed batches, counters.
    def broken(code: str):
        batch = StaffedBatchFactory(batch_code=code)
        enroll(batch)
        Batch.objects.filter(pk=batch.pk).update(enrolled_students=3)
        BatchTrainer.objects.filter(batch=batch).delete()
        User.objects.filter(pk=batch.assigned_instructor_id).update(is_active=False)

    broken("X-0")
    with django_assert_num_queries(6):
        small = [f.message for f in integrity_findings()]
    for i in range(1, 6):
        broken(f"X-{i}")
    with django_assert_num_queries(6):
        large = [f.message for f in integrity_findings()]
    assert len(large) == 6 * len(small)


def test_closed_batch_findings_take_seven_queries_at_any_size(healthy, django_assert_num_queries):
    # The six checks, and the enrollments of the closed batches that hold active ones.
    def closed(code: str):
        batch = StaffedBatchFactory(batch_code=code)
        enroll(batch, 2)
        Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.COMPLETED)

    closed("C-0")
    with django_assert_num_queries(7):
        small = integrity_findings()
    for i in range(1, 6):
        closed(f"C-{i}")
    with django_assert_num_queries(7):
        large = integrity_findings()
    assert {f.check for f in large} == {ACTIVE_IN_CLOSED_BATCH}
    assert len(large) == 6 * len(small) == 12
