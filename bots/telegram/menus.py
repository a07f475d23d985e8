"""The buttons of /stop, /language, /alerts and /price for a registered producer.

Button data: `s:yes|no` (stop), `l:<locale>`, `a:<subscription id>` (that alert's menu),
`ar:<subscription id>:<rule or remove>`, `p:<subscription id>` (ask that price). Each is checked
against the producer's own data when tapped, so data from another chat, an old message or a
forged button changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.models import Role
from app.accounts.service import Staff
from app.alerts.templates import name_in
from app.catalogue.models import Commodity, Market
from app.catalogue.service import display_names
from app.core.i18n import LOCALES, translator
from app.producers import service as producers
from app.producers.models import Producer, Rule, Subscription, SubscriptionCreate
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


# The rules a button can set; thresholds above/below need a number, typed as a message
# ("MANGO MUSE ABOVE 13000"), which app.commands understands.
RULES = {
    "every": (Rule.EVERY, None, None),
    "pct5": (Rule.CHANGE_PCT, Decimal(5), None),
    "pct10": (Rule.CHANGE_PCT, Decimal(10), None),
    "digest": (Rule.DIGEST, None, "07:00"),
}


def _rule_label(producer: Producer, key: str) -> str:
    rule, threshold, digest_time = RULES[key]
    tr = translator(producer.locale)
    if rule is Rule.CHANGE_PCT:
        return tr.gettext(t.RULE_PCT).format(percent=threshold)
    if rule is Rule.DIGEST:
        return tr.gettext(t.RULE_DIGEST).format(time=digest_time)
    return tr.gettext(t.RULE_EVERY)


async def alerts_menu(session: AsyncSession, producer: Producer) -> Screen:
    followed = await _followed(session, producer)
    if not followed:
        return Screen(_say(producer, t.NO_ALERTS))
    buttons = [[(what, f"a:{s.id}")] for s, what, _ in followed]
    return Screen(_say(producer, t.ALERTS_HEADER), buttons)


async def alert_menu(
    session: AsyncSession, producer: Producer, subscription_id: int
) -> Screen | None:
    """One alert: how often it fires, or remove it."""
    for s, what, _ in await _followed(session, producer):
        if s.id == subscription_id:
            buttons = [[(_rule_label(producer, key), f"ar:{s.id}:{key}")] for key in RULES]
            buttons.append([(f"✕ {_say(producer, t.REMOVE)}", f"ar:{s.id}:remove")])
            return Screen(what, buttons)
    return None


async def change_alert(
    session: AsyncSession, producer: Producer, subscription_id: int, key: str
) -> bool:
    """Remove the alert, or replace it by the same series with another rule (both audited)."""
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None or subscription.producer_id != producer.id or producer.id is None:
        return False
    if key != "remove" and key not in RULES:
        return False
    actor = _actor(producer)
    commodity = await session.get(Commodity, subscription.commodity_id)
    market = await session.get(Market, subscription.market_id) if subscription.market_id else None
    await producers.remove_subscription(
        session, producer_id=producer.id, subscription_id=subscription_id, staff=actor
    )
    if key != "remove" and commodity is not None:
        rule, threshold, digest_time = RULES[key]
        data = SubscriptionCreate(
            commodity=commodity.slug,
            market=market.slug if market else None,
            rule=rule,
            threshold=threshold,
            digest_time=digest_time,
            leads=subscription.leads,
        )
        await producers.add_subscription(session, producer_id=producer.id, staff=actor, data=data)
    return True


def _actor(producer: Producer) -> Staff:
    return Staff(
        user_id=0,
        name=f"producer:{producer.id}",
        role=Role.CDE,
        countries=frozenset({producer.country_code}),
    )


async def price_menu(session: AsyncSession, producer: Producer) -> Screen | None:
    followed = await _followed(session, producer)
    if not followed:
        return None
    buttons = [[(what, f"p:{s.id}")] for s, what, _ in followed]
    return Screen(_say(producer, t.PICK_PRICE), buttons)


async def price_question(
    session: AsyncSession, producer: Producer, subscription_id: int
) -> str | None:
    """The words to ask app.commands for one followed series, e.g. "PRICE mango muse"."""
    for s, _, query in await _followed(session, producer):
        if s.id == subscription_id:
            return f"PRICE {query}"
    return None
