"""PostgreSQL's side of `mic db backup` and `mic db restore`: pg_dump and pg_restore.

pg_dump reads the whole database in one repeatable-read snapshot while the service writes, in
its custom format (-Fc: compressed, and restorable table by table). The tools are looked for on
PATH and in Debian's /usr/lib/postgresql/<version>/bin, and the newest is used: pg_dump refuses
a server newer than itself, and pg_restore an archive written by a newer pg_dump. A password
in MIC_DATABASE_URL reaches them through PGPASSWORD, never on a command line (which any user of
the machine can read in the process list) nor in anything printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from app.core import migrations
from app.core.db import DatabaseUrl, describe_connection_error, sync_engine
from app.core.db_contents import REVISION_TABLE, Contents, count_rows, refuse_to_overwrite
from app.core.errors import ConfigurationError, DatabaseUnavailable, InvalidInput

DEBIAN_BINARIES = Path("/usr/lib/postgresql")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
# A TOC line of `pg_restore --list`: "215; 1259 16390 TABLE public delivery mic".
# ("TABLE DATA public delivery" lines follow for the rows, and are not tables.)
_TABLE_ENTRY = re.compile(r"^\d+;\s+\d+\s+\d+\s+TABLE\s+(?!DATA\s)(\S+)\s+(\S+)")


@dataclass(frozen=True)
class Tool:
    path: Path
    major: int


def backup(url: DatabaseUrl, partial: Path, *, path: Path) -> Contents:
    """pg_dump of the database of `url` into the new file `partial`, to become `path`."""
    server = _server_major(url)
    if migrations.current_revision(url) is None:
        raise InvalidInput(
            f"the database {url.display()} has no MIC schema (no {REVISION_TABLE}): "
            "nothing to back up"
        )
    pg_dump = _tool("pg_dump", url, path, server=server)
    if pg_dump.major < server:
        raise ConfigurationError(
            f"pg_dump {pg_dump.major} ({pg_dump.path}) cannot dump a PostgreSQL {server} server; "
            f"install the client of version {server} or newer (Debian/Ubuntu: apt-get install "
            f"postgresql-client-{server}) and run `mic db backup` again"
        )
    _run(pg_dump, [*_connection_args(url), "--format=custom", f"--file={partial}"], url)
    return _archive_contents(url, partial)


def restore(url: DatabaseUrl, path: Path, *, force: bool) -> Contents:
    """pg_restore of the archive at `path` into the database of `url`, which must hold nothing
    unless `force`; with `force`, what the archive holds is dropped first and restored."""
    _archive_contents(url, path)  # a readable MIC archive, before anything is touched
    refuse_to_overwrite(url, _database_contents(url), force=force)
    pg_restore = _tool("pg_restore", url, path, server=_server_major(url))
    replace = ["--clean", "--if-exists"] if force else []
    _run(
        pg_restore,
        [
            *_connection_args(url),
            # Owned by whoever MIC_DATABASE_URL names, with no grants of the server it came from.
            "--no-owner",
            "--no-privileges",
            "--single-transaction",  # a failed restore leaves the database as it was
            "--exit-on-error",
            *replace,
            str(path),
        ],
        url,
    )
    return _database_contents(url)


def _archive_contents(url: DatabaseUrl, path: Path) -> Contents:
    """The tables and schema revision an archive holds, read from the archive itself; an
    archive this pg_restore cannot read, or that is not of a MIC database, is refused."""
    pg_restore = _tool("pg_restore", url, path, server=None)
    listing = _run(pg_restore, ["--list", str(path)], url)
    tables = sorted(
        found.group(2)
        for line in listing.splitlines()
        if (found := _TABLE_ENTRY.match(line)) is not None
    )
    if REVISION_TABLE not in tables:
        raise InvalidInput(
            f"{path} is a pg_dump archive but not of a MIC database: it has no "
            f"{REVISION_TABLE} table"
        )
    data = _run(
        pg_restore, ["--data-only", f"--table={REVISION_TABLE}", "--file=-", str(path)], url
    )
    return Contents(revision=_copied_revision(data), tables=tables)


def _copied_revision(script: str) -> str | None:
    """The one row of the COPY of alembic_version in a data-only restore script."""
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY ") and REVISION_TABLE in line:
            row = next(lines, "\\.")
            return None if row == "\\." else row.split("\t")[0]
    return None


def _database_contents(url: DatabaseUrl) -> Contents:
    engine = sync_engine(url)
    try:
        return count_rows(engine)
    except DBAPIError as exc:
        raise DatabaseUnavailable(describe_connection_error(exc, url)) from exc
    finally:
        engine.dispose()


def _server_major(url: DatabaseUrl) -> int:
    engine = sync_engine(url)
    try:
        with engine.connect() as connection:
            number = int(connection.execute(sa.text("SHOW server_version_num")).scalar_one())
    except DBAPIError as exc:
        raise DatabaseUnavailable(describe_connection_error(exc, url)) from exc
    finally:
        engine.dispose()
    return number // 10000


def _tool(name: str, url: DatabaseUrl, path: Path, *, server: int | None) -> Tool:
    """The newest `name` on this machine, or an error saying how to install it or run it."""
    candidates = [Path(found)] if (found := shutil.which(name)) else []
    candidates += sorted(DEBIAN_BINARIES.glob(f"*/bin/{name}"))
    tools = [tool for c in candidates if (tool := _version_of(c)) is not None]
    if tools:
        return max(tools, key=lambda t: t.major)
    package = f"postgresql-client-{server}" if server else "postgresql-client"
    how = (
        f"pg_dump --format=custom --dbname '{_libpq_url(url)}' --file '{path}'"
        if name == "pg_dump"
        else f"pg_restore --no-owner --dbname '{_libpq_url(url)}' '{path}'"
    )
    secret = "PGPASSWORD=... " if url.sync_url.password else ""
    raise ConfigurationError(
        f"{name} is not installed (looked on PATH and in {DEBIAN_BINARIES}/*/bin): install the "
        f"PostgreSQL client tools (Debian/Ubuntu: apt-get install {package}; Red Hat: dnf "
        f"install postgresql) and run this again, or run it yourself: {secret}{how}"
    )


def _version_of(path: Path) -> Tool | None:
    try:
        answer = subprocess.run(  # noqa: S603 - a PostgreSQL tool found above, fixed arguments
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    found = _VERSION.search(answer.stdout)
    return Tool(path, int(found.group(1))) if found else None


def _libpq_url(url: DatabaseUrl) -> str:
    """The URL libpq reads, without the password (that goes through PGPASSWORD)."""
    given = url.sync_url
    plain = URL.create(
        "postgresql",  # URL.set() cannot take a password away: None there means "keep it"
        username=given.username,
        host=given.host,
        port=given.port,
        database=given.database,
        query=given.query,
    )
    return plain.render_as_string(hide_password=False)


def _connection_args(url: DatabaseUrl) -> list[str]:
    # --no-password: fail at once rather than wait for someone to type one.
    return [f"--dbname={_libpq_url(url)}", "--no-password"]


def _run(tool: Tool, arguments: list[str], url: DatabaseUrl) -> str:
    """Run a PostgreSQL tool; its standard output, or its first error as one line."""
    env = dict(os.environ)
    if url.sync_url.password:
        env["PGPASSWORD"] = str(url.sync_url.password)
    done = subprocess.run(  # noqa: S603 - the tool found by _tool(), with our own arguments
        [str(tool.path), *arguments], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode == 0:
        return done.stdout
    raise InvalidInput(_one_line(tool, done.stderr, url))


def _one_line(tool: Tool, stderr: str, url: DatabaseUrl) -> str:
    """The tool's own reason, on one line, with the common ones explained."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line] or lines or ["failed with no message"]
    reason = errors[0].split("error:", 1)[-1].strip()
    if "server version mismatch" in stderr:
        return (
            f"{tool.path.name} {tool.major} is older than the server of {url.display()} "
            f"({reason}); install a newer PostgreSQL client"
        )
    if "unsupported version" in stderr and "file header" in stderr:
        return (
            f"{tool.path.name} {tool.major} cannot read this archive ({reason}): it is damaged, "
            "or was written by a newer pg_dump, which a newer PostgreSQL client reads"
        )
    if "input file does not appear to be a valid archive" in stderr:
        return f"not a readable pg_dump archive: {reason}"
    return f"{tool.path.name} failed: {reason}"
