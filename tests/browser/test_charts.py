"""The SVG charts as Chromium draws them: Burmese, Khmer and Lao labels in the served web fonts,
every text inside its chart, and charts that fit a phone's screen and stay readable."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from playwright.sync_api import Page, Route

from app.api.headers import PAGE_HEADERS
from app.text.digits import to_native_digits
from app.text.formatting import Formatter
from app.web.charts import Bar, Point, Series, bar_chart, line_chart
from tests.browser.conftest import MicServer
from tests.browser.fonts import fonts_drawing

DAY = dt.date(2026, 11, 23)
BURMESE = Formatter("my")


def burmese_number(value: Decimal | int) -> str:
    return to_native_digits(BURMESE.number(value), "my")


def burmese_day(day: dt.date) -> str:
    return to_native_digits(BURMESE.date(day), "my")


def charts() -> str:
    prices = line_chart(
        title="သရက်သီး ဈေးနှုန်း၊ ကျပ်/ကီလို",
        summary="ဈေးကွက်အလိုက် ဈေးနှုန်းများ။",
        series=[
            Series(
                "မူဆယ်",
                [Point(DAY + dt.timedelta(days=n), Decimal(12600 + 150 * n)) for n in range(8)],
            ),
            Series(
                "မန္တလေး",
                [
                    Point(DAY + dt.timedelta(days=n), None if n in (3, 4) else Decimal(11000 + n))
                    for n in range(8)
                ],
            ),
            Series("ភ្នំស្រុក", [Point(DAY + dt.timedelta(days=7), Decimal(12000))]),
            Series("ວຽງຈັນ", [Point(DAY + dt.timedelta(days=6), Decimal(11800))]),
        ],
        format_value=burmese_number,
        format_day=burmese_day,
    )
    deliveries = bar_chart(
        title="ပို့ပြီးသော စာများ၊ နောက်ဆုံး ၂၄ နာရီ",
        summary="အခြေအနေအလိုက်။",
        bars=[Bar("ပို့ပြီး", 1204), Bar("မအောင်မြင်", 17), Bar("ဆိုင်းငံ့ထား", 0)],
        format_count=burmese_number,
    )
    return (
        '<!doctype html><html lang="my"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/static/fonts.css">'
        '<link rel="stylesheet" href="/static/console.css">'
        f'</head><body><main id="main"><figure id="prices">{prices}</figure>'
        f'<figure id="deliveries">{deliveries}</figure></main></body></html>'
    )


def show_charts(page: Page, server: MicServer) -> None:
    """The charts in a page of MIC's own origin, so the page loads the real /static/ files,
    under the Content Security Policy of MIC's pages (no inline style or script)."""
    url = server.url("/__chart-test")
    policy = PAGE_HEADERS["Content-Security-Policy"]
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)

    def fulfil(route: Route) -> None:
        route.fulfill(
            status=200,
            headers={"Content-Security-Policy": policy},
            content_type="text/html; charset=utf-8",
            body=charts(),
        )

    page.route(url, fulfil)
    page.goto(url)
    page.evaluate("document.fonts.ready.then(() => true)")
    assert refused == []


TEXT_BOXES = """
svg => Array.from(svg.querySelectorAll('text')).map(t => {
  const box = t.getBBox(), rect = t.getBoundingClientRect(), outer = svg.getBoundingClientRect();
  return {
    text: t.textContent, x: box.x, y: box.y, width: box.width, height: box.height,
    left: rect.left - outer.left, right: outer.right - rect.right,
    top: rect.top - outer.top, bottom: outer.bottom - rect.bottom,
  };
})
"""


def test_chart_labels_in_burmese_khmer_and_lao_are_drawn_inside_the_chart(
    page: Page, mic_server: MicServer
) -> None:
    show_charts(page, mic_server)
    for figure in ("#prices", "#deliveries"):
        svg = page.locator(f"{figure} svg")
        view = [float(n) for n in (svg.get_attribute("viewBox") or "").split()]
        boxes = svg.evaluate(TEXT_BOXES)
        assert boxes, figure
        for box in boxes:
            label = f"{figure} {box['text']!r}: {box}"
            assert box["width"] > 0 and box["height"] > 0, label
            assert box["x"] >= view[0] - 0.5 and box["y"] >= view[1] - 0.5, label
            assert box["x"] + box["width"] <= view[0] + view[2] + 0.5, label
            assert box["y"] + box["height"] <= view[1] + view[3] + 0.5, label
            for side in ("left", "right", "top", "bottom"):
                assert box[side] >= -0.5, label


def test_chart_text_is_drawn_with_the_served_web_fonts(page: Page, mic_server: MicServer) -> None:
    show_charts(page, mic_server)
    expected = {
        "မူဆယ်": "Noto Sans Myanmar",
        "ភ្នំស្រុក": "Noto Sans Khmer",
        "ວຽງຈັນ": "Noto Sans Lao",
    }
    for label, family in expected.items():
        index = page.locator("#prices text.legend-label").all_text_contents().index(label)
        used = fonts_drawing(page, f'#prices g.legend[data-series="{index}"] text')
        assert [(f.family, f.web_font) for f in used] == [(family, True)], (label, used)
    loaded = page.evaluate(
        "Array.from(document.fonts).filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert {name.strip('"') for name in loaded} == {"MIC Myanmar", "MIC Khmer", "MIC Lao"}


def test_the_charts_fit_a_phone_and_their_text_stays_readable(
    page: Page, mic_server: MicServer
) -> None:
    show_charts(page, mic_server)
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for figure in ("#prices", "#deliveries"):
        svg = page.locator(f"{figure} svg")
        drawn = svg.bounding_box()
        assert drawn is not None and drawn["width"] <= width
        # Shrunk onto a phone, the charts' 12 px text must still be drawn at 10 px or more.
        view_width = float((svg.get_attribute("viewBox") or "").split()[2])
        assert drawn["width"] / view_width >= 10 / 12, (figure, drawn, view_width)
