"""Substitute cover: the sessions of a trainer's leave taken over by another trainer.

Cover is per session (``SessionCover``); ``substitute_assign`` is the date-range form the
leave page and older clients use: it covers the absent trainer's uncovered held sessions of
the batch on those dates, through the same body as ``session_cover_assign``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from allocation.models import Batch, ClassSession, SubstituteCover
from allocation.services.checks import lock_batch, validate_instructor
from allocation.services.sessions import cover_sessions
from allocation.services.staffing import teaching_trainer_ids
from core.errors import DomainError
from core.timezones import zone
from trainers.services import trainers_lock


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
    """Record that ``substitute`` teaches ``batch`` for ``absent_trainer`` over the dates:
    every held session of the batch on those dates (in the batch's zone) that the absent
    trainer teaches and nobody covers yet.

    Locks the substitute's trainer profile (so two covers cannot double-book them), then the
    batch row (so one absence is covered once), then those sessions. Refuses: dates outside
    the batch or reversed, an absent trainer who does not teach the batch, no uncovered
    session of theirs on those dates, and everything ``session_cover_assign`` refuses (the
    roster, status, leave, availability, a clash with their other bookings).
    """
    if end_date < start_date:
        raise DomainError(gettext("The cover must end on or after its first day"), field="end_date")
    if substitute.pk == absent_trainer.pk:
        raise DomainError(gettext("A trainer cannot cover for themselves"), field="substitute")
    validate_instructor(substitute)
    profile = trainers_lock(substitute)[substitute.pk]
    batch = lock_batch(batch)
    if start_date < batch.start_date or end_date > batch.end_date:
        raise DomainError(
            gettext(
                "%(batch_code)s runs %(start_date)s – %(end_date)s; the cover must fall "
                "inside those dates"
            )
            % {
                "batch_code": batch.batch_code,
                "start_date": format(batch.start_date, "%Y-%m-%d"),
                "end_date": format(batch.end_date, "%Y-%m-%d"),
            },
            field="start_date",
        )
    if absent_trainer.pk not in teaching_trainer_ids(batch):
        raise DomainError(
            gettext("%(absent_trainer)s does not teach %(batch_code)s")
            % {"absent_trainer": absent_trainer.display_name, "batch_code": batch.batch_code},
            field="absent_trainer",
        )
    tz = zone(batch.time_zone)
    low = dt.datetime.combine(start_date, dt.time(), tzinfo=tz)
    high = dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    sessions = list(
        ClassSession.objects.select_for_update(of=("self",))
        .select_related("batch")
        .filter(
            batch=batch,
            start_at__gte=low,
            start_at__lt=high,
            bookings__trainer=absent_trainer,
        )
        .order_by("pk")
    )
    sessions.sort(key=lambda s: (s.start_at, s.pk))
    if not sessions:
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
                gettext(
                    "%(substitute)s already covers %(absent_trainer)s on %(batch_code)s from "
                    "%(start_date)s to %(end_date)s"
                )
                % {
                    "substitute": covered.substitute.display_name,
                    "absent_trainer": absent_trainer.display_name,
                    "batch_code": batch.batch_code,
                    "start_date": format(covered.start_date, "%Y-%m-%d"),
                    "end_date": format(covered.end_date, "%Y-%m-%d"),
                },
                field="start_date",
            )
    return cover_sessions(
        batch=batch,
        sessions=sessions,
        absent_trainer=absent_trainer,
        substitute=substitute,
        profile=profile,
        assigned_by=assigned_by,
        dates=(start_date, end_date),
    )
