"""What lead curation needs from the alerts: telling the producers who follow a commodity that
a buyer's lead was verified.

Alerts sit above leads (they read leads to word a message), so leads cannot call them by name.
`verify_lead` takes a `LeadAlerts` as a required keyword instead: a caller cannot leave it out,
and nothing global stands in for it. app.alerts.triggers.Alerts is the one implementation; it
writes the outbox rows in the caller's session, so the alerts commit or roll back with the
verification.
"""

from __future__ import annotations

from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from app.leads.models import BuyerLead


class LeadAlerts(Protocol):
    async def lead_verified(self, session: AsyncSession, *, lead: BuyerLead) -> object:
        """Queue the alerts for a lead just verified, in `session`'s transaction."""
        ...
