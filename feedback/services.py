"""Writes of feedback: a student's answer, a mentee's rating, the requests to answer.

Every refusal is a ``DomainError`` with a message the page and the API show as it is.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from allocation.models import Batch, BatchStatus, MentoringSession
from core import dates
from core.errors import DomainError, full_clean_or_refuse
from enrollments.models import Enrollment
from notifications.services import notify

from . import selectors
from .models import (
    MAX_RATING,
    MIN_RATING,
    BatchFeedback,
    FeedbackRequest,
    FeedbackStage,
    MentoringRating,
    TrainerRating,
)

logger = logging.getLogger(__name__)

MSG_RATING = gettext_noop("A rating is a whole number from 1 to 5")
MSG_ALREADY = gettext_noop("You have already rated this batch")
MSG_NOT_STUDENT = gettext_noop("Only a student of this batch can rate it")
MSG_SESSION_ALREADY = gettext_noop("You have already rated this mentoring session")
MSG_NOT_MENTEE = gettext_noop("Only the mentee of this session can rate it")


def _check_rating(value, label: str | None = None) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (MIN_RATING <= value <= MAX_RATING)
    ):
        message = _(MSG_RATING)
        raise DomainError(f"{label}: {message}" if label else message, field="rating")
    return value


def _closed_message(batch: Batch, today: dt.date) -> str:
    if selectors.asks_at_midpoint(batch) and batch.status in (
        BatchStatus.ACTIVE,
        BatchStatus.UPCOMING,
    ):
        return _(
            "You can rate this batch from its midpoint, %(date)s, and once it has completed"
        ) % {"date": f"{selectors.midpoint_date(batch):%Y-%m-%d}"}
    return _("You can rate this batch once it has completed")


@transaction.atomic
def feedback_submit(
    *,
    batch: Batch,
    student: User,
    rating: int,
    comment: str = "",
    trainer_ratings: Mapping[int, tuple[int, str]] | None = None,
    today: dt.date | None = None,
) -> BatchFeedback:
    """Record ``student``'s answer about ``batch`` at its open stage (``selectors.open_stage``):
    the batch's rating and comment, and ``trainer_ratings`` (trainer id → (rating, comment))
    for each of the batch's trainers (``selectors.batch_trainer_ids``), all required.

    Locks the student's enrollment rows in the batch (pk order), so two submissions of the same
    student serialize; the UniqueConstraint on (batch, student, stage) is the backstop.
    Refuses: a user who is not a student of the batch (enrolled, active or completed), a batch
    with no stage open (not completed, or not at its midpoint yet), a second answer at the
    same stage, a rating outside 1–5, a trainer missing or not one of the batch's.
    """
    today = today or dates.today()
    enrollments = list(
        Enrollment.objects.select_for_update(of=("self",))
        .filter(batch_id=batch.pk, student_id=student.pk, status__in=selectors.STUDENT_STATUSES)
        .order_by("pk")
    )
    if not enrollments:
        raise DomainError(_(MSG_NOT_STUDENT))
    batch = Batch.objects.get(pk=batch.pk)
    stage = selectors.open_stage(batch, today)
    if stage is None:
        raise DomainError(_closed_message(batch, today))
    if BatchFeedback.objects.filter(batch_id=batch.pk, student_id=student.pk, stage=stage).exists():
        raise DomainError(_(MSG_ALREADY))
    _check_rating(rating)
    trainers = {t.pk: t for t in selectors.batch_trainers(batch)}
    given = dict(trainer_ratings or {})
    unknown = sorted(set(given) - set(trainers))
    if unknown:
        raise DomainError(
            _("Only this batch's trainers can be rated here, not user %(id)s") % {"id": unknown[0]},
            field="trainers",
        )
    missing = [t for pk, t in trainers.items() if pk not in given]
    if missing:
        raise DomainError(
            _("Rate each of the batch's trainers: %(name)s is missing")
            % {"name": missing[0].display_name},
            field="trainers",
        )
    answer = BatchFeedback(
        batch=batch, student=student, stage=stage, rating=rating, comment=(comment or "").strip()
    )
    full_clean_or_refuse(answer, validate_constraints=False)
    rows = []
    for pk in sorted(given):
        value, text = given[pk]
        _check_rating(value, trainers[pk].display_name)
        row = TrainerRating(
            feedback=answer, trainer=trainers[pk], rating=value, comment=(text or "").strip()
        )
        full_clean_or_refuse(row, exclude=["feedback"], validate_constraints=False)
        rows.append(row)
    try:
        with transaction.atomic():
            answer.save()
    except IntegrityError:  # a second answer that slipped past the check: the constraint
        raise DomainError(_(MSG_ALREADY)) from None
    TrainerRating.objects.bulk_create(rows)
    return answer


@transaction.atomic
def mentoring_rating_submit(
    *,
    session: MentoringSession,
    student: User,
    rating: int,
    comment: str = "",
    today: dt.date | None = None,
) -> MentoringRating:
    """Record the mentee's rating of one logged mentoring session.

    Locks the session row. Refuses: anyone but the session's mentee (the student of its
    assignment), a session dated in the future, a second rating, a rating outside 1–5.
    """
    today = today or dates.today()
    session = (
        MentoringSession.objects.select_for_update(of=("self",))
        .select_related("assignment")
        .get(pk=session.pk)
    )
    if session.assignment.student_id != student.pk:
        raise DomainError(_(MSG_NOT_MENTEE))
    if session.session_date > today:
        raise DomainError(_("You can rate a mentoring session once it has taken place"))
    if MentoringRating.objects.filter(session_id=session.pk).exists():
        raise DomainError(_(MSG_SESSION_ALREADY))
    _check_rating(rating)
    row = MentoringRating(
        session=session,
        student=student,
        mentor_id=session.assignment.instructor_id,
        rating=rating,
        comment=(comment or "").strip(),
    )
    full_clean_or_refuse(row, validate_constraints=False)
    row.save()
    return row


def feedback_request(*, batch: Batch, stage: str) -> list[FeedbackRequest]:
    """Ask each student of ``batch`` (enrolled, active or completed) who was not asked at
    ``stage`` yet: a ``FeedbackRequest`` row and a ``feedback_requested`` notification
    (outbox), in the caller's transaction. The caller holds the batch row's lock, so two runs
    ask nobody twice (the UniqueConstraint is the backstop). Returns the new requests."""
    asked = set(
        FeedbackRequest.objects.filter(batch_id=batch.pk, stage=stage).values_list(
            "student_id", flat=True
        )
    )
    new_ids = [pk for pk in selectors.batch_student_ids(batch) if pk not in asked]
    if not new_ids:
        return []
    created = FeedbackRequest.objects.bulk_create(
        [FeedbackRequest(batch=batch, student_id=pk, stage=stage) for pk in new_ids]
    )
    notify(
        recipients=User.objects.filter(pk__in=new_ids).order_by("pk"),
        event="feedback_requested",
        context={
            "batch": batch,
            "course": batch.course,
            "midpoint": stage == FeedbackStage.MIDPOINT,
        },
        url=reverse("feedback:rate", args=[batch.pk]),
    )
    return created


def on_batch_completed(sender, *, batch: Batch, **kwargs) -> None:
    """``allocation.signals.batch_completed``: inside the transaction that completed the batch
    (its row locked), ask its students to rate it."""
    feedback_request(batch=batch, stage=FeedbackStage.COMPLETION)


def midpoint_requests(today: dt.date | None = None) -> list[tuple[str, int]]:
    """The daily run's part: each Active batch of a course that asks at midpoint, whose
    midpoint date has come, asks its students not asked yet. Each batch in its own
    transaction, its row locked. Returns (batch code, students asked) for the batches that
    asked someone."""
    today = today or dates.today()
    candidates = Batch.objects.filter(
        status=BatchStatus.ACTIVE,
        course__feedback_option__ask_at_midpoint=True,
        start_date__lte=today,
    ).order_by("pk")
    done = []
    for batch in candidates:
        if selectors.midpoint_date(batch) > today:
            continue
        with transaction.atomic():
            locked = (
                Batch.objects.select_for_update(of=("self",))
                .select_related("course")
                .get(pk=batch.pk)
            )
            if locked.status != BatchStatus.ACTIVE:
                continue
            created = feedback_request(batch=locked, stage=FeedbackStage.MIDPOINT)
        if created:
            done.append((locked.batch_code, len(created)))
    return done


def on_lifecycle_ran(sender, *, today: dt.date, **kwargs) -> list[str]:
    """``enrollments.signals.lifecycle_ran``: the midpoint requests, as summary lines (none
    when nobody was asked, so a quiet run stays quiet)."""
    done = midpoint_requests(today)
    if not done:
        return []
    return [
        "Midpoint feedback requested: "
        + ", ".join(f"{code} ({count} student(s))" for code, count in done)
    ]


def trainer_rating_input(pairs: Iterable[tuple[int, int, str]]) -> dict[int, tuple[int, str]]:
    """(trainer id, rating, comment) triples as ``feedback_submit`` takes them; a trainer
    named twice is refused."""
    result: dict[int, tuple[int, str]] = {}
    for trainer_id, rating, comment in pairs:
        if trainer_id in result:
            raise DomainError(_("Each trainer is rated once"), field="trainers")
        result[trainer_id] = (rating, comment)
    return result
