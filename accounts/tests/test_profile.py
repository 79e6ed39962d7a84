"""The Profile page and the viewer's zone: the middleware activates the signed-in user's
``time_zone`` for each request, and every user picks theirs on ``/accounts/profile/``."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_profile_update
from accounts.tests.factories import InstructorFactory, StudentFactory
from core.errors import DomainError

pytestmark = pytest.mark.django_db


def test_profile_shows_the_users_zone_and_is_in_the_navigation(client):
    student = StudentFactory(time_zone="Asia/Kolkata")
    client.force_login(student)
    response = client.get(reverse("profile"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your time zone is <strong>Asia/Kolkata</strong>" in page
    assert 'value="Asia/Kolkata" selected' in page
    assert "IST (Asia/Kolkata)" in page
    # Linked from the navigation of every page.
    assert reverse("profile") in client.get(reverse("student:schedule")).content.decode()


def test_saving_a_zone_changes_what_every_page_shows(client):
    instructor = InstructorFactory()
    client.force_login(instructor)
    response = client.post(reverse("profile"), {"time_zone": "America/New_York"}, follow=True)
    assert response.redirect_chain == [(reverse("profile"), 302)]
    assert "Times are now shown in America/New_York" in response.content.decode()
    instructor.refresh_from_db()
    assert instructor.time_zone == "America/New_York"
    assert "Your time zone is <strong>America/New_York</strong>" in response.content.decode()


@pytest.mark.parametrize(
    "value", ["", "Mars/Olympus_Mons", "<script>", "Europe/Berlin\x00", "x" * 500]
)
def test_an_unknown_zone_is_a_form_error_and_nothing_changes(client, value):
    student = StudentFactory(time_zone="Europe/Berlin")
    client.force_login(student)
    response = client.post(reverse("profile"), {"time_zone": value})
    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"]
    student.refresh_from_db()
    assert student.time_zone == "Europe/Berlin"


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_service_refuses_an_unknown_zone():
    student = StudentFactory(time_zone="UTC")
    with pytest.raises(DomainError) as refused:
        user_profile_update(user=student, time_zone="Nowhere/Land")
    assert refused.value.field == "time_zone"
    student.refresh_from_db()
    assert student.time_zone == "UTC"


def test_middleware_activates_the_users_zone_for_the_request_only(client, monkeypatch):
    seen = []
    from accounts import views

    original = views.render

    def spy(request, *args, **kwargs):
        seen.append(timezone.get_current_timezone_name())
        return original(request, *args, **kwargs)

    monkeypatch.setattr(views, "render", spy)
    client.force_login(StudentFactory(time_zone="Pacific/Auckland"))
    client.get(reverse("profile"))
    assert seen == ["Pacific/Auckland"]
    assert timezone.get_current_timezone_name() == "UTC"  # deactivated after the response
    client.logout()
    client.get(reverse("login"))


def test_a_stored_zone_that_is_no_longer_known_falls_back_to_the_platforms(client, monkeypatch):
    student = StudentFactory()
    type(student).objects.filter(pk=student.pk).update(time_zone="Gone/Away")
    client.force_login(student)
    response = client.get(reverse("profile"))
    assert response.status_code == 200
    assert "Your time zone is <strong>UTC</strong>" in response.content.decode()
