"""The JSON API of courses, batches, staffing, individual assignments and workload.

Every view is thin: it checks who is calling (role permission classes, then ``require`` for
"the instructor of this batch" and "self"), parses the body with a serializer, calls the same
service the pages call, and answers in the envelope. A refusal of a service (``DomainError``)
becomes 400 with its message in ``core.api.exceptions``; nothing here re-states a rule.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_noop
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from accounts.access import is_admin
from accounts.models import User
from accounts.permissions import ByMethod, IsAdmin, IsAdminOrInstructor, IsSignedIn, require
from core.api import responses
from core.api.pagination import PageParams, paginate
from core.api.schema import envelope, list_envelope

from . import selectors, services
from .alternatives import offering_alternatives
from .models import Batch, BatchTrainer, Course, CourseTrainer, ScheduleSlot, StaffRole
from .serializers import (
    AllBatchesFilterSerializer,
    AssignedStudentSerializer,
    AssignInputSerializer,
    AssignmentFilterSerializer,
    AssignmentSerializer,
    BatchFilterSerializer,
    BatchInstructorSerializer,
    BatchSerializer,
    BatchStudentSerializer,
    BatchTrainerAddSerializer,
    BatchTrainersSerializer,
    BatchUpdateSerializer,
    BatchWriteSerializer,
    CourseCreateSerializer,
    CourseSerializer,
    InstructorStudentsSerializer,
    PersonSerializer,
    RosterAddSerializer,
    RosterEntrySerializer,
    RosterUpdateSerializer,
    StudentWithInstructorSerializer,
    TrainerRefSerializer,
    UnassignInputSerializer,
    UnassignResultSerializer,
    WorkloadSerializer,
)

MSG_NOT_YOURS = gettext_noop("Only admins and the batch's own trainers can do this")


# --- access ----------------------------------------------------------------------------------


def teaches(user: User, batch: Batch) -> bool:
    """The user is one of the batch's current trainers (primary, assistant or backup)."""
    return (
        batch.assigned_instructor_id == user.pk
        or BatchTrainer.objects.filter(batch=batch, trainer=user, ended_at__isnull=True).exists()
    )


def learns_in(user: User, batch: Batch) -> bool:
    """The user has an active enrollment in the batch ("active" is EnrollmentStatus.ACTIVE;
    read through the reverse relation, as ``selectors.batch_roster`` does)."""
    return batch.enrollments.filter(student=user, status="active").exists()


def _proposed_batch(batch: Batch, changes: dict) -> Batch:
    """``batch`` (unsaved, or a fresh copy of a saved one) with the requested dates, zone and
    status: what the alternatives to a conflict are searched for."""
    for name in ("start_date", "end_date", "time_zone", "status"):
        if changes.get(name):
            setattr(batch, name, changes[name])
    return batch


# --- reads shaped for the serializers --------------------------------------------------------


def _batches():
    """Batches with what ``BatchSerializer`` reads: the primary joined, the slots prefetched
    (in day and time order), so a page of any size costs two queries."""
    return (
        selectors.batch_list()
        .select_related("supervising_lead")
        .prefetch_related(
            Prefetch("schedule", queryset=ScheduleSlot.objects.order_by("day", "start_time"))
        )
    )


def _batch_data(pk: int) -> dict:
    return BatchSerializer(_batches().get(pk=pk)).data


def _filter_batches(batches, filters: dict):
    if status := filters.get("status"):
        batches = batches.filter(status=status)
    if instructor := filters.get("instructor"):
        batches = batches.filter(assigned_instructor_id=instructor)
    if course := filters.get("course"):
        batches = batches.filter(course_id=course)
    return batches


def _batch_trainers_data(batch: Batch) -> dict:
    """The batch's primary (always ``assigned_instructor``) and its current backups and
    assistants."""
    rows = list(selectors.batch_current_staff(batch))
    return BatchTrainersSerializer(
        {
            "batch": batch.pk,
            "primary": batch.assigned_instructor,
            "backup": [r.trainer for r in rows if r.role == StaffRole.BACKUP],
            "assistants": [r.trainer for r in rows if r.role == StaffRole.ASSISTANT],
        }
    ).data


def _roster_data(course: Course) -> list[dict]:
    entries = []
    for entry, roles in selectors.course_trainers(course):
        entry.batch_roles = roles
        entries.append(entry)
    return RosterEntrySerializer(entries, many=True).data


def _roster_entry_data(course: Course, trainer_id: int) -> dict:
    return next(e for e in _roster_data(course) if e["trainer"]["_id"] == trainer_id)


# --- courses ---------------------------------------------------------------------------------


class CoursesView(ByMethod, APIView):
    """``GET /api/courses`` (any signed-in user), ``POST /api/courses`` (Admin)."""

    permission_classes = [IsSignedIn]
    permissions_by_method = {"POST": [IsAdmin]}

    @extend_schema(
        tags=["courses"],
        parameters=[PageParams],
        responses={200: list_envelope(CourseSerializer, "Course")},
    )
    def get(self, request):
        page = paginate(request, Course.objects.order_by("title", "code", "pk"))
        return responses.listing(
            CourseSerializer(page.items, many=True).data,
            gettext("Courses fetched successfully"),
            page,
        )

    @extend_schema(
        tags=["courses"],
        request=CourseCreateSerializer,
        responses={201: envelope(CourseSerializer, "Course")},
    )
    def post(self, request):
        body = CourseCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        course = services.course_create(
            code=data["code"], title=data["course_title"], description=data["description"]
        )
        return responses.created(
            CourseSerializer(course).data, gettext("Course created successfully")
        )


# --- batches ---------------------------------------------------------------------------------


class CourseBatchesView(ByMethod, APIView):
    """``GET /api/batches/courses/:courseId/batches`` (Admin, Instructor) and ``POST`` (Admin)."""

    permission_classes = [IsAdminOrInstructor]
    permissions_by_method = {"POST": [IsAdmin]}

    @extend_schema(
        tags=["batches"],
        parameters=[BatchFilterSerializer, PageParams],
        responses={200: list_envelope(BatchSerializer, "Batch")},
    )
    def get(self, request, course_id: int):
        course = get_object_or_404(Course, pk=course_id)
        filters = BatchFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        batches = _filter_batches(_batches().filter(course=course), filters.validated_data)
        page = paginate(request, batches)
        return responses.listing(
            BatchSerializer(page.items, many=True).data,
            gettext("Batches fetched successfully"),
            page,
        )

    @extend_schema(
        tags=["batches"],
        request=BatchWriteSerializer,
        responses={201: envelope(BatchSerializer, "Batch")},
    )
    def post(self, request, course_id: int):
        course = get_object_or_404(Course, pk=course_id)
        body = BatchWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = body.service_kwargs()
        lead = changes.pop("supervising_lead", None)
        # One transaction: a lead the service refuses leaves no batch behind.
        proposed = _proposed_batch(Batch(course=course), changes)
        with (
            offering_alternatives(
                proposed, changes.get("schedule", ()), changes.get("assigned_instructor")
            ),
            transaction.atomic(),
        ):
            batch = services.batch_create(course=course, created_by=request.user, **changes)
            if lead is not None:
                services.batch_set_supervising_lead(batch=batch, lead=lead)
        return responses.created(_batch_data(batch.pk), gettext("Batch created successfully"))


class BatchesView(APIView):
    """``GET /api/batches``: every batch, filtered by status, course or instructor (Admin,
    Instructor). Not in the original API; the per-course list is."""

    permission_classes = [IsAdminOrInstructor]

    @extend_schema(
        tags=["batches"],
        operation_id="batches_list",
        parameters=[AllBatchesFilterSerializer, PageParams],
        responses={200: list_envelope(BatchSerializer, "Batch")},
    )
    def get(self, request):
        filters = AllBatchesFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = paginate(request, _filter_batches(_batches(), filters.validated_data))
        return responses.listing(
            BatchSerializer(page.items, many=True).data,
            gettext("Batches fetched successfully"),
            page,
        )


class BatchDetailView(ByMethod, APIView):
    """``GET /api/batches/:batchId`` (Admin, its trainers, its students); ``PUT`` and
    ``DELETE`` (Admin)."""

    permission_classes = [IsSignedIn]
    permissions_by_method = {"PUT": [IsAdmin], "DELETE": [IsAdmin]}

    @extend_schema(tags=["batches"], responses={200: envelope(BatchSerializer, "Batch")})
    def get(self, request, batch_id: int):
        batch = get_object_or_404(_batches(), pk=batch_id)
        user = request.user
        require(
            is_admin(user) or teaches(user, batch) or learns_in(user, batch),
            gettext("Only admins, the batch's trainers and its students can see this batch"),
        )
        return responses.ok(BatchSerializer(batch).data, gettext("Batch fetched successfully"))

    @extend_schema(
        tags=["batches"],
        request=BatchUpdateSerializer,
        responses={200: envelope(BatchSerializer, "Batch")},
    )
    def put(self, request, batch_id: int):
        batch = get_object_or_404(Batch, pk=batch_id)
        body = BatchUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = body.service_kwargs()
        course = changes.pop("course", None)
        if course is not None and course.pk != batch.course_id:
            changes["course"] = course  # the service refuses it, with its own message
        has_lead = "supervising_lead" in changes
        lead = changes.pop("supervising_lead", None)
        # One transaction, the update first: it locks trainer profiles before the batch row,
        # and the lead's service locks the batch row only.
        proposed = _proposed_batch(Batch.objects.get(pk=batch.pk), changes)
        slots = changes.get("schedule")
        with (
            offering_alternatives(
                proposed,
                list(batch.schedule.all()) if slots is None else slots,
                changes.get("assigned_instructor") or batch.assigned_instructor,
            ),
            transaction.atomic(),
        ):
            if changes or not has_lead:
                services.batch_update(batch=batch, updated_by=request.user, **changes)
            if has_lead:
                services.batch_set_supervising_lead(batch=batch, lead=lead)
        return responses.ok(_batch_data(batch.pk), gettext("Batch updated successfully"))

    @extend_schema(
        tags=["batches"], responses={200: envelope(BatchInstructorSerializer, "BatchRef")}
    )
    def delete(self, request, batch_id: int):
        batch = get_object_or_404(Batch, pk=batch_id)
        data = BatchInstructorSerializer(batch).data
        services.batch_delete(batch=batch)
        return responses.ok(data, gettext("Batch deleted successfully"))


class BatchAssignInstructorView(APIView):
    """``PUT /api/batches/:batchId/assign-instructor/:instructorId`` (Admin)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["batches"],
        request=None,
        responses={200: envelope(BatchInstructorSerializer, "BatchInstructor")},
    )
    def put(self, request, batch_id: int, instructor_id: int):
        batch = get_object_or_404(Batch, pk=batch_id)
        instructor = get_object_or_404(User, pk=instructor_id)
        with offering_alternatives(batch, list(batch.schedule.all()), instructor, times=False):
            batch = services.batch_assign_instructor(
                batch=batch, instructor=instructor, assigned_by=request.user
            )
        return responses.ok(
            BatchInstructorSerializer(batch).data,
            gettext("Instructor assigned to batch successfully"),
        )


class BatchStudentsView(APIView):
    """``GET /api/batches/:batchId/students`` (Admin, the batch's trainers)."""

    permission_classes = [IsAdminOrInstructor]

    @extend_schema(
        tags=["batches"],
        parameters=[PageParams],
        responses={200: list_envelope(BatchStudentSerializer, "BatchStudent")},
    )
    def get(self, request, batch_id: int):
        batch = get_object_or_404(Batch, pk=batch_id)
        require(is_admin(request.user) or teaches(request.user, batch), gettext(MSG_NOT_YOURS))
        page = paginate(request, selectors.batch_roster(batch))
        return responses.listing(
            BatchStudentSerializer(page.items, many=True).data,
            gettext("Batch students fetched successfully"),
            page,
        )


# --- individual assignments ------------------------------------------------------------------


class AssignInstructorToStudentView(APIView):
    """``POST /api/v1/auth/assign-instructor-to-student`` (Admin); 200 as in the original."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["individual"],
        request=AssignInputSerializer,
        responses={200: envelope(AssignmentSerializer, "Assignment")},
    )
    def post(self, request):
        body = AssignInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        assignment = services.individual_assign(
            student=data["student_id"],
            instructor=data["instructor_id"],
            assigned_by=request.user,
            assignment_type=data["assignment_type"],
            notes=data["notes"],
        )
        return responses.ok(
            AssignmentSerializer(assignment).data,
            gettext("Instructor assigned to student successfully"),
        )


class InstructorStudentsView(APIView):
    """``GET /api/v1/auth/instructor-students/:instructor_id`` (Admin, that instructor)."""

    permission_classes = [IsAdminOrInstructor]

    @extend_schema(
        tags=["individual"],
        responses={200: envelope(InstructorStudentsSerializer, "InstructorStudents")},
    )
    def get(self, request, instructor_id: int):
        require(
            is_admin(request.user) or request.user.pk == instructor_id,
            gettext("Instructors can only see their own students"),
        )
        instructor = get_object_or_404(User, pk=instructor_id, is_instructor=True)
        assignments = list(selectors.students_of_instructor(instructor))
        data = {
            "instructor": PersonSerializer(instructor).data,
            "assigned_students": AssignedStudentSerializer(assignments, many=True).data,
            "total_students": len(assignments),
        }
        return responses.ok(data, gettext("Students assigned to instructor fetched successfully"))


class UnassignInstructorView(APIView):
    """``DELETE /api/v1/auth/unassign-instructor-from-student/:student_id`` (Admin)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["individual"],
        request=UnassignInputSerializer,
        responses={200: envelope(UnassignResultSerializer, "Unassign")},
    )
    def delete(self, request, student_id: int):
        student = get_object_or_404(User, pk=student_id)
        body = UnassignInputSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        ended = services.individual_unassign(
            student=student, ended_by=request.user, reason=body.validated_data["reason"]
        )
        data = {
            "student_id": student.pk,
            "student_name": student.full_name,
            "previous_instructor": PersonSerializer(ended.instructor).data,
        }
        return responses.ok(data, gettext("Instructor unassigned from student successfully"))


class StudentsWithInstructorsView(APIView):
    """``GET /api/v1/auth/get-all-students-with-instructors`` (Admin)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["individual"],
        parameters=[AssignmentFilterSerializer, PageParams],
        responses={200: list_envelope(StudentWithInstructorSerializer, "StudentWithInstructor")},
    )
    def get(self, request):
        filters = AssignmentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        students = selectors.students_with_instructors()
        if instructor := filters.validated_data.get("instructor"):
            students = students.filter(instructor_id=instructor)
        page = paginate(request, students)
        return responses.listing(
            StudentWithInstructorSerializer(page.items, many=True).data,
            gettext("Students with instructor information fetched successfully"),
            page,
        )


# --- workload --------------------------------------------------------------------------------


class InstructorWorkloadView(APIView):
    """``GET /api/instructors/:id/workload`` (Admin, that instructor)."""

    permission_classes = [IsAdminOrInstructor]

    @extend_schema(tags=["instructors"], responses={200: envelope(WorkloadSerializer, "Workload")})
    def get(self, request, instructor_id: int):
        require(
            is_admin(request.user) or request.user.pk == instructor_id,
            gettext("Instructors can only see their own workload"),
        )
        workloads = selectors.trainer_workloads(
            User.objects.filter(pk=instructor_id, is_instructor=True)
        )
        if not workloads:
            raise NotFound(gettext("No instructor with this id"))
        return responses.ok(
            WorkloadSerializer(workloads[0]).data,
            gettext("Instructor workload fetched successfully"),
        )


# --- multi-trainer: course rosters -----------------------------------------------------------


class CourseTrainersView(ByMethod, APIView):
    """``GET /api/courses/:id/trainers`` (Admin, Instructor), ``POST`` (Admin)."""

    permission_classes = [IsAdminOrInstructor]
    permissions_by_method = {"POST": [IsAdmin]}

    @extend_schema(
        tags=["multi-trainer"],
        parameters=[PageParams],
        responses={200: list_envelope(RosterEntrySerializer, "RosterEntry")},
    )
    def get(self, request, course_id: int):
        course = get_object_or_404(Course, pk=course_id)
        page = paginate(request, _roster_data(course))
        return responses.listing(page.items, gettext("Course trainers fetched successfully"), page)

    @extend_schema(
        tags=["multi-trainer"],
        request=RosterAddSerializer,
        responses={201: envelope(RosterEntrySerializer, "RosterEntry")},
    )
    def post(self, request, course_id: int):
        course = get_object_or_404(Course, pk=course_id)
        body = RosterAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.roster_add(course=course, **body.service_kwargs())
        return responses.created(
            _roster_entry_data(course, entry.trainer_id),
            gettext("Trainer assigned to course successfully"),
        )


class CourseTrainerDetailView(APIView):
    """``PUT`` and ``DELETE /api/courses/:id/trainers/:trainerId`` (Admin)."""

    permission_classes = [IsAdmin]

    def _entry(self, course_id: int, trainer_id: int) -> CourseTrainer:
        return get_object_or_404(
            CourseTrainer.objects.select_related("course", "trainer"),
            course_id=course_id,
            trainer_id=trainer_id,
        )

    @extend_schema(
        tags=["multi-trainer"],
        request=RosterUpdateSerializer,
        responses={200: envelope(RosterEntrySerializer, "RosterEntry")},
    )
    def put(self, request, course_id: int, trainer_id: int):
        entry = self._entry(course_id, trainer_id)
        body = RosterUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.roster_update(entry=entry, **body.service_kwargs())
        return responses.ok(
            _roster_entry_data(entry.course, trainer_id),
            gettext("Course trainer updated successfully"),
        )

    @extend_schema(
        tags=["multi-trainer"],
        responses={200: envelope(RosterEntrySerializer, "RosterEntry")},
    )
    def delete(self, request, course_id: int, trainer_id: int):
        entry = self._entry(course_id, trainer_id)
        data = _roster_entry_data(entry.course, trainer_id)
        services.roster_remove(entry=entry)
        return responses.ok(data, gettext("Trainer removed from course successfully"))


# --- multi-trainer: batch staffing -----------------------------------------------------------


class BatchTrainersView(ByMethod, APIView):
    """``GET /api/batches/:id/trainers`` (Admin, its trainers), ``POST`` (Admin): add an
    assistant or a backup."""

    permission_classes = [IsAdminOrInstructor]
    permissions_by_method = {"POST": [IsAdmin]}

    @extend_schema(
        tags=["multi-trainer"],
        responses={200: envelope(BatchTrainersSerializer, "BatchTrainers")},
    )
    def get(self, request, batch_id: int):
        batch = get_object_or_404(Batch.objects.select_related("assigned_instructor"), pk=batch_id)
        require(is_admin(request.user) or teaches(request.user, batch), gettext(MSG_NOT_YOURS))
        return responses.ok(
            _batch_trainers_data(batch), gettext("Batch trainers fetched successfully")
        )

    @extend_schema(
        tags=["multi-trainer"],
        request=BatchTrainerAddSerializer,
        responses={201: envelope(BatchTrainersSerializer, "BatchTrainers")},
    )
    def post(self, request, batch_id: int):
        batch = get_object_or_404(Batch, pk=batch_id)
        body = BatchTrainerAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.batch_staff_add(
            batch=batch,
            trainer=body.validated_data["trainer"],
            role=body.validated_data["role"],
            added_by=request.user,
        )
        return _staffing_changed(
            batch_id, gettext("Trainer assigned to batch successfully"), created=True
        )


class BatchPrimaryTrainerView(APIView):
    """``PUT /api/batches/:id/trainers/primary`` (Admin): the same service as
    assign-instructor."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["multi-trainer"],
        request=TrainerRefSerializer,
        responses={200: envelope(BatchTrainersSerializer, "BatchTrainers")},
    )
    def put(self, request, batch_id: int):
        batch = get_object_or_404(Batch, pk=batch_id)
        body = TrainerRefSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.batch_assign_instructor(
            batch=batch, instructor=body.validated_data["trainer"], assigned_by=request.user
        )
        return _staffing_changed(batch_id, gettext("Primary trainer set successfully"))


class BatchBackupTrainerView(APIView):
    """``POST /api/batches/:id/trainers/backup`` (Admin)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["multi-trainer"],
        request=TrainerRefSerializer,
        responses={201: envelope(BatchTrainersSerializer, "BatchTrainers")},
    )
    def post(self, request, batch_id: int):
        batch = get_object_or_404(Batch, pk=batch_id)
        body = TrainerRefSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.batch_staff_add(
            batch=batch,
            trainer=body.validated_data["trainer"],
            role=StaffRole.BACKUP,
            added_by=request.user,
        )
        return _staffing_changed(
            batch_id, gettext("Backup trainer added successfully"), created=True
        )


def _staffing_changed(batch_id: int, message: str, *, created: bool = False):
    batch = Batch.objects.select_related("assigned_instructor").get(pk=batch_id)
    data = _batch_trainers_data(batch)
    return responses.created(data, message) if created else responses.ok(data, message)
