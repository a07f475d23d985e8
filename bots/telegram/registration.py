"""Registration on Telegram: language, country, occupation, products, markets, an optional
phone number, and consent, one step at a time with buttons.

Burmese, Khmer and Lao are also offered in Latin letters ("Khmer (Latin)"), labelled in ASCII
so that a phone without the script's font can read the button: the producer is registered in
their language with `script: latin`, and everything after that button is in Latin letters.

Where the producer stands lives in chat_state, so a restart of the service, or another replica
answering the next update, continues at the same step. Every button's data names its step; a
button from an earlier step, or data that was tampered with, is refused as expired.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.service import list_commodities, list_countries, list_markets
from app.commands import conversations
from app.commands.models import ChatState
from app.core.i18n import LOCALES, ROMANISED, base_language, translator
from app.producers.models import ConsentChannel, ConsentIn, ProducerCreate, ProducerKind
from app.producers.sign_up import sign_up
from app.text.formatting import Script, reading_locale
from bots.telegram import texts
from bots.telegram.screens import Screen, rows

FLOW = "register"
KINDS = {
    ProducerKind.FARMER: texts.KIND_FARMER,
    ProducerKind.FISHER: texts.KIND_FISHER,
    ProducerKind.WEAVER: texts.KIND_WEAVER,
    ProducerKind.TEA_GROWER: texts.KIND_TEA_GROWER,
    ProducerKind.TRADER: texts.KIND_TRADER,
}


def native_name(locale: str) -> str:
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


async def start(session: AsyncSession, urn: str) -> Screen:
    """/start from a chat with no producer: a fresh registration, asked in every language."""
    await _save(session, urn, "language", {})
    text = "\n".join(
        dict.fromkeys(translator(loc).gettext(texts.CHOOSE_LANGUAGE) for loc in LOCALES)
    )
    buttons = [(native_name(loc), f"r:language:{loc}") for loc in LOCALES]
    buttons += [(latin_name(loc), f"r:language:{ROMANISED[loc]}") for loc in ROMANISED]
    return Screen(text, rows(buttons, 2))


def latin_name(locale: str) -> str:
    """ "Khmer (Latin)": the language's English name, readable without its script's font."""
    return f"{Locale.parse(locale).get_display_name('en')} (Latin)"


def _reading(values: dict[str, Any]) -> str:
    """The catalog the producer being registered reads (km_Latn for Khmer in Latin letters)."""
    return reading_locale(values.get("locale", "en"), Script(values.get("script", "unicode")))


async def _save(session: AsyncSession, urn: str, step: str, data: dict[str, Any]) -> None:
    await conversations.save(session, urn, flow=FLOW, step=step, data=data)


async def current(session: AsyncSession, urn: str) -> ChatState | None:
    """Where the sign-up from this chat stands, if one is going on."""
    return await conversations.current(session, urn, FLOW)


async def answer_button(
    session: AsyncSession, urn: str, data: str, *, name: str, chat_id: int
) -> Screen | None:
    """The next screen after a button, or None when the button is stale or forged."""
    parts = data.split(":", 2)
    state = await current(session, urn)
    if len(parts) != 3 or parts[0] != "r" or state is None or parts[1] != state.step:
        return None
    step, value, values = parts[1], parts[2], dict(state.data)
    if step == "language":
        if value not in LOCALES and value not in ROMANISED.values():
            return None
        values["locale"] = base_language(value)
        values["script"] = (Script.UNICODE if value in LOCALES else Script.LATIN).value
        return await _ask_country(session, urn, values)
    if step == "country":
        codes = {c.code for c in await list_countries(session)}
        if value not in codes:
            return None
        values["country"] = value
        return await _ask_kind(session, urn, values)
    if step == "kind":
        if value not in {k.value for k in ProducerKind}:
            return None
        values["kind"] = value
        values.setdefault("commodities", [])
        return await _ask_commodities(session, urn, values)
    if step == "commodities":
        return await _toggle(
            session, urn, values, "commodities", value, _ask_commodities, _ask_markets
        )
    if step == "markets":
        return await _toggle(session, urn, values, "markets", value, _ask_markets, _ask_phone)
    if step == "phone" and value == "skip":
        return await _ask_consent(session, urn, values)
    if step == "consent" and value in ("yes", "no"):
        if value == "no":
            await conversations.clear(session, urn)
            return Screen(_say(values, texts.DECLINED), done=True)
        return await _register(session, urn, values, name=name, chat_id=chat_id)
    return None


async def answer_contact(session: AsyncSession, urn: str, phone: str) -> Screen | None:
    """The producer's own number, shared with Telegram's contact button."""
    state = await current(session, urn)
    if state is None or state.step != "phone":
        return None
    values = dict(state.data)
    values["phone"] = phone if phone.startswith("+") else f"+{phone}"
    return await _ask_consent(session, urn, values)


def _say(values: dict[str, Any], message: str, **kwargs: Any) -> str:
    return translator(_reading(values)).gettext(message).format(**kwargs)


async def _ask_country(session: AsyncSession, urn: str, values: dict[str, Any]) -> Screen:
    await _save(session, urn, "country", values)
    countries = await list_countries(session, locale=_reading(values))
    buttons = [(c.name, f"r:country:{c.code}") for c in countries]
    return Screen(_say(values, texts.CHOOSE_COUNTRY), rows(buttons, 2))


async def _ask_kind(session: AsyncSession, urn: str, values: dict[str, Any]) -> Screen:
    await _save(session, urn, "kind", values)
    buttons = [(_say(values, label), f"r:kind:{kind.value}") for kind, label in KINDS.items()]
    return Screen(_say(values, texts.CHOOSE_KIND), rows(buttons, 2))


async def _choices(
    session: AsyncSession, step: str, values: dict[str, Any]
) -> list[tuple[str, str]]:
    """(slug, display name) of what the producer may pick at this step."""
    locale = _reading(values)
    if step == "commodities":
        return [(c.slug, c.name) for c in await list_commodities(session, locale=locale)]
    markets = await list_markets(session, country=values["country"], locale=locale)
    return [(m.slug, m.name) for m in markets]


async def _multi(
    session: AsyncSession, urn: str, values: dict[str, Any], step: str, prompt: str
) -> Screen:
    await _save(session, urn, step, values)
    chosen = set(values.get(step, []))
    buttons = [
        (f"✓ {label}" if slug in chosen else label, f"r:{step}:{slug}")
        for slug, label in await _choices(session, step, values)
    ]
    done = [(_say(values, texts.DONE), f"r:{step}:*done")]
    return Screen(_say(values, prompt), [*rows(buttons, 2), done])


async def _ask_commodities(session: AsyncSession, urn: str, values: dict[str, Any]) -> Screen:
    return await _multi(session, urn, values, "commodities", texts.CHOOSE_COMMODITIES)


async def _ask_markets(session: AsyncSession, urn: str, values: dict[str, Any]) -> Screen:
    values.setdefault("markets", [])
    return await _multi(session, urn, values, "markets", texts.CHOOSE_MARKETS)


async def _toggle(
    session: AsyncSession,
    urn: str,
    values: dict[str, Any],
    step: str,
    value: str,
    again: Any,
    then: Any,
) -> Screen | None:
    if value == "*done":
        if not values.get(step):
            screen: Screen = await again(session, urn, values)
            screen.text = f"{_say(values, texts.PICK_ONE)}\n{screen.text}"
            return screen
        return await then(session, urn, values)  # type: ignore[no-any-return]
    if value not in {slug for slug, _ in await _choices(session, step, values)}:
        return None
    chosen = set(values.get(step, []))
    chosen ^= {value}
    values[step] = sorted(chosen)
    return await again(session, urn, values)  # type: ignore[no-any-return]


async def _ask_phone(session: AsyncSession, urn: str, values: dict[str, Any]) -> Screen:
    await _save(session, urn, "phone", values)
    return Screen(
        _say(values, texts.SHARE_PHONE),
        [[(_say(values, texts.SKIP), "r:phone:skip")]],
        ask_contact=(_say(values, texts.SHARE_BUTTON), _say(values, texts.SKIP)),
    )


async def _ask_consent(session: AsyncSession, urn: str, values: dict[str, Any]) -> Screen:
    await _save(session, urn, "consent", values)
    buttons = [
        [
            (_say(values, texts.AGREE), "r:consent:yes"),
            (_say(values, texts.DECLINE), "r:consent:no"),
        ]
    ]
    return Screen(_say(values, texts.CONSENT), buttons)


async def _register(
    session: AsyncSession, urn: str, values: dict[str, Any], *, name: str, chat_id: int
) -> Screen:
    """The producer, their addresses and an alert per product and market (app.producers)."""
    data = ProducerCreate(
        name=name or f"Telegram {chat_id}",
        country=values["country"],
        locale=values["locale"],
        script=Script(values.get("script", "unicode")),
        kind=ProducerKind(values["kind"]),
        telegram_chat_id=chat_id,
        phone=values.get("phone"),
        consent=ConsentIn(channel=ConsentChannel.TELEGRAM),
    )
    await sign_up(
        session,
        data=data,
        urn=urn,
        via="telegram",
        commodities=values["commodities"],
        markets=values["markets"],
    )
    await conversations.clear(session, urn)
    names = dict(await _choices(session, "commodities", values))
    markets = dict(await _choices(session, "markets", values))
    what = ", ".join(names[c] for c in values["commodities"])
    if values["markets"]:
        what += " — " + ", ".join(markets[m] for m in values["markets"])
    example = (
        f"{names[values['commodities'][0]]} {markets[values['markets'][0]]}"
        if values["markets"]
        else names[values["commodities"][0]]
    )
    return Screen(_say(values, texts.REGISTERED, what=what, example=example), done=True)
