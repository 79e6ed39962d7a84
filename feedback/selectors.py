"""Reads of feedback: who a batch's trainers are, which stage is open, what a viewer may see.

**A batch's trainers** (the people its students rate) are everyone who taught it: whoever held
a teaching role (primary or assistant, current or since ended, ``BatchTrainer`` history) and the
current primary, plus the substitutes who covered one of its held sessions and the trainers
named on a held session by an override, counting only sessions that had started by the time
of the answer. Backups who never covered a session are not asked about.

**Stages**: ``completion`` is open once the batch is Completed; ``midpoint`` is open while the
batch is Active, from its midpoint date (``start + (end - start) // 2``) on, when its course's
``CourseFeedbackOption.ask_at_midpoint`` is set. A student answers once per batch and stage.

**Who sees what**: an admin sees every figure and every answer, with its author and comments.
A trainer of the batch sees only averages: the batch's, and their own as a trainer, and each
only once it rests on at least ``FEEDBACK_MIN_ANSWERS`` (3) answers; below that, "not enough
answers yet" and no number and no comment. The pages and the API both read ``batch_summary``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Avg, Count, Prefetch
from django.utils import timezone

from accounts.access import is_admin
from accounts.models import User
from allocation.models import (
    HELD_SESSION_STATUSES,
    TEACHING_ROLES,
    Batch,
    BatchStatus,
    BatchTrainer,
    ClassSession,
    MentoringSession,
    SessionCover,
)
from core import dates
from enrollments.models import Enrollment, EnrollmentStatus

from .models import (
    BatchFeedback,
    CourseFeedbackOption,
    FeedbackRequest,
    FeedbackStage,
    MentoringRating,
    TrainerRating,
)

# Enrollments that make a user "a student of the batch" for feedback.
STUDENT_STATUSES = (EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)


def min_answers() -> int:
    return getattr(settings, "FEEDBACK_MIN_ANSWERS", 3)


def midpoint_date(batch: Batch) -> dt.date:
    return batch.start_date + dt.timedelta(days=(batch.end_date - batch.start_date).days // 2)


def asks_at_midpoint(batch: Batch) -> bool:
    return CourseFeedbackOption.objects.filter(
        course_id=batch.course_id, ask_at_midpoint=True
    ).exists()


def open_stage(batch: Batch, today: dt.date | None = None) -> str | None:
    """The stage a student of ``batch`` may answer now, or None."""
    if batch.status == BatchStatus.COMPLETED:
        return FeedbackStage.COMPLETION
    today = today or dates.today()
    if (
        batch.status == BatchStatus.ACTIVE
        and today >= midpoint_date(batch)
        and asks_at_midpoint(batch)
    ):
        return FeedbackStage.MIDPOINT
    return None


def is_student_of(user: User, batch: Batch) -> bool:
    return Enrollment.objects.filter(
        batch_id=batch.pk, student_id=user.pk, status__in=STUDENT_STATUSES
    ).exists()


def batch_student_ids(batch: Batch) -> list[int]:
    return list(
        Enrollment.objects.filter(batch_id=batch.pk, status__in=STUDENT_STATUSES)
        .order_by("student_id")
        .values_list("student_id", flat=True)
        .distinct()
    )


def batch_trainer_ids(batch: Batch, *, until: dt.datetime | None = None) -> set[int]:
    """Who taught ``batch`` by ``until`` (now by default): see the module's docstring."""
    until = until or timezone.now()
    ids = {batch.assigned_instructor_id}
    ids.update(
        BatchTrainer.objects.filter(
            batch_id=batch.pk, role__in=TEACHING_ROLES, assigned_at__lte=until
        ).values_list("trainer_id", flat=True)
    )
    held = ClassSession.objects.filter(
        batch_id=batch.pk, status__in=HELD_SESSION_STATUSES, start_at__lte=until
    )
    ids.update(
        SessionCover.objects.filter(session__in=held).values_list("substitute_id", flat=True)
    )
    ids.update(
        held.filter(instructor_override__isnull=False).values_list(
            "instructor_override_id", flat=True
        )
    )
    return ids


def batch_trainers(batch: Batch) -> list[User]:
    """The batch's trainers (``batch_trainer_ids``) by name: the people its form asks about."""
    return list(User.objects.filter(pk__in=batch_trainer_ids(batch)).order_by("full_name", "pk"))


def may_see_summary(user: User, batch: Batch) -> bool:
    """Admins, and the batch's trainers (current staff or anyone who taught it)."""
    return is_admin(user) or user.pk in batch_trainer_ids(batch)


def open_requests(student: User) -> list[FeedbackRequest]:
    """The student's requests still unanswered whose stage is still open (the schedule's
    "Rate this batch" links). One query, two when there are requests."""
    requests = list(
        FeedbackRequest.objects.filter(student=student)
        .select_related("batch", "batch__course")
        .order_by("-created_at", "pk")
    )
    if not requests:
        return []
    answered = set(BatchFeedback.objects.filter(student=student).values_list("batch_id", "stage"))
    return [
        r
        for r in requests
        if (r.batch_id, r.stage) not in answered
        and (
            (r.stage == FeedbackStage.COMPLETION and r.batch.status == BatchStatus.COMPLETED)
            or (r.stage == FeedbackStage.MIDPOINT and r.batch.status == BatchStatus.ACTIVE)
        )
    ]


@dataclass
class Figure:
    """An average over ``answers`` ratings. Both are None when the viewer may not see them
    (a trainer, below ``min_answers()``): then no number at all is shown."""

    answers: int | None
    average: float | None

    @property
    def shown(self) -> bool:
        return self.average is not None


@dataclass
class TrainerFigure(Figure):
    trainer: User | None = None


@dataclass
class StageSummary:
    stage: str
    batch: Figure
    trainers: list[TrainerFigure] = field(default_factory=list)
    # The answers themselves (admins only; None for anyone else).
    responses: list[BatchFeedback] | None = None

    @property
    def stage_label(self) -> str:
        return FeedbackStage(self.stage).label


def _figure(cls, answers: int, average, shown: bool, **extra):
    if not (shown or answers >= min_answers()) or average is None:
        return cls(answers=None, average=None, **extra)
    return cls(answers=answers, average=round(float(average), 2), **extra)


def batch_summary(batch: Batch, *, viewer: User) -> list[StageSummary]:
    """The feedback of ``batch`` as ``viewer`` may see it, one summary per stage answered
    (completion first). The caller checks ``may_see_summary`` first. Admins get every trainer's
    figure and the answers (with authors and comments); a trainer gets the batch's figure and
    their own, each without a number below ``min_answers()`` answers. At most five queries,
    whatever the number of answers."""
    admin = is_admin(viewer)
    per_stage = {
        row["stage"]: row
        for row in BatchFeedback.objects.filter(batch_id=batch.pk)
        .values("stage")
        .annotate(answers=Count("pk"), average=Avg("rating"))
        .order_by()
    }
    ratings = TrainerRating.objects.filter(feedback__batch_id=batch.pk)
    if not admin:
        ratings = ratings.filter(trainer_id=viewer.pk)
    per_trainer = list(
        ratings.values("feedback__stage", "trainer_id")
        .annotate(answers=Count("pk"), average=Avg("rating"))
        .order_by()
    )
    people = User.objects.in_bulk({row["trainer_id"] for row in per_trainer})
    responses: dict[str, list[BatchFeedback]] = {}
    if admin:
        for answer in (
            BatchFeedback.objects.filter(batch_id=batch.pk)
            .select_related("student")
            .prefetch_related(
                Prefetch(
                    "trainer_ratings",
                    queryset=TrainerRating.objects.select_related("trainer").order_by("pk"),
                )
            )
            .order_by("-created_at", "pk")
        ):
            responses.setdefault(answer.stage, []).append(answer)
    summaries = []
    for stage in (FeedbackStage.COMPLETION, FeedbackStage.MIDPOINT):
        row = per_stage.get(stage)
        if row is None:
            continue
        trainers = sorted(
            (
                _figure(
                    TrainerFigure,
                    r["answers"],
                    r["average"],
                    admin,
                    trainer=people.get(r["trainer_id"]),
                )
                for r in per_trainer
                if r["feedback__stage"] == stage
            ),
            key=lambda f: (
                f.trainer.full_name if f.trainer else "",
                f.trainer.pk if f.trainer else 0,
            ),
        )
        summaries.append(
            StageSummary(
                stage=stage,
                batch=_figure(Figure, row["answers"], row["average"], admin),
                trainers=trainers,
                responses=responses.get(stage, []) if admin else None,
            )
        )
    return summaries


def mentee_sessions_to_rate(student: User, *, today: dt.date | None = None):
    """The student's mentoring sessions that took place and that they have not rated yet."""
    today = today or dates.today()
    return (
        MentoringSession.objects.filter(
            assignment__student=student, session_date__lte=today, rating__isnull=True
        )
        .select_related("assignment__instructor")
        .order_by("-session_date", "-pk")
    )


def mentoring_figures(mentor_ids) -> dict[int, Figure]:
    """Per mentor: the number of mentoring ratings and their average (one query)."""
    rows = (
        MentoringRating.objects.filter(mentor_id__in=list(mentor_ids))
        .values("mentor_id")
        .annotate(answers=Count("pk"), average=Avg("rating"))
        .order_by()
    )
    return {r["mentor_id"]: Figure(answers=r["answers"], average=float(r["average"])) for r in rows}


def trainer_satisfaction(trainer_ids) -> dict[int, Figure]:
    """Per trainer: the ratings students gave them as a batch trainer (all stages) and their
    average (one query)."""
    rows = (
        TrainerRating.objects.filter(trainer_id__in=list(trainer_ids))
        .values("trainer_id")
        .annotate(answers=Count("pk"), average=Avg("rating"))
        .order_by()
    )
    return {
        r["trainer_id"]: Figure(answers=r["answers"], average=float(r["average"])) for r in rows
    }


def answered_stages(student: User, batch: Batch) -> set[str]:
    return set(
        BatchFeedback.objects.filter(student=student, batch_id=batch.pk).values_list(
            "stage", flat=True
        )
    )
