"""Share cards: `GET /cards/price/{id}.png` and `GET /cards/notice/{id}.png`, a PNG anyone may
fetch and forward, of a published price or a sent notice (anything else is a 404, the same as
an id that does not exist).

`?lang=` picks one of the six languages (English when left out), `?digits=native` Burmese,
Khmer or Lao digits, as on the board. `?zawgyi=1` is accepted, as the board's links carry it,
and changes nothing: a card is pixels, drawn from Unicode with MIC's own fonts, which a phone
whose fonts are Zawgyi shows as correctly as any other.

A card is identified by what it shows: its ETag is a hash of every text drawn on it (and of
how cards are drawn), so a corrected price gets a new one while a card asked for again is a 304
without a pixel drawn. Browsers and chat apps keep a card five minutes before asking again, so
a correction reaches them soon.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from app.api.deps import SessionDep, SettingsDep
from app.api.strict import reject_unknown_query
from app.api.text_input import refuse_control_characters
from app.core.config import Locale, Settings
from app.core.errors import Unavailable
from app.core.ids import Id
from app.public import card_drawing
from app.public.card_content import Reading, notice_card, price_card
from app.public.card_drawing import Card, CardsUnavailable

log = logging.getLogger(__name__)

CACHE_CONTROL: Final = "public, max-age=300"

router = APIRouter(
    prefix="/cards",
    include_in_schema=False,  # images, not part of the JSON API
    dependencies=[Depends(reject_unknown_query), Depends(refuse_control_characters)],
)

Lang = Annotated[Locale, Query(description="the card's language")]
Digits = Annotated[Literal["latin", "native"], Query(description="native: Burmese, Khmer, Lao")]
Zawgyi = Annotated[bool, Query(description="accepted as on the board; a card is drawn alike")]


def cards_status(settings: Settings) -> str:
    """The word "ok", or why cards (all, or the Chinese ones) cannot be drawn in this process."""
    return card_drawing.problem(settings.card_cjk_font) or "ok"


def log_cards_status(settings: Settings) -> None:
    """One line at start when cards cannot be drawn, saying why: the card routes answer 503."""
    status = cards_status(settings)
    if status != "ok":
        log.warning("%s", status)


def _etag(card: Card) -> str:
    digest = hashlib.sha256(f"{card_drawing.LAYOUT_VERSION}\n{card!r}".encode()).hexdigest()
    return f'W/"card-{digest[:32]}"'


def _matches(request: Request, etag: str) -> bool:
    wanted = request.headers.get("if-none-match", "")
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def card_reading(lang: Lang = "en", digits: Digits = "latin", zawgyi: Zawgyi = False) -> Reading:
    """Who reads a card, from its query; first, a 503 when no card can be drawn here."""
    problem = card_drawing.shaping_problem()
    if problem:
        raise Unavailable(problem)
    return Reading(locale=lang, native_digits=digits == "native")


ReadingDep = Annotated[Reading, Depends(card_reading)]


async def _respond(request: Request, settings: Settings, card: Card, filename: str) -> Response:
    etag = _etag(card)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request, etag):
        return Response(status_code=304, headers=headers)
    # Drawing is a burst of CPU, done off the event loop so other requests are served meanwhile.
    # Cards wait their turn here rather than in threads of their own: a burst of card requests
    # must not fill the thread pool that password checks and readiness probes also use.
    turns: asyncio.Semaphore = request.app.state.card_turns
    try:
        async with turns:
            png = await asyncio.to_thread(card_drawing.draw, card, settings.card_cjk_font)
    except CardsUnavailable as exc:
        raise Unavailable(str(exc)) from exc
    headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(content=png, media_type="image/png", headers=headers)


# HEAD too: link-preview crawlers ask for the type and size of an image before fetching it.
@router.api_route("/price/{price_id}.png", methods=["GET", "HEAD"])
async def price_card_png(
    request: Request, session: SessionDep, settings: SettingsDep, reading: ReadingDep, price_id: Id
) -> Response:
    """A published price as a square PNG, in the reader's language."""
    card = await price_card(session, price_id=price_id, reading=reading)
    return await _respond(request, settings, card, f"mic-price-{price_id}-{reading.locale}.png")


@router.api_route("/notice/{notice_id}.png", methods=["GET", "HEAD"])
async def notice_card_png(
    request: Request, session: SessionDep, settings: SettingsDep, reading: ReadingDep, notice_id: Id
) -> Response:
    """A sent notice as a square PNG, in the reader's language."""
    card = await notice_card(session, notice_id=notice_id, reading=reading)
    return await _respond(request, settings, card, f"mic-notice-{notice_id}-{reading.locale}.png")
