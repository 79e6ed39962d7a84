"""Security hardening (issue 9): headers and Content-Security-Policy, login throttling,
password validators, and no user input in raw SQL.

The permission matrix and CSRF on every state-changing URL are in tests/test_permissions.py
(pages) and tests/api/test_access.py (API).
"""

from __future__ import annotations

import ast
import base64
import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import security
from accounts.tests.factories import TEST_PASSWORD, AdminFactory, StudentFactory
from tests import project

ROOT = Path(__file__).resolve().parents[1]

# --- Content-Security-Policy and the other headers -------------------------------------------


def parse_csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


REQUIRED_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def assert_security_headers(response) -> None:
    __tracebackhide__ = True
    policy = parse_csp(response["Content-Security-Policy"])
    for directive, values in REQUIRED_DIRECTIVES.items():
        assert policy[directive] == values, directive
    # Styles: our origin, plus the 500 page's block by its hash; no inline <style> otherwise.
    assert policy["style-src"][0] == "'self'"
    assert "'unsafe-inline'" not in policy["style-src"]
    # The one inline allowance: style="" attributes (bar widths), which cannot run script.
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    for directive, values in policy.items():
        assert "'unsafe-eval'" not in values, directive
        if directive != "style-src-attr":
            assert "'unsafe-inline'" not in values, directive
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_a_console_page_carries_the_policy_and_headers():
    client = Client()
    client.force_login(AdminFactory())
    response = client.get(reverse("console:dashboard"))
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_an_api_response_carries_the_policy_and_headers():
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=AdminFactory())
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    response = client.get("/api/courses")
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/no-such-page/", "/api/docs/"])
def test_public_pages_carry_the_policy_and_headers(client, path):
    """The login page, a 404 and the Swagger UI page: the same policy, no exemption."""
    response = client.get(path)
    assert response.status_code in (200, 404)
    assert_security_headers(response)


# The self-contained error pages: they must render without static files, so they inline
# their styles, allowed by hash.
ERROR_PAGES_WITH_STYLE = ("500.html", "503.html")


@pytest.mark.parametrize("name", ERROR_PAGES_WITH_STYLE)
def test_the_error_page_style_blocks_are_allowed_by_their_hash(name):
    """Editing such a block without updating CSP_ERROR_PAGE_STYLE_HASHES in
    medh/settings/base.py fails here, with the hash to put there."""
    html = (ROOT / "templates" / name).read_text()
    blocks = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert len(blocks) == 1
    digest = base64.b64encode(hashlib.sha256(blocks[0].encode()).digest()).decode()
    source = f"'sha256-{digest}'"
    assert source in settings.CSP_ERROR_PAGE_STYLE_HASHES
    assert source in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"]


def served_templates() -> list[Path]:
    return sorted((ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("path", served_templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_inline_script(path):
    """script-src 'self' blocks inline code: every script is a file under static/, and
    behaviour hangs on data- attributes (static/js/confirm.js), not on onclick=."""
    html = path.read_text()
    for tag in re.findall(r"<script\b[^>]*>", html, re.IGNORECASE):
        assert re.search(r"\ssrc=", tag), f"inline <script> in {path.name}: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), f"inline handler in {path}"
    assert "javascript:" not in html.lower()
    if path.name not in ERROR_PAGES_WITH_STYLE:  # allowed by hash, see above
        assert "<style" not in html.lower(), f"<style> block in {path.name}"


@pytest.mark.django_db
def test_swagger_ui_runs_without_inline_script(client):
    """The docs page (SpectacularSwaggerSplitView) loads its start-up code as a script file
    from the same origin, so the strict policy needs no exemption for it."""
    response = client.get("/api/docs/")
    html = response.content.decode()
    tags = re.findall(r"<script\b[^>]*>", html)
    assert tags and all(" src=" in tag for tag in tags), tags
    assert "<style" not in html
    script_url = re.findall(r'<script src="([^"]*script=[^"]*)"', html)[0]
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


# --- login throttling (django-axes) ----------------------------------------------------------

LIMIT = settings.AXES_FAILURE_LIMIT
LOCKED_TEXT = "Too many failed login attempts"


def html_login(client: Client, email: str, password: str, ip: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def api_login(client: APIClient, email: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        "/api/v1/auth/login", {"email": email, "password": password}, format="json", REMOTE_ADDR=ip
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def assert_html_refused(response) -> None:
    __tracebackhide__ = True
    assert response.status_code == 200, response.status_code
    assert response.context["form"].errors  # "Please enter a correct email and password"


def assert_html_locked(response) -> None:
    __tracebackhide__ = True
    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert "15 minutes" in response.content.decode()
    assert int(response["Retry-After"]) == 15 * 60
    assert_security_headers(response)  # the lockout page is a page like the others


def assert_api_refused(response) -> None:
    __tracebackhide__ = True
    assert response.status_code == 401
    assert response.json() == {"success": False, "message": "Invalid email or password"}


def assert_api_locked(response) -> None:
    __tracebackhide__ = True
    assert response.status_code == 429
    body = response.json()
    assert body["success"] is False
    assert body["message"].startswith(LOCKED_TEXT)
    assert "token" not in response.content.decode()


@pytest.fixture
def user(db):
    return StudentFactory(email="stella@example.com")


def test_html_login_locks_after_the_limit_even_for_the_right_password(user):
    assert LIMIT == 5
    client = Client()
    for _ in range(LIMIT - 1):
        assert_html_refused(html_login(client, user.email, "wrong-password"))
    # The fifth failure reaches the limit: that answer already says so.
    assert_html_locked(html_login(client, user.email, "wrong-password"))
    # The sixth attempt, with the right password, is refused too and logs nobody in.
    assert_html_locked(html_login(client, user.email, TEST_PASSWORD))
    assert not logged_in(client)
    # A differently spelled email is the same account.
    assert_html_locked(html_login(client, "  Stella@Example.COM", TEST_PASSWORD))
    assert not logged_in(client)


def test_api_login_locks_after_the_limit_with_the_envelope(user):
    client = APIClient()
    for _ in range(LIMIT - 1):
        assert_api_refused(api_login(client, user.email, "wrong-password"))
    assert_api_locked(api_login(client, user.email, "wrong-password"))
    response = api_login(client, user.email, TEST_PASSWORD)
    assert_api_locked(response)
    assert int(response["Retry-After"]) == 15 * 60
    assert not Token.objects.filter(user=user).exists()


def test_html_and_api_failures_count_together(user):
    """One counter per account and address, whichever door is knocked on."""
    for _ in range(3):
        assert_api_refused(api_login(APIClient(), user.email, "wrong-password"))
    assert_html_refused(html_login(Client(), user.email, "wrong-password"))
    assert_html_locked(html_login(Client(), user.email, "wrong-password"))
    assert_api_locked(api_login(APIClient(), user.email, TEST_PASSWORD))


def test_a_lockout_stops_only_that_account_from_that_address(user):
    other = StudentFactory(email="silas@example.com")
    for _ in range(LIMIT):
        html_login(Client(), user.email, "wrong-password")
    assert_html_locked(html_login(Client(), user.email, TEST_PASSWORD))
    # Another account from the same address logs in.
    client = Client()
    assert html_login(client, other.email, TEST_PASSWORD).status_code == 302
    assert logged_in(client)
    # The same account from another address logs in (by page and by API).
    client = Client()
    assert html_login(client, user.email, TEST_PASSWORD, ip="10.0.0.2").status_code == 302
    assert logged_in(client)
    assert api_login(APIClient(), user.email, TEST_PASSWORD, ip="10.0.0.3").status_code == 200


@pytest.mark.parametrize("door", ["html", "api"])
def test_a_success_before_the_limit_clears_the_count(user, door):
    if door == "html":

        def fail():
            assert_html_refused(html_login(Client(), user.email, "wrong-password"))

        def succeed():
            client = Client()
            assert html_login(client, user.email, TEST_PASSWORD).status_code == 302
            assert logged_in(client)
    else:

        def fail():
            assert_api_refused(api_login(APIClient(), user.email, "wrong-password"))

        def succeed():
            assert api_login(APIClient(), user.email, TEST_PASSWORD).status_code == 200

    for _ in range(LIMIT - 1):
        fail()
    succeed()
    assert not AccessAttempt.objects.exists()
    # A fresh count: four more failures still leave the door open.
    for _ in range(LIMIT - 1):
        fail()
    succeed()


@override_settings(AXES_COOLOFF_TIME=dt.timedelta(minutes=1))
def test_the_lockout_ends_after_the_cool_off(user):
    client = Client()
    for _ in range(LIMIT):
        html_login(client, user.email, "wrong-password")
    locked = html_login(client, user.email, TEST_PASSWORD)
    assert locked.status_code == 429
    assert "Try again in 1 minute," in locked.content.decode()
    started = timezone.now()
    # axes reads the clock through axes.handlers.proxy.now: move it forward.
    with mock.patch("axes.handlers.proxy.now", return_value=started + dt.timedelta(seconds=50)):
        assert html_login(client, user.email, TEST_PASSWORD).status_code == 429
    with mock.patch("axes.handlers.proxy.now", return_value=started + dt.timedelta(seconds=61)):
        assert html_login(client, user.email, TEST_PASSWORD).status_code == 302
    assert logged_in(client)


def test_failures_during_the_lockout_do_not_extend_it(user):
    """AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False: the page's "try again in 15
    minutes" holds however often the locked form is sent."""
    client = Client()
    for _ in range(LIMIT):
        html_login(client, user.email, "wrong-password")
    started = timezone.now()
    with mock.patch("axes.handlers.proxy.now", return_value=started + dt.timedelta(minutes=10)):
        assert html_login(client, user.email, "wrong-again").status_code == 429
    with mock.patch("axes.handlers.proxy.now", return_value=started + dt.timedelta(minutes=16)):
        assert html_login(client, user.email, TEST_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_dodge_the_lock(user):
    """Without trusted proxies (the default) X-Forwarded-For is ignored: a client cannot
    pose as a new address with every attempt."""
    client = Client()
    for n in range(LIMIT):
        client.post(
            reverse("login"),
            {"username": user.email, "password": "wrong-password"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    response = client.post(
        reverse("login"),
        {"username": user.email, "password": TEST_PASSWORD},
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert response.status_code == 429


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "", "198.51.100.7"),
        (0, "203.0.113.9", "198.51.100.7"),  # no proxy of ours: the header is the client's
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the left entry was forged
        (2, "6.6.6.6, 203.0.113.9, 10.1.1.1", "203.0.113.9"),
        (2, "203.0.113.9", "198.51.100.7"),  # fewer entries than proxies: not via them
    ],
)
def test_client_ip_trusts_only_our_proxies(proxies, forwarded_for, expected):
    request = RequestFactory().post(
        "/accounts/login/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=forwarded_for
    )
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert security.client_ip(request) == expected


# Per address (accounts.security.LoginThrottleHandler): one wrong password against many
# accounts from one address used to give a 401 each, forever.
IP_LIMIT = 4


@pytest.mark.parametrize("door", ["html", "api"])
@override_settings(AXES_IP_FAILURE_LIMIT=IP_LIMIT)
def test_one_address_trying_many_accounts_is_locked_out(db, door):
    accounts = [StudentFactory() for _ in range(IP_LIMIT + 1)]
    login, refused, locked = (
        (lambda email, password, ip="10.0.0.1": html_login(Client(), email, password, ip)),
        assert_html_refused,
        assert_html_locked,
    )
    if door == "api":
        login, refused, locked = (
            (lambda email, password, ip="10.0.0.1": api_login(APIClient(), email, password, ip)),
            assert_api_refused,
            assert_api_locked,
        )
    for account in accounts[: IP_LIMIT - 1]:
        refused(login(account.email, "wrong-password"))  # one try each: no pair is locked
    # The failure that reaches the limit locks the address, as the pair's limit does.
    locked(login(accounts[IP_LIMIT - 1].email, "wrong-password"))
    # Then any account, even with the right password, and no password is hashed.
    with mock.patch("django.contrib.auth.hashers.MD5PasswordHasher.verify") as verify:
        locked(login(accounts[IP_LIMIT].email, TEST_PASSWORD))
        locked(login(accounts[0].email, TEST_PASSWORD))
    verify.assert_not_called()
    # Other addresses are not.
    assert login(accounts[0].email, TEST_PASSWORD, ip="10.0.0.2").status_code in (200, 302)


@override_settings(AXES_IP_FAILURE_LIMIT=IP_LIMIT, AXES_COOLOFF_TIME=dt.timedelta(minutes=1))
def test_the_address_lock_ends_after_the_cool_off(db):
    accounts = [StudentFactory() for _ in range(IP_LIMIT)]
    started = timezone.now()
    for account in accounts[:-1]:
        assert_api_refused(api_login(APIClient(), account.email, "wrong-password"))
    assert_api_locked(api_login(APIClient(), accounts[-1].email, "wrong-password"))
    assert_api_locked(api_login(APIClient(), accounts[0].email, TEST_PASSWORD))
    with mock.patch("axes.handlers.proxy.now", return_value=started + dt.timedelta(seconds=61)):
        assert api_login(APIClient(), accounts[0].email, TEST_PASSWORD).status_code == 200


@override_settings(AXES_IP_FAILURE_LIMIT=IP_LIMIT)
def test_a_success_on_ones_own_account_does_not_clear_the_address_count(db):
    """The attacker's own valid account: logging in to it clears only its own pair."""
    own = StudentFactory()
    victims = [StudentFactory() for _ in range(IP_LIMIT)]
    for victim in victims[: IP_LIMIT - 2]:
        assert_api_refused(api_login(APIClient(), victim.email, "wrong-password"))
    assert api_login(APIClient(), own.email, TEST_PASSWORD).status_code == 200
    assert_api_refused(api_login(APIClient(), victims[-2].email, "wrong-password"))
    assert_api_locked(api_login(APIClient(), victims[-1].email, "wrong-password"))
    assert_api_locked(api_login(APIClient(), own.email, TEST_PASSWORD))


@override_settings(AXES_IP_FAILURE_LIMIT=0)
def test_the_address_limit_can_be_turned_off(db):
    for _ in range(IP_LIMIT + 2):
        assert_api_refused(api_login(APIClient(), StudentFactory().email, "wrong-password"))


def test_the_address_limit_defaults_above_the_account_limit():
    assert settings.AXES_IP_FAILURE_LIMIT == 20 > settings.AXES_FAILURE_LIMIT


# --- password validators ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new_password", "complaint"),
    [
        ("password", "too common"),
        ("x7!kq", "too short"),
        ("4829175036", "entirely numeric"),
        ("stella@example.com", "too similar"),
    ],
)
def test_password_change_rejects_weak_passwords(user, new_password, complaint):
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get("new_password2", []))
    assert complaint in errors, errors
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_a_strong_password_change_goes_through(user):
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "lantern-orbit-velvet-42",
            "new_password2": "lantern-orbit-velvet-42",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("lantern-orbit-velvet-42")


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    """What .ci/run runs: `check --deploy --fail-level WARNING` on medh.settings.production."""
    # Not DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it in this process for Playwright,
    # and check --deploy rightly warns about it; a deployment has no such variable.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "medh.settings.production",
        "SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
        "ALLOWED_HOSTS": "medh.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- raw SQL -----------------------------------------------------------------------------------
#
# ruff checks most of this (pyproject.toml): S608 flags SQL composed with an f-string, %, + or
# .format() wherever it is written, S610 extra() and S611 RawSQL() with composed arguments.
# Two things it cannot see are kept here:
# - S608 recognises a string as SQL only by SELECT ... FROM, INSERT ... VALUES, UPDATE ... SET
#   or DELETE FROM: a composed DROP, CREATE, PRAGMA or WHERE fragment given to execute() passes
#   it. So every execute() argument must be a constant or a name, whatever the statement;
# - S610/S611 accept raw(), extra() and RawSQL() with constant SQL, and no rule covers raw():
#   the app uses none of them at all (the ORM expresses every query it has).

EXECUTE_CALLS = {"execute", "executemany", "executescript"}

# Reviewed sites that compose SQL from constants of their own module, never from input:
# (path, function) → why it is safe.
REVIEWED_SQL = {
    ("enrollments/sqlite_triggers.py", "drop"): (
        "DROP TRIGGER names come from the module's TRIGGERS constant (SQLite cannot take an "
        "identifier as a parameter)"
    ),
}


def _is_composed(node: ast.AST) -> bool:
    """An f-string, a ``%`` or ``+`` of strings, or a ``.format()`` call."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return not (_is_constant_str(node.left) and _is_constant_str(node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format"
    return False


def _is_constant_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def composed_sql_calls(source: str) -> list[tuple[str, int]]:
    """(enclosing function, line) of every execute() call whose SQL argument is composed."""
    tree = ast.parse(source)
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in EXECUTE_CALLS
            ):
                args = list(child.args) + [kw.value for kw in child.keywords]
                if any(_is_composed(arg) for arg in args):
                    found.append((function, child.lineno))
            visit(child, inner)

    visit(tree, "<module>")
    return found


def app_sources() -> list[Path]:
    return [
        path
        for package in project.PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "tests" not in path.relative_to(ROOT).parts
    ]


def test_no_sql_is_composed_outside_the_reviewed_sites():
    """User input reaches the database only as query parameters: no f-string, %, + or
    .format() builds the SQL given to execute() in application code (tests and bench/
    aside), except the reviewed sites above."""
    seen = set()
    for path in app_sources():
        relative = str(path.relative_to(ROOT))
        for function, line in composed_sql_calls(path.read_text()):
            assert (relative, function) in REVIEWED_SQL, f"{relative}:{line} composes SQL"
            seen.add((relative, function))
    assert seen == set(REVIEWED_SQL), "a reviewed site is gone: drop it from REVIEWED_SQL"


def test_the_app_uses_no_raw_or_extra_querysets():
    pattern = re.compile(r"\.(raw|extra)\(|\bRawSQL\b")
    offenders = [
        str(path.relative_to(ROOT)) for path in app_sources() if pattern.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "snippet",
    [
        # Statements that ruff's S608 does not recognise as SQL:
        'cursor.execute(f"DROP TRIGGER IF EXISTS {name}")',
        'cursor.execute("PRAGMA foreign_keys = %s" % value)',
        'cursor.execute(f"ALTER TABLE {table} ADD COLUMN note text")',
        # and the ones it does, for completeness:
        'cursor.execute("DELETE FROM t WHERE " + where)',
        "cursor.execute(f\"SELECT * FROM t WHERE name = '{name}'\")",
        'cursor.executemany("INSERT INTO t VALUES ({})".format(values), rows)',
    ],
)
def test_the_scanner_catches_composed_sql(snippet):
    assert composed_sql_calls(snippet) == [("<module>", 1)]


@pytest.mark.parametrize(
    "snippet",
    [
        'cursor.execute("SELECT * FROM t WHERE name = %s", [name])',
        "cursor.execute(STATEMENT)",
        'cursor.execute("SELECT 1 " "FROM t")',
        'cursor.execute("SELECT 1 " + "FROM t")',
    ],
)
def test_the_scanner_passes_parameterised_sql(snippet):
    assert composed_sql_calls(snippet) == []
