"""Due digests and scheduled notices into the outbox. The scheduler runs this every few
seconds, on its leader only, so no two processes build the same digest."""

from __future__ import annotations

import logging

from app.alerts import digests
from app.alerts.service import send_due_notices
from app.core.config import Settings
from app.core.db import Database

log = logging.getLogger(__name__)

INTERVAL_S = 10  # a digest goes out within this of the producer's digest time


async def queue_due(database: Database, settings: Settings) -> int:
    """Build the digests and send the notices that are due; how many were queued."""
    async with database.session() as session:
        built = await digests.build_due_digests(session, settings)
        notices = await send_due_notices(session, settings)
    if built or notices:
        log.info("built %d digests, sent %d scheduled notices", built, notices)
    return built + notices
