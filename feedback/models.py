"""Feedback: students rate their batch and its trainers, mentees rate their mentoring sessions.

- ``BatchFeedback`` is one student's answer about one batch at one *stage*: at completion
  (always asked) or at midpoint (asked only when the course's ``CourseFeedbackOption`` says
  so). A student answers at most once per batch and stage (a UniqueConstraint), so a batch
  with the midpoint option can have two answers from the same student, one per stage.
- ``TrainerRating`` is that answer's rating of one of the batch's trainers
  (``selectors.batch_trainer_ids`` defines who they are), at most one per trainer.
- ``MentoringRating`` is the mentee's rating of one logged ``MentoringSession``: one per
  session.
- ``FeedbackRequest`` records that a student was asked (the notification went out): one per
  student, batch and stage, so a second run or a batch reopened and completed again asks
  nobody twice; an unanswered request is what links "Rate this batch" on the schedule.

Every rating is 1–5 (CheckConstraint). Who sees what (averages only from 3 answers for the
trainers, everything for admins) is ``selectors``' business.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# A comment is a few sentences; bounded so an answer cannot bloat the admin's page.
COMMENT_MAX_LENGTH = 2_000
MIN_RATING = 1
MAX_RATING = 5


def rating_field() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(MIN_RATING), MaxValueValidator(MAX_RATING)]
    )


def comment_field() -> models.TextField:
    return models.TextField(blank=True, validators=[MaxLengthValidator(COMMENT_MAX_LENGTH)])


def rating_check(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(rating__gte=MIN_RATING) & models.Q(rating__lte=MAX_RATING),
        name=name,
        violation_error_message="A rating is a whole number from 1 to 5",
    )


class FeedbackStage(models.TextChoices):
    MIDPOINT = "midpoint", _("Midpoint")
    COMPLETION = "completion", _("Completion")


class CourseFeedbackOption(models.Model):
    """A course's feedback settings; a course without a row asks only at completion."""

    course = models.OneToOneField(
        "allocation.Course", on_delete=models.CASCADE, related_name="feedback_option"
    )
    ask_at_midpoint = models.BooleanField(
        default=False,
        help_text=_(
            "Also ask the students of its batches to rate them halfway through (the first day "
            "on or after the middle of the batch's dates)."
        ),
    )

    class Meta:
        verbose_name = _("course feedback option")

    def __str__(self) -> str:
        return (
            f"{self.course} · {'midpoint and completion' if self.ask_at_midpoint else 'completion'}"
        )


class FeedbackRequest(models.Model):
    """A student was asked to rate a batch at a stage (the notification was written)."""

    batch = models.ForeignKey(
        "allocation.Batch", on_delete=models.CASCADE, related_name="feedback_requests"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_requests"
    )
    stage = models.CharField(max_length=10, choices=FeedbackStage.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "student", "stage"], name="feedback_request_once_per_stage"
            ),
            models.CheckConstraint(
                condition=models.Q(stage__in=FeedbackStage.values),
                name="feedback_request_stage_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} asked to rate {self.batch.batch_code} ({self.stage})"


class BatchFeedback(models.Model):
    """One student's answer about one batch at one stage: the batch's rating and comment."""

    batch = models.ForeignKey("allocation.Batch", on_delete=models.CASCADE, related_name="feedback")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_given"
    )
    stage = models.CharField(max_length=10, choices=FeedbackStage.choices)
    rating = rating_field()
    comment = comment_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("batch feedback")
        verbose_name_plural = _("batch feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "student", "stage"],
                name="feedback_once_per_student_batch_stage",
                violation_error_message="You have already rated this batch",
            ),
            rating_check("batchfeedback_rating_1_to_5"),
            models.CheckConstraint(
                condition=models.Q(stage__in=FeedbackStage.values),
                name="batchfeedback_stage_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch.batch_code} · {self.stage} · {self.rating}/5"


class TrainerRating(models.Model):
    """An answer's rating of one of the batch's trainers."""

    feedback = models.ForeignKey(
        BatchFeedback, on_delete=models.CASCADE, related_name="trainer_ratings"
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings_received"
    )
    rating = rating_field()
    comment = comment_field()

    class Meta:
        ordering = ["feedback", "trainer"]
        indexes = [models.Index(fields=["trainer"], name="trainerrating_trainer")]
        constraints = [
            models.UniqueConstraint(
                fields=["feedback", "trainer"],
                name="trainer_rated_once_per_answer",
                violation_error_message="This trainer is already rated in this answer",
            ),
            rating_check("trainerrating_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.trainer} · {self.rating}/5"


class MentoringRating(models.Model):
    """The mentee's rating of one mentoring session logged against their assignment."""

    session = models.OneToOneField(
        "allocation.MentoringSession", on_delete=models.CASCADE, related_name="rating"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentoring_ratings"
    )
    # Copied from the session's assignment so averages per mentor need no join through it.
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mentoring_ratings_received",
    )
    rating = rating_field()
    comment = comment_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            rating_check("mentoringrating_rating_1_to_5"),
            models.CheckConstraint(
                condition=~models.Q(student=models.F("mentor")),
                name="mentoringrating_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.rating}/5"
