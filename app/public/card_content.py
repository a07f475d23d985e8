"""What a share card says: a published price or a sent notice, in the reader's language and
digits, from the services, catalogue names and number formats the bots use.

Only what anyone may read goes on a card: a published price with its market, commodity and date
(never who reported, reviewed or corrected it), a sent notice's own text with where and what it
is about (never who wrote it or whom it reached).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.service import sent_notice
from app.alerts.templates import COMMODITY_VARIETY
from app.catalogue.service import Names, country_zones, display_names, load_index, pick_name
from app.core.i18n import N_, board_translator
from app.notices.languages import text_locale
from app.prices.models import PriceObservation, PriceType
from app.prices.reads import previous_published, published_price
from app.public.brand import MIC_NAME
from app.public.card_drawing import NoticeCard, PriceCard, Trend
from app.text.formatting import Formatter, Reader, present
from app.text.sms import without_arrows

PER_UNIT: Final = N_("per {unit}")
PLACE: Final = N_("{market}, {country}")
CHANGED: Final = N_("{amount} ({percent}) since {date}")
# A change too small to show as a percentage with one decimal (under 0.05 %).
CHANGED_SLIGHTLY: Final = N_("{amount} since {date}")
UNCHANGED: Final = N_("No change since {date}")
FIRST: Final = N_("First price published here")
AS_OF: Final = N_("As of {date}")
PRICE_TYPES: Final = {
    PriceType.FARMGATE: N_("Farm-gate price"),
    PriceType.WHOLESALE: N_("Wholesale price"),
    PriceType.RETAIL: N_("Retail price"),
    PriceType.BORDER: N_("Border price"),
    PriceType.EXPORT: N_("Export price"),
}
NOTICE: Final = N_("Market notice")
URGENT_NOTICE: Final = N_("Urgent market notice")
SENT: Final = N_("Sent {date}")
# Between the parts of a footer or of a notice's audience: a dot every script reads as such.
SEPARATOR: Final = " · "


@dataclass(frozen=True)
class Reading:
    """How the card's reader reads: one of the six languages, and digits."""

    locale: str
    native_digits: bool = False

    def shown(self, text: str) -> str:
        """`text` in the reader's digits, as the bots do it (app.text.formatting.present).
        Never Zawgyi: a card is pixels drawn from Unicode, which a Zawgyi phone shows as
        correctly as any other."""
        return present(text, Reader(locale=self.locale, native_digits=self.native_digits))


async def _names(session: AsyncSession, target: str, key: object) -> Names:
    return (await display_names(session, target, [key])).get(key, {})


def _trend(latest: Decimal, previous: PriceObservation | None) -> Trend:
    if previous is None:
        return Trend.NEW
    difference = latest - Decimal(previous.price)
    if difference == 0:
        return Trend.FLAT
    return Trend.RISE if difference > 0 else Trend.FALL


def _change(
    f: Formatter, price: PriceObservation, previous: PriceObservation | None, trend: Trend
) -> str:
    t = board_translator(f.locale)
    if previous is None:
        return t.gettext(FIRST)
    since = f.date(previous.observed_on)
    if trend is Trend.FLAT:
        return t.gettext(UNCHANGED).format(date=since)
    latest, before = Decimal(price.price), Decimal(previous.price)
    sign = "+" if trend is Trend.RISE else "-"
    amount = sign + f.money(abs(latest - before), price.currency)
    percent = (latest - before) / before * 100
    if percent.quantize(Decimal("0.1"), ROUND_HALF_UP) == 0:
        return t.gettext(CHANGED_SLIGHTLY).format(amount=amount, date=since)
    # The arrow is drawn beside the text, in the trend's colour.
    shown_percent = without_arrows(f.change(percent))
    return t.gettext(CHANGED).format(amount=amount, percent=shown_percent, date=since)


async def price_card(session: AsyncSession, *, price_id: int, reading: Reading) -> PriceCard:
    """The card of a published price; NotFound for any other id."""
    price = await published_price(session, price_id)
    previous = await previous_published(session, price)
    index = await load_index(session)
    locale = reading.locale
    f, t = Formatter(locale), board_translator(locale)
    commodity = index.commodity_by_id[price.commodity_id]
    market = index.market_by_id[price.market_id]
    unit = index.unit_by_id[price.unit_id]
    title = pick_name(await _names(session, "commodity_id", commodity.id), locale, commodity.name)
    if price.variety_id is not None:
        variety = index.variety_by_id[price.variety_id]
        variety_name = pick_name(
            await _names(session, "variety_id", variety.id), locale, variety.name
        )
        title = f.t.gettext(COMMODITY_VARIETY).format(commodity=title, variety=variety_name)
    country = pick_name(
        await _names(session, "country_code", price.country_code), locale, price.country_code
    )
    place = t.gettext(PLACE).format(
        market=pick_name(await _names(session, "market_id", market.id), locale, market.name),
        country=country,
    )
    unit_name = pick_name(await _names(session, "unit_id", unit.id), locale, unit.code)
    trend = _trend(Decimal(price.price), previous)
    footer = SEPARATOR.join(
        (
            t.gettext(AS_OF).format(date=f.full_date(price.observed_on)),
            t.gettext(PRICE_TYPES[price.price_type]),
        )
    )
    return PriceCard(
        locale=locale,
        brand=t.gettext(MIC_NAME),
        title=reading.shown(title),
        place=reading.shown(place),
        price=reading.shown(f.money(Decimal(price.price), price.currency)),
        unit=reading.shown(t.gettext(PER_UNIT).format(unit=unit_name)),
        change=reading.shown(_change(f, price, previous, trend)),
        trend=trend,
        footer=reading.shown(footer),
    )


async def notice_card(session: AsyncSession, *, notice_id: int, reading: Reading) -> NoticeCard:
    """The card of a sent notice, in its text for the reader's language (else English, else
    the first written, as its recipients got it); NotFound for any other id."""
    sent = await sent_notice(session, notice_id=notice_id)
    notice = sent.notice
    locale = reading.locale
    f, t = Formatter(locale), board_translator(locale)
    index = await load_index(session)
    markets = {m.slug: m for m in index.market_by_id.values()}
    commodities = {c.slug: c for c in index.commodity_by_id.values()}
    market_names = await display_names(
        session, "market_id", [markets[s].id for s in notice.markets if s in markets]
    )
    commodity_names = await display_names(
        session, "commodity_id", [commodities[s].id for s in notice.commodities if s in commodities]
    )
    country_names = await display_names(session, "country_code", notice.countries)
    audience = [
        f.names([pick_name(country_names[c], locale, c) for c in notice.countries]),
        f.names(
            [
                pick_name(market_names[markets[s].id], locale, s) if s in markets else s
                for s in notice.markets
            ]
        ),
        f.names(
            [
                pick_name(commodity_names[commodities[s].id], locale, s) if s in commodities else s
                for s in notice.commodities
            ]
        ),
    ]
    zones = await country_zones(session)
    # The day it went out where it was sent: the first of its countries.
    zone = zones.get(notice.countries[0], "UTC") if notice.countries else "UTC"
    sent_on: dt.date = sent.sent_at.astimezone(ZoneInfo(zone)).date()
    body = notice.texts[text_locale(notice.texts, locale)]
    return NoticeCard(
        locale=locale,
        brand=t.gettext(MIC_NAME),
        heading=t.gettext(URGENT_NOTICE if notice.urgent else NOTICE),
        urgent=notice.urgent,
        audience=reading.shown(SEPARATOR.join(part for part in audience if part)),
        body=reading.shown(body),
        footer=reading.shown(t.gettext(SENT).format(date=f.full_date(sent_on))),
    )
