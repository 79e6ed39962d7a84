"""A student's catalogue: the courses open to them and each course's open batches, with what
each batch means for them (seats, schedule, a clash, their waitlist place, a pending request).
Reads only; the pages and the API share these."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from allocation.models import Batch, Course, EnrollmentPolicy, ScheduleSlot
from enrollments.clashes import StudentClash, student_clashes
from enrollments.models import (
    Enrollment,
    EnrollmentRequest,
    EnrollmentStatus,
    RequestStatus,
    WaitlistEntry,
    WaitlistStatus,
)


def catalogue_courses() -> QuerySet[Course]:
    """Courses a student may enroll in or ask for, by title; one query."""
    return Course.objects.exclude(enrollment_policy=EnrollmentPolicy.ADMIN_ONLY).order_by(
        "title", "pk"
    )


def open_batches(course: Course) -> QuerySet[Batch]:
    """The course's Active/Upcoming batches, soonest first, with their instructor and weekly
    slots (two queries when read)."""
    return (
        Batch.objects.open()
        .filter(course=course)
        .select_related("assigned_instructor", "course")
        .prefetch_related(Prefetch("schedule", queryset=ScheduleSlot.objects.order_by("day")))
        .order_by("start_date", "pk")
    )


@dataclass
class BatchOffer:
    """One open batch as a student sees it."""

    batch: Batch
    clash: StudentClash | None = None
    waiting_position: int | None = None
    enrolled: bool = False
    pending_request: EnrollmentRequest | None = None


@dataclass
class CourseOffer:
    course: Course
    batches: list[BatchOffer]
    enrollment: Enrollment | None  # the student's active one in the course
    pending_request: EnrollmentRequest | None


def course_offer(student: User, course: Course) -> CourseOffer:
    """The course's open batches for ``student``: the first clash of each with their other
    classes, their waitlist position, their enrollment and pending request in the course.
    At most nine queries whatever the number of batches (batches, slots, the clash check
    (two), the student's waitlist entries and those ahead of them, enrollment, pending
    request)."""
    batches = list(open_batches(course))
    clashes = student_clashes(student, batches) if student.is_learner else {}
    waiting = waiting_places(student, [b.pk for b in batches])
    enrollment = (
        Enrollment.objects.filter(student=student, course=course, status=EnrollmentStatus.ACTIVE)
        .select_related("batch")
        .first()
    )
    pending = (
        EnrollmentRequest.objects.filter(
            student=student, course=course, status=RequestStatus.PENDING
        )
        .select_related("batch")
        .first()
    )
    offers = [
        BatchOffer(
            batch=b,
            clash=clashes.get(b.pk),
            waiting_position=waiting.get(b.pk),
            enrolled=enrollment is not None and enrollment.batch_id == b.pk,
            pending_request=pending if pending is not None and pending.batch_id == b.pk else None,
        )
        for b in batches
    ]
    return CourseOffer(course, offers, enrollment, pending)


def waiting_places(student: User, batch_ids: list[int]) -> dict[int, int]:
    """The student's place (1 = served next) in each batch's queue they wait in; one query."""
    mine = WaitlistEntry.objects.filter(
        student=student, batch_id__in=batch_ids, status=WaitlistStatus.WAITING
    )
    places = {}
    for entry in mine.values("batch_id", "position", "created_at", "pk"):
        places[entry["batch_id"]] = entry
    if not places:
        return {}
    ahead = Q()
    for batch_id, e in places.items():
        ahead |= Q(batch_id=batch_id) & (
            Q(position__lt=e["position"])
            | Q(position=e["position"], created_at__lt=e["created_at"])
            | Q(position=e["position"], created_at=e["created_at"], pk__lt=e["pk"])
        )
    counts: dict[int, int] = dict.fromkeys(places, 0)
    for batch_id in WaitlistEntry.objects.filter(ahead, status=WaitlistStatus.WAITING).values_list(
        "batch_id", flat=True
    ):
        counts[batch_id] += 1
    return {batch_id: counts[batch_id] + 1 for batch_id in places}


def my_requests(student: User) -> QuerySet[EnrollmentRequest]:
    return (
        EnrollmentRequest.objects.filter(student=student)
        .select_related("batch", "course")
        .order_by("-created_at", "-pk")
    )


def pending_requests() -> QuerySet[EnrollmentRequest]:
    """The requests an admin has to decide, oldest first, with who and where."""
    return (
        EnrollmentRequest.objects.filter(status=RequestStatus.PENDING)
        .select_related("student", "batch", "course", "enrollment__batch")
        .order_by("created_at", "pk")
    )
