"""scripts/backup, scripts/restore and scripts/check-backup, run as an operator runs them.

The round trip needs a PostgreSQL server (pg_dump, pg_restore, scratch databases); the
argument checks need nothing but the scripts.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"


def script(name: str, *args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )


def server_url() -> str:
    """The PostgreSQL server the test suite runs on, as a URL without a database."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"


def psql(url: str, sql: str) -> str:
    return subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.mark.postgres
def test_backup_restores_into_an_equal_database_and_tampering_is_caught():
    server = server_url()
    prefix = f"medh_test_backup_{os.getpid()}"
    source, copy = f"{server}/{prefix}_src", f"{server}/{prefix}_copy"
    try:
        done = script("check-backup", "--server", server, "--prefix", prefix, "--keep")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "the copy equals its source" in done.stdout
        # The demo data really went through the round trip, not two empty databases.
        active = "SELECT count(*) FROM enrollments_enrollment WHERE status = 'active'"
        assert int(psql(copy, active)) == int(psql(source, active)) > 0
        assert int(psql(copy, "SELECT count(*) FROM accounts_user")) > 800
        # New rows in the copy get fresh ids: the sequences were restored with the data.
        assert int(psql(copy, "SELECT last_value FROM enrollments_enrollment_id_seq")) >= int(
            psql(source, "SELECT max(id) FROM enrollments_enrollment")
        )

        # A lost row and a counter that no longer matches must both fail the comparison.
        psql(
            copy,
            "DELETE FROM notifications_notification WHERE id = "
            "(SELECT max(id) FROM notifications_notification)",
        )
        psql(
            copy,
            "UPDATE enrollments_enrollment SET status = 'cancelled' WHERE id = "
            "(SELECT min(id) FROM enrollments_enrollment WHERE status = 'active' "
            "AND batch_id IS NOT NULL)",
        )
        compared = script("check-backup", "--compare", source, copy)
        assert compared.returncode == 1, compared.stdout + compared.stderr
        assert "table notifications_notification" in compared.stdout
        assert "table enrollments_enrollment" in compared.stdout
        assert "1 × batch counter differs from its active enrollments" in compared.stdout

        # A restore never writes into a database that holds tables.
        dump = Path(f"/tmp/{prefix}.dump")
        dump.unlink(missing_ok=True)
        made = script("backup", "--database-url", source, dump)
        assert made.returncode == 0, made.stderr
        refused = script("restore", dump, copy)
        assert refused.returncode != 0
        assert "not empty" in refused.stderr
        assert (
            int(psql(copy, "SELECT count(*) FROM notifications_notification"))
            == int(psql(source, "SELECT count(*) FROM notifications_notification")) - 1
        )  # untouched by the refused restore
        dump.unlink()
    finally:
        for name in (f"{prefix}_src", f"{prefix}_copy"):
            psql(f"{server}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_refuses_bad_arguments(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    missing = script("backup", env=env)
    assert missing.returncode == 2 and "required: FILE" in missing.stderr

    no_database = script("backup", tmp_path / "a.dump", env=env)
    assert no_database.returncode == 1 and "set DATABASE_URL" in no_database.stderr

    sqlite = script("backup", "--database-url", "sqlite:///db.sqlite3", tmp_path / "a.dump")
    assert sqlite.returncode == 1 and "not a PostgreSQL URL" in sqlite.stderr

    existing = tmp_path / "old.dump"
    existing.write_bytes(b"PGDMP earlier backup")
    again = script("backup", "--database-url", "postgres://u@127.0.0.1/medh", existing)
    assert again.returncode == 1 and "never overwritten" in again.stderr
    assert existing.read_bytes() == b"PGDMP earlier backup"


def test_restore_refuses_bad_arguments(tmp_path):
    missing = script("restore", tmp_path / "a.dump")
    assert missing.returncode == 2 and "TARGET_URL" in missing.stderr

    absent = script("restore", tmp_path / "nothing.dump", "postgres://u@127.0.0.1/copy")
    assert absent.returncode == 1 and "is not a file" in absent.stderr

    not_a_dump = tmp_path / "plain.sql"
    not_a_dump.write_text("CREATE TABLE x (id int);\n")
    plain = script("restore", not_a_dump, "postgres://u@127.0.0.1/copy")
    assert plain.returncode == 1 and "not a pg_dump custom-format backup" in plain.stderr

    dump = tmp_path / "good.dump"
    dump.write_bytes(b"PGDMP")
    sqlite = script("restore", dump, "sqlite:///db.sqlite3")
    assert sqlite.returncode == 1 and "not a PostgreSQL URL" in sqlite.stderr
    nameless = script("restore", dump, "postgres://u@127.0.0.1")
    assert nameless.returncode == 1 and "names no database" in nameless.stderr


def test_check_backup_refuses_bad_arguments():
    prefix = script("check-backup", "--prefix", "Robert'); DROP")
    assert prefix.returncode == 2 and "--prefix" in prefix.stderr
    both = script("check-backup", "--compare", "postgres://a/b", "postgres://a/c", "--source", "x")
    assert both.returncode == 2 and "--compare takes no --source" in both.stderr
    sqlite = script("check-backup", "--compare", "sqlite:///a", "postgres://a/c")
    assert sqlite.returncode == 1 and "PostgreSQL URL" in sqlite.stderr
