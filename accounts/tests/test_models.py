"""The custom User: email login stored in one case, roles as columns, role querysets."""

import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from accounts.models import Role, User
from accounts.tests.factories import (
    TEST_PASSWORD,
    AdminFactory,
    InstructorFactory,
    StudentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


class TestEmail:
    def test_create_user_stores_the_email_lowercased(self):
        user = User.objects.create_user("Ann.Lee@Example.ORG", "pw", full_name="Ann Lee")

        user.refresh_from_db()
        assert user.email == "ann.lee@example.org"

    def test_save_lowercases_and_strips_the_email(self):
        user = UserFactory(email="  Bob@Example.org ")

        user.refresh_from_db()
        assert user.email == "bob@example.org"

    def test_two_spellings_of_one_email_collide(self):
        User.objects.create_user("carla@example.org", "pw")

        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create_user("CARLA@example.org", "pw")
        assert User.objects.filter(email="carla@example.org").count() == 1

    def test_the_email_is_the_login(self):
        user = User.objects.create_user("Dana@Example.org", TEST_PASSWORD)

        assert User.USERNAME_FIELD == "email"
        # With a request, as every login passes one (django-axes counts failures per address).
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username="dana@example.org", password=TEST_PASSWORD) == user
        assert authenticate(request, username="dana@example.org", password="wrong") is None

    def test_an_email_is_required(self):
        with pytest.raises(ValueError, match="An email address is required"):
            User.objects.create_user("", "pw")
        assert not User.objects.exists()


class TestCreateUser:
    def test_defaults_to_no_role_and_a_hashed_password(self):
        user = User.objects.create_user("eve@example.org", "s3cret", full_name="Eve Adams")

        assert user.roles == []
        assert user.is_active
        assert not user.is_superuser
        assert user.password != "s3cret"
        assert user.check_password("s3cret")

    def test_roles_argument_sets_each_role_column(self):
        user = User.objects.create_user(
            "finn@example.org", "pw", roles=[Role.INSTRUCTOR, "corporate_student"]
        )

        user.refresh_from_db()
        assert user.is_instructor
        assert user.is_corporate_student
        assert not user.is_student
        assert not user.is_staff
        assert user.roles == ["instructor", "corporate_student"]

    def test_unknown_role_is_refused(self):
        with pytest.raises(ValueError):
            User.objects.create_user("gus@example.org", "pw", roles=["wizard"])
        assert not User.objects.exists()

    def test_without_password_the_user_cannot_log_in(self):
        user = User.objects.create_user("hal@example.org")

        assert not user.has_usable_password()


def test_create_superuser_is_staff_and_superuser_with_the_admin_role():
    user = User.objects.create_superuser("Root@Example.org", "pw", full_name="Root")

    user.refresh_from_db()
    assert user.email == "root@example.org"
    assert user.is_staff
    assert user.is_superuser
    assert user.roles == ["admin"]
    assert user.has_role(Role.ADMIN)
    assert user.check_password("pw")


class TestRoles:
    def test_roles_lists_every_role_held_in_a_fixed_order(self):
        user = UserFactory(
            is_staff=True, is_instructor=True, is_student=True, is_corporate_student=True
        )

        assert user.roles == ["admin", "instructor", "student", "corporate_student"]

    def test_admin_role_is_is_staff(self):
        assert AdminFactory().roles == ["admin"]
        assert UserFactory(is_superuser=True).roles == []  # superuser alone is not the role

    @pytest.mark.parametrize(
        ("factory", "held"),
        [
            (InstructorFactory, {"instructor"}),
            (StudentFactory, {"student"}),
            (AdminFactory, {"admin"}),
        ],
    )
    def test_has_role(self, factory, held):
        user = factory()

        for role in Role.values:
            assert user.has_role(role) is (role in held)
            assert user.has_role(Role(role)) is (role in held)

    def test_has_role_refuses_an_unknown_role(self):
        with pytest.raises(ValueError):
            UserFactory().has_role("wizard")

    def test_is_learner(self):
        assert StudentFactory().is_learner
        assert UserFactory(is_corporate_student=True).is_learner
        assert not InstructorFactory().is_learner


class TestQuerySets:
    @pytest.fixture
    def people(self):
        return {
            "instructor": InstructorFactory(),
            "inactive_instructor": InstructorFactory(is_active=False),
            "instructor_admin": InstructorFactory(is_staff=True),
            "student": StudentFactory(),
            "corporate": UserFactory(is_corporate_student=True),
            "admin": AdminFactory(),
            "nobody": UserFactory(),
        }

    def test_with_role(self, people):
        def holders(role):
            return set(User.objects.with_role(role))

        assert holders("instructor") == {
            people["instructor"],
            people["inactive_instructor"],
            people["instructor_admin"],
        }
        assert holders(Role.ADMIN) == {people["instructor_admin"], people["admin"]}
        assert holders("student") == {people["student"]}
        assert holders("corporate_student") == {people["corporate"]}

    def test_with_role_refuses_an_unknown_role(self):
        with pytest.raises(ValueError):
            User.objects.with_role("wizard")

    def test_instructors_are_the_active_users_with_the_role(self, people):
        assert set(User.objects.instructors()) == {
            people["instructor"],
            people["instructor_admin"],
        }

    def test_students_include_corporate_students(self, people):
        assert set(User.objects.students()) == {people["student"], people["corporate"]}

    def test_querysets_chain(self, people):
        assert list(User.objects.filter(is_staff=True).instructors()) == [
            people["instructor_admin"]
        ]


def test_str_and_names():
    named = UserFactory(email="ivy@example.org", full_name="Ivy Stone")
    unnamed = UserFactory(email="jo@example.org", full_name="")

    assert str(named) == "Ivy Stone <ivy@example.org>"
    assert str(unnamed) == "jo@example.org"
    assert named.get_full_name() == "Ivy Stone"
    assert named.get_short_name() == "Ivy Stone"
    assert UserFactory(full_name="Dr. Mira Rao").get_short_name() == "Dr. Mira Rao"
    assert unnamed.get_short_name() == "jo@example.org"
