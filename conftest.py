"""Project-wide pytest fixtures and the PostgreSQL marker.

Tests marked ``postgres`` prove locking and concurrency; SQLite ignores SELECT ... FOR UPDATE,
so on SQLite they skip with the reason printed. CI runs the suite on PostgreSQL with
MEDH_REQUIRE_POSTGRES=1, which turns any such skip into a failure.
"""

import os

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres") is None:
        return
    # Touch the database fixture first so the connection points at the test database.
    if connection.vendor != "postgresql":
        if os.environ.get("MEDH_REQUIRE_POSTGRES") == "1":
            pytest.fail("MEDH_REQUIRE_POSTGRES=1 but the tests are not running on PostgreSQL")
        pytest.skip(
            "needs PostgreSQL: it tests row locks, real concurrency or a PostgreSQL-only "
            "constraint "
            "(set DATABASE_URL=postgres://... to run it)"
        )
