"""The API's view of enrollments, with the original Medh field names.

Input serializers parse and check shapes only; whether a student may be enrolled, moved or
cancelled is ``enrollments.services``' decision.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers

from allocation.models import Batch, Course, Weekday
from core.api.fields import MAX_ID, MAX_YEAR, MIN_YEAR, IdOf, Text, TimestampField
from core.ids import parse_id

from .models import EnrollmentSource, EnrollmentStatus, EnrollmentType, PaymentStatus
from .seats import Payment
from .services.placement import PART_OF_DAY_CHOICES


class PaymentDetailsSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True, coerce_to_string=False
    )
    currency = Text(max_length=3, required=False, allow_blank=True, default="")
    payment_method = Text(max_length=30, required=False, allow_blank=True, default="")
    payment_status = serializers.ChoiceField(
        choices=PaymentStatus.choices, required=False, allow_blank=True, default=""
    )
    transaction_id = Text(max_length=100, required=False, allow_blank=True, default="")


class EnrollmentSerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="pk", read_only=True)
    student = serializers.IntegerField(source="student_id", read_only=True)
    course = serializers.IntegerField(source="course_id", read_only=True)
    batch = serializers.IntegerField(source="batch_id", read_only=True, allow_null=True)
    enrollment_type = serializers.ChoiceField(choices=EnrollmentType.choices, read_only=True)
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices, read_only=True)
    enrollment_date = TimestampField()
    access_expiry_date = TimestampField(allow_null=True)
    enrollment_source = serializers.ChoiceField(choices=EnrollmentSource.choices, read_only=True)
    paymentDetails = serializers.SerializerMethodField()
    createdAt = TimestampField(source="created_at")
    updatedAt = TimestampField(source="updated_at")

    def get_paymentDetails(self, enrollment) -> PaymentDetailsSerializer:
        return {
            "amount": enrollment.payment_amount,
            "currency": enrollment.payment_currency,
            "payment_method": enrollment.payment_method,
            "payment_status": enrollment.payment_status,
            "transaction_id": enrollment.transaction_id,
        }


class WeekdayName(serializers.ChoiceField):
    """A day of the week by its English name, in any case ("monday", "Monday"); read as
    its number (Monday 0 … Sunday 6)."""

    def __init__(self, **kwargs):
        super().__init__(choices=[(day.label.lower(), day.label) for day in Weekday], **kwargs)

    def to_internal_value(self, data):
        name = super().to_internal_value(data.lower() if isinstance(data, str) else data)
        return next(day.value for day in Weekday if day.label.lower() == name)


class EnrollInputSerializer(serializers.Serializer):
    """The body of ``POST /api/enrollments/students/:studentId/enroll``.

    ``courseId`` may be left out when ``batchId`` is given: the batch's course is meant.
    With ``enrollment_type`` "batch" and no ``batchId`` the student is placed automatically
    in an open batch of the course, preferring ``preferred_days``/``preferred_times``.

    ``courseId`` and ``batchId`` are ids, not read here: ``enrollment_create`` reads the batch
    with its course in the query that locks it, so reading them here first would read them
    twice. An unknown id is still answered "No batch with id N." on its field, beside any
    other invalid field, as when they were read here (``read_references``).
    """

    REFERENCES = ("courseId", "batchId")

    courseId = IdOf("course", queryset=Course.objects.all(), required=False, read=False)
    batchId = IdOf(
        "batch", queryset=Batch.objects.all(), required=False, allow_null=True, read=False
    )
    enrollment_type = serializers.ChoiceField(choices=EnrollmentType.choices, required=False)
    enrollment_source = serializers.ChoiceField(
        choices=EnrollmentSource.choices, default=EnrollmentSource.API
    )
    paymentDetails = PaymentDetailsSerializer(required=False)
    # Not in the original API: automatic placement
    # (enrollments.services.placement.enrollment_place).
    preferred_days = serializers.ListField(
        child=WeekdayName(),
        required=False,
        max_length=7,
        help_text=gettext_lazy(
            "Automatic placement only (enrollment_type batch, no batchId): the days the "
            'student prefers, e.g. ["monday", "wednesday"]. The open batch whose sessions '
            "fit the preference best is chosen; ties and no preference go to the batch with the "
            "most free seats."
        ),
    )
    preferred_times = serializers.ListField(
        child=serializers.ChoiceField(choices=PART_OF_DAY_CHOICES),
        required=False,
        max_length=3,
        help_text=gettext_lazy(
            "Automatic placement only: parts of the day the student prefers, by a "
            "session's start: morning (before 12:00), afternoon (12:00-17:00), evening (from "
            "17:00)."
        ),
    )

    allow_clash = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Admin only: enroll even when the batch's sessions overlap the student's "
        "other classes (recorded in the audit trail). Without it a clash is refused.",
    )

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # The body is refused anyway: its unknown ids are named among the other errors.
            errors = exc.detail
            for name in self.REFERENCES:
                pk = parse_id(data.get(name)) if isinstance(data, Mapping) else None
                if name not in errors and pk is not None:
                    try:
                        self.fields[name].read(pk)
                    except serializers.ValidationError as unknown:
                        errors[name] = unknown.detail
            in_field_order = {name: errors[name] for name in self.fields if name in errors}
            raise serializers.ValidationError({**in_field_order, **errors}) from exc

    def validate(self, attrs):
        if attrs.get("courseId") is None and attrs.get("batchId") is None:
            raise serializers.ValidationError({"courseId": [gettext("This field is required.")]})
        return attrs

    def read_references(self) -> dict:
        """Read the course and batch the body names: ``{"courseId": Course, "batchId":
        Batch}`` for those given. Refuses each unknown id on its field ("No course with id
        N."), in field order."""
        rows, errors = {}, {}
        for name in self.REFERENCES:
            if self.validated_data.get(name) is not None:
                try:
                    rows[name] = self.fields[name].read(self.validated_data[name])
                except serializers.ValidationError as exc:
                    errors[name] = exc.detail
        if errors:
            raise serializers.ValidationError(errors)
        return rows

    def places_automatically(self) -> bool:
        """A batch enrollment without a batch: ``enrollment_place`` chooses the batch."""
        data = self.validated_data
        return data.get("batchId") is None and data.get("enrollment_type") == EnrollmentType.BATCH

    def placement_kwargs(self) -> dict:
        """The body as keyword arguments of ``enrollment_place`` (without the student), with
        the course read."""
        kwargs = self.service_kwargs()
        del kwargs["batch"]
        kwargs["course"] = self.read_references()["courseId"]
        kwargs["preferred_days"] = self.validated_data.get("preferred_days")
        kwargs["preferred_times"] = self.validated_data.get("preferred_times")
        return kwargs

    def service_kwargs(self) -> dict:
        """The body as keyword arguments of ``enrollment_create`` (without the student), the
        course and the batch by id."""
        data = self.validated_data
        return {
            "course": data.get("courseId"),
            "batch": data.get("batchId"),
            "enrollment_type": data.get("enrollment_type"),
            "enrollment_source": data["enrollment_source"],
            "payment": Payment(**data["paymentDetails"]) if "paymentDetails" in data else None,
            "allow_clash": data["allow_clash"],
        }


class EnrollmentUpdateSerializer(serializers.Serializer):
    """The body of ``PUT /api/enrollments/:id``: a new ``status``, a ``batchId`` to transfer
    to (another batch of the same course), or both (the transfer happens first)."""

    status = serializers.ChoiceField(choices=EnrollmentStatus.choices, required=False)
    batchId = IdOf("batch", queryset=Batch.objects.all(), required=False)
    paymentDetails = PaymentDetailsSerializer(
        required=False,
        help_text=gettext_lazy("Replaces the payment details (fields left out are cleared)"),
    )
    access_expiry_date = serializers.DateTimeField(required=False)
    enrollment_type = serializers.ChoiceField(choices=EnrollmentType.choices, required=False)
    allow_clash = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With batchId: move even when the batch's sessions overlap the student's "
        "other classes (recorded in the audit trail).",
    )

    def validate_access_expiry_date(self, value):
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise serializers.ValidationError(
                gettext("Date must be between %(MIN_YEAR)s and %(MAX_YEAR)s.")
                % {"MIN_YEAR": MIN_YEAR, "MAX_YEAR": MAX_YEAR}
            )
        return value

    def validate(self, attrs):
        if not {k: v for k, v in attrs.items() if k != "allow_clash"}:
            raise serializers.ValidationError(
                gettext(
                    "Give a status, a batchId, paymentDetails, access_expiry_date or "
                    "enrollment_type."
                )
            )
        return attrs

    def service_kwargs(self) -> dict:
        """The validated body as keyword arguments of ``enrollment_update``."""
        data = self.validated_data
        payment = data.get("paymentDetails")
        return {
            "to_batch": data.get("batchId"),
            "status": data.get("status"),
            "payment": None if payment is None else Payment(**payment),
            "access_expiry_date": data.get("access_expiry_date"),
            "enrollment_type": data.get("enrollment_type"),
            "allow_clash": data["allow_clash"],
        }


class EnrollmentFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices, required=False)
    course = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    batch = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    student = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
