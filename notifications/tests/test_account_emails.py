"""Invitations and password reset, end to end through the outbox: the email's link works once,
expires, dies when the password changes or the user signs in, and "forgot password" answers
the same whether or not the address has an account (page and API)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts.mail import INVITATION, PASSWORD_RESET
from accounts.models import User
from accounts.services import user_create, user_invite
from accounts.tests.factories import AdminFactory, StudentFactory
from accounts.tokens import invitation_tokens
from core.errors import DomainError
from notifications.models import EmailStatus, Notification

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-and-long-passphrase-42"
LINK = re.compile(r"http://\S+/accounts/(?:reset|invitation)/[^/\s]+/[^/\s]+/")


def link_in(message) -> str:
    """The one-time link of an account email, as a path on this site."""
    links = set(LINK.findall(message.body))
    assert len(links) == 1, message.body
    return re.sub(r"^http://[^/]+", "", links.pop())


def set_password_through(client, path: str, password: str = NEW_PASSWORD):
    """Open the link (Django moves the token into the session and redirects) and post the new
    password twice; returns the answer to the post."""
    opened = client.get(path)
    assert opened.status_code == 302, opened.status_code
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


def without_csrf(page: bytes) -> str:
    # Each rendering masks the CSRF token differently; everything else must be identical.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.decode())


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run a block and deliver the outbox rows it committed (as the worker would)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- password reset -------------------------------------------------------------------------


def test_reset_end_to_end_through_the_outbox_works_once(client, deliver):
    student = StudentFactory(email="sam@example.com")
    with deliver():
        response = client.post(reverse("password_reset"), {"email": "Sam@Example.com "})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")

    row = Notification.objects.get(recipient=student, event=PASSWORD_RESET)
    assert row.email_status == EmailStatus.SENT  # written in the request, sent by delivery
    [message] = mail.outbox
    assert message.to == ["sam@example.com"] and "Reset" in message.subject
    path = link_in(message)

    done = set_password_through(client, path)
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)

    # Once: the same link now says it does not work, and sets nothing.
    again = client.get(path, follow=True)
    assert 'data-testid="link-invalid"' in again.content.decode()
    assert not again.context["validlink"]


def test_a_reset_link_expires(client, deliver, monkeypatch, settings):
    student = StudentFactory(email="sam@example.com")
    with deliver():
        client.post(reverse("password_reset"), {"email": student.email})
    path = link_in(mail.outbox[0])
    later = default_token_generator._now() + dt.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 1
    )
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)

    response = client.get(path, follow=True)
    assert not response.context["validlink"]
    student.refresh_from_db()
    assert not student.check_password(NEW_PASSWORD)


def test_a_reset_link_dies_when_the_password_changes(client, deliver):
    student = StudentFactory(email="sam@example.com")
    with deliver():
        client.post(reverse("password_reset"), {"email": student.email})
    path = link_in(mail.outbox[0])
    student.set_password("changed-some-other-way-99")
    student.save()

    assert not client.get(path, follow=True).context["validlink"]


def test_a_reset_link_dies_when_the_user_signs_in(client, deliver):
    student = StudentFactory(email="sam@example.com")
    with deliver():
        client.post(reverse("password_reset"), {"email": student.email})
    path = link_in(mail.outbox[0])
    client.force_login(student)  # updates last_login, which the token hashes
    client.logout()

    assert not client.get(path, follow=True).context["validlink"]


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(client, deliver):
    StudentFactory(email="sam@example.com")
    answers = []
    for email in ("sam@example.com", "nobody@example.com"):
        with deliver():
            response = client.post(reverse("password_reset"), {"email": email}, follow=True)
        answers.append(
            (response.status_code, response.redirect_chain, without_csrf(response.content))
        )
    assert answers[0] == answers[1]
    assert "If the address you entered has an account" in answers[0][2]
    # Only the known address got an email.
    assert [m.to for m in mail.outbox] == [["sam@example.com"]]


def test_forgot_password_mails_an_account_once_a_minute(client, deliver):
    StudentFactory(email="sam@example.com")
    for _ in range(3):
        with deliver():
            response = client.post(reverse("password_reset"), {"email": "sam@example.com"})
        assert response.status_code == 302
    assert len(mail.outbox) == 1


def test_an_inactive_account_gets_no_reset_email(client, deliver):
    StudentFactory(email="gone@example.com", is_active=False)
    with deliver():
        client.post(reverse("password_reset"), {"email": "gone@example.com"})
    assert mail.outbox == []


def test_the_login_page_links_to_forgot_password(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


# --- invitations ----------------------------------------------------------------------------


def test_an_admin_invites_a_user_who_never_signed_in(client, deliver):
    admin = AdminFactory(full_name="Ada Admin")
    student = user_create(email="imported@example.com", roles=["student"], full_name="Ima Port")
    assert not student.has_usable_password() and student.never_signed_in
    client.force_login(admin)
    with deliver():
        response = client.post(reverse("people:invite", args=[student.pk]))
    assert response.status_code == 302

    student.refresh_from_db()
    assert student.last_invited_at is not None
    [message] = mail.outbox
    assert message.to == ["imported@example.com"]
    assert "Ada Admin invited you" in message.body
    path = link_in(message)
    assert path.startswith("/accounts/invitation/")

    # The invitee sets a password and is signed in.
    invitee = client.__class__()
    done = set_password_through(invitee, path)
    assert done.status_code == 302 and done["Location"] == reverse("home")
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD) and student.last_login is not None
    assert invitee.get(reverse("profile")).status_code == 200

    # Once: the link is dead now, and the account cannot be invited any more.
    assert not client.__class__().get(path, follow=True).context["validlink"]
    with pytest.raises(DomainError, match="signed in already"):
        user_invite(user=student)


def test_inviting_again_updates_the_time_and_sends_a_new_email(client, deliver):
    admin = AdminFactory()
    student = user_create(email="imported@example.com", roles=["student"])
    client.force_login(admin)
    with deliver():
        client.post(reverse("people:invite", args=[student.pk]))
    student.refresh_from_db()
    first = student.last_invited_at
    User.objects.filter(pk=student.pk).update(last_invited_at=first - dt.timedelta(days=2))

    with deliver():
        client.post(reverse("people:invite", args=[student.pk]))
    student.refresh_from_db()
    assert student.last_invited_at >= first
    assert len(mail.outbox) == 2
    # The list shows the time and says "never signed in".
    page = client.get(reverse("people:list"), {"signed_in": "never"}).content.decode()
    assert "never signed in" in page and "Invite again" in page


def test_a_user_who_signed_in_cannot_be_invited(client, deliver):
    admin = AdminFactory()
    student = StudentFactory()
    User.objects.filter(pk=student.pk).update(last_login=timezone.now())
    client.force_login(admin)
    with deliver():
        response = client.post(reverse("people:invite", args=[student.pk]), follow=True)
    assert "signed in already" in response.content.decode()
    assert mail.outbox == []
    student.refresh_from_db()
    assert student.last_invited_at is None


def test_an_inactive_user_cannot_be_invited():
    student = user_create(email="off@example.com", roles=["student"])
    User.objects.filter(pk=student.pk).update(is_active=False)
    with pytest.raises(DomainError, match="deactivated"):
        user_invite(user=student)


def test_an_invitation_link_expires_after_its_own_timeout(client, deliver, monkeypatch, settings):
    settings.PASSWORD_RESET_TIMEOUT = 60
    settings.INVITATION_TIMEOUT = 3600
    student = user_create(email="imported@example.com", roles=["student"])
    with deliver():
        user_invite(user=student)
    path = link_in(mail.outbox[0])
    now = invitation_tokens._now()

    # Past the reset timeout, within the invitation's: still valid.
    monkeypatch.setattr(invitation_tokens, "_now", lambda: now + dt.timedelta(seconds=600))
    assert client.get(path, follow=True).context["validlink"]
    monkeypatch.setattr(invitation_tokens, "_now", lambda: now + dt.timedelta(seconds=3601))
    assert not client.__class__().get(path, follow=True).context["validlink"]


def test_an_invitation_token_is_no_reset_token():
    student = user_create(email="imported@example.com", roles=["student"])
    token = invitation_tokens.make_token(student)
    assert invitation_tokens.check_token(student, token)
    assert not default_token_generator.check_token(student, token)


def test_the_admin_action_invites_and_the_list_shows_never_signed_in(client, deliver):
    admin = AdminFactory()
    fresh = user_create(email="fresh@example.com", roles=["student"])
    client.force_login(admin)
    with deliver():
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "invite", "_selected_action": [fresh.pk, admin.pk]},
            follow=True,
        )
    page = response.content.decode()
    assert "1 invitation sent." in page and "signed in already" in page
    assert [m.to for m in mail.outbox] == [["fresh@example.com"]]
    listing = client.get(reverse("admin:accounts_user_changelist"), {"signed_in": "never"})
    rows = listing.content.decode().split('id="result_list"')[-1]
    assert "fresh@example.com" in rows and "never signed in" in rows
    assert admin.email not in rows  # signed in: filtered out


# --- API --------------------------------------------------------------------------------------


def api_post(path: str, body: dict, **headers):
    return APIClient().post(path, body, format="json", **headers)


def test_api_reset_answers_the_same_for_known_and_unknown_addresses(deliver):
    StudentFactory(email="sam@example.com")
    with deliver():
        known = api_post("/api/v1/auth/password-reset", {"email": "sam@example.com"})
    with deliver():
        unknown = api_post("/api/v1/auth/password-reset", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert known.json()["success"] is True
    assert [m.to for m in mail.outbox] == [["sam@example.com"]]


def test_api_confirm_sets_the_password_once(deliver):
    student = StudentFactory(email="sam@example.com")
    with deliver():
        api_post("/api/v1/auth/password-reset", {"email": "sam@example.com"})
    uid, token = link_in(mail.outbox[0]).strip("/").split("/")[-2:]
    confirm = "/api/v1/auth/password-reset/confirm"

    weak = api_post(confirm, {"uid": uid, "token": token, "new_password": "123"})
    assert weak.status_code == 400
    assert "too short" in weak.json()["message"]
    assert "new_password" in weak.json()["errors"]

    ok = api_post(confirm, {"uid": uid, "token": token, "new_password": NEW_PASSWORD})
    assert ok.status_code == 200, ok.json()
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)

    again = api_post(confirm, {"uid": uid, "token": token, "new_password": "another-one-77-x"})
    assert again.status_code == 400
    assert "invalid or has expired" in again.json()["message"]
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    "uid,token",
    [("", "x"), ("MQ", "bad-token"), ("!!!", "1-2"), ("OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "a-b")],
)
def test_api_confirm_refuses_bad_links_with_one_message(uid, token):
    StudentFactory()
    response = api_post(
        "/api/v1/auth/password-reset/confirm",
        {"uid": uid, "token": token, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert response.json()["success"] is False


@pytest.mark.parametrize(
    "body,invited",
    [({}, True), ({"send_invitation": False}, False), ({"password": NEW_PASSWORD}, False)],
)
def test_api_user_create_without_password_invites_unless_told_not_to(deliver, body, invited):
    admin = AdminFactory()
    client = APIClient()
    client.force_authenticate(admin)
    with deliver():
        response = client.post(
            "/api/users",
            {"full_name": "New One", "email": "new@example.com", "role": ["student"], **body},
            format="json",
        )
    assert response.status_code == 201, response.json()
    user = User.objects.get(email="new@example.com")
    assert (user.last_invited_at is not None) is invited
    assert [m.to for m in mail.outbox] == ([["new@example.com"]] if invited else [])
    assert user.has_usable_password() is ("password" in body)


@pytest.mark.parametrize(
    "password",
    ["", "x" * 10_000, "<script>alert(1)</script>", "a\x00b", "\u202egnp.exe 😀", "12345678"],
)
def test_the_set_password_form_of_a_live_link_survives_hostile_values(client, password):
    student = user_create(email="imported@example.com", roles=["student"])
    token = invitation_tokens.make_token(student)
    uid = urlsafe_base64_encode(force_bytes(student.pk))
    opened = client.get(reverse("invitation_accept", args=[uid, token]))
    response = client.post(
        opened["Location"], {"new_password1": password, "new_password2": password}
    )
    student.refresh_from_db()
    if response.status_code == 302:  # a password the validators accept, stored as typed
        assert student.check_password(password)
    else:  # the form with its errors, nothing stored, nothing echoed unescaped
        assert response.status_code == 200 and response.context["form"].errors
        assert "<script>alert(1)</script>" not in response.content.decode()
        assert not student.has_usable_password()


def test_no_live_link_is_kept_in_the_database_once_the_email_is_out(client, deliver):
    student = StudentFactory(email="sam@example.com")
    with deliver():
        client.post(reverse("password_reset"), {"email": student.email})
    [message] = mail.outbox
    assert LINK.search(message.body)
    row = Notification.objects.get(recipient=student, event=PASSWORD_RESET)
    assert row.email_status == EmailStatus.SENT
    assert not LINK.search(row.body) and not LINK.search(row.body_html)
    assert "not kept here" in row.body
    # Read already: the bell does not ring for it.
    assert row.read_at is not None


# --- races (PostgreSQL: row locks) ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_reset_link_used_twice_at_once_sets_the_password_once():
    from accounts.services import password_reset_confirm
    from core.testing import race

    student = StudentFactory(email="sam@example.com")
    uid = urlsafe_base64_encode(force_bytes(student.pk))
    token = default_token_generator.make_token(student)
    passwords = [f"racing-passphrase-{n}-xyz" for n in range(4)]

    outcomes = race(
        password_reset_confirm,
        [{"uidb64": uid, "token": token, "new_password": p} for p in passwords],
    )

    won = [p for p, outcome in zip(passwords, outcomes, strict=True) if outcome.ok]
    assert len(won) == 1, outcomes
    assert all("invalid or has expired" in o.message for o in outcomes if not o.ok), outcomes
    student.refresh_from_db()
    assert student.check_password(won[0])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_inviting_at_once_each_send_one_and_the_time_is_the_last():
    from core.testing import race

    admins = [AdminFactory(), AdminFactory()]
    student = user_create(email="imported@example.com", roles=["student"])
    outcomes = race(user_invite, [{"user": student, "invited_by": a} for a in admins])
    assert all(o.ok for o in outcomes), outcomes
    assert Notification.objects.filter(recipient=student, event=INVITATION).count() == 2
    student.refresh_from_db()
    assert student.last_invited_at == max(o.value.last_invited_at for o in outcomes)
