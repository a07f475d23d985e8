"""Published prices and sent notices with fixed dates, written straight into a test database:
a card drawn from them is the same on any day, so it can be compared with a committed image.
(The API refuses prices more than a year old, which a fixed date becomes.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.alerts.models import Broadcast, BroadcastKind
from app.catalogue.service import load_index
from app.core.db import Database
from app.notices.models import Notice, NoticeStatus
from app.prices.models import PriceObservation, PriceStatus, PriceType


@dataclass(frozen=True)
class Quote:
    market: str
    commodity: str
    variety: str | None
    unit: str
    currency: str
    price_type: PriceType
    price: str
    observed_on: dt.date
    status: PriceStatus = PriceStatus.PUBLISHED


async def add_price(database: Database, quote: Quote) -> int:
    async with database.session() as session:
        index = await load_index(session)
        commodity = index.commodity(quote.commodity)
        market = index.market(quote.market)
        row = PriceObservation(
            commodity_id=commodity.id or 0,
            variety_id=index.variety(commodity, quote.variety).id if quote.variety else None,
            market_id=market.id or 0,
            country_code=market.country_code,
            price=Decimal(quote.price),
            currency=quote.currency,
            unit_id=index.unit(quote.unit).id or 0,
            price_type=quote.price_type,
            observed_on=quote.observed_on,
            status=quote.status,
            created_by="staff:thida",
            reviewed_by="thida" if quote.status is not PriceStatus.PENDING else None,
        )
        session.add(row)
        await session.flush()
        return row.id or 0


async def add_sent_notice(
    database: Database,
    *,
    texts: dict[str, str],
    countries: list[str],
    markets: list[str],
    commodities: list[str],
    urgent: bool,
    sent_at: dt.datetime,
    status: NoticeStatus = NoticeStatus.SENT,
) -> int:
    """A notice as sending leaves it: status sent, and its broadcast created at `sent_at`."""
    async with database.session() as session:
        notice = Notice(
            texts=texts,
            countries=countries,
            markets=markets,
            commodities=commodities,
            urgent=urgent,
            status=status,
            created_by="thida",
            created_at=sent_at - dt.timedelta(hours=1),
        )
        session.add(notice)
        await session.flush()
        assert notice.id is not None
        session.add(
            Broadcast(
                kind=BroadcastKind.NOTICE,
                key=f"notice:{notice.id}",
                countries=countries,
                notice_id=notice.id,
                payload={"texts": texts},
                urgent=urgent,
                created_by="thida",
                created_at=sent_at,
            )
        )
        return notice.id
