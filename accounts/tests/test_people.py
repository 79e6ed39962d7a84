"""The console's people list: who never signed in, when they were last invited, filters, the
CSV, and a constant number of queries whatever the number of people."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import user_create
from accounts.tests.factories import AdminFactory, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory(email="ada@example.com"))
    return client


def test_the_list_says_who_never_signed_in_and_offers_an_invitation(admin_client):
    fresh = user_create(email="fresh@example.com", roles=["student"], full_name="Fay Fresh")
    old = StudentFactory(email="old@example.com")
    User.objects.filter(pk=old.pk).update(last_login=timezone.now())
    page = admin_client.get(reverse("people:list")).content.decode()
    fresh_row = page.split(f'data-testid="person-{fresh.pk}"')[1].split("</tr>")[0]
    old_row = page.split(f'data-testid="person-{old.pk}"')[1].split("</tr>")[0]
    assert "never signed in" in fresh_row and reverse("people:invite", args=[fresh.pk]) in fresh_row
    assert "never signed in" not in old_row and "people/" not in old_row

    never = admin_client.get(reverse("people:list"), {"signed_in": "never"}).content.decode()
    assert "fresh@example.com" in never and "old@example.com" not in never
    found = admin_client.get(reverse("people:list"), {"q": "Fay"}).content.decode()
    assert "fresh@example.com" in found and "old@example.com" not in found


def test_the_csv_lists_last_sign_in_and_invitation(admin_client):
    fresh = user_create(email="fresh@example.com", roles=["student"], full_name="Fay Fresh")
    User.objects.filter(pk=fresh.pk).update(last_invited_at=timezone.now())
    response = admin_client.get(reverse("people:list"), {"format": "csv", "q": "fresh"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Name", "Email", "Roles", "Last signed in", "Last invited"]
    assert rows[1][:4] == ["Fay Fresh", "fresh@example.com", "student", ""] and rows[1][4]


@pytest.mark.parametrize("size", [1, 30])
def test_the_list_takes_the_same_queries_whatever_its_size(
    admin_client, django_assert_max_num_queries, size
):
    for index in range(size):
        user_create(email=f"p{index}@example.com", roles=["student"])
    # session, user, unread count (the navigation), count, page of people
    with django_assert_max_num_queries(5):
        assert admin_client.get(reverse("people:list")).status_code == 200
