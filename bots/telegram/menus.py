"""The buttons of /stop, /language, /alerts and /price for a registered producer.

Button data: `s:yes|no` (stop), `l:<locale>`, `a:<subscription id>` (that alert's menu),
`ar:<subscription id>:<rule or remove>`, `p:<subscription id>` (ask that price). Each is checked
against the producer's own data when tapped (app.producers.subscriptions.own_alert), so data
from another chat, an old message or a forged button changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from app.commands.own_alerts import view_alert, view_alerts
from app.commands.parse import Parser
from app.core.errors import Conflict
from app.core.i18n import LOCALES, translator
from app.producers import subscriptions
from app.producers.models import Producer, Rule
from app.producers.subscriptions import AlertRule, Series
from bots.telegram import texts
from bots.telegram.registration import native_name
from bots.telegram.screens import Screen, rows

# What app.commands' LANGUAGE understands for each locale.
LANGUAGE_WORDS = {
    "en": "English",
    "my": "မြန်မာ",
    "km": "ខ្មែរ",
    "lo": "ລາວ",
    "vi": "Tiếng Việt",
    "zh": "中文",
}


def _say(producer: Producer, message: str) -> str:
    return translator(producer.locale).gettext(message)


def stop_question(producer: Producer) -> Screen:
    buttons = [[(_say(producer, texts.YES_STOP), "s:yes"), (_say(producer, texts.NO_KEEP), "s:no")]]
    return Screen(_say(producer, texts.STOP_CONFIRM), buttons)


def language_menu(producer: Producer) -> Screen:
    buttons = [(native_name(loc), f"l:{loc}") for loc in LOCALES]
    return Screen(_say(producer, texts.CHOOSE_LANGUAGE), rows(buttons, 2))


# The rules a button can set; thresholds above/below need a number, typed as a message
# ("ALERT MANGO MUSE ABOVE 13000"), which app.commands understands. A daily summary comes at
# the time of the producer's other summaries (DAILY 18:00 moves them all).
RULES = {
    "every": AlertRule(Rule.EVERY),
    "pct5": AlertRule(Rule.CHANGE_PCT, Decimal(5)),
    "pct10": AlertRule(Rule.CHANGE_PCT, Decimal(10)),
    "digest": AlertRule(Rule.DIGEST),
}


def _rule_label(producer: Producer, key: str, digest_time: str) -> str:
    alert = RULES[key]
    tr = translator(producer.locale)
    if alert.rule is Rule.CHANGE_PCT:
        return tr.gettext(texts.RULE_PCT).format(percent=alert.threshold)
    if alert.rule is Rule.DIGEST:
        return tr.gettext(texts.RULE_DIGEST).format(time=digest_time)
    return tr.gettext(texts.RULE_EVERY)


async def alerts_menu(session: AsyncSession, producer: Producer, parser: Parser) -> Screen:
    views = await view_alerts(session, producer, parser, producer.locale)
    if not views:
        return Screen(_say(producer, texts.NO_ALERTS))
    buttons = [[(f"{v.what} · {v.when}", f"a:{v.subscription.id}")] for v in views]
    return Screen(_say(producer, texts.ALERTS_HEADER), buttons)


async def alert_menu(
    session: AsyncSession, producer: Producer, parser: Parser, subscription_id: int
) -> Screen | None:
    """One alert: how often it fires, or remove it."""
    subscription = await subscriptions.own_alert(session, producer, subscription_id)
    if subscription is None:
        return None
    view = view_alert(subscription, parser, producer.locale)
    digest_time = await subscriptions.usual_digest_time(session, producer)
    buttons = [
        [(_rule_label(producer, key, digest_time), f"ar:{subscription_id}:{key}")] for key in RULES
    ]
    buttons.append([(f"✕ {_say(producer, texts.REMOVE)}", f"ar:{subscription_id}:remove")])
    return Screen(f"{view.what} · {view.when}", buttons)


async def change_alert(
    session: AsyncSession, producer: Producer, subscription_id: int, key: str
) -> bool:
    """The tapped rule for that alert's series, or its removal: the same changes as the SMS
    words ALERT MANGO MUSE 10% and STOP MANGO MUSE. False for a stale or forged button."""
    if key == "remove":
        return await subscriptions.remove_alert(
            session, producer=producer, subscription_id=subscription_id
        )
    subscription = await subscriptions.own_alert(session, producer, subscription_id)
    if subscription is None or key not in RULES:
        return False
    try:
        async with session.begin_nested():
            await subscriptions.change_rule(
                session, producer=producer, series=Series.of(subscription), alert=RULES[key]
            )
    except Conflict:  # the producer stopped since the menu was shown
        return False
    return True


async def price_menu(session: AsyncSession, producer: Producer, parser: Parser) -> Screen | None:
    views = await view_alerts(session, producer, parser, producer.locale)
    if not views:
        return None
    buttons = [[(v.what, f"p:{v.subscription.id}")] for v in views]
    return Screen(_say(producer, texts.PICK_PRICE), buttons)


async def price_question(
    session: AsyncSession, producer: Producer, parser: Parser, subscription_id: int
) -> str | None:
    """The words to ask app.commands for one followed series, e.g. "PRICE mango muse"."""
    subscription = await subscriptions.own_alert(session, producer, subscription_id)
    if subscription is None:
        return None
    return f"PRICE {view_alert(subscription, parser, producer.locale).words}"
