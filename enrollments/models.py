"""Who learns where: a student's enrollment in a course, in a batch or individually."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from allocation.models import Batch, Course
from core.history import HistoricalRecords


class EnrollmentType(models.TextChoices):
    INDIVIDUAL = "individual", gettext_lazy("Individual")
    BATCH = "batch", gettext_lazy("Batch")
    CORPORATE = "corporate", gettext_lazy("Corporate")
    GROUP = "group", gettext_lazy("Group")
    SCHOLARSHIP = "scholarship", gettext_lazy("Scholarship")
    TRIAL = "trial", gettext_lazy("Trial")


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", gettext_lazy("Active")
    COMPLETED = "completed", gettext_lazy("Completed")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")
    ON_HOLD = "on_hold", gettext_lazy("On hold")
    EXPIRED = "expired", gettext_lazy("Expired")


class EnrollmentSource(models.TextChoices):
    WEBSITE = "website", gettext_lazy("Website")
    ADMIN = "admin", gettext_lazy("Admin")
    API = "api", gettext_lazy("API")
    IMPORT = "import", gettext_lazy("Import")
    REFERRAL = "referral", gettext_lazy("Referral")
    CORPORATE = "corporate", gettext_lazy("Corporate")
    OTHER = "other", gettext_lazy("Other")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("Pending")
    COMPLETED = "completed", gettext_lazy("Completed")
    FAILED = "failed", gettext_lazy("Failed")
    REFUNDED = "refunded", gettext_lazy("Refunded")
    WAIVED = "waived", gettext_lazy("Waived")


class PaymentMethod(models.TextChoices):
    """The payment methods the original clients send, with their names for people. The field
    stays free text (clients send others as well): these only name the known ones."""

    CREDIT_CARD = "credit_card", gettext_lazy("Credit card")
    DEBIT_CARD = "debit_card", gettext_lazy("Debit card")
    BANK_TRANSFER = "bank_transfer", gettext_lazy("Bank transfer")
    NET_BANKING = "net_banking", gettext_lazy("Net banking")
    UPI = "upi", gettext_lazy("UPI")
    WALLET = "wallet", gettext_lazy("Wallet")
    PAYPAL = "paypal", gettext_lazy("PayPal")
    CASH = "cash", gettext_lazy("Cash")


def payment_method_label(value: str) -> str:
    """``payment_method`` as people write it: "Credit card" for "credit_card"; a method of no
    known name is shown as it was entered."""
    return PaymentMethod(value).label if value in PaymentMethod.values else value


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

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-enrollment_date"]
        indexes = [
            models.Index(fields=["batch", "status"]),
            # The console's list, newest first: a page is read off the index, not sorted.
            models.Index(fields=["-enrollment_date", "-id"], name="enrollment_newest_first"),
            # Enrollments by outcome: the reports' totals count the ended ones of every course,
            # and each course's, from this index alone instead of every enrollment row.
            models.Index(fields=["status", "course"], name="enrollment_status_course"),
            # The active enrollments, small next to all of them: by student for the student
            # distribution, by batch for the seat-counter check and the lifecycle's counts,
            # each read alone.
            models.Index(
                fields=["student", "batch"],
                condition=models.Q(status="active"),
                name="enrollment_active_student",
            ),
            models.Index(
                fields=["batch"],
                condition=models.Q(status="active"),
                name="enrollment_active_batch",
            ),
            # The lifecycle's expiring access: a few rows, found without reading every row.
            models.Index(
                fields=["access_expiry_date"],
                condition=models.Q(
                    status__in=["active", "on_hold"], access_expiry_date__isnull=False
                ),
                name="enrollment_expiring",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "course"],
                condition=models.Q(status="active"),
                name="one_active_enrollment_per_student_course",
                violation_error_message=gettext_lazy(
                    "Student already has an active enrollment in this course"
                ),
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
                violation_error_message=gettext_lazy("A batch enrollment needs a batch"),
            ),
            models.CheckConstraint(
                condition=~models.Q(enrollment_type="individual", batch__isnull=False),
                name="individual_enrollment_has_no_batch",
                violation_error_message=gettext_lazy(
                    "An individual enrollment cannot name a batch"
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(payment_amount__isnull=True) | models.Q(payment_amount__gte=0),
                name="enrollment_payment_not_negative",
                violation_error_message=gettext_lazy("The payment amount cannot be negative"),
            ),
        ]

    def __str__(self) -> str:
        where = self.batch.batch_code if self.batch_id else "individual"
        return f"{self.student} in {self.course.code} ({where}, {self.status})"

    @property
    def payment_method_label(self) -> str:
        return payment_method_label(self.payment_method)

    @property
    def is_active(self) -> bool:
        return self.status == EnrollmentStatus.ACTIVE


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", gettext_lazy("Waiting")
    PROMOTED = "promoted", gettext_lazy("Enrolled")
    REMOVED = "removed", gettext_lazy("Removed")


class WaitlistEntry(models.Model):
    """A student waiting for a seat in a full batch. The waiting entries of a batch are served
    in ``position`` order (then by when they joined): when a seat frees, the first one is
    enrolled in the same transaction. Entries are kept as history once served or removed."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="waitlist")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    position = models.PositiveIntegerField()
    status = models.CharField(
        max_length=8, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    enrollment_type = models.CharField(
        max_length=12, choices=EnrollmentType.choices, default=EnrollmentType.BATCH
    )
    enrollment_source = models.CharField(
        max_length=10, choices=EnrollmentSource.choices, default=EnrollmentSource.WEBSITE
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["batch", "position", "created_at", "pk"]
        verbose_name_plural = gettext_lazy("waitlist entries")
        indexes = [models.Index(fields=["batch", "status", "position"])]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "student"],
                condition=models.Q(status="waiting"),
                name="one_waiting_entry_per_student_batch",
                violation_error_message=gettext_lazy(
                    "The student is already on this batch's waitlist"
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=WaitlistStatus.values),
                name="waitlist_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} waiting for {self.batch.batch_code} (#{self.position})"


class ImportStatus(models.TextChoices):
    VALIDATED = "validated", gettext_lazy("Checked, not imported")
    RUNNING = "running", gettext_lazy("Importing")
    DONE = "done", gettext_lazy("Imported")
    FAILED = "failed", gettext_lazy("Failed, nothing imported")


class ImportMode(models.TextChoices):
    VALID_ROWS = "valid_rows", gettext_lazy("Import the valid rows, skip the others")
    ALL_OR_NOTHING = (
        "all_or_nothing",
        gettext_lazy("All or nothing: import only if every row is valid"),
    )


class EnrollmentImport(models.Model):
    """A CSV of students to enroll, uploaded by an admin: checked first (``report``: one entry
    per row saying what would happen or why it fails), imported on request by a background
    task that counts its progress in ``processed``."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=200)
    # The parsed rows, as uploaded: [{"line": 2, "email": ..., "full_name": ..., ...}, ...].
    rows = models.JSONField(default=list)
    # Per row: {"line": 2, "ok": true, "action": "...", "error": ""}; after the import also the
    # outcome of each row.
    report = models.JSONField(default=list)
    # New students get an invitation email (accounts.services.user_invite) when imported.
    send_invitations = models.BooleanField(
        default=True, help_text=_("Email each new student an invitation to set their password.")
    )
    mode = models.CharField(
        max_length=14, choices=ImportMode.choices, default=ImportMode.VALID_ROWS
    )
    status = models.CharField(
        max_length=9, choices=ImportStatus.choices, default=ImportStatus.VALIDATED
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_students = models.PositiveIntegerField(default=0)
    enrolled = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(processed__lte=models.F("total")),
                name="import_processed_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.filename} ({self.get_status_display()})"


class RequestKind(models.TextChoices):
    ENROLL = "enroll", _("A place")
    TRANSFER = "transfer", _("A transfer")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class EnrollmentRequest(models.Model):
    """A student asking for something an admin decides: a place in a batch of a course whose
    policy is "on request" (``kind`` enroll), or a transfer of their ``enrollment`` to another
    batch of its course (``kind`` transfer). Approval runs the enroll or transfer service, so
    capacity and clash rules hold at that moment; a decline needs a reason. At most one
    pending request per student and course."""

    kind = models.CharField(max_length=8, choices=RequestKind.choices, default=RequestKind.ENROLL)
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollment_requests"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="+")
    # The enrollment to move (a transfer); the one made (an approved request for a place).
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=9, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    note = models.CharField(max_length=500, blank=True, help_text=_("The student's words."))
    reason = models.CharField(max_length=500, blank=True, help_text=_("Why it was declined."))
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="request_status_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "course"],
                condition=models.Q(status="pending"),
                name="one_pending_request_per_student_course",
                violation_error_message="You already have a pending request for this course",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RequestStatus.values),
                name="request_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=RequestKind.values), name="request_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="declined", reason=""),
                name="request_declined_has_reason",
                violation_error_message="A declined request needs a reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="transfer", enrollment__isnull=True),
                name="request_transfer_names_enrollment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} asks for {self.get_kind_display().lower()} in {self.batch}"
