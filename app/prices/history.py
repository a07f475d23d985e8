"""A price's history: every version of it the audit log keeps, newest first, for the API's
`/prices/{id}/history` and the console's price page alike."""

from __future__ import annotations

from typing import Final

from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.models import AuditPublic
from app.accounts.service import Staff
from app.core.pagination import MAX_LIMIT
from app.prices import curation

# A price is created, corrected a few times and decided once; a page of the audit holds them.
MAX_VERSIONS: Final = MAX_LIMIT


async def price_history(session: AsyncSession, *, price_id: int, staff: Staff) -> list[AuditPublic]:
    """Every change of the price, with the values before and after: 404 or 403 as reading the
    price is, and for those who may read the audit log."""
    await curation.get_price(session, price_id=price_id, staff=staff)
    page = await audit.list_audit(
        session, staff=staff, entity="price", entity_id=price_id, limit=MAX_VERSIONS
    )
    return page.items
