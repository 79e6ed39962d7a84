"""Reads of trainers' workload and the console dashboard's rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.models import User
from allocation.models import (
    OPEN_BATCH_STATUSES,
    TEACHING_ROLES,
    BatchTrainer,
    IndividualAssignment,
    ScheduleSlot,
)
from allocation.selectors.cover import leaves_with_uncovered_sessions
from allocation.selectors.mentoring import stale_mentee_counts


def per_trainer(queryset: QuerySet, trainer_field: str, aggregate) -> Coalesce:
    """A correlated subquery: ``aggregate`` over ``queryset`` rows of the outer trainer."""
    grouped = (
        queryset.filter(**{trainer_field: OuterRef("pk")})
        .order_by()
        .values(trainer_field)
        .annotate(value=aggregate)
        .values("value")
    )
    output = aggregate.output_field if hasattr(aggregate, "output_field") else IntegerField()
    return Coalesce(Subquery(grouped[:1], output_field=output), Value(0), output_field=output)


def trainers_with_workload(trainers: QuerySet[User] | None = None) -> QuerySet[User]:
    """Instructors annotated with their workload, in one query whatever their number.

    Annotations: ``active_batches`` (Active + Upcoming batches taught as primary or
    assistant), ``batch_students`` (enrolled students across those batches),
    ``individual_students`` (active individual assignments), ``weekly_minutes`` (teaching
    minutes per week across those batches), ``capacity_total`` (seats in those batches).
    The trainer profile is joined, for the cap and status.
    """
    trainers = trainers if trainers is not None else User.objects.instructors()
    teaching = BatchTrainer.objects.filter(
        role__in=TEACHING_ROLES, ended_at__isnull=True, batch__status__in=OPEN_BATCH_STATUSES
    )
    minutes = ExpressionWrapper(F("end_time") - F("start_time"), output_field=DurationField())
    return trainers.select_related("trainer_profile").annotate(
        active_batches=per_trainer(teaching, "trainer", Count("pk")),
        batch_students=per_trainer(teaching, "trainer", Sum("batch__enrolled_students")),
        capacity_total=per_trainer(teaching, "trainer", Sum("batch__capacity")),
        individual_students=per_trainer(
            IndividualAssignment.objects.filter(ended_at__isnull=True),
            "instructor",
            Count("pk"),
        ),
        weekly_teaching=Coalesce(
            Subquery(
                # One filter() call, so all four conditions apply to the same staff row.
                ScheduleSlot.objects.filter(
                    batch__staff__trainer=OuterRef("pk"),
                    batch__staff__role__in=TEACHING_ROLES,
                    batch__staff__ended_at__isnull=True,
                    batch__status__in=OPEN_BATCH_STATUSES,
                )
                .order_by()
                .values("batch__staff__trainer")
                .annotate(total=Sum(minutes))
                .values("total")[:1],
                output_field=DurationField(),
            ),
            Value(dt.timedelta(0)),
            output_field=DurationField(),
        ),
    )


@dataclass(frozen=True)
class Workload:
    trainer: User
    active_batches: int
    max_active_batches: int
    batch_students: int
    individual_students: int
    weekly_hours: float
    fill_rate: float | None  # enrolled / seats across their open batches; None without seats
    status: str

    @property
    def over_cap(self) -> bool:
        return self.active_batches > self.max_active_batches

    @property
    def at_cap(self) -> bool:
        return self.active_batches >= self.max_active_batches


def workload_of(trainer: User) -> Workload:
    """Workload figures of one annotated trainer (from ``trainers_with_workload``)."""
    from trainers.models import DEFAULT_MAX_ACTIVE_BATCHES, TrainerStatus

    profile = getattr(trainer, "trainer_profile", None)
    seats = trainer.capacity_total or 0
    return Workload(
        trainer=trainer,
        active_batches=trainer.active_batches,
        max_active_batches=profile.max_active_batches if profile else DEFAULT_MAX_ACTIVE_BATCHES,
        batch_students=trainer.batch_students or 0,
        individual_students=trainer.individual_students,
        weekly_hours=round(trainer.weekly_teaching.total_seconds() / 3600, 2),
        fill_rate=round(trainer.batch_students / seats, 3) if seats else None,
        status=profile.status if profile else TrainerStatus.ACTIVE,
    )


def trainer_workloads(trainers: QuerySet[User] | None = None) -> list[Workload]:
    """Workload of every given instructor (default: all active instructors); one query."""
    return [workload_of(t) for t in trainers_with_workload(trainers)]


def trainers_with_status(trainers: QuerySet[User], status: str) -> QuerySet[User]:
    """Trainers whose profile has ``status``; one without a profile yet counts as active,
    as in ``workload_of`` (the profile is created with the defaults on first use)."""
    from trainers.models import TrainerStatus

    matches = Q(trainer_profile__status=status)
    if status == TrainerStatus.ACTIVE:
        matches |= Q(trainer_profile__isnull=True)
    return trainers.filter(matches)


@dataclass(frozen=True)
class DashboardRow:
    """A workload dashboard row: the figures and what needs the admin's attention."""

    workload: Workload
    uncovered_leave: object | None  # a current/upcoming TrainerLeave with uncovered sessions
    stale_mentees: int  # active mentees without contact for STALE_CONTACT_DAYS or more

    @property
    def trainer(self) -> User:
        return self.workload.trainer

    @property
    def flagged(self) -> bool:
        return self.workload.over_cap or bool(self.uncovered_leave) or self.stale_mentees > 0


def dashboard_rows(trainers: Iterable[User], *, today: dt.date | None = None) -> list[DashboardRow]:
    """Rows of annotated trainers (``trainers_with_workload``) with their flags: at most five
    queries on top of the trainers themselves, whatever their number."""
    trainers = list(trainers)
    ids = [t.pk for t in trainers]
    if not ids:
        return []
    leaves = leaves_with_uncovered_sessions(ids, today=today)
    stale = stale_mentee_counts(ids, today=today)
    return [
        DashboardRow(
            workload=workload_of(t),
            uncovered_leave=leaves.get(t.pk),
            stale_mentees=stale.get(t.pk, 0),
        )
        for t in trainers
    ]
