"""`mic db backup` and `mic db restore`: a whole database to one file and back, on either engine.

SQLite is copied with its online backup API (app.core.sqlite_backup), PostgreSQL with pg_dump and
pg_restore (app.core.pg_backup). What both share lives here: a backup is written beside its
final path and only then moved there, so a backup interrupted half-way never leaves a file that
looks complete; an existing file, or a database that holds anything, is replaced only when the
caller says so; and after a restore the database's schema revision is compared with the code's.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.core import migrations, pg_backup, sqlite_backup
from app.core.db import DatabaseUrl
from app.core.db_contents import Contents
from app.core.errors import Conflict, InvalidInput

# The first bytes of each kind of backup file: an SQLite database, a pg_dump custom archive.
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size: int
    contents: Contents


@dataclass(frozen=True)
class RestoreReport:
    source: Path
    contents: Contents  # counted in the database after the restore
    schema: str  # what the restored schema needs: migrations.schema_advice()


def backup_database(url: DatabaseUrl, path: Path, *, force: bool = False) -> BackupReport:
    """Write a backup of the database at `url` to `path` (replacing a file there only with
    `force`), safely while MIC runs and writes to it."""
    path = _target_file(path, force=force)
    with _written_atomically(path, force=force) as partial:
        if url.is_sqlite:
            contents = sqlite_backup.backup(url, partial)
        else:
            contents = pg_backup.backup(url, partial, path=path)
        size = partial.stat().st_size
    return BackupReport(path=path, size=size, contents=contents)


def restore_database(url: DatabaseUrl, path: Path, *, force: bool = False) -> RestoreReport:
    """Restore the backup at `path` into the database at `url`; a database that holds anything
    (a row in any table, a schema revision) is replaced only with `force`."""
    kind = backup_kind(path)
    engine = "SQLite" if url.is_sqlite else "PostgreSQL"
    if (kind == "sqlite") != url.is_sqlite:
        made = "an SQLite database file" if kind == "sqlite" else "a PostgreSQL (pg_dump) archive"
        raise InvalidInput(
            f"{path} is {made} but MIC_DATABASE_URL ({url.display()}) is {engine}: a backup "
            "restores into the engine it was taken from"
        )
    if url.is_sqlite:
        contents = sqlite_backup.restore(url, path, force=force)
    else:
        contents = pg_backup.restore(url, path, force=force)
    return RestoreReport(
        source=path, contents=contents, schema=migrations.schema_advice(contents.revision)
    )


def backup_kind(path: Path) -> str:
    """ "sqlite" or "pg_dump", from the file's first bytes; anything else is refused."""
    if not path.exists():
        raise InvalidInput(f"no backup at {path}: the file does not exist")
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file")
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "pg_dump"
    raise InvalidInput(
        f"{path} is not a MIC backup: neither an SQLite database nor a pg_dump archive "
        "(`mic db backup` writes one of these)"
    )


def _target_file(path: Path, *, force: bool) -> Path:
    path = path.expanduser().absolute()
    if path.is_dir():
        raise InvalidInput(f"{path} is a directory: give the backup file's path")
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: the directory {path.parent} does not exist")
    if path.exists() and not force:
        raise Conflict(f"{path} exists: add --force to replace it")
    return path


@contextlib.contextmanager
def _written_atomically(path: Path, *, force: bool) -> Iterator[Path]:
    """A temporary file beside `path`, moved onto it once the block succeeds (removed if it
    fails): readers of `path` see the old file or the whole new one, never half of one. Without
    `force`, a file that appeared at `path` meanwhile is not replaced either."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        yield partial
        _flush_to_disk(partial)
        if force:
            partial.replace(path)
        else:
            try:
                os.link(partial, path)  # fails, atomically, if path exists by now
            except FileExistsError:
                raise Conflict(f"{path} exists: add --force to replace it") from None
        _flush_to_disk(path.parent)
    finally:
        partial.unlink(missing_ok=True)


def _flush_to_disk(path: Path) -> None:
    """fsync a file, or a directory after a rename in it, so a crash just after the backup
    leaves it on disk under its name."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
