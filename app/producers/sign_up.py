"""Producers registering themselves through a sign-up conversation (Telegram's buttons): the
producer, their addresses and consent, and their first alerts, in one step."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.actor import Actor
from app.catalogue.service import load_index
from app.core.errors import AppError
from app.producers.models import Producer, ProducerCreate
from app.producers.service import register_producer
from app.producers.subscriptions import AlertRule, Series, change_rule


async def sign_up(
    session: AsyncSession,
    *,
    data: ProducerCreate,
    urn: str,
    via: str,
    commodities: Sequence[str],
    markets: Sequence[str],
) -> Producer:
    """Register the producer writing from `urn` (with their consent in `data`), alerted on
    every new price of each product at each market chosen (anywhere when none was). A phone
    number that is refused (another producer's already) is left out rather than refusing the
    sign-up: the producer is reached at `urn`."""
    actor = Actor.address(urn)
    try:
        async with session.begin_nested():
            producer = await register_producer(session, data=data, actor=actor, via=via)
    except AppError:
        if data.phone is None:
            raise
        async with session.begin_nested():
            data = data.model_copy(update={"phone": None})
            producer = await register_producer(session, data=data, actor=actor, via=via)
    index = await load_index(session)
    market_ids = [index.market(m).id for m in markets] or [None]
    for slug in commodities:
        commodity_id = index.commodity(slug).id
        assert commodity_id is not None
        for market_id in market_ids:
            await change_rule(
                session,
                producer=producer,
                series=Series(commodity_id, None, market_id),
                alert=AlertRule(),
            )
    return producer
