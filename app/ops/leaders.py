"""Who leads each role (app/core/leader.py), as the database sees it: on PostgreSQL, the
session holding the role's advisory lock, named by the application_name its process gave it
(MIC_PROCESS_NAME, or host:pid). SQLite keeps no such record: there the one process running a
scheduler leads, and whether one runs is unknown to another process."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.locking import is_postgres
from app.core.db import run_core
from app.core.leader import ROLES
from app.ops.models import Leader

# A bigint advisory lock shows in pg_locks split in two: its high half as classid, its low
# half as objid, with objsubid 1.
_HELD_LOCKS = sa.text(
    """
    SELECT (l.classid::bigint << 32) | l.objid::bigint AS lock_id,
           a.application_name AS holder,
           a.backend_start AS since
    FROM pg_locks AS l
    JOIN pg_stat_activity AS a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    """
).columns(
    sa.column("lock_id", sa.BigInteger),
    sa.column("holder", sa.String),
    sa.column("since", sa.DateTime(timezone=True)),
)


async def current_leaders(session: AsyncSession) -> list[Leader]:
    if not is_postgres(session):
        return [Leader(role=role, known=False) for role in ROLES]
    held = {row.lock_id: row for row in (await run_core(session, _HELD_LOCKS)).all()}
    leaders = []
    for role, lock_id in ROLES.items():
        row = held.get(lock_id)
        leaders.append(
            Leader(
                role=role,
                known=True,
                # Named by every process of this release; a session without a name is an
                # older release's, or hides its name from this database user.
                holder=(row.holder or "a session without a name") if row else None,
                since=row.since if row else None,
            )
        )
    return leaders
