"""The buttons of /stop, /language, /alerts and /price for a registered producer.

Button data: `s:yes|no` (stop), `l:<locale>`, `a:<subscription id>` (remove), `p:<subscription
id>` (ask that price). Each is checked against the producer's own data when tapped, so data from
another chat, an old message or a forged button changes nothing.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.models import Role
from app.accounts.service import Staff
from app.alerts.templates import name_in
from app.catalogue.models import Commodity, Market
from app.catalogue.service import display_names
from app.core.i18n import LOCALES, translator
from app.producers import service as producers
from app.producers.models import Producer, Subscription
from bots.telegram import texts as t
from bots.telegram.registration import Screen, native_name

# What app.commands' LANGUAGE understands for each locale.
LANGUAGE_WORDS = {
    "en": "English",
    "my": "မြန်မာ",
    "km": "ខ្មែរ",
    "lo": "ລາວ",
    "vi": "Tiếng Việt",
    "zh": "中文",
}


def _say(producer: Producer, message: str) -> str:
    return translator(producer.locale).gettext(message)


def stop_question(producer: Producer) -> Screen:
    buttons = [[(_say(producer, t.YES_STOP), "s:yes"), (_say(producer, t.NO_KEEP), "s:no")]]
    return Screen(_say(producer, t.STOP_CONFIRM), buttons)


def language_menu(producer: Producer) -> Screen:
    buttons = [(native_name(loc), f"l:{loc}") for loc in LOCALES]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Screen(_say(producer, t.CHOOSE_LANGUAGE), rows)


async def _followed(
    session: AsyncSession, producer: Producer
) -> list[tuple[Subscription, str, str]]:
    """The producer's subscriptions with the names of their product and market."""
    rows = list(
        (
            await session.exec(
                select(Subscription)
                .where(Subscription.producer_id == producer.id)
                .order_by(col(Subscription.id))
            )
        ).all()
    )
    commodities = await display_names(session, "commodity_id", {s.commodity_id for s in rows})
    markets = await display_names(session, "market_id", {s.market_id for s in rows if s.market_id})
    slugs = {c.id: c.slug for c in (await session.exec(select(Commodity))).all()}
    market_slugs = {m.id: m.slug for m in (await session.exec(select(Market))).all()}
    out = []
    for s in rows:
        what = name_in(
            commodities.get(s.commodity_id) or {"en": slugs[s.commodity_id]}, producer.locale
        )
        query = slugs[s.commodity_id]
        if s.market_id:
            what += " " + name_in(
                markets.get(s.market_id) or {"en": market_slugs[s.market_id]}, producer.locale
            )
            query += " " + market_slugs[s.market_id]
        out.append((s, what, query))
    return out


async def alerts_menu(session: AsyncSession, producer: Producer) -> Screen:
    followed = await _followed(session, producer)
    if not followed:
        return Screen(_say(producer, t.NO_ALERTS))
    buttons = [[(f"✕ {what} ({s.rule})", f"a:{s.id}")] for s, what, _ in followed]
    return Screen(_say(producer, t.ALERTS_HEADER), buttons)


async def price_menu(session: AsyncSession, producer: Producer) -> Screen | None:
    followed = await _followed(session, producer)
    if not followed:
        return None
    buttons = [[(what, f"p:{s.id}")] for s, what, _ in followed]
    return Screen(_say(producer, t.PICK_PRICE), buttons)


async def remove_alert(session: AsyncSession, producer: Producer, subscription_id: int) -> bool:
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None or subscription.producer_id != producer.id or producer.id is None:
        return False
    actor = Staff(
        user_id=0,
        name=f"producer:{producer.id}",
        role=Role.CDE,
        countries=frozenset({producer.country_code}),
    )
    await producers.remove_subscription(
        session, producer_id=producer.id, subscription_id=subscription_id, staff=actor
    )
    return True


async def price_question(
    session: AsyncSession, producer: Producer, subscription_id: int
) -> str | None:
    """The words to ask app.commands for one followed series, e.g. "PRICE mango muse"."""
    for s, _, query in await _followed(session, producer):
        if s.id == subscription_id:
            return f"PRICE {query}"
    return None
