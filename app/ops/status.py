"""`mic status`: the facts, who leads, and whether the schema is the one this code needs,
gathered for a technician without Prometheus."""

from __future__ import annotations

import asyncio

from app.core import migrations
from app.core.config import Settings
from app.core.db import Database
from app.ops.facts import gather_facts
from app.ops.leaders import current_leaders
from app.ops.models import Migrations, Status


async def gather_status(database: Database, settings: Settings) -> Status:
    """The facts are read only from a database at the schema this code reads (an older one may
    lack what they are counted from); the leaders and the migrations are told either way."""
    current = await asyncio.to_thread(migrations.current_revision, database.url)
    needed = await asyncio.to_thread(migrations.head_revision)
    state = Migrations(current=current, needed=needed, up_to_date=current == needed)
    async with database.read_session() as session:
        facts = await gather_facts(session, settings=settings) if state.up_to_date else None
        leaders = await current_leaders(session)
    return Status(facts=facts, leaders=leaders, migrations=state)
