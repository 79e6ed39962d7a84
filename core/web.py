"""Small helpers every app's pages share: pagination, and downloads (CSV lists, calendars).

Every download goes through ``attachment``, so its filename reaches the browser intact and
harmless whatever it holds (a batch code with a quote, a newline or non-ASCII letters), and
every CSV through ``csv_response``: UTF-8 with a byte-order mark, cells made formula-safe.
"""

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence

from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.utils.http import content_disposition_header

PAGE_SIZE = 25
# Excel reads a CSV file as the machine's legacy code page unless it starts with a UTF-8
# byte-order mark: without it "—" and accented names come out garbled.
UTF8_BOM = "\ufeff"


def paginate(request, items, per_page: int = PAGE_SIZE) -> Page:
    """The page of ``items`` named by ``?page=`` (out-of-range or junk: the nearest page)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def wants_csv(request) -> bool:
    """Every console list downloads as CSV with ``?format=csv`` and the same filters."""
    return request.GET.get("format") == "csv"


def safe_filename(filename: str) -> str:
    """``filename`` without control characters (a newline would end the header) or path
    separators; letters of any script stay."""
    cleaned = "".join(
        "_" if char in "/\\" or unicodedata.category(char)[0] == "C" else char for char in filename
    ).strip(" ._")
    return cleaned or "download"


def attachment(content, *, filename: str, content_type: str) -> HttpResponse:
    """A download of ``content`` named ``filename``.

    Django's ``content_disposition_header`` (what ``FileResponse`` uses) writes the header: a
    quoted ``filename="..."`` with ``"`` and ``\\`` escaped when the name is plain ASCII,
    otherwise RFC 5987's ``filename*=utf-8''...``, so no value can add a parameter."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, safe_filename(filename))
    return response


# A text cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# A spreadsheet that guesses the separator (";" in many locales, or "," or a tab) splits
# "a;=1+1" into "a" and the formula "=1+1": a trigger after any separator is escaped too.
FORMULA_AFTER_SEPARATOR = re.compile(r"([,;\t\r\n|])(\s*)(?=[=+\-@])")


def csv_cell(value) -> object:
    """``value`` as a CSV cell no spreadsheet will run as a formula: a leading ``'`` (shown by
    spreadsheets as text) before a formula start, and before one behind a separator."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    value = FORMULA_AFTER_SEPARATOR.sub(r"\1\2'", value)
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A CSV download ``filename`` with ``header`` and ``rows``: UTF-8 with a byte-order mark,
    every cell made formula-safe."""
    response = attachment(UTF8_BOM, filename=filename, content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow([csv_cell(value) for value in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return response
