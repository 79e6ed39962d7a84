"""core.web: every download's filename reaches the browser intact and harmless, and every CSV
is UTF-8 with a byte-order mark and formula-safe cells."""

from __future__ import annotations

import codecs
import csv
import io

import pytest

from core.web import attachment, csv_cell, csv_response, safe_filename


@pytest.mark.parametrize(
    "filename,header",
    [
        ("batches.csv", 'attachment; filename="batches.csv"'),
        # A quote or a backslash is escaped inside the quoted string: no parameter is added.
        (
            "a\"; filename*=utf-8''evil.exe",
            'attachment; filename="a\\"; filename*=utf-8\'\'evil.exe"',
        ),
        ("back\\slash.csv", 'attachment; filename="back_slash.csv"'),
        # Control characters (a newline would end the header: BadHeaderError, a 500) go.
        ("waitlist-GER\nA1.csv", 'attachment; filename="waitlist-GER_A1.csv"'),
        ("a\r\nSet-Cookie: x=1.csv", 'attachment; filename="a__Set-Cookie: x=1.csv"'),
        # Non-ASCII names keep their letters, RFC 5987-encoded.
        (
            "waitlist-DEU-Grüße-€.csv",
            "attachment; filename*=utf-8''waitlist-DEU-Gr%C3%BC%C3%9Fe-%E2%82%AC.csv",
        ),
        ("../../etc/passwd", 'attachment; filename="etc_passwd"'),
        ("\n", 'attachment; filename="download"'),
    ],
)
def test_attachment_filename(filename, header):
    response = attachment(b"x", filename=filename, content_type="text/plain")
    assert response["Content-Disposition"] == header


def test_safe_filename_keeps_letters_of_any_script():
    assert safe_filename("Kurs-日本語-Ångström.csv") == "Kurs-日本語-Ångström.csv"


@pytest.mark.parametrize(
    "value,cell",
    [
        ("=1+1", "'=1+1"),
        ("+49 30 1234", "'+49 30 1234"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t'=1"),
        # A spreadsheet that splits on ";" (many locales), "," or a tab would make a formula
        # cell of what follows the separator.
        ("a;=1+1", "a;'=1+1"),
        ("a; =1+1", "a; '=1+1"),
        ("a,+1", "a,'+1"),
        ("a\t@x", "a\t'@x"),
        ("a\n=1", "a\n'=1"),
        ("=a;=b", "'=a;'=b"),
        # Harmless text stays as it is.
        ("Anne-Marie O'Neil", "Anne-Marie O'Neil"),
        ("Mon 08:00–10:00; Wed 18:00", "Mon 08:00–10:00; Wed 18:00"),
        ("2025-01-15", "2025-01-15"),
        (None, ""),
        (-3, -3),
        (2.5, 2.5),
    ],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


def test_csv_response_has_a_bom_and_escapes_every_cell():
    response = csv_response("r.csv", ["Name", "=Header"], [["Zoë — Müller", "a;=1+1"], [None, 3]])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["Name", "'=Header"], ["Zoë — Müller", "a;'=1+1"], ["", "3"]]
