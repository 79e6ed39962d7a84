"""The console's batch create/edit pages with their live conflict check, and the workload
dashboard's flags, filters, charts and query budget.

Batches are arranged through the services (``batch_create`` writes the staffing rows that
teaching, caps and conflicts are read from). The pages must make exactly one service call
per save: a refusal leaves nothing behind.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse

from accounts.tests.factories import InstructorFactory, StudentFactory
from allocation import selectors, services
from allocation.models import (
    Batch,
    BatchStatus,
    BatchTrainer,
    ClassSession,
    IndividualAssignment,
    RosterRole,
    RosterStatus,
    ScheduleSlot,
    StaffRole,
)
from allocation.services import session_move
from allocation.tests.factories import CourseFactory
from allocation.tests.test_views import messages_of, set_profile, slot
from allocation.tests.view_support import END, START
from core import dates
from enrollments.services import enrollment_create, waitlist_join
from trainers.services import leave_record

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY, WEDNESDAY = 0, 1, 2
CREATE = reverse("console:batch_create")
CONFLICTS = reverse("console:batch_conflicts")
DASHBOARD = reverse("console:dashboard")


@pytest.fixture
def instructor():
    return InstructorFactory(full_name="Ingrid Instructor")


@pytest.fixture
def taught(make_batch, instructor):
    """Ingrid already teaches ENG-B2-01 on Monday 10:00–12:00, January to March 2027."""
    return make_batch(
        instructor=instructor,
        course=CourseFactory(code="ENG-B2", title="English B2"),
        batch_name="Evening group",
        batch_code="ENG-B2-01",
        schedule=[slot(MONDAY, "10:00", "12:00")],
    )


def form_data(course, instructor, slots=(), *, extra_rows=1, **fields):
    """What the batch form posts: its fields and the schedule formset (``slots`` as
    ``(day, "HH:MM", "HH:MM")``, then ``extra_rows`` empty rows)."""
    data = {
        "course": course.pk,
        "batch_name": "Spring group",
        "batch_code": "",
        "status": BatchStatus.UPCOMING,
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "capacity": 12,
        "assigned_instructor": instructor.pk,
        "batch_notes": "",
        "slots-TOTAL_FORMS": len(slots) + extra_rows,
        "slots-INITIAL_FORMS": 0,
        "slots-MIN_NUM_FORMS": 0,
        "slots-MAX_NUM_FORMS": 1000,
    }
    for i, (day, start, end) in enumerate(slots):
        data |= {f"slots-{i}-day": day, f"slots-{i}-start_time": start, f"slots-{i}-end_time": end}
    for i in range(len(slots), len(slots) + extra_rows):
        data |= {f"slots-{i}-day": "", f"slots-{i}-start_time": "", f"slots-{i}-end_time": ""}
    data.update(fields)
    return data


def saved_slots(batch) -> list[tuple[int, str, str]]:
    return [
        (s.day, f"{s.start_time:%H:%M}", f"{s.end_time:%H:%M}")
        for s in ScheduleSlot.objects.filter(batch=batch).order_by("day", "start_time")
    ]


# --- create ----------------------------------------------------------------------------------


class TestBatchCreate:
    def test_get_shows_the_form_with_the_conflict_warning_and_script(self, client, admin):
        client.force_login(admin)

        response = client.get(CREATE)

        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="conflict-warning"' in html
        assert "js/batch_form.js" in html
        assert f'data-conflicts-url="{CONFLICTS}"' in html
        # 24-hour entry, as the site writes times (not the browser's locale-bound picker).
        start = re.search(r'<input[^>]*name="slots-0-start_time"[^>]*>', html).group()
        assert 'type="text"' in start
        assert 'pattern="([01][0-9]|2[0-3]):[0-5][0-9]"' in start
        assert 'placeholder="HH:MM"' in start
        assert 'inputmode="numeric"' in start
        # Only instructors can be chosen as the primary.
        field = response.context["form"].fields["assigned_instructor"]
        assert admin not in field.queryset

    def test_creates_the_batch_with_its_slots_through_the_service(
        self, client, admin, course, instructor
    ):
        client.force_login(admin)
        data = form_data(
            course, instructor, [(TUESDAY, "18:00", "20:00"), (MONDAY, "18:00", "20:00")]
        )

        response = client.post(CREATE, data, follow=True)

        batch = Batch.objects.get(batch_name="Spring group")
        assert response.redirect_chain == [(reverse("console:batch_detail", args=[batch.pk]), 302)]
        assert messages_of(response) == [f"Batch {batch.batch_code} created with 2 weekly slots."]
        assert batch.batch_code == "GER-A1-2027-01-01"  # generated, as the service does
        assert (batch.capacity, batch.created_by, batch.assigned_instructor) == (
            12,
            admin,
            instructor,
        )
        assert saved_slots(batch) == [(MONDAY, "18:00", "20:00"), (TUESDAY, "18:00", "20:00")]
        # The primary staffing row only batch_create writes.
        assert BatchTrainer.objects.get(batch=batch).role == StaffRole.PRIMARY

    def test_a_conflict_is_refused_above_the_slots_naming_the_other_batch(
        self, client, admin, course, instructor, taught
    ):
        client.force_login(admin)

        response = client.post(CREATE, form_data(course, instructor, [(MONDAY, "11:00", "13:00")]))

        assert response.status_code == 200
        errors = response.context["formset"].non_form_errors()
        assert len(errors) == 1
        assert "ENG-B2-01" in errors[0]
        assert "Monday 2027-01-04 10:00–12:00 (UTC)" in errors[0]
        assert "ENG-B2-01" in response.content.decode()
        assert Batch.objects.count() == 1  # only the one it clashes with

    def test_overlapping_slots_in_the_formset_are_refused(self, client, admin, course, instructor):
        client.force_login(admin)
        data = form_data(
            course, instructor, [(MONDAY, "10:00", "12:00"), (MONDAY, "11:00", "13:00")]
        )

        response = client.post(CREATE, data)

        assert response.status_code == 200
        assert response.context["formset"].non_form_errors() == [
            "Schedule slots Monday 10:00–12:00 and Monday 11:00–13:00 overlap"
        ]
        assert not Batch.objects.exists()
        assert not ScheduleSlot.objects.exists()

    def test_a_refusal_naming_a_field_lands_on_it(self, client, admin, course, instructor, taught):
        client.force_login(admin)
        data = form_data(
            course, instructor, [(WEDNESDAY, "10:00", "12:00")], batch_code="ENG-B2-01"
        )

        response = client.post(CREATE, data)

        assert response.context["form"].errors["batch_code"] == [
            "This batch code is already in use"
        ]
        assert Batch.objects.count() == 1

    def test_input_errors_show_on_both_the_form_and_the_rows(self, client, admin, course):
        client.force_login(admin)
        data = form_data(course, InstructorFactory(), [(MONDAY, "10:00", "")], capacity=0)
        data["assigned_instructor"] = StudentFactory().pk

        response = client.post(CREATE, data)

        assert response.status_code == 200
        form, formset = response.context["form"], response.context["formset"]
        assert set(form.errors) == {"capacity", "assigned_instructor"}
        assert formset.forms[0].errors == {"end_time": ["This field is required."]}
        assert not Batch.objects.exists()

    def test_every_input_error_shows_on_one_submit(self, client, admin, course, instructor):
        """Capacity 0, the end before the start and two pairs of overlapping slots: all of
        them on the first submit, not one per submit."""
        client.force_login(admin)
        data = form_data(
            course,
            instructor,
            [
                (MONDAY, "10:00", "12:00"),
                (MONDAY, "11:00", "13:00"),
                (TUESDAY, "09:00", "10:00"),
                (TUESDAY, "09:30", "11:00"),
            ],
            capacity=0,
            start_date=END.isoformat(),
            end_date=START.isoformat(),
        )

        response = client.post(CREATE, data)

        assert response.status_code == 200
        form, formset = response.context["form"], response.context["formset"]
        assert form.errors == {
            "capacity": ["Capacity must be at least 1"],
            "end_date": ["The end date must be on or after the start date"],
        }
        assert formset.non_form_errors() == [
            "Schedule slots Monday 10:00–12:00 and Monday 11:00–13:00 overlap",
            "Schedule slots Tuesday 09:00–10:00 and Tuesday 09:30–11:00 overlap",
        ]
        html = response.content.decode()
        assert "Capacity must be at least 1" in html
        assert "The end date must be on or after the start date" in html
        assert "Tuesday 09:30–11:00 overlap" in html
        assert not Batch.objects.exists()

    def test_a_reversed_slot_and_reversed_dates_show_together(
        self, client, admin, course, instructor
    ):
        client.force_login(admin)
        data = form_data(
            course,
            instructor,
            [(MONDAY, "12:00", "10:00")],
            start_date=END.isoformat(),
            end_date=START.isoformat(),
        )

        response = client.post(CREATE, data)

        assert list(response.context["form"].errors) == ["end_date"]
        assert response.context["formset"].non_form_errors() == [
            "Schedule slot Monday 12:00–10:00: the end time must be after the start time"
        ]

    def test_a_batch_without_slots_is_saved_with_a_warning(self, client, admin, course, instructor):
        client.force_login(admin)

        response = client.post(CREATE, form_data(course, instructor), follow=True)

        batch = Batch.objects.get()
        assert messages_of(response) == [
            f"Batch {batch.batch_code} created with 0 weekly slots.",
            f"Batch {batch.batch_code} has no weekly slots: it has no classes and its students "
            "see no timetable until you add them.",
        ]
        # The batch page says it too, for as long as it has none.
        assert 'data-warning="no-slots"' in response.content.decode()
        page = client.get(reverse("console:batch_detail", args=[batch.pk])).content.decode()
        assert 'data-warning="no-slots"' in page


# --- edit ------------------------------------------------------------------------------------


class TestBatchEdit:
    def url(self, batch):
        return reverse("console:batch_edit", args=[batch.pk])

    def test_get_shows_the_batch_and_its_slots(self, client, admin, make_batch, instructor):
        batch = make_batch(instructor=instructor, schedule=[slot(MONDAY, "10:00", "12:00")])
        client.force_login(admin)

        response = client.get(self.url(batch))

        assert response.status_code == 200
        form, formset = response.context["form"], response.context["formset"]
        assert form.initial["batch_name"] == "Morning group"
        assert form.fields["course"].disabled
        assert formset.forms[0].initial == {
            "day": MONDAY,
            "start_time": dt.time(10),
            "end_time": dt.time(12),
        }
        assert f'data-batch="{batch.pk}"' in response.content.decode()

    def test_changes_fields_and_replaces_slots(self, client, admin, course, make_batch, instructor):
        batch = make_batch(instructor=instructor, schedule=[slot(MONDAY, "10:00", "12:00")])
        newcomer = InstructorFactory(full_name="Nina New")
        client.force_login(admin)
        data = form_data(
            course,
            newcomer,
            [(WEDNESDAY, "09:00", "10:30"), (TUESDAY, "14:00", "16:00")],
            batch_name="Renamed group",
            batch_code=batch.batch_code,
            capacity=15,
        )
        data["course"] = CourseFactory().pk  # disabled: ignored, the course stays

        response = client.post(self.url(batch), data, follow=True)

        assert response.redirect_chain == [(reverse("console:batch_detail", args=[batch.pk]), 302)]
        assert messages_of(response) == [f"Batch {batch.batch_code} saved."]
        batch.refresh_from_db()
        assert (batch.batch_name, batch.capacity, batch.course) == ("Renamed group", 15, course)
        assert batch.assigned_instructor == newcomer
        assert saved_slots(batch) == [(TUESDAY, "14:00", "16:00"), (WEDNESDAY, "09:00", "10:30")]
        # The old primary's row is history, the new one is current.
        rows = BatchTrainer.objects.filter(batch=batch)
        assert rows.get(trainer=instructor).ended_at is not None
        assert rows.get(trainer=newcomer, ended_at__isnull=True).role == StaffRole.PRIMARY

    def test_raising_the_capacity_says_who_moved_up_from_the_waitlist(
        self, client, admin, course, make_batch, instructor
    ):
        batch = make_batch(
            instructor=instructor, capacity=1, enrolled=1, schedule=[slot(MONDAY, "10:00", "12:00")]
        )
        for name in ("Wanda Waiting", "Walt Waiting", "Will Waiting"):
            waitlist_join(student=StudentFactory(full_name=name), batch=batch)
        client.force_login(admin)
        data = form_data(
            course,
            instructor,
            [(MONDAY, "10:00", "12:00")],
            batch_name=batch.batch_name,
            batch_code=batch.batch_code,
            status=batch.status,
            start_date=batch.start_date.isoformat(),
            end_date=batch.end_date.isoformat(),
            capacity=3,
        )

        response = client.post(self.url(batch), data, follow=True)

        assert messages_of(response) == [
            f"Batch {batch.batch_code} saved. 2 students moved up from the waitlist into the "
            "new seats: Wanda Waiting, Walt Waiting."
        ]
        assert 'data-warning="no-slots"' not in response.content.decode()

    def test_new_slots_say_which_sessions_edited_by_hand_were_kept(
        self, client, admin, course, make_batch, instructor
    ):
        batch = make_batch(instructor=instructor, schedule=[slot(MONDAY, "10:00", "12:00")])
        first = ClassSession.objects.filter(batch=batch).order_by("start_at").first()
        moved_to = first.start_at + dt.timedelta(days=1, hours=4)
        session_move(
            session=first, start_at=moved_to, end_at=moved_to + dt.timedelta(hours=2),
            moved_by=admin,
        )  # fmt: skip
        client.force_login(admin)
        data = form_data(
            course,
            instructor,
            [(WEDNESDAY, "10:00", "12:00")],
            batch_name=batch.batch_name,
            batch_code=batch.batch_code,
            status=batch.status,
            start_date=batch.start_date.isoformat(),
            end_date=batch.end_date.isoformat(),
            capacity=batch.capacity,
        )

        response = client.post(self.url(batch), data, follow=True)

        assert messages_of(response) == [
            f"Batch {batch.batch_code} saved.",
            "1 session edited by hand no longer matches the weekly slots and dates and was kept "
            f"as it is: {moved_to:%a %Y-%m-%d %H:%M} (UTC). Cancel or move it on the batch's "
            "calendar if it should not take place.",
        ]
        assert ClassSession.objects.filter(pk=first.pk, start_at=moved_to).exists()

    def test_unchanged_form_saves_nothing(self, client, admin, course, make_batch, instructor):
        batch = make_batch(instructor=instructor, schedule=[slot(MONDAY, "10:00", "12:00")])
        before = batch.updated_at
        client.force_login(admin)
        data = form_data(
            course,
            instructor,
            [(MONDAY, "10:00", "12:00")],
            batch_name=batch.batch_name,
            batch_code=batch.batch_code,
            capacity=batch.capacity,
        )

        response = client.post(self.url(batch), data, follow=True)

        assert messages_of(response) == [f"Nothing to save: {batch.batch_code} is unchanged."]
        batch.refresh_from_db()
        assert batch.updated_at == before

    def test_moving_a_slot_onto_another_batch_is_refused_and_nothing_changes(
        self, client, admin, course, make_batch, instructor, taught
    ):
        batch = make_batch(instructor=instructor, schedule=[slot(TUESDAY, "10:00", "12:00")])
        client.force_login(admin)
        data = form_data(
            course,
            instructor,
            [(MONDAY, "09:00", "10:30")],
            batch_name="Renamed",
            batch_code=batch.batch_code,
        )

        response = client.post(self.url(batch), data)

        assert response.status_code == 200
        assert "ENG-B2-01" in response.context["formset"].non_form_errors()[0]
        batch.refresh_from_db()
        assert batch.batch_name == "Morning group"
        assert saved_slots(batch) == [(TUESDAY, "10:00", "12:00")]

    def test_capacity_below_the_enrolled_students_lands_on_capacity(
        self, client, admin, course, make_batch, instructor
    ):
        batch = make_batch(instructor=instructor, capacity=2)
        for student in StudentFactory.create_batch(2):
            enrollment_create(student=student, course=course, batch=batch)
        client.force_login(admin)
        data = form_data(course, instructor, batch_code=batch.batch_code, capacity=1)
        data["batch_name"] = batch.batch_name

        response = client.post(self.url(batch), data)

        assert response.context["form"].errors["capacity"] == [
            "Capacity cannot be below the 2 students already enrolled"
        ]
        batch.refresh_from_db()
        assert batch.capacity == 2

    def test_list_and_detail_link_to_the_pages(self, client, admin, make_batch, instructor):
        batch = make_batch(instructor=instructor)
        client.force_login(admin)

        assert CREATE in client.get(reverse("console:batch_list")).content.decode()
        detail = client.get(reverse("console:batch_detail", args=[batch.pk])).content.decode()
        assert self.url(batch) in detail


# --- access ----------------------------------------------------------------------------------


class TestAccess:
    @pytest.fixture
    def urls(self, make_batch, instructor):
        batch = make_batch(instructor=instructor)
        return [CREATE, reverse("console:batch_edit", args=[batch.pk]), CONFLICTS]

    def test_the_conflict_check_only_answers_get(self, client, admin):
        client.force_login(admin)
        assert client.post(CONFLICTS, {}).status_code == 405

    def test_a_missing_batch_is_404(self, client, admin):
        client.force_login(admin)
        assert client.get(reverse("console:batch_edit", args=[999999])).status_code == 404


# --- the conflict check (JSON) ---------------------------------------------------------------


class TestConflictEndpoint:
    def query(self, instructor, *slots, **params):
        return {
            "instructor": instructor.pk,
            "start_date": START.isoformat(),
            "end_date": END.isoformat(),
            "slot": list(slots),
            **params,
        }

    def test_a_clashing_slot_returns_the_conflict(self, client, admin, instructor, taught):
        client.force_login(admin)

        response = client.get(CONFLICTS, self.query(instructor, "0,11:00,13:00", "2,10:00,12:00"))

        assert response.status_code == 200
        conflicts = response.json()["conflicts"]
        # One per clashing session, in time order: every Monday of the batches' 12 weeks.
        assert len(conflicts) == 12
        assert conflicts[0] == {
            "batch_code": "ENG-B2-01",
            "batch_name": "Evening group",
            "slot": "Monday 2027-01-04 10:00–12:00 (UTC)",
            "proposed": "Monday 2027-01-04 11:00–13:00 (UTC)",
            "message": "Schedule conflict: Ingrid Instructor already teaches ENG-B2-01 "
            "(Evening group) on Monday 2027-01-04 10:00–12:00 (UTC), which overlaps Monday "
            "2027-01-04 11:00–13:00 (UTC)",
        }

    def test_the_time_zone_moves_the_proposed_sessions(self, client, admin, instructor, taught):
        client.force_login(admin)
        # 11:00 in New York is 16:00 UTC (EST): after the 10:00–12:00 UTC class.
        params = self.query(instructor, "0,11:00,13:00", time_zone="America/New_York")

        assert client.get(CONFLICTS, params).json() == {"conflicts": []}

    def test_an_unknown_time_zone_is_a_400(self, client, admin, instructor, taught):
        client.force_login(admin)

        response = client.get(
            CONFLICTS, self.query(instructor, "0,11:00,13:00", time_zone="Mars/Base")
        )

        assert response.status_code == 400
        assert "not a known time zone" in response.json()["error"]

    def test_day_names_are_accepted(self, client, admin, instructor, taught):
        client.force_login(admin)

        response = client.get(CONFLICTS, self.query(instructor, "monday,09:00,10:30"))

        assert {c["batch_code"] for c in response.json()["conflicts"]} == {"ENG-B2-01"}

    @pytest.mark.parametrize(
        "params",
        [
            {"slot": ["0,12:00,13:00"]},  # half-open: touching is not overlapping
            {"slot": ["1,10:00,12:00"]},  # another day
            {"start_date": "2027-04-05", "end_date": "2027-06-25"},  # after the batch
            {"status": BatchStatus.COMPLETED},  # a finished batch never conflicts
            {"slot": []},
        ],
    )
    def test_free_slots_return_nothing(self, client, admin, instructor, taught, params):
        client.force_login(admin)

        response = client.get(CONFLICTS, self.query(instructor, "0,11:00,13:00") | params)

        assert response.status_code == 200
        assert response.json() == {"conflicts": []}

    def test_the_batch_being_edited_does_not_clash_with_itself(
        self, client, admin, instructor, taught
    ):
        client.force_login(admin)

        response = client.get(CONFLICTS, self.query(instructor, "0,10:00,12:00", exclude=taught.pk))

        assert response.json() == {"conflicts": []}

    @pytest.mark.parametrize(
        ("params", "error"),
        [
            ({"slot": ["7,10:00,12:00"]}, "unknown day '7'"),
            ({"slot": ["funday,10:00,12:00"]}, "unknown day 'funday'"),
            ({"slot": ["0,25:00,26:00"]}, "times must be HH:MM"),
            ({"slot": ["0,10am,12:00"]}, "times must be HH:MM"),
            ({"slot": ["0,12:00,10:00"]}, "the end time must be after the start time"),
            ({"slot": ["0,10:00"]}, "is not day,HH:MM,HH:MM"),
            ({"start_date": "2027-02-30"}, "start_date: Enter a valid date."),
            ({"end_date": "soon"}, "end_date: Enter a valid date."),
            ({"end_date": "2026-12-01"}, "end_date is before start_date"),
            ({"instructor": ""}, "instructor is required"),
            ({"instructor": "abc"}, "instructor is not an active instructor"),
            ({"exclude": "999999"}, "exclude is not a batch"),
        ],
    )
    def test_junk_input_is_a_400_with_the_reason(
        self, client, admin, instructor, taught, params, error
    ):
        client.force_login(admin)
        query = self.query(instructor, "0,11:00,13:00") | params

        response = client.get(CONFLICTS, query)

        assert response.status_code == 400
        assert error in response.json()["error"]

    def test_a_student_is_not_an_instructor(self, client, admin, instructor, taught):
        client.force_login(admin)

        response = client.get(CONFLICTS, self.query(StudentFactory(), "0,11:00,13:00"))

        assert response.status_code == 400
        assert response.json() == {"error": "instructor is not an active instructor"}

    def test_a_missing_instructor_is_a_400(self, client, admin):
        client.force_login(admin)
        query = {"start_date": "2027-01-04", "end_date": "2027-03-26", "slot": "0,10:00,12:00"}

        response = client.get(CONFLICTS, query)

        assert response.status_code == 400
        assert response.json() == {"error": "instructor is required"}


# --- workload dashboard: flags, filters, charts ----------------------------------------------


TODAY = dates.today()


@pytest.fixture
def team(admin, course, make_batch):
    """A known data set, one trainer per flag and one with none:

    - Olga: two batches against a cap of 1 (the cap lowered after the fact): over cap.
    - Lena: teaches Wednesdays, on leave for a week in February 2027, nobody covers: flagged.
    - Carl: teaches Tuesdays, on leave the same week and Sam covers it: not flagged.
    - Mia: mentors two students, one without contact for 20 days, one seen yesterday.
    - Sam: the substitute (on the roster as substitute), no flag.
    """
    olga = InstructorFactory(full_name="Olga Overcap")
    lena = InstructorFactory(full_name="Lena Leave")
    carl = InstructorFactory(full_name="Carl Covered")
    mia = InstructorFactory(full_name="Mia Mentor")
    sam = InstructorFactory(full_name="Sam Substitute")
    make_batch(instructor=olga, schedule=[slot(MONDAY, "08:00", "09:00")], capacity=4)
    make_batch(instructor=olga, schedule=[slot(MONDAY, "09:00", "10:00")], capacity=4)
    set_profile(olga, max_active_batches=1)
    make_batch(instructor=lena, schedule=[slot(WEDNESDAY, "10:00", "12:00")])
    carls = make_batch(instructor=carl, schedule=[slot(TUESDAY, "10:00", "12:00")])
    services.roster_add(course=course, trainer=sam, role=RosterRole.SUBSTITUTE)
    leave_start, leave_end = dt.date(2027, 2, 1), dt.date(2027, 2, 7)
    for trainer in (lena, carl):
        leave_record(trainer=trainer, start_date=leave_start, end_date=leave_end, created_by=admin)
    services.substitute_assign(
        batch=carls,
        absent_trainer=carl,
        substitute=sam,
        start_date=leave_start,
        end_date=leave_end,
        assigned_by=admin,
    )
    quiet, seen = StudentFactory(), StudentFactory()
    for student in (quiet, seen):
        services.individual_assign(student=student, instructor=mia, assigned_by=admin)
    IndividualAssignment.objects.update(start_date=TODAY - dt.timedelta(days=30))
    IndividualAssignment.objects.filter(student=quiet).update(
        start_date=TODAY - dt.timedelta(days=20)
    )
    services.mentoring_session_log(
        assignment=IndividualAssignment.objects.get(student=seen),
        logged_by=mia,
        session_date=TODAY - dt.timedelta(days=1),
        duration_minutes=30,
    )
    return {"olga": olga, "lena": lena, "carl": carl, "mia": mia, "sam": sam}


def rows_by_name(response) -> dict:
    return {row.trainer.full_name: row for row in response.context["rows"]}


class TestDashboardFlags:
    def test_each_flag_on_the_known_data_set(self, client, admin, team):
        client.force_login(admin)

        response = client.get(DASHBOARD)

        rows = rows_by_name(response)
        flags = {
            name: (row.workload.over_cap, bool(row.uncovered_leave), row.stale_mentees)
            for name, row in rows.items()
        }
        assert flags == {
            "Olga Overcap": (True, False, 0),
            "Lena Leave": (False, True, 0),
            "Carl Covered": (False, False, 0),
            "Mia Mentor": (False, False, 1),
            "Sam Substitute": (False, False, 0),
        }
        html = response.content.decode()
        assert "Over cap" in html
        leave = rows["Lena Leave"].uncovered_leave
        assert reverse("console:leave_detail", args=[leave.pk]) in html
        assert "sessions uncovered" in html
        assert "1 mentee without contact 14+ days" in html

    def test_the_leave_flag_agrees_with_the_leave_page(self, team):
        from trainers.models import TrainerLeave

        flagged = selectors.leaves_with_uncovered_sessions(
            [t.pk for t in team.values()], today=TODAY
        )

        for leave in TrainerLeave.objects.all():
            sessions = selectors.leave_affected_sessions(leave)
            uncovered = any(not s.covered for s in sessions)
            assert (flagged.get(leave.trainer_id) == leave) == uncovered, leave
        assert set(flagged) == {team["lena"].pk}

    def test_a_past_leave_is_not_flagged(self, team):
        after_the_leave = dt.date(2027, 2, 8)
        flagged = selectors.leaves_with_uncovered_sessions([team["lena"].pk], today=after_the_leave)
        assert flagged == {}

    def test_a_leave_outside_the_teaching_days_is_not_flagged(self, admin, team):
        sam = team["sam"]  # teaches nothing, so no session can be uncovered
        leave_record(trainer=sam, start_date=TODAY, end_date=TODAY, created_by=admin)
        assert selectors.leaves_with_uncovered_sessions([sam.pk]) == {}

    @pytest.mark.parametrize(("days_ago", "stale"), [(0, 1), (6, 1), (7, 0)])
    def test_stale_counts_match_the_mentoring_report(self, team, days_ago, stale):
        # The quiet mentee started 20 days ago: stale from day 14 on (6 days ago), not before.
        mia, today = team["mia"], TODAY - dt.timedelta(days=days_ago)
        report = selectors.mentoring_report(mia, today=today)

        counts = selectors.stale_mentee_counts([mia.pk], today=today)

        assert counts.get(mia.pk, 0) == sum(row.stale for row in report) == stale

    def test_charts_are_svg_with_titles_and_figures(self, client, admin, course, team):
        client.force_login(admin)

        response = client.get(DASHBOARD)

        html = response.content.decode()
        assert html.count('<svg class="chart"') == 3
        assert 'role="img"' in html
        for title in (
            "Weekly teaching hours per instructor (this page)",
            "Fill rate of open batches",
            "Students with and without a mentor",
        ):
            assert f">{title}</title>" in html
        assert "Olga Overcap: 2 hours a week, 2/1 batches (over cap)" in html
        assert "0 of 2 students" not in html
        assert "2 of 2 students (100%) have a mentor; 0 have none." in html
        assert "Figures as a table" in html
        # Fullest open batches first: Olga's have 4 seats, the others 10.
        fill = response.context["fill_batches"]
        assert len(fill) == 4
        assert all(b.fill == 0 for b in fill)

    def test_chart_text_keeps_its_css_size_at_any_width(self, client, admin, team):
        # A viewBox scales the drawing, text included, to the card: 7px text on a phone.
        # The charts are laid out in CSS pixels with bar lengths in percent instead.
        client.force_login(admin)

        html = client.get(DASHBOARD).content.decode()

        svgs = re.findall(r'<svg class="chart"[^>]*>', html)
        assert len(svgs) == 3
        assert not any("viewBox" in svg for svg in svgs)
        bars = re.findall(r'<rect class="chart-bar" x="[\d.]+%?" y="[\d.]+" width="([^"]+)"', html)
        assert bars and all(bar.endswith("%") for bar in bars)
        assert max(float(bar.rstrip("%")) for bar in bars) == 100.0

    def test_fill_chart_orders_fullest_first_and_follows_the_course_filter(
        self, client, admin, course, make_batch, instructor
    ):
        other = CourseFactory(code="FR-A1", title="French A1")
        full = make_batch(
            instructor=instructor, capacity=1, schedule=[slot(MONDAY, "08:00", "09:00")]
        )
        half = make_batch(
            instructor=instructor, capacity=2, schedule=[slot(MONDAY, "09:00", "10:00")]
        )
        empty = make_batch(
            instructor=instructor, course=other, schedule=[slot(MONDAY, "10:00", "11:00")]
        )
        make_batch(instructor=instructor, status=BatchStatus.CANCELLED)
        enrollment_create(student=StudentFactory(), course=course, batch=full)
        enrollment_create(student=StudentFactory(), course=course, batch=half)
        client.force_login(admin)

        everything = client.get(DASHBOARD).context["fill_batches"]
        german = client.get(DASHBOARD, {"course": course.pk}).context["fill_batches"]

        assert everything == [full, half, empty]
        assert german == [full, half]

    def test_the_unassigned_share_of_students(self, client, admin, team):
        StudentFactory.create_batch(2)
        client.force_login(admin)

        response = client.get(DASHBOARD)

        assert "2 of 4 students (50%) have a mentor; 2 have none." in response.content.decode()


class TestDashboardFilters:
    @pytest.fixture
    def rosters(self, admin, course):
        lead, assistant, substitute, elsewhere, former = (
            InstructorFactory(full_name=name)
            for name in ("Lea Lead", "Asa Assistant", "Sue Sub", "Ella Elsewhere", "Fred Former")
        )
        other = CourseFactory(code="FR-A1", title="French A1")
        services.roster_add(course=course, trainer=lead, role=RosterRole.LEAD, workload_percent=50)
        services.roster_add(course=course, trainer=assistant, role=RosterRole.ASSISTANT)
        services.roster_add(course=course, trainer=substitute, role=RosterRole.SUBSTITUTE)
        services.roster_add(course=other, trainer=elsewhere, role=RosterRole.LEAD)
        services.roster_add(
            course=course, trainer=former, role=RosterRole.LEAD, status=RosterStatus.INACTIVE
        )
        return course, other

    def names(self, client, **params) -> set[str]:
        return {w.trainer.full_name for w in client.get(DASHBOARD, params).context["workloads"]}

    def test_by_course_roster(self, client, admin, rosters):
        course, other = rosters
        client.force_login(admin)

        assert self.names(client, course=course.pk) == {"Lea Lead", "Asa Assistant", "Sue Sub"}
        assert self.names(client, course=other.pk) == {"Ella Elsewhere"}

    def test_by_role_on_any_course(self, client, admin, rosters):
        client.force_login(admin)

        assert self.names(client, role="lead") == {"Lea Lead", "Ella Elsewhere"}
        assert self.names(client, role="substitute") == {"Sue Sub"}

    def test_course_and_role_match_the_same_roster_entry(self, client, admin, rosters):
        course, other = rosters
        services.roster_add(course=other, trainer=InstructorFactory(full_name="Asa Assistant 2"))
        asa = InstructorFactory._meta.model.objects.get(full_name="Asa Assistant")
        services.roster_add(course=other, trainer=asa, role=RosterRole.LEAD, workload_percent=10)
        client.force_login(admin)

        # Asa leads French but only assists in German: not a lead of German.
        assert self.names(client, course=course.pk, role="lead") == {"Lea Lead"}
        assert self.names(client, course=other.pk, role="lead") == {
            "Ella Elsewhere",
            "Asa Assistant",
        }

    def test_with_status(self, client, admin, rosters):
        course, _ = rosters
        lea = InstructorFactory._meta.model.objects.get(full_name="Lea Lead")
        set_profile(lea, status="on_leave")
        client.force_login(admin)

        assert self.names(client, course=course.pk, status="on_leave") == {"Lea Lead"}
        assert self.names(client, course=course.pk, status="active") == {"Asa Assistant", "Sue Sub"}

    def test_filters_fold_behind_a_button_with_the_count_in_use(self, client, admin, rosters):
        course, _ = rosters
        client.force_login(admin)

        plain = client.get(DASHBOARD).content.decode()
        filtered = client.get(DASHBOARD, {"course": course.pk, "role": "lead"}).content.decode()

        # Folded below md (Bootstrap's collapse), always open from md up (d-md-block).
        assert re.search(
            r'<form method="get" class="[^"]*collapse d-md-block[^"]*" id="filters"', plain
        )
        assert 'data-bs-target="#filters"' in plain
        assert " in use</span>" not in plain
        assert (
            '<span class="badge text-bg-primary">2</span><span class="visually-hidden"> in use'
            in filtered
        )

    def test_filter_form_offers_course_and_role(self, client, admin, rosters):
        client.force_login(admin)

        form = client.get(DASHBOARD).context["filter"].form

        assert {"q", "status", "course", "role"} <= set(form.fields)
        assert b"[invalid name]" not in client.get(DASHBOARD).content


# --- query budget ----------------------------------------------------------------------------


def slot_number(i: int):
    """The i-th of distinct, non-overlapping weekly slots (7 days x 2-hour steps)."""
    hour = 8 + 2 * (i // 7)
    return slot(i % 7, f"{hour:02d}:00", f"{hour + 1:02d}:30")


@pytest.fixture
def busy_team(admin, course, make_batch):
    """``n`` instructors, each teaching a batch with an enrolled student, mentoring a student
    they have not seen for 20 days, and on leave in February 2027 with nobody covering; every
    third one is over their cap."""

    def build(n):
        for i in range(n):
            instructor = InstructorFactory()
            batch = make_batch(instructor=instructor, schedule=[slot_number(i)])
            make_batch(instructor=instructor, schedule=[slot_number(i + 40)])
            if i % 3 == 0:
                set_profile(instructor, max_active_batches=1)
            student = StudentFactory()
            enrollment_create(student=student, course=course, batch=batch)
            services.individual_assign(student=student, instructor=instructor, assigned_by=admin)
            leave_record(
                trainer=instructor,
                start_date=dt.date(2027, 2, 1),
                end_date=dt.date(2027, 2, 14),
                created_by=admin,
            )
        IndividualAssignment.objects.update(start_date=TODAY - dt.timedelta(days=20))

    return build


class TestDashboardQueryCount:
    # session, user, count, page of trainers with their workload annotated, the course
    # filter's choices; flags: current/upcoming leaves, the leave trainers' bookings in
    # them, stale-mentee counts; charts: fill rate batches, mentor coverage (students,
    # current assignments); the attendance panel (6: the page's trainers' rates, the weekly
    # trend, the first at-risk episodes and stale mentees, and their two counts)
    @pytest.mark.parametrize("n", [3, 15])
    def test_same_bound_at_two_sizes_with_every_flag_and_chart(
        self, client, admin, busy_team, django_assert_num_queries, n
    ):
        busy_team(n)
        client.force_login(admin)

        with django_assert_num_queries(11 + 6):
            response = client.get(DASHBOARD)

        rows = response.context["rows"]
        assert len(rows) == n
        assert all(row.uncovered_leave and row.stale_mentees == 1 for row in rows)
        assert sum(row.workload.over_cap for row in rows) == (n + 2) // 3
        assert len(response.context["fill_batches"]) == min(2 * n, 20)
        assert response.content.decode().count('<svg class="chart"') == 3

    @pytest.mark.parametrize("n", [3, 15])
    def test_filtered_by_course_and_role(
        self, client, admin, busy_team, course, django_assert_num_queries, n
    ):
        busy_team(n)
        client.force_login(admin)

        # One more: the chosen course is read to validate it; the roster filter itself is a
        # subquery of the trainers' query.
        with django_assert_num_queries(12 + 6):
            response = client.get(DASHBOARD, {"course": course.pk, "role": "assistant"})
        assert len(response.context["rows"]) == n
