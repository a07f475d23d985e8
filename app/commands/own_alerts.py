"""A producer's alerts as they read them: what each follows and when it fires, in their language,
and the words that name it in a command. SMS lists them with ALERTS; Telegram shows them as
buttons. Both read them here, so a list by SMS and the menu on Telegram say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.service import pick_name
from app.commands import replies
from app.commands.parse import Parser
from app.producers import subscriptions
from app.producers.models import Producer, Rule, Subscription
from app.producers.subscriptions import AlertRule, Series
from app.text.formatting import Formatter


@dataclass(frozen=True)
class AlertView:
    subscription: Subscription
    what: str  # "Mango Muse", in the reader's language
    words: str  # "mango muse": what names it in a command (PRICE mango muse, STOP mango muse)
    when: str  # "every new price", "moves 10%", in the reader's language


async def view_alerts(
    session: AsyncSession, producer: Producer, parser: Parser, locale: str
) -> list[AlertView]:
    """The producer's alerts, oldest first, for a reader of `locale` (a reading locale such as
    km_Latn: names and words in the script the producer reads)."""
    return [
        view_alert(s, parser, locale) for s in await subscriptions.list_alerts(session, producer)
    ]


def view_alert(subscription: Subscription, parser: Parser, locale: str) -> AlertView:
    series = Series.of(subscription)
    return AlertView(
        subscription,
        series_name(parser, series, locale),
        series_words(parser, series),
        describe_rule(AlertRule.of(subscription), Formatter(locale)),
    )


def series_name(parser: Parser, series: Series, locale: str) -> str:
    """ "Mango Muse": a product, its variety and market as a reader of `locale` names them, the
    one way every reply names what an alert, a stop or a report is about."""
    index = parser.index
    parts = [("commodity_id", series.commodity_id, index.commodity_by_id[series.commodity_id].name)]
    if series.variety_id:
        variety = index.variety_by_id[series.variety_id]
        parts.append(("variety_id", series.variety_id, variety.name))
    if series.market_id:
        parts.append(("market_id", series.market_id, index.market_by_id[series.market_id].name))
    return " ".join(
        pick_name(parser.display_names(column, [key])[key], locale, fallback)
        for column, key, fallback in parts
    )


def series_words(parser: Parser, series: Series) -> str:
    """ "mango muse": the words that name the series in a command."""
    index = parser.index
    words = [index.commodity_by_id[series.commodity_id].slug]
    if series.variety_id:
        words.append(index.variety_by_id[series.variety_id].slug.replace("-", " "))
    if series.market_id:
        words.append(index.market_by_id[series.market_id].slug.replace("-", " "))
    return " ".join(words)


def example_alert(views: list[AlertView]) -> AlertView:
    """The alert to show the STOP words with: one whose words end only itself. STOP MANGO ends
    MANGO MUSE too (Series.covers), so an example of ending one alert must not be a wider one;
    the first such, else the first."""
    for view in views:
        series = Series.of(view.subscription)
        others = [Series.of(v.subscription) for v in views if v is not view]
        if not any(series.covers(other) for other in others):
            return view
    return views[0]


def describe_rule(alert: AlertRule, f: Formatter) -> str:
    """When the alert fires, in a few words."""
    rule, threshold = alert.rule, alert.threshold
    say = f.t.gettext
    if rule is Rule.CHANGE_PCT and threshold is not None:
        return say(replies.RULE_PCT).format(percent=f.number(threshold))
    if rule is Rule.ABOVE and threshold is not None:
        return say(replies.RULE_ABOVE).format(amount=f.number(threshold))
    if rule is Rule.BELOW and threshold is not None:
        return say(replies.RULE_BELOW).format(amount=f.number(threshold))
    if rule is Rule.DIGEST:
        return say(replies.RULE_DAILY).format(time=alert.digest_time)
    return say(replies.RULE_EVERY)
