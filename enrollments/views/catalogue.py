"""A student's catalogue and actions (``/me/courses/``, namespace ``student``): the courses
open to them, each course's open batches for them, and the actions the course's policy
allows — enroll, ask for a place, join or leave a waitlist, cancel, ask for a transfer.

Thin: each action calls one service of ``enrollments.services.self_service`` (the same the
API calls) and redirects back to the course page with what happened.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import student_required
from allocation.models import Batch, EnrollmentPolicy
from core.errors import DomainError
from core.ids import parse_id
from core.timezones import default_time_zone, zone
from enrollments import services
from enrollments.forms import RequestNoteForm, form_errors
from enrollments.models import Enrollment
from enrollments.selectors.catalogue import catalogue_courses, course_offer, my_requests
from enrollments.services.self_service import self_cancel_deadline


def weekly_in_zone(batch: Batch) -> list[tuple[dt.datetime, dt.datetime]]:
    """The batch's weekly slots as the first week's dated times (aware), for showing in the
    viewer's zone: a slot read in the batch's zone may fall on another day or hour in the
    viewer's. No query (the slots are prefetched)."""
    tz = zone(batch.time_zone or default_time_zone())
    times = []
    for s in batch.schedule.all():
        day = batch.start_date + dt.timedelta(days=(s.day - batch.start_date.weekday()) % 7)
        times.append(
            (
                dt.datetime.combine(day, s.start_time, tzinfo=tz),
                dt.datetime.combine(day, s.end_time, tzinfo=tz),
            )
        )
    return sorted(times)


@student_required
@require_GET
def catalogue(request):
    """The courses a student may enroll in or ask for, with their policy and window; and the
    student's requests."""
    return render(
        request,
        "enrollments/catalogue.html",
        {
            "courses": catalogue_courses(),
            "requests": my_requests(request.user)[:20],
            "now": timezone.now(),
        },
    )


@student_required
@require_GET
def course_detail(request, pk: int):
    """One course's open batches for the student: schedule in their zone, seats left,
    instructor, start date, a clash with their other classes, their waitlist place, and the
    actions open to them."""
    course = get_object_or_404(catalogue_courses(), pk=pk)
    offer = course_offer(request.user, course)
    for item in offer.batches:
        item.weekly = weekly_in_zone(item.batch)
    enrollment = offer.enrollment
    return render(
        request,
        "enrollments/catalogue_course.html",
        {
            "course": course,
            "offer": offer,
            "policy_reason": services.policy_refusal(
                course,
                wanted="request"
                if course.enrollment_policy == EnrollmentPolicy.ON_REQUEST
                else "enroll",
            ),
            "cancel_until": self_cancel_deadline(enrollment.batch)
            if enrollment is not None and enrollment.batch_id
            else None,
            "cancel_days": settings.SELF_CANCEL_DAYS_AFTER_START,
        },
    )


def _back(batch_or_course_id: int):
    return redirect("student:course", pk=batch_or_course_id)


def _act(request, course_id: int, action, success: str):
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return _back(course_id)


@student_required
@require_POST
def batch_enroll(request, pk: int):
    batch = get_object_or_404(Batch, pk=pk)
    return _act(
        request,
        batch.course_id,
        lambda: services.self_enroll(student=request.user, batch=batch),
        _("You are enrolled in %(code)s.") % {"code": batch.batch_code},
    )


@student_required
@require_POST
def batch_request(request, pk: int):
    batch = get_object_or_404(Batch, pk=pk)
    form = RequestNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return _back(batch.course_id)
    note = form.cleaned_data["note"]
    return _act(
        request,
        batch.course_id,
        lambda: services.enrollment_request_create(student=request.user, batch=batch, note=note),
        _("Your request for %(code)s is sent; an admin will decide.") % {"code": batch.batch_code},
    )


@student_required
@require_POST
def waitlist_join(request, pk: int):
    batch = get_object_or_404(Batch, pk=pk)
    return _act(
        request,
        batch.course_id,
        lambda: services.self_waitlist_join(student=request.user, batch=batch),
        _("You are on the waitlist of %(code)s.") % {"code": batch.batch_code},
    )


@student_required
@require_POST
def waitlist_leave(request, pk: int):
    batch = get_object_or_404(Batch, pk=pk)
    return _act(
        request,
        batch.course_id,
        lambda: services.self_waitlist_leave(student=request.user, batch=batch),
        _("You left the waitlist of %(code)s.") % {"code": batch.batch_code},
    )


def _mine(request, pk: int) -> Enrollment:
    return get_object_or_404(
        Enrollment.objects.select_related("batch"), pk=pk, student=request.user
    )


@student_required
@require_POST
def enrollment_cancel(request, pk: int):
    enrollment = _mine(request, pk)
    return _act(
        request,
        enrollment.course_id,
        lambda: services.self_cancel(student=request.user, enrollment=enrollment),
        _("Your enrollment is cancelled."),
    )


@student_required
@require_POST
def transfer_request(request, pk: int):
    enrollment = _mine(request, pk)
    course_batches = Batch.objects.filter(course_id=enrollment.course_id)
    target = course_batches.filter(pk=parse_id(request.POST.get("to_batch")) or 0).first()
    if target is None:
        messages.error(request, _("Choose a batch of this course to move to."))
        return _back(enrollment.course_id)
    return _act(
        request,
        enrollment.course_id,
        lambda: services.transfer_request_create(
            student=request.user, enrollment=enrollment, to_batch=target
        ),
        _("Your transfer request to %(code)s is sent; an admin will decide.")
        % {"code": target.batch_code},
    )
