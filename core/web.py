"""Small helpers every app's pages share: pagination and CSV downloads of lists."""

import csv
from collections.abc import Iterable, Sequence

from django.core.paginator import Page, Paginator
from django.http import HttpResponse

PAGE_SIZE = 25


def paginate(request, items, per_page: int = PAGE_SIZE) -> Page:
    """The page of ``items`` named by ``?page=`` (out-of-range or junk: the nearest page)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def wants_csv(request) -> bool:
    """Every console list downloads as CSV with ``?format=csv`` and the same filters."""
    return request.GET.get("format") == "csv"


def csv_cell(value) -> object:
    # A text cell starting with one of these is a formula to a spreadsheet (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """An attachment ``filename`` with ``header`` and ``rows``, every cell made formula-safe."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return response
