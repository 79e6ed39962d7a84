"""A small school for the notification tests, built through the services, and a helper that
runs one change and returns what it notified.

GER-A1 ("German A1") has two Active batches in the spring of 2027: GER-A1-MON, taught by Anna
on Mondays and Wednesdays 10:00–12:00, with Sam and Tia enrolled (and Cy, whose enrollment is
cancelled), and GER-A1-TUE, taught by Ben on Tuesdays 14:00–16:00, with Uma. Sue is a
substitute on the roster. Lena leads GER-A1; Ivo is an inactive lead of GER-A1; Fred and Anna
lead FR-A1; Pia leads SP-A1, where Anna's roster entry is inactive; Olga leads ENG-B2, where
Anna is not on the roster.

Building the school writes notifications (batch_create, enrollment_create, ...) whose emails
never go: their on-commit hooks are never run. ``notified`` looks only at what the change
under test writes and sends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db.models import Max

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation import services as allocation
from allocation.models import BatchStatus, RosterRole, RosterStatus
from allocation.tests.factories import CourseFactory
from enrollments import services as enrollments
from notifications.models import Notification
from tests.support import slot

MONDAY, TUESDAY, WEDNESDAY = 0, 1, 2
START, END = dt.date(2027, 1, 4), dt.date(2027, 3, 26)


@dataclass
class Notified:
    """What one change wrote (Notification rows, in pk order) and sent (mail.outbox)."""

    result: object
    rows: list[Notification]
    mails: list[EmailMultiAlternatives]
    by_address: dict[str, list[EmailMultiAlternatives]] = field(init=False)

    def __post_init__(self):
        self.by_address = {}
        for message in self.mails:
            assert len(message.to) == 1, "one email per recipient"
            self.by_address.setdefault(message.to[0], []).append(message)

    @property
    def row_addresses(self) -> list[str]:
        return sorted(n.recipient.email for n in self.rows)

    @property
    def mail_addresses(self) -> list[str]:
        return sorted(m.to[0] for m in self.mails)

    def mail_to(self, user, event: str | None = None) -> EmailMultiAlternatives:
        """The one email ``user`` got (of ``event``, when they got several)."""
        messages = self.by_address.get(user.email, [])
        if event is not None:
            subjects = {
                n.subject for n in self.rows if n.recipient_id == user.pk and n.event == event
            }
            messages = [m for m in messages if m.subject in subjects]
        assert len(messages) == 1, f"{user.email} got {len(messages)} emails"
        return messages[0]

    def events_of(self, user) -> list[str]:
        return [n.event for n in self.rows if n.recipient_id == user.pk]


def html_of(message: EmailMultiAlternatives) -> str:
    assert len(message.alternatives) == 1
    content, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    return content


def last_notification_pk() -> int:
    return Notification.objects.aggregate(m=Max("pk"))["m"] or 0


@pytest.fixture
def notified(django_capture_on_commit_callbacks) -> Callable[..., Notified]:
    """Run ``change()`` and return what it notified. ``commit=True`` runs the on-commit hooks
    registered during the change, as a commit would; ``commit=False`` captures them unrun."""

    def run(change: Callable[[], object], *, commit: bool = True) -> Notified:
        before = last_notification_pk()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=commit):
            result = change()
        rows = list(
            Notification.objects.filter(pk__gt=before).select_related("recipient").order_by("pk")
        )
        return Notified(result=result, rows=rows, mails=list(mail.outbox))

    return run


@pytest.fixture
def school(db):
    s = SimpleNamespace()
    s.admin = AdminFactory(full_name="Ada Admin")
    s.course = CourseFactory(code="GER-A1", title="German A1")
    s.anna = InstructorFactory(full_name="Anna Schmidt", email="anna@example.com")
    s.ben = InstructorFactory(full_name="Ben Bauer", email="ben@example.com")
    s.sue = InstructorFactory(full_name="Sue Sub", email="sue@example.com")
    allocation.roster_add(course=s.course, trainer=s.sue, role=RosterRole.SUBSTITUTE)

    s.mon = allocation.batch_create(
        course=s.course,
        batch_name="Monday mornings",
        batch_code="GER-A1-MON",
        start_date=START,
        end_date=END,
        capacity=12,
        assigned_instructor=s.anna,
        created_by=s.admin,
        status=BatchStatus.ACTIVE,
        schedule=[slot(MONDAY, "10:00", "12:00"), slot(WEDNESDAY, "10:00", "12:00")],
    )
    s.tue = allocation.batch_create(
        course=s.course,
        batch_name="Tuesday afternoons",
        batch_code="GER-A1-TUE",
        start_date=START,
        end_date=END,
        capacity=12,
        assigned_instructor=s.ben,
        created_by=s.admin,
        status=BatchStatus.ACTIVE,
        schedule=[slot(TUESDAY, "14:00", "16:00")],
    )

    s.sam = StudentFactory(full_name="Sam Student", email="sam@example.com")
    s.tia = StudentFactory(full_name="Tia Student", email="tia@example.com")
    s.cy = StudentFactory(full_name="Cy Cancelled", email="cy@example.com")
    s.uma = StudentFactory(full_name="Uma Other", email="uma@example.com")
    s.sam_enrollment = enrollments.enrollment_create(student=s.sam, course=s.course, batch=s.mon)
    enrollments.enrollment_create(student=s.tia, course=s.course, batch=s.mon)
    cancelled = enrollments.enrollment_create(student=s.cy, course=s.course, batch=s.mon)
    enrollments.enrollment_cancel(enrollment=cancelled)
    enrollments.enrollment_create(student=s.uma, course=s.course, batch=s.tue)

    # Leads: of GER-A1 (active and inactive), of FR-A1 (Anna leads it too), of SP-A1 (Anna is
    # inactive there) and of ENG-B2 (Anna is not there).
    s.lena = InstructorFactory(full_name="Lena Lead", email="lena@example.com")
    allocation.roster_add(course=s.course, trainer=s.lena, role=RosterRole.LEAD)
    s.ivo = InstructorFactory(full_name="Ivo Inactive", email="ivo@example.com")
    allocation.roster_add(
        course=s.course, trainer=s.ivo, role=RosterRole.LEAD, status=RosterStatus.INACTIVE
    )
    s.french = CourseFactory(code="FR-A1", title="French A1")
    s.fred = InstructorFactory(full_name="Fred Lead", email="fred@example.com")
    allocation.roster_add(course=s.french, trainer=s.fred, role=RosterRole.LEAD)
    allocation.roster_add(course=s.french, trainer=s.anna, role=RosterRole.LEAD)
    s.spanish = CourseFactory(code="SP-A1", title="Spanish A1")
    s.pia = InstructorFactory(full_name="Pia Lead", email="pia@example.com")
    allocation.roster_add(course=s.spanish, trainer=s.pia, role=RosterRole.LEAD)
    allocation.roster_add(
        course=s.spanish, trainer=s.anna, role=RosterRole.ASSISTANT, status=RosterStatus.INACTIVE
    )
    s.english = CourseFactory(code="ENG-B2", title="English B2")
    s.olga = InstructorFactory(full_name="Olga Other", email="olga@example.com")
    allocation.roster_add(course=s.english, trainer=s.olga, role=RosterRole.LEAD)
    return s
