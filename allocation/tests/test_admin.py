"""The course and batch admin: pages, access, and saves that go through the services."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.tests.factories import (
    AdminFactory,
    InstructorFactory,
    StudentFactory,
)
from allocation import admin as allocation_admin
from allocation.models import Batch, Course, ScheduleSlot, Weekday
from allocation.services import MSG_NOT_INSTRUCTOR, Slot, batch_create
from allocation.tests.factories import BatchFactory, CourseFactory, ScheduleSlotFactory
from core.errors import DomainError
from enrollments.services import enrollment_create, waitlist_join

pytestmark = pytest.mark.django_db


def form_data(response) -> dict:
    """The POST data a browser would send back for an admin add/change page, unchanged.

    Read from the rendered forms, so a test edits only the values it is about.
    """
    data = {}

    def add_form(form):
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            data[key] = value if isinstance(value, list | tuple) else str(value)

    add_form(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for form in formset.forms:
            add_form(form)
    return {key: value for key, value in data.items() if value != "None"}


def slot_rows(prefix_start: int, *slots: tuple[int, str, str]) -> dict:
    return {
        key: value
        for index, (day, start, end) in enumerate(slots, start=prefix_start)
        for key, value in {
            f"schedule-{index}-day": str(day),
            f"schedule-{index}-start_time": start,
            f"schedule-{index}-end_time": end,
        }.items()
    }


def page_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_client(client):
    superuser = AdminFactory()
    client.force_login(superuser)
    client.superuser = superuser
    return client


@pytest.fixture
def student_client(client):
    client.force_login(StudentFactory())
    return client


@pytest.fixture
def instructor():
    return InstructorFactory(full_name="Ines Instructor")


def batch_add_data(course, instructor, *slots, **overrides) -> dict:
    data = {
        "batch_name": "Evening group",
        "batch_code": "",
        "course": str(course.pk),
        "status": "Upcoming",
        "start_date": "2026-02-02",
        "end_date": "2026-04-24",
        "capacity": "12",
        "assigned_instructor": str(instructor.pk),
        "batch_notes": "",
        "schedule-TOTAL_FORMS": str(len(slots)),
        "schedule-INITIAL_FORMS": "0",
        "schedule-MIN_NUM_FORMS": "0",
        "schedule-MAX_NUM_FORMS": "1000",
        **slot_rows(0, *slots),
    }
    data.update(overrides)
    return data


BATCH_ADD = reverse("admin:allocation_batch_add")
BATCH_LIST = reverse("admin:allocation_batch_changelist")
COURSE_ADD = reverse("admin:allocation_course_add")
COURSE_LIST = reverse("admin:allocation_course_changelist")


def batch_change_url(batch):
    return reverse("admin:allocation_batch_change", args=(batch.pk,))


def batch_delete_url(batch):
    return reverse("admin:allocation_batch_delete", args=(batch.pk,))


# --- Pages and access ------------------------------------------------------------------------


def _pages():
    course = CourseFactory()
    batch = BatchFactory(course=course)
    ScheduleSlotFactory(batch=batch)
    return [
        COURSE_LIST,
        COURSE_ADD,
        reverse("admin:allocation_course_change", args=(course.pk,)),
        BATCH_LIST,
        BATCH_ADD,
        batch_change_url(batch),
        batch_delete_url(batch),
    ]


def test_every_page_renders_for_a_superuser(admin_client):
    for url in _pages():
        assert admin_client.get(url).status_code == 200, url


def test_a_student_is_sent_to_the_admin_login(student_client):
    login = reverse("admin:login")
    for url in _pages():
        response = student_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url


def test_an_anonymous_post_changes_nothing(client, course, instructor):
    response = client.post(BATCH_ADD, batch_add_data(course, instructor))
    assert response.status_code == 302
    assert not Batch.objects.exists()


# --- Course ----------------------------------------------------------------------------------


def test_course_add_goes_through_course_create(admin_client):
    response = admin_client.post(
        COURSE_ADD,
        form_data(admin_client.get(COURSE_ADD))
        | {"code": " ger-b1 ", "title": "German B1", "description": ""},
    )
    assert response.status_code == 302
    course = Course.objects.get()
    assert course.code == "GER-B1"  # normalised by course_create
    assert response["Location"] == COURSE_LIST


def test_course_code_taken_in_another_case_is_a_form_error(admin_client, course):
    # The form sees "ger-a1" as free; course_create normalises it and refuses. The refusal
    # must come back as a form error on a 200 page, not a 500.
    response = admin_client.post(
        COURSE_ADD, form_data(admin_client.get(COURSE_ADD)) | {"code": "ger-a1", "title": "Again"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["code"] == [
        "This course code is already in use"
    ]
    assert Course.objects.count() == 1


def test_course_change_edits_title_and_keeps_the_code(admin_client, course):
    url = reverse("admin:allocation_course_change", args=(course.pk,))
    data = form_data(admin_client.get(url)) | {"code": "OTHER", "title": "German A1 (new)"}
    response = admin_client.post(url, data)
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.code, course.title) == ("GER-A1", "German A1 (new)")


def test_course_changelist_counts_batches(admin_client, course):
    BatchFactory.create_batch(3, course=course)
    CourseFactory(code="EMPTY")
    response = admin_client.get(COURSE_LIST)
    counts = {c.code: c.batch_count for c in response.context["cl"].result_list}
    assert counts == {"GER-A1": 3, "EMPTY": 0}


def test_an_unused_course_can_be_bulk_deleted(admin_client):
    unused = CourseFactory()
    response = admin_client.post(
        COURSE_LIST, {"action": "delete_selected", "_selected_action": [unused.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Course.objects.exists()


# --- Batch add -------------------------------------------------------------------------------


def test_batch_add_creates_the_batch_and_schedule_through_batch_create(
    admin_client, course, instructor, monkeypatch
):
    calls = []

    def spy(**kwargs):
        calls.append(kwargs)
        return batch_create(**kwargs)

    monkeypatch.setattr(allocation_admin, "batch_create", spy)
    data = batch_add_data(
        course,
        instructor,
        (Weekday.MONDAY, "10:00", "12:00"),
        (Weekday.MONDAY, "12:00", "13:00"),  # touching, not overlapping
        (Weekday.THURSDAY, "18:00", "20:00"),
    )
    response = admin_client.post(BATCH_ADD, data)

    assert response.status_code == 302
    batch = Batch.objects.get()
    assert response["Location"] == BATCH_LIST
    assert batch.batch_code == "GER-A1-2026-02-01"  # generated by the service
    assert batch.created_by == admin_client.superuser
    assert batch.enrolled_students == 0
    assert [(s.day, s.start_time, s.end_time) for s in batch.schedule.all()] == [
        (Weekday.MONDAY, dt.time(10), dt.time(12)),
        (Weekday.MONDAY, dt.time(12), dt.time(13)),
        (Weekday.THURSDAY, dt.time(18), dt.time(20)),
    ]
    assert len(calls) == 1
    assert calls[0]["schedule"] == [
        Slot(Weekday.MONDAY, dt.time(10), dt.time(12)),
        Slot(Weekday.MONDAY, dt.time(12), dt.time(13)),
        Slot(Weekday.THURSDAY, dt.time(18), dt.time(20)),
    ]
    # The admin's log names the saved batch and its slots.
    assert "GER-A1-2026-02-01" in page_messages(response)[0]


def test_batch_add_without_slots_warns(admin_client, course, instructor):
    response = admin_client.post(BATCH_ADD, batch_add_data(course, instructor), follow=True)

    batch = Batch.objects.get()
    assert (
        f"Batch {batch.batch_code} has no weekly slots: it has no classes and its students "
        "see no timetable until you add them."
    ) in page_messages(response)


def test_batch_add_with_slots_does_not_warn(admin_client, course, instructor):
    data = batch_add_data(course, instructor, (Weekday.MONDAY, "10:00", "12:00"))
    response = admin_client.post(BATCH_ADD, data, follow=True)

    assert not any("no weekly slots" in m for m in page_messages(response))


def test_batch_add_keeps_a_given_code(admin_client, course, instructor):
    response = admin_client.post(
        BATCH_ADD, batch_add_data(course, instructor, batch_code="  GER-SPECIAL ")
    )
    assert response.status_code == 302
    assert Batch.objects.get().batch_code == "GER-SPECIAL"


def test_batch_add_with_a_non_instructor_shows_the_known_message(admin_client, course):
    student = StudentFactory()
    response = admin_client.post(BATCH_ADD, batch_add_data(course, student))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["assigned_instructor"] == [MSG_NOT_INSTRUCTOR]
    assert MSG_NOT_INSTRUCTOR in response.content.decode()
    assert not Batch.objects.exists()


def test_batch_add_offers_only_active_instructors(admin_client, instructor):
    StudentFactory()
    InstructorFactory(is_active=False)
    response = admin_client.get(BATCH_ADD)
    field = response.context["adminform"].form.fields["assigned_instructor"]
    assert list(field.queryset) == [instructor]


def test_batch_add_with_an_inactive_instructor_is_refused(admin_client, course):
    gone = InstructorFactory(is_active=False)
    response = admin_client.post(BATCH_ADD, batch_add_data(course, gone))
    assert response.status_code == 200
    assert MSG_NOT_INSTRUCTOR in response.content.decode()
    assert not Batch.objects.exists()


def test_batch_add_with_overlapping_slots_shows_an_error(admin_client, course, instructor):
    data = batch_add_data(
        course,
        instructor,
        (Weekday.MONDAY, "10:00", "12:00"),
        (Weekday.MONDAY, "11:00", "13:00"),
    )
    response = admin_client.post(BATCH_ADD, data)
    assert response.status_code == 200
    schedule = response.context["inline_admin_formsets"][0].formset
    assert schedule.non_form_errors() == [
        "Schedule slots Monday 10:00–12:00 and Monday 11:00–13:00 overlap"
    ]
    assert "overlap" in response.content.decode()
    assert not Batch.objects.exists()
    assert not ScheduleSlot.objects.exists()


def test_batch_add_with_a_reversed_slot_shows_an_error(admin_client, course, instructor):
    data = batch_add_data(course, instructor, (Weekday.MONDAY, "12:00", "10:00"))
    response = admin_client.post(BATCH_ADD, data)
    assert response.status_code == 200
    assert not Batch.objects.exists()


def test_batch_add_ending_before_it_starts_shows_an_error(admin_client, course, instructor):
    data = batch_add_data(course, instructor, end_date="2026-01-01")
    response = admin_client.post(BATCH_ADD, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Batch.objects.exists()


def test_a_refusal_at_save_time_rolls_everything_back(
    admin_client, course, instructor, monkeypatch
):
    # As if another request took the code between validation and the write: the service has
    # already written rows when it refuses. The page must show the refusal with nothing kept.
    def create_then_refuse(**kwargs):
        batch_create(**kwargs)
        raise DomainError("Batch code GER-A1-2026-02-01 is already in use", field="batch_code")

    monkeypatch.setattr(allocation_admin, "batch_create", create_then_refuse)
    data = batch_add_data(course, instructor, (Weekday.MONDAY, "10:00", "12:00"))
    response = admin_client.post(BATCH_ADD, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["batch_code"] == [
        "Batch code GER-A1-2026-02-01 is already in use"
    ]
    assert not Batch.objects.exists()
    assert not ScheduleSlot.objects.exists()
    assert page_messages(response) == []  # no "added successfully"


# --- Batch change ----------------------------------------------------------------------------


@pytest.fixture
def batch(course, instructor, db):
    admin = AdminFactory()
    return batch_create(
        course=course,
        batch_name="Morning group",
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 3, 27),
        capacity=10,
        assigned_instructor=instructor,
        created_by=admin,
        status="Active",
        schedule=[
            Slot(Weekday.MONDAY, dt.time(10), dt.time(12)),
            Slot(Weekday.WEDNESDAY, dt.time(10), dt.time(12)),
        ],
    )


def test_batch_change_updates_fields_and_replaces_the_schedule(admin_client, batch, monkeypatch):
    from allocation.services import batch_update

    calls = []

    def spy(**kwargs):
        calls.append(kwargs)
        return batch_update(**kwargs)

    monkeypatch.setattr(allocation_admin, "batch_update", spy)
    url = batch_change_url(batch)
    data = form_data(admin_client.get(url))
    data["batch_name"] = "Morning group (moved)"
    data["schedule-1-DELETE"] = "on"  # drop Wednesday
    data.update(slot_rows(2, (Weekday.FRIDAY, "09:00", "11:00")))

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    batch.refresh_from_db()
    assert batch.batch_name == "Morning group (moved)"
    assert [str(s) for s in batch.schedule.all()] == ["Monday 10:00–12:00", "Friday 09:00–11:00"]
    assert len(calls) == 1
    assert set(calls[0]) == {"batch", "schedule", "updated_by", "batch_name"}  # only what changed


def test_batch_change_without_schedule_edits_keeps_the_slot_rows(admin_client, batch):
    slot_ids = set(batch.schedule.values_list("pk", flat=True))
    url = batch_change_url(batch)
    data = form_data(admin_client.get(url))
    data["capacity"] = "20"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.capacity == 20
    assert set(batch.schedule.values_list("pk", flat=True)) == slot_ids


def test_raising_the_capacity_names_who_moved_up_from_the_waitlist(admin_client, batch):
    Batch.objects.filter(pk=batch.pk).update(capacity=1)
    enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
    waiting = StudentFactory(full_name="Wanda Waiting")
    waitlist_join(student=waiting, batch=batch)
    url = batch_change_url(batch)
    data = form_data(admin_client.get(url))
    data["capacity"] = "2"

    response = admin_client.post(url, data, follow=True)

    assert any(
        "moved up from the waitlist" in m and "Wanda Waiting" in m for m in page_messages(response)
    )


def test_batch_change_to_overlapping_slots_shows_an_error(admin_client, batch):
    url = batch_change_url(batch)
    data = form_data(admin_client.get(url))
    data.update(slot_rows(2, (Weekday.MONDAY, "11:30", "12:30")))
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "overlap" in response.content.decode()
    assert batch.schedule.count() == 2


def test_capacity_below_enrolled_is_a_form_error_and_nothing_is_half_written(admin_client, batch):
    Batch.objects.filter(pk=batch.pk).update(enrolled_students=3)  # as the enrollments keep it
    url = batch_change_url(batch)
    data = form_data(admin_client.get(url))
    data["batch_name"] = "Renamed"
    data["capacity"] = "2"
    data["schedule-1-DELETE"] = "on"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["capacity"] == [
        "Capacity cannot be below the 3 students already enrolled"
    ]
    batch.refresh_from_db()
    assert (batch.batch_name, batch.capacity, batch.enrolled_students) == ("Morning group", 10, 3)
    assert batch.schedule.count() == 2


def test_batch_change_form_keeps_the_course_and_counter_read_only(admin_client, batch):
    other = CourseFactory()
    url = batch_change_url(batch)
    data = form_data(admin_client.get(url))
    data.update(course=str(other.pk), enrolled_students="7")
    assert admin_client.post(url, data).status_code == 302
    batch.refresh_from_db()
    assert (batch.course_id, batch.enrolled_students) == (batch.course.pk, 0)


def test_batch_change_still_shows_an_instructor_who_lost_the_role(admin_client, batch):
    batch.assigned_instructor.is_instructor = False
    batch.assigned_instructor.save()
    url = batch_change_url(batch)
    response = admin_client.get(url)
    assert f'<option value="{batch.assigned_instructor_id}" selected>' in response.content.decode()
    data = form_data(response)
    data["batch_name"] = "Renamed"
    assert admin_client.post(url, data).status_code == 302
    # Reassigning to them, though, is refused with the service's message.
    other = BatchFactory(course=batch.course)
    url = batch_change_url(other)
    data = form_data(admin_client.get(url))
    data["assigned_instructor"] = str(batch.assigned_instructor_id)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert MSG_NOT_INSTRUCTOR in response.content.decode()


# --- Batch delete ----------------------------------------------------------------------------


def test_deleting_an_unused_batch_goes_through_batch_delete(admin_client, batch, monkeypatch):
    from allocation.services import batch_delete

    calls = []

    def spy(**kwargs):
        calls.append(kwargs)
        return batch_delete(**kwargs)

    monkeypatch.setattr(allocation_admin, "batch_delete", spy)
    response = admin_client.post(batch_delete_url(batch), {"post": "yes"})
    assert response.status_code == 302
    assert not Batch.objects.filter(pk=batch.pk).exists()
    assert not ScheduleSlot.objects.exists()
    assert calls == [{"batch": batch}]


def test_a_batch_delete_refused_by_the_service_is_an_error_message(admin_client, batch):
    # A counter that says a student is enrolled: the service refuses, the admin's own
    # related-object check (which only sees rows) would not have.
    Batch.objects.filter(pk=batch.pk).update(enrolled_students=1)
    response = admin_client.post(batch_delete_url(batch), {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(batch_change_url(batch), 302)]
    assert (
        f"Batch {batch.batch_code} has 1 active enrollment(s); cancel or transfer them before "
        "deleting the batch" in page_messages(response)
    )
    assert Batch.objects.filter(pk=batch.pk).exists()
    assert batch.schedule.count() == 2


def test_batches_have_no_bulk_delete_action(admin_client, batch):
    response = admin_client.get(BATCH_LIST)
    assert response.context["action_form"] is None  # delete_selected was the only action
    admin_client.post(
        BATCH_LIST, {"action": "delete_selected", "_selected_action": [batch.pk], "post": "yes"}
    )
    assert Batch.objects.filter(pk=batch.pk).exists()


# --- Batch changelist ------------------------------------------------------------------------


def test_batch_changelist_shows_fill_and_spots(admin_client, batch):
    Batch.objects.filter(pk=batch.pk).update(enrolled_students=4)
    html = admin_client.get(BATCH_LIST).content.decode()
    assert "4/10" in html
    assert batch.assigned_instructor.email in html


def test_batch_changelist_filters_and_searches(admin_client, batch):
    other = BatchFactory(batch_name="Weekend", status="Completed")
    cl = admin_client.get(BATCH_LIST, {"status__exact": "Completed"}).context["cl"]
    assert list(cl.result_list) == [other]
    cl = admin_client.get(BATCH_LIST, {"course__id__exact": batch.course_id}).context["cl"]
    assert list(cl.result_list) == [batch]
    cl = admin_client.get(BATCH_LIST, {"q": batch.assigned_instructor.email}).context["cl"]
    assert list(cl.result_list) == [batch]
    cl = admin_client.get(BATCH_LIST, {"q": "weekend"}).context["cl"]
    assert list(cl.result_list) == [other]


# Pinned with the same bound for 3 rows and for 30, so no query runs per row.
# session, user, the courses for the course filter, the count of the filtered rows, the count
# of all rows, the page of batches joined to their course and instructor.
BATCH_CHANGELIST_QUERIES = 6
# session, user, the count of the filtered rows, the count of all rows, the page of courses
# with their batch counts (one GROUP BY).
COURSE_CHANGELIST_QUERIES = 5


@pytest.mark.parametrize("size", [3, 30])
def test_batch_changelist_query_count_is_constant(
    admin_client, django_assert_max_num_queries, size
):
    for index in range(size):
        batch = BatchFactory(course=CourseFactory(code=f"C-{index % 5}"))
        ScheduleSlotFactory(batch=batch)
    with django_assert_max_num_queries(BATCH_CHANGELIST_QUERIES):
        response = admin_client.get(BATCH_LIST, {"status__exact": "Active", "q": "B-"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == size


@pytest.mark.parametrize("size", [3, 30])
def test_course_changelist_query_count_is_constant(
    admin_client, django_assert_max_num_queries, size
):
    for course in CourseFactory.create_batch(size):
        BatchFactory.create_batch(2, course=course)
    with django_assert_max_num_queries(COURSE_CHANGELIST_QUERIES):
        response = admin_client.get(COURSE_LIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == size


TEMPLATE_PREFIX = "batch_template"


def template_rows(**values) -> dict:
    return {
        f"{TEMPLATE_PREFIX}-TOTAL_FORMS": "1",
        f"{TEMPLATE_PREFIX}-INITIAL_FORMS": "0",
        f"{TEMPLATE_PREFIX}-0-capacity": "20",
        f"{TEMPLATE_PREFIX}-0-duration_weeks": "8",
        f"{TEMPLATE_PREFIX}-0-start_after_days": "7",
        f"{TEMPLATE_PREFIX}-0-assistants": "1",
        f"{TEMPLATE_PREFIX}-0-waitlist_threshold": "5",
        f"{TEMPLATE_PREFIX}-0-auto_create": "on",
    } | {f"{TEMPLATE_PREFIX}-0-{key}": value for key, value in values.items()}


def test_course_change_adds_a_batch_template(admin_client, course):
    from allocation.models import BatchTemplate

    url = reverse("admin:allocation_course_change", args=(course.pk,))
    data = form_data(admin_client.get(url)) | template_rows(
        schedule='[{"day": 1, "start": "18:00", "end": "20:00"}]'
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302
    template = BatchTemplate.objects.get(course=course)
    assert (template.capacity, template.assistants, template.auto_create) == (20, 1, True)
    assert template.schedule == [{"day": 1, "start": "18:00", "end": "20:00"}]


@pytest.mark.parametrize(
    "schedule, message",
    [
        ('[{"day": 1, "start": "20:00", "end": "18:00"}]', "end"),
        ('[{"day": 1, "start": "18:00"}]', "malformed slot"),
        ('[{"day": 1, "start": "soon", "end": "18:00"}]', "malformed slot"),
    ],
)
def test_a_bad_template_schedule_is_a_form_error(admin_client, course, schedule, message):
    from allocation.models import BatchTemplate

    url = reverse("admin:allocation_course_change", args=(course.pk,))
    data = form_data(admin_client.get(url)) | template_rows(schedule=schedule)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BatchTemplate.objects.filter(course=course).exists()
