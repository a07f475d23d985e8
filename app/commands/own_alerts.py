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
    index = parser.index
    s = subscription
    commodity = index.commodity_by_id[s.commodity_id]
    names = [_name(parser, "commodity_id", s.commodity_id, locale, commodity.name)]
    words = [commodity.slug]
    if s.variety_id:
        variety = index.variety_by_id[s.variety_id]
        names.append(_name(parser, "variety_id", s.variety_id, locale, variety.name))
        words.append(variety.slug.replace("-", " "))
    if s.market_id:
        market = index.market_by_id[s.market_id]
        names.append(_name(parser, "market_id", s.market_id, locale, market.name))
        words.append(market.slug.replace("-", " "))
    return AlertView(s, " ".join(names), " ".join(words), describe_rule(s, Formatter(locale)))


def _name(parser: Parser, column: str, key: int, locale: str, fallback: str) -> str:
    return pick_name(parser.display_names(column, [key])[key], locale, fallback)


def describe_rule(subscription: Subscription, f: Formatter) -> str:
    """When the alert fires, in a few words."""
    rule, threshold = subscription.rule, subscription.threshold
    say = f.t.gettext
    if rule is Rule.CHANGE_PCT and threshold is not None:
        return say(replies.RULE_PCT).format(percent=f.number(threshold))
    if rule is Rule.ABOVE and threshold is not None:
        return say(replies.RULE_ABOVE).format(amount=f.number(threshold))
    if rule is Rule.BELOW and threshold is not None:
        return say(replies.RULE_BELOW).format(amount=f.number(threshold))
    if rule is Rule.DIGEST:
        return say(replies.RULE_DAILY).format(time=subscription.digest_time)
    return say(replies.RULE_EVERY)
