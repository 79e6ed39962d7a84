"""The trainer quality report: per trainer, what the guide's quality section lists and what
we can measure. Each figure's definition is here and, word for word, on the page
(``DEFINITIONS``) and in the CSV's header names.

- **Attendance rate**: of the sessions they taught (the cover for a covered session),
  attended marks (present or late) ÷ counted marks (present, late or absent); excused absences
  and cancelled sessions are left out (``attendance.selectors.trainer_attendance_rates``).
- **Satisfaction**: the average rating (1–5) students gave them as one of a batch's trainers,
  at midpoint and completion together, with the number of ratings. An admin's report: it
  shows the average whatever the number of ratings.
- **Mentoring rating**: the average rating (1–5) mentees gave their logged mentoring sessions.
- **Completion rate**: of the enrollments that ended in the batches they taught (primary or
  assistant, at any time), the share that ended completed: completed ÷ (completed + cancelled
  + expired), as in the batch report; none while no enrollment has ended.
- **Mentoring contact**: mentoring sessions per mentee per 30 days over the last 90 days:
  the sessions dated in the window on their individual assignments ÷ the mentees whose
  assignment was active at some time in the window, × 30 ÷ 90.
- **Logging delay**: the median number of days between a mentoring session's date and the
  day it was logged (``created_at``, in the platform's zone), over the sessions they logged
  in the last 90 days.

``quality_rows`` takes a page (or all) of trainers and answers in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from allocation.models import TEACHING_ROLES, IndividualAssignment, MentoringSession
from attendance.selectors import Rate, trainer_attendance_rates
from core import dates
from enrollments.models import Enrollment, EnrollmentStatus
from feedback.selectors import Figure, mentoring_figures, trainer_satisfaction

from .reports import ENDED_STATUSES

# The window of the mentoring figures.
WINDOW_DAYS = 90

DEFINITIONS = (
    (
        _("Attendance rate"),
        _(
            "Of the sessions they taught (the cover for a covered session): attended marks "
            "(present or late) ÷ counted marks (present, late or absent). Excused absences and "
            "cancelled sessions are left out."
        ),
    ),
    (
        _("Satisfaction"),
        _(
            "The average rating (1–5) students gave them as a batch's trainer, at midpoint and "
            "completion, with the number of ratings."
        ),
    ),
    (
        _("Mentoring rating"),
        _("The average rating (1–5) mentees gave their mentoring sessions."),
    ),
    (
        _("Completion rate"),
        _(
            "Of the enrollments that ended in the batches they taught (primary or assistant), "
            "the share that ended completed: completed ÷ (completed + cancelled + expired)."
        ),
    ),
    (
        _("Mentoring contact"),
        _(
            "Mentoring sessions per mentee per 30 days over the last 90 days: sessions dated "
            "in the window ÷ mentees whose assignment was active in it, × 30 ÷ 90."
        ),
    ),
    (
        _("Logging delay"),
        _(
            "The median number of days between a mentoring session's date and the day it was "
            "logged, over the sessions they logged in the last 90 days."
        ),
    ),
)


@dataclass(frozen=True)
class QualityRow:
    trainer: User
    attendance: Rate | None
    satisfaction: Figure | None
    mentoring_rating: Figure | None
    completed: int
    ended: int
    sessions_in_window: int
    mentees_in_window: int
    logging_delay_days: float | None

    @property
    def attendance_percent(self) -> int | None:
        return None if self.attendance is None else self.attendance.percent

    @property
    def completion_percent(self) -> float | None:
        return round(100 * self.completed / self.ended, 1) if self.ended else None

    @property
    def contact_per_30_days(self) -> float | None:
        if not self.mentees_in_window:
            return None
        return round(self.sessions_in_window / self.mentees_in_window * 30 / WINDOW_DAYS, 2)


def _completion(ids: list[int]) -> dict[int, tuple[int, int]]:
    """Trainer id -> (completed, ended) enrollments of the batches they taught. One query."""
    rows = (
        Enrollment.objects.filter(
            batch__staff__trainer_id__in=ids, batch__staff__role__in=TEACHING_ROLES
        )
        .values("batch__staff__trainer_id")
        .annotate(
            completed=Count("pk", filter=Q(status=EnrollmentStatus.COMPLETED), distinct=True),
            ended=Count("pk", filter=Q(status__in=ENDED_STATUSES), distinct=True),
        )
        .order_by()
    )
    return {r["batch__staff__trainer_id"]: (r["completed"], r["ended"]) for r in rows}


def _contact(ids: list[int], since: dt.date, today: dt.date) -> dict[int, tuple[int, int]]:
    """Trainer id -> (sessions in the window, mentees active in it). Two queries."""
    sessions = dict(
        MentoringSession.objects.filter(
            assignment__instructor_id__in=ids, session_date__gte=since, session_date__lte=today
        )
        .values("assignment__instructor_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("assignment__instructor_id", "n")
    )
    window_start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    mentees = dict(
        IndividualAssignment.objects.filter(instructor_id__in=ids, start_date__lte=today)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=window_start))
        .values("instructor_id")
        .annotate(n=Count("student_id", distinct=True))
        .order_by()
        .values_list("instructor_id", "n")
    )
    return {pk: (sessions.get(pk, 0), mentees.get(pk, 0)) for pk in ids}


def _logging_delays(ids: list[int], since: dt.date) -> dict[int, float]:
    """Trainer id -> median days from session date to logging. One query (the sessions of
    the window, two dates each)."""
    delays: dict[int, list[int]] = {}
    for trainer_id, session_date, created_at in MentoringSession.objects.filter(
        logged_by_id__in=ids, session_date__gte=since
    ).values_list("logged_by_id", "session_date", "created_at"):
        logged_on = timezone.localtime(created_at).date()
        delays.setdefault(trainer_id, []).append(max((logged_on - session_date).days, 0))
    return {pk: float(statistics.median(values)) for pk, values in delays.items()}


def quality_rows(trainers: Sequence[User], *, today: dt.date | None = None) -> list[QualityRow]:
    """The quality figures of ``trainers`` (see the module), in their order. Seven queries,
    whatever the number of trainers and of the rows behind the figures."""
    today = today or dates.today()
    since = today - dt.timedelta(days=WINDOW_DAYS)
    ids = [t.pk for t in trainers]
    if not ids:
        return []
    attendance = trainer_attendance_rates(ids)
    satisfaction = trainer_satisfaction(ids)
    mentoring = mentoring_figures(ids)
    completion = _completion(ids)
    contact = _contact(ids, since, today)
    delays = _logging_delays(ids, since)
    rows = []
    for trainer in trainers:
        completed, ended = completion.get(trainer.pk, (0, 0))
        sessions, mentees = contact[trainer.pk]
        rows.append(
            QualityRow(
                trainer=trainer,
                attendance=attendance.get(trainer.pk),
                satisfaction=satisfaction.get(trainer.pk),
                mentoring_rating=mentoring.get(trainer.pk),
                completed=completed,
                ended=ended,
                sessions_in_window=sessions,
                mentees_in_window=mentees,
                logging_delay_days=delays.get(trainer.pk),
            )
        )
    return rows


QUALITY_HEADER = (
    "Trainer",
    "Email",
    "Attendance rate %",
    "Attended marks",
    "Counted marks",
    "Satisfaction average",
    "Satisfaction ratings",
    "Mentoring rating average",
    "Mentoring ratings",
    "Completion rate %",
    "Enrollments completed",
    "Enrollments ended",
    "Mentoring sessions per mentee per 30 days",
    "Mentoring sessions in the last 90 days",
    "Mentees in the last 90 days",
    "Median logging delay (days)",
)


def quality_csv_rows(rows: Sequence[QualityRow]) -> list[list]:
    def average(figure: Figure | None):
        return None if figure is None else round(figure.average, 2)

    return [
        [
            row.trainer.display_name,
            row.trainer.email,
            row.attendance_percent,
            row.attendance.attended if row.attendance else 0,
            row.attendance.counted if row.attendance else 0,
            average(row.satisfaction),
            row.satisfaction.answers if row.satisfaction else 0,
            average(row.mentoring_rating),
            row.mentoring_rating.answers if row.mentoring_rating else 0,
            row.completion_percent,
            row.completed,
            row.ended,
            row.contact_per_30_days,
            row.sessions_in_window,
            row.mentees_in_window,
            row.logging_delay_days,
        ]
        for row in rows
    ]
