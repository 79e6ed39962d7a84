"""Reads of individual assignments (mentor, tutor, ...) and mentoring sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, F, Max, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from allocation.models import (
    ACTIVE_BOOKING_STATUSES,
    IndividualAssignment,
    MentorBooking,
    MentorBookingStatus,
    MentoringSession,
)
from core import dates


def students_of_instructor(instructor: User) -> QuerySet[IndividualAssignment]:
    """Active individual assignments of an instructor, with the students loaded."""
    return (
        IndividualAssignment.objects.filter(instructor=instructor, ended_at__isnull=True)
        .select_related("student")
        .order_by("student__full_name")
    )


def students_with_instructors(students: QuerySet[User] | None = None) -> QuerySet[User]:
    """Students, each annotated with their current individual assignment (or none).

    Annotations: ``assignment_id``, ``instructor_id``, ``instructor_name``,
    ``instructor_email``, ``assignment_type``, ``assignment_start``, ``assignment_notes``.
    """
    students = students if students is not None else User.objects.students()
    current = IndividualAssignment.objects.filter(student=OuterRef("pk"), ended_at__isnull=True)

    def pick(field):
        return Subquery(current.values(field)[:1])

    return students.annotate(
        assignment_id=pick("pk"),
        instructor_id=pick("instructor_id"),
        instructor_name=pick("instructor__full_name"),
        instructor_email=pick("instructor__email"),
        assignment_type=pick("assignment_type"),
        assignment_start=pick("start_date"),
        assignment_notes=pick("notes"),
    ).order_by("full_name", "email")


# A mentee with no logged contact for this long is flagged on dashboards and reports.
STALE_CONTACT_DAYS = 14


@dataclass(frozen=True)
class MentoringRow:
    assignment: IndividualAssignment
    sessions: int
    minutes: int
    last_contact: dt.date | None
    days_since_contact: int  # since the last session, or since the assignment started
    booked: int = 0  # 1:1 bookings not cancelled (booked or held)
    held: int = 0  # of those, logged as held

    @property
    def stale(self) -> bool:
        return self.days_since_contact >= STALE_CONTACT_DAYS


def _booking_count(statuses) -> Coalesce:
    counted = (
        MentorBooking.objects.filter(assignment=OuterRef("pk"), status__in=list(statuses))
        .order_by()
        .values("assignment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted[:1]), Value(0))


def mentoring_report(
    instructor: User | None = None, *, today: dt.date | None = None
) -> list[MentoringRow]:
    """Active assignments (of one instructor, or all) with their session figures; one query.

    Each row: sessions logged, total minutes, last contact date, and days since contact —
    counted from the assignment's start when no session was logged yet; and its 1:1 bookings:
    booked (not cancelled) against held (a session was logged for them).
    """
    today = today or dates.today()
    assignments = IndividualAssignment.objects.filter(ended_at__isnull=True)
    if instructor is not None:
        assignments = assignments.filter(instructor=instructor)
    assignments = (
        assignments.select_related("student", "instructor")
        .annotate(
            session_count=Count("sessions"),
            session_minutes=Coalesce(Sum("sessions__duration_minutes"), Value(0)),
            last_contact=Max("sessions__session_date"),
            # Subqueries, not joins: a second join would multiply the session counts.
            booked_count=_booking_count(ACTIVE_BOOKING_STATUSES),
            held_count=_booking_count([MentorBookingStatus.HELD]),
        )
        .order_by("instructor__full_name", "student__full_name")
    )
    return [
        MentoringRow(
            assignment=a,
            sessions=a.session_count,
            minutes=a.session_minutes,
            last_contact=a.last_contact,
            days_since_contact=(today - (a.last_contact or a.start_date)).days,
            booked=a.booked_count,
            held=a.held_count,
        )
        for a in assignments
    ]


def student_assignment_history(student: User) -> QuerySet[IndividualAssignment]:
    """Every individual assignment of a student, the active one first, then newest first."""
    return (
        IndividualAssignment.objects.filter(student=student)
        .select_related("instructor", "assigned_by", "ended_by")
        .order_by(F("ended_at").desc(nulls_first=True), "-assigned_at", "-pk")
    )


def stale_mentee_counts(
    trainer_ids: Iterable[int], *, today: dt.date | None = None
) -> dict[int, int]:
    """Trainer id -> how many of their active mentees had no contact for
    ``STALE_CONTACT_DAYS`` or more (``MentoringRow.stale``); one grouped query.

    Stale: no session after the cutoff, and the assignment started on or before it (a
    session is never logged before its assignment starts).
    """
    cutoff = (today or dates.today()) - dt.timedelta(days=STALE_CONTACT_DAYS)
    recent = MentoringSession.objects.filter(assignment=OuterRef("pk"), session_date__gt=cutoff)
    return dict(
        IndividualAssignment.objects.filter(
            instructor_id__in=list(trainer_ids), ended_at__isnull=True, start_date__lte=cutoff
        )
        .exclude(Exists(recent))
        .order_by()
        .values("instructor_id")
        .annotate(n=Count("pk"))
        .values_list("instructor_id", "n")
    )


@dataclass(frozen=True)
class MentorCoverage:
    students: int
    mentored: int  # with an active individual assignment

    @property
    def unassigned(self) -> int:
        return self.students - self.mentored


def mentor_coverage() -> MentorCoverage:
    """Students (as the mentor list counts them), and how many have an active individual
    assignment; two counts. The current assignments are counted where they are rather than
    probed for every student (at 100,000 students the probes took 50 ms), and those of users
    who are not students are left out as a small hashed set rather than by joining every
    assignment to its user (9 ms to 2, bench/dashboards.py)."""
    # At most one current assignment per student (a partial unique index).
    mentored = (
        IndividualAssignment.objects.filter(ended_at__isnull=True)
        .exclude(student__in=User.objects.non_students())
        .count()
    )
    return MentorCoverage(students=User.objects.students().count(), mentored=mentored)
