"""The in-app inbox: the bell with the unread count on every page (at no query of its own),
the list page, marking read, and who may do what. Three users: Owen (owner of the
notifications), Otto (another user with his own), and an anonymous visitor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from notifications.models import Notification

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db

BADGE = 'data-testid="unread-count">'


@pytest.fixture
def owen():
    return UserFactory(full_name="Owen Owner", email="owen@example.com")


@pytest.fixture
def otto():
    return UserFactory(full_name="Otto Other", email="otto@example.com")


def notices(user, count: int, *, read: bool = False, **fields) -> list[Notification]:
    read_at = timezone.now() if read else None
    return [NotificationFactory(recipient=user, read_at=read_at, **fields) for _ in range(count)]


def queries_of(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


# --- the bell -------------------------------------------------------------------------------


class TestBell:
    def test_shows_the_unread_count(self, client, owen, otto):
        notices(owen, 3)
        notices(owen, 2, read=True)
        notices(otto, 4)
        client.force_login(owen)

        html = client.get(reverse("home")).content.decode()

        assert f"{BADGE}3</span>" in html
        assert 'aria-label="Inbox, 3 unread"' in html
        assert "bi-bell-fill" in html

    def test_no_badge_without_unread(self, client, owen):
        notices(owen, 2, read=True)
        client.force_login(owen)

        html = client.get(reverse("home")).content.decode()

        assert BADGE not in html
        assert 'aria-label="Inbox"' in html and "bi-bell-fill" not in html

    def test_costs_no_query_of_its_own(self, client, owen, otto):
        """The count is a subquery of the session user's query (ModelBackendWithInbox):
        the page costs the same with 0 and 5 unread, and no query reads notifications on
        its own."""
        client.force_login(owen)
        without = queries_of(client, reverse("home"))
        notices(owen, 5)
        notices(otto, 2)

        with_unread = queries_of(client, reverse("home"))

        assert len(with_unread) == len(without)
        touching = [sql for sql in with_unread if Notification._meta.db_table in sql]
        assert len(touching) == 1
        assert f'FROM "{User._meta.db_table}"' in touching[0]

    def test_the_count_drops_after_mark_all_read(self, client, owen):
        notices(owen, 2)
        client.force_login(owen)

        response = client.post(reverse("inbox:read_all"), follow=True)

        assert BADGE not in response.content.decode()


# --- the list page --------------------------------------------------------------------------


class TestList:
    def test_own_notifications_newest_first(self, client, owen, otto):
        old = NotificationFactory(recipient=owen, subject="Older news")
        Notification.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - dt.timedelta(days=1)
        )
        NotificationFactory(recipient=owen, subject="Newer news")
        NotificationFactory(recipient=otto, subject="Otto's secret")
        client.force_login(owen)

        response = client.get(reverse("inbox:list"))

        page = response.context["page"]
        assert [n.subject for n in page.object_list] == ["Newer news", "Older news"]
        assert "Otto&#x27;s secret" not in response.content.decode()
        assert "Otto's secret" not in response.content.decode()

    def test_paginated_by_25(self, client, owen):
        notices(owen, 30)
        client.force_login(owen)

        first = client.get(reverse("inbox:list"))
        second = client.get(reverse("inbox:list"), {"page": 2})

        assert len(first.context["page"].object_list) == 25
        assert "1–25 of 30" in first.content.decode()
        assert len(second.context["page"].object_list) == 5

    def test_unread_filter(self, client, owen):
        notices(owen, 2, subject="Unread one")
        notices(owen, 3, read=True, subject="Read one")
        client.force_login(owen)

        response = client.get(reverse("inbox:list"), {"unread": "1"})

        assert {n.subject for n in response.context["page"].object_list} == {"Unread one"}
        assert response.context["only_unread"] is True
        assert len(client.get(reverse("inbox:list")).context["page"].object_list) == 5

    def test_empty_unread_filter_says_so(self, client, owen):
        notices(owen, 1, read=True)
        client.force_login(owen)

        response = client.get(reverse("inbox:list"), {"unread": "1"})

        assert "No unread notifications." in response.content.decode()

    def test_subjects_and_bodies_are_escaped(self, client, owen):
        NotificationFactory(recipient=owen, subject="<script>x()</script>", body="<b>hi</b>")
        client.force_login(owen)

        html = client.get(reverse("inbox:list")).content.decode()

        assert "<script>x()" not in html and "<b>hi</b>" not in html
        assert "&lt;script&gt;x()&lt;/script&gt;" in html

    def test_query_count_does_not_grow(self, client, owen):
        notices(owen, 3, url="/me/schedule/")
        client.force_login(owen)
        small = len(queries_of(client, reverse("inbox:list")))
        notices(owen, 40, url="/me/schedule/")
        notices(owen, 10, read=True)

        assert len(queries_of(client, reverse("inbox:list"))) == small
        assert len(queries_of(client, reverse("inbox:list") + "?unread=1")) == small


# --- marking read ---------------------------------------------------------------------------


class TestMarkRead:
    def test_marks_own_and_follows_its_link(self, client, owen):
        (n,) = notices(owen, 1, url="/me/schedule/")
        client.force_login(owen)

        response = client.post(reverse("inbox:read", args=[n.pk]), {"next": "/me/schedule/"})

        assert response.status_code == 302 and response.url == "/me/schedule/"
        n.refresh_from_db()
        assert n.read_at is not None

    def test_without_next_back_to_the_inbox(self, client, owen):
        (n,) = notices(owen, 1)
        client.force_login(owen)

        response = client.post(reverse("inbox:read", args=[n.pk]))

        assert response.url == reverse("inbox:list")

    @pytest.mark.parametrize(
        "target",
        [
            "https://evil.example/phish",
            "//evil.example/phish",
            "javascript:alert(1)",
            "http://testserver.evil.example/",
        ],
    )
    def test_an_external_next_is_ignored(self, client, owen, target):
        (n,) = notices(owen, 1)
        client.force_login(owen)

        response = client.post(reverse("inbox:read", args=[n.pk]), {"next": target})

        assert response.status_code == 302 and response.url == reverse("inbox:list")
        n.refresh_from_db()
        assert n.read_at is not None

    def test_an_already_read_one_still_opens(self, client, owen):
        (n,) = notices(owen, 1, read=True)
        first_read = n.read_at
        client.force_login(owen)

        response = client.post(reverse("inbox:read", args=[n.pk]), {"next": "/me/schedule/"})

        assert response.url == "/me/schedule/"
        n.refresh_from_db()
        assert n.read_at == first_read

    def test_another_users_notification_is_404_and_untouched(self, client, owen, otto):
        (theirs,) = notices(otto, 1)
        client.force_login(owen)

        response = client.post(reverse("inbox:read", args=[theirs.pk]))

        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_a_missing_notification_is_404(self, client, owen):
        client.force_login(owen)

        assert client.post(reverse("inbox:read", args=[999999])).status_code == 404

    def test_get_is_not_allowed(self, client, owen):
        (n,) = notices(owen, 1)
        client.force_login(owen)

        assert client.get(reverse("inbox:read", args=[n.pk])).status_code == 405
        n.refresh_from_db()
        assert n.read_at is None


class TestMarkAllRead:
    def test_marks_only_own_unread_and_says_how_many(self, client, owen, otto):
        notices(owen, 3)
        (already,) = notices(owen, 1, read=True)
        notices(otto, 2)
        client.force_login(owen)

        response = client.post(reverse("inbox:read_all"))

        assert response.url == reverse("inbox:list")
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            "Marked 3 notifications as read."
        ]
        assert not Notification.objects.unread().filter(recipient=owen).exists()
        assert Notification.objects.unread().filter(recipient=otto).count() == 2
        assert Notification.objects.get(pk=already.pk).read_at == already.read_at

    def test_singular_and_none(self, client, owen):
        notices(owen, 1)
        client.force_login(owen)

        first = client.post(reverse("inbox:read_all"), follow=True)
        second = client.post(reverse("inbox:read_all"), follow=True)

        assert [str(m) for m in first.context["messages"]] == ["Marked 1 notification as read."]
        assert [str(m) for m in second.context["messages"]] == ["Marked 0 notifications as read."]

    def test_get_is_not_allowed(self, client, owen):
        notices(owen, 1)
        client.force_login(owen)

        assert client.get(reverse("inbox:read_all")).status_code == 405
        assert Notification.objects.unread().count() == 1


class TestAnonymous:
    @pytest.mark.parametrize(
        ("method", "name", "args"),
        [("get", "inbox:list", []), ("post", "inbox:read", [1]), ("post", "inbox:read_all", [])],
    )
    def test_sent_to_login(self, client, method, name, args):
        url = reverse(name, args=args)

        response = getattr(client, method)(url)

        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")

    def test_nothing_is_marked(self, client, owen):
        (n,) = notices(owen, 1)

        client.post(reverse("inbox:read", args=[n.pk]))
        client.post(reverse("inbox:read_all"))

        n.refresh_from_db()
        assert n.read_at is None
