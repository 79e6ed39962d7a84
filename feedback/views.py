"""The feedback pages: a student rates a batch, a mentee rates a mentoring session, the
batch's trainers and admins read the results (``selectors.batch_summary`` decides what each
may see). Thin: access, form, service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import is_admin, student_required
from allocation.models import Batch, MentoringSession
from core.errors import DomainError

from . import selectors, services
from .forms import BatchFeedbackForm, MentoringRatingForm


@student_required
@require_http_methods(["GET", "POST"])
def rate_batch(request, batch_id: int):
    """The student's "rate this batch" form, at the batch's open stage. Only for a student of
    the batch (anyone else: 404, so outsiders learn nothing about it)."""
    batch = get_object_or_404(Batch.objects.select_related("course"), pk=batch_id)
    if not selectors.is_student_of(request.user, batch):
        raise Http404(_("You are not a student of this batch"))
    stage = selectors.open_stage(batch)
    answered = selectors.answered_stages(request.user, batch)
    trainers = selectors.batch_trainers(batch) if stage else []
    form = BatchFeedbackForm(request.POST or None, trainers=trainers)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_submit(
                batch=batch,
                student=request.user,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                trainer_ratings=form.trainer_ratings(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                _("Thank you: your rating of %(code)s is saved.") % {"code": batch.batch_code},
            )
            return redirect("student:schedule")
    return render(
        request,
        "feedback/rate_batch.html",
        {
            "batch": batch,
            "form": form,
            "stage": stage,
            "already": stage in answered,
            "min_answers": selectors.min_answers(),
        },
    )


@student_required
@require_http_methods(["GET", "POST"])
def rate_mentoring(request, session_id: int):
    """The mentee's rating of one of their mentoring sessions (anyone else's: 404)."""
    session = get_object_or_404(
        MentoringSession.objects.select_related("assignment__instructor"),
        pk=session_id,
        assignment__student=request.user,
    )
    already = hasattr(session, "rating")
    form = MentoringRatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mentoring_rating_submit(
                session=session,
                student=request.user,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Thank you: your rating of this session is saved."))
            return redirect("student:schedule")
    return render(
        request,
        "feedback/rate_mentoring.html",
        {"session": session, "form": form, "already": already},
    )


@login_required
@require_GET
def batch_feedback(request, batch_id: int):
    """The batch's feedback: averages for its trainers (from 3 answers), everything for
    admins. Anyone else: 404."""
    batch = get_object_or_404(Batch.objects.select_related("course"), pk=batch_id)
    if not selectors.may_see_summary(request.user, batch):
        raise Http404(_("No feedback of this batch is open to you"))
    return render(
        request,
        "feedback/batch_feedback.html",
        {
            "batch": batch,
            "summaries": selectors.batch_summary(batch, viewer=request.user),
            "full_view": is_admin(request.user),
            "min_answers": selectors.min_answers(),
        },
    )
