"""Writes of attendance: ``attendance_record`` (the one service pages, API and admin use) and
the at-risk episodes it opens and closes.

Definitions: ``attendance/__init__.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import is_admin
from accounts.models import User
from allocation.models import (
    Batch,
    BookingRole,
    ClassSession,
    IndividualAssignment,
    SessionCover,
    SessionStatus,
)
from allocation.services.bookings import session_bookings, session_staff
from core.errors import DomainError
from notifications.services import notify

from . import tallies
from .models import COUNTED, AtRiskEpisode, AttendanceMark, AttendanceStatus, AttendanceTally
from .selectors import session_roll


@dataclass(frozen=True)
class MarkInput:
    """One line of a roll as a page or the API sends it."""

    student: int
    status: str
    note: str = ""


@dataclass(frozen=True)
class RecordResult:
    session: ClassSession
    created: int
    changed: int
    unchanged: int
    opened: list[AtRiskEpisode]
    closed: int


def session_teachers_now(session: ClassSession) -> dict[int, str]:
    """Who teaches ``session`` (trainer id -> booking role): its override or the batch's
    primary and the assistants, minus each covered absent trainer, plus the substitutes.
    Worked out from staffing and covers (not from bookings, which a Completed batch no longer
    has). Two queries."""
    covers = SessionCover.objects.filter(session=session).values_list(
        "absent_trainer_id", "substitute_id"
    )
    return session_bookings(session, session_staff(session.batch), list(covers))


def lead_teacher(teachers: dict[int, str]) -> int | None:
    """The trainer a session's rates count for: the primary (or override), else the cover who
    stands in for them, else an assistant."""
    for role in (BookingRole.PRIMARY, BookingRole.COVER, BookingRole.ASSISTANT):
        for trainer_id, r in sorted(teachers.items()):
            if r == role:
                return trainer_id
    return None


def window_end(session: ClassSession) -> dt.datetime:
    return session.start_at + dt.timedelta(days=settings.ATTENDANCE_WINDOW_DAYS)


def can_take(
    user: User, session: ClassSession, teachers: dict[int, str], now=None
) -> DomainError | None:
    """Why ``user`` may not take the session's roll now (the error to raise), or None when
    they may. The rules of
    ``attendance_record`` without the roll: a cancelled or future session, someone who does not
    teach it, outside the window (admins: any time)."""
    now = now or timezone.now()
    if session.status == SessionStatus.CANCELLED:
        return DomainError(_("This session was cancelled; it has no attendance"))
    if session.start_at > now:
        return DomainError(_("This session has not started yet; attendance opens at its start"))
    if is_admin(user):
        return None
    if user.pk not in teachers:
        return DomainError(
            _("Only the trainer who teaches this session can take its attendance"),
            code="forbidden",
        )
    if now > window_end(session):
        return DomainError(
            _(
                "Attendance for this session closed %(days)d days after it started; ask an "
                "admin to correct it"
            )
            % {"days": settings.ATTENDANCE_WINDOW_DAYS},
            code="closed",
        )
    return None


def _lock_session(session_id: int) -> ClassSession:
    try:
        return (
            ClassSession.objects.select_for_update(of=("self",))
            .select_related("batch__assigned_instructor")
            .get(pk=session_id)
        )
    except ClassSession.DoesNotExist:
        raise DomainError(_("This session no longer exists")) from None


def _clean(marks: Sequence[MarkInput], roll_ids: set[int]) -> dict[int, MarkInput]:
    cleaned: dict[int, MarkInput] = {}
    for mark in marks:
        if mark.status not in AttendanceStatus.values:
            raise DomainError(
                _("Unknown attendance status %(status)r; use present, late, absent or excused")
                % {"status": mark.status},
                field="status",
            )
        if mark.student not in roll_ids:
            raise DomainError(
                _("Student %(id)s is not on this session's roll") % {"id": mark.student},
                field="student",
            )
        if mark.student in cleaned:
            raise DomainError(
                _("Student %(id)s is marked twice") % {"id": mark.student}, field="student"
            )
        note = (mark.note or "").strip()
        if len(note) > 300:
            raise DomainError(_("A note is at most 300 characters"), field="note")
        cleaned[mark.student] = MarkInput(mark.student, mark.status, note)
    return cleaned


@transaction.atomic
def attendance_record(
    *, session: ClassSession, marks: Sequence[MarkInput], marked_by: User, now=None
) -> RecordResult:
    """Write the marks of one session, all or nothing.

    Locks the session row (so two saves of the same roll run one after the other: the second
    sees the first's marks and changes only what it sends; no mark is lost). Refuses, with
    nothing written: a cancelled session, a future one, someone who does not teach it (the
    cover teaches a covered session, not the absent trainer) or a teacher after
    ``ATTENDANCE_WINDOW_DAYS`` (admins may correct at any time), a student not on the roll,
    an unknown status, a student marked twice, a note over 300 characters.

    Each created or changed mark gets an audit-trail row by ``marked_by``, and the batch's
    tallies (``AttendanceTally``, per trainer and week) are moved by ``F()`` under the same
    session lock: one more for each status set, one less for each status replaced. The session is
    locked against regeneration. The at-risk episodes of the students marked are opened or
    closed (``at_risk_update``), and the mentor of each new one notified in this transaction.
    A constant number of queries for any size of roll.
    """
    now = now or timezone.now()
    session = _lock_session(session.pk)
    teachers = session_teachers_now(session)
    refusal = can_take(marked_by, session, teachers, now)
    if refusal:
        raise refusal
    roll = {e.student_id for e in session_roll(session)}
    existing = {m.student_id: m for m in AttendanceMark.objects.filter(session=session)}
    # A student marked before leaving the batch keeps their mark and may be corrected.
    cleaned = _clean(marks, roll | set(existing))
    trainer_id = lead_teacher(teachers)
    created, changed = [], []
    counts: list[tuple[int | None, dt.date, str, int]] = []
    for student_id, mark in cleaned.items():
        row = existing.get(student_id)
        if row is None:
            created.append(
                AttendanceMark(
                    session=session,
                    batch_id=session.batch_id,
                    student_id=student_id,
                    session_start=session.start_at,
                    trainer_id=trainer_id,
                    status=mark.status,
                    note=mark.note,
                    marked_by=marked_by,
                    marked_at=now,
                )
            )
        elif (row.status, row.note) != (mark.status, mark.note):
            if row.status != mark.status:
                week = tallies.week_of(row.session_start)
                counts.append((row.trainer_id, week, row.status, -1))
                counts.append((row.trainer_id, week, mark.status, +1))
            row.status, row.note = mark.status, mark.note
            row.marked_by, row.marked_at = marked_by, now
            changed.append(row)
    week = tallies.week_of(session.start_at)
    counts += [(trainer_id, week, m.status, +1) for m in created]
    if created:
        AttendanceMark.objects.bulk_create(created)
    tallies.apply(AttendanceTally, session.batch_id, counts)
    if changed:
        AttendanceMark.objects.bulk_update(
            changed, ["status", "note", "marked_by", "marked_at"], batch_size=500
        )
    if created or changed:
        history = AttendanceMark.history
        history.bulk_history_create(created, default_user=marked_by, default_date=now)
        history.bulk_history_create(changed, update=True, default_user=marked_by, default_date=now)
        if not session.locked:
            ClassSession.objects.filter(pk=session.pk).update(locked=True, updated_at=now)
            session.locked = True
    opened, closed = ([], 0)
    if created or changed:
        opened, closed = at_risk_update(
            batch=session.batch, student_ids=[m.student_id for m in created + changed], now=now
        )
    return RecordResult(
        session=session,
        created=len(created),
        changed=len(changed),
        unchanged=len(cleaned) - len(created) - len(changed),
        opened=opened,
        closed=closed,
    )


def _reason(statuses: list[str]) -> str | None:
    """Why a student whose counted marks in a batch are ``statuses`` (newest first) is at
    risk, or None when they are not."""
    k = settings.AT_RISK_ABSENCES_IN_A_ROW
    n = settings.AT_RISK_LAST_N
    if k > 0 and len(statuses) >= k and all(s == AttendanceStatus.ABSENT for s in statuses[:k]):
        return _("%(k)d absences in a row") % {"k": k}
    last = statuses[:n]
    # Over the last N, or over all of them while fewer than N, once there are K to judge.
    if n > 0 and len(last) >= max(k, 1):
        rate = sum(s != AttendanceStatus.ABSENT for s in last) / len(last)
        if rate < settings.AT_RISK_RATE:
            return _("attended %(rate)d%% of the last %(n)d sessions (below %(min)d%%)") % {
                "rate": round(rate * 100),
                "n": len(last),
                "min": round(settings.AT_RISK_RATE * 100),
            }
    return None


def at_risk_reasons(batch_id: int, student_ids: Iterable[int]) -> dict[int, str | None]:
    """Student id -> why they are at risk in the batch now (None: they are not). One query
    over the students' counted marks in the batch."""
    student_ids = list(student_ids)
    history: dict[int, list[str]] = {s: [] for s in student_ids}
    rows = (
        AttendanceMark.objects.filter(
            batch_id=batch_id, student_id__in=student_ids, status__in=COUNTED
        )
        .exclude(session__status=SessionStatus.CANCELLED)
        .order_by("student_id", "-session_start", "-pk")
        .values_list("student_id", "status")
    )
    for student_id, status in rows:
        history[student_id].append(status)
    return {s: _reason(statuses) for s, statuses in history.items()}


def mentors_of(batch: Batch, student_ids: Iterable[int]) -> dict[int, User]:
    """Student id -> who hears about them: their active individual assignment's instructor,
    else the batch's primary. One query."""
    mentors = {
        a.student_id: a.instructor
        for a in IndividualAssignment.objects.filter(
            student_id__in=list(student_ids), ended_at__isnull=True
        ).select_related("instructor")
    }
    return {s: mentors.get(s, batch.assigned_instructor) for s in student_ids}


def at_risk_update(
    *, batch: Batch, student_ids: Iterable[int], now: dt.datetime | None = None
) -> tuple[list[AtRiskEpisode], int]:
    """Open an episode for each of the students who is at risk in the batch and has none
    open, notifying their mentor (else the batch's primary) once, as an outbox row in this
    transaction; close the open episode of each who is no longer at risk.

    Runs in the caller's transaction, which holds the lock on the session being marked; the
    partial unique constraint (one open episode per student and batch) is the backstop when
    two sessions of a batch are marked at once. Returns the opened episodes and how many
    were closed.
    """
    now = now or timezone.now()
    student_ids = sorted(set(student_ids))
    reasons = at_risk_reasons(batch.pk, student_ids)
    open_ids = set(
        AtRiskEpisode.objects.filter(
            batch=batch, student_id__in=student_ids, closed_at__isnull=True
        ).values_list("student_id", flat=True)
    )
    recovered = [s for s in student_ids if s in open_ids and reasons[s] is None]
    closed = 0
    if recovered:
        closed = AtRiskEpisode.objects.filter(
            batch=batch, student_id__in=recovered, closed_at__isnull=True
        ).update(closed_at=now)
    new = [s for s in student_ids if s not in open_ids and reasons[s] is not None]
    if not new:
        return [], closed
    mentors = mentors_of(batch, new)
    students = User.objects.in_bulk(new)
    episodes = AtRiskEpisode.objects.bulk_create(
        [
            AtRiskEpisode(
                student_id=s,
                batch=batch,
                reason=reasons[s],
                opened_at=now,
                notified=mentors[s],
            )
            for s in new
        ]
    )
    for episode in episodes:
        notify(
            recipients=[mentors[episode.student_id]],
            event="attendance_at_risk",
            context={
                "student": students[episode.student_id],
                "batch": batch,
                "reason": episode.reason,
            },
            url=reverse("attendance:at_risk"),
        )
    return episodes, closed
