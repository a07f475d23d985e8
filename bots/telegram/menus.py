"""The buttons of /stop, /language, /alerts and /price for a registered producer.

Button data: `s:yes|no` (stop), `l:<locale>`, `a:<subscription id>` (that alert's menu),
`ar:<subscription id>:<rule or remove>`, `p:<subscription id>` (ask that price). Each is checked
against the producer's own data when tapped (app.producers.subscriptions.own_alert), so data
from another chat, an old message or a forged button changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from app.commands import replies
from app.commands.own_alerts import describe_rule, view_alert, view_alerts
from app.commands.parse import Parser
from app.core.i18n import ENDONYMS, LOCALES
from app.producers import subscriptions
from app.producers.models import Producer, Rule
from app.producers.subscriptions import AlertRule
from app.text.formatting import Formatter, Script, reading_locale
from bots.telegram import texts
from bots.telegram.registration import native_name
from bots.telegram.screens import Screen, rows

# What app.commands' LANGUAGE understands for each locale: each language named in itself.
LANGUAGE_WORDS = ENDONYMS


def _locale(producer: Producer) -> str:
    """The locale the producer reads, script included (km_Latn), as app.commands answers them:
    a menu and an SMS say the same thing in the same letters."""
    return reading_locale(producer.locale, Script(producer.script))


def _say(producer: Producer, message: str) -> str:
    return Formatter(_locale(producer)).t.gettext(message)


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
    if alert.rule is Rule.DIGEST:
        alert = AlertRule(Rule.DIGEST, None, digest_time)
    return describe_rule(alert, Formatter(_locale(producer)))


async def alerts_menu(session: AsyncSession, producer: Producer, parser: Parser) -> Screen:
    views = await view_alerts(session, producer, parser, _locale(producer))
    if not views:
        return Screen(_say(producer, replies.NO_ALERTS))
    buttons = [[(f"{v.what} · {v.when}", f"a:{v.subscription.id}")] for v in views]
    return Screen(_say(producer, texts.ALERTS_HEADER), buttons)


async def alert_menu(
    session: AsyncSession,
    producer: Producer,
    parser: Parser,
    subscription_id: int,
    *,
    default_digest_time: str,
) -> Screen | None:
    """One alert: how often it fires, or remove it. The daily button names the time the summary
    would come at (`default_digest_time`, MIC_DIGEST_TIME, for a producer with none yet)."""
    subscription = await subscriptions.own_alert(session, producer, subscription_id)
    if subscription is None:
        return None
    view = view_alert(subscription, parser, _locale(producer))
    digest_time = await subscriptions.usual_digest_time(
        session, producer, default=default_digest_time
    )
    buttons = [
        [(_rule_label(producer, key, digest_time), f"ar:{subscription_id}:{key}")] for key in RULES
    ]
    buttons.append([(f"✕ {_say(producer, texts.REMOVE)}", f"ar:{subscription_id}:remove")])
    return Screen(f"{view.what} · {view.when}", buttons)


async def change_alert(
    session: AsyncSession,
    producer: Producer,
    subscription_id: int,
    key: str,
    *,
    default_digest_time: str,
) -> bool:
    """The tapped rule for that alert's series, or its removal: the same changes as the SMS
    words ALERT MANGO MUSE 10% and STOP MANGO MUSE. False for a stale or forged button, or a
    producer who stopped since the menu was shown."""
    if key == "remove":
        return await subscriptions.remove_alert(
            session, producer=producer, subscription_id=subscription_id
        )
    if key not in RULES:
        return False
    changed = await subscriptions.change_own_rule(
        session,
        producer=producer,
        subscription_id=subscription_id,
        alert=RULES[key],
        default_digest_time=default_digest_time,
    )
    return changed is not None


async def price_menu(session: AsyncSession, producer: Producer, parser: Parser) -> Screen | None:
    views = await view_alerts(session, producer, parser, _locale(producer))
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
    return f"PRICE {view_alert(subscription, parser, _locale(producer)).words}"
