"""TrainerProfile: the constraints the database holds and full_clean reports."""

from contextlib import contextmanager

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from trainers.models import DEFAULT_MAX_ACTIVE_BATCHES, TrainerProfile, TrainerStatus
from trainers.tests.factories import TrainerProfileFactory

pytestmark = pytest.mark.django_db


@contextmanager
def refused_by(constraint: str):
    """The database refuses the write with an IntegrityError that names ``constraint``."""
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        yield


def constraint_errors(instance) -> list[str]:
    """The messages of the model's own constraints, whatever full_clean reports first."""
    with pytest.raises(ValidationError) as excinfo:
        instance.validate_constraints()
    return excinfo.value.message_dict[NON_FIELD_ERRORS]


def test_defaults():
    profile = TrainerProfileFactory()

    profile.refresh_from_db()
    assert profile.max_active_batches == DEFAULT_MAX_ACTIVE_BATCHES == 4
    assert profile.max_individual_students is None
    assert profile.status == TrainerStatus.ACTIVE
    profile.full_clean()  # a valid profile passes


class TestMaxActiveBatches:
    def test_one_is_allowed(self):
        profile = TrainerProfileFactory(max_active_batches=1)

        profile.full_clean()
        assert TrainerProfile.objects.get(pk=profile.pk).max_active_batches == 1

    def test_zero_is_refused_by_the_database(self):
        with refused_by("trainer_max_active_batches_at_least_1"):
            TrainerProfileFactory(max_active_batches=0)
        assert not TrainerProfile.objects.exists()

    def test_zero_is_refused_by_an_update_too(self):
        profile = TrainerProfileFactory()

        with refused_by("trainer_max_active_batches_at_least_1"):
            TrainerProfile.objects.filter(pk=profile.pk).update(max_active_batches=0)
        profile.refresh_from_db()
        assert profile.max_active_batches == DEFAULT_MAX_ACTIVE_BATCHES

    def test_zero_is_refused_by_full_clean(self):
        profile = TrainerProfileFactory.build(max_active_batches=0)

        with pytest.raises(ValidationError) as excinfo:
            profile.full_clean()
        assert excinfo.value.message_dict[NON_FIELD_ERRORS] == [
            "The cap on active batches must be at least 1"
        ]


class TestStatus:
    @pytest.mark.parametrize("status", TrainerStatus.values)
    def test_every_known_status_is_stored(self, status):
        profile = TrainerProfileFactory(status=status)

        profile.full_clean()
        assert TrainerProfile.objects.get(pk=profile.pk).status == status

    def test_unknown_status_is_refused_by_the_database(self):
        profile = TrainerProfileFactory()

        with refused_by("trainer_status_valid"):
            TrainerProfile.objects.filter(pk=profile.pk).update(status="retired")
        profile.refresh_from_db()
        assert profile.status == TrainerStatus.ACTIVE

    def test_unknown_status_is_refused_by_full_clean(self):
        profile = TrainerProfileFactory.build(status="retired")

        with pytest.raises(ValidationError) as excinfo:
            profile.full_clean()
        assert "status" in excinfo.value.message_dict
        # The check constraint itself, which full_clean skips once the field has failed:
        assert constraint_errors(profile) == ["Constraint “trainer_status_valid” is violated."]


def test_one_profile_per_user():
    profile = TrainerProfileFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        TrainerProfileFactory(user=profile.user)
    assert TrainerProfile.objects.count() == 1


def test_str_is_the_trainers_name():
    profile = TrainerProfileFactory(user__full_name="Greta Berg")

    assert str(profile) == "Greta Berg"
