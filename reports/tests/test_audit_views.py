"""The audit pages: the filterable log (and its CSV), a student's history, the batch page's
History card, the links to them, and simple-history's views in the Django admin."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation import services
from allocation.models import Batch, BatchTrainer
from allocation.tests.factories import CourseFactory
from allocation.tests.view_support import slot
from core import dates
from enrollments.models import Enrollment
from enrollments.services import enrollment_cancel, enrollment_create
from reports.templatetags.audit_tags import BATCH_PAGE_ENTRIES
from reports.tests.audit_support import ROWS_PER_ROUND, every_kind_of_change
from tests.support import csv_text

pytestmark = pytest.mark.django_db

LOG = reverse("audit:log")


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_text(response))))


@pytest.fixture
def ingrid():
    return InstructorFactory(full_name="Ingrid Instructor")


@pytest.fixture
def batch(make_batch, ingrid):
    return make_batch(
        instructor=ingrid, batch_code="GER-A1-01", schedule=[slot(0, "10:00", "12:00")]
    )


@pytest.fixture
def changed(client, admin, batch):
    """The batch's capacity raised from 10 to 25 (a direct service call: no acting user);
    Sam enrolled, then cancelled by Bea Boss on the enrollment page (a request: she is the
    acting user). The client is left logged in as the admin."""
    services.batch_update(batch=batch, capacity=25, updated_by=admin)
    student = StudentFactory(full_name="Sam Student")
    enrollment = enrollment_create(student=student, course=batch.course, batch=batch)
    other_admin = AdminFactory(full_name="Bea Boss")
    client.force_login(other_admin)
    assert client.post(reverse("enroll:cancel", args=[enrollment.pk])).status_code == 302
    client.force_login(admin)
    return {"student": student, "enrollment": enrollment, "other_admin": other_admin}


# --- the log -------------------------------------------------------------------------------------


class TestLog:
    def test_lists_every_change_newest_first_with_before_and_after(self, client, changed):
        response = client.get(LOG)

        assert response.status_code == 200
        entries = response.context["entries"]
        assert entries[0].model_key == "enrollment" and entries[0].action == "changed"
        assert [e.when for e in entries] == sorted((e.when for e in entries), reverse=True)
        html = response.content.decode()
        assert "Bea Boss" in html  # who cancelled
        assert "capacity:" in html
        assert '<del class="text-body-secondary">10</del> → 25' in html
        assert '<del class="text-body-secondary">Active</del> → Cancelled' in html
        assert reverse("audit:student", args=[changed["student"].pk]) in html

    def test_filters_by_user(self, client, changed):
        response = client.get(LOG, {"user": changed["other_admin"].pk})

        assert [(e.model_key, e.action) for e in response.context["entries"]] == [
            ("enrollment", "changed")
        ]
        assert response.context["entries"][0].user == changed["other_admin"]
        # Typed as an email in the "Changed by" box (any case): the same entries.
        by_email = client.get(LOG, {"user": changed["other_admin"].email.upper()})
        assert [e.history_id for e in by_email.context["entries"]] == [
            e.history_id for e in response.context["entries"]
        ]
        assert 'type="text" name="user"' in by_email.content.decode()

    def test_filters_by_object_type_and_change(self, client, changed, batch):
        response = client.get(LOG, {"model": "batch"})
        entries = response.context["entries"]
        assert {e.model_key for e in entries} == {"batch"}
        assert [e.action for e in entries] == ["changed", "created"]

        response = client.get(LOG, {"model": "batch", "action": "~"})
        [entry] = response.context["entries"]
        assert [(c.field, c.before, c.after) for c in entry.changes] == [("capacity", "10", "25")]

    def test_filters_by_date(self, client, changed, batch):
        Batch.history.filter(id=batch.pk).update(history_date=timezone.now() - dt.timedelta(days=3))
        today = dates.today()

        recent = client.get(LOG, {"date_from": today.isoformat()}).context["entries"]
        assert "batch" not in {e.model_key for e in recent}
        assert recent  # the slot, staffing, roster and enrollment rows of today
        old = client.get(LOG, {"date_to": (today - dt.timedelta(days=1)).isoformat()})
        assert {e.model_key for e in old.context["entries"]} == {"batch"}
        window = {
            "date_from": (today - dt.timedelta(days=3)).isoformat(),
            "date_to": (today - dt.timedelta(days=3)).isoformat(),
        }
        assert len(client.get(LOG, window).context["entries"]) == 2

    def test_scoped_to_a_batch_from_its_page(self, client, changed, batch, make_batch):
        make_batch(instructor=InstructorFactory(), batch_code="GER-A1-09")

        response = client.get(LOG, {"batch": batch.pk})

        keys = {(e.model_key, e.object_id) for e in response.context["entries"]}
        assert ("batch", batch.pk) in keys
        assert ("enrollment", changed["enrollment"].pk) in keys
        assert not any("GER-A1-09" in e.summary for e in response.context["entries"])
        assert "Changes about batch" in response.content.decode()

    def test_invalid_filters_are_shown_and_not_applied(self, client, changed):
        bad = {"model": "nonsense", "user": "999999", "date_to": "2027-01-01", "batch": "x"}
        response = client.get(LOG, {"date_from": "2027-02-01", **bad})

        assert response.status_code == 200
        form = response.context["form"]
        assert set(form.errors) == {"model", "user", "date_to", "batch"}
        # Only the valid date_from applies: nothing changed after 2027-02-01.
        assert response.context["entries"] == []

    def test_csv_has_every_filtered_change_with_its_values(self, client, changed, batch):
        response = client.get(LOG, {"format": "csv", "model": "batch"})

        assert response["Content-Type"].startswith("text/csv")
        assert "audit-log.csv" in response["Content-Disposition"]
        header, *rows = csv_rows(response)
        assert header[:5] == ["When", "User", "User email", "Action", "Object type"]
        assert [(r[3], r[4], r[5], r[6], r[7]) for r in rows][0] == (
            "Changed",
            "Batch",
            str(batch.pk),
            "GER-A1-01 · Morning group",
            "capacity: 10 → 25",
        )
        assert rows[1][3] == "Created"
        assert "capacity: 10" in rows[1][7]

    def test_csv_cells_cannot_start_a_spreadsheet_formula(self, client, batch):
        enrollment = enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
        client.force_login(AdminFactory(full_name="=HYPERLINK(1)"))
        client.post(reverse("enroll:cancel", args=[enrollment.pk]))

        rows = csv_rows(client.get(LOG, {"format": "csv", "model": "enrollment", "action": "~"}))

        assert rows[1][1] == "'=HYPERLINK(1)"

    def test_paginated(self, client, admin, make_batch):
        every_kind_of_change(make_batch, admin, 3)
        client.force_login(admin)

        first = client.get(LOG)
        second = client.get(LOG, {"page": 2})

        assert first.context["page"].paginator.count == 3 * ROWS_PER_ROUND
        assert len(first.context["entries"]) == 25
        assert len(second.context["entries"]) == 3 * ROWS_PER_ROUND - 25
        ids = {e.history_id for e in first.context["entries"]} & {
            e.history_id for e in second.context["entries"]
        }
        assert not ids or all(  # history ids repeat across tables, never a (table, id) pair
            (a.model_key, a.history_id) != (b.model_key, b.history_id)
            for a in first.context["entries"]
            for b in second.context["entries"]
        )

    def test_get_only(self, client, admin):
        client.force_login(admin)
        assert client.post(LOG).status_code == 405


# --- a student's history -------------------------------------------------------------------------


class TestStudentHistory:
    def test_shows_the_students_enrollments_assignments_and_waitlist(
        self, client, admin, changed, ingrid
    ):
        student = changed["student"]
        services.individual_assign(student=student, instructor=ingrid, assigned_by=admin)
        enrollment_create(student=StudentFactory(), course=CourseFactory(), batch=None)

        response = client.get(reverse("audit:student", args=[student.pk]))

        assert response.status_code == 200
        found = [(e.model_key, e.action) for e in response.context["entries"]]
        assert found == [
            ("individualassignment", "created"),
            ("enrollment", "changed"),
            ("enrollment", "created"),
        ]
        html = response.content.decode()
        assert "Ingrid Instructor → Sam Student (mentor)" in html
        assert reverse("console:mentor_assign", args=[student.pk]) in html

    def test_csv(self, client, changed):
        student = changed["student"]
        response = client.get(reverse("audit:student", args=[student.pk]), {"format": "csv"})
        header, *rows = csv_rows(response)
        assert [(r[3], r[4]) for r in rows] == [
            ("Changed", "Enrollment"),
            ("Created", "Enrollment"),
        ]
        assert rows[0][1] == "Bea Boss"
        assert rows[0][7] == "status: Active → Cancelled; status changed at: — → " + (
            Enrollment.objects.get(pk=changed["enrollment"].pk)
            .status_changed_at.astimezone(timezone.get_current_timezone())
            .strftime("%Y-%m-%d %H:%M")
        )

    def test_not_a_student_or_missing_is_404(self, client, admin, ingrid):
        client.force_login(admin)
        assert client.get(reverse("audit:student", args=[ingrid.pk])).status_code == 404
        assert client.get(reverse("audit:student", args=[admin.pk])).status_code == 404
        assert client.get(reverse("audit:student", args=[999999])).status_code == 404

    def test_get_only(self, client, admin, changed):
        url = reverse("audit:student", args=[changed["student"].pk])
        assert client.post(url).status_code == 405


# --- the batch page, the enrollment list, the mentor page ----------------------------------------


class TestLinks:
    def test_batch_page_shows_its_latest_changes_and_links_the_full_log(
        self, client, changed, batch
    ):
        response = client.get(reverse("console:batch_detail", args=[batch.pk]))

        html = response.content.decode()
        assert 'id="history"' in html
        assert f"{LOG}?batch={batch.pk}" in html
        assert '<del class="text-body-secondary">10</del> → 25' in html
        assert '<del class="text-body-secondary">Active</del> → Cancelled' in html

    def test_created_rows_fold_their_values_into_one_line(self, client, changed, batch):
        """A created object lists every field: folded, so the page stays short."""
        html = client.get(reverse("console:batch_detail", args=[batch.pk])).content.decode()

        folded = re.findall(r'<details class="history-values">.*?</details>', html, re.S)
        assert folded and all("Created with" in block for block in folded)
        unfolded = re.sub(r'<details class="history-values">.*?</details>', "", html, flags=re.S)
        assert "batch name:" in "".join(folded)  # the values are there, one click away
        assert "batch name:" not in unfolded
        # Changes stay open: they are what a reader looks for.
        assert '<del class="text-body-secondary">10</del> → 25' in unfolded

    def test_batch_page_shows_at_most_the_latest_entries(self, client, admin, batch):
        for capacity in range(11, 11 + BATCH_PAGE_ENTRIES + 5):
            services.batch_update(batch=batch, capacity=capacity, updated_by=admin)
        client.force_login(admin)

        html = client.get(reverse("console:batch_detail", args=[batch.pk])).content.decode()

        last = 10 + BATCH_PAGE_ENTRIES + 5
        assert f'<del class="text-body-secondary">{last - 1}</del> → {last}' in html
        assert html.count("capacity:") == BATCH_PAGE_ENTRIES

    def test_enrollment_list_and_mentor_page_link_the_students_history(self, client, changed):
        url = reverse("audit:student", args=[changed["student"].pk])
        assert url in client.get(reverse("enroll:list")).content.decode()
        mentor = reverse("console:mentor_assign", args=[changed["student"].pk])
        assert url in client.get(mentor).content.decode()


# --- query counts ---------------------------------------------------------------------------------

SIZES = [1, 3]


class TestQueryCounts:
    # session, user, the user filter's choices, count, the page of the UNION; per model type
    # on the page (9) its rows with their previous rows; users, batches, courses, leaves
    @pytest.mark.parametrize("n", SIZES)
    def test_log(self, client, admin, make_batch, django_assert_max_num_queries, n):
        every_kind_of_change(make_batch, admin, n)
        client.force_login(admin)

        with django_assert_max_num_queries(5 + 9 + 4):
            response = client.get(LOG)
        assert len(response.context["entries"]) == min(25, n * ROWS_PER_ROUND)

    # session, user, the user filter's choices, count, page, the batch of the scope; the
    # enrollments with their previous rows; users, batches, courses
    @pytest.mark.parametrize("n", SIZES)
    def test_log_filtered(self, client, admin, make_batch, django_assert_max_num_queries, n):
        batches = every_kind_of_change(make_batch, admin, n)
        client.force_login(admin)

        with django_assert_max_num_queries(6 + 1 + 3):
            response = client.get(LOG, {"batch": batches[-1].pk, "model": "enrollment"})
        entries = response.context["entries"]
        assert [(e.model_key, e.action) for e in entries] == [("enrollment", "created")] * 2

    # session, user; per chunk of 500 rows: its page of the UNION, per model type (9) its
    # rows with their previous rows, users, batches, courses, leaves
    @pytest.mark.parametrize("n", SIZES)
    def test_log_csv(self, client, admin, make_batch, django_assert_max_num_queries, n):
        every_kind_of_change(make_batch, admin, n)
        client.force_login(admin)

        with django_assert_max_num_queries(2 + 1 + 9 + 4):
            response = client.get(LOG, {"format": "csv"})
        assert len(csv_rows(response)) == 1 + n * ROWS_PER_ROUND

    # session, user, student; count, page; enrollments, assignments (with their previous
    # rows); users, batches, courses
    @pytest.mark.parametrize("n", SIZES)
    def test_student(self, client, admin, make_batch, ingrid, django_assert_max_num_queries, n):
        student = StudentFactory()
        for _ in range(n):
            course = CourseFactory()
            batch = make_batch(instructor=InstructorFactory(), course=course)
            enrollment_cancel(
                enrollment=enrollment_create(student=student, course=course, batch=batch)
            )
            services.individual_assign(student=student, instructor=ingrid, assigned_by=admin)
            services.individual_unassign(student=student, ended_by=admin)
        client.force_login(admin)

        with django_assert_max_num_queries(3 + 2 + 2 + 3):
            response = client.get(reverse("audit:student", args=[student.pk]))
        assert len(response.context["entries"]) == 4 * n

    @pytest.mark.parametrize("n", SIZES)
    def test_batch_detail(self, client, admin, make_batch, django_assert_max_num_queries, n):
        [batch] = every_kind_of_change(make_batch, admin, 1)
        for i in range(n):
            services.batch_update(batch=batch, capacity=10 + i, updated_by=admin)
            enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
        client.force_login(admin)

        # The page's own: session, user, batch, slots, staff, staffing history, roster,
        # notes; the History card: the UNION's page, per model type (6), users, batches,
        # courses; the attendance panel: rates per student, open episodes, weekly trend
        with django_assert_max_num_queries(8 + 1 + 6 + 3 + 3):
            response = client.get(reverse("console:batch_detail", args=[batch.pk]))
        assert response.status_code == 200


# --- the Django admin ----------------------------------------------------------------------------


class TestAdminHistory:
    def test_the_batch_history_view_lists_its_changes(self, admin_client_for, batch, admin):
        services.batch_update(batch=batch, capacity=25, updated_by=admin)
        client = admin_client_for(admin)

        response = client.get(reverse("admin:allocation_batch_history", args=[batch.pk]))

        assert response.status_code == 200
        html = response.content.decode()
        assert "Changed" in html and "Created" in html
        assert "capacity" in html.lower()
        record = Batch.history.filter(id=batch.pk).latest("history_id")
        version = reverse("admin:allocation_batch_simple_history", args=[batch.pk, record.pk])
        assert client.get(version).status_code == 200

    @pytest.mark.parametrize(
        "app_model",
        [
            "allocation_batchtrainer",
            "allocation_individualassignment",
            "allocation_coursetrainer",
            "allocation_substitutecover",
            "enrollments_enrollment",
            "trainers_trainerleave",
        ],
    )
    def test_every_audited_admin_has_a_history_view(
        self, admin_client_for, admin, app_model, batch
    ):
        from django.apps import apps

        from allocation.tests.factories import SubstituteCoverFactory
        from trainers.services import leave_record

        enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
        services.individual_assign(
            student=StudentFactory(), instructor=batch.assigned_instructor, assigned_by=admin
        )
        leave_record(
            trainer=batch.assigned_instructor,
            start_date=batch.start_date,
            end_date=batch.start_date,
            created_by=admin,
        )
        SubstituteCoverFactory(batch=batch)
        app_label, model_name = app_model.split("_", 1)
        obj = apps.get_model(app_label, model_name).objects.first()

        response = admin_client_for(admin).get(reverse(f"admin:{app_model}_history", args=[obj.pk]))

        assert response.status_code == 200

    def test_a_past_version_is_never_restored_from_the_admin(self, admin_client_for, admin, batch):
        row = BatchTrainer.objects.get(batch=batch)
        services.batch_assign_instructor(
            batch=batch, instructor=InstructorFactory(), assigned_by=admin
        )
        row.refresh_from_db()
        assert row.ended_at is not None
        first = BatchTrainer.history.filter(id=row.pk).earliest("history_id")
        client = admin_client_for(admin)
        url = reverse("admin:allocation_batchtrainer_simple_history", args=[row.pk, first.pk])

        assert client.get(url).status_code == 200
        assert b"Revert" not in client.get(url).content
        assert client.post(url, {}).status_code == 403

        row.refresh_from_db()
        assert row.ended_at is not None  # still ended: the old version was not saved back
        assert BatchTrainer.history.filter(id=row.pk).count() == 2


@pytest.fixture
def admin_client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login
