"""Alembic environment: synchronous, on the URL given by `mic db` or MIC_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from app.core.config import Settings
from app.core.db import DatabaseUrl, parse_database_url, sync_engine
from app.schema import metadata

config = context.config


def _url() -> DatabaseUrl:
    given = config.attributes.get("database_url")
    if isinstance(given, DatabaseUrl):
        return given
    return parse_database_url(Settings().database_url)


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url.sync_url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.is_sqlite,
    )
    with context.begin_transaction():
        context.run_migrations()


def _migrate(connection: Connection, url: DatabaseUrl) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=url.is_sqlite,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _url()
    given = config.attributes.get("connection")
    if isinstance(given, Connection):  # `mic db upgrade` holds the migration lock on it
        _migrate(given, url)
        return
    engine = sync_engine(url)
    try:
        with engine.connect() as connection:
            _migrate(connection, url)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
