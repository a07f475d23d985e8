"""GET /cards/price/{id}.png and /cards/notice/{id}.png: what anyone may fetch without signing
in, what they are refused and how, and how a card is cached."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from app.core.config import Settings
from app.core.db import Database
from app.core.ids import MAX_ID
from app.main import create_app
from app.notices.models import NoticeStatus
from app.prices.models import PriceStatus
from app.public import card_drawing
from app.public.card_content import Reading, notice_card, price_card
from app.public.card_drawing import Trend
from app.public.cards import CACHE_CONTROL, log_cards_status
from app.text.myanmar import unicode_to_zawgyi
from tests.conftest import Tokens
from tests.leads.test_leads_api import offer
from tests.public.references import CARD_TOLERANCE, differing_pixels, reference
from tests.public.samples import NOTICE, PRICES
from tests.public.seed import Quote, add_price, add_sent_notice

pytestmark = pytest.mark.usefixtures("seeded")


async def seed_price(database: Database, key: str) -> int:
    sample = PRICES[key]
    for earlier in sample.earlier:
        await add_price(database, earlier)
    return await add_price(database, sample.quote)


async def seed_notice(database: Database, **overrides: Any) -> int:
    fields: dict[str, Any] = {
        "texts": NOTICE.texts,
        "countries": NOTICE.countries,
        "markets": NOTICE.markets,
        "commodities": NOTICE.commodities,
        "urgent": NOTICE.urgent,
        "sent_at": NOTICE.sent_at,
    }
    return await add_sent_notice(database, **(fields | overrides))


def png(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


# --- what a card says --------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(PRICES))
async def test_a_price_card_says_what_the_sample_says(database: Database, key: str) -> None:
    price_id = await seed_price(database, key)
    native = "digits=native" in PRICES[key].query
    async with database.read_session() as session:
        card = await price_card(session, price_id=price_id, reading=Reading(key, native))
    assert card == PRICES[key].card


async def test_a_notice_card_says_what_the_sample_says(database: Database) -> None:
    notice_id = await seed_notice(database)
    async with database.read_session() as session:
        card = await notice_card(session, notice_id=notice_id, reading=Reading("zh"))
    assert card == NOTICE.card


async def test_a_notice_without_text_in_the_readers_language_shows_the_english_one(
    database: Database,
) -> None:
    notice_id = await seed_notice(database)
    async with database.read_session() as session:
        card = await notice_card(session, notice_id=notice_id, reading=Reading("km", True))
    assert card.body == NOTICE.texts["en"].replace("105", "១០៥")
    assert (card.heading, card.audience) == ("សេចក្តីជូនដំណឹងទីផ្សារបន្ទាន់", "មីយ៉ាន់ម៉ា · មូសេ · ស្វាយ")


async def test_a_card_shows_no_staff_or_personal_data(database: Database) -> None:
    price_id = await seed_price(database, "my")
    notice_id = await seed_notice(database)
    async with database.read_session() as session:
        cards = [
            await price_card(session, price_id=price_id, reading=Reading("en")),
            await notice_card(session, notice_id=notice_id, reading=Reading("en")),
        ]
    for card in cards:
        assert "thida" not in repr(card)  # who reported, reviewed and wrote them


# --- the routes --------------------------------------------------------------------------------


@pytest.mark.usefixtures("drawable")
@pytest.mark.parametrize("key", sorted(PRICES))
async def test_a_price_card_is_served_as_its_reference_image(
    client: httpx.AsyncClient, database: Database, key: str
) -> None:
    price_id = await seed_price(database, key)
    response = await client.get(f"/cards/price/{price_id}.png?{PRICES[key].query}")
    image = png(response)
    assert differing_pixels(image, reference(f"card-{key}.png")) <= CARD_TOLERANCE
    assert response.headers["cache-control"] == CACHE_CONTROL
    assert response.headers["etag"].startswith('W/"card-')
    assert response.headers["content-disposition"] == (
        f'inline; filename="mic-price-{price_id}-{key}.png"'
    )
    assert len(response.content) < 40_000
    head = await client.head(f"/cards/price/{price_id}.png?{PRICES[key].query}")
    assert head.status_code == 200
    assert (head.headers["content-type"], head.headers["etag"]) == (
        "image/png",
        response.headers["etag"],
    )


@pytest.mark.usefixtures("drawable")
async def test_a_notice_card_is_served_as_its_reference_image(
    client: httpx.AsyncClient, database: Database
) -> None:
    notice_id = await seed_notice(database)
    image = png(await client.get(f"/cards/notice/{notice_id}.png?{NOTICE.query}"))
    assert differing_pixels(image, reference("card-zh.png")) <= CARD_TOLERANCE


@pytest.mark.usefixtures("drawable")
async def test_a_sent_notice_of_five_thousand_characters_is_cut_to_fit(
    client: httpx.AsyncClient, database: Database
) -> None:
    long = "ရေကြီးမှုကြောင့် မူဆယ်လမ်း ပိတ်ထားသည်။ " * 200
    notice_id = await seed_notice(database, texts={"my": long[:5000]})
    image = png(await client.get(f"/cards/notice/{notice_id}.png?lang=my")).convert("RGB")
    assert image.size == (card_drawing.SIZE, card_drawing.SIZE)
    bottom = [image.getpixel((x, card_drawing.SIZE - 6)) for x in range(0, card_drawing.SIZE, 5)]
    assert set(bottom) == {card_drawing.PAPER}


@pytest.mark.usefixtures("drawable")
async def test_an_unchanged_card_is_a_304_and_a_corrected_price_a_new_card(
    client: httpx.AsyncClient, database: Database, tokens: Tokens
) -> None:
    price_id = await seed_price(database, "km")
    url = f"/cards/price/{price_id}.png?lang=km"
    first = await client.get(url)
    etag = first.headers["etag"]
    again = await client.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == etag
    assert (await client.get(url, headers={"If-None-Match": '"other", ' + etag})).status_code == 304
    # Another language or digits is another card.
    assert (await client.get(f"{url}&digits=native")).headers["etag"] != etag
    corrected = await client.patch(
        f"/api/v1/prices/{price_id}", headers=tokens.cde_kh, json={"price": "150000"}
    )
    assert corrected.status_code == 200, corrected.text
    after = await client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    assert differing_pixels(png(after), png(first)) > 500


@pytest.mark.usefixtures("drawable")
async def test_zawgyi_is_accepted_and_draws_the_same_card(
    client: httpx.AsyncClient, database: Database
) -> None:
    price_id = await seed_price(database, "my")
    unicode = await client.get(f"/cards/price/{price_id}.png?lang=my&digits=native")
    zawgyi = await client.get(f"/cards/price/{price_id}.png?lang=my&digits=native&zawgyi=1")
    assert zawgyi.status_code == 200
    assert zawgyi.content == unicode.content
    # Zawgyi text drawn with a Unicode font would be garbled: the card never holds any.
    assert unicode_to_zawgyi(PRICES["my"].card.title) != PRICES["my"].card.title


# --- what is refused ---------------------------------------------------------------------------


async def test_only_published_prices_and_sent_notices_have_cards(
    client: httpx.AsyncClient, database: Database, tokens: Tokens
) -> None:
    quote = PRICES["vi"].quote
    pending = await add_price(
        database, Quote(**{**quote.__dict__, "price": "260000", "status": PriceStatus.PENDING})
    )
    rejected = await add_price(
        database, Quote(**{**quote.__dict__, "price": "270000", "status": PriceStatus.REJECTED})
    )
    lead = await client.post("/api/v1/leads", headers=tokens.cde_mm, json=offer())
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["id"]  # an id of a buyer lead, never of a card
    draft = await seed_notice(database, status=NoticeStatus.DRAFT)
    scheduled = await seed_notice(database, status=NoticeStatus.SCHEDULED)
    cancelled = await seed_notice(database, status=NoticeStatus.CANCELLED)
    unknown = MAX_ID
    answers = {
        f"/cards/price/{pending}.png": f"no published price {pending}",
        f"/cards/price/{rejected}.png": f"no published price {rejected}",
        f"/cards/price/{lead_id}.png": f"no published price {lead_id}",
        f"/cards/notice/{lead_id}.png": f"no sent notice {lead_id}",
        f"/cards/price/{unknown}.png": f"no published price {unknown}",
        f"/cards/notice/{draft}.png": f"no sent notice {draft}",
        f"/cards/notice/{scheduled}.png": f"no sent notice {scheduled}",
        f"/cards/notice/{cancelled}.png": f"no sent notice {cancelled}",
        f"/cards/notice/{unknown}.png": f"no sent notice {unknown}",
    }
    for url, detail in answers.items():
        response = await client.get(url)
        assert response.status_code == 404, url
        # The same words for a price that exists unpublished as for none at all.
        assert response.json() == {"error": "not_found", "detail": detail}


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/cards/price/1.png?lang=xx", "lang"),
        ("/cards/price/1.png?lang=my_Latn", "lang"),
        ("/cards/price/1.png?digits=roman", "digits"),
        ("/cards/price/1.png?zawgyi=perhaps", "zawgyi"),
        ("/cards/price/1.png?langauge=my", "langauge"),
        ("/cards/price/0.png", "price_id"),
        ("/cards/price/-7.png", "price_id"),
        (f"/cards/price/{MAX_ID + 1}.png", "price_id"),
        ("/cards/price/99999999999999999999999.png", "price_id"),
        ("/cards/price/abc.png", "price_id"),
        ("/cards/notice/1.5.png", "notice_id"),
        ("/cards/notice/1.png?lang=%00", "lang"),
    ],
)
async def test_bad_input_is_a_422_naming_what_is_wrong(
    client: httpx.AsyncClient, url: str, where: str
) -> None:
    response = await client.get(url)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert any(issue["loc"][-1] == where for issue in response.json()["detail"])


@pytest.mark.parametrize("url", ["/cards/price/1", "/cards/price/1.jpg", "/cards/lead/1.png"])
async def test_other_card_paths_do_not_exist(client: httpx.AsyncClient, url: str) -> None:
    assert (await client.get(url)).status_code == 404


async def test_without_the_shaper_cards_are_a_503_that_says_why(
    client: httpx.AsyncClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    price_id = await seed_price(database, "my")
    monkeypatch.setattr(card_drawing.features, "check", lambda feature: False)
    response = await client.get(f"/cards/price/{price_id}.png?lang=my")
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert "libfribidi0" in response.json()["detail"]
    ready = await client.get("/readyz")
    assert ready.status_code == 200  # everything else still works
    assert "libfribidi0" in ready.json()["cards"]


@pytest.mark.usefixtures("drawable")
async def test_without_the_cjk_font_chinese_cards_are_a_503_and_others_drawn(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    missing = settings.model_copy(update={"card_cjk_font": tmp_path / "none.ttc"})
    notice_id = await seed_notice(database)
    price_id = await seed_price(database, "vi")
    app: FastAPI = create_app(missing)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mic.test") as c,
    ):
        chinese = await c.get(f"/cards/notice/{notice_id}.png?lang=zh")
        assert chinese.status_code == 503
        assert "install fonts-noto-cjk" in chinese.json()["detail"]
        assert png(await c.get(f"/cards/notice/{notice_id}.png?lang=vi")).size == (1080, 1080)
        assert png(await c.get(f"/cards/price/{price_id}.png?lang=vi")).size == (1080, 1080)
        assert "fonts-noto-cjk" in (await c.get("/readyz")).json()["cards"]


@pytest.mark.usefixtures("drawable")
async def test_readyz_says_cards_are_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/readyz")).json()["cards"] == "ok"


async def test_cards_are_not_in_the_api_schema(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith("/cards")]


async def test_a_card_measures_the_change_against_the_price_before_it_not_a_newer_one(
    database: Database,
) -> None:
    """A card forwarded after a newer price was published still says what it said."""
    sample = PRICES["my"]
    price_id = await seed_price(database, "my")
    newer = {**sample.quote.__dict__, "price": "13000", "observed_on": dt.date(2026, 11, 29)}
    await add_price(database, Quote(**newer))
    async with database.read_session() as session:
        card = await price_card(session, price_id=price_id, reading=Reading("my", True))
    assert card == sample.card


async def test_a_change_too_small_for_a_percentage_shows_its_amount(database: Database) -> None:
    sample = PRICES["vi"]
    await add_price(database, sample.earlier[0])
    price_id = await add_price(database, Quote(**{**sample.quote.__dict__, "price": "250010"}))
    async with database.read_session() as session:
        card = await price_card(session, price_id=price_id, reading=Reading("vi"))
    assert (card.change, card.trend) == ("+10\N{NO-BREAK SPACE}₫ so với 12 thg 11", Trend.RISE)


def test_the_start_says_why_cards_cannot_be_drawn(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(card_drawing.features, "check", lambda feature: False)
    with caplog.at_level(logging.WARNING, logger="app.public.cards"):
        log_cards_status(settings)
    assert "share cards are off" in caplog.text and "install libfribidi0" in caplog.text


@pytest.mark.usefixtures("drawable")
async def test_cards_asked_for_at_once_are_drawn_in_turn_and_all_served(
    client: httpx.AsyncClient, database: Database
) -> None:
    price_id = await seed_price(database, "km")
    urls = [f"/cards/price/{price_id}.png?lang={lang}" for lang in ("en", "my", "km", "lo", "vi")]
    answers = await asyncio.gather(*(client.get(url) for url in urls * 2))
    assert [a.status_code for a in answers] == [200] * 10
    assert len({a.headers["etag"] for a in answers}) == 5
    for first, second in zip(answers[:5], answers[5:], strict=True):
        assert first.content == second.content
