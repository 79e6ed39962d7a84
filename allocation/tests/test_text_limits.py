"""Free text is bounded (allocation.models.TEXT_MAX_LENGTH) on every way in: the services'
full_clean (so the admin and anything else), the page forms and the API.

Three notes of 2.4 MB each, posted from the batch page's form, once made a 7 MB page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from allocation.models import TEXT_MAX_LENGTH, Batch, BatchNote, IndividualAssignment
from allocation.services import batch_note_add, batch_update, individual_assign
from allocation.services.mentoring import mentoring_session_log
from core import dates
from core.errors import DomainError
from tests.support import InstructorFactory, StudentFactory

pytestmark = pytest.mark.django_db

TOO_LONG = "x" * (TEXT_MAX_LENGTH + 1)
MSG_TOO_LONG = (
    f"Ensure this value has at most {TEXT_MAX_LENGTH} characters (it has {TEXT_MAX_LENGTH + 1})."
)


@pytest.fixture
def batch(make_batch):
    return make_batch()


def test_a_note_of_the_limit_is_kept_and_one_more_character_refused(batch, admin):
    assert len(batch_note_add(batch=batch, author=admin, body="y" * TEXT_MAX_LENGTH).body) == (
        TEXT_MAX_LENGTH
    )
    with pytest.raises(DomainError) as refused:
        batch_note_add(batch=batch, author=admin, body=TOO_LONG)
    assert (refused.value.message, refused.value.field) == (MSG_TOO_LONG, "body")
    assert BatchNote.objects.count() == 1


@pytest.mark.parametrize("url_name", ["console:batch_note_add", "instructor:batch_notes"])
def test_the_note_forms_refuse_an_oversized_note(client, batch, admin, url_name):
    client.force_login(admin if url_name.startswith("console") else batch.assigned_instructor)
    response = client.post(reverse(url_name, args=[batch.pk]), {"body": "z" * 2_400_000})

    assert response.status_code == 200
    assert response.context["form"].errors["body"] == [
        f"Ensure this value has at most {TEXT_MAX_LENGTH} characters (it has 2400000)."
    ]
    assert not BatchNote.objects.exists()


def test_the_note_form_tells_the_browser_the_limit(client, batch):
    client.force_login(batch.assigned_instructor)
    html = client.get(reverse("instructor:batch_notes", args=[batch.pk])).content.decode()
    assert f'maxlength="{TEXT_MAX_LENGTH}"' in html


def test_batch_notes_are_bounded_in_the_service(batch, admin):
    with pytest.raises(DomainError) as refused:
        batch_update(batch=batch, updated_by=admin, batch_notes=TOO_LONG)
    assert (refused.value.message, refused.value.field) == (MSG_TOO_LONG, "batch_notes")
    assert Batch.objects.get(pk=batch.pk).batch_notes == ""


def test_batch_notes_are_bounded_in_the_api(batch, admin):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {Token.objects.create(user=admin).key}")
    response = client.put(f"/api/batches/{batch.pk}", {"batch_notes": TOO_LONG}, format="json")
    assert response.status_code == 400
    assert "batch_notes" in response.json()["errors"]


def test_mentoring_notes_are_bounded(admin):
    student, instructor = StudentFactory(), InstructorFactory()
    with pytest.raises(DomainError) as refused:
        individual_assign(student=student, instructor=instructor, assigned_by=admin, notes=TOO_LONG)
    assert refused.value.field == "notes"
    assert not IndividualAssignment.objects.exists()

    assignment = individual_assign(student=student, instructor=instructor, assigned_by=admin)
    with pytest.raises(DomainError) as refused:
        mentoring_session_log(
            assignment=assignment,
            session_date=dates.today(),
            duration_minutes=30,
            notes=TOO_LONG,
            logged_by=instructor,
        )
    assert refused.value.field == "notes"
