"""/report for field reporters: product, market, price, unit and currency with buttons, then a
confirmation; the price goes to app.commands' REPORT, so it ends pending in the CDE's queue
(published at once for a trusted reporter). The steps live in chat_state like registration."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.service import list_commodities, list_countries, list_markets, list_units
from app.commands import conversations
from app.core.i18n import translator
from app.producers.models import Producer
from app.text.normalize import normalize_text
from bots.telegram import texts
from bots.telegram.screens import Screen, rows

FLOW = "report"
CURRENCIES = ("USD", "CNY", "THB")  # besides the country's own: what border trade is quoted in


def _say(producer: Producer, message: str, **kwargs: Any) -> str:
    return translator(producer.locale).gettext(message).format(**kwargs)


async def _options(session: AsyncSession, producer: Producer, step: str) -> list[tuple[str, str]]:
    """(value, label) of the buttons of a step."""
    locale = producer.locale
    if step == "commodity":
        return [(c.slug, c.name) for c in await list_commodities(session, locale=locale)]
    if step == "market":
        markets = await list_markets(session, country=producer.country_code, locale=locale)
        return [(m.slug, m.name) for m in markets]
    if step == "unit":
        return [(u.code, u.name) for u in await list_units(session, locale=locale)]
    own = [c.currency for c in await list_countries(session) if c.code == producer.country_code]
    return [(c, c) for c in dict.fromkeys([*own, *CURRENCIES])]


async def _ask(
    session: AsyncSession, producer: Producer, urn: str, step: str, data: dict[str, Any]
) -> Screen:
    await conversations.save(session, urn, flow=FLOW, step=step, data=data)
    prompts = {
        "commodity": texts.WHICH_PRODUCT,
        "market": texts.WHICH_MARKET,
        "unit": texts.WHICH_UNIT,
        "currency": texts.WHICH_CURRENCY,
    }
    if step == "price":
        return Screen(_say(producer, texts.TYPE_PRICE))
    buttons = [
        (label, f"rp:{step}:{value}") for value, label in await _options(session, producer, step)
    ]
    return Screen(_say(producer, prompts[step]), rows(buttons, 2))


async def start(session: AsyncSession, producer: Producer, urn: str) -> Screen:
    return await _ask(session, producer, urn, "commodity", {})


NEXT = {"commodity": "market", "market": "price", "unit": "currency", "currency": "confirm"}


async def answer_button(
    session: AsyncSession, producer: Producer, urn: str, data: str
) -> Screen | str | None:
    """The next screen; the words for app.commands once confirmed; None for a stale button."""
    parts = data.split(":", 2)
    state = await conversations.current(session, urn, FLOW)
    if len(parts) != 3 or parts[0] != "rp" or state is None or parts[1] != state.step:
        return None
    step, value, values = parts[1], parts[2], dict(state.data)
    if step == "confirm":
        await conversations.clear(session, urn)
        if value != "send":
            return Screen(_say(producer, texts.CANCELLED))
        return (
            f"REPORT {values['commodity_name']} {values['market_name']} "
            f"{values['price']} {values['currency']}/{values['unit']}"
        )
    options = dict(await _options(session, producer, step))
    if value not in options:
        return None
    values[step] = value
    if step in ("commodity", "market"):
        english = dict(await _options(session, producer.model_copy(update={"locale": "en"}), step))
        values[f"{step}_name"] = english[value]
    following = NEXT[step]
    if following == "confirm":
        return await _confirm(session, producer, urn, values)
    return await _ask(session, producer, urn, following, values)


async def answer_text(
    session: AsyncSession, producer: Producer, urn: str, text: str
) -> Screen | None:
    """The price, typed; None when no report is waiting for one."""
    state = await conversations.current(session, urn, FLOW)
    if state is None or state.step != "price":
        return None
    raw = normalize_text(text).replace(",", "").replace(" ", "")
    try:
        price = Decimal(raw)
    except InvalidOperation:
        price = Decimal(0)
    if not price.is_finite() or price <= 0:
        return Screen(_say(producer, texts.NOT_A_NUMBER))
    values = dict(state.data)
    values["price"] = str(price)
    return await _ask(session, producer, urn, "unit", values)


async def _confirm(
    session: AsyncSession, producer: Producer, urn: str, values: dict[str, Any]
) -> Screen:
    await conversations.save(session, urn, flow=FLOW, step="confirm", data=values)
    commodities = dict(await _options(session, producer, "commodity"))
    markets = dict(await _options(session, producer, "market"))
    units = dict(await _options(session, producer, "unit"))
    what = (
        f"{commodities[values['commodity']]} {markets[values['market']]} "
        f"{values['price']} {values['currency']}/{units[values['unit']]}"
    )
    buttons = [
        [
            (_say(producer, texts.SEND), "rp:confirm:send"),
            (_say(producer, texts.CANCEL), "rp:confirm:cancel"),
        ]
    ]
    return Screen(_say(producer, texts.SEND_REPORT, what=what), buttons)
