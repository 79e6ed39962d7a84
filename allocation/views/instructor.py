"""The instructor's pages: their batches, mentees, batch notes and availability.

Each view checks access with a decorator, fetches what it works on, parses a form and calls
one service or selector; a service's refusal (``DomainError``) is shown on the form and the
page re-renders with status 200. The rules themselves live in ``services``, ``selectors``
and ``eligibility``.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import instructor_required
from accounts.models import User
from allocation import selectors, services
from allocation.forms import AvailabilityFormSet, BatchNoteForm, MentoringSessionForm
from allocation.models import (
    OPEN_BATCH_STATUSES,
    TEACHING_ROLES,
    Batch,
    IndividualAssignment,
    MentorBooking,
    MentorBookingStatus,
)
from core.errors import DomainError
from trainers import services as trainer_services

# Mentees named on the dashboard's summary; the mentees page lists them all.
MENTEES_SHOWN = 5


@instructor_required
@require_GET
def instructor_dashboard(request):
    """The instructor's current batch roles (with who covers their absences), their
    substitute duties and a summary of their mentees."""
    mentees = selectors.mentoring_report(request.user)
    roles = list(selectors.instructor_batches(request.user))
    teaching = [
        r.batch for r in roles if r.role in TEACHING_ROLES and r.batch.status in OPEN_BATCH_STATUSES
    ]
    duties = list(selectors.trainer_covers(request.user))
    # The summary lists the mentees who need contact first, then says how many more there are.
    summary = sorted(mentees, key=lambda row: not row.stale)
    return render(
        request,
        "allocation/instructor_dashboard.html",
        {
            "roles": roles,
            # A substitute's duties are sessions they teach: in the grid, marked as cover.
            "timetable": selectors.weekly_timetable(teaching, covers=duties),
            "covered": list(selectors.trainer_covered_absences(request.user)),
            "duties": duties,
            "mentees": mentees,
            "mentees_shown": summary[:MENTEES_SHOWN],
            "mentees_more": max(len(summary) - MENTEES_SHOWN, 0),
            "stale_count": sum(row.stale for row in mentees),
            "stale_days": selectors.STALE_CONTACT_DAYS,
        },
    )


@instructor_required
@require_GET
def instructor_mentees(request):
    return render(
        request,
        "allocation/instructor_mentees.html",
        {
            "rows": selectors.mentoring_report(request.user),
            "stale_days": selectors.STALE_CONTACT_DAYS,
        },
    )


@instructor_required
@require_http_methods(["GET", "POST"])
def session_log(request, assignment_pk: int):
    """Log a mentoring session; only for the instructor's own assignments (others: 404)."""
    assignment = get_object_or_404(
        IndividualAssignment.objects.select_related("student"),
        pk=assignment_pk,
        instructor=request.user,
    )
    bookings = MentorBooking.objects.filter(
        assignment=assignment, status=MentorBookingStatus.BOOKED, start_at__lte=timezone.now()
    ).order_by("-start_at")
    form = MentoringSessionForm(request.POST or None, bookings=bookings)
    if request.method == "POST" and form.is_valid():
        try:
            services.mentoring_session_log(
                assignment=assignment, logged_by=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                gettext("Session with %(student)s logged.")
                % {"student": assignment.student.display_name},
            )
            return redirect("instructor:mentees")
    return render(request, "allocation/session_log.html", {"assignment": assignment, "form": form})


def _batch_for_notes(user: User, pk: int) -> Batch:
    """The batch, if ``user`` may use its notes thread; 404 otherwise, so that outsiders
    learn nothing about it."""
    batch = get_object_or_404(Batch.objects.select_related("course"), pk=pk)
    if not selectors.can_use_batch_notes(user, batch):
        raise Http404(gettext("No notes thread of this batch is open to you"))
    return batch


@instructor_required
@require_http_methods(["GET", "POST"])
def batch_notes(request, pk: int):
    """The batch's notes thread, for its trainers, leads and substitutes."""
    batch = _batch_for_notes(request.user, pk)
    form = BatchNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.batch_note_add(
                batch=batch, author=request.user, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, gettext("Note posted."))
            return redirect("instructor:batch_notes", pk=batch.pk)
    return render(
        request,
        "allocation/batch_notes.html",
        {"batch": batch, "notes": selectors.batch_notes(batch), "form": form},
    )


@instructor_required
@require_http_methods(["GET", "POST"])
def availability(request):
    """The instructor's weekly availability windows; none at all means always available."""
    windows = list(selectors.trainer_availability(request.user))
    initial = [{"day": w.day, "start_time": w.start_time, "end_time": w.end_time} for w in windows]
    formset = AvailabilityFormSet(request.POST or None, initial=initial)
    if request.method == "POST" and formset.is_valid():
        try:
            saved = trainer_services.availability_set(
                trainer=request.user, windows=formset.windows()
            )
        except DomainError as exc:
            formset.add_domain_error(exc)
        else:
            messages.success(
                request,
                ngettext(
                    "Availability saved: %(count)s weekly window.",
                    "Availability saved: %(count)s weekly windows.",
                    len(saved),
                )
                % {"count": len(saved)}
                if saved
                else gettext("Availability cleared: you are available at any time."),
            )
            return redirect("instructor:availability")
    return render(request, "allocation/availability.html", {"formset": formset, "windows": windows})
