"""Bulk import: a CSV of students to create and enroll, checked first, then imported.

Three steps, each a service:

1. ``import_parse`` reads the upload (UTF-8, with or without a BOM; a header row naming the
   columns ``COLUMNS`` in any case and order; at most ``MAX_ROWS`` rows and ``MAX_BYTES``).
2. ``import_create`` checks every row (``import_validate``: a fixed number of queries, whatever
   the size of the file) and stores the rows and the per-row report in an ``EnrollmentImport``.
3. ``import_start`` (the admin's "Import") marks the job running; ``enrollments.tasks``
   queues ``run_import`` after commit (on the ``import_started`` signal), which calls
   ``import_apply``: every
   row goes through ``enrollment_create`` (never a hand-written enrollment), so the rules of
   the services (capacity, one active enrollment per course, closed batches, the welcome
   notice) hold for imported rows exactly as for the console form.

The check is advice, not a promise: a batch may fill between the check and the import, so
the service refuses such a row at import time with its own message.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext

from accounts.models import Role, User
from accounts.services import user_create
from allocation.models import Batch, Course
from core.errors import DomainError
from enrollments.models import (
    Enrollment,
    EnrollmentImport,
    EnrollmentSource,
    EnrollmentStatus,
    EnrollmentType,
    ImportMode,
    ImportStatus,
)
from enrollments.seats import MSG_ALREADY_ENROLLED, MSG_FULL
from enrollments.services.enrollment import enrollment_create
from enrollments.signals import import_started

logger = logging.getLogger(__name__)

COLUMNS = ("email", "full_name", "course_code", "batch_code", "enrollment_type")
# The columns as the template and the reports title them; the parser reads these titles back
# as the columns (``_header_key``), so a downloaded template uploads as it is.
COLUMN_TITLES = ("Email", "Full name", "Course code", "Batch code", "Enrollment type")
MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
# In valid_rows mode the per-row outcomes are saved to the job this often (the counters after
# every row): often enough to survive a crash, rarely enough not to rewrite a big report for
# each row.
REPORT_EVERY = 100

MSG_NOT_CSV = gettext_noop(
    "This is not a CSV text file. Save the sheet as “CSV UTF-8” and upload that."
)

# The model field each column is stored in (or looked up by): its max_length bounds the cell,
# so a value the database cannot store is a clear error on its row at the check, not a
# DataError half-way through the import.
COLUMN_FIELDS = {
    "email": (User, "email"),
    "full_name": (User, "full_name"),
    "course_code": (Course, "code"),
    "batch_code": (Batch, "batch_code"),
    "enrollment_type": (Enrollment, "enrollment_type"),
}


# --- 1. parsing --------------------------------------------------------------------------------


def _header_key(cell: str) -> str:
    # "Full Name", "full-name" and "FULL_NAME" all name the full_name column.
    return "_".join(cell.strip().lower().replace("-", " ").split())


def import_parse(*, data: bytes) -> list[dict]:
    """The rows of an uploaded CSV, each ``{"line": n, <column>: text, ...}``.

    ``line`` is the file's line number of the row (the header is line 1), as a spreadsheet
    shows it. Refuses (``DomainError`` on field ``file``): an empty, oversized or binary
    file, text that is not UTF-8, a header without the required columns, no rows, too many
    rows. Extra columns are ignored; fully blank lines are skipped.
    """
    if not data:
        raise DomainError(gettext("The file is empty."), field="file")
    if len(data) > MAX_BYTES:
        raise DomainError(
            gettext(
                "The file is too large (%(data)s KB); the limit is %(MAX_BYTES)s MB. Split "
                "it into several imports."
            )
            % {"data": len(data) // 1024, "MAX_BYTES": MAX_BYTES // (1024 * 1024)},
            field="file",
        )
    if b"\x00" in data:  # spreadsheets (.xlsx is a zip), images, PDFs: never text
        raise DomainError(MSG_NOT_CSV, field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(
            gettext("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."),
            field="file",
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next((cells for cells in reader if any(c.strip() for c in cells)), None)
        if header is None:
            raise DomainError(gettext("The file has no header row."), field="file")
        keys = [_header_key(cell) for cell in header]
        missing = [column for column in COLUMNS if column not in keys]
        if missing:
            raise DomainError(
                ngettext(
                    "The header row lacks the column %(missing)s. Expected: %(expected)s "
                    "(download the template).",
                    "The header row lacks the columns %(missing)s. Expected: %(expected)s "
                    "(download the template).",
                    len(missing),
                )
                % {"missing": ", ".join(missing), "expected": ", ".join(COLUMNS)},
                field="file",
            )
        position = {column: keys.index(column) for column in COLUMNS}
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise DomainError(
                    gettext(
                        "The file has more than %(MAX_ROWS)s rows. Split it into several imports."
                    )
                    % {"MAX_ROWS": MAX_ROWS},
                    field="file",
                )
            row = {"line": reader.line_num}
            for column, index in position.items():
                row[column] = cells[index].strip() if index < len(cells) else ""
            rows.append(row)
    except csv.Error as exc:
        raise DomainError(
            gettext("The file is not valid CSV (line %(line_num)s: %(exc)s).")
            % {"line_num": reader.line_num, "exc": exc},
            field="file",
        ) from None
    if not rows:
        raise DomainError(gettext("The file has a header but no rows."), field="file")
    return rows


# --- 2. checking ---------------------------------------------------------------------------------


def _target(course: Course, batch: Batch | None, enrollment_type: str) -> str:
    where = f"batch {batch.batch_code}" if batch else course.code
    return f"{where} ({enrollment_type})"


def _resolve_type(row: dict) -> str:
    # An empty type means what enrollment_create would choose: batch with a batch, else
    # individual.
    given = row["enrollment_type"].strip().lower()
    if given:
        return given
    return EnrollmentType.BATCH if row["batch_code"] else EnrollmentType.INDIVIDUAL


def column_max_length(column: str) -> int:
    model, name = COLUMN_FIELDS[column]
    return model._meta.get_field(name).max_length


def _cell_error(row: dict) -> str:
    """The first cell of ``row`` too long for its column, or "". (A NUL byte, which
    PostgreSQL's text cannot hold either, already makes ``import_parse`` refuse the file.)"""
    for column in COLUMNS:
        value, label = row[column], column.replace("_", " ")
        if len(value) > (limit := column_max_length(column)):
            return f"The {label} is too long ({len(value)} characters; at most {limit})"
    return ""


def import_validate(rows: list[dict]) -> list[dict]:
    """The report of ``rows``: per row ``{"line", "ok", "action", "error"}``.

    Reads in four queries whatever the number of rows (users, courses and batches by the
    values the file names, then the active enrollments among them) and simulates the file's
    own effect: rows taking seats of one batch count against its free seats in file order,
    and a later row for the same student and course is a duplicate. Checks, in this order:
    email, duplicate, existing user without the student role, full name of a new student,
    course, enrollment type, unknown batch, an active enrollment of the student in the course,
    then the batch (of another course, closed, full); before all of them, that every cell fits
    its model field (``COLUMN_FIELDS``). Writes nothing.
    """
    emails = {row["email"].lower() for row in rows if row["email"]}
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    courses = {c.code: c for c in Course.objects.filter(code__in={r["course_code"] for r in rows})}
    batches = {
        b.batch_code: b
        for b in Batch.objects.filter(
            batch_code__in={r["batch_code"] for r in rows if r["batch_code"]}
        ).select_related("course")
    }
    active = set(
        Enrollment.objects.filter(
            student__in=[u.pk for u in users.values()],
            course__in=[c.pk for c in courses.values()],
            status=EnrollmentStatus.ACTIVE,
        ).values_list("student_id", "course_id")
    )

    seats_taken: Counter[int] = Counter()
    first_line: dict[tuple[str, str], int] = {}  # (email, course code) → line of first row
    new_students: dict[str, int] = {}  # email → line of the row that creates the student
    report = []
    for row in rows:
        entry = {"line": row["line"], "ok": False, "action": "", "error": ""}
        report.append(entry)
        if error := _cell_error(row):
            entry["error"] = error
            continue
        email = row["email"].lower()
        if not email:
            entry["error"] = gettext("The email is missing")
            continue
        try:
            validate_email(email)
        except ValidationError:
            entry["error"] = gettext("Bad email address “%(row_email)s”") % {
                "row_email": row["email"]
            }
            continue
        key = (email, row["course_code"])
        if key in first_line:
            entry["error"] = gettext("Duplicate of line %(key)s: the same student and course") % {
                "key": first_line[key]
            }
            continue
        first_line[key] = row["line"]
        user = users.get(email)
        if user is not None and not user.is_learner:
            entry["error"] = f"{email} is a user without the student role; not enrolled"
            continue
        if user is None and email not in new_students and not row["full_name"]:
            entry["error"] = gettext("A new student needs a full name")
            continue
        course = courses.get(row["course_code"])
        if course is None:
            entry["error"] = (
                gettext("Unknown course “%(course_code)s”") % {"course_code": row["course_code"]}
                if row["course_code"]
                else gettext("The course code is missing")
            )
            continue
        enrollment_type = _resolve_type(row)
        if enrollment_type not in EnrollmentType.values:
            entry["error"] = gettext(
                "Unknown enrollment type “%(enrollment_type)s” (one of %(join)s)"
            ) % {
                "enrollment_type": row["enrollment_type"],
                "join": ", ".join(EnrollmentType.values),
            }
            continue
        batch = None
        if row["batch_code"]:
            batch = batches.get(row["batch_code"])
            if batch is None:
                entry["error"] = gettext("Unknown batch “%(batch_code)s”") % {
                    "batch_code": row["batch_code"]
                }
                continue
        if enrollment_type == EnrollmentType.INDIVIDUAL and batch is not None:
            entry["error"] = gettext("An individual enrollment cannot name a batch")
            continue
        if enrollment_type == EnrollmentType.BATCH and batch is None:
            entry["error"] = gettext("A batch enrollment needs a batch")
            continue
        # The same refusals, in the same words and order, as the service: the duplicate
        # before the seat check (seats.enroll).
        if user is not None and (user.pk, course.pk) in active:
            entry["error"] = MSG_ALREADY_ENROLLED
            continue
        if batch is not None:
            if batch.course_id != course.pk:
                entry["error"] = (
                    f"Batch {batch.batch_code} belongs to course {batch.course.code}, "
                    f"not {course.code}"
                )
                continue
            if not batch.is_open:
                entry["error"] = (
                    f"Batch {batch.batch_code} is {batch.status} and no longer accepts students"
                )
                continue
            if batch.enrolled_students + seats_taken[batch.pk] >= batch.capacity:
                entry["error"] = MSG_FULL
                continue
        if batch is not None:
            seats_taken[batch.pk] += 1
        target = _target(course, batch, enrollment_type)
        if user is not None:
            entry["action"] = f"enroll existing student in {target}"
        elif email in new_students:
            entry["action"] = f"enroll the new student of line {new_students[email]} in {target}"
        else:
            new_students[email] = row["line"]
            entry["action"] = f"create student + enroll in {target}"
        entry["ok"] = True
    return report


@transaction.atomic
def import_create(
    *,
    rows: list[dict],
    filename: str,
    mode: str,
    created_by: User,
    send_invitations: bool = True,
) -> EnrollmentImport:
    """Check ``rows`` (from ``import_parse``) and store them with their report, status
    ``validated``; with ``send_invitations``, each student the import creates will get an
    invitation email. Locks nothing and enrolls nobody. Refuses an unknown mode."""
    if mode not in ImportMode.values:
        raise DomainError(
            gettext("Unknown import mode %(mode)s") % {"mode": repr(mode)}, field="mode"
        )
    report = import_validate(rows)
    return EnrollmentImport.objects.create(
        created_by=created_by,
        filename=filename[:200],
        rows=rows,
        report=report,
        mode=mode,
        total=len(rows),
        send_invitations=send_invitations,
    )


def import_blocker(job: EnrollmentImport) -> str:
    """Why "Import" cannot run for ``job`` now, or "" when it can."""
    if job.status != ImportStatus.VALIDATED:
        return gettext("This import was already started (it is %(status)s).") % {
            "status": job.get_status_display().lower()
        }
    invalid = sum(1 for entry in job.report if not entry["ok"])
    if job.mode == ImportMode.ALL_OR_NOTHING and invalid:
        return ngettext(
            "All or nothing: %(invalid)s row is invalid. Fix the file and upload it again, "
            "or upload it with “import the valid rows”.",
            "All or nothing: %(invalid)s rows are invalid. Fix the file and upload it again, "
            "or upload it with “import the valid rows”.",
            invalid,
        ) % {"invalid": invalid}
    if invalid == len(job.report):
        return gettext("No row is valid: there is nothing to import.")
    return ""


@transaction.atomic
def import_start(*, job: EnrollmentImport) -> EnrollmentImport:
    """Start importing ``job``: mark it running; the import is queued after commit
    (``import_started``, see ``enrollments.tasks``).

    Locks the job row, so a double click or two admins start it once. Refuses a job that was
    already started, an all-or-nothing job with an invalid row, a job without a valid row.
    """
    job = EnrollmentImport.objects.select_for_update(of=("self",)).get(pk=job.pk)
    blocker = import_blocker(job)
    if blocker:
        raise DomainError(blocker, code="refused")
    job.status = ImportStatus.RUNNING
    job.save(update_fields=["status"])
    import_started.send(sender=EnrollmentImport, job_id=job.pk)
    return job


# --- 3. importing --------------------------------------------------------------------------------


@dataclass
class _Outcome:
    created_student: bool


class _Abort(Exception):
    """An all-or-nothing import met a row it cannot import: roll everything back."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _import_row(
    row: dict, courses: dict[str, Course], batches: dict[str, Batch], job: EnrollmentImport
) -> _Outcome:
    """Create the student when new (invited, if the job says so), then enroll them through
    ``enrollment_create``. Run it in a transaction: a refused enrollment must not leave a
    student (or their invitation) behind."""
    email = row["email"].lower()
    course = courses.get(row["course_code"])
    if course is None:  # deleted since the check
        raise DomainError(
            gettext("Unknown course “%(course_code)s”") % {"course_code": row["course_code"]}
        )
    batch = None
    if row["batch_code"]:
        batch = batches.get(row["batch_code"])
        if batch is None:
            raise DomainError(
                gettext("Unknown batch “%(batch_code)s”") % {"batch_code": row["batch_code"]}
            )
    student = User.objects.filter(email=email).first()
    created = student is None
    if created:
        student = user_create(
            email=email,
            roles=(Role.STUDENT,),
            full_name=row["full_name"],
            invite=job.send_invitations,
            invited_by=job.created_by,
        )
    enrollment_create(
        student=student,
        course=course,
        batch=batch,
        enrollment_type=_resolve_type(row),
        enrollment_source=EnrollmentSource.IMPORT,
    )
    return _Outcome(created_student=created)


def _load_targets(rows: list[dict]) -> tuple[dict[str, Course], dict[str, Batch]]:
    courses = {c.code: c for c in Course.objects.filter(code__in={r["course_code"] for r in rows})}
    batches = {
        b.batch_code: b
        for b in Batch.objects.filter(
            batch_code__in={r["batch_code"] for r in rows if r["batch_code"]}
        )
    }
    return courses, batches


def import_apply(*, job: EnrollmentImport) -> EnrollmentImport:
    """Import the rows of a running ``job`` (``import_start`` marked it) — the background
    task's body. Rows the check found invalid are skipped and count as failed.

    ``valid_rows``: each row in its own transaction; a refused row is recorded with the
    service's message and the others go on. Progress (``processed`` and the counters) is
    committed after every row, so the job page can show it.

    ``all_or_nothing``: one transaction; the first refused row rolls back every student and
    enrollment of the file, and the job ends ``failed`` naming that row and why.

    Does nothing for a job that is not running (a task delivered twice).
    """
    job = EnrollmentImport.objects.get(pk=job.pk)
    if job.status != ImportStatus.RUNNING:
        return job
    rows = [row for row, entry in zip(job.rows, job.report, strict=True) if entry["ok"]]
    courses, batches = _load_targets(rows)
    if job.mode == ImportMode.ALL_OR_NOTHING:
        return _apply_all_or_nothing(job, courses, batches)
    return _apply_valid_rows(job, courses, batches)


def import_crashed(*, job: EnrollmentImport, exc: BaseException) -> EnrollmentImport:
    """End a job whose import stopped at an unexpected error (logged by the caller): failed
    when nothing was imported, else done with the error, so the page never spins forever."""
    job.refresh_from_db()
    return _finish(
        job,
        status=ImportStatus.DONE if job.enrolled else ImportStatus.FAILED,
        error=gettext("The import stopped at an unexpected error (%(error)s).")
        % {"error": type(exc).__name__},
    )


def _finish(job: EnrollmentImport, **fields) -> EnrollmentImport:
    fields.setdefault("finished_at", timezone.now())
    EnrollmentImport.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def _apply_valid_rows(job, courses, batches) -> EnrollmentImport:
    report = job.report
    for index, (row, entry) in enumerate(zip(job.rows, report, strict=True), start=1):
        counts = {"processed": F("processed") + 1}
        if not entry["ok"]:
            entry["result"] = "skipped"
            counts["failed"] = F("failed") + 1
        else:
            try:
                with transaction.atomic():
                    outcome = _import_row(row, courses, batches, job)
            except DomainError as exc:
                entry.update(result="failed", error=exc.message)
                counts["failed"] = F("failed") + 1
            except Exception as exc:  # a bug or a database error: record it, go on
                logger.exception("Import %s, line %s failed", job.pk, row["line"])
                entry.update(
                    result="failed",
                    error=gettext("Unexpected error (%(error)s)") % {"error": type(exc).__name__},
                )
                counts["failed"] = F("failed") + 1
            else:
                entry["result"] = "imported"
                counts["enrolled"] = F("enrolled") + 1
                if outcome.created_student:
                    counts["created_students"] = F("created_students") + 1
        if index % REPORT_EVERY == 0:
            counts["report"] = report
        EnrollmentImport.objects.filter(pk=job.pk).update(**counts)
    return _finish(job, report=report, status=ImportStatus.DONE)


def _apply_all_or_nothing(job, courses, batches) -> EnrollmentImport:
    report = job.report
    created = enrolled = 0
    try:
        with transaction.atomic():
            for row, entry in zip(job.rows, report, strict=True):
                if not entry["ok"]:  # import_start refuses such a job; be safe anyway
                    raise _Abort(row["line"], entry["error"])
                try:
                    outcome = _import_row(row, courses, batches, job)
                except DomainError as exc:
                    raise _Abort(row["line"], exc.message) from exc
                created += outcome.created_student
                enrolled += 1
                entry["result"] = "imported"
    except _Abort as abort:
        for entry in report:
            entry.pop("result", None)
            if entry["line"] == abort.line:
                entry.update(result="failed", error=abort.message)
        return _finish(
            job,
            report=report,
            status=ImportStatus.FAILED,
            error=f"Line {abort.line}: {abort.message}. Nothing was imported.",
        )
    except Exception as exc:
        logger.exception("Import %s failed", job.pk)
        return _finish(
            job,
            status=ImportStatus.FAILED,
            error=gettext("Unexpected error (%(error)s). Nothing was imported.")
            % {"error": type(exc).__name__},
        )
    return _finish(
        job,
        report=report,
        status=ImportStatus.DONE,
        processed=job.total,
        created_students=created,
        enrolled=enrolled,
    )
