"""The batch lifecycle: plan, run, notifications, idempotency, the command and the console page.

Every test runs as of a fixed date (``TODAY``) passed explicitly, so no test depends on the
clock; "now" for access expiry is then the start of that day. The console page and its run
button use the real date, so their data is laid out around ``dates.today()``.
"""

import datetime as dt
import io
import threading
import time

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.models import Batch, BatchStatus, BatchTrainer
from allocation.services import batch_advance_status, batch_update, sessions_generate_missing
from allocation.tests.factories import ScheduleSlotFactory, StaffedBatchFactory
from core import dates
from core.errors import DomainError
from core.testing import race
from enrollments.models import Enrollment, EnrollmentStatus, WaitlistEntry, WaitlistStatus
from enrollments.services import enrollment as enrollment_services
from enrollments.services import (
    enrollment_cancel,
    enrollment_create,
    enrollment_set_status,
    lifecycle,
)
from enrollments.services.lifecycle import LifecycleSummary, lifecycle_advance, lifecycle_plan
from notifications.models import Notification
from tests.support import csv_text

pytestmark = pytest.mark.django_db

TODAY = dt.date(2030, 6, 10)
DAY = dt.timedelta(days=1)


def at(day: dt.date, hour: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def batch(code: str, status: str, start: dt.date, end: dt.date, **fields) -> Batch:
    return StaffedBatchFactory(
        batch_code=code, status=status, start_date=start, end_date=end, **fields
    )


def enroll(batch: Batch, *, expires: dt.datetime | None = None, student=None) -> Enrollment:
    return enrollment_create(
        student=student or StudentFactory(),
        course=batch.course,
        batch=batch,
        access_expiry_date=expires,
    )


def individual(*, expires: dt.datetime, course) -> Enrollment:
    return enrollment_create(student=StudentFactory(), course=course, access_expiry_date=expires)


@pytest.fixture
def world():
    """Batches around TODAY, each with what a run must (or must not) do to it."""
    starting = batch("START", BatchStatus.UPCOMING, TODAY, TODAY + 60 * DAY)
    later = batch("LATER", BatchStatus.UPCOMING, TODAY + DAY, TODAY + 60 * DAY)
    last_day = batch("LASTDAY", BatchStatus.ACTIVE, TODAY - 60 * DAY, TODAY)
    ended = batch("ENDED", BatchStatus.ACTIVE, TODAY - 60 * DAY, TODAY - DAY)
    never_started = batch("NEVER", BatchStatus.UPCOMING, TODAY - 30 * DAY, TODAY - DAY)
    cancelled = batch("CANCELLED", BatchStatus.CANCELLED, TODAY - 60 * DAY, TODAY - DAY)
    far = at(TODAY + 90 * DAY)
    starting_students = [enroll(starting, expires=far) for _ in range(2)]
    ended_students = [enroll(ended, expires=far) for _ in range(3)]
    # One student of the ended batch whose access also ran out: it completes, not expires.
    ended_and_expired = enroll(ended, expires=at(TODAY - DAY))
    on_hold_in_ended = enroll(ended, expires=far)
    enrollment_set_status(enrollment=on_hold_in_ended, status=EnrollmentStatus.ON_HOLD)
    # In a batch that goes on: access ran out yesterday, or runs out later.
    expired = enroll(last_day, expires=at(TODAY - DAY, 12))
    at_boundary = enroll(last_day, expires=at(TODAY))  # not before the start of TODAY
    still_valid = enroll(last_day, expires=at(TODAY + DAY))
    on_hold_expired = enroll(last_day, expires=at(TODAY - 2 * DAY))
    enrollment_set_status(enrollment=on_hold_expired, status=EnrollmentStatus.ON_HOLD)
    cancelled_expired = enroll(last_day, expires=at(TODAY - 2 * DAY))
    enrollment_set_status(enrollment=cancelled_expired, status=EnrollmentStatus.CANCELLED)
    individual_expired = individual(expires=at(TODAY - DAY), course=last_day.course)
    return locals()


def codes(batches) -> list[str]:
    return [b.batch_code for b in batches]


def status_of(obj) -> str:
    obj.refresh_from_db()
    return obj.status


# --- the plan --------------------------------------------------------------------------------


def test_plan_lists_what_is_due_and_nothing_else(world):
    plan = lifecycle_plan(TODAY)

    assert plan.today == TODAY
    assert plan.now == at(TODAY)
    assert codes(plan.to_start) == ["START"]
    assert codes(plan.to_complete) == ["ENDED", "NEVER"]
    assert [b.active_count for b in plan.to_complete] == [4, 0]
    assert plan.enrollments_to_complete == 4
    assert {e.pk for e in plan.to_expire} == {
        world["expired"].pk,
        world["on_hold_expired"].pk,
        world["individual_expired"].pk,
    }
    assert not plan.is_empty


def test_plan_changes_nothing_and_takes_three_queries_at_any_size(world, django_assert_num_queries):
    # Three queries: batches to start; batches to complete with their active counts;
    # enrollments to expire with student, course and batch.
    with django_assert_num_queries(3):
        small = lifecycle_plan(TODAY)
        str([(e.student.email, e.course.code, e.batch) for e in small.to_expire])
        str([(b.course.code, b.assigned_instructor.email) for b in small.to_start])
    for i in range(5):
        extra = batch(f"MORE{i}", BatchStatus.ACTIVE, TODAY - 9 * DAY, TODAY - DAY)
        enroll(extra, expires=at(TODAY + DAY))
        enroll(world["last_day"], expires=at(TODAY - DAY))
        batch(f"NEXT{i}", BatchStatus.UPCOMING, TODAY, TODAY + DAY)
    with django_assert_num_queries(3):
        large = lifecycle_plan(TODAY)
        str([(e.student.email, e.course.code, e.batch) for e in large.to_expire])
        str([(b.course.code, b.assigned_instructor.email) for b in large.to_complete])
    assert len(large.to_complete) == len(small.to_complete) + 5
    assert len(large.to_expire) == len(small.to_expire) + 5
    assert status_of(world["starting"]) == BatchStatus.UPCOMING


# --- the run ---------------------------------------------------------------------------------


def test_run_starts_completes_and_expires(world):
    summary = lifecycle_advance(TODAY)

    assert summary.started == ["START"]
    assert summary.completed == [("ENDED", 4), ("NEVER", 0)]
    assert len(summary.expired) == 3
    assert summary.failures == []
    assert status_of(world["starting"]) == BatchStatus.ACTIVE
    assert status_of(world["ended"]) == BatchStatus.COMPLETED
    assert status_of(world["never_started"]) == BatchStatus.COMPLETED
    for untouched, status in (
        ("later", BatchStatus.UPCOMING),
        ("last_day", BatchStatus.ACTIVE),
        ("cancelled", BatchStatus.CANCELLED),
    ):
        assert status_of(world[untouched]) == status, untouched
    # The ended batch's active enrollments completed (the expired one too); on hold stays.
    for enrollment in [*world["ended_students"], world["ended_and_expired"]]:
        assert status_of(enrollment) == EnrollmentStatus.COMPLETED
    assert status_of(world["on_hold_in_ended"]) == EnrollmentStatus.ON_HOLD
    for name in ("expired", "on_hold_expired", "individual_expired"):
        assert status_of(world[name]) == EnrollmentStatus.EXPIRED, name
    assert status_of(world["at_boundary"]) == EnrollmentStatus.ACTIVE
    assert status_of(world["still_valid"]) == EnrollmentStatus.ACTIVE
    assert status_of(world["cancelled_expired"]) == EnrollmentStatus.CANCELLED
    # Every counter still equals the active enrollments: freed seats were given back.
    for b in Batch.objects.annotate(
        active=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE))
    ):
        assert b.enrolled_students == b.active, b.batch_code
    assert Batch.objects.get(batch_code="ENDED").enrolled_students == 0
    assert Batch.objects.get(batch_code="LASTDAY").enrolled_students == 2


def test_run_leaves_an_audit_trail(world):
    lifecycle_advance(TODAY)

    last = world["ended"].history.latest()
    assert last.status == BatchStatus.COMPLETED
    assert last.history_change_reason == "Lifecycle: completed by the calendar on 2030-06-10"
    assert world["starting"].history.latest().status == BatchStatus.ACTIVE
    assert world["expired"].history.latest().status == EnrollmentStatus.EXPIRED


def test_notifications_go_to_the_people_concerned_after_commit(
    world, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle_advance(TODAY)
        assert mail.outbox == []  # nothing is sent before the transactions commit

    sent = {(m.to[0], m.subject) for m in mail.outbox}
    starting, ended = world["starting"], world["ended"]
    started_subject = f"START starts: {starting.course.title}"
    completed_subject = f"ENDED is completed: {ended.course.title}"
    expected = {(e.student.email, started_subject) for e in world["starting_students"]}
    expected.add((starting.assigned_instructor.email, started_subject))
    expected |= {
        (e.student.email, completed_subject)
        for e in [*world["ended_students"], world["ended_and_expired"]]
    }
    expected.add((ended.assigned_instructor.email, completed_subject))
    # ... and its students are asked to rate it (feedback listens to the completion).
    expected |= {
        (e.student.email, "How was ENDED? Rate your batch")
        for e in [*world["ended_students"], world["ended_and_expired"]]
    }
    never = world["never_started"]
    expected.add((never.assigned_instructor.email, f"NEVER is completed: {never.course.title}"))
    expected |= {
        (world[name].student.email, f"Your access to {world[name].course.title} has expired")
        for name in ("expired", "on_hold_expired", "individual_expired")
    }
    assert sent == expected
    assert len(mail.outbox) == len(expected)  # nobody twice
    # The on-hold student of the ended batch hears nothing: their enrollment did not change.
    assert world["on_hold_in_ended"].student.email not in {m.to[0] for m in mail.outbox}
    to_primary = next(m for m in mail.outbox if m.to == [starting.assigned_instructor.email])
    assert "You are its primary trainer" in to_primary.body
    assert "with 2 students" in to_primary.body
    first_student = world["starting_students"][0].student.email
    to_student = next(m for m in mail.outbox if m.to == [first_student])
    assert "has started" in to_student.body
    assert starting.assigned_instructor.email in to_student.body  # who teaches them


def test_second_run_changes_nothing_and_sends_nothing(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = lifecycle_advance(TODAY)
    assert first.changed
    history = (
        Batch.history.count(),
        Enrollment.history.count(),
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = lifecycle_advance(TODAY)

    assert not second.changed
    assert second.failures == []
    assert second.lines()[:3] == [
        "Batches started: 0",
        "Batches completed: 0",
        "Enrollments expired: 0",
    ]
    assert callbacks == []
    assert mail.outbox == []
    assert (Batch.history.count(), Enrollment.history.count()) == history
    assert lifecycle_plan(TODAY).is_empty


def test_a_step_done_meanwhile_is_skipped_not_failed(world, monkeypatch):
    plan = lifecycle_plan(TODAY)
    # Another run (or an admin) got there between the plan and the locks.
    batch_advance_status(batch=world["starting"], to_status=BatchStatus.ACTIVE, today=TODAY)
    enrollment_set_status(enrollment=world["expired"], status=EnrollmentStatus.EXPIRED)
    monkeypatch.setattr(lifecycle, "lifecycle_plan", lambda today=None, now=None: plan)

    summary = lifecycle_advance(TODAY)

    assert summary.started == []
    assert summary.expired == [
        lifecycle._describe(world[name]) for name in ("on_hold_expired", "individual_expired")
    ]
    assert summary.failures == []
    assert summary.already_done == 2
    assert summary.completed == [("ENDED", 4), ("NEVER", 0)]


def test_one_failing_batch_is_rolled_back_alone(world):
    # A counter that drifted below its active enrollments: freeing their seats would take it
    # below zero, which the database refuses. That batch stays as it was; the rest is done.
    Batch.objects.filter(pk=world["ended"].pk).update(enrolled_students=0)

    summary = lifecycle_advance(TODAY)

    assert [f.split(":")[0] for f in summary.failures] == ["complete ENDED"]
    assert status_of(world["ended"]) == BatchStatus.ACTIVE
    assert status_of(world["ended_students"][0]) == EnrollmentStatus.ACTIVE
    assert summary.completed == [("NEVER", 0)]
    assert summary.started == ["START"]


def test_a_completed_batch_takes_nobody_from_its_waitlist(db):
    full = batch("FULL", BatchStatus.ACTIVE, TODAY - 30 * DAY, TODAY - DAY, capacity=1)
    enroll(full, expires=at(TODAY + 30 * DAY))
    waiting = StudentFactory()
    entry = WaitlistEntry.objects.create(batch=full, student=waiting, position=1)

    summary = lifecycle_advance(TODAY)

    assert summary.completed == [("FULL", 1)]
    assert not Enrollment.objects.filter(student=waiting, status=EnrollmentStatus.ACTIVE).exists()
    # Its waitlist is closed, with the reason in the entry's history.
    assert status_of(entry) == WaitlistStatus.REMOVED
    assert entry.history.latest().history_change_reason == "The batch completed"
    full.refresh_from_db()
    assert (full.status, full.enrolled_students) == (BatchStatus.COMPLETED, 0)


def test_an_expired_seat_in_a_running_batch_goes_to_its_waitlist(db):
    full = batch("FULL", BatchStatus.ACTIVE, TODAY - 30 * DAY, TODAY + 30 * DAY, capacity=1)
    leaving = enroll(full, expires=at(TODAY - DAY))
    waiting = StudentFactory()
    entry = WaitlistEntry.objects.create(batch=full, student=waiting, position=1)

    summary = lifecycle_advance(TODAY)

    assert summary.expired == [lifecycle._describe(leaving)]
    assert status_of(leaving) == EnrollmentStatus.EXPIRED
    assert status_of(entry) == WaitlistStatus.PROMOTED
    assert Enrollment.objects.filter(student=waiting, batch=full, status="active").exists()
    full.refresh_from_db()
    assert full.enrolled_students == 1


# --- batch_advance_status --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "start", "end", "to_status", "message"),
    [
        (BatchStatus.ACTIVE, TODAY - DAY, TODAY + DAY, BatchStatus.UPCOMING, "cannot move"),
        (BatchStatus.CANCELLED, TODAY - DAY, TODAY + DAY, BatchStatus.ACTIVE, "cannot move"),
        (BatchStatus.COMPLETED, TODAY - 9 * DAY, TODAY - DAY, BatchStatus.ACTIVE, "cannot move"),
        (BatchStatus.CANCELLED, TODAY - 9 * DAY, TODAY - DAY, BatchStatus.COMPLETED, "cannot"),
        (BatchStatus.UPCOMING, TODAY + DAY, TODAY + 9 * DAY, BatchStatus.ACTIVE, "starts on"),
        (BatchStatus.UPCOMING, TODAY - 9 * DAY, TODAY - DAY, BatchStatus.ACTIVE, "complete it"),
        (BatchStatus.ACTIVE, TODAY - 9 * DAY, TODAY, BatchStatus.COMPLETED, "runs until"),
        (BatchStatus.UPCOMING, TODAY, TODAY, BatchStatus.COMPLETED, "runs until"),
        (BatchStatus.ACTIVE, TODAY - 9 * DAY, TODAY + DAY, BatchStatus.ACTIVE, "already"),
    ],
)
def test_batch_advance_status_refuses_other_moves(status, start, end, to_status, message):
    b = batch("B1", status, start, end)
    history = b.history.count()

    with pytest.raises(DomainError, match=message):
        batch_advance_status(batch=b, to_status=to_status, today=TODAY)

    assert status_of(b) == status
    assert b.history.count() == history


def test_batch_advance_status_ignores_schedule_conflicts():
    """batch_update re-checks conflicts on a status change and would refuse this start; the
    calendar starts the batch anyway (the clash slipped in when it was planned)."""
    b = batch("B1", BatchStatus.UPCOMING, TODAY, TODAY + 9 * DAY)
    clash = batch(
        "B2",
        BatchStatus.ACTIVE,
        TODAY - DAY,
        TODAY + 9 * DAY,
        assigned_instructor=b.assigned_instructor,
    )
    for each in (b, clash):
        ScheduleSlotFactory(batch=each)
    # What batch_create would have stored for the clash: its sessions, its trainer's bookings.
    sessions_generate_missing(batch_ids=[clash.pk])
    with pytest.raises(DomainError, match="B2"):
        batch_update(batch=b, status=BatchStatus.ACTIVE)

    moved = batch_advance_status(batch=b, to_status=BatchStatus.ACTIVE, today=TODAY)

    assert moved.status == BatchStatus.ACTIVE
    assert status_of(b) == BatchStatus.ACTIVE


# --- the command -----------------------------------------------------------------------------


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("advance_lifecycle", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_dry_run_prints_the_plan_and_changes_nothing(world):
    output = run_command("--date", "2030-06-10", "--dry-run")

    assert "Lifecycle plan for 2030-06-10" in output
    assert "Batches to start (Upcoming → Active): 1" in output
    assert "START · " in output
    assert "Batches to complete (→ Completed): 2, with 4 active enrollment(s)" in output
    assert "Enrollments to expire: 3" in output
    assert world["expired"].student.email in output
    assert "Dry run: nothing was changed." in output
    assert status_of(world["starting"]) == BatchStatus.UPCOMING
    assert status_of(world["expired"]) == EnrollmentStatus.ACTIVE


def test_command_runs_prints_a_summary_and_exits_0(world):
    output = run_command("--date", "2030-06-10")

    assert "Lifecycle run for 2030-06-10:" in output
    assert "Batches started: 1 (START)" in output
    assert "Batches completed: 2 (ENDED, NEVER), with 4 enrollment(s) completed" in output
    assert "Enrollments expired: 3" in output
    assert "Done." in output
    assert status_of(world["ended"]) == BatchStatus.COMPLETED

    assert "Nothing to change." in run_command("--date", "2030-06-10")


def test_command_exits_1_when_a_step_fails(world):
    Batch.objects.filter(pk=world["ended"].pk).update(enrolled_students=0)

    with pytest.raises(CommandError, match="1 step") as failure:
        run_command("--date", "2030-06-10")

    assert failure.value.returncode == 1


def test_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run_command("--date", "10/06/2030")


def test_command_without_date_runs_as_of_today(db):
    today = dates.today()
    b = batch("NOW", BatchStatus.UPCOMING, today, today + DAY)

    assert "Batches started: 1 (NOW)" in run_command()
    assert status_of(b) == BatchStatus.ACTIVE


# --- the console page ------------------------------------------------------------------------


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(AdminFactory())
    return client


def real_world(n: int, first: int = 0):
    """``n`` of each kind of change, around the real today (the page runs as of now)."""
    today = dates.today()
    for i in range(first, first + n):
        b = batch(f"GO{i}", BatchStatus.UPCOMING, today, today + 30 * DAY)
        enroll(b)
        done = batch(f"DONE{i}", BatchStatus.ACTIVE, today - 30 * DAY, today - DAY)
        enroll(done)
        enroll(done, expires=timezone.now() - dt.timedelta(hours=1))
        individual(expires=timezone.now() - dt.timedelta(hours=1), course=done.course)


def test_preview_shows_the_plan_findings_and_cron_line(admin_client):
    real_world(1)
    Batch.objects.filter(batch_code="GO0").update(enrolled_students=5)  # drift

    response = admin_client.get(reverse("lifecycle:preview"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "GO0" in page and "DONE0" in page
    assert "Batches to complete (→ Completed), with 2 active enrollments" in page
    assert "counter says 5 enrolled, but it has 1 active enrollment(s)" in page
    assert "manage.py advance_lifecycle" in page
    assert "check_integrity --fix" in page
    assert status_of(Batch.objects.get(batch_code="GO0")) == BatchStatus.UPCOMING  # read-only


def test_preview_query_count_does_not_grow(admin_client, django_assert_max_num_queries):
    # session, user; the plan: batches to start, to complete, enrollments to expire; the
    # integrity checks: mentoring assignments, open batches' primaries, staffing rows,
    # missing primary rows, closed batches holding an active enrollment (and, when there
    # are some, their enrollments), counters.
    real_world(1)
    with django_assert_max_num_queries(12):
        assert admin_client.get(reverse("lifecycle:preview")).status_code == 200
    real_world(6, first=1)
    # Findings of every kind, many of them: still the same queries.
    Batch.objects.filter(batch_code__startswith="GO").update(enrolled_students=3)
    Batch.objects.filter(batch_code__startswith="DONE").update(status=BatchStatus.CANCELLED)
    BatchTrainer.objects.filter(batch__batch_code__startswith="GO").delete()
    User.objects.filter(is_instructor=True).update(is_active=False)
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("lifecycle:preview"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "GO6" in page
    assert "counter says 3 enrolled" in page
    assert "is deactivated" in page


def test_preview_downloads_as_csv(admin_client):
    real_world(1)

    response = admin_client.get(reverse("lifecycle:preview"), {"format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    lines = csv_text(response).splitlines()
    assert lines[0] == "Change,What,Details"
    kinds = [line.split(",")[0] for line in lines[1:]]
    assert kinds.count("Start batch") == 1
    assert kinds.count("Complete batch") == 1
    assert kinds.count("Expire enrollment") == 1  # the individual one; the batch one completes


def test_run_button_applies_today_and_reports(admin_client):
    real_world(1)

    response = admin_client.post(reverse("lifecycle:run"), follow=True)

    assert response.redirect_chain == [(reverse("lifecycle:preview"), 302)]
    page = response.content.decode()
    assert "Lifecycle run: Batches started: 1 (GO0)" in page
    assert status_of(Batch.objects.get(batch_code="GO0")) == BatchStatus.ACTIVE
    assert status_of(Batch.objects.get(batch_code="DONE0")) == BatchStatus.COMPLETED

    again = admin_client.post(reverse("lifecycle:run"), follow=True)
    assert "Lifecycle run: nothing to change." in again.content.decode()


def test_run_needs_post_csrf_and_an_admin(db):
    real_world(1)
    instructor = Client()
    instructor.force_login(InstructorFactory())
    assert instructor.post(reverse("lifecycle:run")).status_code == 403

    admin = Client(enforce_csrf_checks=True)
    admin.force_login(AdminFactory())
    assert admin.get(reverse("lifecycle:run")).status_code == 405
    refused = admin.post(reverse("lifecycle:run"))
    assert refused.status_code == 403
    assert b"CSRF" in refused.content
    assert status_of(Batch.objects.get(batch_code="GO0")) == BatchStatus.UPCOMING


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


def lifecycle_or_cancel(kind: str, pk: int | None = None):
    if kind == "run":
        return lifecycle_advance(TODAY)
    return enrollment_cancel(enrollment=Enrollment.objects.get(pk=pk))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_runs_and_cancels_at_once_change_everything_once():
    """Four runs at once, while students of the completing batches cancel: every batch moves
    once, every student hears once, nothing deadlocks (enrollments are locked before their
    batch, as the cancel does) and every counter stays true."""
    ended = [batch(f"END{i}", BatchStatus.ACTIVE, TODAY - 30 * DAY, TODAY - DAY) for i in range(3)]
    starting = batch("GO", BatchStatus.UPCOMING, TODAY, TODAY + 30 * DAY)
    far = at(TODAY + 90 * DAY)
    enrollments = [enroll(b, expires=far) for b in ended for _ in range(4)]
    enroll(starting, expires=far)
    cancels = [{"kind": "cancel", "pk": e.pk} for e in enrollments[::2]]

    outcomes = race(lifecycle_or_cancel, [{"kind": "run"}] * 4 + cancels)

    assert [o.error for o in outcomes if o.error] == []
    summaries = [o.value for o in outcomes if isinstance(o.value, LifecycleSummary)]
    assert len(summaries) == 4
    assert [f for s in summaries for f in s.failures] == []
    assert sorted(code for s in summaries for code in s.started) == ["GO"]
    assert sorted(code for s in summaries for code, _ in s.completed) == [
        "END0",
        "END1",
        "END2",
    ]
    cancelled = Enrollment.objects.filter(status=EnrollmentStatus.CANCELLED).count()
    completed = Enrollment.objects.filter(status=EnrollmentStatus.COMPLETED).count()
    assert cancelled + completed == len(enrollments)
    assert sum(n for s in summaries for _, n in s.completed) == completed
    # One "completed" notice per completed student plus one per primary; one start notice
    # for the student and one for the primary.
    assert Notification.objects.filter(event="batch_completed").count() == completed + 3
    assert Notification.objects.filter(event="batch_started").count() == 2
    for b in Batch.objects.annotate(
        active=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE))
    ):
        assert b.enrolled_students == b.active, b.batch_code


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_completing_a_batch_while_a_student_cancels_does_not_deadlock(monkeypatch):
    """The exact interleaving: a cancel holds the enrollment row and is about to free its seat
    (which locks the batch row) while the run completes the batch. The run locks enrollment
    rows before the batch row, as the cancel does, so it waits instead of deadlocking."""
    ended = batch("END", BatchStatus.ACTIVE, TODAY - 30 * DAY, TODAY - DAY)
    leaving, staying = (enroll(ended, expires=at(TODAY + 90 * DAY)) for _ in range(2))
    holding = threading.Event()
    cancel_thread = threading.local()
    lock_enrollment = enrollment_services._lock_enrollment

    def lock_then_pause(enrollment):
        locked = lock_enrollment(enrollment)
        if getattr(cancel_thread, "pause", False):
            cancel_thread.pause = False
            holding.set()
            time.sleep(1)  # the run now reaches its locks and waits on this row
        return locked

    monkeypatch.setattr(enrollment_services, "_lock_enrollment", lock_then_pause)

    def step(kind: str):
        if kind == "cancel":
            cancel_thread.pause = True
            return enrollment_cancel(enrollment=leaving)
        assert holding.wait(timeout=30)
        return lifecycle_advance(TODAY)

    outcomes = race(step, [{"kind": "cancel"}, {"kind": "run"}])

    assert [o.error for o in outcomes if o.error] == []
    summary = outcomes[1].value
    assert summary.failures == []
    assert summary.completed == [("END", 1)]
    assert status_of(leaving) == EnrollmentStatus.CANCELLED
    assert status_of(staying) == EnrollmentStatus.COMPLETED
    ended.refresh_from_db()
    assert (ended.status, ended.enrolled_students) == (BatchStatus.COMPLETED, 0)
