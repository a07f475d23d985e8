"""The public price board: pages anyone reads without signing in, of published prices only.

- `/` chooses a country and a language;
- `/board/{country}` the newest published price of everything at each of its markets;
- `/board/{country}/commodities/{commodity}` its markets compared on a chart, in a unit and
  currency the reader chooses, with the exchange rates used named;
- `/board/{country}/markets/{market}` everything published at a market, and its notices.

Every page is plain HTML that works without JavaScript, small enough for a 2G connection, and
carries an ETag (a 304 costs a few hundred bytes) and a short public max-age. Its address holds
the reader's language and options (`?lang=`, `?digits=native`, `?zawgyi=1`), so it can be shared
as it is read. Unknown query parameters are ignored rather than refused, unlike the open data's:
a link shared on Facebook comes back with `fbclid` added.

A price is "old" as producers' answers and the console call it: older than FRESH_DAYS
(app.prices.stale) in its market's today. A reader should weigh it as the bots tell producers
to, and one rule for every way in keeps the board and the SMS answers from disagreeing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any, Final
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.sent_notices import SentNotice, sent_notices
from app.api.deps import SessionDep
from app.catalogue.models import CountryPublic, Market
from app.catalogue.service import CatalogueIndex, list_countries, load_index
from app.core import clock
from app.core.errors import InvalidInput, NotFound
from app.core.i18n import BOARD_LOCALES, ENDONYMS, N_
from app.notices.languages import text_locale
from app.prices import compare
from app.prices.board import country_board, market_board
from app.prices.currencies import CURRENCY_WORDS, currency_code
from app.prices.models import BoardRow, Comparison, MarketBoard, PriceType
from app.prices.published import FIELD_REPORT_SOURCE, source_labels
from app.prices.published import MAX_DAYS as OPEN_DATA_DAYS
from app.prices.stale import FRESH_DAYS
from app.public.board_errors import BadOption
from app.public.board_reader import BoardReader, board_reader
from app.public.card_content import PRICE_TYPES
from app.public.conditional import conditional_response
from app.sources.service import source_names
from app.web.catalogue_names import catalogue_names
from app.web.comparison import comparison_chart, rate_number, rates_by_pair
from app.web.templates import render_html

router = APIRouter(include_in_schema=False)  # pages for people, not part of the JSON API

ReaderDep = Annotated[BoardReader, Depends(board_reader)]
CountryPath = Annotated[str, Path(max_length=8)]
SlugPath = Annotated[str, Path(max_length=120)]

# What a page's own address may choose, kept when the reader switches language or digits
# (anything else, such as a tracking parameter a link came back with, is dropped).
PAGE_OPTIONS: Final = ("days", "unit", "currency", "type")
# A page differs by the reader's language, which may come from these two headers.
VARY: Final = "Accept-Language, Cookie"
# Notices sent to a market this recently are its news: as long as a price stays fresh.
ACTIVE_NOTICE_DAYS: Final = FRESH_DAYS
NOTICES_READ: Final = 50
# The open data's FIELD_REPORT_SOURCE, for a reader of the board.
FIELD_REPORTER: Final = N_("MIC field reporter")
CHART_TITLE: Final = N_("%(commodity)s, %(currency)s per %(unit)s")
CHART_SUMMARY: Final = N_(
    "Published prices by market, converted to one unit and currency; where a market has "
    "several prices on a day, the line goes through their average."
)
CHART_SUMMARY_WEEKLY: Final = N_(
    "Published prices by market, converted to one unit and currency; the line goes through "
    "each week's average."
)
# A chart over longer than this (or the whole series) draws a value a week: a year of daily
# values at a few markets would weigh more than the rest of the page and take longer to read
# than the 100 ms a page may, and a phone's screen cannot show them apart.
DAILY_UP_TO_DAYS: Final = 180


def _switch(request: Request, reader: BoardReader) -> Any:
    """For the templates: this page's address read another way (`switch(locale="km")`,
    `switch(native_digits=True)`), keeping the page's own options (days, unit, currency)."""
    kept = {k: v for k, v in request.query_params.items() if k in PAGE_OPTIONS}

    def switch(**changes: Any) -> str:
        return dataclasses.replace(reader, **changes).link(request.url.path, **kept)

    return switch


def _page(
    request: Request,
    reader: BoardReader,
    template: str,
    *,
    last_modified: dt.datetime | None = None,
    **context: Any,
) -> Response:
    html = render_html(
        template,
        reader.translator,
        reader=reader,
        switch=_switch(request, reader),
        languages={code: ENDONYMS[code] for code in BOARD_LOCALES},
        price_types=PRICE_TYPES,
        **context,
    )
    response = conditional_response(
        request,
        reader.present(html).encode(),
        media_type="text/html; charset=utf-8",
        last_modified=last_modified,
        headers={"Vary": VARY},
    )
    reader.remember(request, response)
    return response


async def _country(session: AsyncSession, code: str, locale: str) -> CountryPublic:
    wanted = code.strip().upper()
    for country in await list_countries(session, locale=locale):
        if country.code == wanted:
            return country
    raise NotFound(f"no country {code!r} on the board")


def _market(index: CatalogueIndex, country: CountryPublic, slug: str) -> Market:
    try:
        market = index.market(slug)
    except InvalidInput as exc:
        raise NotFound(str(exc.detail)) from exc
    if market.country_code != country.code:
        raise NotFound(f"market {market.slug} is not in {country.code}")
    return market


def _last_change(rows: Sequence[BoardRow]) -> dt.datetime | None:
    """The latest change to a price shown, for Last-Modified (the ETag, which browsers send
    back with it, catches a withdrawn price that leaves an older one shown)."""
    return max((r.latest.updated_at for r in rows), default=None)


async def _sources(
    session: AsyncSession, boards: Sequence[MarketBoard], reader: BoardReader
) -> dict[int, str]:
    """Where each price shown came from, as the downloads name it; a field report's words in
    the reader's language (a configured source's name, and MIC's, are names)."""
    ids = {r.latest.id for board in boards for r in board.rows}
    labels = await source_labels(session, ids, source_names)
    reporter = reader.translator.gettext(FIELD_REPORTER)
    return {i: reporter if label == FIELD_REPORT_SOURCE else label for i, label in labels.items()}


@router.get("/")
async def home_page(request: Request, session: SessionDep, reader: ReaderDep) -> Response:
    countries = await list_countries(session, locale=reader.locale)
    return _page(request, reader, "public/home.html", countries=countries)


@router.get("/board/{country}")
async def country_page(
    request: Request, session: SessionDep, reader: ReaderDep, country: CountryPath
) -> Response:
    found = await _country(session, country, reader.locale)
    index = await load_index(session)
    boards = await country_board(session, country=found.code, index=index)
    commodities = sorted({r.commodity for board in boards for r in board.rows})
    return _page(
        request,
        reader,
        "public/country.html",
        last_modified=_last_change([r for board in boards for r in board.rows]),
        country=found,
        boards=boards,
        commodities=commodities,
        sources=await _sources(session, boards, reader),
        names=await catalogue_names(session, index, reader.locale),
        fresh_days=FRESH_DAYS,
    )


@router.get("/board/{country}/markets/{market}")
async def market_page(
    request: Request, session: SessionDep, reader: ReaderDep, country: CountryPath, market: SlugPath
) -> Response:
    found = await _country(session, country, reader.locale)
    index = await load_index(session)
    m = _market(index, found, market)
    board = await market_board(session, staff=None, market=m.slug, index=index)
    notices = _active_notices(
        await sent_notices(session, country=found.code, limit=NOTICES_READ), m
    )
    return _page(
        request,
        reader,
        "public/market.html",
        last_modified=max(
            (t for t in (_last_change(board.rows), *(n.sent_at for n in notices)) if t),
            default=None,
        ),
        country=found,
        board=board,
        sources=await _sources(session, [board], reader),
        notices=[
            (
                n,
                text_locale(n.notice.texts, reader.locale),
                n.sent_at.astimezone(ZoneInfo(found.timezone)).date(),
            )
            for n in notices
        ],
        names=await catalogue_names(session, index, reader.locale),
        fresh_days=FRESH_DAYS,
        notice_days=ACTIVE_NOTICE_DAYS,
    )


def _active_notices(notices: list[SentNotice], market: Market) -> list[SentNotice]:
    """Sent notices about this market, or about its whole country (no market named), sent in
    the last ACTIVE_NOTICE_DAYS."""
    since = clock.utcnow() - dt.timedelta(days=ACTIVE_NOTICE_DAYS)
    return [
        n
        for n in notices
        if n.sent_at >= since and (not n.notice.markets or market.slug in n.notice.markets)
    ]


def _days(text: str) -> int | None:
    try:
        days = compare.days_of(text)
    except InvalidInput as exc:
        raise BadOption("days") from exc
    if days is not None and not 1 <= days <= compare.MAX_DAYS:
        raise BadOption("days")
    return days


def _unit(index: CatalogueIndex, text: str | None) -> str | None:
    if not text:
        return None
    try:
        return index.unit(text).code
    except InvalidInput as exc:
        raise BadOption("unit") from exc


def _currency(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return currency_code(text)
    except InvalidInput as exc:
        raise BadOption("currency") from exc


def _price_type(text: str | None) -> PriceType | None:
    """The form's "All" sends an empty type: every price type."""
    if not text:
        return None
    try:
        return PriceType(text)
    except ValueError as exc:
        raise BadOption("type") from exc


def _download_query(country: str, comparison: Comparison) -> str:
    """The open data's query for the comparison's prices: its country, commodity and days, at
    most a year (the most one download covers: the longest comparisons link to their last)."""
    last = comparison.observed_to
    first = max(comparison.observed_from, last - dt.timedelta(days=OPEN_DATA_DAYS - 1))
    return urlencode(
        {
            "country": country,
            "commodity": comparison.commodity,
            "from": first.isoformat(),
            "to": last.isoformat(),
        }
    )


@router.get("/board/{country}/commodities/{commodity}")
async def commodity_page(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    country: CountryPath,
    commodity: SlugPath,
    days: Annotated[str, Query(max_length=8, description="days up to today, or all")] = str(
        compare.DEFAULT_DAYS
    ),
    unit: Annotated[str | None, Query(max_length=32)] = None,
    currency: Annotated[str | None, Query(max_length=16)] = None,
    price_type: Annotated[str | None, Query(alias="type", max_length=16)] = None,
) -> Response:
    found = await _country(session, country, reader.locale)
    index = await load_index(session)
    try:
        c = index.commodity(commodity)
    except InvalidInput as exc:
        raise NotFound(str(exc.detail)) from exc
    asked_days = _days(days)
    by_week = asked_days is None or asked_days > DAILY_UP_TO_DAYS
    comparison = await compare.compare_markets(
        session,
        staff=None,
        commodity=c.slug,
        unit=_unit(index, unit),
        currency=_currency(currency),
        price_type=_price_type(price_type),
        days=asked_days,
        country=found.code,
        by_week=by_week,
        index=index,
    )
    names = await catalogue_names(session, index, reader.locale)
    return _page(
        request,
        reader,
        "public/commodity.html",
        country=found,
        comparison=comparison,
        names=names,
        chart=comparison_chart(
            comparison,
            names,
            reader.translator,
            title=CHART_TITLE,
            summary=CHART_SUMMARY_WEEKLY if by_week else CHART_SUMMARY,
        ),
        more_markets=[names.market[m] for m in comparison.more_markets],
        rates=rates_by_pair(comparison.rates),
        rate_number=rate_number,
        download=_download_query(found.code, comparison),
        choices={
            "days": list(compare.DAY_CHOICES),
            "unit": sorted(names.unit),
            "currency": sorted({*index.currency_of_country.values(), *CURRENCY_WORDS}),
            "type": list(PriceType),
        },
        picked={
            "days": days,
            "unit": unit or "",
            "currency": currency or "",
            "type": price_type or "",
        },
    )
