"""The console's page of students' requests (``/console/enrollments/requests/``, admins): the
pending requests for a place or a transfer, oldest first, each approved (through the enroll
or transfer service, with an optional clash override) or declined with a reason."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import admin_required
from core.errors import DomainError
from core.web import paginate
from enrollments import services
from enrollments.forms import RequestDecisionForm, form_errors
from enrollments.models import EnrollmentRequest
from enrollments.selectors.catalogue import pending_requests


@admin_required
@require_GET
def request_list(request):
    return render(
        request,
        "enrollments/request_list.html",
        {"page": paginate(request, pending_requests())},
    )


@admin_required
@require_POST
def request_decide(request, pk: int):
    found = get_object_or_404(EnrollmentRequest.objects.select_related("student"), pk=pk)
    form = RequestDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{found.student.display_name}: {form_errors(form)}")
        return redirect("enroll:requests")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.enrollment_request_decide(
            request=found,
            approve=approve,
            by=request.user,
            reason=form.cleaned_data["reason"],
            allow_clash=form.cleaned_data["allow_clash"],
        )
    except DomainError as exc:
        messages.error(request, f"{found.student.display_name}: {exc.message}")
    else:
        messages.success(
            request,
            (_("Approved: %(who)s.") if approve else _("Declined: %(who)s."))
            % {"who": found.student.display_name},
        )
    return redirect("enroll:requests")
