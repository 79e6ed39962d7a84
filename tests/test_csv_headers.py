"""Every CSV download of the web application has headers a person would write.

The exports are the permission matrix's CSV rows (``tests/test_permissions.py`` proves that
list complete: every page that answers ``?format=csv`` has one). Each is downloaded by the
admin and its header row read: every column title starts with a capital letter and holds no
code-like ``snake_case`` or ``lower case`` name ("Open batches", not "open batches" or
"open_batches"), and no two columns share a title.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.test_permissions import (
    ADMIN,
    CSV,
    PAGES,
    client_for,
    module_world,  # noqa: F401  (the fixtures, used through `world`)
    world,  # noqa: F401
)

CSV_PAGES = [page for page in PAGES if page.content_type == CSV]
# A title as people write it: a capital (or a digit) first, words after, no underscores.
HUMAN = re.compile(r"^[A-Z0-9][^_]*$")


def header_of(response) -> list[str]:
    text = response.content.decode("utf-8-sig")  # with or without a byte order mark
    return next(csv.reader(io.StringIO(text)))


def test_there_are_csv_exports():
    assert len(CSV_PAGES) >= 20


@pytest.mark.parametrize("page", CSV_PAGES, ids=lambda page: page.id)
def test_every_csv_export_has_human_headers(world, page):  # noqa: F811
    response = client_for(world.users[ADMIN]).get(page.url(world))

    assert response.status_code == 200
    assert response["Content-Type"].startswith(CSV)
    header = header_of(response)
    assert header, f"{page.id}: no header row"
    not_human = [title for title in header if not HUMAN.match(title)]
    assert not not_human, f"{page.id}: column titles not as people write them: {not_human}"
    assert len(set(header)) == len(header), f"{page.id}: repeated titles {header}"
