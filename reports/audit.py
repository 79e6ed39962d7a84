"""The audit trail: who changed what, when, with the values before and after.

django-simple-history writes one history row per save or delete of the audited models (see
``AUDITED``); the services save through ``.save()``, and ``HistoryRequestMiddleware`` makes
the logged-in user of a page or API request the row's ``history_user``. This module reads
those rows back:

- ``audit_log`` is every audited model's history as one queryset, newest first: a UNION ALL
  of one ``.values()`` query per model with the same columns, filtered by user, object type,
  kind of change, date range, batch or student. A page of it is one query (plus the count).
- ``audit_entries`` turns a page of those rows into ``AuditEntry`` objects: the object each
  row is about, in words, and its field changes "field: before → after" against the previous
  history row of the same object. Its query count does not grow with the page: one query per
  model type on the page (the page's rows together with their previous rows), then one per
  kind of related object named (users, batches, courses) to show names instead of ids.
- ``batch_history`` and ``student_history`` are ``audit_log`` scoped to one batch (the batch,
  its slots, staffing, covers, waitlist and every enrollment that was ever in it) or one
  student (their enrollments, individual assignments and waitlist entries).

A created row lists the values the object started with (before: empty); a deleted row lists
the values it had (after: empty). A row saved without any audited field changing (a service
that saves twice in one change) has no changes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import CharField, OuterRef, Q, QuerySet, Subquery, Value
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from allocation.models import (
    Batch,
    BatchTemplate,
    BatchTrainer,
    Course,
    CourseTrainer,
    IndividualAssignment,
    ScheduleSlot,
    SubstituteCover,
)
from attendance.models import AttendanceMark
from enrollments.models import Enrollment, WaitlistEntry, payment_method_label
from trainers.models import TrainerLeave

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
ACTION_CHOICES = [("+", "Created"), ("~", "Changed"), ("-", "Deleted")]

# Bookkeeping columns that every change would show: never listed as a change.
UNLISTED_FIELDS = frozenset({"id", "created_at", "updated_at"})

# The columns every model's part of the UNION selects, in this order.
COLUMNS = (
    "history_id",
    "history_date",
    "history_type",
    "history_user_id",
    "history_change_reason",
    "id",
    "model_key",
)

EMPTY = "—"

# Fields whose stored value is a code with no ``choices`` on the field, and how to name it.
# (The template's schedule is JSON; the payment method stays free text for API clients.)
READABLE = {
    (BatchTemplate, "schedule"): BatchTemplate.schedule_text,
    (Enrollment, "payment_method"): payment_method_label,
}


@dataclass(frozen=True)
class Change:
    """One field of one history row: ``before`` is None for a created object, ``after`` None
    for a deleted one (the values are already formatted for people)."""

    field: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.field}: {self.after}"
        if self.after is None:
            return f"{self.field}: {self.before} → (deleted)"
        return f"{self.field}: {self.before} → {self.after}"


@dataclass
class AuditEntry:
    """One history row as the audit pages show it."""

    history_id: int
    model_key: str
    model_label: str
    object_id: int
    history_type: str
    when: dt.datetime
    user: User | None
    reason: str
    summary: str = ""
    url: str | None = None
    changes: list[Change] = field(default_factory=list)

    @property
    def action(self) -> str:
        return ACTIONS.get(self.history_type, self.history_type)

    @property
    def action_label(self) -> str:
        """The kind of change as the pages and CSV title it: "Created", "Changed", "Deleted"."""
        return dict(ACTION_CHOICES).get(self.history_type, self.history_type)

    @property
    def changes_text(self) -> str:
        return "; ".join(str(change) for change in self.changes)


# --- how each audited model is shown --------------------------------------------------------


class Names:
    """Related objects named by a page of history rows, loaded in bulk (one query per kind),
    and the formatting of field values."""

    def __init__(self) -> None:
        self.users: dict[int, User] = {}
        self.batches: dict[int, tuple[str, str]] = {}
        self.courses: dict[int, str] = {}
        self.leaves: set[int] = set()

    def load(self, wanted: dict[type[models.Model], set[int]]) -> None:
        if ids := wanted.get(User):
            users = User.objects.filter(pk__in=ids).only("id", "full_name", "email")
            self.users = {user.pk: user for user in users}
        if ids := wanted.get(Batch):
            self.batches = {
                pk: (code, name)
                for pk, code, name in Batch.objects.filter(pk__in=ids).values_list(
                    "pk", "batch_code", "batch_name"
                )
            }
        if ids := wanted.get(Course):
            self.courses = dict(Course.objects.filter(pk__in=ids).values_list("pk", "code"))
        if ids := wanted.get(TrainerLeave):
            self.leaves = set(TrainerLeave.objects.filter(pk__in=ids).values_list("pk", flat=True))

    def user(self, pk: int | None) -> str:
        if pk is None:
            return EMPTY
        user = self.users.get(pk)
        return (user.display_name) if user else f"user #{pk} (deleted)"

    def batch(self, pk: int | None) -> str:
        if pk is None:
            return EMPTY
        return self.batches[pk][0] if pk in self.batches else f"batch #{pk} (deleted)"

    def course(self, pk: int | None) -> str:
        if pk is None:
            return EMPTY
        return self.courses.get(pk, f"course #{pk} (deleted)")

    def batch_url(self, pk: int | None) -> str | None:
        return reverse("console:batch_detail", args=[pk]) if pk in self.batches else None

    def student_url(self, pk: int | None) -> str | None:
        return reverse("audit:student", args=[pk]) if pk in self.users else None

    def related(self, model: type[models.Model], pk) -> str:
        if model is User:
            return self.user(pk)
        if model is Batch:
            return self.batch(pk)
        if model is Course:
            return self.course(pk)
        return f"{model._meta.verbose_name} #{pk}"

    def value(self, model_field: models.Field, value) -> str:
        """A field's value for people: names for related objects, labels for choices."""
        if value is None or value == "":
            return EMPTY
        # A history model's field belongs to the history model, whose instance_type is
        # the audited model.
        audited = getattr(model_field.model, "instance_type", model_field.model)
        if (readable := READABLE.get((audited, model_field.name))) is not None:
            return readable(value) or EMPTY
        if model_field.is_relation:
            return self.related(model_field.related_model, value)
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, dt.datetime):
            return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dt.time):
            return f"{value:%H:%M}"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, (list, dict)):
            # Keys sorted: PostgreSQL's jsonb keeps them in an order of its own.
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        if isinstance(value, Decimal):
            return format(value, "f")
        return str(value)


@dataclass(frozen=True)
class Audited:
    """An audited model: its key in the log, its label, and how a history row of it is
    described and linked. ``batch_scope``/``student_scope`` select its rows about one batch
    or one student (None: it has none)."""

    key: str
    model: type[models.Model]
    label: str
    describe: Callable[[Names, object], str]
    link: Callable[[Names, object], str | None]
    batch_scope: Callable[[int], Q] | None = None
    student_scope: Callable[[int], Q] | None = None

    @property
    def history(self) -> type[models.Model]:
        return self.model.history.model


def _by_batch(pk: int) -> Q:
    return Q(batch_id=pk)


def _by_student(pk: int) -> Q:
    return Q(student_id=pk)


def _enrollments_ever_in(pk: int) -> Q:
    # A transfer moves an enrollment out of the batch: its whole history still belongs to the
    # batch's, including the row that moved it away.
    return Q(id__in=Enrollment.history.filter(batch_id=pk).values("id"))


AUDITED: dict[str, Audited] = {
    a.key: a
    for a in (
        Audited(
            "batch",
            Batch,
            "Batch",
            lambda n, r: f"{r.batch_code} · {r.batch_name}",
            lambda n, r: n.batch_url(r.id),
            batch_scope=lambda pk: Q(id=pk),
        ),
        Audited(
            "scheduleslot",
            ScheduleSlot,
            "Schedule slot",
            lambda n, r: (
                f"{r.get_day_display()} {r.start_time:%H:%M}–{r.end_time:%H:%M} of "
                f"{n.batch(r.batch_id)}"
            ),
            lambda n, r: n.batch_url(r.batch_id),
            batch_scope=_by_batch,
        ),
        Audited(
            "batchtrainer",
            BatchTrainer,
            "Batch staffing",
            lambda n, r: (
                f"{n.user(r.trainer_id)} · {r.get_role_display()} of {n.batch(r.batch_id)}"
            ),
            lambda n, r: n.batch_url(r.batch_id),
            batch_scope=_by_batch,
        ),
        Audited(
            "substitutecover",
            SubstituteCover,
            "Substitute cover",
            lambda n, r: (
                f"{n.user(r.substitute_id)} covers {n.batch(r.batch_id)} for "
                f"{n.user(r.absent_trainer_id)} {r.start_date:%Y-%m-%d} – {r.end_date:%Y-%m-%d}"
            ),
            lambda n, r: n.batch_url(r.batch_id),
            batch_scope=_by_batch,
        ),
        Audited(
            "enrollment",
            Enrollment,
            "Enrollment",
            lambda n, r: (
                f"{n.user(r.student_id)} in {n.course(r.course_id)} "
                f"({n.batch(r.batch_id) if r.batch_id else 'individual'})"
            ),
            lambda n, r: n.student_url(r.student_id),
            batch_scope=_enrollments_ever_in,
            student_scope=_by_student,
        ),
        Audited(
            "waitlistentry",
            WaitlistEntry,
            "Waitlist entry",
            lambda n, r: (
                f"{n.user(r.student_id)} waiting for {n.batch(r.batch_id)} (#{r.position})"
            ),
            lambda n, r: n.student_url(r.student_id),
            batch_scope=_by_batch,
            student_scope=_by_student,
        ),
        Audited(
            "individualassignment",
            IndividualAssignment,
            "Individual assignment",
            lambda n, r: (
                f"{n.user(r.instructor_id)} → {n.user(r.student_id)} "
                f"({r.get_assignment_type_display().lower()})"
            ),
            lambda n, r: n.student_url(r.student_id),
            student_scope=_by_student,
        ),
        Audited(
            "coursetrainer",
            CourseTrainer,
            "Course roster",
            lambda n, r: (
                f"{n.user(r.trainer_id)} · {r.get_role_display()} of {n.course(r.course_id)}"
            ),
            lambda n, r: (
                reverse("console:course_roster", args=[r.course_id])
                if r.course_id in n.courses
                else None
            ),
        ),
        Audited(
            "trainerleave",
            TrainerLeave,
            "Trainer leave",
            lambda n, r: (
                f"{n.user(r.trainer_id)} on leave {r.start_date:%Y-%m-%d} – {r.end_date:%Y-%m-%d}"
            ),
            lambda n, r: reverse("console:leave_detail", args=[r.id]) if r.id in n.leaves else None,
        ),
        Audited(
            "attendancemark",
            AttendanceMark,
            "Attendance mark",
            lambda n, r: (
                f"{n.user(r.student_id)} {r.get_status_display().lower()} at {n.batch(r.batch_id)} "
                f"({timezone.localtime(r.session_start):%Y-%m-%d %H:%M})"
            ),
            lambda n, r: n.student_url(r.student_id),
            batch_scope=_by_batch,
            student_scope=_by_student,
        ),
        Audited(
            "batchtemplate",
            BatchTemplate,
            "Batch template",
            lambda n, r: f"Batch template of {n.course(r.course_id)}",
            lambda n, r: (
                reverse("console:course_detail", args=[r.course_id])
                if r.course_id in n.courses
                else None
            ),
        ),
    )
}

MODEL_CHOICES = sorted(((a.key, a.label) for a in AUDITED.values()), key=lambda c: c[1])


# --- the log ----------------------------------------------------------------------------------


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_log(
    *,
    user: User | None = None,
    model: str | None = None,
    action: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    batch: int | None = None,
    student: int | None = None,
    object_id: int | None = None,
) -> QuerySet:
    """Every audited change as dicts with ``COLUMNS``, newest first, as one UNION ALL query.

    ``user`` made the change; ``model`` is a key of ``AUDITED``; ``action`` a history type
    (``+``, ``~``, ``-``); ``date_from``/``date_to`` are whole days, inclusive, in the current
    time zone; ``batch``/``student`` (primary keys) keep the rows about that batch or student;
    ``object_id`` keeps the rows of the objects with that primary key (with ``model``: one
    object's history).
    Feed a page of it to ``audit_entries``.
    """
    when = Q()
    if date_from:
        when &= Q(history_date__gte=_day_start(date_from))
    if date_to and date_to < dt.date.max:  # up to the last date there is: no upper bound
        when &= Q(history_date__lt=_day_start(date_to + dt.timedelta(days=1)))
    parts = []
    for audited in AUDITED.values():
        if model and audited.key != model:
            continue
        scope = Q()
        if batch is not None:
            if audited.batch_scope is None:
                continue
            scope &= audited.batch_scope(batch)
        if student is not None:
            if audited.student_scope is None:
                continue
            scope &= audited.student_scope(student)
        rows = audited.history.objects.filter(scope, when)
        if user is not None:
            rows = rows.filter(history_user=user)
        if action:
            rows = rows.filter(history_type=action)
        if object_id is not None:
            rows = rows.filter(id=object_id)
        parts.append(
            # Compound statements take no ORDER BY in their parts (the Meta ordering).
            rows.order_by()
            .annotate(model_key=Value(audited.key, output_field=CharField()))
            .values(*COLUMNS)
        )
    if not parts:
        parts.append(
            Batch.history.none()
            .order_by()
            .annotate(model_key=Value("batch", output_field=CharField()))
            .values(*COLUMNS)
        )
    log = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return log.order_by("-history_date", "-history_id")


def batch_history(batch: Batch) -> QuerySet:
    """The batch's audit trail: the batch, its slots, staffing, covers, waitlist and every
    enrollment that was ever in it."""
    return audit_log(batch=batch.pk)


def student_history(student: User) -> QuerySet:
    """A student's audit trail: their enrollments, individual assignments, waitlist entries."""
    return audit_log(student=student.pk)


# --- a page of entries ------------------------------------------------------------------------


def _with_previous(audited: Audited, history_ids: list[int]) -> list:
    """The history rows ``history_ids`` and the previous row of each one's object, in one
    query; each row carries ``previous_id``."""
    history = audited.history
    previous = Subquery(
        history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    previous_ids = (
        history.objects.filter(history_id__in=history_ids)
        .annotate(previous_id=previous)
        .values("previous_id")
    )
    return list(
        history.objects.filter(Q(history_id__in=history_ids) | Q(history_id__in=previous_ids))
        .order_by()
        .annotate(previous_id=previous)
    )


def _listed_fields(history: type[models.Model]) -> list[models.Field]:
    return [f for f in history.tracked_fields if f.name not in UNLISTED_FIELDS]


def _changes(names: Names, fields: list[models.Field], record, previous) -> list[Change]:
    if record.history_type == "+" or (previous is None and record.history_type != "-"):
        # Created (or the first row we have): the values it started with.
        return [
            Change(f.verbose_name, None, names.value(f, getattr(record, f.attname)))
            for f in fields
            if getattr(record, f.attname) not in (None, "")
        ]
    if record.history_type == "-":
        return [
            Change(f.verbose_name, names.value(f, getattr(record, f.attname)), None)
            for f in fields
            if getattr(record, f.attname) not in (None, "")
        ]
    return [
        Change(
            f.verbose_name,
            names.value(f, getattr(previous, f.attname)),
            names.value(f, getattr(record, f.attname)),
        )
        for f in fields
        if getattr(previous, f.attname) != getattr(record, f.attname)
    ]


def audit_entries(rows: Iterable[dict]) -> list[AuditEntry]:
    """``AuditEntry`` objects for rows of ``audit_log`` (a page of it), in the same order.

    Queries: one per model type among the rows (the rows with their previous rows), then one
    each for the users, batches, courses and leaves they name — never one per row.
    """
    rows = list(rows)
    ids_by_model: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        ids_by_model[row["model_key"]].append(row["history_id"])

    records: dict[tuple[str, int], object] = {}
    wanted: dict[type[models.Model], set[int]] = defaultdict(set)
    for key, history_ids in ids_by_model.items():
        audited = AUDITED[key]
        for record in _with_previous(audited, history_ids):
            records[key, record.history_id] = record
            wanted[User].add(record.history_user_id)
            for f in audited.history.tracked_fields:
                if f.is_relation and getattr(record, f.attname) is not None:
                    wanted[f.related_model].add(getattr(record, f.attname))
            if audited.model in (Batch, TrainerLeave):  # linked to their own pages
                wanted[audited.model].add(record.id)
    names = Names()
    names.load({model: ids - {None} for model, ids in wanted.items()})

    entries = []
    for row in rows:
        key = row["model_key"]
        audited = AUDITED[key]
        record = records[key, row["history_id"]]
        previous = records.get((key, record.previous_id))
        entries.append(
            AuditEntry(
                history_id=record.history_id,
                model_key=key,
                model_label=audited.label,
                object_id=record.id,
                history_type=record.history_type,
                when=record.history_date,
                user=names.users.get(record.history_user_id),
                reason=record.history_change_reason or "",
                summary=audited.describe(names, record),
                url=audited.link(names, record),
                changes=_changes(names, _listed_fields(audited.history), record, previous),
            )
        )
    return entries


def iter_entries(log: QuerySet, chunk_size: int = 500) -> Iterator[AuditEntry]:
    """Every entry of ``log`` (for CSV downloads), a chunk at a time: a constant number of
    queries per chunk."""
    start = 0
    while True:
        rows = list(log[start : start + chunk_size])
        yield from audit_entries(rows)
        if len(rows) < chunk_size:
            return
        start += chunk_size
