"""The price comparison page and the market boards over HTTP: the chart with a line per
market in the reader's language, the table of prices, the rates named, the prices left out,
the links from the price pages, and every bad input answered on the page, never with a 500."""

from __future__ import annotations

import re

from tests.console_pages.conftest import Browser

COMPARE = "/console/prices/compare"
MUSE_AND_MANDALAY = "commodity=mango&market=muse&market=mandalay&unit=kg&currency=MMK"


def lines_of(page: str) -> list[str]:
    """The legend of the page's chart, a label per line drawn."""
    return re.findall(r'<text[^>]*class="legend-label"[^>]*>([^<]*)</text>', page)


async def test_a_cde_compares_two_markets_in_one_unit_and_currency(
    browser: Browser, price_ids: dict[str, int]
) -> None:
    ana = await browser("ana")
    page = await ana.get(f"{COMPARE}?{MUSE_AND_MANDALAY}")
    assert page.status_code == 200, page.text
    html = page.text
    assert lines_of(html) == ["Muse", "Mandalay"]
    assert html.count('<g class="series"') == 2
    assert "Mango, MMK per kg" in html  # the chart's title and the section's
    # The table: a column per market, a row per day, converted prices marked and linked.
    table = html.split('id="points"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="row">([^<]+)</th>', table) == ["Nov 25, 2026", "Nov 10, 2026"]
    assert f'<a href="/console/prices/{price_ids["muse_late"]}">≈ MMK3,870</a>' in table
    assert f'<a href="/console/prices/{price_ids["mandalay_early"]}">≈ MMK4,000</a>' in table
    # Every rate that converted a price, named with its source and day.
    rates = html.split('id="rates"')[1].split("</section>")[0]
    assert "1 USD = 7.2 CNY · pboc · Nov 1, 2026" in rates
    assert "1 USD = 2,150 MMK · cbm · Nov 20, 2026" in rates
    assert "2 rates of this pair were used, from Nov 1, 2026" in rates
    assert "1 USD = 2,100 MMK · cbm · Nov 1, 2026" in rates
    # What could not be converted, and why, linked to the prices themselves.
    left_out = html.split('id="unconverted"')[1].split("</section>")[0]
    assert "1 price per piece: no weight in kg links it to kg." in left_out
    assert "1 price in THB: no exchange rate to MMK was in force on its day." in left_out
    assert f'href="/console/prices/{price_ids["muse_piece"]}"' in left_out
    # The form keeps what was asked.
    assert 'id="market-muse" name="market" value="muse" checked' in html
    assert 'id="market-mandalay" name="market" value="mandalay" checked' in html
    assert '<option value="kg" selected>' in html and '<option value="MMK" selected>' in html


async def test_the_legend_names_the_markets_in_the_readers_language(
    browser: Browser, price_ids: dict[str, int]
) -> None:
    thida = await browser("thida", locale="my")
    page = await thida.get(f"{COMPARE}?{MUSE_AND_MANDALAY}")
    assert page.status_code == 200, page.text
    assert lines_of(page.text) == ["မူဆယ်", "မန္တလေး"]
    assert '<html lang="my">' in page.text


async def test_without_markets_the_readers_markets_with_prices_are_compared(
    browser: Browser, price_ids: dict[str, int]
) -> None:
    thida = await browser("thida")
    page = await thida.get(f"{COMPARE}?commodity=mango")
    assert page.status_code == 200, page.text
    assert lines_of(page.text) == ["Mandalay", "Muse"]  # not Phnom Srok, in Cambodia
    assert 'value="phnom-srok"' not in page.text
    # Unit and currency: those most of the prices use, the form left at "the one most use".
    assert "Mango, CNY per viss" in page.text
    assert '<option value="viss" selected>' not in page.text


async def test_a_commodity_without_prices_shows_an_empty_chart_not_an_error(
    browser: Browser, price_ids: dict[str, int]
) -> None:
    thida = await browser("thida")
    for query in ("commodity=silk", "commodity=mango&market=pyapon", "commodity=mango&days=1"):
        page = await thida.get(f"{COMPARE}?{query}")
        assert page.status_code == 200, (query, page.text)
        assert "No published prices of it at these markets in these days." in page.text
        assert "<svg" not in page.text and 'id="form-error"' not in page.text
    empty = await thida.get(COMPARE)  # the form alone, to choose a commodity
    assert empty.status_code == 200 and 'id="compare-form"' in empty.text
    assert 'id="chart"' not in empty.text


BAD_QUERIES = (
    "commodity=durian",
    "commodity=mango&variety=kent",
    "commodity=mango&market=atlantis",
    "commodity=mango&unit=bushel",
    "commodity=mango&currency=doubloon",
    "commodity=mango&price_type=barter",
    "commodity=mango&days=0",
    "commodity=mango&days=731",
    "commodity=mango&days=ninety",
    "commodity=mango&" + "&".join(f"market=m{n}" for n in range(9)),
    "commodity=" + "x" * 121,
)


async def test_bad_input_is_named_on_the_page_with_the_form(
    browser: Browser, price_ids: dict[str, int]
) -> None:
    thida = await browser("thida")
    for query in BAD_QUERIES:
        page = await thida.get(f"{COMPARE}?{query}")
        assert page.status_code == 422, (query, page.text)
        assert 'id="form-error"' in page.text and 'id="compare-form"' in page.text, query
        assert "<svg" not in page.text, query


async def test_a_market_outside_the_readers_countries_is_refused(
    browser: Browser, price_ids: dict[str, int]
) -> None:
    thida = await browser("thida")
    page = await thida.get(f"{COMPARE}?commodity=mango&market=muse&market=phnom-srok")
    assert page.status_code == 403 and "Not allowed" in page.text
    assert "<svg" not in page.text
    board = await thida.get("/console/markets/phnom-srok")
    assert board.status_code == 403 and "Not allowed" in board.text


async def test_a_market_board_lists_the_newest_prices_with_old_ones_marked(
    browser: Browser, price_ids: dict[str, int]
) -> None:
    thida = await browser("thida")
    listed = await thida.get("/console/markets")
    assert listed.status_code == 200
    assert '<a href="/console/markets/muse">Muse</a>' in listed.text
    assert "/console/markets/phnom-srok" not in listed.text
    page = await thida.get("/console/markets/muse")
    assert page.status_code == 200, page.text
    rows = re.findall(r'<tr id="row-(\d+)"( class="old")?>', page.text)
    assert rows == [
        (str(price_ids["muse_fish"]), ' class="old"'),
        (str(price_ids["muse_piece"]), ""),
        (str(price_ids["muse_late"]), ""),
    ]
    mango = page.text.split(f'id="row-{price_ids["muse_late"]}"')[1].split("</tr>")[0]
    assert "▲ +2.9%" in mango and "from CN¥12,600" in mango and "Nov 25, 2026" in mango
    assert (
        'href="/console/prices/compare?commodity=mango&amp;variety=sein-ta-lone&amp;market=muse"'
        in mango
    )
    assert page.text.count('<span class="badge">old</span>') == 1
    unknown = await thida.get("/console/markets/atlantis")
    assert unknown.status_code == 404 and 'id="form-error"' in unknown.text
    assert 'id="markets"' in unknown.text


async def test_the_price_pages_link_to_the_comparison_and_the_board(
    browser: Browser, price_ids: dict[str, int]
) -> None:
    thida = await browser("thida")
    price = await thida.get(f"/console/prices/{price_ids['mandalay_late']}")
    assert price.status_code == 200, price.text
    assert (
        'href="/console/prices/compare?commodity=mango&amp;variety=sein-ta-lone&amp;market=mandalay"'
        in price.text
    )
    assert 'href="/console/markets/mandalay"' in price.text
    listed = await thida.get("/console/prices?status=&commodity=mango&market=muse")
    assert 'href="/console/prices/compare?commodity=mango&amp;market=muse"' in listed.text
    assert 'href="/console/markets/muse" id="market-board"' in listed.text
    followed = await thida.get(
        "/console/prices/compare?commodity=mango&variety=sein-ta-lone&market=mandalay"
    )
    assert followed.status_code == 200
    assert lines_of(followed.text) == ["Mandalay"]
    # The form offers the other markets with prices of it, to tick.
    assert 'id="market-muse" name="market" value="muse">' in followed.text
