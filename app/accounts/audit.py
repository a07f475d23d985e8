"""The audit trail: services call `record` for every mutation, in the same transaction."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import SQLModel, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.actor import Actor
from app.accounts.models import AuditLog, AuditPublic, Role
from app.core.erasure import Traces
from app.core.pagination import MAX_LIMIT, Page

if TYPE_CHECKING:  # the token service records its own changes here
    from app.accounts.service import Staff


def snapshot(obj: SQLModel | BaseModel | None) -> dict[str, Any] | None:
    """A JSON-safe copy of an entity's fields as they are now."""
    return None if obj is None else obj.model_dump(mode="json")


def record(
    session: AsyncSession,
    *,
    actor: Actor | Staff,
    action: str,
    entity: str,
    entity_id: int,
    country: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            actor=actor.name if isinstance(actor, Actor) else actor.actor.name,
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
    until: dt.datetime | None = None,
    actor: str | None = None,
    action: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[AuditPublic]:
    """Newest first. `since` is inclusive and `until` exclusive, so that consecutive ranges
    never show an entry twice; `actor` and `action` match exactly."""
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
    if until is not None:
        query = query.where(col(AuditLog.at) < until)
    if actor is not None:
        query = query.where(AuditLog.actor == actor)
    if action is not None:
        query = query.where(AuditLog.action == action)
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


async def latest_id(session: AsyncSession, *, entity: str, entity_id: int) -> int | None:
    """The number of a record's newest audit entry: every change writes one, so it names the
    version a reader saw, however the clock stood."""
    query = select(sa.func.max(AuditLog.id)).where(
        AuditLog.entity == entity, AuditLog.entity_id == entity_id
    )
    found: int | None = (await session.exec(query)).one()
    return found


async def save(
    session: AsyncSession,
    obj: SQLModel,
    *,
    actor: Actor | Staff,
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


async def erase(
    session: AsyncSession, *, entity: str, entity_id: int, traces: Traces, actor: Actor
) -> int:
    """Take a person out of every earlier entry: their entity's own entries lose their names
    wherever they appear, and any entry loses their names where a field is exactly that name
    and their numbers (phones, chat ids, URNs) wherever they appear; an actor that was one of
    their numbers becomes `actor`. A name inside someone else's text is left: "Aung" must not
    be cut out of "Aung Aung". Returns how many entries changed."""
    own = sa.and_(col(AuditLog.entity) == entity, col(AuditLog.entity_id) == entity_id)
    mentions: list[Any] = [own]
    for column in (col(AuditLog.before), col(AuditLog.after)):
        text = sa.cast(column, sa.Text)
        # As stored: JSON escapes non-ASCII characters unless the serializer was told not to.
        for value in {json.dumps(n) for n in traces.names} | {
            json.dumps(n, ensure_ascii=False) for n in traces.names
        }:
            mentions.append(text.contains(value, autoescape=True))
        for value in {json.dumps(n)[1:-1] for n in traces.numbers} | set(traces.numbers):
            mentions.append(text.contains(value, autoescape=True))
    for number in traces.numbers:
        mentions.append(col(AuditLog.actor).contains(number, autoescape=True))
    changed = 0
    for entry in (await session.exec(select(AuditLog).where(or_(*mentions)))).all():
        is_own = entry.entity == entity and entry.entity_id == entity_id
        before = traces.scrub(entry.before, inside=is_own)
        after = traces.scrub(entry.after, inside=is_own)
        who = actor.name if any(n in entry.actor for n in traces.numbers) else entry.actor
        if (before, after, who) != (entry.before, entry.after, entry.actor):
            entry.before, entry.after, entry.actor = before, after, who
            session.add(entry)
            changed += 1
    await session.flush()
    return changed


async def recorded_values(
    session: AsyncSession, *, entity: str, entity_id: int, field: str
) -> set[str]:
    """Every value `field` had in an entity's own entries: the names a producer went by."""
    entries = await session.exec(
        select(AuditLog).where(AuditLog.entity == entity, AuditLog.entity_id == entity_id)
    )
    return {
        value
        for entry in entries.all()
        for state in (entry.before, entry.after)
        if isinstance(state, dict) and isinstance(value := state.get(field), str)
    }


async def recorded_actors(session: AsyncSession, *, entity: str, entity_id: int) -> set[str]:
    """Who acted on an entity, by the names its own entries give: a sign-up's URN among them."""
    entries = await session.exec(
        select(AuditLog.actor).where(AuditLog.entity == entity, AuditLog.entity_id == entity_id)
    )
    return set(entries.all())
