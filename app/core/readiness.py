"""What /readyz reports: can this process serve producers right now?"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from app.core.config import Settings
from app.core.db import Database
from app.core.errors import AppError
from app.core.i18n import require_catalogs
from app.core.migrations import head_revision

OK = "ok"


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, Any]


async def readiness(database: Database, settings: Settings) -> Readiness:
    """The database, its schema and the message catalogs; each check says what to do if not ok."""
    checks: dict[str, Any] = {}
    problems = 0
    try:
        await database.ping()
        checks["database"] = OK
        checks["migrations"] = await _schema_state(database)
    except AppError as exc:
        checks["database"] = str(exc.detail)
        checks["migrations"] = "unknown"
        problems += 1
    if checks["migrations"] not in (OK, "unknown"):
        problems += 1
    try:
        # Loaded once per process and then cached, so a probe costs a dictionary lookup.
        loaded = await asyncio.to_thread(require_catalogs, settings.locales_dir)
        checks["catalogs"] = dict(sorted(loaded.origins.items()))
    except AppError as exc:
        checks["catalogs"] = str(exc.detail)
        problems += 1
    return Readiness(problems == 0, checks)


async def _schema_state(database: Database) -> str:
    head = head_revision()
    try:
        async with database.engine.connect() as connection:
            result = await connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            current = result.scalar_one_or_none()
    except DBAPIError:
        current = None  # no alembic_version table: never migrated
    if current == head:
        return OK
    return (
        f"the schema is at {current or 'nothing'} but this code needs {head}; run `mic db upgrade`"
    )
