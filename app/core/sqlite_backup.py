"""SQLite's side of `mic db backup` and `mic db restore`: the online backup API of sqlite3.

`Connection.backup` copies a database page by page. Copied in one step (pages=-1), the copy
reads inside one read transaction: in WAL mode, which app.core.db sets on every MIC database,
that is a snapshot of every transaction committed before it began, taken while the service goes
on writing, and the service's writers neither wait for it nor show it half of a transaction. (A
copy in several steps starts over whenever another connection writes between two steps, and
under a steady load it would never end.) Copying a file with `cp` instead can catch the database
between a write to the WAL and its checkpoint, and lose what the WAL held.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from app.core.db import DatabaseUrl, sync_engine
from app.core.db_contents import REVISION_TABLE, Contents, count_rows, refuse_to_overwrite
from app.core.errors import InvalidInput

BUSY_TIMEOUT_S = 30.0  # waiting for another connection's checkpoint or write lock


def backup(url: DatabaseUrl, partial: Path) -> Contents:
    """Copy the live database of `url` into the new file `partial`, as one self-contained file."""
    live = _database_file(url)
    if not live.is_file():
        raise InvalidInput(f"no database at {live}: nothing to back up")
    try:
        # mode=rw: a connection to a missing file would create an empty database there.
        source = sqlite3.connect(f"{live.as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise InvalidInput(f"cannot open the database {live}: {exc}") from exc
    try:
        source.execute("PRAGMA query_only = ON")  # a backup never writes to what it copies
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=-1)
            # The copied header says WAL; a backup is one file, with no -wal beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
            _check_integrity(copy, partial)
        finally:
            copy.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"cannot back up {live}: {exc}") from exc
    finally:
        source.close()
    contents = _contents_of_file(partial)
    if contents.revision is None:
        raise InvalidInput(
            f"the database {live} has no MIC schema (no {REVISION_TABLE}): nothing to back up"
        )
    return contents


def restore(url: DatabaseUrl, path: Path, *, force: bool) -> Contents:
    """Copy the backup at `path` over the database of `url`, which must hold nothing unless
    `force`. The copy replaces the whole database, tables the backup lacks included."""
    target = _database_file(url)
    if target.exists() and target.resolve() == path.resolve():
        raise InvalidInput(f"{path} is the database itself: restore from a backup file")
    backup = _open_backup(path)
    try:
        if target.exists():
            refuse_to_overwrite(url, _contents_of(url, target), force=force)
        target.parent.mkdir(parents=True, exist_ok=True)
        destination = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)
        try:
            backup.backup(destination, pages=-1)
        except sqlite3.DatabaseError as exc:
            raise InvalidInput(f"cannot restore into {target}: {exc}") from exc
        finally:
            destination.close()
    finally:
        backup.close()
    return _contents_of(url, target)


def _database_file(url: DatabaseUrl) -> Path:
    path = url.sqlite_path
    if path is None:
        raise InvalidInput(
            f"{url.display()} is an in-memory database: it has no file to back up or restore"
        )
    return path.expanduser().absolute()


def _open_backup(path: Path) -> sqlite3.Connection:
    """The backup file, read-only, once it has proved to be a whole MIC database."""
    try:
        connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InvalidInput(f"cannot open the backup {path}: {exc}") from exc
    try:
        _check_integrity(connection, path)
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (REVISION_TABLE,)
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise InvalidInput(f"{path} is not a readable SQLite database: {exc}") from exc
    if found is None:
        connection.close()
        raise InvalidInput(
            f"{path} is an SQLite database but not a MIC backup: it has no {REVISION_TABLE} table"
        )
    return connection


def _check_integrity(connection: sqlite3.Connection, path: Path) -> None:
    problems = [row[0] for row in connection.execute("PRAGMA quick_check").fetchall()]
    if problems != ["ok"]:
        raise InvalidInput(f"{path} is damaged: {problems[0]}")


def _contents_of_file(path: Path) -> Contents:
    """Counted on a plain connection: MIC's own engine would switch the file to WAL."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        return count_rows(engine)
    finally:
        engine.dispose()


def _contents_of(url: DatabaseUrl, path: Path) -> Contents:
    engine = sync_engine(url)
    try:
        return count_rows(engine)
    except sa.exc.DatabaseError as exc:
        raise InvalidInput(f"{path} is not an SQLite database: {exc.orig}") from exc
    finally:
        engine.dispose()
