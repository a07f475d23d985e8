"""The price comparison page: one commodity at several markets on one chart, every price in
one unit and currency (app.prices.compare, the read GET /api/v1/prices/compare answers), with
a table of the prices, the exchange rates that converted them named, and the prices that could
not be converted counted with the reason. A GET form: it works without JavaScript, and the
page's address is the comparison to share."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from starlette.datastructures import QueryParams

from app.api.deps import SessionDep
from app.catalogue.service import CatalogueIndex, load_index
from app.console.deps import ConsoleStaff
from app.console.filters import chosen
from app.console.labels import PRICE_TYPE
from app.core.errors import InvalidInput
from app.core.i18n import N_, console_translator
from app.prices import compare
from app.prices.currencies import CURRENCY_WORDS
from app.prices.models import Comparison, PriceType, SeriesPoint
from app.web.catalogue_names import Names, catalogue_names
from app.web.comparison import comparison_chart, rate_number, rates_by_pair
from app.web.page import locale_of
from app.web.templates import render

router = APIRouter()

DAYS: Final = compare.DAY_CHOICES
# A value no catalogue name or code comes near; anything longer is refused before a look-up.
LONGEST: Final = 120

BAD_INPUT: Final = N_("Something in the form is not valid; correct it and show again.")
CHART_TITLE: Final = N_("%(commodity)s, %(currency)s per %(unit)s")
CHART_SUMMARY: Final = N_(
    "Published prices by market, converted to one unit and currency; where a market has "
    "several prices on a day, the line goes through their average."
)


@dataclass
class CompareForm:
    """The form's fields as the browser sent them, kept to fill the form again."""

    commodity: str = ""
    variety: str = ""
    markets: list[str] = field(default_factory=list)
    unit: str = ""
    currency: str = ""
    price_type: str = ""
    days: str = str(compare.DEFAULT_DAYS)


def read_form(params: QueryParams) -> CompareForm:
    """The fields of the page's address; a value too long to name anything is refused."""
    form = CompareForm(
        commodity=params.get("commodity", "").strip(),
        variety=params.get("variety", "").strip(),
        markets=list(dict.fromkeys(m.strip() for m in params.getlist("market") if m.strip())),
        unit=params.get("unit", "").strip(),
        currency=params.get("currency", "").strip(),
        price_type=params.get("price_type", "").strip(),
        days=params.get("days", "").strip() or str(compare.DEFAULT_DAYS),
    )
    texts = [form.commodity, form.variety, form.unit, form.currency, form.price_type, form.days]
    if any(len(text) > LONGEST for text in [*texts, *form.markets]):
        raise InvalidInput(f"a field is longer than {LONGEST} characters")
    return form


def chart(comparison: Comparison, names: Names, locale: str) -> Markup | None:
    return comparison_chart(
        comparison, names, console_translator(locale), title=CHART_TITLE, summary=CHART_SUMMARY
    )


@dataclass(frozen=True)
class Column:
    """A market of the table, with what its prices are: a variety or price type that is the
    same for all of them is said once, above the column, rather than in every cell."""

    market: str
    varieties: list[str | None]
    price_types: list[PriceType]


@dataclass(frozen=True)
class Row:
    """A day of the table: each market's prices that day."""

    day: dt.date
    cells: dict[str, list[SeriesPoint]]


def table(comparison: Comparison) -> tuple[list[Column], list[Row]]:
    """The prices by day, newest first, a column per market that has any."""
    columns = [
        Column(
            s.market,
            list(dict.fromkeys(p.variety for p in s.points)),
            list(dict.fromkeys(p.price_type for p in s.points)),
        )
        for s in comparison.series
        if s.points
    ]
    days: dict[dt.date, dict[str, list[SeriesPoint]]] = defaultdict(lambda: defaultdict(list))
    for series in comparison.series:
        for point in series.points:
            days[point.observed_on][series.market].append(point)
    return columns, [Row(day, dict(days[day])) for day in sorted(days, reverse=True)]


@dataclass(frozen=True)
class Unconverted:
    """Prices of one market that could not be converted for the same reason."""

    market: str
    reason: str
    quoted: str  # the unit (reason "unit") or the currency (reason "rate") they were quoted in
    price_ids: list[int]


def unconverted(comparison: Comparison) -> list[Unconverted]:
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for price in comparison.unconverted:
        quoted = price.unit if price.reason == "unit" else price.currency
        groups[(price.market, price.reason, quoted)].append(price.price_id)
    return [Unconverted(*key, ids) for key, ids in groups.items()]


@dataclass(frozen=True)
class Choices:
    """What each field of the form offers, and what it shows as chosen (a name or word the
    reader typed in the address, resolved to its entry)."""

    commodity: list[str]
    variety: list[str]
    market: list[str]
    unit: list[str]
    currency: list[str]
    days: list[str]
    picked: dict[str, str]
    checked: list[str]  # the markets ticked


def choices(
    index: CatalogueIndex,
    names: Names,
    form: CompareForm,
    comparison: Comparison | None,
    markets: list[str],
) -> Choices:
    picked = {"commodity": form.commodity, "variety": form.variety}
    picked |= {"unit": form.unit, "currency": form.currency}
    checked = form.markets
    if comparison is not None:
        picked |= {"commodity": comparison.commodity, "variety": comparison.variety or ""}
        if form.unit:
            picked["unit"] = comparison.unit or ""
        if form.currency:
            picked["currency"] = comparison.currency or ""
        checked = [s.market for s in comparison.series]
    commodity = next(
        (c for c in index.commodity_by_id.values() if c.slug == picked["commodity"]), None
    )
    varieties = [
        v.slug
        for v in index.variety_by_id.values()
        if commodity is not None and v.commodity_id == commodity.id
    ]
    currencies = {*index.currency_of_country.values(), *CURRENCY_WORDS, picked["currency"]}
    return Choices(
        commodity=sorted(names.commodity, key=names.commodity.__getitem__),
        variety=sorted(varieties, key=names.variety.__getitem__),
        market=list(dict.fromkeys([*checked, *markets])),
        unit=sorted(names.unit),
        currency=sorted(currencies - {""}),
        # Days typed in the address that the list lacks are kept, so the form shows them.
        days=[*DAYS, *([form.days] if form.days.isdecimal() and form.days not in DAYS else [])],
        picked=picked,
        checked=checked,
    )


@router.get("/prices/compare")
async def compare_page(request: Request, session: SessionDep, staff: ConsoleStaff) -> Response:
    index = await load_index(session)
    locale = locale_of(request)
    names = await catalogue_names(session, index, locale)
    status_code, error, detail = 200, None, None
    comparison: Comparison | None = None
    form = CompareForm()
    markets: list[str] = []
    try:
        form = read_form(request.query_params)
        if form.commodity:
            markets = await compare.markets_with_prices(
                session, staff=staff, commodity=form.commodity, index=index
            )
            comparison = await compare.compare_markets(
                session,
                staff=staff,
                commodity=form.commodity,
                markets=form.markets,
                variety=form.variety or None,
                unit=form.unit or None,
                currency=form.currency or None,
                price_type=chosen(PriceType, form.price_type),
                days=compare.days_of(form.days),
                index=index,
            )
    except InvalidInput as exc:
        status_code, error, detail = 422, BAD_INPUT, str(exc.detail)
    return render(
        request,
        "console/compare.html",
        status_code=status_code,
        form=form,
        names=names,
        choices=choices(index, names, form, comparison, markets),
        price_types=PRICE_TYPE,
        comparison=comparison,
        chart=chart(comparison, names, locale) if comparison else None,
        table=table(comparison) if comparison else ([], []),
        rates=rates_by_pair(comparison.rates) if comparison else [],
        unconverted=unconverted(comparison) if comparison else [],
        rate_number=rate_number,
        error=error,
        detail=detail,
    )
