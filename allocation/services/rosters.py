"""Writes to a course's roster of trainers (lead, assistant, substitute), whose active
workload percents sum to at most 100.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from allocation.models import (
    Batch,
    BatchStatus,
    BatchTrainer,
    Course,
    CourseTrainer,
    RosterRole,
    RosterStatus,
    StaffRole,
)
from allocation.services.checks import lock_course, validate_instructor
from core.errors import DomainError, full_clean_or_refuse


def _roster_total(course: Course, *, exclude: CourseTrainer | None = None) -> int:
    entries = CourseTrainer.objects.filter(course=course, status=RosterStatus.ACTIVE)
    if exclude is not None and exclude.pk:
        entries = entries.exclude(pk=exclude.pk)
    return entries.aggregate(total=Sum("workload_percent"))["total"] or 0


def _check_workload_sum(course: Course, entry: CourseTrainer) -> None:
    if entry.status != RosterStatus.ACTIVE:
        return
    others = _roster_total(course, exclude=entry)
    if others + entry.workload_percent > 100:
        raise DomainError(
            gettext(
                "The active trainers of %(course_code)s already have %(others)s%% of its "
                "workload; adding %(workload_percent)s%% would make %(workload_percent2)s%% "
                "(at most 100%%)"
            )
            % {
                "course_code": course.code,
                "others": others,
                "workload_percent": entry.workload_percent,
                "workload_percent2": others + entry.workload_percent,
            },
            field="workload_percent",
        )


@transaction.atomic
def roster_add(
    *,
    course: Course,
    trainer: User,
    role: str = RosterRole.ASSISTANT,
    workload_percent: int = 0,
    status: str = RosterStatus.ACTIVE,
) -> CourseTrainer:
    """Put a trainer on a course's roster.

    Locks the course row (the workload sum spans the roster). Refuses: a non-instructor, a
    trainer already on the roster, an unknown role or status, a workload outside 0–100, and
    a workload that would take the active trainers' sum above 100% (naming the current total).
    """
    validate_instructor(trainer)
    course = lock_course(course)
    if CourseTrainer.objects.filter(course=course, trainer=trainer).exists():
        raise DomainError(
            gettext("%(trainer)s is already on the roster of %(course_code)s")
            % {"trainer": trainer.display_name, "course_code": course.code},
            field="trainer",
        )
    entry = CourseTrainer(
        course=course, trainer=trainer, role=role, workload_percent=workload_percent, status=status
    )
    full_clean_or_refuse(entry, validate_unique=False)
    _check_workload_sum(course, entry)
    entry.save()
    return entry


@transaction.atomic
def roster_update(
    *,
    entry: CourseTrainer,
    role: str | None = None,
    workload_percent: int | None = None,
    status: str | None = None,
) -> CourseTrainer:
    """Change a roster entry's role, workload share or status.

    Locks the course row. Refuses: a workload sum above 100%, and taking the lead role away
    from a trainer who still supervises batches of the course (name another lead first).
    """
    course = lock_course(entry.course)
    entry = CourseTrainer.objects.select_related("trainer").get(pk=entry.pk)
    if role is not None:
        entry.role = role
    if workload_percent is not None:
        entry.workload_percent = workload_percent
    if status is not None:
        entry.status = status
    full_clean_or_refuse(entry, validate_unique=False)
    if entry.role != RosterRole.LEAD:
        supervised = Batch.objects.filter(course=course, supervising_lead=entry.trainer).count()
        if supervised:
            raise DomainError(
                gettext(
                    "%(trainer)s supervises %(supervised)s batch(es) of %(course_code)s as "
                    "lead; name another lead for them first"
                )
                % {
                    "trainer": entry.trainer.display_name,
                    "supervised": supervised,
                    "course_code": course.code,
                },
                field="role",
            )
    _check_workload_sum(course, entry)
    entry.save()
    return entry


@transaction.atomic
def roster_remove(*, entry: CourseTrainer) -> None:
    """Take a trainer off a course's roster.

    Locks the course row. Refuses while the trainer staffs an Active/Upcoming batch of the
    course in any role or supervises one of its batches.
    """
    course = lock_course(entry.course)
    entry = CourseTrainer.objects.select_related("trainer").get(pk=entry.pk)
    staffing = BatchTrainer.objects.filter(
        trainer=entry.trainer,
        ended_at__isnull=True,
        batch__course=course,
        batch__status__in=(BatchStatus.ACTIVE, BatchStatus.UPCOMING),
    ).count()
    if staffing:
        raise DomainError(
            gettext(
                "%(trainer)s still staffs %(staffing)s open batch(es) of %(course_code)s; "
                "remove them from those batches first"
            )
            % {
                "trainer": entry.trainer.display_name,
                "staffing": staffing,
                "course_code": course.code,
            }
        )
    if Batch.objects.filter(course=course, supervising_lead=entry.trainer).exists():
        raise DomainError(
            gettext("%(trainer)s supervises batches of %(course_code)s; name another lead first")
            % {"trainer": entry.trainer.display_name, "course_code": course.code}
        )
    entry.delete()


def ensure_on_roster(course: Course, trainer: User) -> CourseTrainer:
    """The trainer's roster entry on the course, added (assistant, 0%) when missing.

    Keeps single-instructor operations working: naming a batch's instructor the old way puts
    them on the roster as well. Refuses an inactive or on-leave roster entry.
    """
    entry, _ = CourseTrainer.objects.get_or_create(
        course=course, trainer=trainer, defaults={"role": RosterRole.ASSISTANT}
    )
    check_roster_active(entry, trainer, course)
    return entry


def check_roster_active(entry: CourseTrainer | None, trainer: User, course: Course) -> None:
    if entry is None:
        raise DomainError(
            gettext(
                "%(trainer)s is not on the roster of %(course_code)s; add them to the course first"
            )
            % {"trainer": trainer.display_name, "course_code": course.code},
            field="trainer",
        )
    if entry.status != RosterStatus.ACTIVE:
        raise DomainError(
            gettext("%(trainer)s is %(status)s on the roster of %(course_code)s")
            % {
                "trainer": trainer.display_name,
                "status": entry.get_status_display().lower(),
                "course_code": course.code,
            },
            field="trainer",
        )


@transaction.atomic
def course_convert_to_multi_trainer(*, course: Course) -> tuple[int, int]:
    """Bring a course's single-instructor batches into the multi-trainer model.

    Gives every batch without one a primary staffing row (its ``assigned_instructor``) and
    every such instructor a roster entry (active assistant, 0%). Locks the course row.
    Returns (staffing rows added, roster entries added). Running it twice adds nothing.
    """
    course = lock_course(course)
    staffed = BatchTrainer.objects.filter(role=StaffRole.PRIMARY, ended_at__isnull=True).values(
        "batch_id"
    )
    rows = bulk_create_with_history(
        [
            BatchTrainer(
                batch=batch, trainer_id=batch.assigned_instructor_id, role=StaffRole.PRIMARY
            )
            for batch in course.batches.exclude(pk__in=staffed)
        ],
        BatchTrainer,
    )
    on_roster = set(course.roster.values_list("trainer_id", flat=True))
    missing = set(course.batches.values_list("assigned_instructor_id", flat=True)) - on_roster
    entries = bulk_create_with_history(
        [
            CourseTrainer(course=course, trainer_id=trainer_id, role=RosterRole.ASSISTANT)
            for trainer_id in sorted(missing)
        ],
        CourseTrainer,
    )
    return len(rows), len(entries)
