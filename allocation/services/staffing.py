"""Writes to who teaches a batch: its primary, assistants and backups, its supervising lead,
and the staffing history rows behind them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from allocation import notices
from allocation.eligibility import Plan, teaching_context, teaching_refusal
from allocation.models import (
    TEACHING_ROLES,
    Batch,
    BatchTrainer,
    CourseTrainer,
    RosterRole,
    RosterStatus,
    StaffRole,
)
from allocation.services.bookings import bookings_sync
from allocation.services.checks import lock_batch, validate_instructor
from allocation.services.rosters import check_roster_active, ensure_on_roster
from core import dates
from core.errors import DomainError, full_clean_or_refuse
from trainers.models import TrainerProfile, TrainerStatus
from trainers.selectors import trainer_status_on
from trainers.services import trainers_lock
from webhooks.services import event_emit


def teaching_trainer_ids(batch: Batch) -> set[int]:
    """Who teaches the batch now: its primary (legacy field included) and assistants."""
    ids = set(
        BatchTrainer.objects.filter(
            batch=batch, role__in=TEACHING_ROLES, ended_at__isnull=True
        ).values_list("trainer_id", flat=True)
    )
    ids.add(batch.assigned_instructor_id)
    return ids


def ensure_can_teach(
    *,
    trainer: User,
    profile: TrainerProfile,
    batch: Batch,
    slots: Sequence,
    newly_teaching: bool,
    date_range: tuple[dt.date, dt.date] | None = None,
    covering: bool = False,
    plan: Plan | None = None,
) -> None:
    """Refuse a teaching duty (primary, assistant, cover, a moved or extra session) the
    trainer may not take.

    ``profile`` must be the trainer's locked profile (``trainers_lock``), so their cap and
    their conflicts are read while no one else can add teaching to them. ``batch`` carries the
    dates and status it will have; ``date_range`` narrows the dates (a cover). ``plan`` is
    the sessions they would teach (default: the batch's stored sessions in the dates, or
    those its slots make when it is new). The rule itself is
    ``eligibility.teaching_refusal``, shared with the candidate lists.
    """
    context = teaching_context(
        batch,
        [trainer.pk],
        slots=slots,
        date_range=date_range,
        profiles={trainer.pk: profile},
        plan=plan,
    )
    refusal = teaching_refusal(context, trainer, newly_teaching=newly_teaching, covering=covering)
    if refusal is not None:
        raise refusal


def _end_role(row: BatchTrainer, *, ended_by: User | None) -> None:
    row.ended_at = dt.datetime.now(tz=dt.UTC)
    row.ended_by = ended_by
    row.save(update_fields=["ended_at", "ended_by"])
    notices.staff_removed(row)
    event_emit(type="instructor.unassigned", data=_staff_data(row))


def staff_role(batch: Batch, trainer: User, role: str, *, assigned_by: User | None) -> BatchTrainer:
    """End the trainer's current role on the batch, if any, and start ``role``."""
    for row in BatchTrainer.objects.filter(batch=batch, trainer=trainer, ended_at__isnull=True):
        _end_role(row, ended_by=assigned_by)
    row = BatchTrainer(batch=batch, trainer=trainer, role=role, assigned_by=assigned_by)
    full_clean_or_refuse(row, validate_constraints=False)
    row.save()
    notices.staff_assigned(row)
    event_emit(type="instructor.assigned", data=_staff_data(row))
    return row


def _staff_data(row: BatchTrainer) -> dict:
    return {"batch": row.batch_id, "trainer": row.trainer_id, "role": row.role}


def set_primary(batch: Batch, instructor: User, *, assigned_by: User | None) -> None:
    """Make ``instructor`` the batch's primary, ending the previous primary's row (history)."""
    for row in BatchTrainer.objects.filter(
        batch=batch, role=StaffRole.PRIMARY, ended_at__isnull=True
    ).exclude(trainer=instructor):
        _end_role(row, ended_by=assigned_by)
    staff_role(batch, instructor, StaffRole.PRIMARY, assigned_by=assigned_by)
    if batch.assigned_instructor_id != instructor.pk:
        batch.assigned_instructor = instructor
        batch.save(update_fields=["assigned_instructor", "updated_at"])


@transaction.atomic
def batch_assign_instructor(*, batch: Batch, instructor: User, assigned_by: User) -> Batch:
    """Make ``instructor`` the batch's primary trainer (``assigned_instructor``).

    Locks the instructor's trainer profile, then the batch row. Refuses: a non-instructor
    ("Assigned instructor must have instructor role"), an inactive or on-leave trainer, one
    at their cap of Active + Upcoming batches, a schedule conflict (naming the other batch and
    slot), and the instructor the batch already has. The previous primary's staffing row is
    ended, not deleted, and records who made the change and when.
    """
    validate_instructor(instructor)
    profile = trainers_lock(instructor)[instructor.pk]
    batch = lock_batch(batch)
    if batch.assigned_instructor_id == instructor.pk:
        raise DomainError(
            gettext("%(instructor)s is already the instructor of %(batch_code)s")
            % {"instructor": instructor.display_name, "batch_code": batch.batch_code},
            field="assigned_instructor",
        )
    ensure_can_teach(
        trainer=instructor,
        profile=profile,
        batch=batch,
        slots=list(batch.schedule.all()),
        newly_teaching=True,
    )
    ensure_on_roster(batch.course, instructor)
    set_primary(batch, instructor, assigned_by=assigned_by)
    bookings_sync(batch=batch)
    return batch


# --- batch staffing beyond the primary -----------------------------------------------------


@transaction.atomic
def batch_staff_add(*, batch: Batch, trainer: User, role: str, added_by: User) -> BatchTrainer:
    """Add an assistant or a backup trainer to a batch (a trainer holds one role per batch).

    Locks the trainer's profile, then the batch row. Only active members of the course's
    roster may staff it. An assistant teaches, so they are checked like a primary (status,
    leave, availability, cap, conflicts with every session of the batch) and booked for its
    sessions; a backup is not teaching time but cannot be on leave when named. Refuses the
    batch's primary (change the primary instead) and a trainer who already holds that role.
    """
    if role not in (StaffRole.ASSISTANT, StaffRole.BACKUP):
        raise DomainError(
            gettext("A batch's extra trainers are assistants or backups"), field="role"
        )
    validate_instructor(trainer)
    profile = trainers_lock(trainer)[trainer.pk]
    batch = lock_batch(batch)
    check_roster_active(
        CourseTrainer.objects.filter(course_id=batch.course_id, trainer=trainer).first(),
        trainer,
        batch.course,
    )
    current = BatchTrainer.objects.filter(
        batch=batch, trainer=trainer, ended_at__isnull=True
    ).first()
    if batch.assigned_instructor_id == trainer.pk:
        raise DomainError(
            gettext(
                "%(trainer)s is the primary of %(batch_code)s; a trainer holds one role per batch"
            )
            % {"trainer": trainer.display_name, "batch_code": batch.batch_code},
            field="trainer",
        )
    if current is not None and current.role == role:
        message = (
            gettext("%(trainer)s is already an assistant of %(batch_code)s")
            if current.role == StaffRole.ASSISTANT
            else gettext("%(trainer)s is already a %(role)s of %(batch_code)s")
        )
        raise DomainError(
            message
            % {
                "trainer": trainer.display_name,
                "role": current.get_role_display().lower(),
                "batch_code": batch.batch_code,
            },
            field="trainer",
        )
    if role == StaffRole.ASSISTANT:
        ensure_can_teach(
            trainer=trainer,
            profile=profile,
            batch=batch,
            slots=list(batch.schedule.all()),
            newly_teaching=True,
        )
    else:
        _check_not_on_leave(trainer, profile)
    row = staff_role(batch, trainer, role, assigned_by=added_by)
    if role == StaffRole.ASSISTANT or current is not None:
        bookings_sync(batch=batch)
    return row


@transaction.atomic
def batch_staff_remove(*, batch: Batch, trainer: User, removed_by: User) -> BatchTrainer:
    """End a trainer's assistant or backup role on a batch (kept as history).

    Locks the batch row. Refuses the primary (name another primary instead) and a trainer
    with no role on the batch.
    """
    batch = lock_batch(batch)
    current = BatchTrainer.objects.filter(
        batch=batch, trainer=trainer, ended_at__isnull=True
    ).first()
    if current is None:
        raise DomainError(
            gettext("%(trainer)s has no role on %(batch_code)s")
            % {"trainer": trainer.display_name, "batch_code": batch.batch_code},
            field="trainer",
        )
    if current.role == StaffRole.PRIMARY:
        raise DomainError(
            gettext("%(trainer)s is the primary of %(batch_code)s; assign another primary instead")
            % {"trainer": trainer.display_name, "batch_code": batch.batch_code},
            field="trainer",
        )
    _end_role(current, ended_by=removed_by)
    if current.role == StaffRole.ASSISTANT:
        bookings_sync(batch=batch)
    return current


@transaction.atomic
def batch_set_supervising_lead(*, batch: Batch, lead: User | None) -> Batch:
    """Name the lead who supervises a batch (or clear it with None).

    Locks the batch row. Refuses anyone who is not an active lead on the course's roster.
    """
    batch = lock_batch(batch)
    if lead is not None:
        entry = CourseTrainer.objects.filter(course_id=batch.course_id, trainer=lead).first()
        if entry is None or entry.role != RosterRole.LEAD or entry.status != RosterStatus.ACTIVE:
            raise DomainError(
                gettext("%(lead)s is not an active lead of %(course_code)s")
                % {"lead": lead.display_name, "course_code": batch.course.code},
                field="supervising_lead",
            )
    batch.supervising_lead = lead
    batch.save(update_fields=["supervising_lead", "updated_at"])
    return batch


def _check_not_on_leave(trainer: User, profile: TrainerProfile) -> None:
    if trainer_status_on(trainer, dates.today(), profile) == TrainerStatus.ON_LEAVE:
        raise DomainError(
            gettext("%(trainer)s is on leave") % {"trainer": trainer.display_name}, field="trainer"
        )


@transaction.atomic
def batch_primary_row_restore(*, batch: Batch) -> BatchTrainer:
    """Give a batch the current primary staffing row that mirrors its ``assigned_instructor``
    when it lacks one (data written around the services, an old import).

    Locks the batch row and re-reads it. When the instructor holds another current role on
    the batch (assistant or backup), that row is ended first, as any staffing change does.
    Notifies nobody: the instructor already is the batch's primary. Refuses a batch that has
    the row already, and one where another trainer holds the current primary row (which of
    the two is right is for a person to decide).
    """
    batch = lock_batch(batch)
    current = BatchTrainer.objects.filter(batch=batch, ended_at__isnull=True)
    if current.filter(role=StaffRole.PRIMARY, trainer_id=batch.assigned_instructor_id).exists():
        raise DomainError(
            gettext("Batch %(batch_code)s already has its primary staffing row")
            % {"batch_code": batch.batch_code}
        )
    other = current.filter(role=StaffRole.PRIMARY).select_related("trainer").first()
    if other is not None:
        raise DomainError(
            gettext(
                "%(trainer)s holds the primary row of %(batch_code)s, but the batch names "
                "%(assigned_instructor)s; assign the right instructor on the batch page"
            )
            % {
                "trainer": other.trainer.display_name,
                "batch_code": batch.batch_code,
                "assigned_instructor": batch.assigned_instructor.display_name,
            }
        )
    for row in current.filter(trainer_id=batch.assigned_instructor_id):
        row.ended_at = dt.datetime.now(tz=dt.UTC)
        row._change_reason = "Integrity: replaced by the primary row"
        row.save(update_fields=["ended_at"])
    row = BatchTrainer(batch=batch, trainer_id=batch.assigned_instructor_id, role=StaffRole.PRIMARY)
    full_clean_or_refuse(row, validate_constraints=False)
    row._change_reason = "Integrity: primary row restored"
    row.save()
    return row
