"""What a broadcast says: its payload (captured once, when it is created) and its text for
one variant of reader and channel.

The payload holds display names and values rather than ids, so a fallback SMS or a digest
rendered hours later says the same thing even if the catalogue changed in between.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.models import BroadcastKind, ChannelName
from app.alerts.templates import (
    LeadOffer,
    Names,
    PriceAlert,
    render_digest,
    render_lead,
    render_price_alert,
)
from app.catalogue.service import display_names
from app.leads.models import BuyerLead, LeadKind
from app.notices.languages import text_locale
from app.notices.models import Notice
from app.prices.models import PriceObservation
from app.prices.reads import previous_published
from app.text import sms
from app.text.formatting import Reader, Script, present, reading_locale

Payload = dict[str, Any]


@dataclass(frozen=True)
class Variant:
    """One way of reading a broadcast: every recipient with the same variant gets the same text."""

    locale: str
    script: Script
    digits: str
    plain_sms: bool
    channel: ChannelName

    @property
    def reader(self) -> Reader:
        return Reader(
            locale=reading_locale(self.locale, self.script),
            script=self.script,
            native_digits=self.digits == "native",
            plain_sms=self.plain_sms,
        )


@dataclass(frozen=True)
class Rendered:
    text: str
    segments: int  # 0 for Telegram
    encoding: str


def render(
    kind: BroadcastKind, payload: Payload, variant: Variant, *, splitting: sms.Splitting
) -> Rendered:
    """The text for `variant`; on SMS with its segments as a gateway splitting the `splitting`
    way (sms.splitting_for(settings.sms_gateway)) bills them: the delivery's cost."""
    is_sms = variant.channel is ChannelName.SMS
    reader = variant.reader
    if kind is BroadcastKind.PRICE:
        text = render_price_alert(alert_from_payload(payload), reader, sms=is_sms)
    elif kind is BroadcastKind.DIGEST:
        alerts = [alert_from_payload(p) for p in payload["alerts"]]
        day = dt.date.fromisoformat(payload["day"])
        text = render_digest(alerts, day, reader, sms=is_sms)
    elif kind in (BroadcastKind.REPLY, BroadcastKind.REPORT):
        text = payload["text"]  # already shaped for its reader (the answer, the report)
    elif kind is BroadcastKind.LEAD:
        text = present(render_lead(lead_from_payload(payload), reader.locale), reader, sms=is_sms)
    else:
        texts: dict[str, str] = payload["texts"]
        text = present(texts[notice_text_locale(texts, variant)], reader, sms=is_sms)
    if not is_sms:
        return Rendered(text=text, segments=0, encoding="")
    info = sms.analyse(text, splitting)
    return Rendered(text=text, segments=info.segments, encoding=str(info.encoding))


def notice_wanted_locale(variant: Variant) -> str:
    """The language of the notice text a reader reads when it is written: their own, or English
    for a reader of a language in Latin letters (notices are written in a language's own
    script, which such a reader cannot read)."""
    if variant.script is Script.LATIN and variant.reader.locale != variant.locale:
        return "en"
    return variant.locale


def notice_text_locale(texts: dict[str, str], variant: Variant) -> str:
    """Which of a notice's texts a reader gets: the one they want, else English, else the
    first written."""
    return text_locale(texts, notice_wanted_locale(variant))


def contact_forms(kind: BroadcastKind, payload: Payload, variant: Variant) -> tuple[str, ...]:
    """The buyer's contact as it was written into this variant's text (digits and script are
    the reader's), for hiding it from readers without the right to see it."""
    if kind is not BroadcastKind.LEAD:
        return ()
    contact = str(payload["contact"])
    is_sms = variant.channel is ChannelName.SMS
    return (contact, present(contact, variant.reader, sms=is_sms))


def lead_offer(lead: BuyerLead, commodity: Names, unit: Names) -> LeadOffer:
    assert lead.quantity is not None  # verify_lead refuses a lead without one
    return LeadOffer(
        buys=lead.kind is LeadKind.BUY,
        buyer=lead.buyer_name,
        contact=lead.contact,
        commodity=commodity,
        unit=unit,
        quantity=Decimal(lead.quantity),
        price=None if lead.price is None else Decimal(lead.price),
        currency=lead.currency,
    )


# --- payloads -----------------------------------------------------------------------------------


def alert_to_payload(alert: PriceAlert) -> Payload:
    return {
        "commodity": alert.commodity,
        "variety": alert.variety,
        "market": alert.market,
        "unit": alert.unit,
        "price": str(alert.price),
        "currency": alert.currency,
        "observed_on": alert.observed_on.isoformat(),
        "previous": None if alert.previous is None else str(alert.previous),
    }


def alert_from_payload(payload: Payload) -> PriceAlert:
    return PriceAlert(
        commodity=payload["commodity"],
        variety=payload["variety"],
        market=payload["market"],
        unit=payload["unit"],
        price=Decimal(payload["price"]),
        currency=payload["currency"],
        observed_on=dt.date.fromisoformat(payload["observed_on"]),
        previous=None if payload["previous"] is None else Decimal(payload["previous"]),
    )


async def previous_price(session: AsyncSession, price: PriceObservation) -> Decimal | None:
    """The last published price of the same series (place, thing, unit, currency) before it."""
    found = await previous_published(session, price)
    return None if found is None else Decimal(found.price)


async def _names(session: AsyncSession, column: str, key: Any) -> Names:
    """One catalogue entry's display names; its key if it has none (never an empty name)."""
    return (await display_names(session, column, [key])).get(key) or {"en": str(key)}


async def price_payload(session: AsyncSession, price: PriceObservation) -> Payload:
    alert = PriceAlert(
        commodity=await _names(session, "commodity_id", price.commodity_id),
        variety=None
        if price.variety_id is None
        else await _names(session, "variety_id", price.variety_id),
        market=await _names(session, "market_id", price.market_id),
        unit=await _names(session, "unit_id", price.unit_id),
        price=Decimal(price.price),
        currency=price.currency,
        observed_on=price.observed_on,
        previous=await previous_price(session, price),
    )
    return alert_to_payload(alert)


async def lead_payload(session: AsyncSession, lead: BuyerLead) -> Payload:
    offer = lead_offer(
        lead,
        await _names(session, "commodity_id", lead.commodity_id),
        await _names(session, "unit_id", lead.unit_id),
    )
    return {
        "buys": offer.buys,
        "buyer": offer.buyer,
        "contact": offer.contact,
        "commodity": offer.commodity,
        "unit": offer.unit,
        "quantity": str(offer.quantity),
        "price": None if offer.price is None else str(offer.price),
        "currency": offer.currency,
    }


def lead_from_payload(payload: Payload) -> LeadOffer:
    return LeadOffer(
        buys=payload["buys"],
        buyer=payload["buyer"],
        contact=payload["contact"],
        commodity=payload["commodity"],
        unit=payload["unit"],
        quantity=Decimal(payload["quantity"]),
        price=None if payload["price"] is None else Decimal(payload["price"]),
        currency=payload["currency"],
    )


def notice_payload(notice: Notice) -> Payload:
    return {"texts": dict(notice.texts)}
