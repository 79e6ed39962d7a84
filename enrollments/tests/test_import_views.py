"""The bulk import pages: upload errors as form errors, the report, the Import button."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.tests.factories import BatchFactory, CourseFactory
from enrollments.models import Enrollment, EnrollmentImport, ImportMode, ImportStatus
from enrollments.services.imports import import_create, import_parse
from tests.support import csv_text

HEADER = "email,full_name,course_code,batch_code,enrollment_type\n"
GOOD_AND_BAD = (
    HEADER + "ann@example.com,Ann A,GER-A1,GER-1,\nbad-mail,Bob,GER-A1,,individual\n"
).encode()


@pytest.fixture
def admin(db):
    return AdminFactory()


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def course(db):
    course = CourseFactory(code="GER-A1")
    BatchFactory(course=course, batch_code="GER-1", capacity=5)
    return course


def upload(client, data: bytes | None, *, name="students.csv", mode=ImportMode.VALID_ROWS):
    payload = {"mode": mode}
    if data is not None:
        payload["file"] = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(reverse("imports:upload"), payload)


def make_job(admin, data=GOOD_AND_BAD, mode=ImportMode.VALID_ROWS) -> EnrollmentImport:
    return import_create(
        rows=import_parse(data=data), filename="students.csv", mode=mode, created_by=admin
    )


def test_the_list_shows_the_form_the_template_link_and_recent_imports(admin_client, admin, course):
    make_job(admin)
    response = admin_client.get(reverse("imports:list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("imports:template") in body
    assert 'enctype="multipart/form-data"' in body
    assert "students.csv" in body
    assert "All or nothing" in body


def test_the_template_is_a_csv_with_the_expected_header(admin_client):
    response = admin_client.get(reverse("imports:template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header = csv_text(response).splitlines()[0]
    assert header == "Email,Full name,Course code,Batch code,Enrollment type"
    # The template uploads as it is: its titles read back as the columns.
    rows = import_parse(data=response.content)
    emails = [row["email"] for row in rows]
    assert emails == ["new.student@example.com", "known.student@example.com"]
    assert rows[0]["full_name"] == "Nora New" and rows[1]["enrollment_type"] == "individual"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (None, "students.csv", "This field is required."),
        (b"mail,name\na@b.org,A\n", "students.csv", "The header row lacks the columns"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", "This is not a CSV text file."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 junk", "sheet.xls", "This is a spreadsheet file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 junk \xff", "junk.csv", "The file is not UTF-8 text."),
        (HEADER.encode() + b"a@b.org,A,C,,\n" * 160000, "big.csv", "The file is too large"),
        (b"", "empty.csv", "The submitted file is empty."),
    ],
    ids=["no-file", "wrong-headers", "binary", "xls", "not-utf8", "oversized", "empty"],
)
def test_a_bad_upload_is_a_form_error_never_a_500(admin_client, data, name, message):
    response = upload(admin_client, data, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].errors["file"]
    assert EnrollmentImport.objects.count() == 0


def test_a_good_upload_is_checked_and_shown_row_by_row(admin_client, admin, course):
    response = upload(admin_client, GOOD_AND_BAD, mode=ImportMode.VALID_ROWS)
    job = EnrollmentImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:detail", args=[job.pk])
    assert (job.created_by, job.filename, job.total, job.status) == (
        admin,
        "students.csv",
        2,
        ImportStatus.VALIDATED,
    )

    page = admin_client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "create student + enroll in batch GER-1 (batch)" in body
    assert "Bad email address “bad-mail”" in body
    assert page.context["valid"] == 1 and page.context["invalid"] == 1
    assert page.context["blocker"] == ""
    assert 'data-testid="import-button"' in body and "Import 1 row" in body
    assert 'http-equiv="refresh"' not in body  # nothing runs yet
    # Nothing is enrolled before the Import button.
    assert Enrollment.objects.count() == 0


def test_failed_only_shows_the_invalid_rows(admin_client, admin, course):
    job = make_job(admin)
    page = admin_client.get(reverse("imports:detail", args=[job.pk]), {"show": "failed"})
    assert [r["line"] for r in page.context["page"].object_list] == [3]


def test_the_report_downloads_as_csv(admin_client, admin, course):
    job = make_job(admin)
    response = admin_client.get(reverse("imports:detail", args=[job.pk]), {"format": "csv"})
    lines = csv_text(response).splitlines()
    assert lines[0] == (
        "Email,Full name,Course code,Batch code,Enrollment type,Line,Valid,Action,Result,Error"
    )
    assert lines[2] == "bad-mail,Bob,GER-A1,,individual,3,no,,,Bad email address “bad-mail”"


def test_all_or_nothing_with_an_invalid_row_disables_import_and_says_why(
    admin_client, admin, course
):
    job = make_job(admin, mode=ImportMode.ALL_OR_NOTHING)
    body = admin_client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "All or nothing: 1 row is invalid." in body
    assert 'data-testid="import-button" disabled' in body

    # Forcing the POST anyway is refused with the same reason.
    response = admin_client.post(reverse("imports:apply", args=[job.pk]), follow=True)
    assert "All or nothing: 1 row is invalid." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED
    assert Enrollment.objects.count() == 0


def test_import_runs_and_the_page_shows_the_result_and_a_second_import_is_refused(
    admin_client, admin, course, django_capture_on_commit_callbacks
):
    job = make_job(admin)
    url = reverse("imports:apply", args=[job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.enrolled, job.failed, job.created_students) == (
        ImportStatus.DONE,
        1,
        1,
        1,
    )
    assert Enrollment.objects.get().student.email == "ann@example.com"

    page = admin_client.get(response["Location"])
    body = page.content.decode()
    assert "Import started." in body
    assert 'aria-valuenow="100"' in body
    assert 'data-testid="import-button"' not in body

    again = admin_client.post(url, follow=True)
    assert "This import was already started (it is imported)." in again.content.decode()
    assert Enrollment.objects.count() == 1


def test_a_running_import_refreshes_itself_and_reports_its_progress(admin_client, admin, course):
    job = make_job(admin)
    EnrollmentImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, processed=1)

    body = admin_client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in body
    assert 'aria-valuenow="50"' in body

    status = admin_client.get(reverse("imports:status", args=[job.pk])).json()
    assert status == {
        "id": job.pk,
        "status": "running",
        "status_display": "Importing",
        "total": 2,
        "processed": 1,
        "created_students": 0,
        "enrolled": 0,
        "failed": 0,
        "error": "",
        "finished_at": None,
    }


def test_the_detail_page_query_count_does_not_grow_with_the_rows(
    admin_client, admin, course, django_assert_max_num_queries
):
    small = make_job(admin)
    lines = "".join(f"p{i}@example.com,P {i},GER-A1,,\n" for i in range(300))
    big = make_job(admin, data=(HEADER + lines).encode())
    for job in (small, big):
        # session, user, the job with its uploader, (messages need none)
        with django_assert_max_num_queries(4):
            response = admin_client.get(reverse("imports:detail", args=[job.pk]))
        assert response.status_code == 200


@pytest.mark.parametrize("role", ["student", "instructor"])
def test_only_admins_may_use_the_import_pages(client, admin, course, role):
    job = make_job(admin)
    client.force_login(StudentFactory() if role == "student" else InstructorFactory())
    for url in (
        reverse("imports:list"),
        reverse("imports:template"),
        reverse("imports:detail", args=[job.pk]),
        reverse("imports:status", args=[job.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert upload(client, GOOD_AND_BAD).status_code == 403
    assert client.post(reverse("imports:apply", args=[job.pk])).status_code == 403
    assert EnrollmentImport.objects.count() == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED
