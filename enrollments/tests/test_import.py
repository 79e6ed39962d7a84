"""Bulk import (enrollments.services.imports): parsing, the per-row check, and the import itself."""

import pytest
from django.core import mail

from accounts.models import User
from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.models import BatchStatus
from allocation.tests.factories import BatchFactory, CourseFactory
from core.errors import DomainError
from core.testing import race
from enrollments.models import (
    Enrollment,
    EnrollmentImport,
    EnrollmentSource,
    EnrollmentType,
    ImportMode,
    ImportStatus,
)
from enrollments.services import MSG_ALREADY_ENROLLED, MSG_FULL, enrollment_create
from enrollments.services.imports import (
    COLUMNS,
    MAX_ROWS,
    column_max_length,
    import_apply,
    import_create,
    import_parse,
    import_start,
    import_validate,
)

HEADER = "email,full_name,course_code,batch_code,enrollment_type\n"


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(lines) + "\n").encode()


@pytest.fixture
def admin(db):
    return AdminFactory()


@pytest.fixture
def school(db):
    """GER-A1 with an open batch (10 seats), a full one, one with two free seats, a completed
    one; FRE-B1 with a batch; a known student, one already enrolled in GER-A1, an instructor."""
    ger = CourseFactory(code="GER-A1")
    fre = CourseFactory(code="FRE-B1")
    s = type("School", (), {})()
    s.ger, s.fre = ger, fre
    s.open = BatchFactory(course=ger, batch_code="GER-1", capacity=10)
    s.full = BatchFactory(course=ger, batch_code="GER-FULL", capacity=1)
    enrollment_create(student=StudentFactory(), course=ger, batch=s.full)
    s.two = BatchFactory(course=ger, batch_code="GER-TWO", capacity=2)
    s.old = BatchFactory(course=ger, batch_code="GER-OLD", status=BatchStatus.COMPLETED)
    s.fre_batch = BatchFactory(course=fre, batch_code="FRE-1")
    s.known = StudentFactory(email="known@example.com", full_name="Kim Known")
    s.enrolled = StudentFactory(email="enrolled@example.com")
    enrollment_create(student=s.enrolled, course=ger)
    s.teacher = InstructorFactory(email="teacher@example.com")
    return s


# Every kind of row: (CSV line, expected (ok, action or error)).
MIXED = [
    (
        "new@example.com,Nora New,GER-A1,GER-1,batch",
        (True, "create student + enroll in batch GER-1 (batch)"),
    ),
    ("known@example.com,,GER-A1,GER-1,", (True, "enroll existing student in batch GER-1 (batch)")),
    ("x@example.com,Xavier,GER-A1,NOPE,batch", (False, "Unknown batch “NOPE”")),
    ("y@example.com,Yana,GER-A1,GER-FULL,batch", (False, MSG_FULL)),
    (
        "NEW@Example.com,Nora Again,GER-A1,GER-1,batch",
        (False, "Duplicate of line 2: the same student and course"),
    ),
    ("enrolled@example.com,,GER-A1,,individual", (False, MSG_ALREADY_ENROLLED)),
    ("not-an-email,Bad Mail,GER-A1,,individual", (False, "Bad email address “not-an-email”")),
    ("z@example.com,Zed,NOPE-C,,individual", (False, "Unknown course “NOPE-C”")),
    (
        "w@example.com,Wanda,GER-A1,,wizard",
        (
            False,
            "Unknown enrollment type “wizard” "
            "(one of individual, batch, corporate, group, scholarship, trial)",
        ),
    ),
    ("v@example.com,Vic,GER-A1,,batch", (False, "A batch enrollment needs a batch")),
    (
        "i@example.com,Ivy,GER-A1,GER-1,individual",
        (False, "An individual enrollment cannot name a batch"),
    ),
    (
        "teacher@example.com,Teach,GER-A1,,",
        (False, "teacher@example.com is a user without the student role; not enrolled"),
    ),
    (
        "u@example.com,Uma,GER-A1,FRE-1,batch",
        (False, "Batch FRE-1 belongs to course FRE-B1, not GER-A1"),
    ),
    (
        "t@example.com,Tom,GER-A1,GER-OLD,",
        (False, "Batch GER-OLD is Completed and no longer accepts students"),
    ),
    (
        "s1@example.com,Sam One,GER-A1,GER-TWO,",
        (True, "create student + enroll in batch GER-TWO (batch)"),
    ),
    (
        "s2@example.com,Sam Two,GER-A1,GER-TWO,",
        (True, "create student + enroll in batch GER-TWO (batch)"),
    ),
    ("s3@example.com,Sam Three,GER-A1,GER-TWO,", (False, MSG_FULL)),
    (
        "new@example.com,,FRE-B1,,individual",
        (True, "enroll the new student of line 2 in FRE-B1 (individual)"),
    ),
    ("q@example.com,,GER-A1,,", (False, "A new student needs a full name")),
    ("known@example.com,,FRE-B1,,trial", (True, "enroll existing student in FRE-B1 (trial)")),
]


def summarize(report):
    return [(e["line"], e["ok"], e["action"] if e["ok"] else e["error"]) for e in report]


EXPECTED_REPORT = [(line, ok, text) for line, (_, (ok, text)) in enumerate(MIXED, start=2)]


def mixed_job(admin, mode=ImportMode.VALID_ROWS) -> EnrollmentImport:
    rows = import_parse(data=csv_bytes(*(line for line, _ in MIXED)))
    return import_create(rows=rows, filename="mixed.csv", mode=mode, created_by=admin)


def start_and_run(job, capture):
    """``import_start`` and the task it enqueues after commit (the immediate backend)."""
    with capture(execute=True):
        import_start(job=job)
    job.refresh_from_db()
    return job


def test_a_duplicate_in_a_full_batch_is_reported_as_a_duplicate(school):
    seated = Enrollment.objects.get(batch=school.full).student
    rows = import_parse(data=csv_bytes(f"{seated.email},,GER-A1,GER-FULL,batch"))

    assert summarize(import_validate(rows)) == [(2, False, MSG_ALREADY_ENROLLED)]


# --- parsing ---------------------------------------------------------------------------------


def test_parse_reads_rows_with_bom_case_insensitive_headers_and_extra_columns():
    data = (
        "\ufeffEmail, Full Name ,COURSE_CODE,Batch-Code,enrollment_type,notes\r\n"
        " a@example.com ,Ann,GER-A1,,individual,whatever\r\n"
        "\r\n"
        "b@example.com,Bo,GER-A1,GER-1\r\n"
    ).encode()
    assert import_parse(data=data) == [
        {
            "line": 2,
            "email": "a@example.com",
            "full_name": "Ann",
            "course_code": "GER-A1",
            "batch_code": "",
            "enrollment_type": "individual",
        },
        {
            "line": 4,  # the blank line 3 is skipped, the numbering follows the file
            "email": "b@example.com",
            "full_name": "Bo",
            "course_code": "GER-A1",
            "batch_code": "GER-1",
            "enrollment_type": "",  # a short row: the missing cells are empty
        },
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"email,name\na@b.org,A\n", "The header row lacks the columns full_name, course_code,"),
        (b"email,full_name,course_code,batch_code\n", "lacks the column enrollment_type."),
        (HEADER.encode(), "The file has a header but no rows."),
        (b"PK\x03\x04\x00\x00binary", "This is not a CSV text file."),
        (b"\xff\xfe\xfa junk", "The file is not UTF-8 text."),
        (b"x" * (2 * 1024 * 1024 + 1), "The file is too large"),
    ],
    ids=["empty", "wrong-header", "missing-column", "no-rows", "binary", "not-utf8", "too-big"],
)
def test_parse_refuses_bad_files_with_a_clear_message(data, message):
    with pytest.raises(DomainError) as refused:
        import_parse(data=data)
    assert message in refused.value.message
    assert refused.value.field == "file"


def test_parse_refuses_more_than_the_row_limit():
    ok = csv_bytes(*["a@example.com,A,C,,"] * MAX_ROWS)
    assert len(import_parse(data=ok)) == MAX_ROWS
    with pytest.raises(DomainError, match=f"more than {MAX_ROWS} rows"):
        import_parse(data=csv_bytes(*["a@example.com,A,C,,"] * (MAX_ROWS + 1)))


# --- checking ----------------------------------------------------------------------------------


def test_the_check_reports_every_row_exactly(school, admin):
    job = mixed_job(admin)

    assert summarize(job.report) == EXPECTED_REPORT
    assert job.status == ImportStatus.VALIDATED
    assert (job.total, job.processed, job.filename) == (len(MIXED), 0, "mixed.csv")
    # The check writes nothing.
    assert not User.objects.filter(email="new@example.com").exists()
    assert Enrollment.objects.filter(enrollment_source=EnrollmentSource.IMPORT).count() == 0


def _rows(n, school):
    """``n`` rows: new students into GER-1 or individually, and the known students."""
    lines = [
        "known@example.com,,FRE-B1,,individual",
        "enrolled@example.com,,GER-A1,GER-TWO,",
    ]
    lines += [f"new{i}@example.com,New {i},GER-A1,{'GER-1' if i % 2 else ''}," for i in range(n)]
    return import_parse(data=csv_bytes(*lines))


@pytest.mark.parametrize("size", [5, 60])
def test_the_check_takes_four_queries_whatever_the_size(school, size, django_assert_num_queries):
    rows = _rows(size, school)
    # users by email, courses by code, batches by code (with their course), active
    # enrollments of those users in those courses.
    with django_assert_num_queries(4):
        report = import_validate(rows)
    assert len(report) == len(rows)


# --- importing: valid rows ---------------------------------------------------------------------


def test_import_valid_rows_creates_and_enrolls_exactly_the_valid_ones(
    school, admin, django_capture_on_commit_callbacks
):
    job = start_and_run(mixed_job(admin), django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE
    assert job.error == ""
    assert job.finished_at is not None
    valid = sum(ok for _, (ok, _) in MIXED)
    assert (job.total, job.processed, job.enrolled, job.failed, job.created_students) == (
        len(MIXED),
        len(MIXED),
        valid,
        len(MIXED) - valid,
        3,  # new@, s1@, s2@
    )
    imported = {
        (e.student.email, e.course.code, e.batch.batch_code if e.batch else None, e.enrollment_type)
        for e in Enrollment.objects.filter(enrollment_source=EnrollmentSource.IMPORT)
    }
    assert imported == {
        ("new@example.com", "GER-A1", "GER-1", EnrollmentType.BATCH),
        ("known@example.com", "GER-A1", "GER-1", EnrollmentType.BATCH),
        ("s1@example.com", "GER-A1", "GER-TWO", EnrollmentType.BATCH),
        ("s2@example.com", "GER-A1", "GER-TWO", EnrollmentType.BATCH),
        ("new@example.com", "FRE-B1", None, EnrollmentType.INDIVIDUAL),
        ("known@example.com", "FRE-B1", None, EnrollmentType.TRIAL),
    }
    new = User.objects.get(email="new@example.com")
    assert (new.full_name, new.is_student, new.has_usable_password()) == ("Nora New", True, False)
    # Nobody from an invalid row exists.
    for email in ("x@example.com", "y@example.com", "s3@example.com", "q@example.com"):
        assert not User.objects.filter(email=email).exists()
    # Seat counters went through the service.
    school.open.refresh_from_db()
    school.two.refresh_from_db()
    assert (school.open.enrolled_students, school.two.enrolled_students) == (2, 2)
    # The report says what happened to each row.
    results = [(e["line"], e.get("result")) for e in job.report]
    assert results == [
        (line, "imported" if ok else "skipped") for line, (_, (ok, _)) in enumerate(MIXED, start=2)
    ]
    # The welcome emails of the service, one per enrollment, and an invitation to each new
    # student (the job's default).
    invitations = [m for m in mail.outbox if "invited" in m.subject]
    welcomes = [m for m in mail.outbox if m not in invitations]
    assert sorted(m.to[0] for m in welcomes) == sorted(e[0] for e in imported)
    assert sorted(m.to[0] for m in invitations) == [
        "new@example.com",
        "s1@example.com",
        "s2@example.com",
    ]
    assert all(u.last_invited_at for u in User.objects.filter(email__in=["new@example.com"]))


def test_a_row_invalid_since_the_check_is_refused_with_the_service_message(
    school, admin, django_capture_on_commit_callbacks
):
    small = BatchFactory(course=school.ger, batch_code="GER-SMALL", capacity=1)
    rows = import_parse(
        data=csv_bytes(
            "late@example.com,Lea Late,GER-A1,GER-SMALL,",
            "fine@example.com,Fin Fine,FRE-B1,,",
        )
    )
    job = import_create(rows=rows, filename="a.csv", mode=ImportMode.VALID_ROWS, created_by=admin)
    assert [e["ok"] for e in job.report] == [True, True]
    enrollment_create(student=StudentFactory(), course=school.ger, batch=small)  # fills it

    job = start_and_run(job, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE
    assert (job.processed, job.enrolled, job.failed, job.created_students) == (2, 1, 1, 1)
    assert [(e["result"], e["error"]) for e in job.report] == [
        ("failed", MSG_FULL),
        ("imported", ""),
    ]
    # The refused row's new student was rolled back with its enrollment.
    assert not User.objects.filter(email="late@example.com").exists()
    assert User.objects.filter(email="fine@example.com").exists()
    small.refresh_from_db()
    assert small.enrolled_students == 1


# --- importing: all or nothing ------------------------------------------------------------------


def test_all_or_nothing_with_an_invalid_row_cannot_start(school, admin):
    job = mixed_job(admin, mode=ImportMode.ALL_OR_NOTHING)
    with pytest.raises(DomainError, match="All or nothing: 14 rows are invalid"):
        import_start(job=job)
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED


def test_all_or_nothing_rolls_everything_back_when_a_row_fails_at_import(
    school, admin, django_capture_on_commit_callbacks
):
    small = BatchFactory(course=school.ger, batch_code="GER-SMALL", capacity=1)
    rows = import_parse(
        data=csv_bytes(
            "first@example.com,Fay First,GER-A1,GER-1,",
            "known@example.com,,FRE-B1,,",
            "late@example.com,Lea Late,GER-A1,GER-SMALL,",
        )
    )
    job = import_create(
        rows=rows, filename="a.csv", mode=ImportMode.ALL_OR_NOTHING, created_by=admin
    )
    enrollment_create(student=StudentFactory(), course=school.ger, batch=small)
    users_before = User.objects.count()

    job = start_and_run(job, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.FAILED
    assert job.error == f"Line 4: {MSG_FULL}. Nothing was imported."
    assert (job.enrolled, job.created_students) == (0, 0)
    assert User.objects.count() == users_before
    assert not Enrollment.objects.filter(enrollment_source=EnrollmentSource.IMPORT).exists()
    school.open.refresh_from_db()
    assert school.open.enrolled_students == 0
    assert [e.get("result") for e in job.report] == [None, None, "failed"]
    assert job.report[2]["error"] == MSG_FULL
    assert mail.outbox == []  # the rolled-back welcomes are never sent


def test_all_or_nothing_with_good_rows_imports_them_all(
    school, admin, django_capture_on_commit_callbacks
):
    rows = import_parse(
        data=csv_bytes(
            "first@example.com,Fay First,GER-A1,GER-1,",
            "known@example.com,,FRE-B1,,",
            "second@example.com,Sid Second,GER-A1,GER-TWO,corporate",
        )
    )
    job = import_create(
        rows=rows, filename="a.csv", mode=ImportMode.ALL_OR_NOTHING, created_by=admin
    )

    job = start_and_run(job, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE
    assert (job.processed, job.enrolled, job.failed, job.created_students) == (3, 3, 0, 2)
    assert set(
        Enrollment.objects.filter(enrollment_source=EnrollmentSource.IMPORT).values_list(
            "student__email", "enrollment_type"
        )
    ) == {
        ("first@example.com", "batch"),
        ("known@example.com", "individual"),
        ("second@example.com", "corporate"),
    }


# --- starting ------------------------------------------------------------------------------------


def test_an_import_is_started_once(school, admin, django_capture_on_commit_callbacks):
    job = start_and_run(mixed_job(admin), django_capture_on_commit_callbacks)
    enrolled = Enrollment.objects.count()

    with pytest.raises(DomainError, match="already started"):
        import_start(job=job)
    # A task delivered twice does nothing either.
    import_apply(job=job)

    assert Enrollment.objects.count() == enrolled
    job.refresh_from_db()
    assert job.processed == job.total


def test_an_import_without_a_valid_row_cannot_start(school, admin):
    rows = import_parse(data=csv_bytes("bad,Bad,GER-A1,,"))
    job = import_create(rows=rows, filename="a.csv", mode=ImportMode.VALID_ROWS, created_by=admin)
    with pytest.raises(DomainError, match="nothing to import"):
        import_start(job=job)


def test_a_crash_mid_import_ends_the_job_instead_of_leaving_it_running(
    school, admin, django_capture_on_commit_callbacks, monkeypatch
):
    from enrollments import tasks as import_tasks
    from enrollments.services import imports as importing

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importing, "_load_targets", boom)
    job = start_and_run(mixed_job(admin), django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.FAILED
    assert job.error == "The import stopped at an unexpected error (RuntimeError)."
    assert import_tasks.run_import.call(job.pk) == ImportStatus.FAILED  # not running: left alone


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_starting_one_import_start_it_once():
    admin = AdminFactory()
    CourseFactory(code="GER-A1")
    rows = import_parse(data=csv_bytes(*(f"p{i}@example.com,P {i},GER-A1,," for i in range(5))))
    job = import_create(rows=rows, filename="a.csv", mode=ImportMode.VALID_ROWS, created_by=admin)

    outcomes = race(import_start, [{"job": job} for _ in range(8)])

    assert [o.error for o in outcomes if o.error] == []
    assert sum(o.ok for o in outcomes) == 1
    assert all("already started" in o.message for o in outcomes if not o.ok)
    job.refresh_from_db()
    assert (job.status, job.enrolled) == (ImportStatus.DONE, 5)
    assert Enrollment.objects.count() == 5


# --- cells the database cannot hold ------------------------------------------------------------


@pytest.mark.parametrize(
    "line,error",
    [
        (
            f"long@example.com,{'N' * 400},GER-A1,GER-1,batch",
            "The full name is too long (400 characters; at most 150)",
        ),
        (
            f"{'e' * 250}@example.com,Eve,GER-A1,GER-1,batch",
            "The email is too long (262 characters; at most 254)",
        ),
        (
            f"c@example.com,Cy,{'C' * 21},,individual",
            "The course code is too long (21 characters; at most 20)",
        ),
        (
            f"b@example.com,Bo,GER-A1,{'B' * 51},batch",
            "The batch code is too long (51 characters; at most 50)",
        ),
    ],
)
def test_a_cell_the_database_cannot_hold_fails_its_own_row(school, admin, line, error):
    """Such a row used to pass the check and fail at import with "Unexpected error
    (DataError)"; now the check names the cell, and the other rows import."""
    job = import_create(
        rows=import_parse(data=csv_bytes("ok@example.com,Olga,GER-A1,GER-1,batch", line)),
        filename="long.csv",
        mode=ImportMode.VALID_ROWS,
        created_by=admin,
    )
    assert summarize(job.report) == [
        (2, True, "create student + enroll in batch GER-1 (batch)"),
        (3, False, error),
    ]


def test_the_limits_are_the_model_fields():
    assert {column: column_max_length(column) for column in COLUMNS} == {
        "email": User._meta.get_field("email").max_length,
        "full_name": User._meta.get_field("full_name").max_length,
        "course_code": 20,
        "batch_code": 50,
        "enrollment_type": 12,
    }


@pytest.mark.parametrize("send_invitations", [True, False])
def test_new_students_are_invited_unless_the_job_says_not_to(
    school, admin, django_capture_on_commit_callbacks, send_invitations
):
    rows = import_parse(
        data=csv_bytes("fresh@example.com,Fay Fresh,GER-A1,GER-1,", "known@example.com,,FRE-B1,,")
    )
    job = import_create(
        rows=rows,
        filename="a.csv",
        mode=ImportMode.VALID_ROWS,
        created_by=admin,
        send_invitations=send_invitations,
    )
    start_and_run(job, django_capture_on_commit_callbacks)

    invitations = [m.to[0] for m in mail.outbox if "invited" in m.subject]
    # Only the student the import created; an existing account is never invited by it.
    assert invitations == (["fresh@example.com"] if send_invitations else [])
    fresh = User.objects.get(email="fresh@example.com")
    assert (fresh.last_invited_at is not None) is send_invitations
    assert User.objects.get(email="known@example.com").last_invited_at is None
