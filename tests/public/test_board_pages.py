"""The public board's pages over HTTP: published prices only, in the reader's language (asked for,
remembered, or the browser's), digits and script; charts, rates and downloads of a commodity;
a market's notices; conditional requests; and every bad address answered with a page, never a
500."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from app.core.db import Database
from app.notices.models import NoticeStatus
from app.prices.models import FxRate, PriceStatus, PriceType
from app.public.board_reader import LANGUAGE_COOKIE
from app.text.myanmar import unicode_to_zawgyi
from tests.public.prices import add_prices
from tests.public.seed import add_sent_notice

pytestmark = pytest.mark.usefixtures("seeded")

NOW = dt.datetime(2026, 11, 20, 5, 0, tzinfo=dt.UTC)  # 11:30 in Yangon, 12:00 in Phnom Penh
TODAY = dt.date(2026, 11, 20)
BUDGET = 50 * 1024


def day(days_ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_ago)


@pytest.fixture
async def prices(database: Database, stand_at: Callable[[dt.datetime], None]) -> dict[str, int]:
    """Mango at Muse (two published, a newer pending and a rejected one), at Mandalay (one,
    old), silk at Phnom Srok; the rates that compare Muse's yuan with Mandalay's kyat."""
    stand_at(NOW)
    ids = {}
    (ids["muse_before"], ids["muse_latest"], ids["pending"], ids["rejected"]) = await add_prices(
        database,
        {"price": Decimal("12000"), "observed_on": day(3)},
        {"price": Decimal("12600"), "observed_on": day(1)},
        {"price": Decimal("4817263"), "observed_on": day(0), "status": PriceStatus.PENDING},
        {"price": Decimal("5928374"), "observed_on": day(0), "status": PriceStatus.REJECTED},
    )
    (ids["mandalay"],) = await add_prices(
        database,
        {
            "market": "mandalay",
            "currency": "MMK",
            "unit": "viss",
            "price": Decimal("6500"),
            "observed_on": day(20),
            "price_type": PriceType.WHOLESALE,
        },
    )
    (ids["silk"],) = await add_prices(
        database,
        {
            "market": "phnom-srok",
            "commodity": "silk",
            "currency": "KHR",
            "unit": "kg",
            "price": Decimal("152000"),
            "price_type": PriceType.WHOLESALE,
        },
    )
    async with database.session() as session:
        session.add_all(
            FxRate(base="USD", quote=quote, rate=Decimal(rate), on_date=day(60), source="cbm")
            for quote, rate in (("CNY", "7.2"), ("MMK", "2100"))
        )
    return ids


def rows_of(html: str, market: str) -> list[str]:
    """The rows of a market's table, their text without tags, spaces squeezed."""
    section = html.split(f'id="market-{market}"')[1].split("</section>")[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", section, re.S)[1:]  # after the header
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


async def test_a_countrys_board_shows_each_markets_newest_published_price(
    client: httpx.AsyncClient, prices: dict[str, int]
) -> None:
    page = await client.get("/board/MM", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    html = page.text
    assert rows_of(html, "muse") == [
        "Mango · Sein Ta Lone Border price CN¥12,600/tonne ▲ +5.0% Nov 19, 2026 MIC · Card"
    ]
    # Older than FRESH_DAYS: marked old, with the class the page's style greys out.
    assert rows_of(html, "mandalay") == [
        "Mango · Sein Ta Lone Wholesale price MMK6,500/viss first price Oct 31, 2026 old MIC · Card"
    ]
    assert '<tr class="old">' in html
    # Nothing pending or rejected, nothing of another country.
    for hidden in ("4,817,263", "5,928,374", "152,000", "phnom-srok"):
        assert hidden not in html
    # Downloads with the same filter, share cards of the prices, the notices feed.
    assert 'href="/open/v1/prices.csv?country=MM"' in html
    assert 'href="/open/v1/prices.json?country=MM"' in html
    assert f'href="/cards/price/{prices["muse_latest"]}.png?lang=en"' in html
    assert 'href="/open/v1/notices/MM.atom?lang=en"' in html
    assert 'href="/board/MM/commodities/mango?lang=en"' in html
    assert 'href="/board/MM/markets/muse?lang=en"' in html
    assert page.headers["cache-control"] == "public, max-age=60"
    assert page.headers["vary"] == "Accept-Language, Cookie"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert len(page.content) < BUDGET


async def test_a_page_is_a_304_while_it_has_not_changed(
    client: httpx.AsyncClient, database: Database, prices: dict[str, int]
) -> None:
    first = await client.get("/board/MM/markets/muse?lang=en")
    etag = first.headers["etag"]
    assert first.headers["last-modified"]
    again = await client.get("/board/MM/markets/muse?lang=en", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # Another language is another page.
    burmese = await client.get("/board/MM/markets/muse?lang=my", headers={"If-None-Match": etag})
    assert burmese.status_code == 200
    # A new price changes the page, and its ETag.
    await add_prices(database, {"price": Decimal("12800"), "observed_on": day(0)})
    changed = await client.get("/board/MM/markets/muse?lang=en", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "CN¥12,800/tonne" in changed.text


async def test_the_language_is_the_one_asked_for_then_remembered_else_the_browsers(
    client: httpx.AsyncClient, prices: dict[str, int]
) -> None:
    khmer_browser = {"Accept-Language": "km-KH,km;q=0.9,en;q=0.5"}
    page = await client.get("/", headers=khmer_browser)
    assert '<html lang="km">' in page.text
    assert LANGUAGE_COOKIE not in page.headers.get("set-cookie", "")
    # Every language is offered, named in itself, the current one marked.
    for code, name in (("my", "မြန်မာ"), ("lo", "ລາວ"), ("zh", "中文"), ("vi", "Tiếng Việt")):
        assert f'<a href="/?lang={code}" lang="{code}" hreflang="{code}">{name}</a>' in page.text
    assert 'hreflang="km" aria-current="true">ខ្មែរ</a>' in page.text
    # The countries, each linked in the reader's language.
    assert '<a href="/board/MM?lang=km">មីយ៉ាន់ម៉ា</a>' in page.text
    # Choosing Lao remembers it: the next visit, without ?lang=, is in Lao.
    chosen = await client.get("/?lang=lo", headers=khmer_browser)
    assert '<html lang="lo">' in chosen.text
    assert f"{LANGUAGE_COOKIE}=lo" in chosen.headers["set-cookie"]
    assert "Path=/" in chosen.headers["set-cookie"]
    later = await client.get("/board/MM", headers=khmer_browser)
    assert '<html lang="lo">' in later.text
    # The address still wins over what was remembered.
    asked = await client.get("/board/MM?lang=zh", headers=khmer_browser)
    assert '<html lang="zh">' in asked.text and "最新发布" in asked.text
    # An unknown language in the browser falls back to English.
    client.cookies.clear()
    french = await client.get("/", headers={"Accept-Language": "fr-FR,fr"})
    assert '<html lang="en">' in french.text


async def test_native_digits_and_zawgyi_change_the_text_never_the_links(
    client: httpx.AsyncClient, prices: dict[str, int]
) -> None:
    page = await client.get("/board/MM?lang=my&digits=native&zawgyi=1")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="my" class="zawgyi">' in html
    muse_row = rows_of(html, "muse")[0]
    assert "၁၂,၆၀၀" in muse_row and "12,600" not in muse_row
    # Burmese text in Zawgyi, as the bots send it: the market's name as a Zawgyi phone draws it.
    assert unicode_to_zawgyi("မန္တလေး") in html and "မန္တလေး" not in html
    # Links and the card's address keep ASCII digits and carry the options on.
    card = f'href="/cards/price/{prices["muse_latest"]}.png?lang=my&amp;digits=native&amp;zawgyi=1"'
    assert card in html
    # The options to turn each back.
    assert 'href="/board/MM?lang=my&amp;zawgyi=1">' in html  # Latin digits
    assert 'href="/board/MM?lang=my&amp;digits=native">' in html  # Unicode
    # Zawgyi is for Burmese only; native digits for Burmese, Khmer and Lao.
    vietnamese = await client.get("/board/MM?lang=vi&digits=native&zawgyi=1")
    assert '<html lang="vi">' in vietnamese.text and "12.600" in vietnamese.text
    assert 'id="options"' not in vietnamese.text


async def test_a_market_page_lists_its_prices_and_active_notices(
    client: httpx.AsyncClient, database: Database, prices: dict[str, int]
) -> None:
    sent = {
        text: await add_sent_notice(
            database,
            texts={"en": text, "my": f"{text} (my)"},
            countries=countries,
            markets=markets,
            commodities=[],
            urgent=urgent,
            sent_at=NOW - dt.timedelta(days=days_ago),
            status=status,
        )
        for text, countries, markets, urgent, days_ago, status in (
            ("Muse gate closed", ["MM"], ["muse"], True, 1, NoticeStatus.SENT),
            ("Rain across Myanmar", ["MM"], [], False, 2, NoticeStatus.SENT),
            ("Mandalay fair", ["MM"], ["mandalay"], False, 1, NoticeStatus.SENT),
            ("Muse last month", ["MM"], ["muse"], False, 30, NoticeStatus.SENT),
            ("Muse draft", ["MM"], ["muse"], False, 0, NoticeStatus.DRAFT),
        )
    }
    page = await client.get("/board/MM/markets/muse?lang=en")
    assert page.status_code == 200, page.text
    notices = page.text.split('id="notices"')[1].split("</section>")[0]
    assert re.findall(
        r'<article lang="en"[^>]*><p>(?:<b[^>]*>Urgent</b> )?([^<]+)</p>', notices
    ) == [
        "Muse gate closed",
        "Rain across Myanmar",
    ]
    assert f'href="/cards/notice/{sent["Muse gate closed"]}.png?lang=en"' in notices
    assert rows_of(page.text.replace('id="prices"', 'id="market-muse"'), "muse") == [
        "Mango · Sein Ta Lone Border price CN¥12,600/tonne ▲ +5.0% Nov 19, 2026 MIC · Card"
    ]
    assert 'href="/open/v1/prices.csv?market=muse"' in page.text
    # In Burmese, each notice in its Burmese text.
    burmese = await client.get("/board/MM/markets/muse?lang=my")
    assert "Muse gate closed (my)" in burmese.text


async def test_a_commodity_page_compares_the_countrys_markets_in_the_readers_unit_and_currency(
    client: httpx.AsyncClient, prices: dict[str, int]
) -> None:
    page = await client.get("/board/MM/commodities/mango?lang=en&unit=kg&currency=MMK&days=30")
    assert page.status_code == 200, page.text
    html = page.text
    legend = re.findall(r'<text[^>]*class="legend-label"[^>]*>([^<]+)</text>', html)
    assert legend == ["Mandalay", "Muse"]
    assert "<title>Mango, MMK per kg</title>" in html
    # 12,600 yuan a tonne at 2,100 kyat to 7.2 yuan: 3,675 kyat a kg.
    assert "Muse: Nov 17 3,500, Nov 19 3,675." in html
    rates = html.split('id="rates"')[1].split("</section>")[0]
    assert "1 USD = 7.2 CNY · cbm · Sep 21, 2026" in rates
    assert "1 USD = 2,100 MMK · cbm · Sep 21, 2026" in rates
    assert '<option value="kg" selected>' in html and "<option selected>MMK</option>" in html
    download = "country=MM&amp;commodity=mango&amp;from=2026-10-22&amp;to=2026-11-20"
    assert f'href="/open/v1/prices.csv?{download}"' in html
    # The form's "All" (an empty type, unit or currency) is every one of them.
    every = await client.get("/board/MM/commodities/mango?lang=en&unit=&currency=&type=&days=90")
    assert every.status_code == 200, every.text
    # Held to one price type.
    border = await client.get("/board/MM/commodities/mango?lang=en&type=border")
    legend = re.findall(r'class="legend-label"[^>]*>([^<]+)</text>', border.text)
    assert legend == ["Muse"] and "Border price" in border.text


async def test_the_whole_series_is_charted_by_week(
    client: httpx.AsyncClient, database: Database, prices: dict[str, int]
) -> None:
    # Monday 2026-11-09 and Wednesday 2026-11-11 average into the week of the 9th; the week
    # of the 16th holds the 17th and the 19th.
    await add_prices(database, {"price": Decimal("11000"), "observed_on": dt.date(2026, 11, 9)})
    await add_prices(database, {"price": Decimal("11500"), "observed_on": dt.date(2026, 11, 11)})
    page = await client.get("/board/MM/commodities/mango?lang=en&days=all&type=border")
    assert page.status_code == 200, page.text
    assert "each week's average" in page.text
    assert "Muse: Nov 9 11,250, Nov 16 12,300." in page.text


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/board/XX", 404, "ບໍ່ພົບ"),
        ("/board/MM/markets/phnom-srok", 404, "ບໍ່ພົບ"),  # a market of another country
        ("/board/MM/markets/nowhere", 404, "ບໍ່ພົບ"),
        ("/board/MM/commodities/durian", 404, "ບໍ່ພົບ"),
        ("/board/MM/nothing/here", 404, "ບໍ່ພົບ"),
        ("/board/MM/commodities/mango?days=9999", 422, "“days”"),
        ("/board/MM/commodities/mango?days=soon", 422, "“days”"),
        ("/board/MM/commodities/mango?unit=bushel", 422, "“unit”"),
        ("/board/MM/commodities/mango?currency=XYZ", 422, "“currency”"),
        ("/board/MM/commodities/mango?type=cheap", 422, "“type”"),
        ("/board/MM?digits=roman", 422, "“digits”"),
        ("/board/MM?zawgyi=perhaps", 422, "“zawgyi”"),
    ],
)
async def test_a_bad_address_is_a_page_in_the_readers_language(
    client: httpx.AsyncClient, prices: dict[str, int], path: str, status: int, says: str
) -> None:
    page = await client.get(path, headers={"Accept-Language": "lo"})
    assert page.status_code == status, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="lo">' in page.text and says in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_an_unknown_language_in_the_address_is_refused_on_a_page(
    client: httpx.AsyncClient, prices: dict[str, int]
) -> None:
    page = await client.get("/board/MM?lang=fr")
    assert page.status_code == 422 and "“lang”" in page.text


async def test_a_link_shared_with_a_tracking_parameter_still_opens(
    client: httpx.AsyncClient, prices: dict[str, int]
) -> None:
    page = await client.get("/board/MM?lang=en&fbclid=IwAR0abc")
    assert page.status_code == 200
    # It is not carried on into the page's own links; the page's options are.
    assert "fbclid" not in page.text
    chart = await client.get("/board/MM/commodities/mango?lang=en&days=30&fbclid=IwAR0abc")
    assert 'href="/board/MM/commodities/mango?lang=km&amp;days=30"' in chart.text


async def test_a_field_reports_source_is_named_in_the_readers_language(
    client: httpx.AsyncClient, database: Database, prices: dict[str, int]
) -> None:
    await add_prices(database, {"market": "pyapon", "created_by": "producer:7"})
    page = await client.get("/board/MM?lang=vi")
    (row,) = rows_of(page.text, "pyapon")
    assert "Cộng tác viên thực địa của MIC" in row
    assert "MIC ·" in rows_of(page.text, "muse")[0]  # MIC's own officers: its name
