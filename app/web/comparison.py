"""A comparison of markets (app.prices.compare) as pages show it, the console's and the public
board's alike: its chart, the exchange rates it used by pair, and those rates as numbers. Each
page passes its own catalog's title and summary for the chart."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup

from app.core.i18n import Translator
from app.prices.models import Comparison, FxRatePublic, SeriesPoint
from app.text.formatting import Formatter
from app.web.catalogue_names import Names
from app.web.charts import Point, Series, line_chart


def rate_number(fmt: Formatter, rate: Decimal) -> str:
    """An exchange rate to four significant digits, or to two places when it is larger, with
    no trailing zeros: 2,100.5 kyat, 7.2 yuan, 0.0016 baht."""
    places = max(2, 3 - rate.adjusted())
    value = rate.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP).normalize()
    exponent = value.as_tuple().exponent
    return fmt.number(value, decimals=max(0, -exponent) if isinstance(exponent, int) else 0)


def daily(points: Sequence[SeriesPoint]) -> list[Point]:
    """A market's line: one value a day, the average of that day's prices."""
    by_day: dict[dt.date, list[Decimal]] = defaultdict(list)
    for point in points:
        by_day[point.observed_on].append(point.price)
    return [Point(day, sum(values) / len(values)) for day, values in sorted(by_day.items())]


def comparison_chart(
    comparison: Comparison,
    names: Names,
    translator: Translator,
    *,
    title: str,
    summary: str,
) -> Markup | None:
    """The comparison as an SVG line chart, a line per market that has prices; None when no
    market has any. `title` and `summary` are messages of `translator`'s catalog, the title
    with %(commodity)s, %(currency)s and %(unit)s."""
    drawn = [s for s in comparison.series if s.points]
    if not drawn or comparison.unit is None or comparison.currency is None:
        return None
    fmt = Formatter(translator.locale)
    heading = translator.gettext(title) % {
        "commodity": names.commodity[comparison.commodity],
        "currency": comparison.currency,
        "unit": names.unit[comparison.unit],
    }
    return Markup(  # noqa: S704 - the chart's XML serialiser escaped every text in it
        line_chart(
            title=heading,
            summary=translator.gettext(summary),
            series=[Series(names.market[s.market], daily(s.points)) for s in drawn],
            format_value=fmt.number,
            # Every market's line lists the same days: each is formatted once (Babel is slow).
            format_day=functools.cache(fmt.date),
        )
    )


def rates_by_pair(rates: Sequence[FxRatePublic]) -> list[list[FxRatePublic]]:
    """The rates used, a list per currency pair, newest first."""
    pairs: dict[tuple[str, str], list[FxRatePublic]] = defaultdict(list)
    for rate in rates:
        pairs[(rate.base, rate.quote)].append(rate)
    return [
        sorted(found, key=lambda r: (r.on_date, r.id), reverse=True)
        for _, found in sorted(pairs.items())
    ]
