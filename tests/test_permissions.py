"""The permission matrix: every URL name of the web application × six roles.

The cast (``world``): student A and instructor A own the objects every URL is called with
(A's batch, enrollment, mentoring assignment, leave, roster entry, course). Student B and
instructor B have the same kind of things of their own, in another course, so that they are
real users with real pages, never a blank account:

| role               | who                                                               |
|--------------------|-------------------------------------------------------------------|
| `anonymous`        | nobody logged in                                                  |
| `student`          | student A: enrolled in batch A, mentored by instructor A          |
| `other_student`    | student B: enrolled in batch B, mentored by instructor B          |
| `instructor`       | instructor A: primary of batch A, mentor of student A, on leave   |
|                    | once, and covering batch C for instructor C                       |
| `other_instructor` | instructor B: primary of batch B, mentor of student B             |
| `admin`            | staff                                                             |

``PAGES`` says, for each URL name and each method it accepts, what every role gets:

- ``LOGIN``: a redirect to the login page with ``?next=`` back to the page;
- a status code (403 for a wrong role, 404 for an object that is not the user's, 405 for a
  method the view refuses);
- ``Redirect("url:name")``: a redirect to that page.

On top of the status, no response to anonymous, student B or instructor B may contain
anything of A's (names, emails, batch code and name, course title): a 403 or 404 page must
not leak the object it refused, and B's own pages must not show A's data.

``test_every_url_name_is_in_the_matrix`` walks the URL resolver, so a page added without a row
here fails the suite. The Django admin (``admin:``) and the JSON API (``api:``) have their own
access tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation import services as allocation_services
from allocation.models import (
    ClassSession,
    CourseTrainer,
    Holiday,
    MentorBooking,
    MentoringSession,
    SessionKind,
    TrainerBooking,
    Weekday,
)
from allocation.tests.factories import (
    CourseFactory,
    StaffedBatchFactory,
    SubstituteCoverFactory,
)
from core import dates
from enrollments import services as enrollment_services
from enrollments.models import EnrollmentImport, EnrollmentRequest
from tests.support import module_transaction, reread, slot
from trainers import services as trainer_services

ANON = "anonymous"
STUDENT = "student"
OTHER_STUDENT = "other_student"
INSTRUCTOR = "instructor"
OTHER_INSTRUCTOR = "other_instructor"
ADMIN = "admin"
# Admin last: a POST that the admin is allowed to make may change the world (cancel the
# enrollment, end the assignment); every refused role has been tried on the intact world.
ROLES = (ANON, STUDENT, OTHER_STUDENT, INSTRUCTOR, OTHER_INSTRUCTOR, ADMIN)
# Roles that must never see anything of A's.
OUTSIDERS = (ANON, OTHER_STUDENT, OTHER_INSTRUCTOR)

LOGIN = "302 → login"

# Batches run around today, so that "current" and "upcoming" pages show them.
TODAY = dates.today()

# URL namespaces that other test modules cover: the Django admin, the JSON API.
NOT_IN_MATRIX = ("admin", "api")


@dataclass(frozen=True)
class Redirect:
    """A 302 to the page named ``url_name``, with ``kwargs`` built from the world."""

    url_name: str
    kwargs: Callable[[SimpleNamespace], dict] = lambda world: {}

    def url(self, world) -> str:
        return reverse(self.url_name, kwargs=self.kwargs(world))


def _batch(*, code: str, name: str, course, instructor, admin, day: int):
    return allocation_services.batch_create(
        course=course,
        batch_name=name,
        batch_code=code,
        start_date=TODAY - dt.timedelta(days=28),
        end_date=TODAY + dt.timedelta(days=56),
        capacity=10,
        assigned_instructor=instructor,
        created_by=admin,
        status="Active",
        schedule=[slot(day, "09:00", "11:00")],
    )


# user pk → the session key of the module's login for that user (see module_world).
_SESSIONS: dict[int, str] = {}


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    """The world, built once for the whole module inside a transaction that is rolled back
    when the module is done. Each test runs in its own savepoint inside it (the ``db``
    fixture of ``world``), so what one case writes (an admin's POST cancels A's enrollment)
    is undone before the next."""
    with module_transaction(django_db_blocker):
        world = _build_world()
        # One login per user for the module (a login is a session row, a signal and an
        # UPDATE): each test's client carries the session cookie. A test that logs out
        # deletes the row only inside its own savepoint.
        for user in world.users.values():
            if user is not None:
                client = Client()
                client.force_login(user)
                _SESSIONS[user.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
        try:
            yield world
        finally:
            _SESSIONS.clear()


@pytest.fixture
def world(module_world, db):
    """The module's world, its objects read again from the database: a test that changed one
    in memory (``refresh_from_db`` after a token reset) must not hand the change on."""
    return reread(module_world)


def _build_world():
    """A's and B's worlds, kept apart: different courses, batches, mentors."""
    admin = AdminFactory(full_name="Adele Admin", email="adele.admin@example.com")
    instructor_a = InstructorFactory(full_name="Ingrid Alphonse", email="ingrid.a@example.com")
    instructor_b = InstructorFactory(full_name="Boris Bramwell", email="boris.b@example.com")
    student_a = StudentFactory(full_name="Stella Aardvark", email="stella.a@example.com")
    student_b = StudentFactory(full_name="Silas Bumblebee", email="silas.b@example.com")
    course_a = CourseFactory(code="ALPHA-C", title="Alphabetics Course")
    # B's course is open to students (in everyone's catalogue); A's is admins-only.
    course_b = CourseFactory(code="BETA-C", title="Betamax Course", enrollment_policy="open")

    batch_a = _batch(
        code="ALPHA-B1",
        name="Alpha Morning",
        course=course_a,
        instructor=instructor_a,
        admin=admin,
        day=Weekday.MONDAY,
    )
    batch_b = _batch(
        code="BETA-B1",
        name="Beta Evening",
        course=course_b,
        instructor=instructor_b,
        admin=admin,
        day=Weekday.TUESDAY,
    )
    enrollment_a = enrollment_services.enrollment_create(
        student=student_a, course=course_a, batch=batch_a
    )
    enrollment_services.enrollment_create(student=student_b, course=course_b, batch=batch_b)
    assignment_a = allocation_services.individual_assign(
        student=student_a, instructor=instructor_a, assigned_by=admin
    )
    allocation_services.individual_assign(
        student=student_b, instructor=instructor_b, assigned_by=admin
    )
    leave_a = trainer_services.leave_record(
        trainer=instructor_a,
        start_date=TODAY + dt.timedelta(days=70),
        end_date=TODAY + dt.timedelta(days=74),
        created_by=admin,
    )
    # Student A asking to move (made by hand: the console page is about deciding it).
    request_a = EnrollmentRequest.objects.create(
        kind="transfer",
        student=student_a,
        course=course_a,
        batch=batch_a,
        enrollment=enrollment_a,
    )
    # batch_create put instructor A on the course roster.
    roster_entry_a = CourseTrainer.objects.get(course=course_a, trainer=instructor_a)
    # A session of batch A taught by instructor A, and a closure of course A, for the
    # calendar pages (made by hand: the pages are about showing them).
    session_a = ClassSession.objects.create(
        batch=batch_a,
        start_at=dt.datetime.combine(TODAY + dt.timedelta(days=3), dt.time(9), tzinfo=dt.UTC),
        end_at=dt.datetime.combine(TODAY + dt.timedelta(days=3), dt.time(11), tzinfo=dt.UTC),
        local_date=TODAY + dt.timedelta(days=3),
        kind=SessionKind.EXTRA,
    )
    TrainerBooking.objects.create(
        trainer=instructor_a,
        session=session_a,
        batch=batch_a,
        role="primary",
        start_at=session_a.start_at,
        end_at=session_a.end_at,
    )
    holiday_a = Holiday.objects.create(
        name="Alpha closure",
        start_date=TODAY + dt.timedelta(days=200),
        end_date=TODAY + dt.timedelta(days=201),
        course=course_a,
        created_by=admin,
    )
    # A 1:1 booking of student A with their mentor, instructor A, ten days ahead.
    booking_start = dt.datetime.combine(TODAY + dt.timedelta(days=10), dt.time(12), tzinfo=dt.UTC)
    booking_a = MentorBooking.objects.create(
        assignment=assignment_a,
        mentor=instructor_a,
        mentee=student_a,
        start_at=booking_start,
        end_at=booking_start + dt.timedelta(hours=1),
    )
    # A mentoring session of A's, for the mentee's rating page.
    mentoring_a = MentoringSession.objects.create(
        assignment=assignment_a,
        session_date=TODAY - dt.timedelta(days=2),
        duration_minutes=30,
        logged_by=instructor_a,
    )
    # An uploaded CSV with no rows, for the bulk import pages.
    import_job = EnrollmentImport.objects.create(created_by=admin, filename="students.csv")
    # Instructor A covers a third batch (of a bystander) for two weeks from next week.
    batch_c = StaffedBatchFactory(
        batch_code="GAMMA-B1",
        created_by=admin,
        start_date=TODAY - dt.timedelta(days=28),
        end_date=TODAY + dt.timedelta(days=56),
    )
    SubstituteCoverFactory(
        batch=batch_c,
        substitute=instructor_a,
        start_date=TODAY + dt.timedelta(days=7),
        end_date=TODAY + dt.timedelta(days=20),
    )

    users = {
        ANON: None,
        STUDENT: student_a,
        OTHER_STUDENT: student_b,
        INSTRUCTOR: instructor_a,
        OTHER_INSTRUCTOR: instructor_b,
        ADMIN: admin,
    }
    secrets_of_a = [
        student_a.full_name,
        student_a.email,
        instructor_a.full_name,
        instructor_a.email,
        batch_a.batch_code,
        batch_a.batch_name,
        course_a.title,
    ]
    return SimpleNamespace(
        users=users,
        secrets_of_a=secrets_of_a,
        student_a=student_a,
        instructor_a=instructor_a,
        course_a=course_a,
        course_b=course_b,
        batch_a=batch_a,
        enrollment_a=enrollment_a,
        request_a=request_a,
        assignment_a=assignment_a,
        leave_a=leave_a,
        roster_entry_a=roster_entry_a,
        import_job=import_job,
        session_a=session_a,
        holiday_a=holiday_a,
        booking_a=booking_a,
        mentoring_a=mentoring_a,
    )


# --- expectations ----------------------------------------------------------------------------

Expected = int | str | Redirect


def admin_page(admin: Expected = 200) -> dict[str, Expected]:
    """Console pages: admins only; other roles 403, anonymous visitors the login page."""
    return {
        ANON: LOGIN,
        STUDENT: 403,
        OTHER_STUDENT: 403,
        INSTRUCTOR: 403,
        OTHER_INSTRUCTOR: 403,
        ADMIN: admin,
    }


def instructor_page(owner: Expected = 200, other: Expected | None = None) -> dict[str, Expected]:
    """Instructor pages: ``owner`` for instructor A, ``other`` for instructor B (the same as
    the owner unless the page is about one of A's objects); everybody else 403."""
    return {
        ANON: LOGIN,
        STUDENT: 403,
        OTHER_STUDENT: 403,
        INSTRUCTOR: owner,
        OTHER_INSTRUCTOR: owner if other is None else other,
        ADMIN: 403,
    }


def student_page(ok: Expected = 200) -> dict[str, Expected]:
    """The student's own pages: each student sees their own; everybody else 403."""
    return {
        ANON: LOGIN,
        STUDENT: ok,
        OTHER_STUDENT: ok,
        INSTRUCTOR: 403,
        OTHER_INSTRUCTOR: 403,
        ADMIN: 403,
    }


def any_user(logged_in: Expected, anonymous: Expected = LOGIN) -> dict[str, Expected]:
    return {role: anonymous if role == ANON else logged_in for role in ROLES}


# What a refused POST-only URL answers to GET: the role check comes first, then the method.
ADMIN_POST_ONLY_GET = admin_page(405)


@dataclass(frozen=True)
class Page:
    """One row of the matrix: a URL name, its arguments, and what each role gets for each
    method. ``data`` is the POST body (an empty form unless given)."""

    url_name: str
    get: dict[str, Expected] | None
    post: dict[str, Expected] | None = None
    kwargs: Callable[[SimpleNamespace], dict] = lambda world: {}
    data: Callable[[SimpleNamespace], dict] = lambda world: {}
    query: Callable[[SimpleNamespace], dict] = lambda world: {}
    label: str = ""
    # Whether outsiders' responses are searched for A's data. Off only for A's calendar feed
    # with A's token: the token is the credential, whoever holds it.
    check_leaks: bool = True
    # What a 200 must be (a CSV export, a calendar feed); None: any page.
    content_type: str | None = None

    def url(self, world) -> str:
        url = reverse(self.url_name, kwargs=self.kwargs(world))
        query = self.query(world)
        return f"{url}?{urlencode(query, doseq=True)}" if query else url

    @property
    def id(self) -> str:
        return f"{self.url_name}[{self.label}]" if self.label else self.url_name


def batch_a(w):
    return {"pk": w.batch_a.pk}


def session_a(w):
    return {"pk": w.session_a.pk}


CSV = "text/csv"
ICAL = "text/calendar"


def as_csv(w):
    return {"format": "csv"}


def csv_page(url_name: str, get: dict[str, Expected] | None = None, **kwargs) -> Page:
    """The ``?format=csv`` download of a page: the same access as the page, and a CSV."""
    return Page(
        url_name,
        get=get or admin_page(),
        query=kwargs.pop("query", as_csv),
        label="csv",
        content_type=CSV,
        **kwargs,
    )


def _webhook_delivery(w):
    """A failed webhook delivery (made when the case asks for its URL)."""
    from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

    endpoint = WebhookEndpoint.objects.create(
        url="https://93.184.216.34/hook", secret="s" * 32, event_types=["batch.full"]
    )
    event = WebhookEvent.objects.create(type="batch.full", data={"batch": w.batch_a.pk})
    return WebhookDelivery.objects.create(event=event, endpoint=endpoint, status="failed")


def course_a(w):
    return {"pk": w.course_a.pk}


def student_a(w):
    return {"student_pk": w.student_a.pk}


PAGES = [
    # --- accounts ------------------------------------------------------------------------------
    Page(
        "home",
        get=any_user(Redirect("console:dashboard"))
        | {
            STUDENT: Redirect("student:schedule"),
            OTHER_STUDENT: Redirect("student:schedule"),
            INSTRUCTOR: Redirect("instructor:dashboard"),
            OTHER_INSTRUCTOR: Redirect("instructor:dashboard"),
        },
    ),
    Page(
        "login",
        # redirect_authenticated_user: a logged-in user is sent on to their landing page.
        get=any_user(Redirect("home"), anonymous=200),
        post=any_user(Redirect("home"), anonymous=200),  # an empty form: errors, no login
    ),
    Page(
        "logout",
        get=any_user(405, anonymous=405),
        post=any_user(Redirect("login"), anonymous=Redirect("login")),
    ),
    Page("password_change", get=any_user(200), post=any_user(200)),
    Page("favicon", get=any_user(200, anonymous=200), content_type="image/x-icon"),
    Page("password_change_done", get=any_user(200)),
    # --- the load balancer's probes (core/health.py): public, read-only --------------------------
    Page("healthz", get=any_user(200, anonymous=200)),
    Page("readyz", get=any_user(200, anonymous=200)),
    # An empty form: the page again, with the error.
    Page("profile", get=any_user(200), post=any_user(200)),
    # --- language, password reset and invitations (accounts/views.py): open to everyone ----------
    # The switch without a language changes nothing and goes back (no ``next``: home).
    Page(
        "language_switch",
        get=any_user(405, anonymous=405),
        post=any_user(Redirect("home"), anonymous=Redirect("home")),
    ),
    # An empty form: the page again, with the error.
    Page("password_reset", get=any_user(200, anonymous=200), post=any_user(200, anonymous=200)),
    Page("password_reset_done", get=any_user(200, anonymous=200)),
    # A link that names nobody: the page that says the link does not work.
    Page(
        "password_reset_confirm",
        get=any_user(200, anonymous=200),
        post=any_user(200, anonymous=200),
        kwargs=lambda w: {"uidb64": "MQ", "token": "no-such-token"},
        data=lambda w: {"new_password1": "a-long-passphrase-1", "new_password2": "x"},
    ),
    Page("password_reset_complete", get=any_user(200, anonymous=200)),
    Page(
        "invitation_accept",
        get=any_user(200, anonymous=200),
        post=any_user(200, anonymous=200),
        kwargs=lambda w: {"uidb64": "MQ", "token": "no-such-token"},
        data=lambda w: {"new_password1": "a-long-passphrase-1", "new_password2": "x"},
    ),
    # --- console: people and invitations (accounts/views.py) -------------------------------------
    Page("people:list", get=admin_page()),
    csv_page("people:list"),
    # Student A has signed in: refused with a message, back to the list.
    Page(
        "people:invite",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("people:list")),
        kwargs=lambda w: {"pk": w.student_a.pk},
    ),
    # --- console: allocation -------------------------------------------------------------------
    Page("console:dashboard", get=admin_page()),
    Page("console:batch_list", get=admin_page()),
    Page("console:batch_create", get=admin_page(), post=admin_page(200)),  # 200: form errors
    Page("console:batch_detail", get=admin_page(), kwargs=batch_a),
    Page("console:batch_edit", get=admin_page(), post=admin_page(200), kwargs=batch_a),
    Page(
        "console:batch_conflicts",
        # The live warning of the batch form (JSON): A's Monday slot clashes with itself.
        get=admin_page(200),
        query=lambda w: {
            "instructor": w.instructor_a.pk,
            "start_date": TODAY.isoformat(),
            "end_date": (TODAY + dt.timedelta(days=28)).isoformat(),
            "slot": "0,10:00,12:00",
        },
    ),
    Page("console:batch_conflicts", get=admin_page(400), label="no query"),
    Page(
        "console:batch_assign_instructor",
        get=admin_page(),
        post=admin_page(200),  # no instructor chosen: the form again, with its error
        kwargs=batch_a,
    ),
    Page(
        "console:batch_note_add",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(200),  # an empty note: the batch page again, with the form error
        kwargs=batch_a,
    ),
    Page(
        "console:batch_supervising_lead",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("console:course_staffing", lambda w: {"pk": w.course_a.pk})),
        kwargs=batch_a,
    ),
    # --- the calendar (allocation/views/calendar.py) -------------------------------------------
    Page("console:batch_calendar", get=admin_page(), kwargs=batch_a),
    Page("console:session_add", get=admin_page(), post=admin_page(200), kwargs=batch_a),
    Page("console:session_detail", get=admin_page(), kwargs=session_a),
    Page(
        "console:session_cancel",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(200),  # no reason: the session page again, with the form error
        kwargs=session_a,
    ),
    Page(
        "console:session_move",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(200),  # no time: the session page again, with the form errors
        kwargs=session_a,
    ),
    Page("console:holiday_list", get=admin_page(), post=admin_page(200)),
    Page(
        "console:holiday_delete",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("console:holiday_list")),
        kwargs=lambda w: {"pk": w.holiday_a.pk},
    ),
    Page("console:course_list", get=admin_page()),
    Page("console:course_detail", get=admin_page(), kwargs=course_a),
    Page("console:course_roster", get=admin_page(), post=admin_page(200), kwargs=course_a),
    Page("console:course_staffing", get=admin_page(), post=admin_page(), kwargs=course_a),
    Page(
        "console:roster_entry_edit",
        get=admin_page(),
        post=admin_page(200),
        kwargs=lambda w: {"entry_pk": w.roster_entry_a.pk},
    ),
    Page(
        "console:roster_entry_remove",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("console:course_roster", lambda w: {"pk": w.course_a.pk})),
        kwargs=lambda w: {"entry_pk": w.roster_entry_a.pk},
    ),
    Page("console:leave_list", get=admin_page(), post=admin_page(200)),
    Page("console:leave_detail", get=admin_page(), kwargs=lambda w: {"pk": w.leave_a.pk}),
    Page(
        "console:cover_assign",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("console:leave_detail", lambda w: {"pk": w.leave_a.pk})),
        kwargs=lambda w: {"pk": w.leave_a.pk},
    ),
    Page("console:mentor_list", get=admin_page()),
    Page("console:mentor_assign", get=admin_page(), kwargs=student_a),
    Page(
        "console:mentor_assign_submit",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(200),
        kwargs=student_a,
    ),
    Page(
        "console:mentor_reassign",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(200),
        kwargs=student_a,
    ),
    Page(
        "console:mentor_unassign",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("console:mentor_assign", student_a)),
        kwargs=student_a,
    ),
    Page(
        "console:student_needs_edit",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("console:mentor_assign", student_a)),
        kwargs=student_a,
    ),
    # --- console: enrollments ------------------------------------------------------------------
    Page("enroll:list", get=admin_page()),
    Page("enroll:create", get=admin_page(), post=admin_page(200)),
    Page(
        "enroll:cancel",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("enroll:list")),
        kwargs=lambda w: {"pk": w.enrollment_a.pk},
    ),
    Page(
        "enroll:transfer",
        get=admin_page(),
        post=admin_page(200),
        kwargs=lambda w: {"pk": w.enrollment_a.pk},
    ),
    Page("enroll:requests", get=admin_page()),
    Page(
        "enroll:request_decide",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("enroll:requests")),
        kwargs=lambda w: {"pk": w.request_a.pk},
    ),
    # --- instructor ----------------------------------------------------------------------------
    Page("instructor:dashboard", get=instructor_page()),
    Page("instructor:mentees", get=instructor_page()),
    Page("instructor:this_week", get=instructor_page()),
    # Attendance (issue 19): the roll is for the session's trainers and admins.
    Page(
        "attendance:roll",
        get={**instructor_page(200, 403), ADMIN: 200},
        # The session is in a few days: the roll is refused as not started (the page says so).
        post={**instructor_page(200, 403), ADMIN: 200},
        kwargs=session_a,
    ),
    Page("attendance:mine", get=student_page()),
    Page("attendance:at_risk", get={**instructor_page(), ADMIN: 200}),
    Page("attendance:report", get=admin_page()),
    csv_page("attendance:report"),
    Page(
        "instructor:session_log",
        # Instructor B gets 404 for A's assignment: not even whether it exists.
        get=instructor_page(other=404),
        post=instructor_page(200, other=404),
        kwargs=lambda w: {"assignment_pk": w.assignment_a.pk},
    ),
    Page(
        "instructor:batch_notes",
        get=instructor_page(other=404),
        post=instructor_page(200, other=404),
        kwargs=batch_a,
    ),
    Page("instructor:availability", get=instructor_page(), post=instructor_page()),
    # --- student -------------------------------------------------------------------------------
    Page("student:schedule", get=student_page()),
    # --- 1:1 mentoring bookings (mentees and mentors; a booking's outsiders get 404) ------------
    Page("mentoring:bookings", get=any_user(200)),
    Page(
        "mentoring:book",
        get=any_user(405),
        # Not a free slot (nobody has hours in the world): a message on the bookings page.
        post=any_user(Redirect("mentoring:bookings")),
        data=lambda w: {"start": "2030-01-07T10:00:00+00:00"},
    ),
    Page(
        "mentoring:cancel",
        get=any_user(405),
        # The student cancels; the later ones are refused with a message (already cancelled).
        post=any_user(Redirect("mentoring:bookings")) | {OTHER_STUDENT: 404, OTHER_INSTRUCTOR: 404},
        kwargs=lambda w: {"pk": w.booking_a.pk},
    ),
    Page(
        "mentoring:move",
        get=any_user(200) | {OTHER_STUDENT: 404, OTHER_INSTRUCTOR: 404},
        # Not a free slot: the page again, with the error.
        post=any_user(200) | {OTHER_STUDENT: 404, OTHER_INSTRUCTOR: 404},
        kwargs=lambda w: {"pk": w.booking_a.pk},
        data=lambda w: {"start": "2030-01-07T10:00:00+00:00", "reason": "Clash"},
    ),
    # --- feedback ------------------------------------------------------------------------------
    # A's batch is still running: its student sees "not open yet"; student B: 404.
    Page(
        "feedback:rate",
        get=student_page() | {OTHER_STUDENT: 404},
        post=student_page() | {OTHER_STUDENT: 404},
        kwargs=lambda w: {"batch_id": w.batch_a.pk},
        data=lambda w: {"rating": "5", "comment": "Fine", f"trainer_{w.instructor_a.pk}": "4"},
    ),
    Page(
        "feedback:rate_mentoring",
        get=student_page() | {OTHER_STUDENT: 404},
        post=student_page() | {OTHER_STUDENT: 404},
        kwargs=lambda w: {"session_id": w.mentoring_a.pk},
    ),
    # The batch's trainers and admins; anyone else 404 (not even whether it exists).
    Page(
        "feedback:batch",
        get=any_user(404) | {INSTRUCTOR: 200, ADMIN: 200},
        kwargs=lambda w: {"batch_id": w.batch_a.pk},
    ),
    Page("student:catalogue", get=student_page()),
    Page(
        "student:course",
        get=student_page(),
        kwargs=lambda w: {"pk": w.course_b.pk},
        label="B's open course",
    ),
    # Course A takes students by admins only: not in anyone's catalogue.
    Page("student:course", get=student_page(404), kwargs=course_a, label="A's course"),
    *(
        Page(
            name,
            get=student_page(405),
            # Refused with a message (A is enrolled, the course is admin-only, A waits for
            # nothing), back on the course's page.
            post=student_page(Redirect("student:course", course_a)),
            kwargs=batch_a,
        )
        for name in (
            "student:batch_enroll",
            "student:batch_request",
            "student:waitlist_join",
            "student:waitlist_leave",
        )
    ),
    *(
        Page(
            name,
            get=student_page(405),
            # A's batch started four weeks ago: past A's own cancel window; B: not theirs.
            post=student_page(Redirect("student:course", course_a)) | {OTHER_STUDENT: 404},
            kwargs=lambda w: {"pk": w.enrollment_a.pk},
        )
        for name in ("student:cancel", "student:transfer")
    ),
    # --- calendar feeds: the token is the credential, a session is neither needed nor enough ---
    Page(
        "feeds:student",
        get=any_user(200, anonymous=200),
        kwargs=lambda w: {"token": w.student_a.feed_token},
        label="A's token",
        check_leaks=False,
        content_type=ICAL,
    ),
    Page(
        "feeds:student",
        get=any_user(404, anonymous=404),
        kwargs=lambda w: {"token": "not-a-token-of-anybody"},
        label="wrong token",
    ),
    Page(
        "feeds:student",
        get=any_user(404, anonymous=404),
        kwargs=lambda w: {"token": w.instructor_a.feed_token},
        label="an instructor's token",
    ),
    Page(
        "feeds:instructor",
        get=any_user(200, anonymous=200),
        kwargs=lambda w: {"token": w.instructor_a.feed_token},
        label="A's token",
        check_leaks=False,
        content_type=ICAL,
    ),
    Page(
        "feeds:instructor",
        get=any_user(404, anonymous=404),
        kwargs=lambda w: {"token": "not-a-token-of-anybody"},
        label="wrong token",
    ),
    Page(
        "feeds:instructor",
        get=any_user(404, anonymous=404),
        kwargs=lambda w: {"token": w.student_a.feed_token},
        label="a student's token",
    ),
    Page("feeds:reset", get=any_user(405), post=any_user(Redirect("home"))),
    # --- inbox (medh/notifications) ------------------------------------------------------------
    Page("inbox:list", get=any_user(200)),
    Page(
        "inbox:read",
        get=any_user(405),
        # Student A's welcome notification: only A may mark it read; for others it does not
        # exist.
        post=any_user(404) | {STUDENT: Redirect("inbox:list")},
        kwargs=lambda w: {"pk": w.student_a.notifications.order_by("pk").first().pk},
    ),
    Page("inbox:read_all", get=any_user(405), post=any_user(Redirect("inbox:list"))),
    # --- waitlists (enrollments/views/waitlists.py) -------------------------------------------
    Page("waitlist:list", get=admin_page()),
    Page("waitlist:batch", get=admin_page(), kwargs=batch_a),
    Page(
        "waitlist:add",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(200),  # no student chosen: the waitlist page again, with the error
        kwargs=batch_a,
    ),
    Page(
        "waitlist:move",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("waitlist:batch", batch_a)),  # no entry: a message
        kwargs=batch_a,
    ),
    Page(
        "waitlist:remove",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("waitlist:batch", batch_a)),  # no entry: a message
        kwargs=batch_a,
    ),
    # --- trainer assignment and balancing (allocation/views/assignment.py) ------------------
    # An empty POST (no proposal rows): the page again, with the form error.
    Page("assignment:preview", get=admin_page(), post=admin_page(200)),
    Page("assignment:balance", get=admin_page(), post=admin_page(200)),
    # --- reports (reports/report_views.py) -----------------------------------------------------
    Page("reports:index", get=admin_page()),
    Page("reports:courses", get=admin_page()),
    Page(
        "reports:batches",
        get=admin_page(),
        query=lambda w: {"course": w.course_a.pk, "status": "Active"},
    ),
    Page("reports:instructors", get=admin_page()),
    Page("reports:students", get=admin_page()),
    Page("reports:quality", get=admin_page()),
    # --- audit log (reports/audit_views.py) ----------------------------------------------------
    Page("audit:log", get=admin_page()),
    Page("audit:log", get=admin_page(), query=lambda w: {"batch": w.batch_a.pk}, label="batch"),
    Page(
        "audit:student",
        get=admin_page(),
        kwargs=lambda w: {"pk": w.student_a.pk},
    ),
    Page(
        "audit:student",
        get=admin_page(404),  # not a student
        kwargs=lambda w: {"pk": w.instructor_a.pk},
        label="instructor",
    ),
    # --- webhooks (webhooks/views.py) ------------------------------------------------------------
    Page("webhooks:deliveries", get=admin_page()),
    Page(
        "webhooks:redeliver",
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("webhooks:deliveries", lambda w: {})),
        kwargs=lambda w: {"pk": _webhook_delivery(w).pk},
    ),
    # --- bulk import (enrollments/import_views.py) ---------------------------------------------
    Page("imports:list", get=admin_page()),
    Page("imports:upload", get=ADMIN_POST_ONLY_GET, post=admin_page(200)),  # no file: form error
    Page("imports:template", get=admin_page(), content_type=CSV),
    Page("imports:detail", get=admin_page(), kwargs=lambda w: {"pk": w.import_job.pk}),
    Page("imports:status", get=admin_page(), kwargs=lambda w: {"pk": w.import_job.pk}),
    Page(
        "imports:apply",
        get=ADMIN_POST_ONLY_GET,
        # The job has no valid row: refused with a message, back to its page.
        post=admin_page(Redirect("imports:detail", lambda w: {"pk": w.import_job.pk})),
        kwargs=lambda w: {"pk": w.import_job.pk},
    ),
    # --- batch lifecycle and integrity (enrollments/lifecycle_views.py) ------------------------
    Page("lifecycle:preview", get=admin_page()),
    Page(
        "lifecycle:run",
        # Today's run: the world's batches run around today, so it changes nothing of A's.
        get=ADMIN_POST_ONLY_GET,
        post=admin_page(Redirect("lifecycle:preview")),
    ),
    # --- CSV exports: every page that downloads with ?format=csv (the filters stay) ---------
    # test_every_csv_export_is_in_the_matrix finds them by asking every page for a CSV.
    csv_page("console:dashboard"),
    csv_page("console:batch_list"),
    csv_page("console:course_list"),
    csv_page("console:leave_list"),
    csv_page("console:mentor_list"),
    csv_page("enroll:list"),
    csv_page("waitlist:list"),
    csv_page("waitlist:batch", kwargs=batch_a),
    csv_page("assignment:preview"),
    csv_page("assignment:balance"),
    csv_page("reports:index"),
    csv_page("reports:courses"),
    csv_page(
        "reports:batches",
        query=lambda w: {"format": "csv", "course": w.course_a.pk, "status": "Active"},
    ),
    csv_page("reports:instructors"),
    csv_page("reports:students"),
    csv_page("reports:quality"),
    csv_page("audit:log"),
    csv_page("audit:student", kwargs=lambda w: {"pk": w.student_a.pk}),
    csv_page("imports:list"),
    csv_page("imports:detail", kwargs=lambda w: {"pk": w.import_job.pk}),
    csv_page("lifecycle:preview"),
]

# The namespaces and top-level names the matrix must cover completely.
MATRIX_NAMESPACES = ("console", "instructor", "student", "enroll", "feeds")


def walk_url_names(patterns=None, namespace: str = "") -> set[str]:
    """Every ``namespace:name`` (or bare ``name``) the resolver knows."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            names |= walk_url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def web_app_url_names() -> set[str]:
    return {name for name in walk_url_names() if name.split(":")[0] not in NOT_IN_MATRIX}


def test_every_url_name_is_in_the_matrix():
    routed = web_app_url_names()
    in_matrix = {page.url_name for page in PAGES}
    assert routed - in_matrix == set(), "URL names without a row in PAGES"
    assert in_matrix - routed == set(), "rows of PAGES for URL names that no longer exist"
    # The walker really sees the namespaced pages (a broken walker would pass the above
    # only if PAGES were empty too, but say it plainly).
    for namespace in MATRIX_NAMESPACES:
        assert any(name.startswith(f"{namespace}:") for name in routed), namespace


def test_every_row_covers_every_role():
    for page in PAGES:
        for method in (page.get, page.post):
            if method is not None:
                assert set(method) == set(ROLES), page.id


# --- the matrix ------------------------------------------------------------------------------


def log_in(client: Client, user) -> Client:
    """``client`` logged in as ``user`` (None: anonymous), with the module's session for the
    user when there is one, else a fresh login."""
    if user is None:
        return client
    if user.pk in _SESSIONS:
        client.cookies[settings.SESSION_COOKIE_NAME] = _SESSIONS[user.pk]
    else:
        client.force_login(user)
    return client


def client_for(user) -> Client:
    return log_in(Client(), user)


def check(
    response, expected: Expected, *, world, url: str, label: str, content_type: str | None = None
) -> None:
    __tracebackhide__ = True
    got = f"{label}: {response.status_code} {response.content[:300]!r}"
    if expected == LOGIN:
        assert response.status_code == 302, got
        location = urlsplit(response["Location"])
        assert location.path == reverse(settings.LOGIN_URL), got
        assert parse_qs(location.query) == {"next": [url]}, response["Location"]
    elif isinstance(expected, Redirect):
        assert response.status_code == 302, got
        assert urlsplit(response["Location"]).path == expected.url(world), response["Location"]
    else:
        assert response.status_code == expected, got
        if expected == 200 and content_type is not None:
            assert response["Content-Type"].startswith(content_type), got


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.id)
def test_permission_matrix(world, page):
    url = page.url(world)
    for method, expectations in (("get", page.get), ("post", page.post)):
        if expectations is None:
            continue
        for role in ROLES:
            client = client_for(world.users[role])
            send = client.get if method == "get" else partial(client.post, data=page.data(world))
            response = send(url)
            label = f"{method.upper()} {url} as {role}"
            check(
                response,
                expectations[role],
                world=world,
                url=url,
                label=label,
                content_type=page.content_type,
            )
            if page.check_leaks and role in OUTSIDERS:
                body = response.content.decode(errors="replace")
                leaked = [secret for secret in world.secrets_of_a if secret in body]
                assert leaked == [], f"{label} shows A's data: {leaked}"


# --- CSRF --------------------------------------------------------------------------------------

UNSAFE_METHODS = ("post", "put", "patch", "delete")


def _first_allowed_role(page: Page) -> str:
    """A role that gets past the access checks of ``page`` (its POST if it has one, else its
    GET): anonymous for the login form, otherwise the admin, else the owner."""
    expectations = page.post or page.get
    if expectations[ANON] == 200:
        return ANON
    for role in (ADMIN, INSTRUCTOR, STUDENT, ANON):
        if expectations[role] not in (LOGIN, 403, 404, 405):
            return role
    raise AssertionError(f"no role may use {page.id}")


def database_fingerprint() -> dict[str, list]:
    """Every row of every table (sessions aside: logging in writes one), to prove a refused
    request changed nothing."""
    from django.apps import apps
    from django.contrib.sessions.models import Session

    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model is not Session
    }


def _one_page_per_url() -> list[Page]:
    """One row per distinct URL name (the first), so each is sent every unsafe method once."""
    seen, pages = set(), []
    for page in PAGES:
        if page.url_name not in seen:
            seen.add(page.url_name)
            pages.append(page)
    return pages


@pytest.mark.parametrize("page", _one_page_per_url(), ids=lambda page: page.id)
def test_no_unsafe_request_without_the_csrf_token(world, page):
    """Every URL of the web application (the resolver test above makes PAGES complete), sent
    POST, PUT, PATCH and DELETE without a CSRF token by a role that may use it: 403 for the
    token, and the database is unchanged. Not only the forms: a view that would act on a
    method it does not advertise is caught too."""
    role = _first_allowed_role(page)
    client = log_in(Client(enforce_csrf_checks=True), world.users[role])
    url = page.url(world)
    before = database_fingerprint()
    for method in UNSAFE_METHODS:
        response = getattr(client, method)(url, page.data(world))
        label = f"{method.upper()} {url} as {role} without a CSRF token"
        assert response.status_code == 403, label
        assert b"CSRF" in response.content, label  # refused for the token, not the role
    assert database_fingerprint() == before, f"{url}: a refused request changed the database"


@pytest.mark.parametrize(
    "page", [page for page in PAGES if page.post is not None], ids=lambda page: page.id
)
def test_the_same_post_with_the_token_gets_past_csrf(world, page):
    """The control for the test above: with the token, the role's POST reaches the view and
    gets what the matrix says (so the 403 above was the missing token and nothing else)."""
    role = _first_allowed_role(page)
    client = log_in(Client(enforce_csrf_checks=True), world.users[role])
    # A CSRF secret in the cookie and the same value in the header, as a page's form sends.
    token = "t0ken" * 6 + "ok"
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    url = page.url(world)
    response = client.post(url, page.data(world), HTTP_X_CSRFTOKEN=token)
    check(response, page.post[role], world=world, url=url, label=f"POST {url} as {role}")


# --- CSV exports and calendar feeds ----------------------------------------------------------


def test_every_csv_export_is_in_the_matrix(world):
    """Asks every page the admin may open for ``?format=csv``: each that answers with a CSV
    must have its own ``csv`` row, so every export is checked for every role."""
    admin = client_for(world.users[ADMIN])
    exports = set()
    for page in PAGES:
        if page.content_type is not None or page.get is None or page.get[ADMIN] != 200:
            continue
        url = reverse(page.url_name, kwargs=page.kwargs(world))
        response = admin.get(url, {"format": "csv"})
        if response.get("Content-Type", "").startswith(CSV):
            exports.add(page.url_name)
    assert exports, "no page downloads as CSV: the probe is broken"
    in_matrix = {page.url_name for page in PAGES if page.content_type == CSV}
    missing = sorted(exports - in_matrix)
    assert not missing, f"CSV exports without a csv row in PAGES: {missing}"


@pytest.mark.parametrize(
    ("feed", "owner"), [("feeds:student", "student_a"), ("feeds:instructor", "instructor_a")]
)
def test_a_reset_feed_token_is_dead_and_the_new_one_works(world, feed, owner):
    user = getattr(world, owner)
    old_url = reverse(feed, kwargs={"token": user.feed_token})
    anonymous = Client()
    response = anonymous.get(old_url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(ICAL)
    assert b"BEGIN:VCALENDAR" in response.content

    assert client_for(user).post(reverse("feeds:reset")).status_code == 302
    user.refresh_from_db()
    new_url = reverse(feed, kwargs={"token": user.feed_token})
    assert new_url != old_url
    assert anonymous.get(old_url).status_code == 404
    response = anonymous.get(new_url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(ICAL)


def test_every_url_pattern_has_a_name():
    """An unnamed pattern would escape the name-based matrix (outside the admin, and the API's
    catch-all 404, which tests/api covers)."""
    unnamed = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif namespace not in NOT_IN_MATRIX and not pattern.name:
                unnamed.append(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "", "")
    assert unnamed == []


# --- the leak check has teeth ----------------------------------------------------------------

# A's data does show where it should: so its absence from outsiders' pages means something.
SHOWN_TO_A = [
    ("student:schedule", STUDENT, "ALPHA-B1"),
    ("instructor:dashboard", INSTRUCTOR, "ALPHA-B1"),
    ("instructor:dashboard", INSTRUCTOR, "GAMMA-B1"),  # the cover duty
    ("instructor:mentees", INSTRUCTOR, "Stella Aardvark"),
    ("instructor:session_log", INSTRUCTOR, "Stella Aardvark"),
    ("mentoring:bookings", STUDENT, "Ingrid Alphonse"),
    ("mentoring:bookings", INSTRUCTOR, "Stella Aardvark"),
    ("instructor:batch_notes", INSTRUCTOR, "ALPHA-B1"),
    ("feedback:rate", STUDENT, "ALPHA-B1"),
    ("feedback:rate_mentoring", STUDENT, "Ingrid Alphonse"),
    ("feedback:batch", INSTRUCTOR, "ALPHA-B1"),
    ("console:batch_detail", ADMIN, "Stella Aardvark"),
    ("console:batch_conflicts", ADMIN, "ALPHA-B1"),
    ("console:mentor_assign", ADMIN, "Ingrid Alphonse"),
]


@pytest.mark.parametrize(("url_name", "role", "text"), SHOWN_TO_A)
def test_the_owner_sees_what_outsiders_must_not(world, url_name, role, text):
    page = next(page for page in PAGES if page.url_name == url_name)
    response = client_for(world.users[role]).get(page.url(world))
    assert response.status_code == 200
    assert text in response.content.decode()
