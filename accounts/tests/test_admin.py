"""The user admin: email login, roles, and the add form with two password fields."""

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import (
    AdminFactory,
    InstructorFactory,
    StudentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("admin:accounts_user_changelist")
ADD = reverse("admin:accounts_user_add")
PASSWORD = "a-long-unusual-passphrase-42"


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def change_url(user):
    return reverse("admin:accounts_user_change", args=(user.pk,))


def test_every_page_renders_for_a_superuser(admin_client):
    user = StudentFactory()
    password_url = reverse("admin:auth_user_password_change", args=(user.pk,))
    for url in (LIST, ADD, change_url(user), password_url):
        assert admin_client.get(url).status_code == 200, url


def test_a_student_is_sent_to_the_admin_login(client):
    student = StudentFactory()
    client.force_login(student)
    for url in (LIST, ADD, change_url(student)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_add_creates_a_user_with_email_roles_and_password(admin_client):
    response = admin_client.post(
        ADD,
        {
            "email": " Ines@Example.org ",
            "full_name": "Ines Instructor",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "is_instructor": "on",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="ines@example.org")
    assert user.full_name == "Ines Instructor"
    assert user.roles == ["instructor"]
    assert user.check_password(PASSWORD)
    assert response["Location"] == change_url(user)


def test_add_requires_matching_passwords(admin_client):
    response = admin_client.post(
        ADD,
        {
            "email": "new@example.org",
            "full_name": "New",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD + "x",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["password2"]
    assert not User.objects.filter(email="new@example.org").exists()


def test_an_email_taken_in_another_case_is_a_form_error(admin_client):
    UserFactory(email="taken@example.org")
    response = admin_client.post(
        ADD,
        {
            "email": "TAKEN@example.org",
            "full_name": "Again",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "User with this Email address already exists."
    ]
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1


def test_change_edits_name_and_roles(admin_client):
    user = StudentFactory(full_name="Sam")
    response = admin_client.post(
        change_url(user),
        {
            "email": user.email,
            "full_name": "Sam Student",
            "time_zone": "Europe/Berlin",
            "language": "de",
            "is_student": "on",
            "is_corporate_student": "on",
            "is_active": "on",
            "date_joined_0": "2026-01-05",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.full_name == "Sam Student"
    assert (user.time_zone, user.language) == ("Europe/Berlin", "de")
    assert user.roles == ["student", "corporate_student"]


def test_changelist_filters_by_role_and_searches(admin_client):
    instructor = InstructorFactory(full_name="Ines Teach", email="ines@example.com")
    student = StudentFactory(full_name="Sam Learn", email="sam@example.com")
    cl = admin_client.get(LIST, {"is_instructor__exact": "1"}).context["cl"]
    assert list(cl.result_list) == [instructor]
    cl = admin_client.get(LIST, {"is_student__exact": "1"}).context["cl"]
    assert list(cl.result_list) == [student]
    cl = admin_client.get(LIST, {"q": "sam@"}).context["cl"]
    assert list(cl.result_list) == [student]
    cl = admin_client.get(LIST, {"q": "Ines"}).context["cl"]
    assert list(cl.result_list) == [instructor]


# session, user, the groups for the groups filter, the count of the filtered rows, the count of
# all rows, the page of users. Pinned with the same bound for 3 rows and for 30.
CHANGELIST_QUERIES = 6


@pytest.mark.parametrize("size", [3, 30])
def test_changelist_query_count_is_constant(admin_client, django_assert_max_num_queries, size):
    StudentFactory.create_batch(size)
    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = admin_client.get(LIST, {"is_student__exact": "1"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == size
