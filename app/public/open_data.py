"""Open data: the published prices as CSV and JSON for anyone, with their data dictionary.

Every answer names its licence (MIC_OPEN_DATA_LICENCE) in `X-Licence` and a `Link` with
rel="license", and the JSON also in its body; a CSV file stays plain CSV. A download is one page
of at most MAX_PAGE prices over at most MAX_DAYS days: the next page is the `next` link (a field
in JSON, a `Link` header with rel="next" for CSV).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from app.api.deps import SessionDep, SettingsDep
from app.api.strict import reject_unknown_query
from app.api.text_input import refuse_control_characters
from app.core.config import Settings
from app.core.ids import Id
from app.prices import published
from app.prices.published import (
    COLUMNS,
    DEFAULT_DAYS,
    DEFAULT_PAGE,
    MAX_DAYS,
    MAX_PAGE,
    DictionaryEntry,
    OpenPrice,
    PublicFilter,
    PublishedPage,
)
from app.public.conditional import conditional_response
from app.public.responses import OPEN_RESPONSES
from app.sources.service import source_names
from app.text.csvfile import write_records

ATTRIBUTION = "Mekong Market Information Centre (MIC)"
CSV_FORMAT = (
    "UTF-8 with a byte order mark (so spreadsheets read Burmese, Khmer and Lao), comma "
    "separated, CRLF line ends, a header row with the column names, one price per row; an "
    "empty cell is a value that is not given"
)
PAGING = (
    f"At most {MAX_PAGE} prices a request (limit, {DEFAULT_PAGE} unless said) over at most "
    f"{MAX_DAYS} days (from, to; the last {DEFAULT_DAYS} unless said), highest id first; the "
    'rest follows the `next` link: a field of the JSON, a Link header with rel="next" for CSV'
)

router = APIRouter(
    prefix="/open/v1",
    tags=["open data"],
    responses=OPEN_RESPONSES,
    dependencies=[Depends(reject_unknown_query), Depends(refuse_control_characters)],
)


def public_filter(
    country: Annotated[
        str | None,
        Query(min_length=2, max_length=2, description="ISO 3166-1 alpha-2: MM, KH, LA or VN"),
    ] = None,
    market: Annotated[
        str | None, Query(min_length=1, max_length=64, description="A market's slug or name")
    ] = None,
    commodity: Annotated[
        str | None, Query(min_length=1, max_length=64, description="A commodity's slug or name")
    ] = None,
    variety: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="A variety's slug; needs the commodity"),
    ] = None,
    observed_from: Annotated[
        dt.date | None,
        Query(
            alias="from",
            description=f"Observed on or after (YYYY-MM-DD); {DEFAULT_DAYS} days before `to` "
            f"unless said, and at most {MAX_DAYS} days before it",
        ),
    ] = None,
    observed_to: Annotated[
        dt.date | None,
        Query(alias="to", description="Observed on or before (YYYY-MM-DD); today unless said"),
    ] = None,
) -> PublicFilter:
    return PublicFilter(country, market, commodity, variety, observed_from, observed_to)


FilterDep = Annotated[PublicFilter, Depends(public_filter)]
CursorQuery = Annotated[
    Id | None, Query(description="The next page: the value the `next` link carries")
]
LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_PAGE, description=f"Prices a page, at most {MAX_PAGE}")
]


class PricesDownload(BaseModel):
    """One page of published prices, with the licence they are published under."""

    licence: str = Field(description="The licence of the data (MIC_OPEN_DATA_LICENCE)")
    licence_url: str
    attribution: str = Field(description="Whom to credit when reusing the data")
    observed_from: dt.date = Field(
        serialization_alias="from", description="The first day of the range this page covers"
    )
    observed_to: dt.date = Field(
        serialization_alias="to", description="The last day of the range this page covers"
    )
    next: str | None = Field(description="The URL of the next page; null on the last one")
    items: list[OpenPrice]


class DataDictionary(BaseModel):
    """What the columns of GET /open/v1/prices.csv (the fields of prices.json items) mean."""

    licence: str
    licence_url: str
    attribution: str
    csv: str = Field(description="How the CSV file is written")
    paging: str = Field(description="How a large download is split")
    columns: list[DictionaryEntry]


async def _page(
    session: SessionDep,
    filters: FilterDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE,
) -> PublishedPage:
    return await published.published_prices(
        session, filters=filters, source_names=source_names, cursor=cursor, limit=limit
    )


PageDep = Annotated[PublishedPage, Depends(_page)]


def _next_url(request: Request, page: PublishedPage) -> str | None:
    if page.next_cursor is None:
        return None
    # The range is pinned in the link: a download that runs past midnight keeps the days it
    # started with instead of sliding to a new "last 31 days" between two pages.
    url = request.url.include_query_params(
        cursor=page.next_cursor,
        **{"from": page.observed_from.isoformat(), "to": page.observed_to.isoformat()},
    )
    return str(url)


def _licence_headers(settings: Settings, next_url: str | None) -> dict[str, str]:
    links = [f'<{settings.open_data_licence_url}>; rel="license"']
    if next_url is not None:
        links.insert(0, f'<{next_url}>; rel="next"')
    return {"X-Licence": settings.open_data_licence, "Link": ", ".join(links)}


_DOCUMENTED_HEADERS: dict[str, Any] = {
    "ETag": {"description": "Send it back as If-None-Match: 304 while nothing changed"},
    "Last-Modified": {"description": "When a price of this page last changed"},
    "X-Licence": {"description": "The licence of the data"},
    "Link": {"description": 'rel="license": the licence\'s text; rel="next": the next page'},
}


@router.get(
    "/prices.json",
    response_model=PricesDownload,
    responses={200: {"headers": _DOCUMENTED_HEADERS}},
)
async def prices_json(request: Request, settings: SettingsDep, page: PageDep) -> Response:
    """Published prices as JSON: one page, newest first, with the licence and the `next` page.
    The fields of `items` are described in GET /open/v1/prices/dictionary."""
    next_url = _next_url(request, page)
    body = PricesDownload(
        licence=settings.open_data_licence,
        licence_url=settings.open_data_licence_url,
        attribution=ATTRIBUTION,
        observed_from=page.observed_from,
        observed_to=page.observed_to,
        next=next_url,
        items=page.items,
    ).model_dump_json(by_alias=True)
    return conditional_response(
        request,
        body.encode(),
        media_type="application/json",
        last_modified=page.last_modified,
        headers=_licence_headers(settings, next_url),
    )


@router.get(
    "/prices.csv",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The prices as a CSV file, one column per field of the dictionary",
            "headers": _DOCUMENTED_HEADERS,
        }
    },
)
async def prices_csv(request: Request, settings: SettingsDep, page: PageDep) -> Response:
    """Published prices as a CSV file, the same page as prices.json: the columns are those of
    GET /open/v1/prices/dictionary, in its order, and the next page is the Link rel="next"."""
    next_url = _next_url(request, page)
    name = f"mic-prices-{page.observed_from.isoformat()}-{page.observed_to.isoformat()}.csv"
    return conditional_response(
        request,
        write_records(COLUMNS, page.items),
        media_type="text/csv; charset=utf-8",
        last_modified=page.last_modified,
        headers=_licence_headers(settings, next_url)
        | {"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/prices/dictionary",
    response_model=DataDictionary,
    responses={200: {"headers": {"ETag": _DOCUMENTED_HEADERS["ETag"]}}},
)
async def prices_dictionary(request: Request, settings: SettingsDep) -> Response:
    """The data dictionary: each column of the price downloads with its type, whether it may be
    empty, what it means and an example. Columns are never renamed or removed; new ones are
    added at the end."""
    body = DataDictionary(
        licence=settings.open_data_licence,
        licence_url=settings.open_data_licence_url,
        attribution=ATTRIBUTION,
        csv=CSV_FORMAT,
        paging=PAGING,
        columns=published.dictionary(),
    ).model_dump_json()
    return conditional_response(
        request,
        body.encode(),
        media_type="application/json",
        headers=_licence_headers(settings, None),
    )
