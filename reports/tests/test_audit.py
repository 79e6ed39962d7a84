"""The audit trail (reports.audit): every audited change made through the services leaves a
history row with its kind (created, changed, deleted), who made it and the values before and
after; the log reads them back, filtered, in a constant number of queries.

Changes made by calling a service directly (as here) have no acting user; the page and API
tests at the end of this module show that a request records its logged-in user.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import InstructorFactory, StudentFactory
from allocation import services
from allocation.models import (
    Batch,
    BatchTemplate,
    BatchTrainer,
    CourseTrainer,
    IndividualAssignment,
    RosterRole,
    ScheduleSlot,
    StaffRole,
    SubstituteCover,
    Weekday,
)
from allocation.tests.factories import CourseFactory
from allocation.tests.view_support import START, slot
from core import dates
from enrollments.models import Enrollment
from enrollments.services import (
    Payment,
    enrollment_cancel,
    enrollment_create,
    enrollment_transfer,
    waitlist_join,
)
from reports import audit
from reports.tests.audit_support import ROWS_PER_ROUND, bearer_client, every_kind_of_change
from trainers.models import TrainerLeave
from trainers.services import leave_record

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY = Weekday.MONDAY, Weekday.TUESDAY


@pytest.fixture
def ingrid():
    return InstructorFactory(full_name="Ingrid Instructor")


@pytest.fixture
def otto():
    return InstructorFactory(full_name="Otto Other")


@pytest.fixture
def batch(make_batch, ingrid):
    return make_batch(
        instructor=ingrid, batch_code="GER-A1-01", schedule=[slot(MONDAY, "10:00", "12:00")]
    )


def entries(model: str, object_id: int | None = None, **filters) -> list[audit.AuditEntry]:
    """The audit entries of one model (one object), oldest first."""
    found = audit.audit_entries(audit.audit_log(model=model, **filters))
    return [e for e in reversed(found) if object_id is None or e.object_id == object_id]


def changes(entry: audit.AuditEntry) -> dict[str, tuple[str | None, str | None]]:
    return {c.field: (c.before, c.after) for c in entry.changes}


def rows(model, pk: int) -> list[str]:
    """The raw history types of one object, oldest first."""
    return list(
        model.history.filter(id=pk).order_by("history_id").values_list("history_type", flat=True)
    )


# --- batches -----------------------------------------------------------------------------------


class TestBatch:
    def test_create_records_the_batch_its_slots_staffing_and_roster(self, batch, ingrid):
        assert rows(Batch, batch.pk) == ["+"]
        [created] = entries("batch", batch.pk)
        assert created.action == "created"
        assert created.user is None  # a direct service call: no request, no acting user
        assert created.summary == "GER-A1-01 · Morning group"
        assert created.url == reverse("console:batch_detail", args=[batch.pk])
        values = changes(created)
        assert values["capacity"] == (None, "10")
        assert values["assigned instructor"] == (None, "Ingrid Instructor")
        assert values["course"] == (None, "GER-A1")
        assert values["status"] == (None, "Upcoming")
        assert values["start date"] == (None, "2027-01-04")
        assert "created at" not in values and "id" not in values
        [slot_entry] = entries("scheduleslot")
        assert slot_entry.action == "created"
        assert slot_entry.summary == "Monday 10:00–12:00 of GER-A1-01"
        [staffing] = entries("batchtrainer")
        assert staffing.summary == "Ingrid Instructor · Primary of GER-A1-01"
        assert changes(staffing)["role"] == (None, "Primary")
        [roster] = entries("coursetrainer")
        assert roster.summary == "Ingrid Instructor · Assistant of GER-A1"

    def test_update_shows_the_capacity_before_and_after(self, batch, admin):
        services.batch_update(batch=batch, capacity=25, batch_notes="Bring books", updated_by=admin)

        assert rows(Batch, batch.pk) == ["+", "~"]
        update = entries("batch", batch.pk)[-1]
        assert update.action == "changed"
        assert changes(update) == {
            "capacity": ("10", "25"),
            "batch notes": ("—", "Bring books"),
        }
        assert update.changes_text == "capacity: 10 → 25; batch notes: — → Bring books"

    def test_a_replaced_schedule_shows_the_old_slot_deleted_and_the_new_one_created(
        self, batch, admin
    ):
        old = batch.schedule.get()
        services.batch_update(
            batch=batch, schedule=[slot(TUESDAY, "14:00", "16:00")], updated_by=admin
        )

        new = batch.schedule.get()
        assert rows(ScheduleSlot, old.pk) == ["+", "-"]
        assert rows(ScheduleSlot, new.pk) == ["+"]
        deleted = entries("scheduleslot", old.pk)[-1]
        assert deleted.action == "deleted"
        assert deleted.summary == "Monday 10:00–12:00 of GER-A1-01"
        assert changes(deleted) == {
            "batch": ("GER-A1-01", None),
            "day": ("Monday", None),
            "start time": ("10:00", None),
            "end time": ("12:00", None),
        }
        [created] = entries("scheduleslot", new.pk)
        assert changes(created)["day"] == (None, "Tuesday")
        assert changes(created)["start time"] == (None, "14:00")

    def test_assigning_the_instructor_ends_one_staffing_row_and_starts_another(
        self, batch, admin, ingrid, otto
    ):
        old_row = BatchTrainer.objects.get(batch=batch, trainer=ingrid)

        services.batch_assign_instructor(batch=batch, instructor=otto, assigned_by=admin)

        new_row = BatchTrainer.objects.get(batch=batch, trainer=otto)
        assert rows(BatchTrainer, old_row.pk) == ["+", "~"]
        assert rows(BatchTrainer, new_row.pk) == ["+"]
        ended = entries("batchtrainer", old_row.pk)[-1]
        assert ended.action == "changed"
        assert set(changes(ended)) == {"ended at", "ended by"}
        assert changes(ended)["ended by"] == ("—", "Ada Admin")
        assert changes(ended)["ended at"][0] == "—"
        [started] = entries("batchtrainer", new_row.pk)
        assert changes(started)["trainer"] == (None, "Otto Other")
        assert changes(started)["assigned by"] == (None, "Ada Admin")
        update = entries("batch", batch.pk)[-1]
        assert changes(update) == {"assigned instructor": ("Ingrid Instructor", "Otto Other")}

    def test_an_assistant_added_then_removed(self, batch, admin, otto):
        services.roster_add(course=batch.course, trainer=otto)
        added = services.batch_staff_add(
            batch=batch, trainer=otto, role=StaffRole.ASSISTANT, added_by=admin
        )
        services.batch_staff_remove(batch=batch, trainer=otto, removed_by=admin)

        assert rows(BatchTrainer, added.pk) == ["+", "~"]
        first, removal = entries("batchtrainer", added.pk)
        assert changes(first)["role"] == (None, "Assistant")
        assert first.summary == "Otto Other · Assistant of GER-A1-01"
        assert changes(removal)["ended by"] == ("—", "Ada Admin")


# --- enrollments --------------------------------------------------------------------------------


class TestEnrollment:
    def test_created_cancelled(self, batch):
        student = StudentFactory(full_name="Sam Student")
        enrollment = enrollment_create(student=student, course=batch.course, batch=batch)
        enrollment_cancel(enrollment=enrollment)

        assert rows(Enrollment, enrollment.pk) == ["+", "~"]
        created, cancelled = entries("enrollment", enrollment.pk)
        assert created.summary.startswith("Sam Student in GER-A1 (GER-A1-01)")
        assert changes(created)["batch"] == (None, "GER-A1-01")
        assert changes(created)["status"] == (None, "Active")
        assert changes(cancelled)["status"] == ("Active", "Cancelled")
        assert created.url == reverse("audit:student", args=[student.pk])

    def test_payment_method_and_status_are_named_as_people_write_them(self, batch):
        enrollment = enrollment_create(
            student=StudentFactory(),
            course=batch.course,
            batch=batch,
            payment=Payment(payment_method="credit_card", payment_status="completed"),
        )
        other = enrollment_create(
            student=StudentFactory(), course=batch.course, payment=Payment(payment_method="Voucher")
        )

        (created,) = entries("enrollment", enrollment.pk)
        assert changes(created)["payment method"] == (None, "Credit card")
        assert changes(created)["payment status"] == (None, "Completed")
        assert "credit_card" not in created.changes_text
        (free_text,) = entries("enrollment", other.pk)
        assert changes(free_text)["payment method"] == (None, "Voucher")

    def test_transfer_shows_the_batch_before_and_after(self, batch, make_batch, otto):
        other = make_batch(instructor=otto, batch_code="GER-A1-02")
        enrollment = enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
        enrollment_transfer(enrollment=enrollment, to_batch=other)

        transfer = entries("enrollment", enrollment.pk)[-1]
        assert transfer.action == "changed"
        assert changes(transfer)["batch"] == ("GER-A1-01", "GER-A1-02")


# --- individual assignments ---------------------------------------------------------------------


class TestIndividualAssignment:
    def test_assign_reassign_unassign(self, admin, ingrid, otto):
        student = StudentFactory(full_name="Sam Student")
        first = services.individual_assign(student=student, instructor=ingrid, assigned_by=admin)
        second = services.individual_reassign(
            student=student, instructor=otto, assigned_by=admin, reason="Timezone"
        )
        services.individual_unassign(student=student, ended_by=admin, reason="Finished")

        assert rows(IndividualAssignment, first.pk) == ["+", "~"]
        assert rows(IndividualAssignment, second.pk) == ["+", "~"]
        assigned, reassigned_away = entries("individualassignment", first.pk)
        assert assigned.summary == "Ingrid Instructor → Sam Student (mentor)"
        assert changes(assigned)["instructor"] == (None, "Ingrid Instructor")
        assert changes(reassigned_away)["end reason"] == ("—", "Timezone")
        assert changes(reassigned_away)["ended by"] == ("—", "Ada Admin")
        started, ended = entries("individualassignment", second.pk)
        assert changes(started)["instructor"] == (None, "Otto Other")
        assert changes(ended)["end reason"] == ("—", "Finished")


# --- rosters, leave and cover -------------------------------------------------------------------


class TestRosterLeaveCover:
    def test_roster_add_update_remove(self, course, otto):
        entry = services.roster_add(
            course=course, trainer=otto, role=RosterRole.SUBSTITUTE, workload_percent=10
        )
        services.roster_update(entry=entry, workload_percent=20, role=RosterRole.ASSISTANT)
        pk = entry.pk
        services.roster_remove(entry=entry)

        assert not CourseTrainer.objects.filter(pk=pk).exists()
        assert rows(CourseTrainer, pk) == ["+", "~", "-"]
        added, updated, removed = entries("coursetrainer", pk)
        assert changes(added)["workload percent"] == (None, "10")
        assert changes(updated) == {
            "workload percent": ("10", "20"),
            "role": ("Substitute", "Assistant"),
        }
        assert removed.action == "deleted"
        assert changes(removed)["workload percent"] == ("20", None)
        assert removed.summary == "Otto Other · Assistant of GER-A1"

    def test_leave_recorded_and_cover_assigned(self, batch, admin, ingrid, otto):
        leave = leave_record(
            trainer=ingrid,
            start_date=START + dt.timedelta(days=7),
            end_date=START + dt.timedelta(days=13),
            created_by=admin,
            reason="Conference",
        )
        services.roster_add(course=batch.course, trainer=otto, role=RosterRole.SUBSTITUTE)
        cover = services.substitute_assign(
            batch=batch,
            absent_trainer=ingrid,
            substitute=otto,
            start_date=leave.start_date,
            end_date=leave.end_date,
            assigned_by=admin,
        )

        assert rows(TrainerLeave, leave.pk) == ["+"]
        [recorded] = entries("trainerleave", leave.pk)
        assert recorded.summary == "Ingrid Instructor on leave 2027-01-11 – 2027-01-17"
        assert changes(recorded)["reason"] == (None, "Conference")
        assert recorded.url == reverse("console:leave_detail", args=[leave.pk])
        assert rows(SubstituteCover, cover.pk) == ["+"]
        [covered] = entries("substitutecover", cover.pk)
        assert covered.summary == (
            "Otto Other covers GER-A1-01 for Ingrid Instructor 2027-01-11 – 2027-01-17"
        )
        assert changes(covered)["substitute"] == (None, "Otto Other")


class TestBatchTemplate:
    def test_a_template_change_shows_its_schedule_and_switches(self, course):
        # No service writes templates yet: any .save() is audited all the same.
        template = BatchTemplate.objects.create(course=course, capacity=20)
        template.schedule = [
            {"day": 0, "start": "10:00", "end": "12:00"},
            {"day": 2, "start": "18:00", "end": "20:00"},
        ]
        template.auto_create = True
        template.save()

        created, changed = entries("batchtemplate", template.pk)
        assert created.summary == "Batch template of GER-A1"
        assert created.url == reverse("console:course_detail", args=[course.pk])
        assert changes(created)["capacity"] == (None, "20")
        assert changes(changed) == {
            "schedule": ("—", "Mon 10:00–12:00, Wed 18:00–20:00"),
            "auto create": ("no", "yes"),
        }


# --- a batch's and a student's history ----------------------------------------------------------


@pytest.fixture
def two_batches(batch, make_batch, admin, otto):
    """``batch`` (capacity changed) with a staying enrollment and Sam's, transferred to its
    ``sibling``; ``other`` (another course) full with someone else's enrollment and Sam on
    its waitlist; Sam mentored by Otto."""
    other_course = CourseFactory(code="ENG-B2", title="English B2")
    other = make_batch(instructor=otto, course=other_course, batch_code="ENG-B2-01", capacity=1)
    sibling = make_batch(instructor=otto, batch_code="GER-A1-02")
    services.batch_update(batch=batch, capacity=2, updated_by=admin)
    student = StudentFactory(full_name="Sam Student")
    moving = enrollment_create(student=student, course=batch.course, batch=batch)
    staying = enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
    enrollment_transfer(enrollment=moving, to_batch=sibling)
    elsewhere = enrollment_create(student=StudentFactory(), course=other_course, batch=other)
    waiting = waitlist_join(student=student, batch=other)
    assignment = services.individual_assign(student=student, instructor=otto, assigned_by=admin)
    return {
        "batch": batch,
        "other": other,
        "sibling": sibling,
        "student": student,
        "moving": moving,
        "staying": staying,
        "elsewhere": elsewhere,
        "waiting": waiting,
        "assignment": assignment,
    }


class TestScopedHistory:
    def test_batch_history_holds_the_batch_and_everything_in_it(self, two_batches):
        t = two_batches
        batch = t["batch"]
        history = audit.audit_entries(audit.batch_history(batch))
        found = {(e.model_key, e.object_id) for e in history}
        assert ("batch", batch.pk) in found
        assert ("scheduleslot", batch.schedule.get().pk) in found
        assert ("batchtrainer", batch.staff.get().pk) in found
        # The enrollment transferred away still belongs to this batch's history.
        assert ("enrollment", t["moving"].pk) in found
        assert ("enrollment", t["staying"].pk) in found
        # Nothing of the other batches.
        assert ("batch", t["other"].pk) not in found
        assert ("batch", t["sibling"].pk) not in found
        assert ("enrollment", t["elsewhere"].pk) not in found
        assert ("waitlistentry", t["waiting"].pk) not in found
        assert {key for key, _ in found} <= {
            "batch",
            "scheduleslot",
            "batchtrainer",
            "substitutecover",
            "enrollment",
            "waitlistentry",
        }
        # Newest first.
        dates = [e.when for e in history]
        assert dates == sorted(dates, reverse=True)

    def test_student_history_holds_their_enrollments_assignments_and_waitlist(self, two_batches):
        t = two_batches
        history = audit.audit_entries(audit.student_history(t["student"]))
        found = [(e.model_key, e.object_id, e.action) for e in history]
        assert sorted(found) == sorted(
            [
                ("enrollment", t["moving"].pk, "created"),
                ("enrollment", t["moving"].pk, "changed"),  # the transfer
                ("waitlistentry", t["waiting"].pk, "created"),
                ("individualassignment", t["assignment"].pk, "created"),
            ]
        )
        [waiting] = [e for e in history if e.model_key == "waitlistentry"]
        assert waiting.summary == "Sam Student waiting for ENG-B2-01 (#1)"


# --- filters -------------------------------------------------------------------------------------


class TestFilters:
    def test_by_user_model_action_and_dates(self, batch, admin, client):
        client.force_login(admin)
        enrollment = enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
        client.post(reverse("enroll:cancel", args=[enrollment.pk]))
        services.batch_update(batch=batch, capacity=12, updated_by=admin)  # no request: no user

        by_admin = audit.audit_entries(audit.audit_log(user=admin))
        assert [(e.model_key, e.action) for e in by_admin] == [("enrollment", "changed")]
        assert {e.model_key for e in audit.audit_entries(audit.audit_log(model="batch"))} == {
            "batch"
        }
        assert [e.action for e in audit.audit_entries(audit.audit_log(action="-"))] == []
        changed = audit.audit_entries(audit.audit_log(action="~"))
        assert {e.model_key for e in changed} == {"enrollment", "batch"}
        today = dates.today()
        assert len(audit.audit_log(date_from=today, date_to=today)) == len(audit.audit_log())
        assert len(audit.audit_log(date_to=today - dt.timedelta(days=1))) == 0
        assert len(audit.audit_log(date_from=today + dt.timedelta(days=1))) == 0

    def test_rows_dated_yesterday_are_outside_today(self, batch):
        yesterday = timezone.now() - dt.timedelta(days=1)
        Batch.history.filter(id=batch.pk).update(history_date=yesterday)
        today = dates.today()

        in_range = audit.audit_log(model="batch", date_from=today - dt.timedelta(days=1))
        assert len(in_range) == 1
        assert len(audit.audit_log(model="batch", date_from=today)) == 0
        assert len(audit.audit_log(model="batch", date_to=today - dt.timedelta(days=1))) == 1


# --- who made the change: web and API requests ---------------------------------------------------


class TestActingUser:
    def test_a_page_request_records_the_logged_in_admin(self, client, admin, batch):
        student = StudentFactory()
        enrollment = enrollment_create(student=student, course=batch.course, batch=batch)
        client.force_login(admin)

        response = client.post(reverse("enroll:cancel", args=[enrollment.pk]))

        assert response.status_code == 302
        record = Enrollment.history.filter(id=enrollment.pk).latest("history_id")
        assert record.history_user == admin
        assert record.history_type == "~"
        assert record.prev_record.status == "active" and record.status == "cancelled"
        [entry] = audit.audit_entries(audit.audit_log(user=admin))
        assert entry.user == admin
        assert changes(entry)["status"] == ("Active", "Cancelled")

    def test_a_page_request_records_the_admin_on_a_mentor_unassign(self, client, admin, ingrid):
        student = StudentFactory()
        assignment = services.individual_assign(
            student=student, instructor=ingrid, assigned_by=admin
        )
        client.force_login(admin)

        response = client.post(
            reverse("console:mentor_unassign", args=[student.pk]), {"unassign-reason": "Moved"}
        )

        assert response.status_code == 302
        record = IndividualAssignment.history.filter(id=assignment.pk).latest("history_id")
        assert record.history_user == admin
        assert record.end_reason == "Moved"

    def test_an_api_request_with_a_bearer_token_records_its_user(self, admin, batch):
        response = bearer_client(admin).put(
            f"/api/batches/{batch.pk}", {"capacity": 12}, format="json"
        )

        assert response.status_code == 200, response.content
        record = Batch.history.filter(id=batch.pk).latest("history_id")
        assert record.history_user == admin
        [entry] = audit.audit_entries(audit.audit_log(user=admin, model="batch"))
        assert changes(entry) == {"capacity": ("10", "12")}


# --- query counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 4])
def test_a_page_of_entries_takes_the_same_queries_whatever_its_size(
    make_batch, admin, django_assert_num_queries, n
):
    every_kind_of_change(make_batch, admin, n)
    assert audit.audit_log().count() == ROWS_PER_ROUND * n

    # the page of the UNION; then per model type on the page (9: all but the template) its
    # rows with their previous rows; then users, batches, courses and leaves named
    with django_assert_num_queries(1 + 9 + 4):
        page = audit.audit_entries(audit.audit_log()[: ROWS_PER_ROUND * n])
    assert len(page) == ROWS_PER_ROUND * n
    # Attendance marks: their own test below (no mark is made here).
    assert {e.model_key for e in page} == set(audit.AUDITED) - {"batchtemplate", "attendancemark"}


def test_every_audited_model_builds_its_history_manager_class_once():
    """core.history: simple-history built a manager class on every ``.history``, which every
    history row written also asks for; every audited model uses the variant that builds it
    once."""
    from django.apps import apps

    from core.history import HistoryManager

    audited = [
        model
        for model in apps.get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None)
    ]
    assert Enrollment in audited and Batch in audited
    for model in audited:
        manager = getattr(model, model._meta.simple_history_manager_attribute)
        assert isinstance(manager, HistoryManager), model
        assert type(manager) is type(getattr(model, model._meta.simple_history_manager_attribute))


def test_attendance_marks_are_in_the_log_of_the_batch_and_the_student():
    from attendance.services import MarkInput, attendance_record
    from attendance.tests.world import build_world

    w = build_world(students=2)
    student = w.students[0]
    now = w.session.start_at + dt.timedelta(hours=1)
    attendance_record(
        session=w.session, marks=[MarkInput(student.pk, "absent")], marked_by=w.primary, now=now
    )
    attendance_record(
        session=w.session, marks=[MarkInput(student.pk, "present")], marked_by=w.admin, now=now
    )
    entries = audit.audit_entries(audit.audit_log(model="attendancemark"))
    assert [e.model_key for e in entries] == ["attendancemark", "attendancemark"]
    status = next(c for c in entries[0].changes if c.field == "status")
    assert (status.before, status.after) == ("Absent", "Present")
    assert entries[0].user == w.admin
    assert f"{student.display_name} present at GER-EVE" in entries[0].summary
    for log in (audit.student_history(student), audit.batch_history(w.batch)):
        assert [row["model_key"] for row in log].count("attendancemark") == 2
