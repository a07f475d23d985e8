"""The public board in a real browser, signed in as nobody: a reader on a phone switches to
Burmese with Zawgyi and native digits, finds the language remembered, reads a commodity's chart
of Muse and Mandalay in the unit and currency they choose, switches to Khmer, downloads the
prices as CSV, and every page stays under the board's weight budget."""

from __future__ import annotations

import csv
import io

import httpx
from playwright.sync_api import Browser, expect

from app.text.digits import to_native_digits
from tests.browser.conftest import MicServer, OpenPage
from tests.browser.test_console_compare import mango_at_muse_and_mandalay
from tests.browser.weight import first_load

# The board's promise to a reader on 2G: a first load under 50 KB, the web fonts apart.
BOARD_BUDGET = 50 * 1024
BURMESE_DIGITS = "၀၁၂၃၄၅၆၇၈၉"


def test_a_reader_on_a_phone_reads_mango_prices_in_burmese_with_zawgyi(
    open_page: OpenPage, mic_server: MicServer, api: httpx.Client
) -> None:
    source = mango_at_muse_and_mandalay(api)
    page = open_page("phone")
    page.goto(mic_server.url("/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # Burmese, then Zawgyi and Burmese digits, each a plain link.
    page.locator("#languages a[hreflang=my]").click()
    expect(page.locator("html")).to_have_attribute("lang", "my")
    page.locator("#options a", has_text="ဇော်ဂျီ").click()
    expect(page.locator("html")).to_have_class("zawgyi")
    page.locator("#options a").first.click()  # native digits
    assert "digits=native" in page.url and "zawgyi=1" in page.url
    # The page's text is Zawgyi now: the word for the options' "Unicode" in Zawgyi encoding.
    expect(page.locator("#options")).to_contain_text("ယူနီကုဒ္")

    # The chosen language is remembered: the front door without ?lang= is in Burmese.
    page.goto(mic_server.url("/"))
    expect(page.locator("html")).to_have_attribute("lang", "my")
    page.goto(mic_server.url("/?lang=my&zawgyi=1&digits=native"))
    page.locator("#countries a[href^='/board/MM']").click()
    expect(page.locator("#market-muse")).to_be_visible()
    muse_prices = page.locator("#market-muse td:nth-child(2)").all_text_contents()
    assert any(c in text for text in muse_prices for c in BURMESE_DIGITS), muse_prices

    # The commodity page: a line per market, named in Zawgyi, values in Burmese digits.
    page.locator("#market-muse a[href*='/commodities/mango']").first.click()
    page.select_option("select[name=unit]", "kg")
    page.select_option("select[name=currency]", "MMK")
    page.locator("main form button[type=submit]").click()
    assert "unit=kg" in page.url and "currency=MMK" in page.url and "lang=my" in page.url
    chart = page.locator("#chart svg")
    expect(chart).to_be_visible()
    legend = chart.locator("text.legend-label").all_text_contents()
    # Muse and Mandalay as a Zawgyi phone stores them (Unicode: မူဆယ်, မန္တလေး).
    assert {"မူဆယ္", "မႏၲေလး"} <= set(legend), legend
    expect(chart.locator("g.series path")).to_have_count(len(legend))
    description = chart.locator("desc").text_content() or ""
    assert "၃,၆၇၅" in description  # 12,600 yuan a tonne, 3,675 kyat a kg
    rates = page.locator("#rates")
    # Every digit of the text is Burmese, as the bots write it, the source's name's too.
    expect(rates).to_contain_text(f"၁ USD = ၇.၂ CNY · {to_native_digits(source, 'my')}")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate(
        "window.innerWidth"
    )

    # Another language, keeping the unit and currency chosen.
    page.locator("#languages a[hreflang=km]").click()
    expect(page.locator("html")).to_have_attribute("lang", "km")
    expect(page.locator("html")).not_to_have_class("zawgyi")
    assert "unit=kg" in page.url and "currency=MMK" in page.url
    expect(page.locator("h1")).to_contain_text("ស្វាយ")

    # The prices of the chart as a CSV file, downloaded as a reader does.
    with page.expect_download() as asked:
        page.locator("p.data a", has_text="CSV").click()
    download = asked.value
    assert download.suggested_filename.startswith("mic-prices-")
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert rows, "the download holds no prices"
    assert {row["country"] for row in rows} == {"MM"}
    assert {row["commodity"] for row in rows} == {"mango"}
    found = {(row["market"], row["price"], row["currency"], row["unit"]) for row in rows}
    assert {("muse", "12600", "CNY", "tonne"), ("mandalay", "6532", "MMK", "viss")} <= found


def test_every_board_page_is_light_enough_for_2g(
    mic_server: MicServer, api: httpx.Client, browser: Browser
) -> None:
    mango_at_muse_and_mandalay(api)
    for path in (
        "/?lang=my",
        "/board/MM?lang=my&zawgyi=1&digits=native",
        "/board/MM/markets/muse?lang=km",
        "/board/MM/commodities/mango?lang=lo&unit=kg&currency=USD",
        "/board/MM/commodities/mango?lang=zh&days=all",
    ):
        weight = first_load(browser, mic_server.url(path))
        print(weight.describe())
        assert mic_server.url(path) in weight.resources
        assert weight.without_fonts < BOARD_BUDGET, weight.describe()
