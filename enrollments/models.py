"""Who learns where: a student's enrollment in a course, in a batch or individually."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from allocation.models import Batch, Course


class EnrollmentType(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    BATCH = "batch", "Batch"
    CORPORATE = "corporate", "Corporate"
    GROUP = "group", "Group"
    SCHOLARSHIP = "scholarship", "Scholarship"
    TRIAL = "trial", "Trial"


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    ON_HOLD = "on_hold", "On hold"
    EXPIRED = "expired", "Expired"


class EnrollmentSource(models.TextChoices):
    WEBSITE = "website", "Website"
    ADMIN = "admin", "Admin"
    API = "api", "API"
    IMPORT = "import", "Import"
    REFERRAL = "referral", "Referral"
    CORPORATE = "corporate", "Corporate"
    OTHER = "other", "Other"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    REFUNDED = "refunded", "Refunded"
    WAIVED = "waived", "Waived"


class Enrollment(models.Model):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    # Empty for individual, self-paced enrollments. The database also checks (migration
    # enrollments.0002) that a batch enrollment's course is its batch's course.
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, null=True, blank=True, related_name="enrollments"
    )
    enrollment_type = models.CharField(
        max_length=12, choices=EnrollmentType.choices, default=EnrollmentType.INDIVIDUAL
    )
    status = models.CharField(
        max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    enrollment_date = models.DateTimeField(default=timezone.now)
    access_expiry_date = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    enrollment_source = models.CharField(
        max_length=10, choices=EnrollmentSource.choices, default=EnrollmentSource.WEBSITE
    )
    payment_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    payment_currency = models.CharField(max_length=3, blank=True)
    payment_method = models.CharField(max_length=30, blank=True)
    payment_status = models.CharField(max_length=10, choices=PaymentStatus.choices, blank=True)
    transaction_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-enrollment_date"]
        indexes = [models.Index(fields=["batch", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "course"],
                condition=models.Q(status="active"),
                name="one_active_enrollment_per_student_course",
                violation_error_message="Student already has an active enrollment in this course",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=EnrollmentStatus.values),
                name="enrollment_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(enrollment_type__in=EnrollmentType.values),
                name="enrollment_type_valid",
            ),
            # "batch" enrollments name their batch; "individual" ones never do.
            models.CheckConstraint(
                condition=~models.Q(enrollment_type="batch", batch__isnull=True),
                name="batch_enrollment_has_batch",
                violation_error_message="A batch enrollment needs a batch",
            ),
            models.CheckConstraint(
                condition=~models.Q(enrollment_type="individual", batch__isnull=False),
                name="individual_enrollment_has_no_batch",
                violation_error_message="An individual enrollment cannot name a batch",
            ),
            models.CheckConstraint(
                condition=models.Q(payment_amount__isnull=True) | models.Q(payment_amount__gte=0),
                name="enrollment_payment_not_negative",
                violation_error_message="The payment amount cannot be negative",
            ),
        ]

    def __str__(self) -> str:
        where = self.batch.batch_code if self.batch_id else "individual"
        return f"{self.student} in {self.course.code} ({where}, {self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == EnrollmentStatus.ACTIVE
