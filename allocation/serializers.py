"""The API's view of courses, batches, staffing and individual assignments.

Output serializers name fields as the original Medh API did. Input serializers only parse and
check shapes (types, lengths, formats, that referenced ids exist); every rule — roles,
capacity, conflicts, caps, duplicates — is the services' to decide, and reaches the client as
their own message.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers

from accounts.models import User
from accounts.serializers import UserBriefSerializer
from core.api.fields import (
    MAX_ID,
    ApiDateField,
    IdOf,
    Text,
    TimeOfDayField,
    TimestampField,
    date_out,
)
from core.timezones import is_time_zone

from .models import (
    TEXT_MAX_LENGTH,
    AssignmentType,
    BatchStatus,
    Course,
    RosterRole,
    RosterStatus,
    StaffRole,
    Weekday,
)
from .services import Slot

WEEKDAY_BY_NAME = {day.label: day.value for day in Weekday}
# Bounds on free text: the models' (generous, but a request cannot store megabytes in a note).
MAX_NOTES = TEXT_MAX_LENGTH


class ScheduleSlotSerializer(serializers.Serializer):
    """``{"day": "Monday", "start_time": "08:00", "end_time": "10:00"}``."""

    day = serializers.ChoiceField(choices=list(WEEKDAY_BY_NAME))
    start_time = TimeOfDayField()
    end_time = TimeOfDayField()

    def to_representation(self, slot):
        return {
            "day": Weekday(slot.day).label,
            "start_time": f"{slot.start_time:%H:%M}",
            "end_time": f"{slot.end_time:%H:%M}",
        }


def slots_from(data: list[dict]) -> list[Slot]:
    return [
        Slot(day=WEEKDAY_BY_NAME[s["day"]], start_time=s["start_time"], end_time=s["end_time"])
        for s in data
    ]


# --- courses ---------------------------------------------------------------------------------


class CourseSerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="pk", read_only=True)
    code = serializers.CharField(read_only=True)
    course_title = serializers.CharField(source="title", read_only=True)
    description = serializers.CharField(read_only=True)
    createdAt = TimestampField(source="created_at")
    updatedAt = TimestampField(source="updated_at")


class CourseCreateSerializer(serializers.Serializer):
    code = Text(max_length=20)
    course_title = Text(max_length=200)
    description = Text(max_length=MAX_NOTES, required=False, default="")


# --- batches ---------------------------------------------------------------------------------


class BatchSerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="pk", read_only=True)
    batch_name = serializers.CharField(read_only=True)
    batch_code = serializers.CharField(read_only=True)
    course = serializers.IntegerField(source="course_id", read_only=True)
    status = serializers.ChoiceField(choices=BatchStatus.choices, read_only=True)
    start_date = ApiDateField(read_only=True)
    end_date = ApiDateField(read_only=True)
    capacity = serializers.IntegerField(read_only=True)
    enrolled_students = serializers.IntegerField(read_only=True)
    available_spots = serializers.IntegerField(read_only=True)
    assigned_instructor = UserBriefSerializer(read_only=True)
    supervising_lead = UserBriefSerializer(read_only=True, allow_null=True)
    schedule = ScheduleSlotSerializer(many=True, read_only=True, source="schedule.all")
    batch_notes = serializers.CharField(read_only=True)
    time_zone = serializers.CharField(
        read_only=True, help_text=gettext_lazy("IANA name the slots are read in")
    )
    default_room = serializers.CharField(read_only=True)
    default_meeting_url = serializers.CharField(read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True)
    createdAt = TimestampField(source="created_at")
    updatedAt = TimestampField(source="updated_at")


class BatchInstructorSerializer(serializers.Serializer):
    """The answer of assign-instructor, as the original gave it (the instructor by id)."""

    _id = serializers.IntegerField(source="pk", read_only=True)
    batch_name = serializers.CharField(read_only=True)
    batch_code = serializers.CharField(read_only=True)
    assigned_instructor = serializers.IntegerField(source="assigned_instructor_id", read_only=True)
    updatedAt = TimestampField(source="updated_at")


class BatchWriteSerializer(serializers.Serializer):
    """The body of batch create (PUT uses it with ``partial=True``: any subset of fields)."""

    batch_name = Text(max_length=200)
    batch_code = Text(
        max_length=50,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Generated when left out"),
    )
    status = serializers.ChoiceField(choices=BatchStatus.choices, required=False)
    start_date = ApiDateField()
    end_date = ApiDateField()
    # The service decides what a valid capacity is; this only bounds the number's size.
    capacity = serializers.IntegerField(min_value=-1_000_000, max_value=1_000_000)
    assigned_instructor = IdOf("user", queryset=User.objects.all())
    supervising_lead = IdOf(
        "user",
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "An active lead of the course's roster who supervises the batch; null clears"
        ),
    )
    batch_notes = Text(max_length=MAX_NOTES, required=False, allow_blank=True)
    schedule = ScheduleSlotSerializer(many=True, required=False, max_length=50)
    time_zone = Text(
        max_length=64,
        required=False,
        help_text=gettext_lazy(
            "IANA time zone the slots are read in, e.g. Europe/Berlin; default the platform's"
        ),
    )
    default_room = Text(max_length=100, required=False, allow_blank=True)
    default_meeting_url = Text(max_length=500, required=False, allow_blank=True)

    def validate_time_zone(self, value: str) -> str:
        if not is_time_zone(value):
            raise serializers.ValidationError(
                gettext(
                    "%(value)s is not a known time zone (use an IANA name such as Europe/Berlin)"
                )
                % {"value": value}
            )
        return value

    def service_kwargs(self) -> dict:
        """The validated body as keyword arguments of ``batch_create``/``batch_update``."""
        data = dict(self.validated_data)
        if "schedule" in data:
            data["schedule"] = slots_from(data["schedule"])
        return data


class BatchUpdateSerializer(BatchWriteSerializer):
    course = IdOf(
        "course",
        queryset=Course.objects.all(),
        required=False,
        help_text=gettext_lazy("Fixed once the batch exists; accepted only when unchanged"),
    )


class BatchFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=BatchStatus.choices, required=False)
    instructor = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text=gettext_lazy("The primary trainer's id"),
    )


class AllBatchesFilterSerializer(BatchFilterSerializer):
    course = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class BatchStudentSerializer(serializers.Serializer):
    """One active enrollment of a batch, from the student's side."""

    _id = serializers.IntegerField(source="student.pk", read_only=True)
    full_name = serializers.CharField(source="student.full_name", read_only=True)
    email = serializers.EmailField(source="student.email", read_only=True)
    enrollment_id = serializers.IntegerField(source="pk", read_only=True)
    enrollment_type = serializers.CharField(read_only=True)
    enrollment_date = TimestampField()
    status = serializers.CharField(read_only=True)


# --- individual assignments ------------------------------------------------------------------


class AssignmentSerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="pk", read_only=True)
    student_id = serializers.IntegerField(read_only=True)
    student_name = serializers.CharField(source="student.full_name", read_only=True)
    instructor_id = serializers.IntegerField(read_only=True)
    instructor_name = serializers.CharField(source="instructor.full_name", read_only=True)
    assignment_type = serializers.ChoiceField(choices=AssignmentType.choices, read_only=True)
    # The moment the assignment was made (the original answered a timestamp, not a date).
    assignment_date = TimestampField(source="assigned_at")
    notes = serializers.CharField(read_only=True)


class AssignInputSerializer(serializers.Serializer):
    instructor_id = IdOf("user", queryset=User.objects.all())
    student_id = IdOf("user", queryset=User.objects.all())
    assignment_type = serializers.ChoiceField(
        choices=AssignmentType.choices, default=AssignmentType.MENTOR
    )
    notes = Text(max_length=MAX_NOTES, required=False, allow_blank=True, default="")


class UnassignInputSerializer(serializers.Serializer):
    reason = Text(max_length=300, required=False, allow_blank=True, default="")


class PersonSerializer(serializers.Serializer):
    """``{"id", "name", "email"}``: how the original names an instructor in these answers."""

    id = serializers.IntegerField(source="pk", read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)
    email = serializers.EmailField(read_only=True)


class AssignedStudentSerializer(serializers.Serializer):
    """A student with their individual assignment, from an ``IndividualAssignment`` row."""

    _id = serializers.IntegerField(source="student.pk", read_only=True)
    full_name = serializers.CharField(source="student.full_name", read_only=True)
    email = serializers.EmailField(source="student.email", read_only=True)
    role = serializers.ListField(
        source="student.roles", child=serializers.CharField(), read_only=True
    )
    instructor_assignment_date = ApiDateField(source="start_date", read_only=True)
    instructor_assignment_type = serializers.CharField(source="assignment_type", read_only=True)
    instructor_assignment_notes = serializers.CharField(source="notes", read_only=True)


class InstructorStudentsSerializer(serializers.Serializer):
    instructor = PersonSerializer()
    assigned_students = AssignedStudentSerializer(many=True)
    total_students = serializers.IntegerField()


class UnassignResultSerializer(serializers.Serializer):
    student_id = serializers.IntegerField()
    student_name = serializers.CharField()
    previous_instructor = PersonSerializer()


class StudentWithInstructorSerializer(serializers.Serializer):
    """A row of ``selectors.students_with_instructors`` (annotated users)."""

    _id = serializers.IntegerField(source="pk", read_only=True)
    full_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    role = serializers.ListField(source="roles", child=serializers.CharField(), read_only=True)
    assigned_instructor = serializers.SerializerMethodField()
    instructor_assignment_date = serializers.SerializerMethodField()
    instructor_assignment_type = serializers.CharField(
        source="assignment_type", read_only=True, allow_null=True
    )
    instructor_assignment_notes = serializers.CharField(
        source="assignment_notes", read_only=True, allow_null=True
    )

    def get_assigned_instructor(self, user) -> dict | None:
        if user.instructor_id is None:
            return None
        return {
            "_id": user.instructor_id,
            "full_name": user.instructor_name,
            "email": user.instructor_email,
        }

    def get_instructor_assignment_date(self, user) -> str | None:
        return date_out(user.assignment_start)


class AssignmentFilterSerializer(serializers.Serializer):
    instructor = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)


# --- workload --------------------------------------------------------------------------------


class WorkloadSerializer(serializers.Serializer):
    """``selectors.Workload`` with the original's names."""

    instructor = UserBriefSerializer(source="trainer")
    batchCount = serializers.IntegerField(source="active_batches")
    maxActiveBatches = serializers.IntegerField(source="max_active_batches")
    individualCount = serializers.IntegerField(source="individual_students")
    totalStudents = serializers.IntegerField(source="batch_students")
    weeklyHours = serializers.FloatField(source="weekly_hours")
    fillRate = serializers.FloatField(source="fill_rate", allow_null=True)
    status = serializers.CharField()


# --- multi-trainer ---------------------------------------------------------------------------


class RosterBatchSerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="batch_id")
    batch_code = serializers.CharField(source="batch.batch_code")
    role = serializers.ChoiceField(choices=StaffRole.choices)


class RosterEntrySerializer(serializers.Serializer):
    """A course roster entry as the multi-trainer design names it."""

    _id = serializers.IntegerField(source="pk", read_only=True)
    trainer = UserBriefSerializer(read_only=True)
    role = serializers.ChoiceField(choices=RosterRole.choices, read_only=True)
    workload = serializers.IntegerField(source="workload_percent", read_only=True)
    status = serializers.ChoiceField(choices=RosterStatus.choices, read_only=True)
    assignedBatches = RosterBatchSerializer(many=True, read_only=True, source="batch_roles")
    createdAt = TimestampField(source="created_at")
    updatedAt = TimestampField(source="updated_at")


class RosterAddSerializer(serializers.Serializer):
    trainer = IdOf("user", queryset=User.objects.all())
    role = serializers.ChoiceField(choices=RosterRole.choices, default=RosterRole.ASSISTANT)
    # Bounded to the column's size; the service says which percentages the roster allows.
    workload = serializers.IntegerField(min_value=-32768, max_value=32767, default=0)
    status = serializers.ChoiceField(choices=RosterStatus.choices, default=RosterStatus.ACTIVE)

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        data["workload_percent"] = data.pop("workload")
        return data


class RosterUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=RosterRole.choices, required=False)
    workload = serializers.IntegerField(min_value=-32768, max_value=32767, required=False)
    status = serializers.ChoiceField(choices=RosterStatus.choices, required=False)

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        if "workload" in data:
            data["workload_percent"] = data.pop("workload")
        return data


class BatchTrainersSerializer(serializers.Serializer):
    """``{"primary", "backup": [...], "assistants": [...]}`` of one batch, current roles."""

    batch = serializers.IntegerField()
    primary = UserBriefSerializer(allow_null=True)
    backup = UserBriefSerializer(many=True)
    assistants = UserBriefSerializer(many=True)


class BatchTrainerAddSerializer(serializers.Serializer):
    trainer = IdOf("user", queryset=User.objects.all())
    role = serializers.ChoiceField(choices=StaffRole.choices, default=StaffRole.ASSISTANT)


class TrainerRefSerializer(serializers.Serializer):
    trainer = IdOf("user", queryset=User.objects.all())
