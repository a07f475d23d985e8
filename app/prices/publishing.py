"""What price curation needs from the alerts: telling the producers who follow a price that it
was published.

Alerts sit above prices (they read prices to word a message), so prices cannot call them by
name. Every service that can publish a price (curation, CSV import, a source run) takes a
`PriceAlerts` as a required keyword instead: a caller cannot leave it out, and nothing global
stands in for it. app.alerts.triggers.Alerts is the one implementation; it writes the outbox
rows in the caller's session, so the alerts commit or roll back with the price.
"""

from __future__ import annotations

from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from app.prices.models import PriceObservation


class PriceAlerts(Protocol):
    async def price_published(self, session: AsyncSession, *, price: PriceObservation) -> object:
        """Queue the alerts for a price just published, in `session`'s transaction."""
        ...
