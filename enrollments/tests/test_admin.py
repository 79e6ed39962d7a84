"""The enrollment admin: every save goes through the enrollment services."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.tests.factories import (
    AdminFactory,
    InstructorFactory,
    StudentFactory,
)
from allocation.models import Batch
from allocation.services import batch_create
from allocation.tests.factories import BatchFactory, CourseFactory
from enrollments import admin as enrollments_admin
from enrollments.models import Enrollment, EnrollmentSource, EnrollmentStatus, EnrollmentType
from enrollments.services import MSG_ALREADY_ENROLLED, MSG_FULL, enrollment_create

pytestmark = pytest.mark.django_db

ADD = reverse("admin:enrollments_enrollment_add")
LIST = reverse("admin:enrollments_enrollment_changelist")


def change_url(enrollment):
    return reverse("admin:enrollments_enrollment_change", args=(enrollment.pk,))


def page_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def errors_of(response) -> dict:
    return response.context["adminform"].form.errors


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


@pytest.fixture
def course():
    return CourseFactory(code="GER-A1")


def make_batch(course, *, capacity=10, status="Active", **kwargs):
    # Counters start true (0) for a fresh batch; seats are only taken through the services.
    return BatchFactory(course=course, capacity=capacity, status=status, **kwargs)


@pytest.fixture
def batch(course):
    return make_batch(course, batch_code="GER-A1-2026-01-01")


def add_data(student, course, batch=None, **overrides) -> dict:
    data = {
        "student": str(student.pk),
        "course": str(course.pk),
        "batch": str(batch.pk) if batch else "",
        "enrollment_type": "",
        "enrollment_source": EnrollmentSource.ADMIN,
        "access_expiry_date_0": "",
        "access_expiry_date_1": "",
        "payment_amount": "",
        "payment_currency": "",
        "payment_method": "",
        "payment_status": "",
        "transaction_id": "",
    }
    data.update(overrides)
    return data


def seats(batch) -> int:
    return Batch.objects.get(pk=batch.pk).enrolled_students


# --- Pages and access ------------------------------------------------------------------------


def _pages(batch):
    in_batch = enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
    individual = enrollment_create(student=StudentFactory(), course=batch.course)
    return [LIST, ADD, change_url(in_batch), change_url(individual)]


def test_every_page_renders_for_a_superuser(admin_client, batch):
    for url in _pages(batch):
        assert admin_client.get(url).status_code == 200, url


def test_a_student_is_sent_to_the_admin_login(client, batch):
    urls = _pages(batch)
    client.force_login(StudentFactory())
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


# --- Add -------------------------------------------------------------------------------------


def test_add_enrolls_through_the_service_and_takes_a_seat(admin_client, course, batch):
    student = StudentFactory()
    response = admin_client.post(ADD, add_data(student, course, batch, payment_amount="120.00"))
    assert response.status_code == 302, errors_of(response)
    enrollment = Enrollment.objects.get()
    assert (enrollment.student, enrollment.batch, enrollment.enrollment_type) == (
        student,
        batch,
        EnrollmentType.BATCH,  # chosen by the service from the batch
    )
    assert enrollment.enrollment_source == EnrollmentSource.ADMIN
    # Set by the service: 30 days of access after the batch ends.
    assert enrollment.access_expiry_date.date() == batch.end_date + dt.timedelta(days=30)
    assert seats(batch) == 1
    assert student.email in page_messages(response)[0]


def test_add_page_starts_with_the_admin_source(admin_client):
    form = admin_client.get(ADD).context["adminform"].form
    assert form.initial["enrollment_source"] == EnrollmentSource.ADMIN


def test_add_an_individual_enrollment(admin_client, course):
    response = admin_client.post(ADD, add_data(StudentFactory(), course))
    assert response.status_code == 302
    assert Enrollment.objects.get().enrollment_type == EnrollmentType.INDIVIDUAL


def test_add_to_a_full_batch_is_a_form_error_with_nothing_stored(admin_client, course):
    full = make_batch(course, capacity=1)
    enrollment_create(student=StudentFactory(), course=course, batch=full)

    response = admin_client.post(ADD, add_data(StudentFactory(), course, full))

    assert response.status_code == 200
    assert errors_of(response)["batch"] == [MSG_FULL]
    assert MSG_FULL in response.content.decode()
    assert Enrollment.objects.count() == 1
    assert seats(full) == 1


@pytest.mark.parametrize(
    ("arrange", "field", "message"),
    [
        (
            lambda course, batch: {"student": InstructorFactory()},
            "student",
            "Only a user with the student role can be enrolled",
        ),
        (
            lambda course, batch: {"batch": make_batch(CourseFactory(code="FR-B2"))},
            "batch",
            "belongs to course FR-B2, not GER-A1",
        ),
        (
            lambda course, batch: {"batch": make_batch(course, status="Completed")},
            "batch",
            "is Completed and no longer accepts students",
        ),
    ],
    ids=["not-a-student", "batch-of-another-course", "closed-batch"],
)
def test_add_refusals_show_the_service_message(
    admin_client, course, batch, arrange, field, message
):
    given = {"student": StudentFactory(), "batch": batch, "enrollment_type": ""}
    given.update(arrange(course, batch))
    data = add_data(given["student"], course, given["batch"])
    data["enrollment_type"] = given["enrollment_type"]

    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    assert any(message in error for error in errors_of(response).get(field, [])), errors_of(
        response
    )
    assert not Enrollment.objects.exists()
    assert seats(given["batch"]) == 0


def test_an_individual_enrollment_naming_a_batch_is_refused(admin_client, course, batch):
    # The model form checks the model's own constraints before the service runs; this one has
    # no violation_error_message, so Django words it generically.
    data = add_data(StudentFactory(), course, batch, enrollment_type=EnrollmentType.INDIVIDUAL)
    response = admin_client.post(ADD, data)
    assert response.status_code == 200
    assert errors_of(response)["__all__"] == ["An individual enrollment cannot name a batch"]
    assert not Enrollment.objects.exists()
    assert seats(batch) == 0


def test_a_second_active_enrollment_in_the_course_is_refused(admin_client, course, batch):
    student = StudentFactory()
    enrollment_create(student=student, course=course)
    response = admin_client.post(ADD, add_data(student, course, batch))
    assert response.status_code == 200
    assert MSG_ALREADY_ENROLLED in response.content.decode()
    assert Enrollment.objects.count() == 1
    assert seats(batch) == 0


def test_the_student_picker_offers_learners_only(admin_client):
    student = StudentFactory(email="sam@example.com")
    InstructorFactory(email="sara@example.com")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "enrollments",
            "model_name": "enrollment",
            "field_name": "student",
            "term": "sa",
        },
    )
    assert [row["id"] for row in response.json()["results"]] == [str(student.pk)]


# --- Change ----------------------------------------------------------------------------------


@pytest.fixture
def enrollment(course, batch):
    return enrollment_create(student=StudentFactory(), course=course, batch=batch)


def change_data(enrollment, **overrides) -> dict:
    data = {"status": enrollment.status, "batch": str(enrollment.batch_id or "")}
    data.update(overrides)
    return data


def test_change_status_goes_through_the_service_and_frees_the_seat(
    admin_client, enrollment, batch, monkeypatch
):
    calls = []
    real = enrollments_admin.enrollment_set_status

    def spy(**kwargs):
        calls.append(kwargs["status"])
        return real(**kwargs)

    monkeypatch.setattr(enrollments_admin, "enrollment_set_status", spy)
    response = admin_client.post(
        change_url(enrollment), change_data(enrollment, status=EnrollmentStatus.CANCELLED)
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.CANCELLED
    assert enrollment.status_changed_at is not None
    assert calls == [EnrollmentStatus.CANCELLED]
    assert seats(batch) == 0


def test_change_batch_transfers_the_seat(admin_client, enrollment, course, batch):
    target = make_batch(course)
    response = admin_client.post(change_url(enrollment), change_data(enrollment, batch=target.pk))
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.batch == target
    assert (seats(batch), seats(target)) == (0, 1)


def test_transfer_to_a_full_batch_is_a_form_error_and_changes_nothing(
    admin_client, enrollment, course, batch
):
    full = make_batch(course, capacity=1)
    enrollment_create(student=StudentFactory(), course=course, batch=full)
    response = admin_client.post(
        change_url(enrollment),
        change_data(enrollment, batch=full.pk, status=EnrollmentStatus.ON_HOLD),
    )
    assert response.status_code == 200
    assert errors_of(response)["batch"] == [MSG_FULL]
    enrollment.refresh_from_db()
    # Neither half of the change is kept: not moved, and not put on hold either.
    assert (enrollment.batch, enrollment.status) == (batch, EnrollmentStatus.ACTIVE)
    assert (seats(batch), seats(full)) == (1, 1)


def test_reactivate_and_move_in_one_save(admin_client, enrollment, course, batch):
    admin_client.post(
        change_url(enrollment), change_data(enrollment, status=EnrollmentStatus.ON_HOLD)
    )
    assert seats(batch) == 0
    target = make_batch(course)
    response = admin_client.post(
        change_url(enrollment),
        change_data(enrollment, status=EnrollmentStatus.ACTIVE, batch=target.pk),
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.batch) == (EnrollmentStatus.ACTIVE, target)
    assert (seats(batch), seats(target)) == (0, 1)


def test_reactivating_into_a_full_batch_is_refused(admin_client, enrollment, course, batch):
    admin_client.post(
        change_url(enrollment), change_data(enrollment, status=EnrollmentStatus.ON_HOLD)
    )
    Batch.objects.filter(pk=batch.pk).update(capacity=1)
    enrollment_create(student=StudentFactory(), course=course, batch=batch)
    response = admin_client.post(
        change_url(enrollment), change_data(enrollment, status=EnrollmentStatus.ACTIVE)
    )
    assert response.status_code == 200
    assert MSG_FULL in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ON_HOLD
    assert seats(batch) == 1


def test_other_fields_are_read_only(admin_client, enrollment, course):
    response = admin_client.get(change_url(enrollment))
    assert set(response.context["adminform"].form.fields) == {"status", "batch"}
    other_student = StudentFactory()
    admin_client.post(
        change_url(enrollment),
        change_data(enrollment, student=other_student.pk, payment_amount="999"),
    )
    enrollment.refresh_from_db()
    assert enrollment.student != other_student
    assert enrollment.payment_amount is None


def test_an_individual_enrollment_can_only_change_status(admin_client, course):
    individual = enrollment_create(student=StudentFactory(), course=course)
    response = admin_client.get(change_url(individual))
    assert set(response.context["adminform"].form.fields) == {"status"}


def test_the_batch_choices_stay_within_the_course(admin_client, enrollment, course, batch):
    same_course = make_batch(course)
    make_batch(CourseFactory())
    field = admin_client.get(change_url(enrollment)).context["adminform"].form.fields["batch"]
    assert set(field.queryset) == {batch, same_course}


# --- Cancel action, no delete ----------------------------------------------------------------


def test_cancel_action_cancels_through_the_service_and_reports_refusals(
    admin_client, course, batch
):
    first, second = (
        enrollment_create(student=StudentFactory(), course=course, batch=batch) for _ in range(2)
    )
    done = enrollment_create(student=StudentFactory(), course=course, batch=batch)
    admin_client.post(change_url(done), change_data(done, status=EnrollmentStatus.COMPLETED))
    assert seats(batch) == 2

    response = admin_client.post(
        LIST,
        {"action": "cancel_enrollments", "_selected_action": [first.pk, second.pk, done.pk]},
    )

    assert response.status_code == 302
    statuses = dict(Enrollment.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: EnrollmentStatus.CANCELLED,
        second.pk: EnrollmentStatus.CANCELLED,
        done.pk: EnrollmentStatus.COMPLETED,
    }
    assert seats(batch) == 0
    messages = page_messages(response)
    assert "Cancelled 2 enrollment(s)." in messages
    assert any(
        "Only an active or on-hold enrollment can be cancelled; this one is completed" in m
        for m in messages
    )


def test_enrollments_cannot_be_deleted(admin_client, enrollment):
    response = admin_client.get(LIST)
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert "cancel_enrollments" in actions
    url = reverse("admin:enrollments_enrollment_delete", args=(enrollment.pk,))
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()


# --- The batch admin, where enrollments hold on to a batch -----------------------------------


def test_a_batch_with_enrollment_history_cannot_be_deleted(admin_client, course, batch):
    enrollment = enrollment_create(student=StudentFactory(), course=course, batch=batch)
    admin_client.post(
        change_url(enrollment), change_data(enrollment, status=EnrollmentStatus.CANCELLED)
    )
    url = reverse("admin:allocation_batch_delete", args=(batch.pk,))
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200  # the confirmation page lists the protected enrollment
    assert "Cannot delete" in response.content.decode()
    assert Batch.objects.filter(pk=batch.pk).exists()


def test_batch_capacity_below_its_enrollments_is_refused_in_the_batch_admin(admin_client, course):
    batch = batch_create(
        course=course,
        batch_name="Morning",
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 3, 27),
        capacity=5,
        assigned_instructor=InstructorFactory(),
        created_by=AdminFactory(),
    )
    for _ in range(2):
        enrollment_create(student=StudentFactory(), course=course, batch=batch)
    url = reverse("admin:allocation_batch_change", args=(batch.pk,))
    data = {
        "batch_name": "Morning",
        "batch_code": batch.batch_code,
        "status": batch.status,
        "start_date": "2026-01-05",
        "end_date": "2026-03-27",
        "capacity": "1",
        "assigned_instructor": str(batch.assigned_instructor_id),
        "batch_notes": "",
        "schedule-TOTAL_FORMS": "0",
        "schedule-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Capacity cannot be below the 2 students already enrolled" in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).capacity == 5


# --- Changelist ------------------------------------------------------------------------------


def test_changelist_filters_and_searches(admin_client, course, batch, enrollment):
    individual = enrollment_create(student=StudentFactory(email="ivy@example.com"), course=course)
    cl = admin_client.get(LIST, {"enrollment_type__exact": "individual"}).context["cl"]
    assert list(cl.result_list) == [individual]
    cl = admin_client.get(LIST, {"q": batch.batch_code}).context["cl"]
    assert list(cl.result_list) == [enrollment]
    cl = admin_client.get(LIST, {"q": "ivy@"}).context["cl"]
    assert list(cl.result_list) == [individual]
    cl = admin_client.get(LIST, {"status__exact": "cancelled"}).context["cl"]
    assert list(cl.result_list) == []
    cl = admin_client.get(LIST, {"course__id__exact": course.pk}).context["cl"]
    assert len(cl.result_list) == 2


# session, user, the courses for the course filter, the count of the filtered rows, the count
# of all rows, the page of enrollments joined to student, course and batch. Pinned with the same
# bound for 3 rows and for 30, so no query runs per row.
CHANGELIST_QUERIES = 6


@pytest.mark.parametrize("size", [3, 30])
def test_changelist_query_count_is_constant(admin_client, django_assert_max_num_queries, size):
    courses = [CourseFactory() for _ in range(3)]
    batches = [make_batch(course, capacity=30) for course in courses]
    for index in range(size):
        batch = batches[index % 3]
        enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = admin_client.get(LIST, {"status__exact": "active", "q": "@example.com"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == size
