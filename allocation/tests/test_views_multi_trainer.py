"""The multi-trainer pages: courses and their rosters, the batch–trainer staffing matrix,
leave with substitute cover, batch notes, the instructor's substitute duties and availability.

Visitors: an admin (console pages), the course's trainers (instructor pages), and outsiders
(a student, an instructor who has nothing to do with the batch, anonymous). Data is arranged
through the services, so rosters, staffing rows and covers hold exactly as the pages expect.
"""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import InstructorFactory, StudentFactory
from allocation import services
from allocation.models import (
    BatchNote,
    BatchTrainer,
    CourseTrainer,
    RosterRole,
    StaffRole,
    SubstituteCover,
)
from allocation.selectors import StaffingMatrix
from allocation.services import Slot
from allocation.tests.factories import CourseFactory
from allocation.tests.view_support import END, START, set_profile, slot
from core import dates
from trainers.models import AvailabilityWindow, TrainerLeave
from trainers.services import leave_record

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY, WEDNESDAY = 0, 1, 2
# Upcoming batches in 2027; the leave is the second week, Monday to Friday.
LEAVE_START, LEAVE_END = dt.date(2027, 1, 11), dt.date(2027, 1, 15)


def slot_number(i: int) -> Slot:
    """The i-th of distinct, non-overlapping weekly slots (7 days x 2-hour steps)."""
    hour = 8 + 2 * (i // 7)
    return slot(i % 7, f"{hour:02d}:00", f"{hour + 1:02d}:30")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def team(admin, course, make_batch):
    """A course with a lead (40 %), a primary (30 %), a backup (10 %) and a substitute (0 %):
    80 % of the workload assigned. The primary teaches one batch on Monday and Wednesday
    10–12, backed up by the backup and supervised by the lead. Plus outsiders: an instructor
    not on the roster and a student."""
    people = {
        "lead": InstructorFactory(full_name="Lena Lead"),
        "primary": InstructorFactory(full_name="Ingrid Instructor"),
        "backup": InstructorFactory(full_name="Bert Backup"),
        "substitute": InstructorFactory(full_name="Sofia Sub"),
    }
    plan = [
        ("lead", RosterRole.LEAD, 40),
        ("primary", RosterRole.ASSISTANT, 30),
        ("backup", RosterRole.ASSISTANT, 10),
        ("substitute", RosterRole.SUBSTITUTE, 0),
    ]
    entries = {
        who: services.roster_add(
            course=course, trainer=people[who], role=role, workload_percent=percent
        )
        for who, role, percent in plan
    }
    batch = make_batch(
        instructor=people["primary"],
        schedule=[slot(MONDAY, "10:00", "12:00"), slot(WEDNESDAY, "10:00", "12:00")],
    )
    services.batch_staff_add(
        batch=batch, trainer=people["backup"], role=StaffRole.BACKUP, added_by=admin
    )
    services.batch_set_supervising_lead(batch=batch, lead=people["lead"])
    return {
        **people,
        "admin": admin,
        "course": course,
        "batch": batch,
        "entries": entries,
        "outsider": InstructorFactory(full_name="Otto Outsider"),
        "student": StudentFactory(full_name="Sam Student"),
    }


@pytest.fixture
def leave(team):
    """The primary's leave in the batch's second week: it hits Monday and Wednesday."""
    return leave_record(
        trainer=team["primary"],
        start_date=LEAVE_START,
        end_date=LEAVE_END,
        reason="Conference",
        created_by=team["admin"],
    )


def console_urls(t, leave):
    return [
        reverse("console:course_list"),
        reverse("console:course_detail", args=[t["course"].pk]),
        reverse("console:course_roster", args=[t["course"].pk]),
        reverse("console:roster_entry_edit", args=[t["entries"]["primary"].pk]),
        reverse("console:course_staffing", args=[t["course"].pk]),
        reverse("console:leave_list"),
        reverse("console:leave_detail", args=[leave.pk]),
    ]


def console_post_only_urls(t, leave):
    return [
        reverse("console:roster_entry_remove", args=[t["entries"]["substitute"].pk]),
        reverse("console:batch_supervising_lead", args=[t["batch"].pk]),
        reverse("console:cover_assign", args=[leave.pk]),
        reverse("console:batch_note_add", args=[t["batch"].pk]),
    ]


def instructor_urls(t):
    return [
        reverse("instructor:availability"),
        reverse("instructor:batch_notes", args=[t["batch"].pk]),
    ]


# --- access ---------------------------------------------------------------------------------


class TestAccess:
    def test_admin_opens_every_console_page(self, client, team, leave):
        client.force_login(team["admin"])
        for url in console_urls(team, leave):
            assert client.get(url).status_code == 200, url

    @pytest.mark.parametrize("who", ["student", "primary"])
    def test_others_are_refused_the_console(self, client, team, leave, who):
        client.force_login(team[who])
        for url in console_urls(team, leave):
            assert client.get(url).status_code == 403, url
        for url in console_urls(team, leave)[2:] + console_post_only_urls(team, leave):
            assert client.post(url, {}).status_code == 403, url
        assert CourseTrainer.objects.count() == 4
        assert not SubstituteCover.objects.exists()

    def test_instructor_opens_their_pages(self, client, team):
        client.force_login(team["primary"])
        for url in instructor_urls(team):
            assert client.get(url).status_code == 200, url

    @pytest.mark.parametrize("who", ["primary", "backup", "lead"])
    def test_the_batchs_trainers_and_lead_open_its_notes(self, client, team, who):
        client.force_login(team[who])

        assert (
            client.get(reverse("instructor:batch_notes", args=[team["batch"].pk])).status_code
            == 200
        )

    @pytest.mark.parametrize("who", ["outsider", "substitute"])
    def test_notes_are_404_for_an_unrelated_instructor(self, client, team, who):
        # The substitute is on the roster but neither staffs nor covers this batch.
        client.force_login(team[who])
        url = reverse("instructor:batch_notes", args=[team["batch"].pk])

        assert client.get(url).status_code == 404
        assert client.post(url, {"body": "Hello"}).status_code == 404
        assert not BatchNote.objects.exists()

    def test_missing_objects_are_404(self, client, team):
        client.force_login(team["admin"])
        for name in ("course_detail", "course_roster", "course_staffing", "leave_detail"):
            assert client.get(reverse(f"console:{name}", args=[999999])).status_code == 404, name
        assert client.get(reverse("console:roster_entry_edit", args=[999999])).status_code == 404


# --- courses --------------------------------------------------------------------------------


class TestCourses:
    def test_list_shows_each_courses_figures(self, client, team):
        CourseFactory(code="ENG-B2", title="English B2")
        client.force_login(team["admin"])

        response = client.get(reverse("console:course_list"))

        courses = {c.code: c for c in response.context["page"].object_list}
        german = courses["GER-A1"]
        assert (german.batch_count, german.open_batch_count) == (1, 1)
        assert (german.enrolled_total, german.capacity_total) == (0, 10)
        assert (german.roster_size, german.roster_workload) == (4, 80)
        assert courses["ENG-B2"].batch_count == 0
        html = response.content.decode()
        assert "4 trainers" in html
        assert "80% of 100%" in html
        assert reverse("console:course_detail", args=[team["course"].pk]) in html

    def test_detail_shows_batches_roster_and_workload_sum(self, client, team):
        client.force_login(team["admin"])

        response = client.get(reverse("console:course_detail", args=[team["course"].pk]))

        assert list(response.context["batches"]) == [team["batch"]]
        assert response.context["workload_total"] == 80
        roster = {
            entry.trainer: [r.role for r in roles] for entry, roles in response.context["roster"]
        }
        assert roster == {
            team["lead"]: [],
            team["primary"]: [StaffRole.PRIMARY],
            team["backup"]: [StaffRole.BACKUP],
            team["substitute"]: [],
        }
        html = response.content.decode()
        assert "Course overview" in html
        assert team["batch"].batch_code in html
        assert "Lena Lead" in html  # the supervising lead
        assert "80%" in html


# --- rosters --------------------------------------------------------------------------------


class TestRoster:
    def url(self, course):
        return reverse("console:course_roster", args=[course.pk])

    def test_adds_a_trainer(self, client, team):
        course = team["course"]
        client.force_login(team["admin"])

        response = client.post(
            self.url(course),
            {"trainer": team["outsider"].pk, "role": "assistant", "workload_percent": 20,
             "status": "active"},
            follow=True,
        )  # fmt: skip

        assert response.redirect_chain == [(self.url(course), 302)]
        assert messages_of(response) == [
            "Otto Outsider joined the roster of GER-A1 as assistant (20%)."
        ]
        entry = CourseTrainer.objects.get(course=course, trainer=team["outsider"])
        assert (entry.role, entry.workload_percent) == ("assistant", 20)
        assert response.context["workload_total"] == 100

    def test_a_workload_sum_above_100_is_a_form_error_naming_the_total(self, client, team):
        client.force_login(team["admin"])

        response = client.post(
            self.url(team["course"]),
            {"trainer": team["outsider"].pk, "role": "assistant", "workload_percent": 30,
             "status": "active"},
        )  # fmt: skip

        assert response.status_code == 200
        message = (
            "The active trainers of GER-A1 already have 80% of its workload; adding 30% would "
            "make 110% (at most 100%)"
        )
        assert response.context["add_form"].errors["workload_percent"] == [message]
        assert message in response.content.decode()
        assert not CourseTrainer.objects.filter(trainer=team["outsider"]).exists()

    def test_a_trainer_already_on_the_roster_is_a_form_error(self, client, team):
        client.force_login(team["admin"])

        response = client.post(
            self.url(team["course"]),
            {"trainer": team["backup"].pk, "role": "assistant", "workload_percent": 0,
             "status": "active"},
        )  # fmt: skip

        assert response.context["add_form"].errors["trainer"] == [
            "Bert Backup is already on the roster of GER-A1"
        ]

    def test_edits_an_entry(self, client, team):
        entry = team["entries"]["substitute"]
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:roster_entry_edit", args=[entry.pk]),
            {"role": "substitute", "workload_percent": 20, "status": "active"},
            follow=True,
        )

        assert response.redirect_chain == [(self.url(team["course"]), 302)]
        entry.refresh_from_db()
        assert entry.workload_percent == 20
        assert messages_of(response) == ["Roster entry of Sofia Sub in GER-A1 saved."]

    def test_an_edit_above_100_is_a_form_error(self, client, team):
        entry = team["entries"]["substitute"]
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:roster_entry_edit", args=[entry.pk]),
            {"role": "substitute", "workload_percent": 21, "status": "active"},
        )

        assert response.status_code == 200
        assert "would make 101%" in response.context["form"].errors["workload_percent"][0]
        entry.refresh_from_db()
        assert entry.workload_percent == 0

    def test_demoting_a_supervising_lead_is_a_form_error(self, client, team):
        entry = team["entries"]["lead"]
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:roster_entry_edit", args=[entry.pk]),
            {"role": "assistant", "workload_percent": 40, "status": "active"},
        )

        assert response.status_code == 200
        assert response.context["form"].errors["role"] == [
            "Lena Lead supervises 1 batch(es) of GER-A1 as lead; name another lead for them first"
        ]
        entry.refresh_from_db()
        assert entry.role == "lead"

    def test_removing_someone_who_staffs_an_open_batch_is_refused(self, client, team):
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:roster_entry_remove", args=[team["entries"]["backup"].pk]),
            follow=True,
        )

        assert response.redirect_chain == [(self.url(team["course"]), 302)]
        assert messages_of(response) == [
            "Bert Backup still staffs 1 open batch(es) of GER-A1; remove them from those "
            "batches first"
        ]
        assert "alert-danger" in response.content.decode()
        assert CourseTrainer.objects.filter(trainer=team["backup"]).exists()

    def test_removes_a_trainer(self, client, team):
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:roster_entry_remove", args=[team["entries"]["substitute"].pk]),
            follow=True,
        )

        assert messages_of(response) == ["Sofia Sub is no longer on the roster of GER-A1."]
        assert not CourseTrainer.objects.filter(trainer=team["substitute"]).exists()


# --- staffing -------------------------------------------------------------------------------


class TestStaffing:
    def url(self, course):
        return reverse("console:course_staffing", args=[course.pk])

    def post(self, client, t, who, action):
        return client.post(
            self.url(t["course"]),
            {"batch": t["batch"].pk, "trainer": t[who].pk, "action": action},
            follow=True,
        )

    def test_shows_roles_clashes_and_caps(self, client, team, make_batch):
        # A second batch that clashes with the first on Monday, taught by the lead, with the
        # primary as assistant: saved directly, as data from before the rules would be.
        other = make_batch(
            instructor=team["lead"], batch_name="Clash", schedule=[slot(MONDAY, "11:00", "13:00")]
        )
        BatchTrainer.objects.create(batch=other, trainer=team["primary"], role=StaffRole.ASSISTANT)
        set_profile(team["lead"], max_active_batches=1)
        client.force_login(team["admin"])

        response = client.get(self.url(team["course"]))

        matrix = response.context["matrix"]
        assert isinstance(matrix, StaffingMatrix)
        batch, entries = team["batch"], {e.trainer: e for e in matrix.trainers}
        assert matrix.cell(batch, entries[team["primary"]]).role == StaffRole.PRIMARY
        assert matrix.cell(batch, entries[team["primary"]]).conflict
        assert matrix.cell(batch, entries[team["backup"]]).role == StaffRole.BACKUP
        assert matrix.cell(other, entries[team["lead"]]).role == StaffRole.PRIMARY
        html = response.content.decode()
        assert "table-danger" in html
        assert "At cap" in html  # the lead: 1 of 1

    def test_adds_a_backup(self, client, team):
        response = self.login_and(client, team, "substitute", StaffRole.BACKUP)

        assert response.redirect_chain == [(self.url(team["course"]), 302)]
        assert messages_of(response) == [f"Sofia Sub is now backup of {team['batch'].batch_code}."]
        assert BatchTrainer.objects.filter(
            batch=team["batch"], trainer=team["substitute"], role="backup", ended_at=None
        ).exists()

    def test_a_trainer_not_on_the_roster_is_refused(self, client, team):
        response = self.login_and(client, team, "outsider", StaffRole.ASSISTANT)

        assert response.status_code == 200
        message = "Otto Outsider is not on the roster of GER-A1; add them to the course first"
        assert response.context["staffing_form"].errors["trainer"] == [message]
        assert message in response.content.decode()
        assert not BatchTrainer.objects.filter(trainer=team["outsider"]).exists()

    def test_removes_a_backup_keeping_history(self, client, team):
        response = self.login_and(client, team, "backup", "remove")

        assert messages_of(response) == [
            f"Bert Backup no longer staffs {team['batch'].batch_code}."
        ]
        row = BatchTrainer.objects.get(trainer=team["backup"])
        assert row.ended_at is not None

    def test_removing_the_primary_is_a_form_error(self, client, team):
        response = self.login_and(client, team, "primary", "remove")

        assert response.context["staffing_form"].errors["trainer"] == [
            f"Ingrid Instructor is the primary of {team['batch'].batch_code}; assign another "
            "primary instead"
        ]

    def test_makes_another_trainer_primary(self, client, team):
        response = self.login_and(client, team, "backup", StaffRole.PRIMARY)

        team["batch"].refresh_from_db()
        assert team["batch"].assigned_instructor == team["backup"]
        assert messages_of(response) == [
            f"Bert Backup is now the primary of {team['batch'].batch_code}."
        ]

    def login_and(self, client, t, who, action):
        client.force_login(t["admin"])
        return self.post(client, t, who, action)

    def test_a_supervising_lead_who_is_not_a_lead_is_refused(self, client, team):
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:batch_supervising_lead", args=[team["batch"].pk]),
            {"lead": team["primary"].pk},
        )

        assert response.status_code == 200
        message = "Ingrid Instructor is not an active lead of GER-A1"
        assert response.context["lead_form"].errors["lead"] == [message]
        assert message in response.content.decode()
        team["batch"].refresh_from_db()
        assert team["batch"].supervising_lead == team["lead"]

    def test_clears_the_supervising_lead(self, client, team):
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:batch_supervising_lead", args=[team["batch"].pk]),
            {"lead": ""},
            follow=True,
        )

        assert response.redirect_chain == [(self.url(team["course"]), 302)]
        team["batch"].refresh_from_db()
        assert team["batch"].supervising_lead is None


# --- leave and cover ------------------------------------------------------------------------


class TestLeave:
    def test_records_a_leave_and_opens_its_page(self, client, team):
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:leave_list"),
            {"trainer": team["primary"].pk, "start_date": "2027-01-11",
             "end_date": "2027-01-15", "reason": "Conference"},
            follow=True,
        )  # fmt: skip

        leave = TrainerLeave.objects.get()
        assert response.redirect_chain == [(reverse("console:leave_detail", args=[leave.pk]), 302)]
        assert (leave.trainer, leave.created_by, leave.reason) == (
            team["primary"],
            team["admin"],
            "Conference",
        )
        assert len(response.context["sessions"]) == 2

    def test_an_end_before_the_start_is_a_form_error(self, client, team):
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:leave_list"),
            {"trainer": team["primary"].pk, "start_date": "2027-01-15", "end_date": "2027-01-11"},
        )

        assert response.status_code == 200
        assert response.context["form"].errors["end_date"] == [
            "The leave must end on or after its first day"
        ]
        assert not TrainerLeave.objects.exists()

    def test_an_overlapping_leave_is_a_form_error(self, client, team, leave):
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:leave_list"),
            {"trainer": team["primary"].pk, "start_date": "2027-01-14", "end_date": "2027-01-20"},
        )

        assert "which overlaps these dates" in response.context["form"].errors["start_date"][0]

    def test_list_shows_each_leave(self, client, team, leave):
        client.force_login(team["admin"])

        response = client.get(reverse("console:leave_list"))

        assert list(response.context["page"].object_list) == [leave]
        html = response.content.decode()
        assert "Ingrid Instructor" in html
        assert "Conference" in html
        assert reverse("console:leave_detail", args=[leave.pk]) in html

    def test_detail_lists_sessions_and_ranks_the_backup_first(self, client, team, leave):
        client.force_login(team["admin"])

        response = client.get(reverse("console:leave_detail", args=[leave.pk]))

        sessions = response.context["sessions"]
        assert [(s.date, s.when, s.covered) for s in sessions] == [
            (dt.date(2027, 1, 11), "Monday 2027-01-11 10:00–12:00 (UTC)", False),
            (dt.date(2027, 1, 13), "Wednesday 2027-01-13 10:00–12:00 (UTC)", False),
        ]
        [item] = response.context["plan"]
        assert (item.batch, item.start_date, item.end_date) == (
            team["batch"],
            dt.date(2027, 1, 11),
            dt.date(2027, 1, 13),
        )
        ranked = [(c.trainer, c.why, c.eligible) for c in item.candidates]
        assert ranked == [
            (team["backup"], "backup of this batch", True),
            (team["substitute"], "substitute on the course roster", True),
            (team["lead"], "lead on the course roster", True),
        ]
        html = response.content.decode()
        assert html.count("Uncovered") == 2
        assert "Backup of this batch" in html
        # One form: a choice of the eligible candidates (the first chosen) and both sessions.
        assert html.count("Assign cover") == 1
        assert html.count('name="substitute"') == 3
        assert html.count('name="sessions"') == 2

    def test_assigns_a_cover(self, client, team, leave):
        client.force_login(team["admin"])
        url = reverse("console:leave_detail", args=[leave.pk])

        response = client.post(
            reverse("console:cover_assign", args=[leave.pk]),
            {"batch": team["batch"].pk, "substitute": team["backup"].pk,
             "sessions": [s.pk for s in team["batch"].sessions.filter(
                 start_at__date__range=(LEAVE_START, LEAVE_END))]},
            follow=True,
        )  # fmt: skip

        assert response.redirect_chain == [(url, 302)]
        cover = SubstituteCover.objects.get()
        assert (cover.batch, cover.absent_trainer, cover.substitute, cover.assigned_by) == (
            team["batch"],
            team["primary"],
            team["backup"],
            team["admin"],
        )
        assert (cover.start_date, cover.end_date) == (dt.date(2027, 1, 11), dt.date(2027, 1, 13))
        assert messages_of(response) == [
            f"Bert Backup covers 2 sessions of {team['batch'].batch_code} for Ingrid Instructor "
            "from 2027-01-11 to 2027-01-13."
        ]
        assert all(s.covered for s in response.context["sessions"])
        assert response.context["plan"][0].candidates == []
        html = response.content.decode()
        assert "Covered by Bert Backup" in html
        assert "Assign cover" not in html

    def test_a_clashing_cover_shows_the_conflict(self, client, team, leave, make_batch):
        other = make_batch(
            instructor=team["substitute"],
            batch_name="Busy",
            schedule=[slot(MONDAY, "09:00", "10:30")],
        )
        conflict = (
            f"Schedule conflict: Sofia Sub already teaches {other.batch_code} (Busy) on "
            "Monday 2027-01-11 09:00–10:30 (UTC), which overlaps Monday 2027-01-11 10:00–12:00 "
            "(UTC)"
        )
        client.force_login(team["admin"])

        page = client.get(reverse("console:leave_detail", args=[leave.pk]))
        response = client.post(
            reverse("console:cover_assign", args=[leave.pk]),
            {"batch": team["batch"].pk, "substitute": team["substitute"].pk,
             "sessions": [s.pk for s in team["batch"].sessions.filter(
                 start_at__date__range=(LEAVE_START, LEAVE_END))]},
            follow=True,
        )  # fmt: skip

        # The page predicts the refusal; the service gives it.
        candidates = {c.trainer: c for c in page.context["plan"][0].candidates}
        assert candidates[team["substitute"]].refusal == conflict
        assert list(candidates)[-1] == team["substitute"]  # the refused come last
        assert messages_of(response) == [conflict]
        assert conflict in response.content.decode()
        assert not SubstituteCover.objects.exists()

    def test_a_partly_covered_batch_proposes_the_remaining_sessions(self, client, team, leave):
        services.substitute_assign(
            batch=team["batch"],
            absent_trainer=team["primary"],
            substitute=team["backup"],
            start_date=LEAVE_START,
            end_date=LEAVE_START,
            assigned_by=team["admin"],
        )
        client.force_login(team["admin"])

        response = client.get(reverse("console:leave_detail", args=[leave.pk]))

        [item] = response.context["plan"]
        assert item.uncovered_count == 1
        assert (item.start_date, item.end_date) == (dt.date(2027, 1, 13), dt.date(2027, 1, 13))
        assert "1 uncovered" in response.content.decode()

    def test_an_invalid_cover_post_is_an_error_message(self, client, team, leave):
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:cover_assign", args=[leave.pk]),
            {"batch": team["batch"].pk, "substitute": team["student"].pk},
            follow=True,
        )

        assert response.redirect_chain == [(reverse("console:leave_detail", args=[leave.pk]), 302)]
        assert messages_of(response)
        assert not SubstituteCover.objects.exists()


# --- batch notes ----------------------------------------------------------------------------


class TestBatchNotes:
    def test_admin_posts_on_the_console_batch_page(self, client, team):
        batch = team["batch"]
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:batch_note_add", args=[batch.pk]),
            {"body": "Room changed to B12"},
            follow=True,
        )

        assert response.redirect_chain == [
            (reverse("console:batch_detail", args=[batch.pk]) + "#notes", 302)
        ]
        note = BatchNote.objects.get()
        assert (note.batch, note.author, note.body) == (batch, team["admin"], "Room changed to B12")
        assert list(response.context["notes"]) == [note]
        html = response.content.decode()
        assert "Room changed to B12" in html
        assert "Ada Admin" in html

    def test_an_empty_note_on_the_console_is_a_form_error(self, client, team):
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:batch_note_add", args=[team["batch"].pk]), {"body": "   "}
        )

        assert response.status_code == 200
        assert response.context["note_form"].errors["body"]
        assert not BatchNote.objects.exists()

    def test_a_trainer_posts_and_sees_author_and_time(self, client, team):
        batch = team["batch"]
        services.batch_note_add(batch=batch, author=team["lead"], body="Week 1 went well")
        client.force_login(team["primary"])
        url = reverse("instructor:batch_notes", args=[batch.pk])

        response = client.post(url, {"body": "Started chapter 3"}, follow=True)

        assert response.redirect_chain == [(url, 302)]
        assert messages_of(response) == ["Note posted."]
        notes = list(response.context["notes"])
        assert [(n.author, n.body) for n in notes] == [
            (team["lead"], "Week 1 went well"),
            (team["primary"], "Started chapter 3"),
        ]
        html = response.content.decode()
        assert "Lena Lead" in html
        assert "Ingrid Instructor" in html
        assert f"{notes[1].created_at:%Y-%m-%d}" in html

    def test_a_substitute_who_covers_the_batch_may_post(self, client, team, leave):
        services.substitute_assign(
            batch=team["batch"],
            absent_trainer=team["primary"],
            substitute=team["substitute"],
            start_date=LEAVE_START,
            end_date=LEAVE_END,
            assigned_by=team["admin"],
        )
        client.force_login(team["substitute"])

        client.post(
            reverse("instructor:batch_notes", args=[team["batch"].pk]), {"body": "Covered Monday"}
        )

        assert BatchNote.objects.get().author == team["substitute"]


# --- instructor dashboard -------------------------------------------------------------------


class TestInstructorDashboard:
    @pytest.fixture
    def cover(self, team, leave):
        return services.substitute_assign(
            batch=team["batch"],
            absent_trainer=team["primary"],
            substitute=team["backup"],
            start_date=LEAVE_START,
            end_date=LEAVE_END,
            assigned_by=team["admin"],
        )

    def test_shows_upcoming_substitute_duties(self, client, team, cover):
        client.force_login(team["backup"])

        response = client.get(reverse("instructor:dashboard"))

        assert list(response.context["duties"]) == [cover]
        html = response.content.decode()
        assert "Upcoming substitute duties" in html
        assert "2027-01-11 → 2027-01-15" in html
        assert "Ingrid Instructor" in html  # the absent trainer
        assert "Monday 10:00–12:00" in html
        assert reverse("instructor:batch_notes", args=[team["batch"].pk]) in html

    def test_shows_who_covers_the_instructors_absence(self, client, team, cover):
        client.force_login(team["primary"])

        response = client.get(reverse("instructor:dashboard"))

        assert response.context["covered"] == [cover]
        html = response.content.decode()
        assert "covered by Bert Backup from 2027-01-11 to 2027-01-15" in html
        assert "No substitute duties coming up" in html
        assert reverse("instructor:batch_notes", args=[team["batch"].pk]) in html

    def test_past_covers_are_not_shown(self, client, team, cover):
        SubstituteCover.objects.filter(pk=cover.pk).update(
            start_date=dates.today() - dt.timedelta(days=9),
            end_date=dates.today() - dt.timedelta(days=1),
        )
        client.force_login(team["primary"])

        response = client.get(reverse("instructor:dashboard"))

        assert response.context["covered"] == []
        assert "covered by" not in response.content.decode()


# --- availability ---------------------------------------------------------------------------


def availability_data(*rows, initial=0):
    """Formset POST data: each row (day, start, end[, delete])."""
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(initial),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, (day, start, end, *delete) in enumerate(rows):
        data |= {f"form-{i}-day": day, f"form-{i}-start_time": start, f"form-{i}-end_time": end}
        if delete:
            data[f"form-{i}-DELETE"] = "on"
    return data


class TestAvailability:
    def test_starts_always_available(self, client, team):
        client.force_login(team["primary"])

        response = client.get(reverse("instructor:availability"))

        assert "Always available" in response.content.decode()
        assert response.context["windows"] == []

    def test_sets_windows(self, client, team):
        client.force_login(team["primary"])

        response = client.post(
            reverse("instructor:availability"),
            availability_data(("0", "09:00", "17:00"), ("2", "08:00", "12:00"), ("", "", "")),
            follow=True,
        )

        assert response.redirect_chain == [(reverse("instructor:availability"), 302)]
        assert messages_of(response) == ["Availability saved: 2 weekly windows."]
        windows = AvailabilityWindow.objects.filter(trainer=team["primary"])
        assert sorted((w.day, w.start_time, w.end_time) for w in windows) == [
            (0, dt.time(9), dt.time(17)),
            (2, dt.time(8), dt.time(12)),
        ]
        html = response.content.decode()
        assert "Monday 09:00–17:00" in html
        assert "Wednesday 08:00–12:00" in html

    def test_an_end_before_the_start_is_a_form_error(self, client, team):
        AvailabilityWindow.objects.create(
            trainer=team["primary"], day=4, start_time=dt.time(9), end_time=dt.time(12)
        )
        client.force_login(team["primary"])

        response = client.post(
            reverse("instructor:availability"), availability_data(("0", "17:00", "09:00"))
        )

        assert response.status_code == 200
        assert response.context["formset"].non_form_errors() == [
            "An availability window must end after it starts"
        ]
        assert "An availability window must end after it starts" in response.content.decode()
        # Nothing changed.
        assert list(AvailabilityWindow.objects.values_list("day", flat=True)) == [4]

    def test_a_row_without_a_day_is_a_form_error(self, client, team):
        client.force_login(team["primary"])

        response = client.post(
            reverse("instructor:availability"), availability_data(("", "09:00", "12:00"))
        )

        assert response.status_code == 200
        assert response.context["formset"].forms[0].errors["day"]
        assert not AvailabilityWindow.objects.exists()

    def test_deleting_every_window_means_always_available(self, client, team):
        AvailabilityWindow.objects.create(
            trainer=team["primary"], day=4, start_time=dt.time(9), end_time=dt.time(12)
        )
        client.force_login(team["primary"])

        response = client.post(
            reverse("instructor:availability"),
            availability_data(("4", "09:00", "12:00", "delete"), ("", "", ""), initial=1),
            follow=True,
        )

        assert messages_of(response) == ["Availability cleared: you are available at any time."]
        assert not AvailabilityWindow.objects.exists()
        assert "Always available" in response.content.decode()

    def test_the_windows_apply_to_new_staffing(self, client, team):
        """What the page saves is what the staffing services check."""
        client.force_login(team["substitute"])
        client.post(reverse("instructor:availability"), availability_data(("1", "09:00", "17:00")))
        client.force_login(team["admin"])

        response = client.post(
            reverse("console:course_staffing", args=[team["course"].pk]),
            {"batch": team["batch"].pk, "trainer": team["substitute"].pk, "action": "assistant"},
        )

        assert response.context["staffing_form"].non_field_errors() == [
            "Sofia Sub is not available on Monday 10:00–12:00 (outside their declared availability)"
        ]


# --- query counts ----------------------------------------------------------------------------
#
# Each page runs a fixed number of queries, the same bound for 3 and for 15 rows. Every count
# includes the two queries of the logged-in request itself (session, user).

SIZES = [3, 15]


@pytest.fixture
def staffed_course(admin, course, make_batch):
    """``n`` batches of the course, each with its own primary and the lead as backup and
    supervising lead, so roster and matrix grow with ``n``."""

    def build(n):
        lead = InstructorFactory()
        services.roster_add(course=course, trainer=lead, role=RosterRole.LEAD)
        for i in range(n):
            batch = make_batch(instructor=InstructorFactory(), schedule=[slot_number(i)])
            services.batch_staff_add(
                batch=batch, trainer=lead, role=StaffRole.BACKUP, added_by=admin
            )
            services.batch_set_supervising_lead(batch=batch, lead=lead)
        return course

    return build


class TestQueryCounts:
    # session, user, count, page of courses with their figures annotated
    @pytest.mark.parametrize("n", SIZES)
    def test_course_list(self, client, admin, django_assert_max_num_queries, n):
        for i in range(n):
            course = CourseFactory()
            services.roster_add(course=course, trainer=InstructorFactory(), workload_percent=10)
            services.batch_create(
                course=course, batch_name=f"Batch {i}", start_date=START, end_date=END,
                capacity=5, assigned_instructor=InstructorFactory(), created_by=admin,
                schedule=[slot_number(i)],
            )  # fmt: skip
        client.force_login(admin)

        with django_assert_max_num_queries(4):
            response = client.get(reverse("console:course_list"))
        assert len(response.context["page"].object_list) == n

    # session, user, course with figures, batches with primary and lead, roster entries,
    # their roles on the course's batches
    @pytest.mark.parametrize("n", SIZES)
    def test_course_detail(self, client, admin, staffed_course, django_assert_max_num_queries, n):
        course = staffed_course(n)
        client.force_login(admin)

        with django_assert_max_num_queries(6):
            response = client.get(reverse("console:course_detail", args=[course.pk]))
        assert len(response.context["roster"]) == n + 1

    # session, user, course with figures; the matrix: batches, their slots, roster entries,
    # staffing rows, workloads; the form's batch and trainer choices
    @pytest.mark.parametrize("n", SIZES)
    def test_course_staffing(self, client, admin, staffed_course, django_assert_max_num_queries, n):
        course = staffed_course(n)
        client.force_login(admin)

        with django_assert_max_num_queries(10):
            response = client.get(reverse("console:course_staffing", args=[course.pk]))
        matrix = response.context["matrix"]
        assert (len(matrix.batches), len(matrix.trainers)) == (n, n + 1)

    # session, user, course with figures, roster entries, their roles; the add form's
    # instructor choices
    @pytest.mark.parametrize("n", SIZES)
    def test_course_roster(self, client, admin, staffed_course, django_assert_max_num_queries, n):
        course = staffed_course(n)
        client.force_login(admin)

        with django_assert_max_num_queries(6):
            response = client.get(reverse("console:course_roster", args=[course.pk]))
        assert len(response.context["rows"]) == n + 1

    # session, user, count, page of leaves with trainer and recorder, the form's instructor
    # choices
    @pytest.mark.parametrize("n", SIZES)
    def test_leave_list(self, client, admin, django_assert_max_num_queries, n):
        for _ in range(n):
            leave_record(
                trainer=InstructorFactory(),
                start_date=LEAVE_START,
                end_date=LEAVE_END,
                created_by=admin,
            )
        client.force_login(admin)

        with django_assert_max_num_queries(5):
            response = client.get(reverse("console:leave_list"))
        assert len(response.context["page"].object_list) == n

    # session, user, leave with trainer; affected sessions: roles with batch and course,
    # their slots, covers. Then for all batches still to cover at once, whatever their
    # number and the roster's size: rosters, backups; the teaching contexts: open teaching
    # roles, availability, leaves, roster entries, taught duties, covered duties.
    @pytest.mark.parametrize(("n", "batch_count"), [(3, 1), (15, 4)])
    def test_leave_detail(
        self, client, admin, course, make_batch, django_assert_max_num_queries, n, batch_count
    ):
        absent = InstructorFactory()
        batches = [
            make_batch(instructor=absent, schedule=[slot_number(i)]) for i in range(batch_count)
        ]
        for i in range(n):  # candidates: on the roster, every other one a backup
            trainer = InstructorFactory()
            services.roster_add(course=course, trainer=trainer, role=RosterRole.SUBSTITUTE)
            if i % 2:
                services.batch_staff_add(
                    batch=batches[i % batch_count],
                    trainer=trainer,
                    role=StaffRole.BACKUP,
                    added_by=admin,
                )
        leave = leave_record(
            trainer=absent, start_date=START, end_date=START + dt.timedelta(days=13),
            created_by=admin,
        )  # fmt: skip
        client.force_login(admin)

        with django_assert_max_num_queries(14):
            response = client.get(reverse("console:leave_detail", args=[leave.pk]))
        plan = response.context["plan"]
        assert [len(item.candidates) for item in plan] == [n] * batch_count
        assert len(response.context["sessions"]) == 2 * batch_count

    # session, user, roles with batch and course, their slots, their active rosters, covers
    # of the instructor's absences, substitute duties, their slots, mentoring report
    @pytest.mark.parametrize("n", SIZES)
    def test_instructor_dashboard(
        self, client, admin, course, make_batch, django_assert_max_num_queries, n
    ):
        me = InstructorFactory()
        set_profile(me, max_active_batches=2 * n + 1)
        for i in range(n):
            mine = make_batch(instructor=me, schedule=[slot_number(i)])
            other = InstructorFactory()
            theirs = make_batch(instructor=other, schedule=[slot_number(n + i)])
            for batch, absent, substitute in ((mine, me, other), (theirs, other, me)):
                services.substitute_assign(  # a whole week: every weekday has a session
                    batch=batch, absent_trainer=absent, substitute=substitute,
                    start_date=LEAVE_START, end_date=LEAVE_START + dt.timedelta(days=6),
                    assigned_by=admin,
                )  # fmt: skip
        client.force_login(me)

        # + 6: the attendance panel (rate, trend, at-risk episodes and stale mentees, counts)
        with django_assert_max_num_queries(9 + 6):
            response = client.get(reverse("instructor:dashboard"))
        assert len(response.context["roles"]) == n
        assert len(response.context["covered"]) == n
        assert len(response.context["duties"]) == n
