"""Mentor candidates for a student, ranked by what the student needs, with the reasons.

The order (issue 25): skills matched, a shared language, hours of overlap per week between
the instructor's availability (their weekly windows, in their zone) and the student's
preferred times (in the student's zone), caseload headroom, already teaching the student;
then by name. Those the mentor services would refuse (``eligibility.mentor_refusal``, the
current mentor, the student themself) come last, with the service's own message.

Overlap is real time: both sides' weekly windows are laid on the actual dates of a reference
week — by default the next Monday-to-Sunday week — in their own zones, so that a Kolkata
instructor and a New York student overlap by what they share that week, summer time and all
(the US and the EU change on different dates: the figure for a week between the two changes
differs from the one outside them). An instructor with no declared window is available at
any time, as the teaching rule reads them, so they overlap every preferred hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from allocation.eligibility import (
    MSG_ALREADY_ASSIGNED,
    MSG_NOT_INSTRUCTOR,
    MSG_SELF_ASSIGNED,
    mentor_refusal,
)
from allocation.models import TEACHING_ROLES, BatchTrainer, IndividualAssignment, StudentNeeds
from core import dates
from core.languages import language_name
from core.timezones import default_time_zone, zone

Span = tuple[dt.datetime, dt.datetime]


def reference_week(today: dt.date | None = None) -> dt.date:
    """The Monday of the week the overlap is measured over: the next full week."""
    today = today or dates.today()
    return today + dt.timedelta(days=7 - today.weekday())


def weekly_spans(
    windows: Iterable[tuple[int, dt.time, dt.time]], time_zone: str, days: Iterable[dt.date]
) -> list[Span]:
    """The (weekday, start, end) windows, read in ``time_zone``, laid on each of ``days``
    whose weekday they name: absolute half-open spans, merged and sorted."""
    tz = zone(time_zone or default_time_zone())
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for day, start, end in windows:
        by_day.setdefault(day, []).append((start, end))
    spans = []
    for date in days:
        for start, end in by_day.get(date.weekday(), ()):
            spans.append(
                (
                    dt.datetime.combine(date, start, tzinfo=tz).astimezone(dt.UTC),
                    dt.datetime.combine(date, end, tzinfo=tz).astimezone(dt.UTC),
                )
            )
    return _merge(spans)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[list[dt.datetime]] = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def overlap_minutes(a: list[Span], b: list[Span]) -> int:
    """Minutes two merged, sorted span lists share; one sweep over both."""
    i = j = 0
    total = dt.timedelta()
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            total += end - start
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return int(total.total_seconds() // 60)


def _hours(minutes: int) -> str:
    hours = minutes / 60
    return f"{hours:.0f}" if minutes % 60 == 0 else f"{hours:.1f}"


@dataclass(frozen=True)
class MentorCandidate:
    """An instructor as a candidate mentor of one student, with the figures that rank them
    and the reasons people read."""

    trainer: User
    skills_matched: tuple[str, ...]
    skills_needed: int
    languages_shared: tuple[str, ...]  # ISO 639-1 codes
    overlap_minutes: int | None  # None: the student named no preferred time
    declared_availability: bool
    mentees: int
    cap: int | None
    teaches_in: tuple[str, ...]  # batch codes where they teach the student
    refusal: str  # empty when the mentor services would accept them
    refusal_kind: str
    reasons: tuple[str, ...] = field(default=())

    @property
    def eligible(self) -> bool:
        return not self.refusal

    @property
    def headroom(self) -> float:
        return float("inf") if self.cap is None else self.cap - self.mentees

    @property
    def overlap_hours(self) -> float | None:
        return None if self.overlap_minutes is None else round(self.overlap_minutes / 60, 2)


def _rank(candidate: MentorCandidate) -> tuple:
    if not candidate.eligible:
        return (1,)
    return (
        0,
        -len(candidate.skills_matched),
        not candidate.languages_shared,
        -(candidate.overlap_minutes or 0),
        -candidate.headroom,
        not candidate.teaches_in,
    )


class _Texts:
    """The reasons' wordings, translated once per ranking rather than once per candidate
    (gettext was a third of the time for 500 instructors, bench/matching.py)."""

    def __init__(self):
        self.skills = _("%(n)d of %(total)d skills: %(names)s")
        self.no_skill = _("none of the %(total)d skills")
        self.speaks = _("speaks %(languages)s")
        self.speaks_none = _("speaks none of: %(languages)s")
        self.anytime = _("no declared availability: %(hours)s h/week of the student's times")
        self.overlap = _("%(hours)s h/week overlap")
        self.capped = _("%(n)d of %(cap)d mentees")
        self.teaches = _("teaches the student in %(batches)s")
        self._uncapped: dict[int, str] = {}

    def uncapped(self, n: int) -> str:
        if n not in self._uncapped:
            self._uncapped[n] = ngettext("%(n)d mentee (no cap)", "%(n)d mentees (no cap)", n)
        return self._uncapped[n] % {"n": n}


def _reasons(c: MentorCandidate, needed_languages: list[str], texts: _Texts) -> tuple:
    reasons = []
    if c.skills_needed:
        reasons.append(
            texts.skills
            % {
                "n": len(c.skills_matched),
                "total": c.skills_needed,
                "names": ", ".join(c.skills_matched),
            }
            if c.skills_matched
            else texts.no_skill % {"total": c.skills_needed}
        )
    if needed_languages:
        if c.languages_shared:
            names = ", ".join(language_name(code) for code in c.languages_shared)
            reasons.append(texts.speaks % {"languages": names})
        else:
            names = ", ".join(language_name(code) for code in needed_languages)
            reasons.append(texts.speaks_none % {"languages": names})
    if c.overlap_minutes is not None:
        text = texts.overlap if c.declared_availability else texts.anytime
        reasons.append(text % {"hours": _hours(c.overlap_minutes)})
    if c.cap is None:
        reasons.append(texts.uncapped(c.mentees))
    else:
        reasons.append(texts.capped % {"n": c.mentees, "cap": c.cap})
    if c.teaches_in:
        reasons.append(texts.teaches % {"batches": ", ".join(c.teaches_in)})
    return tuple(reasons)


def mentor_candidates(
    student: User,
    trainers=None,
    *,
    week_start: dt.date | None = None,
) -> list[MentorCandidate]:
    """Every active instructor (or ``trainers``) as a candidate mentor of ``student``, best
    first (see the module's docstring for the order), each with the reasons.

    Refused, last, with the message the mentor services give: the student's current
    instructor ("This instructor is already assigned to this student"), the student
    themself, an inactive or on-leave profile, an instructor at their caseload cap.

    ``week_start``: the Monday of the reference week (default: the next one). Eight queries
    whatever the number of instructors: the needs, their skills, the current assignment,
    the instructors with their profiles, their skills, their windows, their mentee counts,
    and their batches of the student.
    """
    from trainers.models import AvailabilityWindow, TrainerProfile, TrainerStatus

    week_start = week_start or reference_week()
    needs = StudentNeeds.objects.filter(student=student).prefetch_related("skills").first()
    needed = sorted(needs.skills.all(), key=lambda s: s.name) if needs else []
    needed_ids = {s.pk for s in needed}
    needed_languages = list(needs.languages) if needs else []
    student_windows = needs.preferred_windows() if needs else []
    current_id = (
        IndividualAssignment.objects.filter(student=student, ended_at__isnull=True)
        .values_list("instructor_id", flat=True)
        .first()
    )

    trainers = trainers if trainers is not None else User.objects.instructors()
    people = list(
        trainers.select_related("trainer_profile")
        .only(
            "email",
            "full_name",
            "time_zone",
            "is_instructor",
            "is_active",
            "trainer_profile__status",
            "trainer_profile__languages",
            "trainer_profile__max_individual_students",
        )
        .order_by("full_name", "email", "pk")
    )
    ids = trainers.order_by().values("pk")
    skills: dict[int, list[tuple[int, str]]] = {}
    for user_id, skill_id, name in (
        TrainerProfile.skills.through.objects.filter(trainerprofile__user_id__in=ids)
        .order_by("skill__name")
        .values_list("trainerprofile__user_id", "skill_id", "skill__name")
    ):
        skills.setdefault(user_id, []).append((skill_id, name))
    windows: dict[int, list[tuple[int, dt.time, dt.time]]] = {}
    for trainer_id, day, start, end in AvailabilityWindow.objects.filter(
        trainer_id__in=ids
    ).values_list("trainer_id", "day", "start_time", "end_time"):
        windows.setdefault(trainer_id, []).append((day, start, end))
    mentees = dict(
        IndividualAssignment.objects.filter(instructor_id__in=ids, ended_at__isnull=True)
        .order_by()
        .values("instructor_id")
        .annotate(n=Count("pk"))
        .values_list("instructor_id", "n")
    )
    # "active" is EnrollmentStatus.ACTIVE, read through the reverse relation (enrollments is
    # an app to the right of this one).
    teaches: dict[int, list[str]] = {}
    for trainer_id, code in (
        BatchTrainer.objects.filter(
            trainer_id__in=ids,
            role__in=TEACHING_ROLES,
            ended_at__isnull=True,
            batch__enrollments__student=student,
            batch__enrollments__status="active",
        )
        .order_by("batch__batch_code")
        .values_list("trainer_id", "batch__batch_code")
        .distinct()
    ):
        teaches.setdefault(trainer_id, []).append(code)

    student_days = [week_start + dt.timedelta(days=i) for i in range(7)]
    # The instructor's windows a day either side: a New York Sunday evening is a Kolkata
    # Monday morning of the week after.
    trainer_days = [week_start + dt.timedelta(days=i) for i in range(-1, 8)]
    wanted = weekly_spans(student_windows, student.time_zone, student_days)
    wanted_minutes = overlap_minutes(wanted, wanted)

    texts = _Texts()
    candidates = []
    for trainer in people:
        profile = getattr(trainer, "trainer_profile", None)
        status = profile.status if profile else TrainerStatus.ACTIVE
        cap = profile.max_individual_students if profile else None
        count = mentees.get(trainer.pk, 0)
        offered = skills.get(trainer.pk, [])
        spoken = list(profile.languages) if profile else []
        declared = windows.get(trainer.pk, [])
        if not student_windows:
            overlap = None
        elif not declared:
            overlap = wanted_minutes
        else:
            overlap = overlap_minutes(
                wanted, weekly_spans(declared, trainer.time_zone, trainer_days)
            )
        if trainer.pk == current_id:
            refusal, kind = MSG_ALREADY_ASSIGNED, "current"
        elif trainer.pk == student.pk:
            refusal, kind = MSG_SELF_ASSIGNED, "self"
        elif not trainer.is_instructor or not trainer.is_active:
            refusal, kind = MSG_NOT_INSTRUCTOR, "not_instructor"
        else:
            error = mentor_refusal(trainer, status=status, cap=cap, mentees=count)
            refusal, kind = (error.message, error.code) if error else ("", "")
        candidate = MentorCandidate(
            trainer=trainer,
            skills_matched=tuple(name for pk, name in offered if pk in needed_ids),
            skills_needed=len(needed),
            languages_shared=tuple(code for code in needed_languages if code in spoken),
            overlap_minutes=overlap,
            declared_availability=bool(declared),
            mentees=count,
            cap=cap,
            teaches_in=tuple(teaches.get(trainer.pk, ())),
            refusal=refusal,
            refusal_kind=kind,
        )
        candidates.append(
            MentorCandidate(
                **{
                    **candidate.__dict__,
                    "reasons": _reasons(candidate, needed_languages, texts),
                }
            )
        )
    # sorted() is stable: within a rank the instructors keep their name order.
    return sorted(candidates, key=_rank)
