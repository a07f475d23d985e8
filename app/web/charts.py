"""Charts drawn on the server as SVG, so a page shows them without any JavaScript.

Two kinds: a line chart of prices over dates with several series on one chart (one per market,
say), and a bar chart of counts (deliveries by status). Every text on a chart is given by the
caller already translated, and numbers and dates are formatted by the caller's functions, so a
chart reads in the page's language with its digits; the charts only place things. They are pure
functions: the same input gives the same SVG.

A chart says what it shows to those who cannot see it: role="img", a <title>, and a <desc>
listing every value. Text is escaped by the XML serialiser; characters XML cannot carry at all
(control characters) are dropped from labels rather than producing a broken document.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.web.fonts import FONT_STACK

SVG_NS = "http://www.w3.org/2000/svg"

Number = Decimal | int | float

# Okabe and Ito's palette, told apart by people with any common colour blindness; each series
# also gets its own dash pattern, so two series stay apart in a grey print too.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
GRID_COLOUR = "#d0d0d0"
TEXT_COLOUR = "#222222"
BAR_COLOUR = "#0072B2"

FONT_SIZE = 12
# No text can be measured on the server; this average advance of a digit or letter at
# FONT_SIZE sizes the margin that holds the y axis' labels.
CHAR_WIDTH = 7.2
# How far a line of text reaches above and below its baseline: Burmese stacks marks above and
# below its letters, and Noto Sans Myanmar's line box is 1.32 em over and 0.86 em under the
# baseline (Lao and Khmer reach less far). Every text is given that room, so no label is cut.
ASCENT = 1.45 * FONT_SIZE
DESCENT = 0.9 * FONT_SIZE
LINE_HEIGHT = ASCENT + DESCENT + 2
# A label's baseline sits this far under the line it labels, so its digits are centred on it.
MIDLINE = FONT_SIZE / 3
BAR_HEIGHT = 12
# A line of more points than this is drawn without a marker on each: they would touch and hide
# the line, and each costs some 50 bytes of a page read over 2G. A lone point between two gaps
# keeps its marker, as it has no line.
MARKERS_UP_TO = 40

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Point:
    day: dt.date
    value: Number | None  # None: no value that day; the line breaks there


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[Point]


@dataclass(frozen=True)
class Bar:
    label: str
    count: int


@dataclass(frozen=True)
class Scale:
    """A linear map from data values to pixels, with the ticks of its axis."""

    low: Decimal
    high: Decimal
    ticks: tuple[Decimal, ...]


def nice_ticks(low: Number, high: Number, *, most: int = 6) -> Scale:
    """Round axis bounds and ticks covering low..high, at steps of 1, 2, 2.5 or 5 times a power
    of ten, with at most `most` ticks. A flat range is widened around its value so the line sits
    inside the plot rather than on its edge."""
    lo, hi = _decimal(low), _decimal(high)
    if lo > hi:
        raise ValueError(f"the low end {lo} is above the high end {hi}")
    if most < 2:
        raise ValueError("an axis needs at least two ticks")
    if lo == hi:
        pad = abs(lo) / 10 if lo else Decimal(1)
        lo, hi = lo - pad, hi + pad
        if low >= 0 and lo < 0:  # a flat run of prices never puts the axis below zero
            lo = Decimal(0)
    span = hi - lo
    step = _nice_step(span / (most - 1))
    while True:
        first = (lo / step).to_integral_value(rounding="ROUND_FLOOR") * step
        last = (hi / step).to_integral_value(rounding="ROUND_CEILING") * step
        count = int((last - first) / step) + 1
        if count <= most:
            break
        step = _nice_step(step * Decimal("1.01"))  # the next nice step up
    ticks = tuple(first + step * i for i in range(count))
    return Scale(low=ticks[0], high=ticks[-1], ticks=ticks)


def _nice_step(rough: Decimal) -> Decimal:
    exponent = math.floor(math.log10(rough))
    power = Decimal(10) ** exponent
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if power * factor >= rough:
            return power * factor
    raise AssertionError("unreachable: 10 times the power is always enough")


def date_ticks(first: dt.date, last: dt.date, *, most: int = 6) -> tuple[dt.date, ...]:
    """Dates to label on the x axis: the first date, then every n days with n a round number of
    days (1, 2, 7, 14, a month or so...) so that at most `most` are labelled."""
    span = (last - first).days
    for step in (1, 2, 3, 7, 14, 30, 61, 91, 182, 365, 730):
        if span // step + 1 <= most:
            return tuple(first + dt.timedelta(days=step * i) for i in range(span // step + 1))
    step = math.ceil(span / (most - 1))
    return tuple(first + dt.timedelta(days=step * i) for i in range(span // step + 1))


def line_chart(
    *,
    title: str,
    summary: str,
    series: Sequence[Series],
    format_value: Callable[[Decimal], str],
    format_day: Callable[[dt.date], str],
    width: int = 360,
    plot_height: int = 180,
) -> str:
    """Prices over dates, one line per series, with a legend under the plot (`width` is the
    whole chart's, `plot_height` the plot's alone: the legend adds a line per series). The
    default width is a phone's: a chart is shrunk to fit a narrower screen, never enlarged, and
    a wide one shrunk onto a phone would draw its labels too small to read.

    `title` and `summary` (what the chart shows, in a sentence) are translated by the caller;
    `format_value` and `format_day` write a tick or a listed value in the page's locale. A point
    whose value is None leaves a gap: the line stops before it and starts again after it."""
    values = [
        _decimal(point.value) for one in series for point in one.points if point.value is not None
    ]
    if not values:
        raise ValueError("a line chart needs at least one value")
    days = [point.day for one in series for point in one.points]
    first_day, last_day = min(days), max(days)
    y = nice_ticks(min(values), max(values))
    x_ticks = date_ticks(first_day, last_day)
    y_labels = [format_value(tick) for tick in y.ticks]
    x_labels = [format_day(day) for day in x_ticks]

    # Date labels are centred on their tick: the first and last need half their width free
    # beside the plot.
    half_date = CHAR_WIDTH * max(len(label) for label in x_labels) / 2 + 2
    left = max(8 + CHAR_WIDTH * max(len(label) for label in y_labels), half_date)
    right = max(16.0, half_date)
    top = ASCENT - MIDLINE + 2  # the top tick's label, centred on the top of the plot
    bottom = 4 + ASCENT + DESCENT + 2  # a tick mark, then the dates under it
    legend_height = LINE_HEIGHT * len(series) + 4
    plot_width = width - left - right
    # The legend adds to the height rather than squeezing the plot: many series, a taller chart.
    height = round(top + plot_height + bottom + legend_height)
    if plot_width < 40:
        raise ValueError(f"a chart {width} wide leaves no room to plot beside its labels")
    if plot_height < 40:
        raise ValueError(f"a plot {plot_height} high has no room for its values")

    def x_of(day: dt.date) -> float:
        span = (last_day - first_day).days
        # A single day is drawn in the middle of the plot rather than on its left edge.
        share = 0.5 if span == 0 else (day - first_day).days / span
        return round(left + share * plot_width, 2)

    def y_of(value: Decimal) -> float:
        share = float((value - y.low) / (y.high - y.low))
        return round(top + (1 - share) * plot_height, 2)

    svg = _svg(width, height, title, _line_description(summary, series, format_value, format_day))
    axes = ET.SubElement(svg, "g", {"class": "axes", "fill": TEXT_COLOUR})
    for tick, label in zip(y.ticks, y_labels, strict=True):
        ty = y_of(tick)
        ET.SubElement(axes, "line", _xy(left, ty, left + plot_width, ty) | {"stroke": GRID_COLOUR})
        _text(axes, label, left - 6, ty + MIDLINE, anchor="end", cls="y-tick")
    baseline = top + plot_height
    for day, label in zip(x_ticks, x_labels, strict=True):
        tx = x_of(day)
        ET.SubElement(axes, "line", _xy(tx, baseline, tx, baseline + 4) | {"stroke": TEXT_COLOUR})
        _text(axes, label, tx, baseline + 4 + ASCENT, anchor="middle", cls="x-tick")
    ET.SubElement(axes, "line", _xy(left, baseline, left + plot_width, baseline)).set(
        "stroke", TEXT_COLOUR
    )

    legend_top = height - legend_height + 2
    for index, one in enumerate(series):
        colour, dash = _style(index)
        group = ET.SubElement(svg, "g", {"class": "series", "data-series": str(index)})
        stroke = {"stroke": colour, "stroke-width": "2", "fill": "none"}
        if dash:
            stroke["stroke-dasharray"] = dash
        runs = _runs(one.points)
        path = " ".join(
            "M" + " L".join(f"{x_of(p.day)} {y_of(_decimal(p.value))}" for p in run)
            for run in runs
            if len(run) > 1  # a lone point between gaps is drawn by its marker alone
        )
        if path:
            ET.SubElement(group, "path", {"d": path} | stroke)
        marked = runs if len(one.points) <= MARKERS_UP_TO else [r for r in runs if len(r) == 1]
        for run in marked:
            for point in run:
                ET.SubElement(
                    group,
                    "circle",
                    {
                        "cx": str(x_of(point.day)),
                        "cy": str(y_of(_decimal(point.value))),
                        "r": "3",
                        "fill": colour,
                    },
                )
        row = legend_top + LINE_HEIGHT * index + ASCENT - MIDLINE  # the swatch's height
        legend = ET.SubElement(svg, "g", {"class": "legend", "data-series": str(index)})
        ET.SubElement(legend, "line", _xy(left, row, left + 24, row) | stroke)
        _text(legend, one.label, left + 30, row + MIDLINE, cls="legend-label")
    return _serialise(svg)


def bar_chart(
    *,
    title: str,
    summary: str,
    bars: Sequence[Bar],
    format_count: Callable[[int], str],
    width: int = 320,
) -> str:
    """Counts as horizontal bars, each under its label (a translated label of any length then
    never overlaps its bar, even on a phone), with the count written after the bar. The longest
    bar spans the width left after the longest count."""
    if not bars:
        raise ValueError("a bar chart needs at least one bar")
    if any(bar.count < 0 for bar in bars):
        raise ValueError("a count cannot be negative")
    counts = [format_count(bar.count) for bar in bars]
    # A label, then its bar with the count beside it (the count's line box reaches past the
    # bar's top and bottom).
    bar_offset = LINE_HEIGHT + (ASCENT - MIDLINE - BAR_HEIGHT / 2)
    row_height = bar_offset + BAR_HEIGHT / 2 + MIDLINE + DESCENT + 4
    height = round(row_height * len(bars))
    count_room = 8 + CHAR_WIDTH * max(len(label) for label in counts)
    bar_room = width - count_room
    if bar_room < 40:
        raise ValueError(f"a {width} wide chart leaves no room for its bars")
    largest = max(bar.count for bar in bars)
    description = (
        summary
        + " "
        + "; ".join(
            f"{_clean(bar.label)}: {label}" for bar, label in zip(bars, counts, strict=True)
        )
    )
    svg = _svg(width, height, title, description)
    for index, (bar, label) in enumerate(zip(bars, counts, strict=True)):
        row = ET.SubElement(svg, "g", {"class": "bar", "data-bar": str(index)})
        top = row_height * index
        _text(row, bar.label, 0, top + ASCENT, cls="bar-label")
        length = round(bar_room * bar.count / largest, 2) if largest else 0.0
        ET.SubElement(
            row,
            "rect",
            {
                "x": "0",
                "y": str(round(top + bar_offset, 2)),
                "width": str(length),
                "height": str(BAR_HEIGHT),
                "fill": BAR_COLOUR,
            },
        )
        middle = top + bar_offset + BAR_HEIGHT / 2
        _text(row, label, length + 6, middle + MIDLINE, cls="bar-count")
    return _serialise(svg)


def _line_description(
    summary: str,
    series: Sequence[Series],
    format_value: Callable[[Decimal], str],
    format_day: Callable[[dt.date], str],
) -> str:
    parts = [summary]
    for one in series:
        listed = ", ".join(
            f"{format_day(point.day)} {format_value(_decimal(point.value))}"
            for point in one.points
            if point.value is not None
        )
        parts.append(f"{_clean(one.label)}: {listed}.")
    return " ".join(parts)


def _runs(points: Sequence[Point]) -> list[list[Point]]:
    """The stretches of consecutive points that have a value, in date order."""
    runs: list[list[Point]] = [[]]
    for point in sorted(points, key=lambda p: p.day):
        if point.value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


def _style(index: int) -> tuple[str, str]:
    return PALETTE[index % len(PALETTE)], DASHES[(index // len(PALETTE) + index) % len(DASHES)]


def _decimal(value: Number | None) -> Decimal:
    if value is None:
        raise ValueError("a missing value has no position")
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number a chart can place")
    return number


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _svg(width: int, height: int, title: str, description: str) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {width} {height}",
            "width": str(width),
            "height": str(height),
            # The stylesheet's svg.chart rule scales it down with its container on a narrow
            # phone instead of widening the page (no style attribute: the pages' Content
            # Security Policy refuses inline styles).
            "class": "chart",
            "role": "img",
            "font-family": FONT_STACK,
            "font-size": str(FONT_SIZE),
        },
    )
    ET.SubElement(svg, "title").text = _clean(title)
    ET.SubElement(svg, "desc").text = _clean(description)
    return svg


def _text(
    parent: ET.Element, content: str, x: float, y: float, *, anchor: str = "start", cls: str
) -> ET.Element:
    attrs = {"x": str(round(x, 2)), "y": str(round(y, 2)), "class": cls}
    if anchor != "start":
        attrs["text-anchor"] = anchor
    element = ET.SubElement(parent, "text", attrs)
    element.text = _clean(content)
    return element


def _xy(x1: float, y1: float, x2: float, y2: float) -> dict[str, str]:
    return {
        "x1": str(round(x1, 2)),
        "y1": str(round(y1, 2)),
        "x2": str(round(x2, 2)),
        "y2": str(round(y2, 2)),
    }


def _serialise(svg: ET.Element) -> str:
    return ET.tostring(svg, encoding="unicode", short_empty_elements=True)
