"""Reads of the waitlist pages: batches with waiting students, one batch's waiting and
resolved entries, the batches a student may wait for. Nothing here writes; the waitlist's
writes are ``enrollments.services.waitlist``."""

from __future__ import annotations

from django.db.models import Count, Exists, Min, OuterRef, QuerySet, Subquery

from allocation.models import Batch, Course
from enrollments.models import Enrollment, EnrollmentStatus, WaitlistEntry, WaitlistStatus


def waitlist_batches() -> QuerySet[Batch]:
    """Open batches with waiting students: ``waiting`` (how many) and ``waiting_since`` (when
    the longest-waiting joined), course joined; by course, then start date."""
    # A batch is listed when a waiting entry exists (a probe of the waitlist index); its two
    # figures are subqueries, computed for the rows of the page shown only, instead of
    # grouping every open batch with its entries.
    entries = WaitlistEntry.objects.filter(
        batch=OuterRef("pk"), status=WaitlistStatus.WAITING
    ).order_by()
    per_batch = entries.values("batch")
    return (
        Batch.objects.open()
        .filter(Exists(entries))
        .annotate(
            waiting=Subquery(per_batch.annotate(n=Count("*")).values("n")[:1]),
            waiting_since=Subquery(per_batch.annotate(at=Min("created_at")).values("at")[:1]),
        )
        .select_related("course")
        .order_by("course__code", "start_date", "batch_code", "pk")
    )


def waitlist_waiting(batch: Batch) -> QuerySet[WaitlistEntry]:
    """The batch's waiting entries in serving order, student joined; ``enrolled_elsewhere``:
    the student already has an active enrollment in the course (they will be skipped)."""
    return (
        WaitlistEntry.objects.filter(batch=batch, status=WaitlistStatus.WAITING)
        .select_related("student")
        .annotate(
            enrolled_elsewhere=Exists(
                Enrollment.objects.filter(
                    student=OuterRef("student"),
                    course_id=batch.course_id,
                    status=EnrollmentStatus.ACTIVE,
                )
            )
        )
        .order_by("position", "created_at", "pk")
    )


def waitlist_resolved(batch: Batch, limit: int = 20) -> list[WaitlistEntry]:
    """The batch's latest served or removed entries, with ``reason`` from their history."""
    reason = (
        WaitlistEntry.history.filter(id=OuterRef("pk"))
        .exclude(history_change_reason=None)
        .order_by("-history_date", "-history_id")
        .values("history_change_reason")[:1]
    )
    return list(
        WaitlistEntry.objects.filter(batch=batch)
        .exclude(status=WaitlistStatus.WAITING)
        .select_related("student")
        .annotate(reason=Subquery(reason))
        .order_by("-resolved_at", "-pk")[:limit]
    )


def waitlist_open_batches(course: Course) -> list[Batch]:
    """The open batches of a course, whose waitlists a student may join when all are full."""
    return list(
        Batch.objects.open()
        .filter(course=course)
        .select_related("course")
        .order_by("start_date", "batch_code", "pk")
    )
