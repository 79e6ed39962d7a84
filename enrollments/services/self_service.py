"""What a student may do for themselves, within their course's policy, and what only an
admin may set.

Enrollment policies (README, "Enrollment policies"): a course is ``admin_only`` (the
default: only admins enroll), ``open`` (students enroll themselves, join waitlists) or
``on_request`` (students ask, ``enrollment_request_create``; an admin approves or declines,
``enrollment_request_decide``), with an optional window (``enrollment_opens_at`` /
``enrollment_closes_at``) that binds students, not admins. Every self-service write goes
through the same services as an admin's (``enrollment_create``, ``waitlist_join``,
``enrollment_cancel``, ``enrollment_transfer``), so the seat, duplicate and clash rules and
their locks are the same.

Trusted payments (README, "Payments are trusted from admins only"): a student's own
enrollment — on the website or through the API — never carries a payment (status, amount,
currency, method, transaction id), an enrollment source other than the channel they use
(``website`` or ``api``), a privileged enrollment type (``PRIVILEGED_TYPES``: corporate,
group, scholarship and trial enrollments are granted, not chosen) or a clash override. Such a
request is refused as a whole, naming the fields, rather than stored with the fields dropped:
a client that sends them learns at once that they are not taken. Only an admin (or, later, a
payment integration) records a payment, with ``enrollment_details_update``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from allocation.models import Batch, Course, EnrollmentPolicy
from core import dates
from core.errors import DomainError, full_clean_or_refuse
from enrollments.models import (
    Enrollment,
    EnrollmentRequest,
    EnrollmentSource,
    EnrollmentType,
    RequestKind,
    RequestStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from enrollments.seats import NOT_FOUND, Payment, refuse_non_learner, refuse_second_active
from enrollments.services.enrollment import (
    enrollment_cancel,
    enrollment_create,
    enrollment_transfer,
)
from enrollments.services.waitlist import MSG_NOT_WAITING, waitlist_join, waitlist_remove
from notifications.services import notify

PRIVILEGED_TYPES = frozenset(
    {
        EnrollmentType.CORPORATE,
        EnrollmentType.GROUP,
        EnrollmentType.SCHOLARSHIP,
        EnrollmentType.TRIAL,
    }
)
SELF_SOURCES = frozenset({EnrollmentSource.WEBSITE, EnrollmentSource.API})
MSG_ADMIN_ONLY = gettext_noop("Only an admin can set %(fields)s")
MSG_PENDING = gettext_noop("You already have a pending request for this course")


def _payment_given(payment: Payment | None) -> bool:
    return payment is not None and any(
        value not in (None, "")
        for value in (
            payment.amount,
            payment.currency,
            payment.payment_method,
            payment.payment_status,
            payment.transaction_id,
        )
    )


def refuse_admin_only_fields(
    *,
    payment: Payment | None = None,
    enrollment_type: str | None = None,
    enrollment_source: str | None = None,
    allow_clash: bool = False,
) -> None:
    """Refuse (``DomainError``, code ``admin_only``) a student's own request that sets what
    only an admin may set, naming every such field: payment details, a privileged type, a
    source other than website/api, a clash override. Writes and locks nothing."""
    fields = []
    if _payment_given(payment):
        fields.append("paymentDetails")
    if enrollment_type in PRIVILEGED_TYPES:
        fields.append(f'enrollment_type "{enrollment_type}"')
    if enrollment_source is not None and enrollment_source not in SELF_SOURCES:
        fields.append(f'enrollment_source "{enrollment_source}"')
    if allow_clash:
        fields.append("allow_clash")
    if fields:
        raise DomainError(_(MSG_ADMIN_ONLY) % {"fields": ", ".join(fields)}, code="admin_only")


# --- the course's policy ----------------------------------------------------------------------


def policy_refusal(course: Course, *, wanted: str, now: dt.datetime | None = None) -> str:
    """Why a student may not ``wanted`` (``"enroll"`` or ``"request"``) in ``course`` by
    themselves now, or "" when they may: its policy must be open (enroll) or on request
    (request), and the time inside its window. Reads nothing."""
    now = now or timezone.now()
    if course.enrollment_policy == EnrollmentPolicy.ADMIN_ONLY:
        return _("Only an admin can enroll students in %(code)s") % {"code": course.code}
    if wanted == "enroll" and course.enrollment_policy == EnrollmentPolicy.ON_REQUEST:
        return _("%(code)s takes students on request: ask for a place instead") % {
            "code": course.code
        }
    if wanted == "request" and course.enrollment_policy == EnrollmentPolicy.OPEN:
        return _("%(code)s is open: enroll directly instead") % {"code": course.code}
    if course.enrollment_opens_at and now < course.enrollment_opens_at:
        return _("Enrollment in %(code)s opens on %(when)s UTC") % {
            "code": course.code,
            "when": f"{course.enrollment_opens_at:%Y-%m-%d %H:%M}",
        }
    if course.enrollment_closes_at and now >= course.enrollment_closes_at:
        return _("Enrollment in %(code)s closed on %(when)s UTC") % {
            "code": course.code,
            "when": f"{course.enrollment_closes_at:%Y-%m-%d %H:%M}",
        }
    return ""


def refuse_by_policy(course: Course, *, wanted: str) -> None:
    reason = policy_refusal(course, wanted=wanted)
    if reason:
        raise DomainError(reason, code="policy")


def _batch_with_course(batch: Batch | int) -> Batch:
    pk = batch.pk if isinstance(batch, Batch) else batch
    found = Batch.objects.select_related("course").filter(pk=pk).first()
    if found is None:
        raise DomainError(_("This batch no longer exists"), field="batch", code=NOT_FOUND)
    return found


def self_enroll(*, student: User, batch: Batch | int, source: str = EnrollmentSource.WEBSITE):
    """A student enrolls themselves in ``batch``: refused unless its course is open and inside
    its enrollment window; then exactly ``enrollment_create`` (locks the batch; capacity,
    duplicate and clash refusals), with no payment and the channel as its source."""
    batch = _batch_with_course(batch)
    refuse_by_policy(batch.course, wanted="enroll")
    return enrollment_create(
        student=student, batch=batch.pk, enrollment_source=source, enrollment_type="batch"
    )


def self_waitlist_join(
    *, student: User, batch: Batch | int, source: str = EnrollmentSource.WEBSITE
):
    """A student joins a full batch's waitlist: only where they could enroll themselves
    (open course, inside the window); then ``waitlist_join``."""
    batch = _batch_with_course(batch)
    refuse_by_policy(batch.course, wanted="enroll")
    return waitlist_join(student=student, batch=batch, enrollment_source=source)


def self_waitlist_leave(*, student: User, batch: Batch | int) -> WaitlistEntry:
    """A student leaves a waitlist they are on (kept as history). Refuses when they are not
    waiting for the batch."""
    pk = batch.pk if isinstance(batch, Batch) else batch
    entry = WaitlistEntry.objects.filter(
        batch_id=pk, student=student, status=WaitlistStatus.WAITING
    ).first()
    if entry is None:
        raise DomainError(MSG_NOT_WAITING, code=NOT_FOUND)
    return waitlist_remove(entry=entry, by=student, reason="Left by the student")


def self_cancel_deadline(batch: Batch) -> dt.date:
    """The last day a student may cancel their own enrollment in ``batch``:
    ``SELF_CANCEL_DAYS_AFTER_START`` days after it starts."""
    return batch.start_date + dt.timedelta(days=settings.SELF_CANCEL_DAYS_AFTER_START)


def self_cancel(*, student: User, enrollment: Enrollment) -> Enrollment:
    """A student cancels their own enrollment: before its batch starts, or within
    ``SELF_CANCEL_DAYS_AFTER_START`` days of the start (an individual enrollment any time);
    then ``enrollment_cancel`` (locks the enrollment, then its batch; the freed seat goes to
    the waitlist). Refuses someone else's enrollment and one past the window."""
    if enrollment.student_id != student.pk:
        raise DomainError(_("This is not your enrollment"), code="forbidden")
    if enrollment.batch_id:
        deadline = self_cancel_deadline(enrollment.batch)
        if dates.today() > deadline:
            raise DomainError(
                _(
                    "Batch %(code)s started on %(start)s: it can be cancelled by yourself "
                    "until %(deadline)s; please ask an admin"
                )
                % {
                    "code": enrollment.batch.batch_code,
                    "start": enrollment.batch.start_date.isoformat(),
                    "deadline": deadline.isoformat(),
                },
                code="window",
            )
    return enrollment_cancel(enrollment=enrollment)


# --- requests an admin decides -------------------------------------------------------------


def _save_request(request: EnrollmentRequest) -> EnrollmentRequest:
    full_clean_or_refuse(
        request, exclude=["student", "course", "batch", "enrollment"], validate_constraints=False
    )
    try:
        with transaction.atomic():  # a savepoint: the partial unique index is the backstop
            request.save()
    except IntegrityError as exc:
        raise DomainError(MSG_PENDING, code="duplicate") from exc
    return request


def _refuse_pending(student: User, course_id: int) -> None:
    if EnrollmentRequest.objects.filter(
        student=student, course_id=course_id, status=RequestStatus.PENDING
    ).exists():
        raise DomainError(MSG_PENDING, code="duplicate")


@transaction.atomic
def enrollment_request_create(
    *, student: User, batch: Batch | int, note: str = ""
) -> EnrollmentRequest:
    """A student asks for a place in ``batch`` of an on-request course (inside its window).
    Locks nothing (the decision takes the seat). Refuses: another policy, outside the window,
    a user who is not a student, an active enrollment in the course, a closed batch, a second
    pending request for the course (the partial unique index is the backstop)."""
    batch = _batch_with_course(batch)
    refuse_by_policy(batch.course, wanted="request")
    refuse_non_learner(student)
    refuse_second_active(student, batch.course)
    if not batch.is_open:
        raise DomainError(
            _("Batch %(batch_code)s is %(status)s and no longer accepts students")
            % {"batch_code": batch.batch_code, "status": batch.status},
            field="batch",
        )
    _refuse_pending(student, batch.course_id)
    return _save_request(
        EnrollmentRequest(
            kind=RequestKind.ENROLL, student=student, course=batch.course, batch=batch, note=note
        )
    )


@transaction.atomic
def transfer_request_create(
    *, student: User, enrollment: Enrollment, to_batch: Batch | int, note: str = ""
) -> EnrollmentRequest:
    """A student asks to move their active batch enrollment to another open batch of its
    course; an admin decides (``enrollment_request_decide`` runs ``enrollment_transfer``).
    Locks nothing. Refuses: someone else's enrollment, one not active or not in a batch, the
    batch it is in, a batch of another course or closed, a second pending request."""
    if enrollment.student_id != student.pk:
        raise DomainError(_("This is not your enrollment"), code="forbidden")
    if not enrollment.is_active or not enrollment.batch_id:
        raise DomainError(_("Only an active batch enrollment can be transferred"))
    target = _batch_with_course(to_batch)
    if target.pk == enrollment.batch_id:
        raise DomainError(
            _("The student is already in batch %(batch_code)s") % {"batch_code": target.batch_code},
            field="batch",
        )
    if target.course_id != enrollment.course_id or not target.is_open:
        raise DomainError(
            _("Batch %(code)s is not an open batch of this course") % {"code": target.batch_code},
            field="batch",
        )
    _refuse_pending(student, enrollment.course_id)
    return _save_request(
        EnrollmentRequest(
            kind=RequestKind.TRANSFER,
            student=student,
            course_id=enrollment.course_id,
            batch=target,
            enrollment=enrollment,
            note=note,
        )
    )


@transaction.atomic
def enrollment_request_decide(
    *,
    request: EnrollmentRequest,
    approve: bool,
    by: User,
    reason: str = "",
    allow_clash: bool = False,
) -> EnrollmentRequest:
    """An admin approves or declines a pending request.

    Locks the request row first; approving then runs ``enrollment_create`` (a place: locks
    the batch, refuses a full or closed batch, a clash unless ``allow_clash``, a duplicate)
    or ``enrollment_transfer`` (locks the enrollment, then both batches) in the same
    transaction, so a refusal leaves the request pending. Refuses: a request no longer
    pending, a decline without a reason.
    """
    current = EnrollmentRequest.objects.select_for_update(of=("self",)).filter(pk=request.pk)
    current = current.select_related("student", "enrollment", "batch", "course").first()
    if current is None or current.status != RequestStatus.PENDING:
        raise DomainError(_("This request has already been decided or withdrawn"))
    reason = reason.strip()
    if approve:
        if current.kind == RequestKind.ENROLL:
            current.enrollment = enrollment_create(
                student=current.student,
                batch=current.batch_id,
                enrollment_type="batch",
                enrollment_source=EnrollmentSource.WEBSITE,
                allow_clash=allow_clash,
            )
        else:
            enrollment_transfer(
                enrollment=current.enrollment,
                to_batch=current.batch,
                allow_clash=allow_clash,
            )
        current.status = RequestStatus.APPROVED
    else:
        if not reason:
            raise DomainError(_("Say why the request is declined"), field="reason")
        current.status = RequestStatus.DECLINED
    current.reason = reason[:500]
    current.decided_by = by
    current.decided_at = timezone.now()
    current._history_user = by
    current.save(update_fields=["status", "reason", "decided_by", "decided_at", "enrollment"])
    # The student hears the answer (and a decline's reason): an outbox row in this
    # transaction. An approved place also gets the usual welcome or transfer notice.
    notify(
        recipients=[current.student],
        event="request_decided",
        context={
            "request": current,
            "batch": current.batch,
            "course": current.course,
            "approved": approve,
            "reason": current.reason,
        },
        url=reverse("student:catalogue"),
    )
    return current


@transaction.atomic
def enrollment_request_withdraw(*, request: EnrollmentRequest, student: User) -> EnrollmentRequest:
    """The student withdraws their pending request. Locks the request row."""
    current = (
        EnrollmentRequest.objects.select_for_update(of=("self",)).filter(pk=request.pk).first()
    )
    if current is None or current.student_id != student.pk:
        raise DomainError(_("This is not your request"), code="forbidden")
    if current.status != RequestStatus.PENDING:
        raise DomainError(_("This request has already been decided or withdrawn"))
    current.status = RequestStatus.WITHDRAWN
    current.decided_at = timezone.now()
    current.save(update_fields=["status", "decided_at"])
    return current
