"""Pages of enrollments: the student's schedule, the console's enrollment pages and the
calendar feeds.

Each view checks access with a decorator, fetches what it works on, parses a form and calls
one service or selector; a service's refusal (``DomainError``) is shown on the form and the
page re-renders with status 200. The rules themselves live in ``services`` and ``selectors``.

The feeds take no login: the secret token in their URL is the credential (calendar apps
cannot log in). An unknown token, or one of a user without the feed's role, is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

# The console lists share paging and the CSV download (with its formula escaping).
from accounts.access import admin_required, student_required
from allocation import selectors as allocation_selectors
from core.errors import DomainError
from core.web import csv_response, paginate, wants_csv

from . import feeds, selectors, services, waitlist
from .forms import EnrollmentCreateForm, EnrollmentFilter, EnrollmentTransferForm
from .models import Enrollment


def _name(user) -> str:
    return user.display_name


def _next_url(request, default: str) -> str:
    """The ``next`` parameter when it points into this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- the student's schedule ------------------------------------------------------------------


@student_required
@require_GET
def student_schedule(request):
    """The student's batches with timetable, instructors and covers; mentor; past enrollments."""
    student = request.user
    enrollments = list(selectors.student_active_enrollments(student))
    return render(
        request,
        "enrollments/student_schedule.html",
        {
            "enrollments": enrollments,
            "timetable": allocation_selectors.weekly_timetable(
                e.batch for e in enrollments if e.batch_id
            ),
            "past": selectors.student_past_enrollments(student),
            "mentor": selectors.student_mentor(student),
        },
    )


# --- console: enrollments ----------------------------------------------------------------------


ENROLLMENT_CSV_HEADER = [
    "Student",
    "Email",
    "Course",
    "Batch",
    "Type",
    "Status",
    "Enrolled on",
    "Source",
    "Payment amount",
    "Currency",
    "Payment status",
    "Transaction ID",
]


@admin_required
@require_GET
def enroll_list(request):
    """Enrollments, filterable by course, batch, status and type; ``?format=csv`` downloads
    the filtered list."""
    filterset = EnrollmentFilter(request.GET, queryset=selectors.enrollment_list())
    if wants_csv(request):
        rows = (
            [
                _name(e.student),
                e.student.email,
                e.course.code,
                e.batch.batch_code if e.batch_id else "",
                e.enrollment_type,
                e.status,
                e.enrollment_date.date().isoformat(),
                e.enrollment_source,
                "" if e.payment_amount is None else str(e.payment_amount),
                e.payment_currency,
                e.payment_status,
                e.transaction_id,
            ]
            for e in filterset.qs
        )
        return csv_response("enrollments.csv", ENROLLMENT_CSV_HEADER, rows)
    return render(
        request,
        "enrollments/enrollment_list.html",
        {"filter": filterset, "page": paginate(request, filterset.qs)},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def enroll_create(request):
    """Enroll a student in a batch, individually, or (type Batch, no batch) in the batch that
    suits them; when the batch or every batch is full, offer their waitlists instead."""
    form = EnrollmentCreateForm(request.POST or None)
    waitlist_offer = []
    if request.method == "POST" and form.is_valid():
        # Read before a refusal takes the batch out of cleaned_data (add_error does).
        chosen, course = form.cleaned_data["batch"], form.cleaned_data["course"]
        try:
            if form.places_automatically():
                enrollment = waitlist.enrollment_place(**form.placement_kwargs())
            else:
                enrollment = services.enrollment_create(**form.service_kwargs())
        except DomainError as exc:
            form.add_domain_error(exc)
            if exc.code == "full":
                waitlist_offer = [chosen] if chosen else waitlist.waitlist_open_batches(course)
        else:
            where = (
                f"batch {enrollment.batch.batch_code}" if enrollment.batch_id else "individually"
            )
            messages.success(
                request,
                f"{_name(enrollment.student)} is enrolled in {enrollment.course.code}, {where}.",
            )
            return redirect("enroll:list")
    return render(
        request,
        "enrollments/enrollment_create.html",
        {"form": form, "waitlist_offer": waitlist_offer},
    )


def _get_enrollment(pk: int) -> Enrollment:
    return get_object_or_404(Enrollment.objects.select_related("student", "course", "batch"), pk=pk)


@admin_required
@require_POST
def enroll_cancel(request, pk: int):
    """Cancel an enrollment (freeing its seat), then go back to the page it was cancelled on."""
    enrollment = _get_enrollment(pk)
    try:
        services.enrollment_cancel(enrollment=enrollment)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        freed = f"; a seat in {enrollment.batch.batch_code} is free" if enrollment.batch_id else ""
        messages.success(
            request,
            f"The enrollment of {_name(enrollment.student)} in {enrollment.course.code} is "
            f"cancelled{freed}.",
        )
    # Not redirect(): it would look a bare word ("next=abc") up as a URL name and fail.
    return HttpResponseRedirect(_next_url(request, reverse("enroll:list")))


@admin_required
@require_http_methods(["GET", "POST"])
def enroll_transfer(request, pk: int):
    """Move an active batch enrollment to another open batch of the same course."""
    enrollment = _get_enrollment(pk)
    form = EnrollmentTransferForm(
        request.POST or None, targets=selectors.transfer_targets(enrollment)
    )
    if request.method == "POST" and form.is_valid():
        from_code = enrollment.batch.batch_code if enrollment.batch_id else ""
        try:
            moved = services.enrollment_transfer(
                enrollment=enrollment, to_batch=form.cleaned_data["to_batch"]
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                f"{_name(enrollment.student)} moved from {from_code} to {moved.batch.batch_code}.",
            )
            return redirect("enroll:list")
    return render(
        request, "enrollments/enrollment_transfer.html", {"enrollment": enrollment, "form": form}
    )


# --- calendar feeds --------------------------------------------------------------------------


def _ics_response(calendar, filename: str) -> HttpResponse:
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The URL is a secret: keep shared caches from storing the feed.
    response["Cache-Control"] = "private"
    return response


def _feed_owner(token: str, has_role) -> object:
    user = selectors.user_by_feed_token(token)
    if user is None or not has_role(user):
        raise Http404("No such calendar feed")
    return user


@require_GET
def student_feed(request, token: str):
    student = _feed_owner(token, lambda user: user.is_learner)
    calendar = feeds.student_calendar(student, selectors.student_feed_batches(student))
    return _ics_response(calendar, "medh-classes.ics")


@require_GET
def instructor_feed(request, token: str):
    instructor = _feed_owner(token, lambda user: user.is_instructor)
    calendar = feeds.instructor_calendar(
        instructor,
        selectors.instructor_feed_batches(instructor),
        selectors.instructor_cover_duties(instructor),
    )
    return _ics_response(calendar, "medh-teaching.ics")


@login_required
@require_POST
def feed_reset(request):
    """Give the user a new feed token; every feed URL with the old one becomes a 404."""
    request.user.reset_feed_token()
    messages.success(
        request,
        "Your calendar feed has a new address. The old one no longer works: subscribe again "
        "with the new address in your calendar app.",
    )
    return HttpResponseRedirect(_next_url(request, reverse("home")))
