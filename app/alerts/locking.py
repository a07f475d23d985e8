"""Reading a row to change it, exclusively on both engines."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.db import run_core


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def locked_row(session: AsyncSession, query: Any) -> Any:
    """The first row of `query`, locked until the transaction ends: FOR UPDATE on PostgreSQL;
    SQLite ignores it, and its BEGIN IMMEDIATE already makes the whole transaction exclusive."""
    if is_postgres(session):
        query = query.with_for_update()
    return (await run_core(session, query)).first()
