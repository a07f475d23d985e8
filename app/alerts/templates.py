"""The texts of alerts, rendered once per reader (locale, script, digits, channel).

Each template is short enough that, filled with realistic values, a Burmese, Khmer or Lao price
alert fits in two SMS segments; tests/alerts/test_templates.py holds every locale to that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.core.i18n import N_
from app.text.formatting import Formatter, Reader, present

Names = dict[str, str]

PRICE_CHANGED = N_("{commodity} at {market} ({date}): {price} ({change})")
PRICE_FIRST = N_("{commodity} at {market} ({date}): {price}")
COMMODITY_VARIETY = N_("{commodity} ({variety})")
DIGEST_HEADER = N_("Prices on {date}:")
LEAD_BUYS = N_("{buyer} buys {commodity}: {quantity}, {price}. Contact: {contact}")
LEAD_SELLS = N_("{buyer} sells {commodity}: {quantity}, {price}. Contact: {contact}")
NEGOTIABLE = N_("price negotiable")

TEMPLATES = (PRICE_CHANGED, PRICE_FIRST, COMMODITY_VARIETY, DIGEST_HEADER)


def name_in(names: Names, locale: str) -> str:
    """The display name for `locale`, else English; catalogue entries always have English."""
    return names.get(locale) or names["en"]


@dataclass(frozen=True)
class LeadOffer:
    """A verified buy or sell offer, as producers read it."""

    buys: bool
    buyer: str
    contact: str
    commodity: Names
    unit: Names
    quantity: Decimal
    price: Decimal | None
    currency: str | None


def render_lead(lead: LeadOffer, locale: str) -> str:
    """One lead in `locale`; the caller applies `present()` for the reader and channel."""
    f = Formatter(locale)
    unit = name_in(lead.unit, f.locale)
    if lead.price is not None and lead.currency:
        price = f.price(lead.price, lead.currency, unit)
    else:
        price = f.t.gettext(NEGOTIABLE)
    return f.t.gettext(LEAD_BUYS if lead.buys else LEAD_SELLS).format(
        buyer=lead.buyer,
        commodity=name_in(lead.commodity, f.locale),
        quantity=f"{f.number(lead.quantity)} {unit}",
        price=price,
        contact=lead.contact,
    )


@dataclass(frozen=True)
class PriceAlert:
    """One published price, with the catalogue's display names of what it is about."""

    commodity: Names
    market: Names
    unit: Names
    price: Decimal
    currency: str
    observed_on: dt.date
    variety: Names | None = None
    previous: Decimal | None = None  # the last published price of the same series

    @property
    def change_percent(self) -> Decimal | None:
        if self.previous is None or self.previous == 0:
            return None
        percent = (self.price - self.previous) / self.previous * 100
        return percent.quantize(Decimal("0.1"), ROUND_HALF_UP)


def render_price_alert(alert: PriceAlert, reader: Reader, *, sms: bool = False) -> str:
    f = Formatter(reader.locale)
    locale = f.locale
    commodity = name_in(alert.commodity, locale)
    if alert.variety is not None:
        commodity = f.t.gettext(COMMODITY_VARIETY).format(
            commodity=commodity, variety=name_in(alert.variety, locale)
        )
    values = {
        "commodity": commodity,
        "market": name_in(alert.market, locale),
        "date": f.date(alert.observed_on),
        "price": f.price(alert.price, alert.currency, name_in(alert.unit, locale)),
    }
    if alert.previous is None:
        text = f.t.gettext(PRICE_FIRST).format(**values)
    else:
        text = f.t.gettext(PRICE_CHANGED).format(change=f.change(alert.change_percent), **values)
    return present(text, reader, sms=sms)


def render_digest(
    alerts: list[PriceAlert], day: dt.date, reader: Reader, *, limit: int = 3, sms: bool = False
) -> str:
    """A day's prices in one message: the header, up to `limit` prices, then how many more."""
    f = Formatter(reader.locale)
    lines = [f.t.gettext(DIGEST_HEADER).format(date=f.date(day))]
    lines += [render_price_alert(a, Reader(reader.locale)) for a in alerts[:limit]]
    if len(alerts) > limit:
        more = len(alerts) - limit
        lines.append(
            f.t.ngettext("and {count} more price", "and {count} more prices", more).format(
                count=more
            )
        )
    return present("\n".join(lines), reader, sms=sms)
