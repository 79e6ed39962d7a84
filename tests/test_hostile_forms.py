"""Every form of the web application, posted with bad and hostile values: never a 500, and
whatever is echoed back is escaped.

The forms are found, not listed: each POST row of the permission matrix (``PAGES``) is opened
by a role that may use it, on its own page or the page that holds its form (``HOSTS``), and
every ``<form method="post">`` whose action is that URL gives its field names. The same is
done for the add forms of the Django admin and for the GET filter forms of every list page.

Each form is then posted once per payload (empty, 10k characters, wrong types, huge and
negative numbers, impossible and far dates, HTML, SQL-looking, NUL, RTL/emoji/zero-width):

- with *every* field set to the payload (hidden fields and formset management forms too);
- with the form's own valid defaults (the selected options, the matrix's data) and every
  free-text field set to the payload, so that hostile text reaches the services.

Each post runs in a savepoint that is rolled back, so every payload meets the same world. The
answer must be a 200 (the form with its errors) or a 302 (accepted), and an HTML answer (and
the page a 302 leads to) never holds an HTML payload unescaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from tests.test_permissions import (
    ANON,
    PAGES,
    Page,
    _first_allowed_role,
    client_for,
    module_world,  # noqa: F401  (the fixtures, used through `cast`)
    world,  # noqa: F401
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# Values that must never come back as markup.
HTML_PAYLOADS = (SCRIPT, IMG)
PAYLOADS = {
    "empty": "",
    "oversized": "x" * 10_000,
    "wrong type": "abc",
    "impossible date": "2024-13-45",
    "huge int": str(10**30),
    "negative": "-1",
    "script": SCRIPT,
    "img": IMG,
    "sql": "'; DROP TABLE batches; --",
    "nul": "a\x00b",
    "unicode": "\u202egnp.exe \u200b\u200d😀 Łódź 東京",
    "far past": "0001-01-01",
    "far future": "9999-12-31",
}
# Free-text inputs: the ones a valid-defaults post sets to the payload.
TEXT_TYPES = {"text", "email", "number", "date", "time", "datetime-local", "search", "url"}
TEXT_TYPES |= {"password", "tel", "textarea"}
SKIP_NAMES = {"csrfmiddlewaretoken"}

# POST-only URLs: the page that holds their form.
HOSTS = {
    "console:batch_note_add": "console:batch_detail",
    "console:batch_supervising_lead": "console:course_staffing",
    "console:roster_entry_remove": "console:course_roster",
    "console:cover_assign": "console:leave_detail",
    "console:mentor_assign_submit": "console:mentor_assign",
    "console:mentor_reassign": "console:mentor_assign",
    "console:mentor_unassign": "console:mentor_assign",
    "console:student_needs_edit": "console:mentor_assign",
    "enroll:cancel": "console:batch_detail",
    "inbox:read": "inbox:list",
    "inbox:read_all": "inbox:list",
    "waitlist:add": "waitlist:batch",
    "waitlist:move": "waitlist:batch",
    "waitlist:remove": "waitlist:batch",
    "imports:upload": "imports:list",
    "imports:apply": "imports:detail",
    "lifecycle:run": "lifecycle:preview",
    "feeds:reset": "student:schedule",
    "console:session_cancel": "console:session_detail",
    "console:session_move": "console:session_detail",
    "console:holiday_delete": "console:holiday_list",
    "webhooks:redeliver": "webhooks:deliveries",
    "language_switch": "profile",
    "people:invite": "people:list",
    "mentoring:book": "mentoring:bookings",
    "mentoring:cancel": "mentoring:bookings",
    "enroll:request_decide": "enroll:requests",
}
# Forms that are only a button: nothing to fill in.
BUTTONS = {"logout", "feeds:reset", "inbox:read", "inbox:read_all", "lifecycle:run"}
BUTTONS |= {"enroll:cancel", "imports:apply", "console:mentor_unassign", "waitlist:move"}
BUTTONS |= {"waitlist:remove", "console:roster_entry_remove", "console:holiday_delete"}
BUTTONS |= {"webhooks:redeliver", "people:invite", "mentoring:cancel"}
# The student's self-service actions: buttons on the course page, shown only for a course open
# to students (course A is admin-only, so none is shown in the matrix's world).
BUTTONS |= {"student:batch_enroll", "student:batch_request", "student:waitlist_join"}
BUTTONS |= {"student:waitlist_leave", "student:cancel", "student:transfer"}
# Forms the world does not show (no uncovered session to cover, the student already has a
# mentor, nothing for the solver to staff): posted with the matrix's data and the payloads.
NOT_SHOWN = {"console:cover_assign", "console:mentor_assign_submit"}
NOT_SHOWN |= {"assignment:preview", "assignment:balance"}
# The set-password forms of a reset or invitation link the world has no valid token for (a
# valid link's form: notifications/tests/test_account_emails.py, test_the_set_password_form_*).
NOT_SHOWN |= {"password_reset_confirm", "invitation_accept"}
# The world's mentors declared no hours, so no slot buttons (their field: ``start``).
NOT_SHOWN |= {"mentoring:book", "mentoring:move"}
# A's batch is still running: its rating form is not open yet.
NOT_SHOWN |= {"feedback:rate"}


# --- finding the forms ------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # an input's type, "select" or "textarea"
    value: str = ""  # its default: the value attribute, the selected (or first) option
    checked: bool = False


@dataclass
class Form:
    method: str
    action: str
    fields: list[Field] = field(default_factory=list)


class FormParser(HTMLParser):
    """The forms of a page, with their fields and default values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: Field | None = None
        self._first_option = True

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                Form((attrs.get("method") or "get").lower(), attrs.get("action") or "")
            )
        elif tag == "option" and self._select is not None:
            value = attrs.get("value") or ""
            if value and ("selected" in attrs or self._first_option):
                self._select.value = value
                self._first_option = False
        elif not self.forms or not attrs.get("name"):
            return
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind not in {"submit", "button", "reset", "image"}:
                self.forms[-1].fields.append(
                    Field(attrs["name"], kind, attrs.get("value") or "", "checked" in attrs)
                )
        elif tag == "textarea":
            self.forms[-1].fields.append(Field(attrs["name"], "textarea"))
        elif tag == "select":
            self._select = Field(attrs["name"], "select")
            self._first_option = True
            self.forms[-1].fields.append(self._select)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def forms_of(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def fields_posting_to(client, host_url: str, url: str, method: str = "post") -> list[Field]:
    """The fields of every ``method`` form on ``host_url`` whose action is ``url``."""
    response = client.get(host_url)
    assert response.status_code == 200, f"GET {host_url}: {response.status_code}"
    found: dict[str, Field] = {}
    for form in forms_of(response.content.decode()):
        action = urlsplit(form.action).path or urlsplit(host_url).path
        if form.method == method and action == urlsplit(url).path:
            for f in form.fields:
                if f.name not in SKIP_NAMES:
                    found.setdefault(f.name, f)
    return list(found.values())


@pytest.fixture
def cast(world):  # noqa: F811 (the fixture imported above)
    """The permission matrix's world: A's and B's users and objects, an admin (built once for
    this module, each test in its own savepoint)."""
    return world


# --- posting -----------------------------------------------------------------------------------


def hostile_data(fields: list[Field], payload: str, *, everything: bool, valid: dict) -> dict:
    """Everything set to ``payload``, or the valid defaults with the free text set to it."""
    data = {}
    for f in fields:
        if f.kind == "file":
            data[f.name] = SimpleUploadedFile(
                "hostile.csv",
                f"email,full_name\n{payload}@example.com,{payload}\n".encode(),
                content_type="text/csv",
            )
        elif everything or f.kind in TEXT_TYPES:
            data[f.name] = payload
        elif f.kind in {"checkbox", "radio"}:
            if f.checked:
                data.setdefault(f.name, f.value or "on")
        else:
            data[f.name] = f.value
    if not everything:
        data = {**valid, **data}
    return data


def assert_escaped(response, label: str) -> None:
    if "html" not in response.get("Content-Type", ""):
        return
    body = response.content.decode(errors="replace")
    for payload in HTML_PAYLOADS:
        assert payload not in body, f"{label}: {payload!r} echoed unescaped"


def post_every_payload(client, url: str, fields: list[Field], valid: dict, label: str, ok):
    """Posts each payload twice (see the module docstring) and checks every answer."""
    failures = []
    for name, payload in PAYLOADS.items():
        for everything in (True, False):
            data = hostile_data(fields, payload, everything=everything, valid=valid)
            what = f"{label} [{name}, {'every field' if everything else 'free text'}]"
            with transaction.atomic():
                response = client.post(url, data)
                if response.status_code not in ok:
                    failures.append(f"{what}: {response.status_code}")
                else:
                    assert_escaped(response, what)
                    if response.status_code == 302:
                        follow = client.get(response["Location"])
                        assert follow.status_code < 500, f"{what}: the next page failed"
                        assert_escaped(follow, f"{what} → {response['Location']}")
                transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


# --- the console, instructor and account forms -------------------------------------------------


def _form_pages() -> list[Page]:
    seen, pages = set(), []
    for page in PAGES:
        if page.post is not None and page.url_name not in seen:
            seen.add(page.url_name)
            pages.append(page)
    return pages


def _host_url(page: Page, cast, role: str) -> str | None:
    host_name = HOSTS.get(page.url_name)
    if host_name is None:
        expected = page.get[role] if page.get else None
        return page.url(cast) if expected == 200 else None
    host = next(p for p in PAGES if p.url_name == host_name and not p.label)
    return host.url(cast)


@pytest.mark.parametrize("page", _form_pages(), ids=lambda page: page.url_name)
def test_every_form_survives_hostile_values(cast, page):
    role = _first_allowed_role(page)
    if page.url_name == "feeds:reset":
        role = "student"  # the reset button is on the student's schedule
    client = client_for(cast.users[role])
    url = page.url(cast)
    host = _host_url(page, cast, role)
    fields = fields_posting_to(client, host, url) if host else []
    if not fields and page.url_name in NOT_SHOWN:
        fields = [Field(name, "text") for name in page.data(cast)] or [Field("x", "text")]
    if page.url_name not in BUTTONS:
        assert fields, f"no form posting to {url} found on {host}: the probe is broken"
    # What the page's own defaults and the matrix's data give: a valid post where possible.
    valid = {f.name: f.value for f in fields if f.kind not in TEXT_TYPES} | page.data(cast)
    # A login refused too often is throttled (429), which is neither an error nor a 500.
    ok = {200, 302, 429} if role == ANON else {200, 302}
    post_every_payload(client, url, fields, valid, f"POST {url} as {role}", ok)


def test_the_probe_finds_the_batch_form_fields(cast):
    """The form finder sees what the batch form really holds: names, selects, slot formset."""
    client = client_for(cast.users["admin"])
    url = reverse("console:batch_create")
    names = {f.name for f in fields_posting_to(client, url, url)}
    assert {"batch_name", "start_date", "end_date", "capacity", "assigned_instructor"} <= names
    assert any(name.endswith("TOTAL_FORMS") for name in names)


def test_a_hostile_batch_name_is_stored_and_shown_escaped(cast):
    """A valid batch whose name is markup: it is saved (names may hold anything) and every
    page that shows it escapes it."""
    client = client_for(cast.users["admin"])
    url = reverse("console:batch_create")
    fields = fields_posting_to(client, url, url)
    # The form's defaults (the formset's management form among them), the slot rows left out
    # but one, which the data below fills in.
    data = {
        f.name: f.value
        for f in fields
        if f.value and (not f.name.startswith("slots-") or "FORMS" in f.name)
    }
    data |= {
        "slots-0-day": "2",
        "slots-0-start_time": "10:00",
        "slots-0-end_time": "11:00",
        "batch_name": SCRIPT,
        "course": cast.course_a.pk,
        "start_date": "2031-01-06",
        "end_date": "2031-03-28",
        "capacity": "5",
        "assigned_instructor": cast.users["other_instructor"].pk,
        "status": "Upcoming",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    for page in (response["Location"], reverse("console:batch_list")):
        shown = client.get(page)
        assert shown.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.content.decode()
        assert_escaped(shown, page)


# --- the Django admin's add forms ----------------------------------------------------------

# The project's own models; the admin of third-party apps (groups, tokens, tasks, axes) is
# theirs to test.
OWN_APPS = {"accounts", "trainers", "allocation", "enrollments", "notifications"}
ADMIN_ADD = sorted(
    f"admin:{model._meta.app_label}_{model._meta.model_name}_add"
    for model in admin.site._registry
    if model._meta.app_label in OWN_APPS
)
# Added only through their own pages (the add view is switched off): 403.
MUST_ADD = {
    "admin:allocation_batch_add",
    "admin:allocation_course_add",
    "admin:allocation_coursetrainer_add",
    "admin:allocation_individualassignment_add",
    "admin:enrollments_enrollment_add",
    "admin:trainers_trainerleave_add",
    "admin:accounts_user_add",
}


def test_the_main_models_have_admin_add_forms():
    assert set(ADMIN_ADD) >= MUST_ADD


@pytest.mark.parametrize("url_name", ADMIN_ADD)
def test_every_admin_add_form_survives_hostile_values(cast, url_name):
    client = client_for(cast.users["admin"])
    url = reverse(url_name)
    opened = client.get(url)
    if url_name not in MUST_ADD and opened.status_code == 403:
        pytest.skip(f"{url_name}: the admin adds none (has_add_permission is False)")
    fields = fields_posting_to(client, url, url)
    assert fields, f"no fields found on {url}"
    valid = {f.name: f.value for f in fields if f.kind not in TEXT_TYPES}
    post_every_payload(client, url, fields, valid, f"POST {url}", {200, 302})


# --- hostile query strings on every page -----------------------------------------------------

LIST_PARAMS = {
    "page": ["abc", "99999", "-1", "0", str(10**30), "1.5"],
    "ordering": ["-nonexistent", "password", "id;DROP TABLE batches", SCRIPT],
    "format": ["csv", "xlsx", SCRIPT],
}


# Per query parameter, the payloads that could upset a filter; all of them go in below with
# every filter at once.
QUERY_PAYLOADS = [PAYLOADS[k] for k in ("oversized", "huge int", "impossible date", "script")]
QUERY_PAYLOADS += [PAYLOADS[k] for k in ("nul", "far past")]


def _get_pages() -> list[Page]:
    seen, pages = set(), []
    for page in PAGES:
        ok = page.get and any(expected == 200 for expected in page.get.values())
        if ok and page.content_type is None and page.url_name not in seen:
            seen.add(page.url_name)
            pages.append(page)
    return pages


@pytest.mark.parametrize("page", _get_pages(), ids=lambda page: page.url_name)
def test_every_page_survives_hostile_query_strings(cast, page):
    role = next(
        role
        for role in ("admin", "instructor", "student", ANON)
        if page.get[role] == 200 or (role == ANON and page.get[ANON] == 200)
    )
    client = client_for(cast.users[role])
    url = page.url(cast)
    base = urlsplit(url).path
    filters = fields_posting_to(client, url, base, method="get")
    params = {f.name: [] for f in filters} | LIST_PARAMS
    failures = []
    for name in params:
        for value in [*QUERY_PAYLOADS, *params[name]]:
            response = client.get(base, {**page.query(cast), name: value})
            label = f"GET {base}?{name}={value[:40]!r} as {role}"
            # 404: a page number past the end; 400: a query the JSON endpoint refuses.
            if response.status_code >= 500 or response.status_code not in {200, 302, 400, 404}:
                failures.append(f"{label}: {response.status_code}")
            else:
                assert_escaped(response, label)
    # All the filters at once, each hostile.
    for name, payload in PAYLOADS.items():
        response = client.get(base, {f.name: payload for f in filters} | {"page": payload})
        if response.status_code not in {200, 302, 400, 404}:
            failures.append(f"GET {base} every filter {name}: {response.status_code}")
        else:
            assert_escaped(response, f"GET {base} every filter {name}")
    assert not failures, "\n".join(failures)
