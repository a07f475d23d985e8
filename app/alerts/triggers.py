"""The one link from "something was published" to the producers who follow it.

The services that publish (a price by a CDE, a trusted source or a trusted reporter; a lead a
CDE verified; a notice sent) call these in their own transaction, so the outbox rows are written
together with the change that caused them: no alert for a price that was never saved, no saved
price whose alerts were lost. Being a plain call, it is the same whichever process publishes
(the API, `mic collect`, `mic scheduler`, a reporter's SMS or Telegram message).

Prices and leads sit below alerts and cannot name this module: their publishing services take
an `Alerts` as a required keyword, typed by the protocol of their own package
(app.prices.publishing.PriceAlerts, app.leads.publishing.LeadAlerts). Each caller builds one
from its settings, which the fan-out needs, so no caller can leave the alerts out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts import fanout
from app.alerts.models import Broadcast
from app.core.config import Settings
from app.leads.models import BuyerLead
from app.notices.models import Notice
from app.prices.models import PriceObservation


@dataclass(frozen=True)
class Alerts:
    """The fan-out, as the services that publish prices and leads take it."""

    settings: Settings

    async def price_published(self, session: AsyncSession, *, price: PriceObservation) -> Broadcast:
        audience = await fanout.price_audience(session, price)
        return await fanout.fan_out(
            session, audience, self.settings, created_by=price.reviewed_by or "mic"
        )

    async def lead_verified(self, session: AsyncSession, *, lead: BuyerLead) -> Broadcast:
        audience = await fanout.lead_audience(session, lead)
        return await fanout.fan_out(
            session, audience, self.settings, created_by=lead.reviewed_by or "mic"
        )


async def notice_sent(
    session: AsyncSession, *, notice: Notice, settings: Settings, created_by: str
) -> Broadcast:
    audience = await fanout.notice_audience(session, notice)
    return await fanout.fan_out(session, audience, settings, created_by=created_by)
