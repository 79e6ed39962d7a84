"""Each event notifies exactly the right people, with the right content, and only once the
change commits.

Every change of ``CHANGES`` is run three ways: committed (one inbox row and one email per
recipient), captured but not committed (rows, no email yet) and rolled back (nothing at all).
The content tests below then check each email: subject, batch code, weekly schedule,
instructor, and the HTML alternative with everything escaped. The school is described in
conftest.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction

from accounts.tests.factories import InstructorFactory, StudentFactory
from allocation import services as allocation
from allocation.models import BatchStatus, RosterRole, StaffRole
from allocation.tests.factories import CourseFactory
from enrollments import services as enrollments
from notifications.models import EmailStatus, Notification
from trainers.services import leave_record

from .conftest import END, MONDAY, START, html_of, last_notification_pk, slot

COVER_START, COVER_END = dt.date(2027, 1, 11), dt.date(2027, 1, 15)
LEAVE_START, LEAVE_END = dt.date(2027, 2, 1), dt.date(2027, 2, 5)
FRIDAY = 4


# --- the changes: each prepares the school and returns (change, {email: [events]}) ---------


def create_batch(s):
    def change():
        return allocation.batch_create(
            course=s.course,
            batch_name="Friday mornings",
            batch_code="GER-A1-FRI",
            start_date=START,
            end_date=END,
            capacity=8,
            assigned_instructor=s.anna,
            created_by=s.admin,
            status=BatchStatus.UPCOMING,
            schedule=[slot(FRIDAY, "09:00", "11:00")],
        )

    return change, {s.anna.email: ["batch_staff_assigned"]}


def assign_primary(s):
    def change():
        return allocation.batch_assign_instructor(
            batch=s.mon, instructor=s.ben, assigned_by=s.admin
        )

    return change, {s.ben.email: ["batch_staff_assigned"], s.anna.email: ["batch_staff_removed"]}


def edit_primary(s):
    """The batch form and the API change the primary through batch_update."""

    def change():
        return allocation.batch_update(batch=s.mon, assigned_instructor=s.ben, updated_by=s.admin)

    return change, {s.ben.email: ["batch_staff_assigned"], s.anna.email: ["batch_staff_removed"]}


def add_assistant(s):
    def change():
        return allocation.batch_staff_add(
            batch=s.mon, trainer=s.ben, role=StaffRole.ASSISTANT, added_by=s.admin
        )

    return change, {s.ben.email: ["batch_staff_assigned"]}


def remove_assistant(s):
    allocation.batch_staff_add(
        batch=s.mon, trainer=s.ben, role=StaffRole.ASSISTANT, added_by=s.admin
    )

    def change():
        return allocation.batch_staff_remove(batch=s.mon, trainer=s.ben, removed_by=s.admin)

    return change, {s.ben.email: ["batch_staff_removed"]}


def enroll_in_batch(s):
    s.nia = StudentFactory(full_name="Nia New", email="nia@example.com")

    def change():
        return enrollments.enrollment_create(student=s.nia, course=s.course, batch=s.mon)

    return change, {s.nia.email: ["enrollment_created"]}


def enroll_individually(s):
    s.nia = StudentFactory(full_name="Nia New", email="nia@example.com")

    def change():
        return enrollments.enrollment_create(student=s.nia, course=s.french)

    return change, {s.nia.email: ["enrollment_created"]}


def cancel(s):
    def change():
        return enrollments.enrollment_cancel(enrollment=s.sam_enrollment)

    return change, {s.sam.email: ["enrollment_cancelled"]}


def transfer(s):
    def change():
        return enrollments.enrollment_transfer(enrollment=s.sam_enrollment, to_batch=s.tue)

    return change, {s.sam.email: ["enrollment_transferred"]}


def assign_mentor(s):
    def change():
        return allocation.individual_assign(student=s.sam, instructor=s.ben, assigned_by=s.admin)

    return change, {
        s.sam.email: ["mentor_assigned_student"],
        s.ben.email: ["mentor_assigned_instructor"],
    }


def unassign_mentor(s):
    allocation.individual_assign(student=s.sam, instructor=s.ben, assigned_by=s.admin)

    def change():
        return allocation.individual_unassign(student=s.sam, ended_by=s.admin, reason="Moved")

    return change, {s.sam.email: ["mentor_unassigned"], s.ben.email: ["mentor_unassigned"]}


def reassign_mentor(s):
    allocation.individual_assign(student=s.sam, instructor=s.ben, assigned_by=s.admin)

    def change():
        return allocation.individual_reassign(student=s.sam, instructor=s.anna, assigned_by=s.admin)

    return change, {
        s.sam.email: ["mentor_unassigned", "mentor_assigned_student"],
        s.ben.email: ["mentor_unassigned"],
        s.anna.email: ["mentor_assigned_instructor"],
    }


def assign_cover(s):
    def change():
        return allocation.substitute_assign(
            batch=s.mon,
            absent_trainer=s.anna,
            substitute=s.sue,
            start_date=COVER_START,
            end_date=COVER_END,
            assigned_by=s.admin,
        )

    # The batch's active students; not Cy (cancelled), not Uma (another batch).
    return change, {
        s.sue.email: ["cover_assigned_substitute"],
        s.anna.email: ["cover_assigned_absent"],
        s.sam.email: ["cover_assigned_student"],
        s.tia.email: ["cover_assigned_student"],
    }


def record_leave(s):
    def change():
        return leave_record(
            trainer=s.anna,
            start_date=LEAVE_START,
            end_date=LEAVE_END,
            created_by=s.admin,
            reason="Conference",
        )

    # The active leads of Anna's courses: not Anna (a lead of FR-A1 herself), not Ivo
    # (inactive), not Pia (SP-A1, where Anna is inactive), not Olga (ENG-B2).
    return change, {s.lena.email: ["leave_recorded"], s.fred.email: ["leave_recorded"]}


CHANGES = {
    f.__name__: f
    for f in (
        create_batch,
        assign_primary,
        edit_primary,
        add_assistant,
        remove_assistant,
        enroll_in_batch,
        enroll_individually,
        cancel,
        transfer,
        assign_mentor,
        unassign_mentor,
        reassign_mentor,
        assign_cover,
        record_leave,
    )
}


class Boom(Exception):
    pass


@pytest.mark.parametrize("name", CHANGES)
class TestEveryEvent:
    def test_committed_one_row_and_one_email_per_recipient(self, school, notified, name):
        change, expected = CHANGES[name](school)

        out = notified(change)

        assert {email: sorted(events) for email, events in _events_by_address(out).items()} == {
            email: sorted(events) for email, events in expected.items()
        }
        assert out.mail_addresses == out.row_addresses
        for row in out.rows:
            message = out.mail_to(row.recipient, row.event)
            assert message.subject == row.subject
            assert message.body.startswith(row.body)
            assert html_of(message) == row.body_html
            assert row.body_html.lstrip().startswith("<!doctype html>")
            assert row.read_at is None
        assert set(
            Notification.objects.filter(pk__in=[r.pk for r in out.rows]).values_list(
                "email_status", "email_attempts"
            )
        ) == {(EmailStatus.SENT, 1)}

    def test_no_email_before_commit(self, school, notified, name):
        change, expected = CHANGES[name](school)

        out = notified(change, commit=False)

        assert out.row_addresses == sorted(
            email for email, events in expected.items() for _ in events
        )
        assert {row.email_status for row in out.rows} == {EmailStatus.PENDING}
        assert out.mails == []

    def test_nothing_when_the_change_rolls_back(self, school, notified, name):
        change, _ = CHANGES[name](school)

        def change_then_fail():
            with pytest.raises(Boom), transaction.atomic():
                change()
                raise Boom

        out = notified(change_then_fail)

        assert out.rows == []
        assert out.mails == []


def _events_by_address(out) -> dict[str, list[str]]:
    events: dict[str, list[str]] = {}
    for row in out.rows:
        events.setdefault(row.recipient.email, []).append(row.event)
    return events


def test_a_refused_change_notifies_nobody(school, notified):
    """A DomainError rolls the service's own transaction back: no row, no email."""
    out = notified(lambda: _refused(school))

    assert out.rows == [] and out.mails == []


def _refused(s):
    from core.errors import DomainError

    with pytest.raises(DomainError, match="already the instructor"):
        allocation.batch_assign_instructor(batch=s.mon, instructor=s.anna, assigned_by=s.admin)


# --- what each email says ----------------------------------------------------------------


class TestStaffing:
    def test_new_batch_tells_its_primary_the_schedule(self, school, notified):
        change, _ = create_batch(school)

        message = notified(change).mail_to(school.anna)

        assert message.subject == "You are now primary of GER-A1-FRI"
        assert "Friday mornings (GER-A1-FRI), course German A1" in message.body
        assert "Friday 09:00–11:00" in message.body
        assert "2027-01-04 – 2027-03-26" in message.body
        assert "Friday" in html_of(message) and "09:00–11:00" in html_of(message)

    def test_new_primary_assigned_old_primary_removed(self, school, notified):
        change, _ = assign_primary(school)

        out = notified(change)

        new = out.mail_to(school.ben)
        assert new.subject == "You are now primary of GER-A1-MON"
        assert "Monday 10:00–12:00" in new.body and "Wednesday 10:00–12:00" in new.body
        old = out.mail_to(school.anna)
        assert old.subject == "You are no longer primary of GER-A1-MON"
        assert "Monday mornings (GER-A1-MON)" in old.body

    def test_saving_the_same_primary_again_notifies_nobody(self, school, notified):
        out = notified(
            lambda: allocation.batch_update(
                batch=school.mon, assigned_instructor=school.anna, updated_by=school.admin
            )
        )

        assert out.rows == [] and out.mails == []

    def test_assistant_added_and_removed(self, school, notified):
        add, _ = add_assistant(school)
        added = notified(add).mail_to(school.ben)
        assert added.subject == "You are now assistant of GER-A1-MON"
        assert "Monday 10:00–12:00" in added.body

        removed = notified(
            lambda: allocation.batch_staff_remove(
                batch=school.mon, trainer=school.ben, removed_by=school.admin
            )
        ).mail_to(school.ben)
        assert removed.subject == "You are no longer assistant of GER-A1-MON"


class TestEnrollment:
    def test_welcome_names_batch_schedule_and_instructor(self, school, notified):
        change, _ = enroll_in_batch(school)

        message = notified(change).mail_to(school.nia)

        assert message.subject == "Welcome to German A1"
        assert "Hello Nia New," in message.body
        assert "Monday mornings (GER-A1-MON), 2027-01-04 – 2027-03-26" in message.body
        assert "Your instructor: Anna Schmidt (anna@example.com)" in message.body
        assert "  - Monday 10:00–12:00\n  - Wednesday 10:00–12:00\n" in message.body
        html = html_of(message)
        assert "GER-A1-MON" in html and "Anna Schmidt" in html and "Wednesday" in html

    def test_greets_with_the_full_name_not_its_first_word(self, school, notified):
        doctor = StudentFactory(full_name="Dr. Mira Rao", email="mira@example.com")

        message = notified(
            lambda: enrollments.enrollment_create(student=doctor, course=school.french)
        ).mail_to(doctor)

        assert "Hello Dr. Mira Rao," in message.body
        assert "Hello Dr. Mira Rao," in html_of(message)
        assert "Hello Dr.," not in message.body

    def test_individual_welcome_has_no_batch(self, school, notified):
        change, _ = enroll_individually(school)

        message = notified(change).mail_to(school.nia)

        assert message.subject == "Welcome to French A1"
        assert "own pace" in message.body
        assert "Your batch" not in message.body and "instructor" not in message.body

    def test_cancelled(self, school, notified):
        change, _ = cancel(school)

        message = notified(change).mail_to(school.sam)

        assert message.subject == "Your enrollment in German A1 is cancelled"
        assert "(batch GER-A1-MON) has been cancelled" in message.body

    def test_transferred_gets_the_new_schedule_and_instructor(self, school, notified):
        change, _ = transfer(school)

        message = notified(change).mail_to(school.sam)

        assert message.subject == "You moved to batch GER-A1-TUE"
        assert "from batch GER-A1-MON to batch Tuesday afternoons (GER-A1-TUE)" in message.body
        assert "Your instructor: Ben Bauer (ben@example.com)" in message.body
        assert "Tuesday 14:00–16:00" in message.body
        assert "Monday 10:00" not in message.body

    def test_the_link_in_the_email_is_absolute(self, school, notified, settings):
        settings.SITE_URL = "https://medh.example"
        change, _ = enroll_in_batch(school)

        message = notified(change).mail_to(school.nia)

        assert message.body.rstrip().endswith("https://medh.example/me/schedule/")
        assert 'href="https://medh.example/me/schedule/"' in html_of(message)


class TestMentoring:
    def test_assigned_introduces_both(self, school, notified):
        change, _ = assign_mentor(school)

        out = notified(change)

        to_student = out.mail_to(school.sam)
        assert to_student.subject == "Meet your mentor: Ben Bauer"
        assert "You can reach them at ben@example.com" in to_student.body
        to_mentor = out.mail_to(school.ben)
        assert to_mentor.subject == "New mentor student: Sam Student"
        assert "Sam Student (sam@example.com)" in to_mentor.body

    def test_unassigned_tells_both_with_the_reason(self, school, notified):
        change, _ = unassign_mentor(school)

        out = notified(change)

        for user in (school.sam, school.ben):
            message = out.mail_to(user)
            assert message.subject == "Mentor assignment ended"
            assert "of Sam Student with Ben Bauer has ended" in message.body
            assert "Reason: Moved" in message.body

    def test_reassigned_ends_the_old_and_introduces_the_new(self, school, notified):
        change, _ = reassign_mentor(school)

        out = notified(change)

        assert out.mail_to(school.sam, "mentor_assigned_student").subject == (
            "Meet your mentor: Anna Schmidt"
        )
        assert "with Ben Bauer has ended" in out.mail_to(school.sam, "mentor_unassigned").body
        assert "Reason: Reassigned" in out.mail_to(school.ben).body
        assert out.mail_to(school.anna).subject == "New mentor student: Sam Student"


class TestCover:
    def test_each_party_gets_their_own_email(self, school, notified):
        change, _ = assign_cover(school)

        out = notified(change)

        to_sub = out.mail_to(school.sue)
        assert to_sub.subject == "You cover GER-A1-MON from 2027-01-11"
        assert "for Anna Schmidt from 2027-01-11 to 2027-01-15" in to_sub.body
        assert "Monday 10:00–12:00" in to_sub.body
        to_absent = out.mail_to(school.anna)
        assert to_absent.subject == "Sue Sub covers GER-A1-MON for you"
        assert "from 2027-01-11 to 2027-01-15" in to_absent.body
        for student in (school.sam, school.tia):
            message = out.mail_to(student)
            assert message.subject == "A substitute teaches GER-A1-MON from 2027-01-11"
            assert "Sue Sub teaches your batch" in message.body
            assert "in place of Anna Schmidt" in message.body

    def test_a_deactivated_student_is_not_notified(self, school, notified):
        school.tia.is_active = False
        school.tia.save(update_fields=["is_active"])
        change, _ = assign_cover(school)

        out = notified(change)

        assert school.tia.email not in out.row_addresses
        assert school.sam.email in out.mail_addresses


class TestLeave:
    def test_leads_hear_the_dates_and_reason(self, school, notified):
        change, _ = record_leave(school)

        out = notified(change)

        message = out.mail_to(school.lena)
        assert message.subject == "Leave: Anna Schmidt, 2027-02-01 – 2027-02-05"
        assert "(Conference)" in message.body
        assert out.rows[0].url == f"/console/leave/{out.result.pk}/"

    def test_a_trainer_on_no_roster_notifies_nobody(self, school, notified):
        loner = InstructorFactory()

        out = notified(
            lambda: leave_record(
                trainer=loner, start_date=LEAVE_START, end_date=LEAVE_END, created_by=None
            )
        )

        assert out.rows == [] and out.mails == []


# --- HTML escaping ----------------------------------------------------------------------

EVIL_TITLE = "<script>alert('x')</script> Deutsch & Co"
EVIL_NAME = "<img src=x onerror=alert(1)> Eve"


@pytest.fixture
def evil(school):
    """A course and a trainer whose names are markup."""
    course = CourseFactory(code="EVIL", title=EVIL_TITLE)
    eve = InstructorFactory(full_name=EVIL_NAME, email="eve@example.com")
    allocation.roster_add(course=course, trainer=eve, role=RosterRole.LEAD)
    return course, eve


def test_welcome_html_escapes_the_course_and_instructor(school, evil, notified):
    course, eve = evil
    batch = allocation.batch_create(
        course=course,
        batch_name="Evil <b>batch</b>",
        start_date=START,
        end_date=END,
        capacity=5,
        assigned_instructor=eve,
        created_by=school.admin,
        status=BatchStatus.ACTIVE,
        schedule=[slot(MONDAY, "18:00", "19:00")],
    )
    student = StudentFactory(email="stu@example.com")

    message = notified(
        lambda: enrollments.enrollment_create(student=student, course=course, batch=batch)
    ).mail_to(student)

    html = html_of(message)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Deutsch &amp; Co" in html
    assert "&lt;img src=x onerror=alert(1)&gt; Eve" in html
    assert "Evil &lt;b&gt;batch&lt;/b&gt;" in html
    assert "<script" not in html and "<img" not in html and "<b>batch" not in html
    # The text part and the subject are plain text: shown as written, not entity-encoded.
    assert message.subject == f"Welcome to {EVIL_TITLE}"
    assert EVIL_TITLE in message.body and EVIL_NAME in message.body


def test_staff_and_leave_html_escape_names(school, evil, notified):
    course, eve = evil

    out = notified(
        lambda: allocation.batch_create(
            course=course,
            batch_name="Evening",
            start_date=START,
            end_date=END,
            capacity=5,
            assigned_instructor=eve,
            created_by=school.admin,
            schedule=[slot(MONDAY, "18:00", "19:00")],
        )
    )
    html = html_of(out.mail_to(eve))
    assert "course &lt;script&gt;" in html and "<script" not in html

    allocation.roster_add(course=course, trainer=school.lena, role=RosterRole.LEAD)
    out = notified(
        lambda: leave_record(
            trainer=eve,
            start_date=LEAVE_START,
            end_date=LEAVE_END,
            created_by=None,
            reason="<script>x</script>",
        )
    )
    html = html_of(out.mail_to(school.lena))
    assert "&lt;img src=x onerror=alert(1)&gt; Eve" in html
    assert "(&lt;script&gt;x&lt;/script&gt;)" in html
    assert "<script" not in html and "<img" not in html


# --- a real commit (transactional test) ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_email_waits_for_the_real_commit_of_the_outer_transaction(school):
    change, _ = enroll_in_batch(school)
    mail.outbox.clear()
    before = last_notification_pk()

    with transaction.atomic():
        change()
        # Written in the transaction, not mailed yet: the outer block has not committed.
        assert Notification.objects.filter(pk__gt=before).count() == 1
        assert mail.outbox == []

    assert [m.to for m in mail.outbox] == [[school.nia.email]]
    assert Notification.objects.get(pk__gt=before).email_status == EmailStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_a_real_rollback_leaves_nothing(school):
    change, _ = assign_cover(school)
    mail.outbox.clear()
    before = last_notification_pk()

    with pytest.raises(Boom), transaction.atomic():
        change()
        raise Boom

    assert not Notification.objects.filter(pk__gt=before).exists()
    assert mail.outbox == []
