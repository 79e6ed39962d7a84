"""The console and instructor pages: who may open them, what each form does, what the CSV
downloads hold, and how many queries each list runs.

Three kinds of visitor recur: an admin (console pages), the instructor who owns the data
(instructor pages), and outsiders (a student, another instructor, anonymous). Data whose
rules matter is arranged through the services: a batch's teaching is read from the staffing
rows that ``batch_create`` writes and ``BatchFactory`` does not.
"""

import csv
import datetime as dt
import io

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import InstructorFactory, StudentFactory
from allocation import services
from allocation.eligibility import Conflict
from allocation.models import (
    Batch,
    BatchStatus,
    BatchTrainer,
    IndividualAssignment,
    MentoringSession,
    StaffRole,
)
from allocation.services import MSG_ALREADY_ASSIGNED, Slot
from allocation.tests.factories import CourseFactory, SubstituteCoverFactory
from allocation.tests.view_support import set_profile, slot
from allocation.views.batches import BATCH_CSV_HEADER
from allocation.views.dashboard import WORKLOAD_CSV_HEADER
from allocation.views.mentors import MENTOR_CSV_HEADER
from core import dates
from core.errors import DomainError
from enrollments.services import enrollment_create
from tests.support import csv_text
from trainers.models import TrainerStatus

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY = 0, 1


@pytest.fixture
def world(admin, make_batch):
    """One of each: an instructor teaching a batch and mentoring a student, another
    instructor, and that student."""
    instructor = InstructorFactory(full_name="Ingrid Instructor")
    other = InstructorFactory(full_name="Otto Other")
    student = StudentFactory(full_name="Sam Student")
    batch = make_batch(instructor=instructor, schedule=[slot(MONDAY, "10:00", "12:00")])
    assignment = services.individual_assign(
        student=student, instructor=instructor, assigned_by=admin
    )
    return {
        "admin": admin,
        "instructor": instructor,
        "other": other,
        "student": student,
        "batch": batch,
        "assignment": assignment,
    }


def console_urls(w):
    return [
        reverse("console:dashboard"),
        reverse("console:dashboard") + "?format=csv",
        reverse("console:batch_list"),
        reverse("console:batch_list") + "?format=csv",
        reverse("console:batch_detail", args=[w["batch"].pk]),
        reverse("console:batch_assign_instructor", args=[w["batch"].pk]),
        reverse("console:mentor_list"),
        reverse("console:mentor_list") + "?format=csv",
        reverse("console:mentor_assign", args=[w["student"].pk]),
    ]


def instructor_urls(w):
    return [
        reverse("instructor:dashboard"),
        reverse("instructor:mentees"),
        reverse("instructor:session_log", args=[w["assignment"].pk]),
    ]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_text(response))))


# --- access ---------------------------------------------------------------------------------


class TestAccess:
    def test_admin_opens_every_console_page(self, client, world):
        client.force_login(world["admin"])
        for url in console_urls(world):
            response = client.get(url)
            assert response.status_code == 200, url
            # Every filter field has a label (django-filter prints this for a method filter
            # whose name is not a model field and that has no label).
            assert b"[invalid name]" not in response.content, url

    def test_instructor_opens_their_pages(self, client, world):
        client.force_login(world["instructor"])
        for url in instructor_urls(world):
            assert client.get(url).status_code == 200, url

    def test_another_instructor_gets_404_on_someone_elses_session_log(self, client, world):
        client.force_login(world["other"])
        url = reverse("instructor:session_log", args=[world["assignment"].pk])

        assert client.get(url).status_code == 404
        assert client.post(url, {"session_date": "2026-01-05"}).status_code == 404
        assert not MentoringSession.objects.exists()

    def test_missing_objects_are_404(self, client, world):
        client.force_login(world["admin"])
        assert client.get(reverse("console:batch_detail", args=[999999])).status_code == 404
        # An instructor is not a student: no mentor page for them.
        url = reverse("console:mentor_assign", args=[world["instructor"].pk])
        assert client.get(url).status_code == 404


# --- workload dashboard ----------------------------------------------------------------------


class TestDashboard:
    def test_lists_each_instructor_with_workload_and_cap_badge(self, client, world, make_batch):
        capped = InstructorFactory(full_name="Carla Capped")
        set_profile(capped, max_active_batches=1)
        make_batch(instructor=capped, schedule=[slot(TUESDAY, "09:00", "10:30")])
        client.force_login(world["admin"])

        response = client.get(reverse("console:dashboard"))

        assert response.status_code == 200
        rows = {w.trainer.full_name: w for w in response.context["workloads"]}
        assert set(rows) == {"Carla Capped", "Ingrid Instructor", "Otto Other"}
        assert rows["Ingrid Instructor"].active_batches == 1
        assert rows["Ingrid Instructor"].individual_students == 1
        assert rows["Ingrid Instructor"].weekly_hours == 2
        assert rows["Carla Capped"].at_cap
        html = response.content.decode()
        assert "At cap" in html
        assert "1 / 1" in html

    def test_filters_by_status(self, client, world):
        set_profile(world["other"], status=TrainerStatus.ON_LEAVE)
        client.force_login(world["admin"])

        on_leave = client.get(reverse("console:dashboard"), {"status": "on_leave"})
        active = client.get(reverse("console:dashboard"), {"status": "active"})

        assert [w.trainer for w in on_leave.context["workloads"]] == [world["other"]]
        assert [w.trainer for w in active.context["workloads"]] == [world["instructor"]]

    def test_paginates_by_25(self, client, world):
        InstructorFactory.create_batch(26)
        client.force_login(world["admin"])

        first = client.get(reverse("console:dashboard"))
        last = client.get(reverse("console:dashboard"), {"page": 2})

        assert len(first.context["workloads"]) == 25
        assert len(last.context["workloads"]) == 3

    def test_empty_state(self, client, admin):
        client.force_login(admin)

        response = client.get(reverse("console:dashboard"))

        assert "No instructors yet" in response.content.decode()

    def test_csv_download(self, client, world):
        client.force_login(world["admin"])

        response = client.get(reverse("console:dashboard"), {"format": "csv"})

        assert response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"] == 'attachment; filename="instructor-workload.csv"'
        rows = csv_rows(response)
        assert rows[0] == WORKLOAD_CSV_HEADER
        assert rows[1:] == [
            ["Ingrid Instructor", world["instructor"].email, "Active", "1", "4", "1", "0", "2.0",
             "0.0"],
            ["Otto Other", world["other"].email, "Active", "0", "4", "0", "0", "0.0", ""],
        ]  # fmt: skip

    def test_csv_keeps_the_filter(self, client, world):
        client.force_login(world["admin"])

        response = client.get(reverse("console:dashboard"), {"format": "csv", "q": "otto"})

        assert [row[0] for row in csv_rows(response)[1:]] == ["Otto Other"]


# --- batches ---------------------------------------------------------------------------------


class TestBatchList:
    def test_lists_batches_with_fill(self, client, world):
        batch = world["batch"]
        enrollment_create(student=world["student"], course=batch.course, batch=batch)
        client.force_login(world["admin"])

        response = client.get(reverse("console:batch_list"))

        html = response.content.decode()
        assert batch.batch_code in html
        assert "1/10" in html
        assert reverse("console:batch_detail", args=[batch.pk]) in html

    def test_filters(self, client, world, make_batch):
        full = make_batch(instructor=world["other"], batch_name="Full one", capacity=1)
        enrollment_create(student=world["student"], course=full.course, batch=full)
        other_course = CourseFactory(code="ENG-B2", title="English B2")
        english = make_batch(
            instructor=world["other"], course=other_course, status=BatchStatus.ACTIVE
        )
        client.force_login(world["admin"])
        url = reverse("console:batch_list")

        def codes(**params):
            return {b.batch_code for b in client.get(url, params).context["page"].object_list}

        everything = {world["batch"].batch_code, full.batch_code, english.batch_code}
        assert codes() == everything
        assert codes(has_free_seats="false") == {full.batch_code}
        assert codes(has_free_seats="true") == everything - {full.batch_code}
        assert codes(course=other_course.pk) == {english.batch_code}
        assert codes(status="Active") == {english.batch_code}
        assert codes(assigned_instructor=world["instructor"].pk) == {world["batch"].batch_code}

    def test_empty_state(self, client, admin):
        client.force_login(admin)

        response = client.get(reverse("console:batch_list"))

        assert "No batches yet" in response.content.decode()

    def test_csv_download(self, client, world):
        batch = world["batch"]
        client.force_login(world["admin"])

        response = client.get(reverse("console:batch_list"), {"format": "csv"})

        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        assert csv_rows(response) == [
            BATCH_CSV_HEADER,
            [batch.batch_code, "Morning group", "GER-A1", "Upcoming", "2027-01-04", "2027-03-26",
             "Ingrid Instructor", world["instructor"].email, "0", "10"],
        ]  # fmt: skip

    def test_csv_cells_cannot_start_a_spreadsheet_formula(self, client, world, make_batch):
        make_batch(instructor=world["other"], batch_name="=HYPERLINK(1)")
        client.force_login(world["admin"])

        response = client.get(reverse("console:batch_list"), {"format": "csv"})

        assert "'=HYPERLINK(1)" in [row[1] for row in csv_rows(response)]


class TestBatchDetail:
    def test_shows_schedule_staff_history_roster_and_links(self, client, world):
        batch = world["batch"]
        enrollment_create(student=world["student"], course=batch.course, batch=batch)
        services.batch_assign_instructor(
            batch=batch, instructor=world["other"], assigned_by=world["admin"]
        )
        client.force_login(world["admin"])

        response = client.get(reverse("console:batch_detail", args=[batch.pk]))

        html = response.content.decode()
        assert "Monday 10:00–12:00" in html
        assert [row.trainer for row in response.context["staff"]] == [world["other"]]
        assert [(r.trainer, r.is_current) for r in response.context["history"]] == [
            (world["other"], True),
            (world["instructor"], False),
        ]
        assert [e.student for e in response.context["roster"]] == [world["student"]]
        assert "Sam Student" in html
        assert reverse("admin:allocation_batch_change", args=[batch.pk]) in html
        assert reverse("console:batch_assign_instructor", args=[batch.pk]) in html


# --- assigning a batch's instructor ----------------------------------------------------------


@pytest.fixture
def clash(world, make_batch):
    """Otto teaches ``ENG`` on Monday 11:00–13:00, which overlaps the world batch's slot."""
    other_course = CourseFactory(code="ENG-B2", title="English B2")
    theirs = make_batch(
        instructor=world["other"],
        course=other_course,
        batch_name="Evening group",
        schedule=[slot(MONDAY, "11:00", "13:00")],
    )
    text = Conflict(
        batch_id=theirs.pk,
        batch_code=theirs.batch_code,
        batch_name="Evening group",
        # the first Monday of the batches' dates (tests.support.BATCH_DEFAULTS), in UTC
        existing_start=dt.datetime(2027, 1, 4, 11, tzinfo=dt.UTC),
        existing_end=dt.datetime(2027, 1, 4, 13, tzinfo=dt.UTC),
        existing_zone="UTC",
        proposed_start=dt.datetime(2027, 1, 4, 10, tzinfo=dt.UTC),
        proposed_end=dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC),
        proposed_zone="UTC",
    ).describe(world["other"])
    return theirs, text


class TestBatchAssignInstructor:
    def url(self, batch):
        return reverse("console:batch_assign_instructor", args=[batch.pk])

    def test_assigns_and_keeps_the_previous_primary_as_history(self, client, world):
        batch, newcomer = world["batch"], InstructorFactory(full_name="Nina New")
        client.force_login(world["admin"])

        response = client.post(self.url(batch), {"instructor": newcomer.pk}, follow=True)

        assert response.redirect_chain == [(reverse("console:batch_detail", args=[batch.pk]), 302)]
        assert messages_of(response) == [f"Nina New is now the instructor of {batch.batch_code}."]
        batch.refresh_from_db()
        assert batch.assigned_instructor == newcomer
        old = BatchTrainer.objects.get(batch=batch, trainer=world["instructor"])
        assert old.ended_at is not None
        assert old.ended_by == world["admin"]

    def test_get_shows_a_conflicting_candidate_with_the_conflict(self, client, world, clash):
        _, conflict_text = clash
        client.force_login(world["admin"])

        response = client.get(self.url(world["batch"]))

        assert response.status_code == 200
        candidates = {c.trainer: c for c in response.context["candidates"]}
        assert not candidates[world["other"]].eligible
        assert candidates[world["other"]].ineligible_reason == conflict_text
        assert conflict_text in response.content.decode()

    def test_post_of_a_conflicting_candidate_shows_the_conflict_and_changes_nothing(
        self, client, world, clash
    ):
        _, conflict_text = clash
        batch = world["batch"]
        client.force_login(world["admin"])

        response = client.post(self.url(batch), {"instructor": world["other"].pk})

        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [conflict_text]
        assert conflict_text in response.content.decode()
        batch.refresh_from_db()
        assert batch.assigned_instructor == world["instructor"]
        assert BatchTrainer.objects.filter(batch=batch, ended_at__isnull=True).count() == 1

    def test_post_of_a_non_instructor_is_a_form_error(self, client, world):
        batch = world["batch"]
        client.force_login(world["admin"])

        response = client.post(self.url(batch), {"instructor": world["student"].pk})

        assert response.status_code == 200
        assert "Select a valid choice" in response.context["form"].errors["instructor"][0]
        batch.refresh_from_db()
        assert batch.assigned_instructor == world["instructor"]

    def test_a_refusal_naming_the_instructor_lands_on_the_instructor_field(self, client, world):
        set_profile(world["other"], status=TrainerStatus.ON_LEAVE)
        client.force_login(world["admin"])

        response = client.post(self.url(world["batch"]), {"instructor": world["other"].pk})

        assert response.context["form"].errors["instructor"] == [
            "Otto Other is on leave and cannot take new batches"
        ]

    def test_each_candidates_verdict_is_what_the_service_says(
        self, client, world, clash, make_batch
    ):
        """The page predicts refusals; for every kind of candidate, the service agrees."""
        capped = InstructorFactory(full_name="Carla Capped")
        set_profile(capped, max_active_batches=1)
        make_batch(instructor=capped, schedule=[slot(TUESDAY, "09:00", "10:00")])
        on_leave = InstructorFactory(full_name="Leo Leave")
        set_profile(on_leave, status=TrainerStatus.ON_LEAVE)
        assistant = InstructorFactory(full_name="Asha Assistant")
        set_profile(assistant, max_active_batches=1)
        BatchTrainer.objects.create(
            batch=world["batch"], trainer=assistant, role=StaffRole.ASSISTANT
        )
        InstructorFactory(full_name="Fred Free")
        client.force_login(world["admin"])

        candidates = client.get(self.url(world["batch"])).context["candidates"]

        verdicts = {}
        for candidate in candidates:
            try:
                with transaction.atomic():
                    services.batch_assign_instructor(
                        batch=Batch.objects.get(pk=world["batch"].pk),
                        instructor=candidate.trainer,
                        assigned_by=world["admin"],
                    )
                    transaction.set_rollback(True)
                service_says = ""
            except DomainError as exc:
                service_says = exc.message
            verdicts[candidate.trainer.full_name] = (candidate.ineligible_reason, service_says)
        assert all(page == service for page, service in verdicts.values()), verdicts
        eligible = {name for name, (reason, _) in verdicts.items() if not reason}
        assert eligible == {"Fred Free", "Asha Assistant"}
        # Eligible candidates are listed first.
        assert {c.trainer.full_name for c in candidates[:2]} == eligible


class TestAssignInstructorCandidates:
    """Every instructor is ranked for the batch, the best first, and shown a page at a time
    with how many would be refused and why."""

    @pytest.fixture
    def crowd(self, admin, course, make_batch):
        target = make_batch(
            instructor=InstructorFactory(full_name="Aaron Primary"),
            schedule=[slot(MONDAY, "10:00", "12:00")],
        )
        elsewhere = CourseFactory(code="OTHER", title="Other course")
        backup = InstructorFactory(full_name="Zara Backup")
        services.roster_add(course=course, trainer=backup)
        services.batch_staff_add(
            batch=target, trainer=backup, role=StaffRole.BACKUP, added_by=admin
        )
        services.roster_add(course=course, trainer=InstructorFactory(full_name="Yuri Roster"))
        busy = InstructorFactory(full_name="Bea Busy")  # one open batch, no clash
        make_batch(instructor=busy, course=elsewhere, schedule=[slot(TUESDAY, "10:00", "12:00")])
        capped = InstructorFactory(full_name="Carl Capped")
        set_profile(capped, max_active_batches=1)
        make_batch(instructor=capped, course=elsewhere, schedule=[slot(TUESDAY, "14:00", "15:00")])
        clash = InstructorFactory(full_name="Cleo Clash")
        make_batch(instructor=clash, course=elsewhere, schedule=[slot(MONDAY, "11:00", "13:00")])
        for i in range(25):
            InstructorFactory(full_name=f"Fay {i:02d}")
        return target

    def url(self, batch):
        return reverse("console:batch_assign_instructor", args=[batch.pk])

    def names(self, response):
        return [c.trainer.full_name for c in response.context["candidates"]]

    def test_the_best_first_a_page_at_a_time(self, client, admin, crowd):
        client.force_login(admin)

        first = client.get(self.url(crowd))
        second = client.get(self.url(crowd), {"page": "2"})

        # Staffing the batch already, then on the course's roster, then the lightest load
        # (by name among equals); the refused last, by name.
        fays = [f"Fay {i:02d}" for i in range(25)]
        assert self.names(first) == ["Zara Backup", "Yuri Roster", *fays[:23]]
        assert self.names(second) == [
            *fays[23:],
            "Bea Busy",
            "Aaron Primary",
            "Carl Capped",
            "Cleo Clash",
        ]
        # The shown candidates come with their workload.
        bea = second.context["candidates"][2]
        assert bea.workload.active_batches == 1 and bea.open_batches == 1
        assert all(c.workload is not None for c in first.context["candidates"])
        html = first.content.decode()
        assert "1–25 of 31" in html
        assert 'href="?page=2"' in html

    def test_says_how_many_would_be_refused_and_why(self, client, admin, crowd):
        client.force_login(admin)

        response = client.get(self.url(crowd), {"page": "2"})

        assert response.context["refusals"] == [
            ("the current instructor", 1),
            ("at their cap of open batches", 1),
            ("with a schedule conflict", 1),
        ]
        summary = " ".join(
            response.content.decode()
            .split("data-candidate-summary>", 1)[1]
            .split("</div>")[0]
            .split()
        )
        assert summary.startswith(
            "28 of 31 instructors can take this batch; 3 would be refused: 1 the current "
            "instructor, 1 at their cap of open batches, 1 with a schedule conflict."
        )
        # The page itself names each refused candidate's reason.
        assert "Carl Capped already teaches 1 Active/Upcoming batches, their cap of 1" in (
            response.content.decode()
        )

    @pytest.mark.parametrize(("page", "shown"), [("abc", 1), ("99999", 2), ("-3", 2), ("", 1)])
    def test_a_bad_page_number_shows_the_nearest_page(self, client, admin, crowd, page, shown):
        client.force_login(admin)

        response = client.get(self.url(crowd), {"page": page})

        assert response.status_code == 200
        assert response.context["page"].number == shown
        assert len(response.context["refusals"]) == 3

    def test_a_refused_post_keeps_the_list(self, client, admin, crowd):
        client.force_login(admin)
        carl = User.objects.get(full_name="Carl Capped")

        response = client.post(self.url(crowd), {"instructor": carl.pk})

        assert response.status_code == 200
        assert response.context["form"].errors
        assert len(response.context["candidates"]) == 25

    def test_the_drop_down_offers_every_instructor_by_name(self, client, admin, crowd):
        client.force_login(admin)

        html = client.get(self.url(crowd)).content.decode()

        select = html.split('<select name="instructor"', 1)[1].split("</select>", 1)[0]
        labels = [option.split(">", 1)[1] for option in select.split("<option")[1:]]
        assert len(labels) == 32  # the empty choice and all 31 instructors, not one page
        names = [label.split(" (", 1)[0] for label in labels[1:]]
        assert names == sorted(names)
        assert names[:3] == ["Aaron Primary", "Bea Busy", "Carl Capped"]
        fay = User.objects.get(full_name="Fay 24")  # on the second page of candidates
        response = client.post(self.url(crowd), {"instructor": fay.pk})
        assert response.status_code == 302
        crowd.refresh_from_db()
        assert crowd.assigned_instructor == fay

    def test_no_active_instructor(self, client, admin, make_batch):
        batch = make_batch(
            instructor=InstructorFactory(), schedule=[slot(MONDAY, "10:00", "12:00")]
        )
        User.objects.filter(is_instructor=True).update(is_active=False)
        client.force_login(admin)

        response = client.get(self.url(batch))

        assert response.status_code == 200
        assert response.context["candidates"] == []
        html = response.content.decode()
        assert "No active instructors." in html
        assert "data-candidate-summary" not in html


# --- individual assignments ------------------------------------------------------------------


class TestMentorList:
    def test_lists_students_with_their_instructor_or_a_dash(self, client, world):
        StudentFactory(full_name="Una Unassigned")
        client.force_login(world["admin"])

        response = client.get(reverse("console:mentor_list"))

        html = response.content.decode()
        assert "Sam Student" in html
        assert "Ingrid Instructor" in html
        assert "Una Unassigned" in html
        assert "—" in html

    def test_filters(self, client, world):
        lonely = StudentFactory(full_name="Una Unassigned")
        client.force_login(world["admin"])
        url = reverse("console:mentor_list")

        def students(**params):
            return list(client.get(url, params).context["page"].object_list)

        assert students(has_mentor="true") == [world["student"]]
        assert students(has_mentor="false") == [lonely]
        assert students(instructor=world["instructor"].pk) == [world["student"]]
        assert students(instructor=world["other"].pk) == []

    def test_csv_download(self, client, world):
        lonely = StudentFactory(full_name="Una Unassigned")
        client.force_login(world["admin"])

        response = client.get(reverse("console:mentor_list"), {"format": "csv"})

        assert response["Content-Type"].startswith("text/csv")
        assert csv_rows(response) == [
            MENTOR_CSV_HEADER,
            ["Sam Student", world["student"].email, "Ingrid Instructor",
             world["instructor"].email, "Mentor", world["assignment"].start_date.isoformat()],
            ["Una Unassigned", lonely.email, "", "", "", ""],
        ]  # fmt: skip


class TestMentorAssign:
    def page(self, student):
        return reverse("console:mentor_assign", args=[student.pk])

    def test_page_shows_candidates_with_their_student_counts(self, client, world):
        client.force_login(world["admin"])

        response = client.get(self.page(world["student"]))

        counts = {c.trainer: c.mentees for c in response.context["candidates"]}
        assert counts == {world["instructor"]: 1, world["other"]: 0}
        assert response.context["current"] == world["assignment"]

    def test_assign(self, client, admin):
        student, instructor = StudentFactory(), InstructorFactory(full_name="Tia Tutor")
        client.force_login(admin)

        response = client.post(
            reverse("console:mentor_assign_submit", args=[student.pk]),
            {"assign-instructor": instructor.pk, "assign-assignment_type": "tutor",
             "assign-notes": "Weekly check-in"},
            follow=True,
        )  # fmt: skip

        assert response.redirect_chain == [(self.page(student), 302)]
        assignment = IndividualAssignment.objects.get(student=student)
        assert (assignment.instructor, assignment.assignment_type, assignment.notes) == (
            instructor,
            "tutor",
            "Weekly check-in",
        )
        assert assignment.assigned_by == admin
        assert any("Tia Tutor" in m for m in messages_of(response))

    def test_assigning_the_same_instructor_again_is_refused(self, client, world):
        client.force_login(world["admin"])

        response = client.post(
            reverse("console:mentor_assign_submit", args=[world["student"].pk]),
            {"assign-instructor": world["instructor"].pk, "assign-assignment_type": "mentor"},
        )

        assert response.status_code == 200
        assert response.context["assign_form"].errors["instructor"] == [MSG_ALREADY_ASSIGNED]
        assert MSG_ALREADY_ASSIGNED in response.content.decode()
        assert IndividualAssignment.objects.filter(student=world["student"]).count() == 1

    def test_reassign_keeps_the_old_row_ended(self, client, world):
        student = world["student"]
        client.force_login(world["admin"])

        response = client.post(
            reverse("console:mentor_reassign", args=[student.pk]),
            {"reassign-instructor": world["other"].pk, "reassign-reason": "Timetable change"},
            follow=True,
        )

        assert response.redirect_chain == [(self.page(student), 302)]
        old = IndividualAssignment.objects.get(pk=world["assignment"].pk)
        assert old.ended_at is not None
        assert (old.ended_by, old.end_reason) == (world["admin"], "Timetable change")
        new = IndividualAssignment.objects.get(student=student, ended_at__isnull=True)
        assert (new.instructor, new.assignment_type) == (world["other"], "mentor")
        assert response.context["history"] == [new, old]
        assert "Timetable change" in response.content.decode()

    def test_reassign_to_the_same_instructor_is_a_form_error(self, client, world):
        client.force_login(world["admin"])

        response = client.post(
            reverse("console:mentor_reassign", args=[world["student"].pk]),
            {"reassign-instructor": world["instructor"].pk},
        )

        assert response.status_code == 200
        assert response.context["reassign_form"].errors["instructor"] == [MSG_ALREADY_ASSIGNED]

    def test_unassign_keeps_history(self, client, world):
        student = world["student"]
        client.force_login(world["admin"])

        response = client.post(
            reverse("console:mentor_unassign", args=[student.pk]),
            {"unassign-reason": "Course finished"},
            follow=True,
        )

        assert response.redirect_chain == [(self.page(student), 302)]
        row = IndividualAssignment.objects.get(student=student)
        assert row.ended_at is not None
        assert row.end_reason == "Course finished"
        assert response.context["current"] is None
        assert response.context["history"] == [row]
        assert "Course finished" in response.content.decode()

    def test_unassign_without_an_assignment_is_a_form_error(self, client, admin):
        student = StudentFactory(full_name="Una Unassigned")
        client.force_login(admin)

        response = client.post(reverse("console:mentor_unassign", args=[student.pk]), {})

        assert response.status_code == 200
        assert response.context["unassign_form"].non_field_errors() == [
            "Una Unassigned has no assigned instructor"
        ]


# --- instructor pages ------------------------------------------------------------------------


class TestInstructorPages:
    def test_dashboard_lists_current_roles_and_mentee_summary(self, client, world):
        client.force_login(world["instructor"])

        response = client.get(reverse("instructor:dashboard"))

        html = response.content.decode()
        assert [r.batch for r in response.context["roles"]] == [world["batch"]]
        assert world["batch"].batch_code in html
        assert "German A1" in html
        assert "Monday 10:00–12:00" in html
        assert "Primary" in html
        assert "Sam Student" in html
        assert reverse("instructor:mentees") in html

    def test_the_mentee_summary_says_how_many_more_there_are(self, client, world, admin):
        """Six mentees without contact, five named: the sixth is "and 1 more", not dropped."""
        long_ago = dates.today() - dt.timedelta(days=40)
        for n in range(5):
            services.individual_assign(
                student=StudentFactory(full_name=f"Mentee {n}"),
                instructor=world["instructor"],
                assigned_by=admin,
            )
        IndividualAssignment.objects.filter(instructor=world["instructor"]).update(
            start_date=long_ago
        )
        client.force_login(world["instructor"])

        response = client.get(reverse("instructor:dashboard"))

        html = response.content.decode()
        assert "6 without contact" in html
        assert len(response.context["mentees_shown"]) == 5
        assert "and 1 more" in html
        assert f'href="{reverse("instructor:mentees")}" data-testid="more-mentees"' in html

    def test_stale_mentees_come_first_in_the_summary(self, client, world, admin):
        for n in range(5):
            services.individual_assign(
                student=StudentFactory(full_name=f"Aaron Fresh {n}"),
                instructor=world["instructor"],
                assigned_by=admin,
            )
        IndividualAssignment.objects.filter(pk=world["assignment"].pk).update(
            start_date=dates.today() - dt.timedelta(days=40)
        )
        client.force_login(world["instructor"])

        response = client.get(reverse("instructor:dashboard"))

        shown = [row.assignment.student.full_name for row in response.context["mentees_shown"]]
        assert shown[0] == "Sam Student"  # the one without contact, though last by name
        assert "and 1 more" in response.content.decode()

    def test_a_substitute_with_only_cover_duties_sees_them_in_the_timetable(self, client, world):
        substitute = InstructorFactory(full_name="Sue Substitute")
        start = dates.today() + dt.timedelta(days=7)
        SubstituteCoverFactory(
            batch=world["batch"],
            substitute=substitute,
            start_date=start,
            end_date=start + dt.timedelta(days=13),
        )
        client.force_login(substitute)

        response = client.get(reverse("instructor:dashboard"))

        html = response.content.decode()
        assert not response.context["timetable"].is_empty
        assert "No weekly sessions" not in html
        cover = f"cover {start:%Y-%m-%d} → {start + dt.timedelta(days=13):%Y-%m-%d}"
        assert f'<span class="badge text-bg-warning" data-cover>{cover}</span>' in html
        assert world["batch"].batch_code in html

    def test_dashboard_empty_state(self, client):
        client.force_login(InstructorFactory())

        html = client.get(reverse("instructor:dashboard")).content.decode()

        assert "No batches yet" in html

    def test_mentees_flag_stale_contact_and_link_to_log(self, client, world):
        assignment = world["assignment"]
        IndividualAssignment.objects.filter(pk=assignment.pk).update(
            start_date=dates.today() - dt.timedelta(days=20)
        )
        client.force_login(world["instructor"])

        response = client.get(reverse("instructor:mentees"))

        html = response.content.decode()
        assert "No contact for 20 days" in html
        assert reverse("instructor:session_log", args=[assignment.pk]) in html

    def test_mentees_list_only_the_instructors_own(self, client, world):
        client.force_login(world["other"])

        response = client.get(reverse("instructor:mentees"))

        assert response.context["rows"] == []
        assert "No mentees yet" in response.content.decode()


class TestSessionLog:
    def url(self, assignment):
        return reverse("instructor:session_log", args=[assignment.pk])

    def test_form_defaults_to_today(self, client, world):
        client.force_login(world["instructor"])

        response = client.get(self.url(world["assignment"]))

        assert dates.today().isoformat() in response.content.decode()

    def test_logs_a_session(self, client, world):
        assignment = world["assignment"]
        client.force_login(world["instructor"])

        response = client.post(
            self.url(assignment),
            {"session_date": dates.today().isoformat(), "duration_minutes": 45,
             "notes": "Went through the past tense"},
            follow=True,
        )  # fmt: skip

        assert response.redirect_chain == [(reverse("instructor:mentees"), 302)]
        session = MentoringSession.objects.get()
        assert (session.assignment, session.duration_minutes, session.logged_by) == (
            assignment,
            45,
            world["instructor"],
        )
        assert messages_of(response) == ["Session with Sam Student logged."]

    def test_future_date_is_a_form_error(self, client, world):
        client.force_login(world["instructor"])
        tomorrow = dates.today() + dt.timedelta(days=1)

        response = client.post(
            self.url(world["assignment"]),
            {"session_date": tomorrow.isoformat(), "duration_minutes": 30},
        )

        assert response.status_code == 200
        assert response.context["form"].errors["session_date"] == [
            "A session cannot be logged for a future date"
        ]
        assert not MentoringSession.objects.exists()

    def test_a_duration_the_model_refuses_is_a_form_error(self, client, world):
        client.force_login(world["instructor"])

        response = client.post(
            self.url(world["assignment"]),
            {"session_date": dates.today().isoformat(), "duration_minutes": 0},
        )

        assert response.status_code == 200
        assert response.context["form"].errors
        assert not MentoringSession.objects.exists()

    def test_an_ended_assignment_opens_but_the_service_refuses(self, client, world):
        services.individual_unassign(student=world["student"], ended_by=world["admin"])
        client.force_login(world["instructor"])

        response = client.post(
            self.url(world["assignment"]),
            {"session_date": dates.today().isoformat(), "duration_minutes": 30},
        )

        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [
            "This assignment has ended; sessions can only be logged while it is active"
        ]
        assert not MentoringSession.objects.exists()


# --- query counts ----------------------------------------------------------------------------
#
# Each page runs a fixed number of queries, the same for 3 and for 15 rows. Every count
# includes the two queries of the logged-in request itself (session, user).

SIZES = [3, 15]


def slot_number(i: int) -> Slot:
    """The i-th of distinct, non-overlapping weekly slots (7 days x 2-hour steps)."""
    hour = 8 + 2 * (i // 7)
    return slot(i % 7, f"{hour:02d}:00", f"{hour + 1:02d}:30")


@pytest.fixture
def many_trainers(admin, make_batch):
    """``n`` instructors, each teaching one batch with an enrolled student and mentoring one."""

    def build(n):
        for i in range(n):
            instructor = InstructorFactory()
            batch = make_batch(instructor=instructor, schedule=[slot_number(i)])
            student = StudentFactory()
            enrollment_create(student=student, course=batch.course, batch=batch)
            services.individual_assign(student=student, instructor=instructor, assigned_by=admin)

    return build


class TestQueryCounts:
    # session, user, count, page of trainers with their workload annotated, the course
    # filter's choices, current/upcoming leaves (none here: test_views_batch_form pins the
    # page with leaves to cover), stale-mentee counts, fill chart batches, mentor coverage
    # (students, current assignments); the attendance panel (attendance/panels.py): rates of
    # the page's trainers, the weekly trend, open at-risk episodes and stale mentees (the first
    # ten of each) and their two counts
    @pytest.mark.parametrize("n", SIZES)
    def test_dashboard(self, client, admin, many_trainers, django_assert_max_num_queries, n):
        many_trainers(n)
        client.force_login(admin)

        with django_assert_max_num_queries(16):
            response = client.get(reverse("console:dashboard"))
        assert len(response.context["workloads"]) == n
        with django_assert_max_num_queries(3):
            client.get(reverse("console:dashboard"), {"format": "csv"})

    # session, user, count, page of batches (course and instructor joined), the filter
    # form's course and instructor choices
    @pytest.mark.parametrize("n", SIZES)
    def test_batch_list(self, client, admin, many_trainers, django_assert_max_num_queries, n):
        many_trainers(n)
        client.force_login(admin)

        with django_assert_max_num_queries(6):
            response = client.get(reverse("console:batch_list"))
        assert len(response.context["page"].object_list) == n
        with django_assert_max_num_queries(3):
            client.get(reverse("console:batch_list"), {"format": "csv"})

    # session, user, count, page of students with their assignment, instructor choices
    @pytest.mark.parametrize("n", SIZES)
    def test_mentor_list(self, client, admin, many_trainers, django_assert_max_num_queries, n):
        many_trainers(n)
        client.force_login(admin)

        with django_assert_max_num_queries(5):
            response = client.get(reverse("console:mentor_list"))
        assert len(response.context["page"].object_list) == n
        with django_assert_max_num_queries(3):
            client.get(reverse("console:mentor_list"), {"format": "csv"})

    # session, user, batch, its current staff, the instructors with their profiles (also the
    # form's choices); the shared teaching context: the batch's slots, open-batch counts,
    # availability windows, leaves, roster entries, clashing taught slots, clashing covered
    # slots; the workloads of the page shown
    @pytest.mark.parametrize("n", SIZES)
    def test_batch_assign_instructor(
        self, client, admin, make_batch, django_assert_max_num_queries, n
    ):
        target = make_batch(
            instructor=InstructorFactory(), schedule=[slot(MONDAY, "10:00", "12:00")]
        )
        for i in range(n):  # every other instructor clashes with the target batch
            make_batch(
                instructor=InstructorFactory(),
                schedule=[
                    slot(MONDAY, "11:00", "12:30") if i % 2 else slot(TUESDAY, "10:00", "12:00")
                ],
            )
        client.force_login(admin)

        with django_assert_max_num_queries(13):
            response = client.get(reverse("console:batch_assign_instructor", args=[target.pk]))
        candidates = response.context["candidates"]
        assert len(candidates) == n + 1
        assert sum(bool(c.conflicts) for c in candidates) == n // 2
        assert ("with a schedule conflict", n // 2) in response.context["refusals"]

    # session, user, roles with batch and course, their slots and active rosters
    # (prefetches), covers of the instructor's absences, substitute duties (none here, so no
    # slot prefetch), mentoring report; the attendance panel: the instructor's rate, weekly
    # trend, their at-risk episodes and stale mentees (first ten of each) and two counts.
    # test_views_multi_trainer pins the page with covers and duties.
    @pytest.mark.parametrize("n", SIZES)
    def test_instructor_dashboard(
        self, client, admin, make_batch, django_assert_max_num_queries, n
    ):
        instructor = InstructorFactory()
        set_profile(instructor, max_active_batches=n)
        for i in range(n):
            make_batch(instructor=instructor, schedule=[slot_number(i)])
            services.individual_assign(
                student=StudentFactory(), instructor=instructor, assigned_by=admin
            )
        client.force_login(instructor)

        with django_assert_max_num_queries(14):
            response = client.get(reverse("instructor:dashboard"))
        assert len(response.context["roles"]) == n
        assert len(response.context["mentees"]) == n

    # session, user, mentoring report, the mentees' rating (feedback's tag)
    @pytest.mark.parametrize("n", SIZES)
    def test_mentees(self, client, admin, django_assert_max_num_queries, n):
        instructor = InstructorFactory()
        for _ in range(n):
            assignment = services.individual_assign(
                student=StudentFactory(), instructor=instructor, assigned_by=admin
            )
            services.mentoring_session_log(
                assignment=assignment,
                logged_by=instructor,
                session_date=dates.today(),
                duration_minutes=30,
            )
        client.force_login(instructor)

        with django_assert_max_num_queries(4):
            response = client.get(reverse("instructor:mentees"))
        assert len(response.context["rows"]) == n
