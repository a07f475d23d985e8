"""Schema migrations with Alembic, driven from the `mic` command and checked at start-up."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError

import migrations
from app.core.db import DatabaseUrl, describe_connection_error, sync_engine
from app.core.errors import DatabaseUnavailable

SCRIPT_LOCATION = Path(migrations.__file__).parent


def alembic_config(url: DatabaseUrl) -> Config:
    """An Alembic config pointing at our migrations, wherever the package is installed."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["database_url"] = url
    return config


@cache
def head_revision() -> str | None:
    """Read once per process: the migration files ship with the code and cannot change under
    it, and /readyz asks on every probe."""
    return ScriptDirectory(str(SCRIPT_LOCATION)).get_current_head()


def current_revision(url: DatabaseUrl) -> str | None:
    engine = sync_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as exc:
        raise DatabaseUnavailable(describe_connection_error(exc, url)) from exc
    finally:
        engine.dispose()


# Replicas started together all run `mic db upgrade`; on PostgreSQL they take turns.
_MIGRATION_LOCK_KEY = 0x4D49_4301  # "MIC" + 1


# How long a replica starting beside another one that is migrating an SQLite file waits for it
# (PostgreSQL's advisory lock waits without limit): the whole chain on a new database takes
# seconds, more on a busy machine, far longer than the busy timeout of an ordinary transaction.
MIGRATION_WAIT_MS = 120_000


def upgrade(url: DatabaseUrl, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate to `revision`; returns the revisions before and after. At head it is a no-op."""
    engine = sync_engine(url, busy_timeout_ms=MIGRATION_WAIT_MS)
    try:
        with engine.connect() as connection:
            if not url.is_sqlite:  # SQLite's BEGIN IMMEDIATE already serialises migrations
                connection.execute(
                    sa.text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
                connection.commit()
            before = MigrationContext.configure(connection).get_current_revision()
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
            after = MigrationContext.configure(connection).get_current_revision()
            if not url.is_sqlite:
                connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
                connection.commit()
    except DBAPIError as exc:
        raise DatabaseUnavailable(describe_connection_error(exc, url)) from exc
    finally:
        engine.dispose()
    return before, after


def downgrade(url: DatabaseUrl, revision: str) -> None:
    try:
        command.downgrade(alembic_config(url), revision)
    except DBAPIError as exc:
        raise DatabaseUnavailable(describe_connection_error(exc, url)) from exc


@cache
def known_revisions() -> frozenset[str]:
    return frozenset(s.revision for s in ScriptDirectory(str(SCRIPT_LOCATION)).walk_revisions())


def schema_advice(current: str | None) -> str:
    """What a database at revision `current` needs before this code can serve it, in words."""
    head = head_revision()
    if current == head:
        return f"at {head}, the revision this code needs: ready to serve"
    if current is None:
        return "no schema yet: run `mic db upgrade`"
    if current not in known_revisions():
        return (
            f"at {current}, which this version of MIC does not know (is it newer than this "
            "code?): run it with the MIC version that wrote it"
        )
    return f"at {current}, this code needs {head}: run `mic db upgrade`"


def require_current_schema(url: DatabaseUrl) -> None:
    """Refuse to serve a database whose schema is not the one this code was written for."""
    current, head = current_revision(url), head_revision()
    if current == head:
        return
    if current is None:
        raise DatabaseUnavailable(
            f"the database {url.display()} has no schema yet; run `mic db upgrade`"
        )
    if current not in known_revisions():
        raise DatabaseUnavailable(
            f"the database {url.display()} is at revision {current}, which this version of MIC "
            "does not know (is it newer than this code?)"
        )
    raise DatabaseUnavailable(
        f"the database {url.display()} is at revision {current} but this code needs {head}; "
        "run `mic db upgrade`"
    )
