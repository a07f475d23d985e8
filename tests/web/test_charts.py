"""The SVG charts read back with an XML parser: positions, scales, gaps, escaping, accessibility."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from app.web.charts import (
    Bar,
    Point,
    Series,
    bar_chart,
    date_ticks,
    line_chart,
    nice_ticks,
)
from app.web.fonts import WEB_FONT_FAMILIES

NS = {"svg": "http://www.w3.org/2000/svg"}
DAY = dt.date(2026, 11, 1)


def days(n: int) -> dt.date:
    return DAY + dt.timedelta(days=n)


def money(value: Decimal) -> str:
    return f"{value:,}"


def short_day(day: dt.date) -> str:
    return day.strftime("%d/%m")


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - the charts' own output, parsed to check it


def draw(series: list[Series], **kwargs: object) -> ET.Element:
    svg = line_chart(
        title="Mango, kyat per kg",
        summary="Prices by market.",
        series=series,
        format_value=money,
        format_day=short_day,
        **kwargs,  # type: ignore[arg-type]
    )
    return parse(svg)


def texts(svg: ET.Element, cls: str) -> list[ET.Element]:
    return [t for t in svg.iterfind(".//svg:text", NS) if t.get("class") == cls]


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (11000, 13000, ["11000", "11500", "12000", "12500", "13000"]),
        (Decimal("0.12"), Decimal("0.97"), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]),
        (3, 97, ["0", "20", "40", "60", "80", "100"]),
        (
            1480000,
            1525000,
            ["1480000", "1490000", "1500000", "1510000", "1520000", "1530000"],
        ),
    ],
)
def test_nice_ticks_are_round_steps_covering_the_range(
    low: int, high: int, expected: list[str]
) -> None:
    scale = nice_ticks(low, high)
    assert [str(t) for t in scale.ticks] == expected
    assert scale.low <= low and scale.high >= high
    assert len(scale.ticks) <= 6


def test_a_flat_series_gets_an_axis_around_its_value_never_below_zero() -> None:
    scale = nice_ticks(12600, 12600)
    assert scale.low < 12600 < scale.high
    zero = nice_ticks(0, 0)
    assert zero.low == 0 and zero.high > 0


def test_nice_ticks_refuse_a_reversed_range() -> None:
    with pytest.raises(ValueError, match="above the high end"):
        nice_ticks(5, 1)


def test_date_ticks_step_by_round_numbers_of_days() -> None:
    assert date_ticks(DAY, days(3)) == (DAY, days(1), days(2), days(3))
    assert date_ticks(DAY, days(30)) == tuple(days(n) for n in (0, 7, 14, 21, 28))
    assert date_ticks(DAY, DAY) == (DAY,)
    assert len(date_ticks(DAY, days(3000))) <= 6


def test_points_sit_where_their_date_and_value_put_them() -> None:
    svg = draw(
        [Series("Muse", [Point(DAY, Decimal(11000)), Point(days(4), Decimal(13000))])],
        width=640,
        plot_height=200,
    )
    y_ticks = {t.text: float(t.get("y", "")) for t in texts(svg, "y-tick")}
    x_ticks = {t.text: float(t.get("x", "")) for t in texts(svg, "x-tick")}
    first, last = svg.findall(".//svg:g[@class='series']/svg:circle", NS)
    # The lowest value is on the lowest tick's line, the highest on the highest's (the label's
    # baseline is a third of the font size under its line).
    assert float(first.get("cy", "")) == pytest.approx(y_ticks["11,000"] - 4)
    assert float(last.get("cy", "")) == pytest.approx(y_ticks["13,000"] - 4)
    assert float(first.get("cx", "")) == pytest.approx(x_ticks["01/11"])
    assert float(last.get("cx", "")) == pytest.approx(x_ticks["05/11"])
    # Halfway in value is halfway up; a day in is a quarter across.
    mid = (y_ticks["11,000"] + y_ticks["13,000"]) / 2
    assert y_ticks["12,000"] == pytest.approx(mid)
    assert x_ticks["02/11"] - x_ticks["01/11"] == pytest.approx(
        (x_ticks["05/11"] - x_ticks["01/11"]) / 4
    )
    path = svg.find(".//svg:g[@class='series']/svg:path", NS)
    assert path is not None
    assert path.get("d") == (
        f"M{first.get('cx')} {first.get('cy')} L{last.get('cx')} {last.get('cy')}"
    )


def test_a_missing_value_breaks_the_line_and_a_lone_point_keeps_its_marker() -> None:
    points = [
        Point(DAY, Decimal(100)),
        Point(days(1), None),
        Point(days(2), Decimal(120)),
        Point(days(3), Decimal(110)),
        Point(days(4), None),
        Point(days(5), Decimal(90)),
        Point(days(6), Decimal(95)),
    ]
    svg = draw([Series("Muse", points)])
    group = svg.find(".//svg:g[@class='series']", NS)
    assert group is not None
    path = group.find("svg:path", NS)
    assert path is not None
    runs = path.get("d", "").split("M")[1:]
    assert [run.count("L") for run in runs] == [1, 1]  # days 2-3 and 5-6; day 0 stands alone
    assert len(group.findall("svg:circle", NS)) == 5


def test_points_given_out_of_order_are_drawn_in_date_order() -> None:
    svg = draw([Series("Muse", [Point(days(2), 3), Point(DAY, 1), Point(days(1), 2)])])
    path = svg.find(".//svg:g[@class='series']/svg:path", NS)
    assert path is not None
    xs = [float(step.split()[0]) for step in path.get("d", "")[1:].split(" L")]
    assert xs == sorted(xs)


def test_several_series_share_the_axes_and_each_has_a_legend_entry_of_its_own_style() -> None:
    svg = draw(
        [
            Series("Muse", [Point(DAY, 12600), Point(days(1), 12800)]),
            Series("Mandalay", [Point(DAY, 11000), Point(days(1), 11200)]),
            Series("Yangon", [Point(days(1), 11900)]),
        ]
    )
    assert [t.text for t in texts(svg, "legend-label")] == ["Muse", "Mandalay", "Yangon"]
    swatches = svg.findall(".//svg:g[@class='legend']/svg:line", NS)
    styles = {(s.get("stroke"), s.get("stroke-dasharray")) for s in swatches}
    assert len(styles) == 3
    assert texts(svg, "y-tick")[0].text == "11,000"


def test_the_chart_describes_itself_for_screen_readers() -> None:
    svg = draw([Series("Muse", [Point(DAY, 12600), Point(days(1), None), Point(days(2), 12800)])])
    assert svg.get("role") == "img"
    title = svg.find("svg:title", NS)
    desc = svg.find("svg:desc", NS)
    assert title is not None and title.text == "Mango, kyat per kg"
    assert desc is not None
    assert desc.text == "Prices by market. Muse: 01/11 12,600, 03/11 12,800."


def test_labels_are_escaped_and_characters_xml_cannot_carry_are_dropped() -> None:
    hostile = '<script>alert("x")</script> & \x00\x1b Muse'
    svg_text = line_chart(
        title=hostile,
        summary=hostile,
        series=[Series(hostile, [Point(DAY, 1)])],
        format_value=lambda v: f"<{v}>",
        format_day=lambda d: "&day",
    )
    assert "<script>" not in svg_text
    svg = parse(svg_text)  # well-formed despite everything
    assert svg.findall(".//svg:script", NS) == []
    (legend,) = texts(svg, "legend-label")
    assert legend.text == '<script>alert("x")</script> &  Muse'
    assert {t.text for t in texts(svg, "x-tick")} == {"&day"}


def test_burmese_khmer_and_lao_text_asks_for_the_web_fonts() -> None:
    svg = draw([Series("မူဆယ်", [Point(DAY, 1)]), Series("ភ្នំស្រុក", [Point(DAY, 2)])])
    family = svg.get("font-family", "")
    assert all(f'"{name}"' in family for name in WEB_FONT_FAMILIES)
    assert family.endswith("sans-serif")
    assert [t.text for t in texts(svg, "legend-label")] == ["မူဆယ်", "ភ្នំស្រុក"]


def test_the_chart_scales_down_with_a_narrow_screen_rather_than_overflowing() -> None:
    svg = draw([Series("Muse", [Point(DAY, 1)])], width=640)
    assert svg.get("viewBox") == f"0 0 640 {svg.get('height')}"
    assert svg.get("class") == "chart"  # sized by the stylesheet: the pages' CSP bans style=""
    assert all(element.get("style") is None for element in svg.iter())


def test_every_text_is_placed_inside_the_chart() -> None:
    svg = draw(
        [Series("Muse", [Point(DAY, Decimal("1500000")), Point(days(60), Decimal("1525000"))])],
        width=360,
        plot_height=120,
    )
    for text in svg.iterfind(".//svg:text", NS):
        x, y, label = float(text.get("x", "")), float(text.get("y", "")), text.text or ""
        estimate = 7.2 * len(label)
        start = {"end": x - estimate, "middle": x - estimate / 2}.get(
            text.get("text-anchor", "start"), x
        )
        assert start >= 0 and start + estimate <= 360, label
        assert 12 <= y <= float(svg.get("height", "")), label


@pytest.mark.parametrize(
    ("series", "message"),
    [
        ([], "at least one value"),
        ([Series("Muse", [Point(DAY, None)])], "at least one value"),
        ([Series("Muse", [Point(DAY, float("nan"))])], "not a number"),
        ([Series("Muse", [Point(DAY, Decimal("Infinity"))])], "not a number"),
    ],
)
def test_a_chart_of_nothing_or_of_non_numbers_is_refused(
    series: list[Series], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        draw(series)


def test_the_legend_makes_the_chart_taller_and_never_squeezes_the_plot() -> None:
    one = draw([Series("Market 0", [Point(DAY, 0)])], plot_height=150)
    many = draw([Series(f"Market {n}", [Point(DAY, n)]) for n in range(12)], plot_height=150)
    assert float(many.get("height", "")) > float(one.get("height", ""))

    def plot_span(svg: ET.Element) -> float:
        ys = [
            float(line.get("y1", ""))
            for line in svg.iterfind(".//svg:g[@class='axes']/svg:line", NS)
            if line.get("stroke") == "#d0d0d0"
        ]
        return max(ys) - min(ys)

    assert plot_span(one) == plot_span(many) == 150


def test_too_small_a_chart_is_refused() -> None:
    with pytest.raises(ValueError, match="no room to plot"):
        draw([Series("Market", [Point(DAY, 1_500_000)])], width=80)
    with pytest.raises(ValueError, match="no room for its values"):
        draw([Series("Market", [Point(DAY, 1)])], plot_height=20)


def bars(items: list[Bar]) -> ET.Element:
    return parse(
        bar_chart(
            title="Deliveries, last 24 hours",
            summary="By status.",
            bars=items,
            format_count=lambda n: f"{n:,}",
            width=320,
        )
    )


def test_bars_are_as_long_as_their_count_under_their_label() -> None:
    svg = bars([Bar("sent", 1200), Bar("failed", 300), Bar("held", 0)])
    rects = svg.findall(".//svg:rect", NS)
    widths = [float(r.get("width", "")) for r in rects]
    assert widths[0] > 0 and widths[1] == pytest.approx(widths[0] / 4) and widths[2] == 0
    assert widths[0] + 7.2 * len("1,200") + 6 <= 320
    labels = texts(svg, "bar-label")
    counts = texts(svg, "bar-count")
    assert [t.text for t in labels] == ["sent", "failed", "held"]
    assert [t.text for t in counts] == ["1,200", "300", "0"]
    for label, rect, count in zip(labels, rects, counts, strict=True):
        assert float(label.get("y", "")) <= float(rect.get("y", ""))
        assert float(count.get("x", "")) > float(rect.get("width", ""))
    height = float(svg.get("height", ""))
    assert all(float(r.get("y", "")) + 12 <= height for r in rects)
    desc = svg.find("svg:desc", NS)
    assert desc is not None and desc.text == "By status. sent: 1,200; failed: 300; held: 0"
    assert svg.get("role") == "img"


def test_all_zero_counts_draw_empty_bars_and_bad_counts_are_refused() -> None:
    svg = bars([Bar("sent", 0), Bar("failed", 0)])
    assert [r.get("width") for r in svg.findall(".//svg:rect", NS)] == ["0.0", "0.0"]
    with pytest.raises(ValueError, match="negative"):
        bars([Bar("sent", -1)])
    with pytest.raises(ValueError, match="at least one bar"):
        bars([])


def test_bar_labels_are_escaped() -> None:
    svg = bars([Bar("<b>sent</b> & \x07done", 1)])
    assert [t.text for t in texts(svg, "bar-label")] == ["<b>sent</b> & done"]
    assert svg.findall(".//svg:b", NS) == []
