"""Substitute cover: the sessions of a trainer's leave taken over by another trainer."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accounts.models import User
from allocation import notices
from allocation.models import Batch, CourseTrainer, SubstituteCover
from allocation.selectors.batches import batch_roster
from allocation.services.checks import lock_batch, validate_instructor
from allocation.services.rosters import check_roster_active
from allocation.services.staffing import ensure_can_teach, teaching_trainer_ids
from core.errors import DomainError, full_clean_or_refuse
from trainers.services import trainers_lock
from webhooks.services import event_emit


@transaction.atomic
def substitute_assign(
    *,
    batch: Batch,
    absent_trainer: User,
    substitute: User,
    start_date: dt.date,
    end_date: dt.date,
    assigned_by: User,
) -> SubstituteCover:
    """Record that ``substitute`` teaches ``batch`` for ``absent_trainer`` over the dates.

    Locks the substitute's trainer profile (so two covers cannot double-book them), then the
    batch row (so one absence is covered once). Refuses: dates outside the batch or reversed,
    an absent trainer who does not teach the batch, a substitute who is not an active member
    of the course's roster, who is inactive or on leave during the dates, who would clash with
    their own teaching or other covers, and an absence already covered on those dates.
    """
    if end_date < start_date:
        raise DomainError("The cover must end on or after its first day", field="end_date")
    if substitute.pk == absent_trainer.pk:
        raise DomainError("A trainer cannot cover for themselves", field="substitute")
    validate_instructor(substitute)
    profile = trainers_lock(substitute)[substitute.pk]
    batch = lock_batch(batch)
    if start_date < batch.start_date or end_date > batch.end_date:
        raise DomainError(
            f"{batch.batch_code} runs {batch.start_date:%Y-%m-%d} – {batch.end_date:%Y-%m-%d}; "
            "the cover must fall inside those dates",
            field="start_date",
        )
    if absent_trainer.pk not in teaching_trainer_ids(batch):
        raise DomainError(
            f"{absent_trainer.display_name} does not teach {batch.batch_code}",
            field="absent_trainer",
        )
    check_roster_active(
        CourseTrainer.objects.filter(course_id=batch.course_id, trainer=substitute).first(),
        substitute,
        batch.course,
    )
    covered = (
        SubstituteCover.objects.filter(
            batch=batch,
            absent_trainer=absent_trainer,
            start_date__lte=end_date,
            end_date__gte=start_date,
        )
        .select_related("substitute")
        .first()
    )
    if covered is not None:
        raise DomainError(
            f"{covered.substitute.display_name} already covers {absent_trainer.display_name} on "
            f"{batch.batch_code} from {covered.start_date:%Y-%m-%d} to {covered.end_date:%Y-%m-%d}",
            field="start_date",
        )
    ensure_can_teach(
        trainer=substitute,
        profile=profile,
        batch=batch,
        slots=list(batch.schedule.all()),
        newly_teaching=True,
        date_range=(start_date, end_date),
        covering=True,
    )
    cover = SubstituteCover(
        batch=batch,
        absent_trainer=absent_trainer,
        substitute=substitute,
        start_date=start_date,
        end_date=end_date,
        assigned_by=assigned_by,
    )
    full_clean_or_refuse(cover)
    cover.save()
    notices.cover_assigned(cover, students=[e.student for e in batch_roster(batch)])
    event_emit(
        type="cover.assigned",
        data={
            "cover": cover.pk,
            "batch": cover.batch_id,
            "substitute": cover.substitute_id,
            "absent_trainer": cover.absent_trainer_id,
        },
    )
    return cover
