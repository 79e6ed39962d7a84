"""A student's own clashes (enrollments.clashes): refused on every path of the enroll service,
with an admin's deliberate override kept in the audit trail."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import StudentFactory
from allocation.models import BatchStatus, ClassSession, SessionStatus, Weekday
from allocation.tests.factories import CourseFactory
from core.errors import DomainError
from enrollments.clashes import student_clashes
from enrollments.models import (
    Enrollment,
    EnrollmentStatus,
    ImportMode,
    ImportStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from enrollments.services import (
    enrollment_cancel,
    enrollment_create,
    enrollment_place,
    enrollment_transfer,
    waitlist_join,
)
from enrollments.services.imports import import_apply, import_create, import_parse
from notifications.models import Notification
from tests.support import slot

MON = Weekday.MONDAY


@pytest.fixture
def other_course(db):
    return CourseFactory(code="ENG-B2", title="English B2")


@pytest.fixture
def world(make_batch, other_course, student):
    """Stella is in GER "held" (Mondays 10–12, Berlin). ENG has a clashing batch (Mondays
    11–13), one right after (12–13) and one on Tuesdays."""
    w = type("World", (), {})()
    w.student = student
    student.time_zone = "America/New_York"
    student.save(update_fields=["time_zone"])
    w.held = make_batch(
        batch_code="GER-HELD", schedule=[slot(MON, "10:00", "12:00")], time_zone="Europe/Berlin"
    )
    enrollment_create(student=student, batch=w.held)
    w.clashing = make_batch(
        course=other_course,
        batch_code="ENG-CLASH",
        schedule=[slot(MON, "11:00", "13:00")],
        time_zone="Europe/Berlin",
    )
    w.after = make_batch(
        course=other_course,
        batch_code="ENG-AFTER",
        schedule=[slot(MON, "12:00", "13:00")],
        time_zone="Europe/Berlin",
    )
    w.tuesday = make_batch(
        course=other_course,
        batch_code="ENG-TUE",
        schedule=[slot(Weekday.TUESDAY, "11:00", "13:00")],
        time_zone="Europe/Berlin",
    )
    return w


CLASH = (
    "Schedule clash: Stella Student already has GER-HELD (Morning group) on Monday 2027-01-04 "
    "04:00–06:00 (America/New_York), which overlaps Monday 2027-01-04 05:00–07:00 "
    "(America/New_York)"
)


class TestTheRule:
    def test_an_overlapping_batch_is_refused_naming_the_other_batch_in_the_students_zone(
        self, world
    ):
        with pytest.raises(DomainError) as caught:
            enrollment_create(student=world.student, batch=world.clashing)
        assert (caught.value.message, caught.value.code) == (CLASH, "clash")
        world.clashing.refresh_from_db()
        assert world.clashing.enrolled_students == 0

    def test_half_open_a_batch_starting_when_the_other_ends_is_fine(self, world):
        enrollment_create(student=world.student, batch=world.after)
        enrollment_create(student=StudentFactory(), batch=world.tuesday)

    def test_another_day_is_fine(self, world):
        assert enrollment_create(student=world.student, batch=world.tuesday).is_active

    @pytest.mark.parametrize("status", [BatchStatus.COMPLETED, BatchStatus.CANCELLED])
    def test_a_closed_batch_of_the_student_never_clashes(self, world, status):
        type(world.held).objects.filter(pk=world.held.pk).update(status=status)
        assert enrollment_create(student=world.student, batch=world.clashing).is_active

    def test_an_ended_enrollment_never_clashes(self, world):
        enrollment_cancel(enrollment=Enrollment.objects.get(batch=world.held))
        assert enrollment_create(student=world.student, batch=world.clashing).is_active

    def test_cancelled_sessions_do_not_clash(self, world):
        ClassSession.objects.filter(batch=world.held).update(
            status=SessionStatus.CANCELLED, reason="Closed"
        )
        assert enrollment_create(student=world.student, batch=world.clashing).is_active

    def test_a_batch_without_session_rows_is_read_from_its_slots(self, world):
        ClassSession.objects.filter(batch=world.clashing).delete()
        with pytest.raises(DomainError, match="Schedule clash"):
            enrollment_create(student=world.student, batch=world.clashing)

    def test_another_student_is_not_concerned(self, world):
        assert enrollment_create(student=StudentFactory(), batch=world.clashing).is_active

    def test_a_full_batch_is_full_before_it_clashes(self, world):
        type(world.clashing).objects.filter(pk=world.clashing.pk).update(capacity=1)
        enrollment_create(student=StudentFactory(), batch=world.clashing)
        with pytest.raises(DomainError) as caught:
            enrollment_create(student=world.student, batch=world.clashing)
        assert caught.value.code == "full"


class TestOverride:
    def test_an_admin_override_enrolls_and_is_in_the_audit_trail(self, world):
        enrollment = enrollment_create(
            student=world.student, batch=world.clashing, allow_clash=True
        )
        assert enrollment.is_active
        reason = enrollment.history.latest().history_change_reason
        assert reason == "Clash overridden: also in GER-HELD 2027-01-04 09:00 UTC"

    def test_without_a_clash_the_override_leaves_no_reason(self, world):
        enrollment = enrollment_create(student=world.student, batch=world.tuesday, allow_clash=True)
        assert enrollment.history.latest().history_change_reason is None


class TestEveryPath:
    def test_transfer_into_a_clashing_batch_is_refused_and_can_be_overridden(
        self, world, make_batch, other_course
    ):
        enrollment = enrollment_create(student=world.student, batch=world.tuesday)
        with pytest.raises(DomainError, match="Schedule clash"):
            enrollment_transfer(enrollment=enrollment, to_batch=world.clashing)
        moved = enrollment_transfer(
            enrollment=enrollment, to_batch=world.clashing, allow_clash=True
        )
        assert moved.batch_id == world.clashing.pk

    def test_a_transfer_within_the_course_ignores_the_batch_it_leaves(self, world, make_batch):
        other_ger = make_batch(
            batch_code="GER-LATE",
            schedule=[slot(MON, "11:00", "12:00")],
            time_zone="Europe/Berlin",
        )
        enrollment = Enrollment.objects.get(batch=world.held)
        assert enrollment_transfer(enrollment=enrollment, to_batch=other_ger).batch == other_ger

    def test_placement_passes_over_a_clashing_batch(self, world, other_course):
        type(world.tuesday).objects.filter(pk=world.tuesday.pk).update(status="Cancelled")
        type(world.after).objects.filter(pk=world.after.pk).update(enrolled_students=0)
        # ENG-CLASH is the emptiest (a tie broken by pk would pick it): it is passed over.
        enrollment = enrollment_place(student=world.student, course=other_course)
        assert enrollment.batch_id == world.after.pk

    def test_placement_refuses_when_every_free_batch_clashes(self, world, other_course):
        type(world.tuesday).objects.filter(pk__in=[world.tuesday.pk, world.after.pk]).update(
            status="Cancelled"
        )
        with pytest.raises(DomainError) as caught:
            enrollment_place(student=world.student, course=other_course)
        assert (caught.value.message, caught.value.code) == (CLASH, "clash")
        enrollment = enrollment_place(student=world.student, course=other_course, allow_clash=True)
        assert enrollment.batch_id == world.clashing.pk

    def test_reactivating_an_enrollment_into_a_clash_is_refused(self, world):
        from enrollments.services import enrollment_set_status

        enrollment = enrollment_create(
            student=world.student, batch=world.clashing, allow_clash=True
        )
        enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.ON_HOLD)
        with pytest.raises(DomainError, match="Schedule clash"):
            enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.ACTIVE)

    def test_the_import_refuses_the_clashing_row(self, world, admin):
        data = (
            "email,full_name,course_code,batch_code,enrollment_type\n"
            f"{world.student.email},,ENG-B2,ENG-CLASH,batch\n"
            "new@example.com,Nora New,ENG-B2,ENG-CLASH,batch\n"
        ).encode()
        job = import_create(
            rows=import_parse(data=data),
            filename="c.csv",
            mode=ImportMode.VALID_ROWS,
            created_by=admin,
        )
        type(job).objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
        job = import_apply(job=job)
        outcome = {r["line"]: r for r in job.report}
        assert outcome[2]["error"] == CLASH
        assert outcome[3]["ok"] is True
        assert job.enrolled == 1

    def test_waitlist_promotion_skips_a_clashing_student_tells_them_and_promotes_the_next(
        self, world, django_capture_on_commit_callbacks
    ):
        type(world.clashing).objects.filter(pk=world.clashing.pk).update(capacity=1)
        seated = enrollment_create(student=StudentFactory(), batch=world.clashing)
        # Stella waits first: at the time she joins she is not yet in GER-HELD's clash …
        enrollment_cancel(enrollment=Enrollment.objects.get(batch=world.held))
        first = waitlist_join(student=world.student, batch=world.clashing)
        nxt = StudentFactory(full_name="Nick Next")
        second = waitlist_join(student=nxt, batch=world.clashing)
        # … then she enrolls in a Monday class again.
        enrollment_create(student=world.student, batch=world.held)
        enrollment_cancel(enrollment=seated)
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.status == WaitlistStatus.REMOVED
        assert first.history.latest().history_change_reason.startswith(
            "Skipped when a seat freed: Schedule clash"
        )
        assert second.status == WaitlistStatus.PROMOTED
        told = Notification.objects.get(recipient=world.student, event="waitlist_skipped")
        assert told.context["reason"] == CLASH
        assert Enrollment.objects.get(student=nxt).batch_id == world.clashing.pk
        assert not WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).exists()


def test_the_clash_check_reads_in_two_queries_whatever_the_number_of_batches(
    world, make_batch, other_course, django_assert_num_queries
):
    batches = [world.clashing, world.after, world.tuesday]
    with django_assert_num_queries(2):
        few = student_clashes(world.student, batches)
    for day in range(5):
        batches.append(
            make_batch(
                course=other_course,
                schedule=[slot(day, "09:00", "11:00"), slot(day, "14:00", "15:00")],
                start_date=dt.date(2027, 1, 4),
            )
        )
    with django_assert_num_queries(2):
        many = student_clashes(world.student, batches)
    assert set(few) == {world.clashing.pk}
    # 09:00–11:00 on Monday overlaps 10:00–12:00.
    assert set(many) == {world.clashing.pk, batches[3].pk}


class TestConsole:
    def post(self, client, world, **extra):
        return client.post(
            reverse("enroll:create"),
            {
                "student": world.student.email,
                "course": world.clashing.course_id,
                "batch": world.clashing.pk,
                "enrollment_type": "",
                "enrollment_source": "admin",
                **extra,
            },
        )

    def test_the_form_shows_the_clash_and_enrolls_nobody(self, client, admin, world):
        client.force_login(admin)
        response = self.post(client, world)
        assert response.status_code == 200
        assert CLASH in response.content.decode()
        assert not Enrollment.objects.filter(batch=world.clashing).exists()

    def test_the_override_box_enrolls_and_the_audit_trail_says_so(self, client, admin, world):
        client.force_login(admin)
        response = self.post(client, world, allow_clash="on")
        assert response.status_code == 302
        enrollment = Enrollment.objects.get(batch=world.clashing)
        last = enrollment.history.latest()
        assert (last.history_user, last.history_change_reason) == (
            admin,
            "Clash overridden: also in GER-HELD 2027-01-04 09:00 UTC",
        )

    def test_the_transfer_form_refuses_then_overrides(self, client, admin, world, make_batch):
        client.force_login(admin)
        enrollment = enrollment_create(student=world.student, batch=world.tuesday)
        url = reverse("enroll:transfer", args=[enrollment.pk])
        response = client.post(url, {"to_batch": world.clashing.pk})
        assert "Schedule clash" in response.content.decode()
        response = client.post(url, {"to_batch": world.clashing.pk, "allow_clash": "on"})
        assert response.status_code == 302
        enrollment.refresh_from_db()
        assert enrollment.batch_id == world.clashing.pk
