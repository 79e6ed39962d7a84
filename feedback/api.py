"""The JSON API of feedback: ``POST`` and ``GET /api/batches/:batchId/feedback``.

Thin like ``allocation.api_calendar``: check who calls, parse, call the service the page calls
(``services.feedback_submit``) or the selector it reads (``selectors.batch_summary``), answer
in the envelope; a service's refusal is a 400 with its message.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_noop
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from accounts.access import is_admin
from accounts.permissions import IsSignedIn, require
from allocation.models import Batch
from core.api import responses
from core.api.schema import envelope

from . import selectors, services
from .models import COMMENT_MAX_LENGTH

MSG_NOT_STUDENT = gettext_noop("Only a student of this batch can rate it")
MSG_NOT_ALLOWED = gettext_noop("Only admins and the batch's trainers can see its feedback")


class TrainerRatingInputSerializer(serializers.Serializer):
    trainer = serializers.IntegerField(help_text="The trainer's user id")
    rating = serializers.IntegerField(help_text="1 (poor) to 5 (excellent)")
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=COMMENT_MAX_LENGTH
    )


class FeedbackInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(help_text="The batch: 1 (poor) to 5 (excellent)")
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=COMMENT_MAX_LENGTH
    )
    trainers = TrainerRatingInputSerializer(
        many=True,
        required=False,
        default=list,
        help_text="One rating per trainer of the batch (all of them; see docs/api.md)",
    )


class FeedbackCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    batch = serializers.IntegerField(source="batch_id")
    stage = serializers.CharField()
    rating = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class FigureSerializer(serializers.Serializer):
    answers = serializers.IntegerField(allow_null=True, help_text="null below the minimum")
    average = serializers.FloatField(allow_null=True, help_text="null below the minimum")


class TrainerFigureSerializer(FigureSerializer):
    trainer = serializers.IntegerField(source="trainer.pk")
    name = serializers.CharField(source="trainer.display_name")


class TrainerAnswerSerializer(serializers.Serializer):
    trainer = serializers.IntegerField(source="trainer_id")
    rating = serializers.IntegerField()
    comment = serializers.CharField()


class AnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    student = serializers.IntegerField(source="student_id")
    student_name = serializers.CharField(source="student.display_name")
    rating = serializers.IntegerField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    trainers = TrainerAnswerSerializer(source="trainer_ratings.all", many=True)


class StageSummarySerializer(serializers.Serializer):
    stage = serializers.CharField()
    batch = FigureSerializer()
    trainers = TrainerFigureSerializer(many=True)
    answers = AnswerSerializer(
        source="responses",
        many=True,
        required=False,
        help_text="Admins only: every answer with its author and comments",
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.responses is None:
            data.pop("answers", None)
        return data


class FeedbackSummarySerializer(serializers.Serializer):
    batch = serializers.IntegerField()
    min_answers = serializers.IntegerField()
    stages = StageSummarySerializer(many=True)


class BatchFeedbackView(APIView):
    """``POST /api/batches/:batchId/feedback``: a student of the batch answers, once per stage;
    ``GET``: the averages (Admin and the batch's trainers, from 3 answers; Admin also gets
    the answers)."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["feedback"],
        operation_id="batch_feedback_summary",
        responses={200: envelope(FeedbackSummarySerializer, "FeedbackSummary")},
    )
    def get(self, request, batch_id: int):
        batch = get_object_or_404(Batch, pk=batch_id)
        require(selectors.may_see_summary(request.user, batch), gettext(MSG_NOT_ALLOWED))
        data = {
            "batch": batch.pk,
            "min_answers": selectors.min_answers(),
            "stages": selectors.batch_summary(batch, viewer=request.user),
        }
        return responses.ok(
            FeedbackSummarySerializer(data).data, gettext("Feedback fetched successfully")
        )

    @extend_schema(
        tags=["feedback"],
        operation_id="batch_feedback_create",
        request=FeedbackInputSerializer,
        responses={201: envelope(FeedbackCreatedSerializer, "FeedbackCreated")},
    )
    def post(self, request, batch_id: int):
        batch = get_object_or_404(Batch, pk=batch_id)
        require(
            not is_admin(request.user) and selectors.is_student_of(request.user, batch),
            gettext(MSG_NOT_STUDENT),
        )
        body = FeedbackInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        answer = services.feedback_submit(
            batch=batch,
            student=request.user,
            rating=data["rating"],
            comment=data["comment"],
            trainer_ratings=services.trainer_rating_input(
                (t["trainer"], t["rating"], t["comment"]) for t in data["trainers"]
            ),
        )
        return responses.created(
            FeedbackCreatedSerializer(answer).data, gettext("Feedback submitted successfully")
        )
