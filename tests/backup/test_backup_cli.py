"""`mic db backup` and `mic db restore` as a technician runs them, on the engine under test: a
round trip that gives back every row, files and databases replaced only with --force, and one
clear line for every file that cannot be restored here."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from app.core.db import parse_database_url, sync_engine
from app.core.db_contents import Contents, count_rows
from app.core.migrations import head_revision
from tests.conftest import ENGINE
from tests.test_cli import assert_one_line_error, mic

pytestmark = pytest.mark.usefixtures("pg_tools")

OLDER_REVISION = "0012"


def contents(url: str) -> Contents:
    engine = sync_engine(parse_database_url(url))
    try:
        return count_rows(engine)
    finally:
        engine.dispose()


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result
    return result.stdout


def seed(url: str) -> None:
    ok(mic("seed", "demo", database_url=url))
    ok(mic("token", "create", "--name", "ana", "--role", "admin", database_url=url))


def test_a_backup_restores_every_row_into_an_empty_database(
    database_url: str, other_database_url: str, tmp_path: Path
) -> None:
    seed(database_url)
    path = tmp_path / "mic.backup"

    written = ok(mic("db", "backup", str(path), database_url=database_url))

    assert f"written to {path} (" in written and f"revision {head_revision()}" in written
    assert path.is_file() and not list(tmp_path.glob(".*.partial"))
    restored = ok(mic("db", "restore", str(path), database_url=other_database_url))
    assert f"restored {path} into " in restored
    assert "schema: at " in restored and "ready to serve" in restored
    before, after = contents(database_url), contents(other_database_url)
    assert after.rows == before.rows
    assert after.rows is not None and after.rows["alias"] > 400 and after.rows["api_token"] == 1


def test_an_existing_backup_file_is_replaced_only_with_force(
    database_url: str, tmp_path: Path
) -> None:
    seed(database_url)
    path = tmp_path / "mic.backup"
    path.write_bytes(b"last week's backup")

    refused = mic("db", "backup", str(path), database_url=database_url)

    assert_one_line_error(refused, f"{path} exists: add --force to replace it")
    assert path.read_bytes() == b"last week's backup"
    ok(mic("db", "backup", str(path), "--force", database_url=database_url))
    assert path.read_bytes() != b"last week's backup"
    assert not list(tmp_path.glob(".*.partial"))


def test_a_database_that_holds_data_is_replaced_only_with_force(
    database_url: str, tmp_path: Path
) -> None:
    seed(database_url)
    path = tmp_path / "mic.backup"
    ok(mic("db", "backup", str(path), database_url=database_url))
    ok(mic("token", "create", "--name", "later", "--role", "admin", database_url=database_url))

    refused = mic("db", "restore", str(path), database_url=database_url)

    assert_one_line_error(refused, "is not empty (revision ")
    assert "add --force" in refused.stderr
    assert (contents(database_url).rows or {})["api_token"] == 2  # nothing was touched
    ok(mic("db", "restore", str(path), "--force", database_url=database_url))
    assert (contents(database_url).rows or {})["api_token"] == 1  # as it was at the backup


def test_a_database_with_only_a_schema_counts_as_not_empty(
    database_url: str, empty_database_url: str, tmp_path: Path
) -> None:
    ok(mic("db", "upgrade", database_url=empty_database_url))
    path = tmp_path / "mic.backup"
    ok(mic("db", "backup", str(path), database_url=empty_database_url))

    refused = mic("db", "restore", str(path), database_url=database_url)

    assert_one_line_error(refused, f"(revision {head_revision()}; rows: alembic_version 1")


def test_an_older_backup_says_to_upgrade(
    empty_database_url: str, other_database_url: str, tmp_path: Path
) -> None:
    ok(mic("db", "upgrade", OLDER_REVISION, database_url=empty_database_url))
    path = tmp_path / "old.backup"
    ok(mic("db", "backup", str(path), database_url=empty_database_url))

    restored = ok(mic("db", "restore", str(path), database_url=other_database_url))

    assert f"schema: at {OLDER_REVISION}, this code needs {head_revision()}" in restored
    assert "run `mic db upgrade`" in restored
    ok(mic("db", "upgrade", database_url=other_database_url))
    assert contents(other_database_url).revision == head_revision()


def test_a_database_without_a_schema_is_not_backed_up(
    empty_database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "nothing.backup"
    live = parse_database_url(empty_database_url).sqlite_path
    if live is not None:
        assert_one_line_error(
            mic("db", "backup", str(path), database_url=empty_database_url),
            f"no database at {live}: nothing to back up",
        )
        live.parent.mkdir(parents=True)
        sqlite3.connect(live).close()  # an SQLite file with no tables at all

    refused = mic("db", "backup", str(path), database_url=empty_database_url)

    assert_one_line_error(refused, "has no MIC schema (no alembic_version): nothing to back up")
    assert not path.exists() and not list(tmp_path.glob(".*.partial"))


def test_backing_up_into_a_missing_directory_says_so(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "no-such-dir" / "mic.backup"
    assert_one_line_error(
        mic("db", "backup", str(path), database_url=database_url),
        f"cannot write {path}: the directory {path.parent} does not exist",
    )


def test_files_that_cannot_be_restored_here_are_refused_in_one_line(
    database_url: str, other_database_url: str, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.backup"
    text = tmp_path / "notes.txt"
    text.write_text("not a backup\n")
    foreign = tmp_path / "other-app.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (x)")
    if ENGINE == "sqlite":
        wrong_engine, wrong_message = tmp_path / "pg.dump", "is a PostgreSQL (pg_dump) archive"
        wrong_engine.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(64))
    else:
        wrong_engine, wrong_message = foreign, "is an SQLite database file"

    def refused(path: Path, expected: str) -> None:
        assert_one_line_error(
            mic("db", "restore", str(path), database_url=other_database_url), expected
        )

    refused(missing, f"no backup at {missing}: the file does not exist")
    refused(text, f"{text} is not a MIC backup: neither an SQLite database nor a pg_dump archive")
    refused(tmp_path, f"{tmp_path} is not a file")
    refused(wrong_engine, f"{wrong_engine} {wrong_message} but MIC_DATABASE_URL (")
    if ENGINE == "sqlite":
        refused(foreign, "is an SQLite database but not a MIC backup: it has no alembic_version")
        damaged = tmp_path / "damaged.db"
        ok(mic("db", "backup", str(damaged), database_url=database_url))
        data = bytearray(damaged.read_bytes())
        data[4096:8192] = bytes(4096)  # a page of the schema's tables gone
        damaged.write_bytes(bytes(data))
        refused(damaged, "database disk image is malformed")
    else:
        cut = tmp_path / "cut.dump"
        cut.write_bytes(b"PGDMP" + bytes(8))
        refused(cut, "pg_restore 1")
    assert contents(other_database_url).tables == []  # nothing was created on the way
