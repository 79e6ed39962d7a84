"""The console's enrollment pages (``/console/enrollments/``, namespace ``enroll``, admins):
the list (and its CSV), enroll, cancel and transfer."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import admin_required
from core.errors import DomainError
from core.web import csv_response, paginate, wants_csv
from enrollments import selectors, services
from enrollments.forms import EnrollmentCreateForm, EnrollmentFilter, EnrollmentTransferForm
from enrollments.models import Enrollment
from enrollments.views.redirects import next_url

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
                e.student.display_name,
                e.student.email,
                e.course.code,
                e.batch.batch_code if e.batch_id else "",
                e.get_enrollment_type_display(),
                e.get_status_display(),
                e.enrollment_date.date().isoformat(),
                e.get_enrollment_source_display(),
                "" if e.payment_amount is None else str(e.payment_amount),
                e.payment_currency,
                e.get_payment_status_display(),
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
                enrollment = services.enrollment_place(**form.placement_kwargs())
            else:
                enrollment = services.enrollment_create(**form.service_kwargs())
        except DomainError as exc:
            form.add_domain_error(exc)
            if exc.code == "full":
                waitlist_offer = [chosen] if chosen else selectors.waitlist_open_batches(course)
        else:
            where = (
                f"batch {enrollment.batch.batch_code}" if enrollment.batch_id else "individually"
            )
            messages.success(
                request,
                gettext("%(student)s is enrolled in %(course_code)s, %(where)s.")
                % {
                    "student": enrollment.student.display_name,
                    "course_code": enrollment.course.code,
                    "where": where,
                },
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
            gettext("The enrollment of %(student)s in %(course_code)s is cancelled%(freed)s.")
            % {
                "student": enrollment.student.display_name,
                "course_code": enrollment.course.code,
                "freed": freed,
            },
        )
    return HttpResponseRedirect(next_url(request, reverse("enroll:list")))


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
                enrollment=enrollment,
                to_batch=form.cleaned_data["to_batch"],
                allow_clash=form.cleaned_data["allow_clash"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                gettext("%(student)s moved from %(from_code)s to %(batch_code)s.")
                % {
                    "student": enrollment.student.display_name,
                    "from_code": from_code,
                    "batch_code": moved.batch.batch_code,
                },
            )
            return redirect("enroll:list")
    return render(
        request, "enrollments/enrollment_transfer.html", {"enrollment": enrollment, "form": form}
    )
