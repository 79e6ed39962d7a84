"""Project-wide pytest fixtures, the PostgreSQL marker and the ``slow`` marker.

Tests marked ``postgres`` prove locking and concurrency; SQLite ignores SELECT ... FOR UPDATE,
so on SQLite they skip with the reason printed. CI runs the suite on PostgreSQL with
MEDH_REQUIRE_POSTGRES=1, which turns any such skip into a failure.

``slow`` is set here, by kind, on the fuzz, hypothesis, browser, backup and race tests;
``scripts/test -m "not slow"`` is the quick run, and the full run (CI) includes them.
"""

import os

import pytest
from django.db import connection

# The shared cast (admin, instructor, student, course, make_batch): tests/support/.
pytest_plugins = ["tests.support.fixtures"]


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


def _is_slow(item) -> bool:
    """Browser, hypothesis (the property tests and the schemathesis fuzz), race and fault tests
    (PostgreSQL, real threads or connections, ``transaction=True``) and the backup round trip."""
    if item.get_closest_marker("browser") is not None:
        return True
    if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
        return True
    if item.get_closest_marker("postgres") is not None:
        db = item.get_closest_marker("django_db")
        if db is None or db.kwargs.get("transaction") or "transaction" in (db.args or ()):
            return True  # a race, a fault or the backup scripts: no shared test transaction
    return item.path.name == "test_fuzz.py"


def _xdist_group(item) -> str | None:
    """Tests that share one worker under ``--dist loadgroup`` (scripts/test): the browser
    tests (one Chromium), the fuzz tests (one schema), and the race and fault tests, so that
    only one of them at a time holds its pool of PostgreSQL connections."""
    if item.get_closest_marker("browser") is not None:
        return "browser"
    if item.path.name == "test_fuzz.py":
        return "fuzz"
    db = item.get_closest_marker("django_db")
    racing = db is not None and db.kwargs.get("transaction")
    if item.get_closest_marker("postgres") is not None and racing:
        return "races"
    return None


@pytest.hookimpl(tryfirst=True)  # before -m deselects, and before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Mark the slow tests ``slow``, so ``-m "not slow"`` leaves them out of a quick run, and
    put the ones that must not run side by side in one xdist group."""
    slow = pytest.mark.slow
    for item in items:
        if _is_slow(item):
            item.add_marker(slow)
        group = _xdist_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, then the read replica's alias (DATABASE_REPLICA_URL)
    pointed at the primary's test database on the replica's server: streaming replication
    brings every database made on the primary (``test_medh_ci``, ``test_medh_ci_gw0`` ...)
    to the replica, read-only. The settings mark the alias as a test MIRROR so that Django
    neither creates nor flushes it; a mirror's connection is given the primary's settings
    (its server included), so its own server and the test database's name are put back."""
    from django.conf import settings
    from django.db import connections

    if "replica" in settings.DATABASES:
        replica = connections["replica"]
        replica.close()
        replica.settings_dict = {
            **connections.settings["replica"],
            "NAME": connections["default"].settings_dict["NAME"],
        }
    yield
