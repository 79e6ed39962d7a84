"""Delivery of the emails through the outbox: retried later, recorded and logged when the
mail server fails, claimed under a lease that a crash lets expire, one stable Message-ID per
email, never breaking (or even rendering in) the change that caused them. The worker's
behaviour against a real misbehaving SMTP server and kill -9 is in test_worker_faults.py."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import threading
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AdminFactory, StudentFactory
from enrollments import services as enrollments
from enrollments.models import EnrollmentStatus
from notifications.models import EmailStatus, Notification
from notifications.outbox import claim, deliver_due
from notifications.services import notification_emails_resend, notifications_without_email, notify

from .conftest import last_notification_pk
from .factories import NotificationFactory

OUTBOX_LOGGER = "notifications.outbox"


class FailingBackend(BaseEmailBackend):
    """A mail server that answers every message with a temporary error."""

    calls = 0

    def send_messages(self, email_messages):
        type(self).calls += 1
        raise smtplib.SMTPException("451 try again later")


class DownBackend(BaseEmailBackend):
    """A mail server nobody answers at: the connection itself fails."""

    calls = 0

    def send_messages(self, email_messages):
        type(self).calls += 1
        raise ConnectionRefusedError(111, "Connection refused")


class FlakyBackend(LocmemBackend):
    """A mail server that fails the first ``failures`` sends, then delivers to mail.outbox."""

    failures = 1
    calls = 0
    message_ids: list[str] = []

    def send_messages(self, messages):
        type(self).calls += 1
        type(self).message_ids += [m.extra_headers["Message-ID"] for m in messages]
        if type(self).calls <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def failing_mail(settings):
    FailingBackend.calls = 0
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    return FailingBackend


@pytest.fixture
def flaky_mail(settings):
    FlakyBackend.calls = 0
    FlakyBackend.failures = 1
    FlakyBackend.message_ids = []
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    return FlakyBackend


def notice(**fields) -> Notification:
    return NotificationFactory(
        recipient=StudentFactory(email="sam@example.com"), subject="Hello", **fields
    )


def make_due(*notifications: Notification) -> None:
    """Skip the wait before a retry (the clock is not the subject of these tests)."""
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(send_after=None)


@pytest.mark.django_db
class TestRetries:
    def test_gives_up_after_max_attempts_with_the_error_stored_and_logged(
        self, failing_mail, caplog
    ):
        n = notice()

        with caplog.at_level(logging.WARNING, logger=OUTBOX_LOGGER):
            for _ in range(3):
                deliver_due()
                make_due(n)
            idle = {"sent": 0, "retrying": 0, "failed": 0, "released": 0, "skipped": 0}
            assert deliver_due() == idle

        n.refresh_from_db()
        assert failing_mail.calls == 3
        assert (n.email_status, n.email_attempts) == (EmailStatus.FAILED, 3)
        assert n.email_error == "SMTPException: 451 try again later"
        assert n.emailed_at is None and n.lease_until is None
        records = [r for r in caplog.records if r.name == OUTBOX_LOGGER]
        assert [r.levelno for r in records] == [logging.WARNING, logging.WARNING, logging.ERROR]
        assert f"Notification {n.pk} to sam@example.com failed 3 times" in records[-1].getMessage()
        assert mail.outbox == []

    def test_a_failed_send_waits_30_s_then_twice_as_long(self, failing_mail):
        n = notice()
        started = timezone.now()

        assert deliver_due()["retrying"] == 1
        n.refresh_from_db()
        assert n.email_status == EmailStatus.PENDING
        assert n.send_after >= started + dt.timedelta(seconds=29)
        assert deliver_due()["retrying"] == 0  # not due yet: not tried again
        assert failing_mail.calls == 1

        make_due(n)
        deliver_due()
        n.refresh_from_db()
        assert n.email_attempts == 2
        assert n.send_after >= timezone.now() + dt.timedelta(seconds=59)

    def test_succeeds_on_the_second_attempt_with_the_same_message_id(self, flaky_mail):
        n = notice()

        deliver_due()
        make_due(n)
        deliver_due()

        n.refresh_from_db()
        assert (n.email_status, n.email_attempts) == (EmailStatus.SENT, 2)
        assert n.email_error == ""
        assert n.emailed_at is not None
        assert [m.to for m in mail.outbox] == [["sam@example.com"]]
        assert flaky_mail.message_ids == [n.message_id, n.message_id]

    def test_a_sent_notification_is_never_sent_again(self):
        n = notice()
        deliver_due()
        deliver_due(ids=[n.pk])
        notification_emails_resend()

        n.refresh_from_db()
        assert (n.email_status, n.email_attempts) == (EmailStatus.SENT, 1)
        assert len(mail.outbox) == 1

    def test_a_deleted_notification_is_skipped(self):
        n = notice()
        pk = n.pk
        n.delete()

        assert deliver_due(ids=[pk])["sent"] == 0
        assert mail.outbox == []

    def test_an_unreachable_server_hands_the_rest_of_the_batch_back(self, settings):
        DownBackend.calls = 0
        settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
        first, second, third = (NotificationFactory() for _ in range(3))

        counts = deliver_due(limit=3)

        assert counts == {"sent": 0, "retrying": 1, "failed": 0, "released": 2, "skipped": 0}
        assert DownBackend.calls == 1  # not three connection timeouts in a row
        for n in (first, second, third):
            n.refresh_from_db()
        assert (first.email_attempts, second.email_attempts, third.email_attempts) == (1, 0, 0)
        assert second.lease_until is None and second.send_after is None  # due again at once

    def test_the_email_carries_text_html_the_absolute_link_and_its_message_id(self, settings):
        settings.SITE_URL = "https://medh.example/"
        n = notice(url="/me/schedule/")

        deliver_due()

        (message,) = mail.outbox
        assert message.subject == "Hello"
        assert message.body == "Something happened.\n\nhttps://medh.example/me/schedule/\n"
        assert message.alternatives == [("<p>Something happened.</p>", "text/html")]
        assert message.from_email == settings.DEFAULT_FROM_EMAIL
        assert message.message()["Message-ID"] == n.message_id
        assert n.message_id == (
            f"<notification.{n.pk}.{int(n.created_at.timestamp())}.0@medh.local>"
        )

    def test_delivery_refuses_to_run_inside_a_transaction(self):
        notice()
        with pytest.raises(RuntimeError, match="inside a transaction"), transaction.atomic():
            deliver_due()
        assert mail.outbox == []


@pytest.mark.django_db
class TestLease:
    def test_a_claimed_email_is_not_claimed_again_until_its_lease_expires(self):
        n = notice()
        token, claimed = claim(limit=10)
        assert [c.pk for c in claimed] == [n.pk]

        assert claim(limit=10)[1] == []  # a second worker finds nothing
        assert deliver_due() == {"sent": 0, "retrying": 0, "failed": 0, "released": 0, "skipped": 0}

        # The first worker died: its lease runs out, and the email is due again.
        Notification.objects.filter(pk=n.pk).update(lease_until=timezone.now())
        deliver_due()
        n.refresh_from_db()
        assert (n.email_status, n.email_attempts, n.lease_until) == (EmailStatus.SENT, 2, None)
        assert len(mail.outbox) == 1

    def test_a_lease_lasts_the_configured_time(self, settings):
        settings.NOTIFICATION_LEASE_SECONDS = 90
        n = notice()
        before = timezone.now()

        claim(limit=1)

        n.refresh_from_db()
        assert before + dt.timedelta(seconds=89) <= n.lease_until
        assert n.lease_until <= timezone.now() + dt.timedelta(seconds=90)

    def test_a_lost_last_attempt_is_marked_failed_not_tried_a_fifth_time(self, settings, caplog):
        settings.NOTIFICATION_MAX_ATTEMPTS = 2
        n = notice(email_attempts=2, lease_until=timezone.now(), lease_token="dead")

        with caplog.at_level(logging.ERROR, logger=OUTBOX_LOGGER):
            assert deliver_due()["sent"] == 0

        n.refresh_from_db()
        assert (n.email_status, n.lease_until) == (EmailStatus.FAILED, None)
        assert "lease expired" in n.email_error
        assert mail.outbox == []

    def test_the_worker_of_an_expired_lease_cannot_overwrite_the_new_claim(self, failing_mail):
        n = notice()
        old_token, (claimed,) = claim(limit=1)
        Notification.objects.filter(pk=n.pk).update(lease_until=timezone.now())
        new_token, _ = claim(limit=1)

        # The old worker comes back and reports its failure: the new claim stands.
        from notifications.outbox import _mark_failed

        _mark_failed(claimed, old_token, smtplib.SMTPException("late"))

        n.refresh_from_db()
        assert n.lease_token == new_token and n.email_error == ""


@pytest.mark.django_db
class TestResend:
    def test_command_resends_failed_and_pending_ones_with_a_fresh_count(self):
        failed = notice(email_status=EmailStatus.FAILED, email_attempts=3, email_error="x")
        pending = NotificationFactory(
            recipient=StudentFactory(email="tia@example.com"), email_attempts=2
        )
        sent = NotificationFactory(
            recipient=StudentFactory(email="old@example.com"),
            email_status=EmailStatus.SENT,
            emailed_at=timezone.now(),
        )
        skipped = NotificationFactory(
            recipient=StudentFactory(email="demo@example.com"), email_status=EmailStatus.SKIPPED
        )
        out = StringIO()

        call_command("resend_notifications", stdout=out)

        assert out.getvalue().strip() == "Queued 2 notification email(s)."
        assert sorted(m.to[0] for m in mail.outbox) == ["sam@example.com", "tia@example.com"]
        for n in (failed, pending, sent, skipped):
            n.refresh_from_db()
        assert (failed.email_status, failed.email_attempts) == (EmailStatus.SENT, 1)
        assert (pending.email_status, pending.email_attempts) == (EmailStatus.SENT, 1)
        assert sent.email_attempts == 0 and skipped.email_status == EmailStatus.SKIPPED

    def test_pending_only_leaves_failed_ones_alone(self):
        failed = notice(email_status=EmailStatus.FAILED, email_attempts=3)

        call_command("resend_notifications", "--pending-only", stdout=StringIO())

        failed.refresh_from_db()
        assert (failed.email_status, failed.email_attempts) == (EmailStatus.FAILED, 3)
        assert mail.outbox == []

    def test_pending_only_does_not_send_an_email_a_worker_holds(self):
        """Issue 21.2: a worker killed after the server took the message left it pending,
        and --pending-only sent it a second time. Now the worker's lease keeps it: the
        command leaves it to the lease's expiry, which retries it with the same Message-ID."""
        n = notice()
        token, _ = claim(limit=1)  # the worker is at the mail server with it
        out = StringIO()

        call_command("resend_notifications", "--pending-only", stdout=out)

        assert out.getvalue().strip() == "Queued 0 notification email(s)."
        assert mail.outbox == []
        n.refresh_from_db()
        assert (n.lease_token, n.email_attempts) == (token, 1)

    def test_admin_action_sends_the_chosen_ones_again_sent_ones_with_a_new_message_id(self, client):
        client.force_login(AdminFactory())
        sent = NotificationFactory(
            recipient=StudentFactory(email="old@example.com"),
            email_status=EmailStatus.SENT,
            emailed_at=timezone.now(),
            email_attempts=1,
        )
        first_id = sent.message_id
        failed = notice(email_status=EmailStatus.FAILED, email_attempts=3)
        skipped = NotificationFactory(
            recipient=StudentFactory(email="demo@example.com"), email_status=EmailStatus.SKIPPED
        )
        untouched = NotificationFactory(
            recipient=StudentFactory(email="other@example.com"),
            send_after=timezone.now() + dt.timedelta(hours=1),
        )

        response = client.post(
            reverse("admin:notifications_notification_changelist"),
            {"action": "resend_email", "_selected_action": [sent.pk, failed.pk, skipped.pk]},
            follow=True,
        )

        assert [str(m) for m in response.context["messages"]] == ["Queued 2 email(s)."]
        assert sorted(m.to[0] for m in mail.outbox) == ["old@example.com", "sam@example.com"]
        for n in (sent, failed, skipped, untouched):
            n.refresh_from_db()
        assert (sent.email_status, sent.email_attempts, sent.resends) == (EmailStatus.SENT, 1, 1)
        assert sent.message_id != first_id
        (resent,) = [m for m in mail.outbox if m.to == ["old@example.com"]]
        assert resent.extra_headers["Message-ID"] == sent.message_id
        assert (failed.email_status, failed.email_attempts) == (EmailStatus.SENT, 1)
        assert skipped.email_status == EmailStatus.SKIPPED
        assert untouched.email_status == EmailStatus.PENDING

    def test_resend_still_failing_waits_for_its_next_attempt(self, failing_mail):
        failed = notice(email_status=EmailStatus.FAILED, email_attempts=3)

        assert notification_emails_resend() == 1

        failed.refresh_from_db()
        assert (failed.email_status, failed.email_attempts) == (EmailStatus.PENDING, 1)
        assert failed.send_after > timezone.now()
        assert failing_mail.calls == 1


@pytest.mark.django_db
def test_without_email_writes_rows_but_sends_nothing(django_capture_on_commit_callbacks):
    student = StudentFactory()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        notifications_without_email(),
    ):
        notify(
            recipients=[student],
            event="enrollment_cancelled",
            context={"enrollment": None, "batch": None},
        )

    assert callbacks == []
    assert Notification.objects.get(recipient=student).email_status == EmailStatus.SKIPPED
    assert deliver_due()["sent"] == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_notify_skips_none_duplicates_and_inactive_users():
    sam = StudentFactory()
    gone = StudentFactory(is_active=False)

    created = notify(
        recipients=[sam, None, sam, gone],
        event="enrollment_cancelled",
        context={"enrollment": None, "batch": None},
    )

    assert [n.recipient for n in created] == [sam]


# --- the change never renders or sends, and never suffers from the mail server --------------


@pytest.fixture
def worker_delivery(settings):
    """Production's delivery: nothing is sent by the process that makes the change."""
    settings.NOTIFICATION_DELIVERY = "worker"


@pytest.mark.django_db
def test_the_change_writes_ids_only_and_the_worker_renders_and_sends(
    school, worker_delivery, django_capture_on_commit_callbacks, django_assert_num_queries
):
    mail.outbox.clear()
    before = last_notification_pk()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enrollments.enrollment_cancel(enrollment=school.sam_enrollment)

    n = Notification.objects.get(pk__gt=before)
    assert callbacks == [] and mail.outbox == []
    assert (n.subject, n.body, n.rendered_at) == ("", "", None)
    assert n.context == {
        "enrollment": {"$model": "enrollments.enrollment", "pk": school.sam_enrollment.pk},
        "batch": {"$model": "allocation.batch", "pk": school.mon.pk},
    }

    # The school's own notifications are in the outbox too (their commit never ran).
    waiting = Notification.objects.filter(email_status=EmailStatus.PENDING).count()
    out = StringIO()
    call_command("run_outbox", "--once", stdout=out)

    assert f"'sent': {waiting}" in out.getvalue()
    n.refresh_from_db()
    (message,) = [m for m in mail.outbox if m.extra_headers["Message-ID"] == n.message_id]
    assert (n.email_status, message.subject) == (EmailStatus.SENT, n.subject)
    assert "German A1" in n.subject and "GER-A1-MON" in n.body
    assert message.body.startswith(n.body)


@pytest.mark.django_db
def test_the_inbox_renders_an_item_the_worker_has_not_reached(school, worker_delivery, client):
    before = last_notification_pk()
    enrollments.enrollment_cancel(enrollment=school.sam_enrollment)
    n = Notification.objects.get(pk__gt=before)
    client.force_login(school.sam)

    page = client.get(reverse("inbox:list")).content.decode()

    n.refresh_from_db()
    assert n.rendered_at is not None and "German A1" in n.subject
    assert n.subject in page and "GER-A1-MON" in page
    # The worker sends what the inbox shows, rendered once.
    deliver_due(ids=[n.pk])
    (message,) = mail.outbox
    assert message.subject == n.subject and message.body.startswith(n.body)


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_nothing_in_the_outbox(school, worker_delivery):
    class Boom(Exception):
        pass

    before = last_notification_pk()
    with pytest.raises(Boom), transaction.atomic():
        enrollments.enrollment_cancel(enrollment=school.sam_enrollment)
        assert Notification.objects.filter(pk__gt=before).count() == 1
        raise Boom

    assert not Notification.objects.filter(pk__gt=before).exists()


@pytest.mark.django_db
def test_the_service_succeeds_when_mail_fails(school, failing_mail, notified):
    before = last_notification_pk()

    out = notified(lambda: enrollments.enrollment_cancel(enrollment=school.sam_enrollment))

    assert out.result.status == EnrollmentStatus.CANCELLED
    assert out.mails == []
    n = Notification.objects.get(pk__gt=before)
    assert (n.email_status, n.email_attempts) == (EmailStatus.PENDING, 1)
    assert n.email_error == "SMTPException: 451 try again later"


@pytest.mark.django_db(transaction=True)
def test_the_request_succeeds_when_mail_fails(school, failing_mail, client):
    """A real request and a real commit: the on-commit delivery fails, the page still
    redirects and the cancellation is saved; the failure waits on the row for a retry."""
    before = last_notification_pk()
    client.force_login(school.admin)

    response = client.post(reverse("enroll:cancel", args=[school.sam_enrollment.pk]))

    assert response.status_code == 302
    school.sam_enrollment.refresh_from_db()
    assert school.sam_enrollment.status == EnrollmentStatus.CANCELLED
    n = Notification.objects.get(pk__gt=before)
    assert (n.recipient, n.email_status, n.email_attempts) == (
        school.sam,
        EmailStatus.PENDING,
        1,
    )
    assert failing_mail.calls == 1


def _in_another_connection(func):
    """``func()`` run in a thread, on that thread's own database connection (as the worker's
    process would), which is closed after."""
    result = {}

    def target():
        try:
            result["value"] = func()
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    return result["value"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_cannot_claim_an_email_before_its_change_commits(school, worker_delivery):
    """While the change's transaction is open, another connection (the worker's) finds
    nothing to claim, with the very query the worker uses; once it commits, it sends."""
    mail.outbox.clear()

    def worker_claims() -> list[int]:
        return [n.pk for n in claim(limit=10)[1]]

    with transaction.atomic():
        enrollments.enrollment_cancel(enrollment=school.sam_enrollment)
        assert _in_another_connection(worker_claims) == []

    n = Notification.objects.get(recipient=school.sam, event="enrollment_cancelled")
    assert _in_another_connection(worker_claims) == [n.pk]
    Notification.objects.filter(pk=n.pk).update(lease_until=None, email_attempts=0)
    assert _in_another_connection(lambda: deliver_due()["sent"]) == 1
    assert [m.to for m in mail.outbox] == [[school.sam.email]]


@pytest.mark.django_db
def test_an_item_that_cannot_be_rendered_does_not_break_the_inbox(client, caplog):
    student = StudentFactory()
    broken = Notification.objects.create(recipient=student, event="no_such_event", context={})
    client.force_login(student)

    response = client.get(reverse("inbox:list"))

    assert response.status_code == 200
    assert "No such event" in response.content.decode()
    assert f"Notification {broken.pk} could not be rendered" in caplog.text
    broken.refresh_from_db()
    assert broken.rendered_at is None  # the worker will try (and fail, recorded) again
