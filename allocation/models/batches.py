"""What is taught by whom: courses, batches, their weekly schedule, staffing and cover.

Each rule that fits in one row is a database constraint; the services check the same rules
first to give a friendly message. Rules that span rows (capacity against enrollments,
schedule conflicts) are enforced by the services under row locks.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from core import dates
from core.history import HistoricalRecords
from core.timezones import default_time_zone, validate_time_zone

# Free text (notes, a course's description): room for any handover, but bounded, so three
# notes cannot make a 7 MB batch page. The column stays ``text`` (no table rewrite, existing
# rows untouched); ``full_clean`` in every service enforces the limit, and the forms and the
# API say it first with the same number.
TEXT_MAX_LENGTH = 10_000


def text_limit() -> list:
    return [MaxLengthValidator(TEXT_MAX_LENGTH)]


class EnrollmentPolicy(models.TextChoices):
    """Who may put a student in a course's batches (README, "Enrollment policies")."""

    ADMIN_ONLY = "admin_only", _("Admins only")
    OPEN = "open", _("Open: students enroll themselves")
    ON_REQUEST = "on_request", _("On request: an admin approves")


class Course(models.Model):
    code = models.CharField(
        max_length=20,
        unique=True,
        help_text=gettext_lazy("Short code used in batch codes, e.g. GER-A1."),
        error_messages={"unique": gettext_lazy("This course code is already in use")},
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, validators=text_limit())
    enrollment_policy = models.CharField(
        max_length=10,
        choices=EnrollmentPolicy.choices,
        default=EnrollmentPolicy.ADMIN_ONLY,
        help_text=_("Whether students may enroll themselves, ask for a place, or neither."),
    )
    # An optional window for students' own enrollments and requests; admins are not bound.
    enrollment_opens_at = models.DateTimeField(null=True, blank=True)
    enrollment_closes_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(code=""), name="course_code_not_empty"),
            models.CheckConstraint(
                condition=models.Q(enrollment_policy__in=EnrollmentPolicy.values),
                name="course_enrollment_policy_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(enrollment_opens_at__isnull=True)
                | models.Q(enrollment_closes_at__isnull=True)
                | models.Q(enrollment_closes_at__gt=models.F("enrollment_opens_at")),
                name="course_enrollment_window_ordered",
                violation_error_message=_("The enrollment window must close after it opens"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"


class BatchStatus(models.TextChoices):
    # Stored exactly as the original API spells them.
    ACTIVE = "Active", gettext_lazy("Active")
    UPCOMING = "Upcoming", gettext_lazy("Upcoming")
    COMPLETED = "Completed", gettext_lazy("Completed")
    CANCELLED = "Cancelled", gettext_lazy("Cancelled")


# Batches that still take students and teaching time; the others are history.
OPEN_BATCH_STATUSES = (BatchStatus.ACTIVE, BatchStatus.UPCOMING)


class BatchQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_BATCH_STATUSES)


class Batch(models.Model):
    batch_name = models.CharField(max_length=200)
    batch_code = models.CharField(
        max_length=50,
        unique=True,
        help_text=gettext_lazy("Generated from the course code when left blank."),
        error_messages={"unique": gettext_lazy("This batch code is already in use")},
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="batches")
    status = models.CharField(
        max_length=10, choices=BatchStatus.choices, default=BatchStatus.UPCOMING
    )
    start_date = models.DateField()
    end_date = models.DateField()
    capacity = models.PositiveIntegerField()
    # A counter kept equal to the number of active enrollments by the enrollment services,
    # which lock this row before they change it; reconcile_enrollments repairs drift.
    enrolled_students = models.PositiveIntegerField(default=0)
    assigned_instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="instructed_batches",
        help_text=gettext_lazy("The primary trainer."),
    )
    batch_notes = models.TextField(blank=True, validators=text_limit())
    # The IANA zone the weekly slots are read in: an 18:00 Europe/Berlin slot is 18:00 Berlin
    # time on every date, across the changes to and from summer time.
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=gettext_lazy("IANA time zone the weekly slots are read in, e.g. Europe/Berlin."),
    )
    # Where the sessions take place unless a session says otherwise.
    default_room = models.CharField(max_length=100, blank=True)
    default_meeting_url = models.URLField(max_length=500, blank=True)
    supervising_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervised_batches",
        help_text=gettext_lazy("A lead of the course who supervises this batch."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_batches"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BatchQuerySet.as_manager()

    history = HistoricalRecords(excluded_fields=["enrolled_students", "updated_at"])

    class Meta:
        ordering = ["start_date", "batch_code"]
        verbose_name_plural = gettext_lazy("batches")
        indexes = [models.Index(fields=["assigned_instructor", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="batch_end_on_or_after_start",
                violation_error_message=gettext_lazy(
                    "The end date must be on or after the start date"
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1),
                name="batch_capacity_at_least_1",
                violation_error_message=gettext_lazy("Capacity must be at least 1"),
            ),
            models.CheckConstraint(
                condition=models.Q(enrolled_students__gte=0)
                & models.Q(enrolled_students__lte=models.F("capacity")),
                name="batch_enrolled_within_capacity",
                violation_error_message=gettext_lazy("Batch has reached maximum capacity"),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=BatchStatus.values), name="batch_status_valid"
            ),
            models.CheckConstraint(condition=~models.Q(batch_code=""), name="batch_code_not_empty"),
            # Target of the (batch, course) foreign key from enrollments: it makes the database
            # refuse an enrollment whose course is not its batch's course.
            models.UniqueConstraint(fields=["id", "course"], name="batch_id_course_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_code} · {self.batch_name}"

    @property
    def available_spots(self) -> int:
        return max(self.capacity - self.enrolled_students, 0)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_BATCH_STATUSES

    @property
    def is_full(self) -> bool:
        return self.enrolled_students >= self.capacity


class Weekday(models.IntegerChoices):
    # Numbered like date.weekday(), so a date maps to its slots without a lookup table.
    MONDAY = 0, gettext_lazy("Monday")
    TUESDAY = 1, gettext_lazy("Tuesday")
    WEDNESDAY = 2, gettext_lazy("Wednesday")
    THURSDAY = 3, gettext_lazy("Thursday")
    FRIDAY = 4, gettext_lazy("Friday")
    SATURDAY = 5, gettext_lazy("Saturday")
    SUNDAY = 6, gettext_lazy("Sunday")


class ScheduleSlot(models.Model):
    """A weekly teaching slot, a half-open interval [start_time, end_time) on one weekday.

    Slots of one batch never overlap: the services refuse it, and on PostgreSQL an exclusion
    constraint (migration allocation.0002) refuses it in the database as well.
    """

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="schedule")
    day = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["day", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_time__lt=models.F("end_time")),
                name="slot_start_before_end",
                violation_error_message=gettext_lazy("A schedule slot must end after it starts"),
            ),
            models.CheckConstraint(
                condition=models.Q(day__gte=0) & models.Q(day__lte=6),
                name="slot_day_valid",
                violation_error_message=gettext_lazy("Unknown weekday"),
            ),
            models.UniqueConstraint(
                fields=["batch", "day", "start_time"],
                name="slot_unique_start_per_batch_day",
                violation_error_message=(
                    gettext_lazy(
                        "Two slots of a batch cannot start at the same time on the same day"
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_day_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def overlaps(self, other: "ScheduleSlot") -> bool:
        return slots_overlap(self, other)


def slots_overlap(a, b) -> bool:
    """Half-open overlap on the same weekday: 10-12 and 12-13 don't overlap; 10-12 and 10-11 do.

    Works for anything with ``day``, ``start_time`` and ``end_time``.
    """
    return a.day == b.day and a.start_time < b.end_time and b.start_time < a.end_time


class StaffRole(models.TextChoices):
    PRIMARY = "primary", gettext_lazy("Primary")
    ASSISTANT = "assistant", gettext_lazy("Assistant")
    BACKUP = "backup", gettext_lazy("Backup")


# Roles that put a trainer in the classroom: they count against caps and schedule conflicts.
TEACHING_ROLES = (StaffRole.PRIMARY, StaffRole.ASSISTANT)


class BatchTrainer(models.Model):
    """One trainer's role on one batch, from ``assigned_at`` until ``ended_at``.

    Rows are never deleted when staffing changes: ending a role sets ``ended_at``, so the
    batch keeps its history. The current primary is always ``Batch.assigned_instructor``,
    which stays as the field single-instructor clients read.
    """

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="staff")
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="batch_roles"
    )
    role = models.CharField(max_length=10, choices=StaffRole.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["batch", "-assigned_at"]
        indexes = [models.Index(fields=["trainer", "role"], name="batchtrainer_trainer_role")]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "trainer"],
                condition=models.Q(ended_at__isnull=True),
                name="one_current_role_per_trainer_per_batch",
                violation_error_message=gettext_lazy("A trainer holds one role per batch"),
            ),
            models.UniqueConstraint(
                fields=["batch"],
                condition=models.Q(role="primary", ended_at__isnull=True),
                name="one_current_primary_per_batch",
                violation_error_message=gettext_lazy("A batch has one primary trainer"),
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=StaffRole.values), name="batchtrainer_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("assigned_at")),
                name="batchtrainer_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trainer} · {self.get_role_display()} of {self.batch.batch_code}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class AssignmentType(models.TextChoices):
    MENTOR = "mentor", gettext_lazy("Mentor")
    TUTOR = "tutor", gettext_lazy("Tutor")
    ADVISOR = "advisor", gettext_lazy("Advisor")
    SUPERVISOR = "supervisor", gettext_lazy("Supervisor")


class IndividualAssignment(models.Model):
    """An instructor assigned to one student; ending it keeps it as history."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="instructor_assignments"
    )
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="student_assignments"
    )
    assignment_type = models.CharField(
        max_length=10, choices=AssignmentType.choices, default=AssignmentType.MENTOR
    )
    notes = models.TextField(blank=True, validators=text_limit())
    start_date = models.DateField(default=dates.today)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-assigned_at"]
        indexes = [
            models.Index(fields=["instructor", "ended_at"], name="assignment_instructor_end"),
            # The at-risk list's mentees without contact, a page at a time.
            models.Index(
                fields=["start_date", "id"],
                condition=models.Q(ended_at__isnull=True),
                name="assignment_active_start",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=models.Q(ended_at__isnull=True),
                name="one_active_assignment_per_student",
                violation_error_message=gettext_lazy(
                    "The student already has an assigned instructor"
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(student=models.F("instructor")),
                name="assignment_not_self",
                violation_error_message=gettext_lazy(
                    "An instructor cannot be assigned to themselves"
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(assignment_type__in=AssignmentType.values),
                name="assignment_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("assigned_at")),
                name="assignment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instructor} → {self.student} ({self.assignment_type})"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class MentoringSession(models.Model):
    """A 1:1 session the assigned instructor logged against an individual assignment."""

    assignment = models.ForeignKey(
        IndividualAssignment, on_delete=models.PROTECT, related_name="sessions"
    )
    session_date = models.DateField()
    duration_minutes = models.PositiveSmallIntegerField()
    notes = models.TextField(blank=True, validators=text_limit())
    follow_up_date = models.DateField(null=True, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-session_date", "-created_at"]
        indexes = [
            # "Any contact since": the at-risk list's mentees, one probe each.
            models.Index(fields=["assignment", "session_date"], name="mentoring_assignment_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1)
                & models.Q(duration_minutes__lte=24 * 60),
                name="session_duration_valid",
                violation_error_message=gettext_lazy("A session lasts between 1 and 1440 minutes"),
            ),
            models.CheckConstraint(
                condition=models.Q(follow_up_date__isnull=True)
                | models.Q(follow_up_date__gte=models.F("session_date")),
                name="session_follow_up_after_session",
                violation_error_message=gettext_lazy(
                    "The follow-up date cannot be before the session"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_date} · {self.duration_minutes} min · {self.assignment}"


class RosterRole(models.TextChoices):
    LEAD = "lead", gettext_lazy("Lead")
    ASSISTANT = "assistant", gettext_lazy("Assistant")
    SUBSTITUTE = "substitute", gettext_lazy("Substitute")


class RosterStatus(models.TextChoices):
    ACTIVE = "active", gettext_lazy("Active")
    INACTIVE = "inactive", gettext_lazy("Inactive")
    ON_LEAVE = "on_leave", gettext_lazy("On leave")


class CourseTrainer(models.Model):
    """A trainer on a course's roster, with their role and share of the course's workload.

    The batches a roster member works on are read from batch staffing (BatchTrainer), never
    stored here twice. The active members' workload percents of a course sum to at most 100:
    the roster services enforce it under the course row lock.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="roster")
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="course_roles"
    )
    role = models.CharField(max_length=10, choices=RosterRole.choices, default=RosterRole.ASSISTANT)
    workload_percent = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=RosterStatus.choices, default=RosterStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "role", "trainer__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "trainer"],
                name="trainer_once_per_course",
                violation_error_message=gettext_lazy(
                    "This trainer is already on the course's roster"
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(workload_percent__gte=0) & models.Q(workload_percent__lte=100),
                name="roster_workload_percent_0_to_100",
                violation_error_message=gettext_lazy("Workload must be between 0 and 100 percent"),
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=RosterRole.values), name="roster_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RosterStatus.values), name="roster_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trainer} · {self.get_role_display()} of {self.course.code}"


class SubstituteCover(models.Model):
    """A substitute teaching some of a batch's sessions for an absent trainer.

    One decision of an admin: the sessions it covers are its ``SessionCover`` rows (the
    truth); ``start_date`` and ``end_date`` are the dates of the first and last of them, kept
    for lists and for clients that read a cover as a date range.
    """

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="covers")
    absent_trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covered_absences"
    )
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cover_duties"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["start_date", "batch"]
        indexes = [models.Index(fields=["substitute", "start_date", "end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="cover_end_on_or_after_start",
                violation_error_message=gettext_lazy(
                    "The cover must end on or after its first day"
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(substitute=models.F("absent_trainer")),
                name="cover_substitute_is_someone_else",
                violation_error_message=gettext_lazy("A trainer cannot cover for themselves"),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.substitute} covers {self.batch.batch_code} for {self.absent_trainer} "
            f"{self.start_date:%Y-%m-%d} – {self.end_date:%Y-%m-%d}"
        )


class BatchNote(models.Model):
    """The batch's notes thread: the handover place between its trainers and substitutes."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(validators=text_limit())
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(body=""),
                name="batch_note_not_empty",
                violation_error_message=gettext_lazy("A note cannot be empty"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author} on {self.batch.batch_code} at {self.created_at:%Y-%m-%d %H:%M}"


class BatchTemplate(models.Model):
    """How a course's batches are made when the system makes them (automatic batch creation):
    capacity, weekly slots, length, how many assistants the solver should add. Creating
    batches automatically is off until ``auto_create`` is switched on."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="batch_template")
    capacity = models.PositiveIntegerField(default=25)
    # [{"day": 0-6, "start": "HH:MM", "end": "HH:MM"}, ...], validated by the services with
    # the same rules as a batch's slots.
    schedule = models.JSONField(default=list, blank=True)
    duration_weeks = models.PositiveSmallIntegerField(default=12)
    # A new batch starts this many days after it is created (time to announce it).
    start_after_days = models.PositiveSmallIntegerField(default=7)
    assistants = models.PositiveSmallIntegerField(
        default=0, help_text=gettext_lazy("Assistants the trainer assignment adds to each batch.")
    )
    auto_create = models.BooleanField(
        default=False,
        help_text=gettext_lazy(
            "Create a new batch when every open batch is full or the waitlist is long."
        ),
    )
    waitlist_threshold = models.PositiveSmallIntegerField(
        default=10, help_text=gettext_lazy("Waiting students that trigger a new batch.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1),
                name="template_capacity_at_least_1",
                violation_error_message=gettext_lazy("Capacity must be at least 1"),
            ),
            models.CheckConstraint(
                condition=models.Q(duration_weeks__gte=1),
                name="template_duration_at_least_1_week",
                violation_error_message=gettext_lazy("A batch lasts at least one week"),
            ),
            models.CheckConstraint(
                condition=models.Q(waitlist_threshold__gte=1),
                name="template_waitlist_threshold_at_least_1",
                violation_error_message=gettext_lazy("The waitlist threshold must be at least 1"),
            ),
        ]

    def __str__(self) -> str:
        return f"Batch template of {self.course.code}"

    @staticmethod
    def schedule_text(schedule) -> str:
        """A template's ``schedule`` as people write it: "Mon 08:00–10:00, Wed 18:00–20:00".
        An entry that is not a well-formed slot is shown as it is stored."""
        if not schedule:
            return ""
        if not isinstance(schedule, list):
            return str(schedule)
        parts = []
        for item in schedule:
            try:
                day = Weekday(int(item["day"])).label[:3]
                parts.append(f"{day} {item['start']}–{item['end']}")
            except (KeyError, TypeError, ValueError):
                parts.append(str(item))
        return ", ".join(parts)
