"""The trainer profile admin."""

import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from trainers.models import TrainerProfile, TrainerStatus
from trainers.tests.factories import TrainerProfileFactory

pytestmark = pytest.mark.django_db

LIST = reverse("admin:trainers_trainerprofile_changelist")
ADD = reverse("admin:trainers_trainerprofile_add")


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def change_url(profile):
    return reverse("admin:trainers_trainerprofile_change", args=(profile.pk,))


def profile_data(**overrides) -> dict:
    data = {
        "specialization": "German",
        "status": TrainerStatus.ACTIVE,
        "max_active_batches": "3",
        "max_individual_students": "",
        "mentoring_slot_minutes": "60",
    }
    data.update(overrides)
    return data


def test_every_page_renders_for_a_superuser(admin_client):
    profile = TrainerProfileFactory()
    for url in (LIST, ADD, change_url(profile)):
        assert admin_client.get(url).status_code == 200, url


def test_a_student_is_sent_to_the_admin_login(client):
    profile = TrainerProfileFactory()
    client.force_login(StudentFactory())
    for url in (LIST, ADD, change_url(profile)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_add_a_profile_for_an_instructor(admin_client):
    instructor = InstructorFactory()
    response = admin_client.post(ADD, profile_data(user=instructor.pk))
    assert response.status_code == 302
    profile = TrainerProfile.objects.get()
    assert (profile.user, profile.max_active_batches) == (instructor, 3)


def test_only_instructors_can_be_given_a_profile(admin_client):
    student = StudentFactory()
    response = admin_client.post(ADD, profile_data(user=student.pk))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user"]
    assert not TrainerProfile.objects.exists()


def test_a_cap_below_one_is_refused(admin_client):
    response = admin_client.post(
        ADD, profile_data(user=InstructorFactory().pk, max_active_batches="0")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not TrainerProfile.objects.exists()


def test_change_keeps_the_user(admin_client):
    profile = TrainerProfileFactory()
    other = InstructorFactory()
    response = admin_client.post(
        change_url(profile),
        profile_data(user=other.pk, status=TrainerStatus.ON_LEAVE, specialization="French"),
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.user_id, profile.status, profile.specialization) == (
        profile.user_id,
        TrainerStatus.ON_LEAVE,
        "French",
    )
    assert profile.user != other


def test_changelist_filters_and_searches(admin_client):
    german = TrainerProfileFactory(user=InstructorFactory(full_name="Greta Gruber"))
    french = TrainerProfileFactory(specialization="French", status=TrainerStatus.ON_LEAVE)
    cl = admin_client.get(LIST, {"status__exact": TrainerStatus.ON_LEAVE}).context["cl"]
    assert list(cl.result_list) == [french]
    cl = admin_client.get(LIST, {"q": "gruber"}).context["cl"]
    assert list(cl.result_list) == [german]
    cl = admin_client.get(LIST, {"q": german.user.email}).context["cl"]
    assert list(cl.result_list) == [german]


# session, user, the count of the filtered rows, the count of all rows, the values for the
# max_active_batches filter, the skills for the skills filter, the page of profiles joined to
# their users. Pinned with the same bound for 3 rows and for 30, so no query runs per row.
CHANGELIST_QUERIES = 7


@pytest.mark.parametrize("size", [3, 30])
def test_changelist_query_count_is_constant(admin_client, django_assert_max_num_queries, size):
    TrainerProfileFactory.create_batch(size)
    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = admin_client.get(LIST, {"status__exact": TrainerStatus.ACTIVE, "q": "a"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == size


def test_the_admin_sets_the_mentoring_slot_length_and_refuses_another(admin_client):
    profile = TrainerProfileFactory()
    url = reverse("admin:trainers_trainerprofile_change", args=[profile.pk])
    response = admin_client.post(url, profile_data(mentoring_slot_minutes="45"))
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.mentoring_slot_minutes == 45
    response = admin_client.post(url, profile_data(mentoring_slot_minutes="50"))
    assert response.status_code == 200
    profile.refresh_from_db()
    assert profile.mentoring_slot_minutes == 45
