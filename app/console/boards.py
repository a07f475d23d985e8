"""Market boards: the markets of the reader's countries, and a market's board, the newest
published price of everything sold there (app.prices.board, the read GET /api/v1/prices/board
answers), with the change since the price before, its day and source, old prices marked, and
links to compare each commodity with other markets."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from app.api.deps import SessionDep
from app.catalogue.service import load_index
from app.console.deps import ConsoleStaff
from app.console.labels import PRICE_TYPE
from app.core.errors import InvalidInput
from app.core.i18n import N_
from app.prices.board import market_board
from app.web.catalogue_names import catalogue_names
from app.web.page import locale_of
from app.web.templates import render

router = APIRouter()

NO_SUCH_MARKET: Final = N_("There is no such market; choose one from the list.")


async def _markets_page(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    *,
    status_code: int = 200,
    error: str | None = None,
    detail: str | None = None,
) -> Response:
    index = await load_index(session)
    names = await catalogue_names(session, index, locale_of(request))
    markets = sorted(
        (m for m in index.market_by_id.values() if staff.can_see(m.country_code)),
        key=lambda m: (m.country_code, names.market[m.slug]),
    )
    return render(
        request,
        "console/markets.html",
        status_code=status_code,
        markets=markets,
        names=names,
        error=error,
        detail=detail,
    )


@router.get("/markets")
async def markets_page(request: Request, session: SessionDep, staff: ConsoleStaff) -> Response:
    return await _markets_page(request, session, staff)


@router.get("/markets/{market}")
async def board_page(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    market: Annotated[str, Path(max_length=120)],
) -> Response:
    index = await load_index(session)
    try:
        board = await market_board(session, staff=staff, market=market, index=index)
    except InvalidInput as exc:  # a name no market has, or more than one has
        return await _markets_page(
            request, session, staff, status_code=404, error=NO_SUCH_MARKET, detail=str(exc.detail)
        )
    return render(
        request,
        "console/board.html",
        board=board,
        names=await catalogue_names(session, index, locale_of(request)),
        price_types=PRICE_TYPE,
    )
