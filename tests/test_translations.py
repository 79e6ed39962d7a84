"""The German catalogue is complete, current and well-formed, and German reaches the reader.

- Every message of ``locale/de/LC_MESSAGES/django.po`` is translated and none is fuzzy.
- A translation keeps its message's placeholders (``%(batch)s``, ``%%``) and HTML tags.
- The catalogue is current: every string marked in the code is in it, and it holds nothing the
  code no longer marks. The code is extracted here as ``scripts/i18n-update`` (``manage.py
  makemessages``) extracts it: templates through Django's ``templatize``, then GNU xgettext.
  When this fails, run ``scripts/i18n-update`` and translate what it lists.
- Pages, an email and the API's refusal read in German when German is asked for, and the
  original English API text stays word for word otherwise.
"""

from __future__ import annotations

import ast
import datetime as dt
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")

# What scripts/i18n-update leaves out of the extraction (its --ignore patterns).
SKIPPED_DIRS = {
    "venv",
    "tests",
    "bench",
    "static",
    "staticfiles",
    "docs",
    "scripts",
    "migrations",
    "locale",
    "node_modules",
    "htmlcov",
    "test-results",
    "__pycache__",
}
EXTENSIONS = {".py", ".html", ".txt"}
# The keywords makemessages passes to xgettext (django/core/management/commands/makemessages).
XGETTEXT_KEYWORDS = [
    "--keyword=gettext_noop",
    "--keyword=gettext_lazy",
    "--keyword=ngettext_lazy:1,2",
    "--keyword=pgettext:1c,2",
    "--keyword=npgettext:1c,2,3",
    "--keyword=pgettext_lazy:1c,2",
    "--keyword=npgettext_lazy:1c,2,3",
]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%%|%[sdif]|\{\w+\}")
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\b[^>]*>")


def parse_po(text: str) -> list[dict]:
    """The entries of a PO file: msgctxt, msgid, msgid_plural, msgstr (a list: one per plural
    form) and flags. Enough for the files GNU gettext and makemessages write."""
    entries: list[dict] = []
    entry: dict | None = None
    field: tuple | None = None
    for line in text.splitlines() + [""]:
        line = line.strip()
        if not line:
            if entry is not None and "msgid" in entry:
                entries.append(entry)
            entry, field = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgctxt": None, "msgid_plural": None, "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += value
            else:
                entry[field[0]] += value
        else:
            keyword, _, value = line.partition(" ")
            value = ast.literal_eval(value)
            if keyword.startswith("msgstr"):
                index = int(keyword[7:-1]) if "[" in keyword else 0
                entry["msgstr"][index] = value
                field = ("msgstr", index)
            else:
                entry[keyword] = value
                field = (keyword,)
    for entry in entries:
        entry["msgstr"] = [entry["msgstr"][i] for i in sorted(entry["msgstr"])]
    return entries


def catalogue_entries() -> list[dict]:
    return [e for e in parse_po(CATALOGUE.read_text(encoding="utf-8")) if e["msgid"]]


def key(entry: dict) -> tuple:
    return (entry["msgctxt"], entry["msgid"], entry["msgid_plural"])


def source_files() -> list[Path]:
    found = []
    for directory, subdirs, files in os.walk(ROOT):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        for name in sorted(files):
            path = Path(directory) / name
            if path.suffix in EXTENSIONS and name != "conftest.py":
                found.append(path)
    return found


def extract(tmp_path: Path) -> set[tuple]:
    """The messages the code marks, as ``makemessages`` would extract them."""
    inputs = []
    for path in source_files():
        if path.suffix == ".py":
            inputs.append(str(path))
            continue
        content = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        if "gettext" in content:
            out = tmp_path / (str(path.relative_to(ROOT)).replace(os.sep, "__") + ".py")
            out.write_text(content, encoding="utf-8")
            inputs.append(str(out))
    listing = tmp_path / "files.txt"
    listing.write_text("\n".join(inputs), encoding="utf-8")
    result = subprocess.run(
        [
            "xgettext",
            "--language=Python",
            "--from-code=UTF-8",
            *XGETTEXT_KEYWORDS,
            "--output=-",
            f"--files-from={listing}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {key(e) for e in parse_po(result.stdout) if e["msgid"]}


def show(keys) -> str:
    return "\n".join(f"  {msgid!r}" for _, msgid, _ in sorted(keys, key=lambda k: k[1]))


HOW_TO_FIX = "Run scripts/i18n-update and translate what it lists (README, Translations)."


def test_every_german_message_is_translated_and_none_is_fuzzy():
    entries = catalogue_entries()
    assert len(entries) > 500
    untranslated = [key(e) for e in entries if not all(e["msgstr"])]
    fuzzy = [key(e) for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, f"Untranslated in {CATALOGUE}:\n{show(untranslated)}\n{HOW_TO_FIX}"
    assert not fuzzy, f"Fuzzy in {CATALOGUE}:\n{show(fuzzy)}\n{HOW_TO_FIX}"
    header = parse_po(CATALOGUE.read_text(encoding="utf-8"))[0]
    assert header["msgid"] == "" and "fuzzy" not in header["flags"]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"][0]


def test_every_translation_keeps_its_placeholders_and_tags():
    wrong = []
    for entry in catalogue_entries():
        sources = [entry["msgid"]]
        if entry["msgid_plural"] is not None:
            sources.append(entry["msgid_plural"])
        for index, translated in enumerate(entry["msgstr"]):
            source = sources[min(index, len(sources) - 1)]
            if Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(translated)):
                wrong.append(f"{source!r} → {translated!r} (placeholders)")
            if sorted(TAG.findall(source)) != sorted(TAG.findall(translated)):
                wrong.append(f"{source!r} → {translated!r} (HTML tags)")
    assert not wrong, "\n".join(wrong)


def test_the_catalogue_compiles_and_the_compiled_one_is_current():
    if shutil.which("msgfmt") is None:
        pytest.fail("msgfmt (GNU gettext) is missing: apt-get install gettext")
    subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, str(CATALOGUE)], check=True, capture_output=True
    )
    assert COMPILED.exists(), f"{COMPILED} is missing: scripts/_venv.sh compiles it"
    assert COMPILED.stat().st_mtime >= CATALOGUE.stat().st_mtime, (
        f"{COMPILED} is older than {CATALOGUE}: scripts/test (scripts/_venv.sh) compiles it"
    )


def test_the_catalogue_holds_exactly_what_the_code_marks(tmp_path):
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("xgettext (GNU gettext) is missing: apt-get install gettext")
        pytest.skip("xgettext (GNU gettext) is missing: apt-get install gettext")
    marked = extract(tmp_path)
    held = {key(e) for e in catalogue_entries()}
    missing, stale = marked - held, held - marked
    assert not missing, f"Marked in the code but not in {CATALOGUE}:\n{show(missing)}\n{HOW_TO_FIX}"
    assert not stale, f"In {CATALOGUE} but no longer in the code:\n{show(stale)}\n{HOW_TO_FIX}"


# --- German reaches the reader -----------------------------------------------------------------


def speaks_german(user) -> None:
    """The user's own language, once users have one (the profile page's language)."""
    if hasattr(user, "language"):
        user.language = "de"
        user.save(update_fields=["language"])


@pytest.mark.django_db
def test_pages_read_in_german(client):
    from accounts.tests.factories import AdminFactory

    with translation.override("de"):
        login = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de")
    assert login.status_code == 200
    assert "Anmelden" in login.text

    admin = AdminFactory()
    speaks_german(admin)
    client.force_login(admin)
    for name in ("console:dashboard", "console:batch_list", "console:course_list"):
        with translation.override("de"):
            page = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="de")
        assert page.status_code == 200, name
        assert "Abmelden" in page.text and "Gruppen" in page.text, name
        assert "Log out" not in page.text, name

    client.force_login(AdminFactory())  # no language of their own
    with translation.override("en"):
        page = client.get(reverse("console:batch_list"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Log out" in page.text and "Abmelden" not in page.text


@pytest.mark.django_db
def test_an_email_is_rendered_in_german(settings):
    from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
    from allocation import services as allocation
    from allocation.models import Weekday
    from allocation.tests.factories import CourseFactory
    from enrollments import services as enrollments
    from notifications.models import Notification
    from notifications.outbox import render
    from tests.support import slot

    settings.NOTIFICATION_DELIVERY = "worker"  # stored unrendered, rendered here
    course = CourseFactory(code="GER-A1", title="German A1")
    batch = allocation.batch_create(
        course=course,
        batch_name="Montagsgruppe",
        batch_code="GER-A1-MON",
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 3, 27),
        capacity=5,
        assigned_instructor=InstructorFactory(full_name="Anna Schmidt"),
        created_by=AdminFactory(),
        status="Active",
        schedule=[slot(Weekday.MONDAY, "10:00", "12:00")],
    )
    student = StudentFactory(full_name="Sam Student")
    speaks_german(student)
    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    enrollments.enrollment_create(student=student, course=course, batch=batch)
    welcome = Notification.objects.get(pk__gt=before, recipient=student)

    with translation.override("de"):
        render(welcome)
    assert welcome.subject == "Willkommen in German A1"
    assert welcome.body.startswith("Hallo ")
    assert "Willkommen! Sie sind in German A1 eingeschrieben." in welcome.body
    assert "Ihre Gruppe: Montagsgruppe (GER-A1-MON)" in welcome.body
    assert "Wochenplan:" in welcome.body
    assert "Willkommen! Sie sind in <strong>German A1</strong> eingeschrieben." in (
        welcome.body_html
    )
    assert '<html lang="de">' in welcome.body_html


def test_the_english_api_texts_stay_word_for_word():
    from core.errors import DomainError
    from enrollments.seats import MSG_FULL

    with translation.override("en"):
        assert DomainError(MSG_FULL).message == "Batch has reached maximum capacity"
        assert gettext("Student enrolled in batch successfully") == (
            "Student enrolled in batch successfully"
        )
    with translation.override("de"):
        assert DomainError(MSG_FULL).message == "Die Gruppe hat ihre maximale Kapazität erreicht"


@pytest.mark.django_db
def test_the_api_refuses_a_full_batch_in_english_unless_german_is_asked_for():
    from allocation.tests.factories import BatchFactory
    from enrollments.tests.factories import EnrollmentFactory
    from tests.api.conftest import bearer_client, build_world

    world = build_world()
    full = BatchFactory(course=world.course, capacity=1, enrolled_students=1)
    EnrollmentFactory(batch=full)
    url = f"/api/enrollments/students/{world.other_student.pk}/enroll"
    body = {"courseId": world.course.pk, "batchId": full.pk}
    client = bearer_client(world.admin)

    english = client.post(url, body, format="json")
    assert english.status_code == 400
    assert english.json() == {"success": False, "message": "Batch has reached maximum capacity"}

    with translation.override("de"):
        german = client.post(url, body, format="json", HTTP_ACCEPT_LANGUAGE="de")
    assert german.status_code == 400
    assert german.json()["message"] == "Die Gruppe hat ihre maximale Kapazität erreicht"
