"""The JSON API of planning jobs (Admin): trainer assignment and workload balancing as jobs.

``POST /api/assignment/proposals`` (or ``/api/balancing/proposals``) stores a job and answers
202 with its id; the task worker runs the solver. ``GET .../:id`` gives the job's status and,
once ready, the proposal. ``POST .../:id/apply`` applies it in one transaction, every row
re-checked by the same services as the console's assignment pages.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.views import APIView

from accounts.permissions import IsAdmin
from allocation import assignment
from allocation.models import Course
from core.api import responses
from core.api.fields import IdOf, TimestampField
from core.api.schema import envelope

from . import services
from .models import JobKind, JobStatus, PlanningJob


class ProposalRequestSerializer(serializers.Serializer):
    """A course (left out: every course) and how long the solver may search."""

    course = IdOf("course", queryset=Course.objects.all(), required=False, allow_null=True)
    time_limit = serializers.FloatField(
        min_value=0.1, max_value=assignment.MAX_TIME_LIMIT, default=assignment.DEFAULT_TIME_LIMIT
    )


class BalanceRequestSerializer(ProposalRequestSerializer):
    tolerance_minutes = serializers.IntegerField(
        min_value=0, max_value=168 * 60, default=120, help_text=gettext_lazy("Minutes a week")
    )


class _Person(serializers.Serializer):
    _id = serializers.IntegerField()
    full_name = serializers.CharField()
    email = serializers.CharField()


class _Row(serializers.Serializer):
    batch = serializers.IntegerField()
    batch_code = serializers.CharField()
    course = serializers.CharField()
    role = serializers.CharField()
    trainer = _Person()
    previous = _Person(allow_null=True)
    minutes = serializers.IntegerField()
    token = serializers.CharField()


class _Load(serializers.Serializer):
    trainer = _Person()
    target_minutes = serializers.IntegerField()
    before_minutes = serializers.IntegerField()
    after_minutes = serializers.IntegerField()
    batches_before = serializers.IntegerField()
    batches_after = serializers.IntegerField()
    cap = serializers.IntegerField()


class _Refusal(serializers.Serializer):
    trainer = _Person()
    reason = serializers.CharField()


class _Unassignable(serializers.Serializer):
    batch = serializers.IntegerField()
    batch_code = serializers.CharField()
    role = serializers.CharField()
    minutes = serializers.IntegerField()
    reason = serializers.CharField()
    refusals = _Refusal(many=True)


class ProposalSerializer(serializers.Serializer):
    rows = _Row(many=True)
    loads = _Load(many=True)
    unassignable = _Unassignable(many=True)
    positions = serializers.IntegerField()
    solver_status = serializers.CharField(
        help_text=gettext_lazy("optimal, feasible, infeasible or greedy")
    )
    optimal = serializers.BooleanField(
        help_text=gettext_lazy("Proven optimal (else the best found in time)")
    )
    bound = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text=gettext_lazy(
            "CP-SAT's objective bound of the max-deviation phase, in minutes: no "
            "proposal staffing as many positions deviates less (equal to max_deviation_minutes "
            "when optimal); null when that phase did not run"
        ),
    )
    max_deviation_before_minutes = serializers.IntegerField()
    max_deviation_minutes = serializers.IntegerField(
        help_text=gettext_lazy(
            "The bound the proposal reaches: the largest |load - target| after it"
        )
    )
    tolerance_minutes = serializers.IntegerField(allow_null=True)
    wall_seconds = serializers.FloatField()
    time_limit = serializers.FloatField()
    note = serializers.CharField(allow_blank=True)


class JobSerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="pk")
    kind = serializers.ChoiceField(choices=JobKind.choices)
    course = serializers.IntegerField(source="course_id", allow_null=True)
    status = serializers.ChoiceField(choices=JobStatus.choices)
    proposal = ProposalSerializer(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    applied_count = serializers.IntegerField(allow_null=True)
    createdAt = TimestampField(source="created_at")
    finishedAt = TimestampField(source="finished_at", allow_null=True)
    appliedAt = TimestampField(source="applied_at", allow_null=True)


def _answer(job_id: int, message: str, *, code: int = status.HTTP_200_OK):
    return responses.ok(
        JobSerializer(PlanningJob.objects.get(pk=job_id)).data, message, status=code
    )


def _views(kind: str, request_serializer, tag: str):
    """The three views of one kind of job."""

    class CreateView(APIView):
        permission_classes = [IsAdmin]

        @extend_schema(
            tags=[tag],
            operation_id=f"{kind}_proposals_create",
            request=request_serializer,
            responses={202: envelope(JobSerializer, "PlanningJob")},
        )
        def post(self, request):
            body = request_serializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data
            job = services.job_create(
                kind=kind,
                course=data.get("course"),
                created_by=request.user,
                time_limit=data["time_limit"],
                tolerance_minutes=data.get("tolerance_minutes"),
            )
            return _answer(job.pk, gettext("Proposal job queued"), code=status.HTTP_202_ACCEPTED)

    class DetailView(APIView):
        permission_classes = [IsAdmin]

        @extend_schema(
            tags=[tag],
            operation_id=f"{kind}_proposals_retrieve",
            responses={200: envelope(JobSerializer, "PlanningJob")},
        )
        def get(self, request, job_id: int):
            get_object_or_404(PlanningJob, pk=job_id, kind=kind)
            return _answer(job_id, gettext("Proposal job fetched successfully"))

    class ApplyView(APIView):
        permission_classes = [IsAdmin]

        @extend_schema(
            tags=[tag],
            operation_id=f"{kind}_proposals_apply",
            request=None,
            responses={200: envelope(JobSerializer, "PlanningJob")},
        )
        def post(self, request, job_id: int):
            job = get_object_or_404(PlanningJob, pk=job_id, kind=kind)
            services.job_apply(job=job, applied_by=request.user)
            return _answer(job_id, gettext("Proposal applied successfully"))

    return CreateView, DetailView, ApplyView


AssignCreate, AssignDetail, AssignApply = _views(
    JobKind.ASSIGN, ProposalRequestSerializer, "assignment"
)
BalanceCreate, BalanceDetail, BalanceApply = _views(
    JobKind.BALANCE, BalanceRequestSerializer, "balancing"
)


def urlpatterns() -> list:
    """The routes; called by medh/api_urls.py once it has registered the ``id`` converter."""
    return [
        path("assignment/proposals", AssignCreate.as_view(), name="assignment-proposals"),
        path(
            "assignment/proposals/<id:job_id>", AssignDetail.as_view(), name="assignment-proposal"
        ),
        path(
            "assignment/proposals/<id:job_id>/apply",
            AssignApply.as_view(),
            name="assignment-proposal-apply",
        ),
        path("balancing/proposals", BalanceCreate.as_view(), name="balancing-proposals"),
        path("balancing/proposals/<id:job_id>", BalanceDetail.as_view(), name="balancing-proposal"),
        path(
            "balancing/proposals/<id:job_id>/apply",
            BalanceApply.as_view(),
            name="balancing-proposal-apply",
        ),
    ]
