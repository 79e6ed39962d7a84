"""Delivery of the emails: retried, recorded and logged when the mail server fails, never
sent twice, never breaking the change that caused them; and the production task backend
(django-tasks-db) queues them in the database for ``manage.py db_worker``, in the transaction
of the change, so that the worker can run them only once it has committed."""

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
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import AdminFactory, StudentFactory
from enrollments import services as enrollments
from enrollments.models import EnrollmentStatus
from notifications.models import EmailStatus, Notification
from notifications.services import notification_emails_resend, notifications_without_email, notify
from notifications.tasks import send_notification_email

from .conftest import last_notification_pk
from .factories import NotificationFactory

TASK_LOGGER = "notifications.tasks"


class FailingBackend(BaseEmailBackend):
    """A mail server that is down."""

    calls = 0

    def send_messages(self, email_messages):
        type(self).calls += 1
        raise smtplib.SMTPException("451 try again later")


class FlakyBackend(LocmemBackend):
    """A mail server that fails the first ``failures`` sends, then delivers to mail.outbox."""

    failures = 1
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class BrokenQueue(ImmediateBackend):
    """A task queue that is down."""

    def enqueue(self, task, args, kwargs):
        raise ConnectionError("task queue unavailable")


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
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    return FlakyBackend


def notice(**fields) -> Notification:
    return NotificationFactory(
        recipient=StudentFactory(email="sam@example.com"), subject="Hello", **fields
    )


@pytest.mark.django_db
class TestRetries:
    def test_gives_up_after_max_attempts_with_the_error_stored_and_logged(
        self, failing_mail, caplog
    ):
        n = notice()

        with caplog.at_level(logging.WARNING, logger=TASK_LOGGER):
            send_notification_email.enqueue(n.pk)

        n.refresh_from_db()
        assert failing_mail.calls == 3
        assert (n.email_status, n.email_attempts) == (EmailStatus.FAILED, 3)
        assert n.email_error == "SMTPException: 451 try again later"
        assert n.emailed_at is None
        records = [r for r in caplog.records if r.name == TASK_LOGGER]
        assert [r.levelno for r in records] == [logging.WARNING, logging.WARNING, logging.ERROR]
        assert f"Notification {n.pk} to sam@example.com failed 3 times" in records[-1].getMessage()
        assert mail.outbox == []

    def test_succeeds_on_the_second_attempt(self, flaky_mail):
        n = notice()

        send_notification_email.enqueue(n.pk)

        n.refresh_from_db()
        assert (n.email_status, n.email_attempts) == (EmailStatus.SENT, 2)
        assert n.email_error == ""
        assert n.emailed_at is not None
        assert [m.to for m in mail.outbox] == [["sam@example.com"]]

    def test_a_sent_notification_is_never_sent_again(self):
        n = notice()
        send_notification_email.enqueue(n.pk)
        send_notification_email.enqueue(n.pk)
        notification_emails_resend()

        n.refresh_from_db()
        assert (n.email_status, n.email_attempts) == (EmailStatus.SENT, 1)
        assert len(mail.outbox) == 1

    def test_a_deleted_notification_is_skipped(self):
        n = notice()
        pk = n.pk
        n.delete()

        assert send_notification_email.call(pk) == "skipped"
        assert mail.outbox == []

    def test_the_email_carries_text_html_and_the_absolute_link(self, settings):
        settings.SITE_URL = "https://medh.example/"
        n = notice(url="/me/schedule/")

        send_notification_email.enqueue(n.pk)

        (message,) = mail.outbox
        assert message.subject == "Hello"
        assert message.body == "Something happened.\n\nhttps://medh.example/me/schedule/\n"
        assert message.alternatives == [("<p>Something happened.</p>", "text/html")]
        assert message.from_email == settings.DEFAULT_FROM_EMAIL


@pytest.mark.django_db
class TestResend:
    def test_command_resends_failed_and_pending_ones_with_a_fresh_count(self):
        failed = notice(email_status=EmailStatus.FAILED, email_attempts=3, email_error="x")
        pending = NotificationFactory(recipient=StudentFactory(email="tia@example.com"))
        sent = NotificationFactory(
            recipient=StudentFactory(email="old@example.com"), email_status=EmailStatus.SENT
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
        assert pending.email_status == EmailStatus.SENT
        assert sent.email_attempts == 0 and skipped.email_status == EmailStatus.SKIPPED

    def test_pending_only_leaves_failed_ones_alone(self):
        failed = notice(email_status=EmailStatus.FAILED, email_attempts=3)

        call_command("resend_notifications", "--pending-only", stdout=StringIO())

        failed.refresh_from_db()
        assert (failed.email_status, failed.email_attempts) == (EmailStatus.FAILED, 3)
        assert mail.outbox == []

    def test_admin_action_sends_the_chosen_ones_again_sent_ones_included(self, client):
        client.force_login(AdminFactory())
        sent = NotificationFactory(
            recipient=StudentFactory(email="old@example.com"),
            email_status=EmailStatus.SENT,
            email_attempts=1,
        )
        failed = notice(email_status=EmailStatus.FAILED, email_attempts=3)
        skipped = NotificationFactory(
            recipient=StudentFactory(email="demo@example.com"), email_status=EmailStatus.SKIPPED
        )
        untouched = NotificationFactory(recipient=StudentFactory(email="other@example.com"))

        response = client.post(
            reverse("admin:notifications_notification_changelist"),
            {"action": "resend_email", "_selected_action": [sent.pk, failed.pk, skipped.pk]},
            follow=True,
        )

        assert [str(m) for m in response.context["messages"]] == ["Queued 2 email(s)."]
        assert sorted(m.to[0] for m in mail.outbox) == ["old@example.com", "sam@example.com"]
        for n in (sent, failed, skipped, untouched):
            n.refresh_from_db()
        assert (sent.email_status, sent.email_attempts) == (EmailStatus.SENT, 1)
        assert (failed.email_status, failed.email_attempts) == (EmailStatus.SENT, 1)
        assert skipped.email_status == EmailStatus.SKIPPED
        assert untouched.email_status == EmailStatus.PENDING

    def test_resend_still_failing_fails_again(self, failing_mail):
        failed = notice(email_status=EmailStatus.FAILED, email_attempts=3)

        assert notification_emails_resend() == 1

        failed.refresh_from_db()
        assert (failed.email_status, failed.email_attempts) == (EmailStatus.FAILED, 3)
        assert failing_mail.calls == 3


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


# --- the change never suffers from the mail server ------------------------------------------


@pytest.mark.django_db
def test_the_service_succeeds_when_mail_fails(school, failing_mail, notified):
    before = last_notification_pk()

    out = notified(lambda: enrollments.enrollment_cancel(enrollment=school.sam_enrollment))

    assert out.result.status == EnrollmentStatus.CANCELLED
    assert out.mails == []
    n = Notification.objects.get(pk__gt=before)
    assert (n.email_status, n.email_attempts) == (EmailStatus.FAILED, 3)


@pytest.mark.django_db(transaction=True)
def test_the_request_succeeds_when_mail_fails(school, failing_mail, client):
    """A real request and a real commit: the on-commit email task fails three times, the
    page still redirects and the cancellation is saved; the failure is on the row."""
    before = last_notification_pk()
    client.force_login(school.admin)

    response = client.post(reverse("enroll:cancel", args=[school.sam_enrollment.pk]))

    assert response.status_code == 302
    school.sam_enrollment.refresh_from_db()
    assert school.sam_enrollment.status == EnrollmentStatus.CANCELLED
    n = Notification.objects.get(pk__gt=before)
    assert (n.recipient, n.email_status) == (school.sam, EmailStatus.FAILED)
    assert failing_mail.calls == 3


@pytest.mark.django_db(transaction=True)
def test_the_request_succeeds_when_queueing_fails(school, client, settings, caplog):
    """Even when the task queue itself is down (the enqueue raises after commit), the change
    is kept, the request succeeds and the row waits, pending, for resend_notifications."""
    settings.TASKS = {"default": {"BACKEND": f"{__name__}.BrokenQueue"}}
    before = last_notification_pk()
    client.force_login(school.admin)

    response = client.post(reverse("enroll:cancel", args=[school.sam_enrollment.pk]))

    assert response.status_code == 302
    school.sam_enrollment.refresh_from_db()
    assert school.sam_enrollment.status == EnrollmentStatus.CANCELLED
    assert Notification.objects.get(pk__gt=before).email_status == EmailStatus.PENDING
    assert any(r.levelno == logging.ERROR for r in caplog.records)


# --- the production backend: django-tasks-db and its worker ---------------------------------


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_database_backend_queues_with_the_change_and_the_worker_sends(school, database_tasks):
    mail.outbox.clear()
    before = last_notification_pk()

    enrollments.enrollment_cancel(enrollment=school.sam_enrollment)

    n = Notification.objects.get(pk__gt=before)
    task = DBTaskResult.objects.get()
    assert task.task_path == "notifications.tasks.send_notification_email"
    assert task.args_kwargs == {"args": [n.pk], "kwargs": {}}
    assert mail.outbox == []  # nothing is sent in the request

    run_worker()

    n.refresh_from_db()
    assert (n.email_status, n.email_attempts) == (EmailStatus.SENT, 1)
    assert [m.to for m in mail.outbox] == [[school.sam.email]]
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_database_backend_retries_later_not_at_once(database_tasks, failing_mail):
    n = notice()
    send_notification_email.enqueue(n.pk)
    started = timezone.now()

    run_worker()

    n.refresh_from_db()
    assert (n.email_status, n.email_attempts) == (EmailStatus.PENDING, 1)
    assert n.email_error == "SMTPException: 451 try again later"
    retry = DBTaskResult.objects.get(status="READY")
    # Deferred by 30 s: --batch finds nothing ready and stops after one attempt.
    assert retry.run_after >= started + dt.timedelta(seconds=29)
    assert failing_mail.calls == 1

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()

    n.refresh_from_db()
    assert n.email_attempts == 2
    assert DBTaskResult.objects.get(status="READY").run_after >= timezone.now() + dt.timedelta(
        seconds=50
    )


@pytest.mark.django_db
def test_database_backend_writes_the_task_in_the_transaction_of_the_change(
    school, database_tasks, django_capture_on_commit_callbacks
):
    """The task row is written beside the notification row, in the same transaction: no
    on-commit hook, no second transaction, nothing to lose between the two."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        enrollments.enrollment_cancel(enrollment=school.sam_enrollment)
        n = Notification.objects.get(recipient=school.sam, event="enrollment_cancelled")
        assert DBTaskResult.objects.get().args_kwargs == {"args": [n.pk], "kwargs": {}}

    assert callbacks == []


@pytest.mark.django_db
def test_database_backend_a_rolled_back_change_leaves_no_task(school, database_tasks):
    class Boom(Exception):
        pass

    before = last_notification_pk()
    with pytest.raises(Boom), transaction.atomic():
        enrollments.enrollment_cancel(enrollment=school.sam_enrollment)
        assert DBTaskResult.objects.count() == 1
        raise Boom

    assert not Notification.objects.filter(pk__gt=before).exists()
    assert not DBTaskResult.objects.exists()


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
def test_database_backend_the_worker_cannot_run_the_task_before_commit(school, database_tasks):
    """While the change's transaction is open, another connection (the worker's) finds no
    task to claim, with the very query the worker uses; once it commits, the worker sends."""
    mail.outbox.clear()

    def worker_finds_a_task() -> bool:
        with transaction.atomic():
            return DBTaskResult.objects.ready().get_locked() is not None

    with transaction.atomic():
        enrollments.enrollment_cancel(enrollment=school.sam_enrollment)
        assert DBTaskResult.objects.count() == 1  # this transaction sees its own row

        assert _in_another_connection(worker_finds_a_task) is False

    assert _in_another_connection(worker_finds_a_task) is True
    run_worker()
    assert [m.to for m in mail.outbox] == [[school.sam.email]]
    n = Notification.objects.get(recipient=school.sam, event="enrollment_cancelled")
    assert (n.email_status, n.email_attempts) == (EmailStatus.SENT, 1)
