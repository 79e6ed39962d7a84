"""The JSON API of mentor matching: a student's mentor candidates, ranked with reasons.

A thin view over ``selectors.mentor_candidates``, the ranking the mentor page shows. Admins
only: the list tells every instructor's caseload, availability and why one would be refused
(inactive, on leave, at their cap), which is staff information; a student sees their mentor
once assigned, not the field of candidates.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsAdmin
from core.api import responses
from core.api.pagination import PageParams, paginate
from core.api.schema import list_envelope

from . import selectors


class CandidateInstructorSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)
    email = serializers.EmailField(read_only=True)
    time_zone = serializers.CharField(read_only=True)


class MentorCandidateSerializer(serializers.Serializer):
    """One ranked candidate: the figures that rank them and the reasons people read."""

    rank = serializers.IntegerField(read_only=True)
    instructor = CandidateInstructorSerializer(source="candidate.trainer", read_only=True)
    eligible = serializers.BooleanField(source="candidate.eligible", read_only=True)
    refusal = serializers.CharField(
        source="candidate.refusal",
        read_only=True,
        help_text="Why the mentor services would refuse them, word for word; empty if not.",
    )
    skills_matched = serializers.ListField(
        source="candidate.skills_matched", child=serializers.CharField(), read_only=True
    )
    skills_needed = serializers.IntegerField(source="candidate.skills_needed", read_only=True)
    languages_shared = serializers.ListField(
        source="candidate.languages_shared",
        child=serializers.CharField(),
        read_only=True,
        help_text="ISO 639-1 codes the student prefers and the instructor teaches in.",
    )
    overlap_hours = serializers.FloatField(
        source="candidate.overlap_hours",
        read_only=True,
        allow_null=True,
        help_text="Hours per week the instructor's availability overlaps the student's "
        "preferred times over the reference week; null when the student named none.",
    )
    mentees = serializers.IntegerField(source="candidate.mentees", read_only=True)
    mentee_cap = serializers.IntegerField(source="candidate.cap", read_only=True, allow_null=True)
    teaches_in = serializers.ListField(
        source="candidate.teaches_in", child=serializers.CharField(), read_only=True
    )
    reasons = serializers.ListField(
        source="candidate.reasons", child=serializers.CharField(), read_only=True
    )


class MentorCandidatesView(APIView):
    """``GET /api/students/:student_id/mentor-candidates`` (Admin): every active instructor,
    best first, the refused last with the reason."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["individual"],
        parameters=[PageParams],
        responses={200: list_envelope(MentorCandidateSerializer, "MentorCandidate")},
    )
    def get(self, request, student_id: int):
        student = get_object_or_404(User.objects.students(), pk=student_id)
        ranked = [
            {"rank": n, "candidate": c}
            for n, c in enumerate(selectors.mentor_candidates(student), start=1)
        ]
        page = paginate(request, ranked)
        return responses.listing(
            MentorCandidateSerializer(page.items, many=True).data,
            "Mentor candidates fetched successfully",
            page,
        )
