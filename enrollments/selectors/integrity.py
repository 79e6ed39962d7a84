"""Data consistency checks (``check_integrity`` and the console's lifecycle page): what they
find. The fixes are ``enrollments.services.integrity``.

The services keep these rules; data written around them (imports, shell sessions, a
restored backup, a user edited in the Django admin) can still break them. Each check takes a
fixed number of queries whatever the data, and reads an index or a small set of rows rather
than every enrollment (the lifecycle page runs them all on every view):

- ``non_instructor``: a current mentoring assignment, batch primary or staffing row of an
  Active/Upcoming batch held by a user who lost the instructor role or was deactivated.
  Reported only: a person must choose who takes over.
- ``primary_missing``: a batch whose ``assigned_instructor`` has no current primary staffing
  row. Fixed by restoring the row, unless another trainer holds the primary row (reported).
- ``active_in_closed_batch``: an active enrollment in a Completed batch (fixed: completed) or
  a Cancelled one (fixed: cancelled), through ``enrollment_set_status``.
- ``counter``: a batch whose ``enrolled_students`` is not its number of active enrollments
  (``counter_mismatches``); ``enrollment_counters_reconcile`` recounts it unless the active
  enrollments exceed the capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Subquery
from django.utils.translation import gettext, gettext_lazy

from accounts.models import User
from allocation.models import (
    OPEN_BATCH_STATUSES,
    Batch,
    BatchStatus,
    BatchTrainer,
    IndividualAssignment,
    StaffRole,
)
from enrollments.models import Enrollment, EnrollmentStatus
from enrollments.selectors.enrollments import active_enrollment_count

NON_INSTRUCTOR = "non_instructor"
PRIMARY_MISSING = "primary_missing"
ACTIVE_IN_CLOSED_BATCH = "active_in_closed_batch"
COUNTER = "counter"

CHECK_TITLES = {
    NON_INSTRUCTOR: gettext_lazy("Assignments held by users who are no longer active instructors"),
    PRIMARY_MISSING: gettext_lazy("Batches whose primary is missing from their staffing"),
    ACTIVE_IN_CLOSED_BATCH: gettext_lazy("Active enrollments in Completed or Cancelled batches"),
    COUNTER: gettext_lazy("Batch seat counters that do not match their active enrollments"),
}

# What an active enrollment of a closed batch becomes.
CLOSED_BATCH_ENROLLMENT_STATUS = {
    BatchStatus.COMPLETED: EnrollmentStatus.COMPLETED,
    BatchStatus.CANCELLED: EnrollmentStatus.CANCELLED,
}


@dataclass(frozen=True)
class Finding:
    check: str
    # The row the finding is about: the batch, enrollment or assignment, as ("model", pk).
    key: tuple[str, int]
    message: str
    fixable: bool
    # What --fix does, or why it does not.
    remedy: str

    @property
    def title(self) -> str:
        return CHECK_TITLES[self.check]


def _labelled(user) -> str:
    return f"{user.display_name} <{user.email}>"


def _why(user) -> str:
    return "is deactivated" if not user.is_active else "no longer has the instructor role"


def _non_instructor_findings() -> list[Finding]:
    remedy = gettext("Reported only: a person must choose who takes over.")
    findings = []
    # "Not an active instructor" as "not among the active instructors": a small hashed set
    # each row is looked up in, instead of joining every row to its user.
    instructors = User.objects.instructors()
    assignments = (
        IndividualAssignment.objects.filter(ended_at__isnull=True)
        .exclude(instructor__in=instructors)
        .select_related("student", "instructor")
        .order_by("pk")
    )
    for a in assignments:
        findings.append(
            Finding(
                NON_INSTRUCTOR,
                ("assignment", a.pk),
                f"{a.get_assignment_type_display()} assignment of {_labelled(a.student)}: "
                f"{_labelled(a.instructor)} {_why(a.instructor)}",
                False,
                remedy + " Reassign or end it on the Mentors page.",
            )
        )
    primaries = (
        Batch.objects.open()
        .exclude(assigned_instructor__in=instructors)
        .select_related("assigned_instructor")
        .order_by("pk")
    )
    for b in primaries:
        findings.append(
            Finding(
                NON_INSTRUCTOR,
                ("batch", b.pk),
                f"Batch {b.batch_code} ({b.status}): its primary "
                f"{_labelled(b.assigned_instructor)} {_why(b.assigned_instructor)}",
                False,
                remedy + " Assign another instructor on the batch page.",
            )
        )
    # The primary rows are covered by the batch finding above.
    rows = (
        BatchTrainer.objects.filter(ended_at__isnull=True, batch__status__in=OPEN_BATCH_STATUSES)
        .exclude(role=StaffRole.PRIMARY)
        .exclude(trainer__in=instructors)
        .select_related("batch", "trainer")
        .order_by("pk")
    )
    for row in rows:
        findings.append(
            Finding(
                NON_INSTRUCTOR,
                ("staffing", row.pk),
                f"Batch {row.batch.batch_code} ({row.batch.status}): its "
                f"{row.get_role_display().lower()} {_labelled(row.trainer)} {_why(row.trainer)}",
                False,
                remedy + " Remove or replace them on the course's staffing page.",
            )
        )
    return findings


def _primary_missing_findings() -> list[Finding]:
    current_primary = BatchTrainer.objects.filter(
        batch=OuterRef("pk"), role=StaffRole.PRIMARY, ended_at__isnull=True
    )
    batches = (
        Batch.objects.annotate(
            mirrored=Exists(current_primary.filter(trainer=OuterRef("assigned_instructor"))),
            other_primary=Subquery(
                current_primary.exclude(trainer=OuterRef("assigned_instructor")).values(
                    "trainer__email"
                )[:1]
            ),
        )
        .filter(mirrored=False)
        .select_related("assigned_instructor")
        .order_by("pk")
    )
    findings = []
    for b in batches:
        message = (
            f"Batch {b.batch_code} ({b.status}) names {_labelled(b.assigned_instructor)} as its "
            "primary, but its staffing has no current primary row for them"
        )
        if b.other_primary:
            findings.append(
                Finding(
                    PRIMARY_MISSING,
                    ("batch", b.pk),
                    f"{message}; {b.other_primary} holds the primary row instead",
                    False,
                    gettext(
                        "Reported only: a person must decide which of the two is the primary "
                        "(assign the right instructor on the batch page)."
                    ),
                )
            )
        else:
            findings.append(
                Finding(
                    PRIMARY_MISSING,
                    ("batch", b.pk),
                    message,
                    True,
                    "--fix restores the primary staffing row (with history).",
                )
            )
    return findings


def _closed_batch_findings() -> list[Finding]:
    # First the closed batches that hold an active enrollment, each probed in the partial
    # index of active enrollments by batch (``enrollment_active_batch``); then only their
    # enrollments, with no query when there are none. In one join, the planner expects a
    # closed batch to hold as many active enrollments as any batch and reads every active
    # enrollment row (28 ms at 100,000 students, against 2 ms).
    holding = Enrollment.objects.filter(batch=OuterRef("pk"), status=EnrollmentStatus.ACTIVE)
    batches = list(
        Batch.objects.filter(status__in=list(CLOSED_BATCH_ENROLLMENT_STATUS))
        .filter(Exists(holding))
        .values_list("pk", flat=True)
    )
    enrollments = (
        Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE, batch__in=batches)
        .select_related("student", "course", "batch")
        .order_by("pk")
    )
    return [
        Finding(
            ACTIVE_IN_CLOSED_BATCH,
            ("enrollment", e.pk),
            f"{_labelled(e.student)} is still active in batch {e.batch.batch_code}, which is "
            f"{e.batch.status}",
            True,
            f"--fix sets the enrollment to "
            f"{CLOSED_BATCH_ENROLLMENT_STATUS[e.batch.status]} (frees the seat).",
        )
        for e in enrollments
    ]


@dataclass
class CounterMismatch:
    batch_id: int
    batch_code: str
    stored: int
    actual: int
    capacity: int
    fixed: bool = False

    @property
    def fixable(self) -> bool:
        # More active enrollments than seats can only come from data written around the
        # services; the counter cannot say so (check constraint), so a person must decide.
        return self.actual <= self.capacity


def counter_mismatches() -> list[CounterMismatch]:
    """The batches whose ``enrolled_students`` is not their number of active enrollments, in
    primary-key order. One query; changes nothing."""
    counted = Batch.objects.annotate(actual=active_enrollment_count()).exclude(
        enrolled_students=F("actual")
    )
    return [
        CounterMismatch(b.pk, b.batch_code, b.enrolled_students, b.actual, b.capacity)
        for b in counted.order_by("pk")
    ]


def _counter_findings() -> list[Finding]:
    return [
        Finding(
            COUNTER,
            ("batch", m.batch_id),
            f"Batch {m.batch_code}: counter says {m.stored} enrolled, but it has {m.actual} "
            "active enrollment(s)",
            m.fixable,
            "--fix recounts it."
            if m.fixable
            else gettext(
                "Reported only: more active enrollments than its capacity of %(capacity)s; a "
                "person must move or cancel some."
            )
            % {"capacity": m.capacity},
        )
        for m in counter_mismatches()
    ]


def integrity_findings() -> list[Finding]:
    """Every problem the checks find, in check order. Six queries (seven when a closed batch
    holds an active enrollment); changes nothing."""
    return (
        _non_instructor_findings()
        + _primary_missing_findings()
        + _closed_batch_findings()
        + _counter_findings()
    )
