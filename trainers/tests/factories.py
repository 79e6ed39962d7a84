import factory
from factory.django import DjangoModelFactory

from medh.accounts.tests.factories import InstructorFactory
from trainers.models import TrainerProfile


class TrainerProfileFactory(DjangoModelFactory):
    class Meta:
        model = TrainerProfile

    user = factory.SubFactory(InstructorFactory)
    specialization = "German"
