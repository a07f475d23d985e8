"""The audit trail: services call `record` for every mutation, in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.models import AuditLog, AuditPublic, Role
from app.accounts.service import Staff
from app.core.pagination import MAX_LIMIT, Page


def snapshot(obj: SQLModel | BaseModel | None) -> dict[str, Any] | None:
    """A JSON-safe copy of an entity's fields as they are now."""
    return None if obj is None else obj.model_dump(mode="json")


def record(
    session: AsyncSession,
    *,
    actor: Staff | str,
    action: str,
    entity: str,
    entity_id: int,
    country: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            actor=actor if isinstance(actor, str) else actor.name,
            action=action,
            entity=entity,
            entity_id=entity_id,
            country_code=country,
            before=before,
            after=after,
        )
    )


async def list_audit(
    session: AsyncSession,
    *,
    staff: Staff,
    entity: str | None = None,
    entity_id: int | None = None,
    since: dt.datetime | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[AuditPublic]:
    staff.require_role(Role.ADMIN, Role.CDE)
    query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(min(limit, MAX_LIMIT) + 1)
    if staff.countries is not None:
        query = query.where(col(AuditLog.country_code).in_(staff.countries))
    if entity is not None:
        query = query.where(AuditLog.entity == entity)
    if entity_id is not None:
        query = query.where(AuditLog.entity_id == entity_id)
    if since is not None:
        query = query.where(col(AuditLog.at) >= since)
    if cursor is not None:
        query = query.where(col(AuditLog.id) < cursor)
    rows = list((await session.exec(query)).all())
    more = len(rows) > min(limit, MAX_LIMIT)
    rows = rows[: min(limit, MAX_LIMIT)]
    items = [
        AuditPublic(
            id=r.id or 0,
            at=r.at,
            actor=r.actor,
            action=r.action,
            entity=r.entity,
            entity_id=r.entity_id,
            country=r.country_code,
            before=r.before,
            after=r.after,
        )
        for r in rows
    ]
    return Page(items=items, next_cursor=rows[-1].id if more and rows else None)


async def save(
    session: AsyncSession,
    obj: SQLModel,
    *,
    actor: Staff | str,
    action: str,
    entity: str,
    country: str | None,
    before: dict[str, Any] | None = None,
) -> None:
    """Write a changed entity and its audit entry (with the entity as it now is) together."""
    session.add(obj)
    await session.flush()
    entity_id = getattr(obj, "id", None)
    assert isinstance(entity_id, int)
    record(
        session,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        country=country,
        before=before,
        after=snapshot(obj),
    )
