"""Command + sender -> replies, in the reader's language, script and digits. Every channel
(SMS, Telegram, `mic ask`) comes through here; none of them decides what to answer."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.accounts import audit
from app.accounts.actor import Actor
from app.alerts.content import lead_offer
from app.alerts.templates import COMMODITY_VARIETY, name_in, render_lead
from app.alerts.triggers import Alerts
from app.catalogue.models import Market
from app.catalogue.service import country_today
from app.commands import replies
from app.commands.keywords import Intent
from app.commands.models import InboundMessage
from app.commands.own_alerts import describe_rule, example_alert, series_name, view_alerts
from app.commands.parse import Command, Parser
from app.core import clock
from app.core.config import Settings
from app.core.errors import AppError, InvalidInput
from app.core.i18n import ROMANISED, base_language
from app.leads import service as leads
from app.leads.models import BuyerLead, LeadCreate, LeadKind, LeadStatus
from app.prices.curation import report_price
from app.prices.duplicates import DuplicatePrice
from app.prices.models import PriceCreate, PriceObservation, PricePublic, PriceStatus, PriceType
from app.prices.reads import to_public
from app.prices.stale import FRESH_DAYS, is_old
from app.producers import self_service, subscriptions
from app.producers.addresses import country_of_phone, find_by_urn
from app.producers.models import Digits, Producer, ProducerRole, ProducerStatus, Rule, Subscription
from app.producers.subscriptions import AlertRule, Series
from app.text import sms
from app.text.formatting import Formatter, Reader, Script, present, reading_locale

Key = TypeVar("Key", int, str)  # catalogue ids, or country codes
NEAREST_MARKETS = 2  # offered when the asked market or country has no price
MAX_MESSAGES = 3
SMS_SEGMENTS = 2


@dataclass(frozen=True)
class Sender:
    urn: str  # tel:+959... or telegram:<chat id>
    channel: str  # sms or telegram: decides how replies are shaped
    locale: str | None = None  # forces the reply language (mic ask --locale)


class _Turn:
    """One inbound message being answered: who, in which language, for which channel."""

    def __init__(
        self,
        session: AsyncSession,
        parser: Parser,
        command: Command,
        sender: Sender,
        producer: Producer | None,
        settings: Settings,
    ) -> None:
        self.session, self.parser, self.command = session, parser, command
        self.sender, self.producer, self.settings = sender, producer, settings
        # Where the asker is: a producer's registered country, else the number's. A question
        # that names no market is answered for there, whoever asks.
        self.home = producer.country_code if producer else _country_of_urn(sender.urn)
        locale = sender.locale or (producer.locale if producer else command.locale)
        script = Script(producer.script) if producer else Reader().script
        self.reader = Reader(
            reading_locale(locale, script),
            script,
            native_digits=bool(producer and producer.digits is Digits.NATIVE),
            plain_sms=bool(producer and producer.plain_sms),
        )
        self.f = Formatter(self.reader.locale)
        self.splitting = sms.splitting_for(settings.sms_gateway)
        self.sms = sender.channel == "sms"

    def speak(self, locale: str, script: Script | None = None) -> None:
        """Answer in `locale` (and `script`) from here on (after JOIN, LANGUAGE or SCRIPT)."""
        script = self.reader.script if script is None else script
        self.reader = Reader(
            reading_locale(locale, script), script, self.reader.native_digits, self.reader.plain_sms
        )
        self.f = Formatter(self.reader.locale)

    def say(self, message: str, **values: Any) -> str:
        return self.f.t.gettext(message).format(**values)

    @property
    def actor(self) -> Actor:
        """The producer, acting for themselves: what they may do is decided here (a reporter
        reports in their own country), not by a staff token's scope."""
        assert self.producer is not None and self.producer.id is not None
        return Actor.producer(self.producer.id)

    def finish(self, texts: Sequence[str]) -> list[str]:
        """At most three messages, each within two SMS segments on SMS, most useful first."""
        return self._pack(texts)[0]

    def finish_list(self, items: Sequence[str], after: Sequence[str], more: str) -> list[str]:
        """finish() for a list that may be too long for SMS: as many `items` as fit, then
        `more` ("+{count} more") saying how many were left out, then all of `after` (how to
        act on the list), which is never the part dropped."""
        for shown in range(len(items), -1, -1):
            left = len(items) - shown
            texts = [*items[:shown], *([self.say(more, count=left)] if left else []), *after]
            messages, dropped = self._pack(texts)
            if not dropped:
                return messages
        return messages

    def _pack(self, texts: Sequence[str]) -> tuple[list[str], int]:
        """The messages finish() sends, and how many texts did not fit in them."""
        shown = [present(t, self.reader, sms=self.sms) for t in texts if t]
        if not self.sms:
            return (["\n".join(shown)] if shown else []), 0
        messages: list[str] = []
        dropped = 0
        for text in shown:
            joined = f"{messages[-1]}\n{text}" if messages else text
            if messages and sms.segments(joined, self.splitting) <= SMS_SEGMENTS:
                messages[-1] = joined
            elif len(messages) < MAX_MESSAGES:
                messages.append(text)
            else:
                dropped += 1
        return messages, dropped


def _country_of_urn(urn: str) -> str | None:
    scheme, _, address = urn.partition(":")
    return country_of_phone(address) if scheme == "tel" else None


async def handle_text(
    session: AsyncSession, *, parser: Parser, text: str, sender: Sender, settings: Settings
) -> list[str]:
    """Parse, answer, and record the exchange. Never raises for anything a user can type."""
    record = await answer_message(
        session, parser=parser, text=text, sender=sender, settings=settings
    )
    return record.replies


async def answer_message(
    session: AsyncSession,
    *,
    parser: Parser,
    text: str,
    sender: Sender,
    settings: Settings,
    record: InboundMessage | None = None,
) -> InboundMessage:
    """handle_text(), returning the recorded turn: its replies, the producer, the language.
    `record` is the message as stored when it arrived (SMS), else a new record is made.
    Whether the replies are sent is the transport's decision (rate limits). `settings` for the
    alerts a trusted reporter's price sends."""
    command = parser.parse(text)
    producer = await find_by_urn(session, sender.urn)
    turn = _Turn(session, parser, command, sender, producer, settings)
    answers = await _answer(turn)
    record = record or InboundMessage(urn=sender.urn, channel=sender.channel, text="")
    record.text = command.text[:1000]
    record.intent = command.intent.value
    record.locale = base_language(turn.reader.locale)  # the language, whatever its script
    record.producer_id = turn.producer.id if turn.producer else None
    record.replies = answers
    record.answered_at = clock.utcnow()
    session.add(record)
    await session.flush()
    return record


async def _answer(turn: _Turn) -> list[str]:
    command = turn.command
    if command.problem == "too_long":
        return turn.finish([turn.say(replies.TOO_LONG)])
    intent = command.intent
    if intent is Intent.PRICE:
        texts = await _price(turn)
        if turn.producer is None:
            texts.append(turn.say(replies.REGISTER_HINT))  # nobody is refused a price
        return turn.finish(texts)
    if intent is Intent.SUBSCRIBE:
        return turn.finish(await _subscribe(turn))
    if intent is Intent.UNSUBSCRIBE:
        if command.button_label and not turn.sms:
            return turn.finish(_confirm_stop(turn))  # the Cancel button's label, typed
        return turn.finish(await _unsubscribe(turn))
    if intent is Intent.MAYBE_STOP:
        return turn.finish(_confirm_stop(turn))
    if intent is Intent.REPORT:
        return turn.finish(await _report(turn))
    if intent in (Intent.SELL, Intent.BUY):
        return turn.finish(await _offer(turn))
    if intent is Intent.LEADS:
        return turn.finish(await _leads(turn))
    if intent is Intent.ALERTS:
        return await _alerts(turn)
    if intent is Intent.DAILY:
        return turn.finish(await _daily(turn))
    if intent is Intent.LANGUAGE:
        return turn.finish(await _language(turn))
    if intent is Intent.SCRIPT:
        return turn.finish(await _script(turn))
    if intent is Intent.HELP:
        return turn.finish([turn.say(replies.HELP)])
    return turn.finish([turn.say(replies.UNKNOWN)])


# --- prices -------------------------------------------------------------------------------------


def _names(turn: _Turn, column: str, ids: set[Key]) -> dict[Key, str]:
    found = turn.parser.display_names(column, ids)
    return {i: name_in(found[i], turn.f.locale) if found.get(i) else "" for i in ids}


# What makes one price series: a price is compared only with earlier prices of its series.
_SERIES = (
    PriceObservation.commodity_id,
    PriceObservation.variety_id,
    PriceObservation.market_id,
    PriceObservation.price_type,
    PriceObservation.unit_id,
    PriceObservation.currency,
)
SHOWN_SERIES = 6


@functools.cache
def _published_statement(
    commodity: bool, variety: bool, markets: bool, country: bool
) -> SelectOfScalar[PriceObservation]:
    """The query of _published() for one shape of question, built once: building it is most of
    its cost, and there are only sixteen shapes. The values are bound at each execution."""
    wanted: list[Any] = [PriceObservation.status == PriceStatus.PUBLISHED]
    if commodity:
        wanted.append(PriceObservation.commodity_id == sa.bindparam("commodity_id"))
    if variety:
        wanted.append(PriceObservation.variety_id == sa.bindparam("variety_id"))
    if markets:
        wanted.append(col(PriceObservation.market_id).in_(sa.bindparam("markets", expanding=True)))
    if country:
        wanted.append(PriceObservation.country_code == sa.bindparam("country"))
    newest_first = (col(PriceObservation.observed_on).desc(), col(PriceObservation.id).desc())
    ranked = (
        select(
            col(PriceObservation.id).label("id"),
            sa.func.row_number()
            .over(partition_by=[col(c) for c in _SERIES], order_by=newest_first)
            .label("rank"),
        )
        .where(*wanted)
        .subquery()
    )
    return (
        select(PriceObservation)
        .join(ranked, ranked.c.id == PriceObservation.id)
        .where(ranked.c.rank <= 2)
        .order_by(*newest_first)
    )


async def _published(turn: _Turn, *, country: str | None) -> Sequence[PriceObservation]:
    """The newest two published prices of every series matching the question, in `country` if
    given: one query, however long their history."""
    c = turn.command
    statement = _published_statement(
        bool(c.commodity_id), bool(c.variety_id), bool(c.market_id), country is not None
    )
    values = {
        "commodity_id": c.commodity_id,
        "variety_id": c.variety_id,
        "markets": [c.market_id, *c.extra_markets],
        "country": country,
    }
    return (await turn.session.exec(statement, params=values)).all()


def _nearest(turn: _Turn, rows: Sequence[PriceObservation], home: str) -> list[PriceObservation]:
    """The prices of the markets nearest to the home country's markets (newest first among
    equally near ones, e.g. when coordinates are missing)."""
    markets = turn.parser.index.market_by_id
    at_home = [m for m in markets.values() if m.country_code == home]

    def distance(market_id: int) -> float:
        there = markets[market_id]
        return min((_distance_km(here, there) for here in at_home), default=math.inf)

    nearest = sorted(dict.fromkeys(p.market_id for p in rows), key=distance)[:NEAREST_MARKETS]
    return [p for p in rows if p.market_id in nearest]


async def _price(turn: _Turn) -> list[str]:
    c, session = turn.command, turn.session
    index = turn.parser.index
    # A named market or variety is answered wherever it is; otherwise the asker's country
    # first, and when it has no price, the nearest markets that have one.
    home = None if c.market_id or c.variety_id else turn.home
    rows = await _published(turn, country=home)
    texts: list[str] = []
    if home is not None and not rows:
        rows = _nearest(turn, await _published(turn, country=None), home)
        if rows:
            country = _names(turn, "country_code", {home})[home]
            if c.commodity_id:
                commodity = _names(turn, "commodity_id", {c.commodity_id})[c.commodity_id]
                texts.append(turn.say(replies.NO_PRICE_IN, commodity=commodity, country=country))
            else:
                texts.append(turn.say(replies.NO_PRICES_IN, country=country))
    series: dict[tuple[Any, ...], list[PriceObservation]] = {}
    for p in rows:
        key = (p.commodity_id, p.variety_id, p.market_id, p.price_type, p.unit_id, p.currency)
        if key in series or len(series) < SHOWN_SERIES:  # the most recently priced first
            series.setdefault(key, []).append(p)
    if not series:
        return await _no_price(turn)
    shown = {
        p.id: p
        for p in await to_public(session, [p for s in series.values() for p in s], index=index)
    }
    market_ids = {k[2] for k in series}
    names = {
        "commodity": _names(turn, "commodity_id", {k[0] for k in series}),
        "variety": _names(turn, "variety_id", {k[1] for k in series if k[1]}),
        "market": _names(turn, "market_id", market_ids),
        "unit": _names(turn, "unit_id", {k[4] for k in series}),
    }
    abroad = {
        m: index.market_by_id[m].country_code
        for m in market_ids
        if turn.home is not None and index.market_by_id[m].country_code != turn.home
    }
    countries = _names(turn, "country_code", set(abroad.values()))
    for m, code in abroad.items():  # a market in another country is named with its country
        names["market"][m] = turn.say(
            replies.MARKET_IN, market=names["market"][m], country=countries[code]
        )
    for key, pair in series.items():
        latest = shown[pair[0].id or 0]
        previous = shown[pair[1].id or 0] if len(pair) > 1 else None
        texts.append(
            _price_line(turn, key, latest, previous, names, index.currency_of_country, index)
        )
    return texts


def _price_line(
    turn: _Turn,
    key: tuple[Any, ...],
    latest: PricePublic,
    previous: PricePublic | None,
    names: dict[str, dict[int, str]],
    countries: dict[str, str],
    index: Any,
) -> str:
    f = turn.f
    commodity = names["commodity"][key[0]]
    if key[1]:
        commodity = turn.say(
            COMMODITY_VARIETY, commodity=commodity, variety=names["variety"][key[1]]
        )
    parts = [
        turn.say(
            replies.PRICE_LINE,
            commodity=commodity,
            market=names["market"][key[2]],
            price=f.price(latest.price, latest.currency, names["unit"][key[4]]),
        )
    ]
    eq = latest.equivalents
    local = countries.get(latest.country)
    if local and latest.currency != local and eq.local_per_kg is not None and eq.fx_date:
        rate = eq.local / latest.price if eq.local is not None and latest.price else None
        parts.append(
            turn.say(
                replies.LOCAL_EQUIVALENT,
                price=f.money(eq.local_per_kg, local),
                rate=f.number(rate, decimals=2) if rate else "?",
                date=f.date(eq.fx_date),
            )
        )
    elif latest.unit != "kg" and eq.per_kg is not None:
        parts.append(turn.say(replies.PER_KG, price=f.money(eq.per_kg, latest.currency)))
    if previous is not None and previous.price:
        change = (latest.price - previous.price) / previous.price * 100
        parts.append(f.change(change))
    source = turn.say(replies.REPORTER) if latest.source in ("sms", "telegram") else "MIC"
    stale = is_old(latest.observed_on, index.market_by_id[key[2]].timezone)
    as_of = turn.say(replies.AS_OF, date=f.date(latest.observed_on), source=source)
    if stale:
        as_of = f"{as_of} ({turn.say(replies.STALE)})"
    return " ".join(parts) + "; " + as_of


async def _no_price(turn: _Turn) -> list[str]:
    c = turn.command
    index = turn.parser.index
    commodity_id = c.commodity_id
    if commodity_id is None:
        if c.market_id is None:
            return [turn.say(replies.UNKNOWN)]
        market = (_names(turn, "market_id", {c.market_id}))[c.market_id]
        return [turn.say(replies.NO_PRICE_MARKET, market=market)]
    commodity = (_names(turn, "commodity_id", {commodity_id}))[commodity_id]
    if c.market_id is None:
        return [turn.say(replies.NO_PRICE, commodity=commodity)]
    asked = index.market_by_id[c.market_id]
    market = (_names(turn, "market_id", {c.market_id}))[c.market_id]
    texts = [turn.say(replies.NO_PRICE_AT, commodity=commodity, market=market)]
    since = clock.today(asked.timezone) - dt.timedelta(days=FRESH_DAYS)
    with_price = set(
        (
            await turn.session.exec(
                select(PriceObservation.market_id).where(
                    PriceObservation.commodity_id == commodity_id,
                    PriceObservation.status == PriceStatus.PUBLISHED,
                    col(PriceObservation.observed_on) >= since,
                )
            )
        ).all()
    )
    nearest = sorted(
        (index.market_by_id[m] for m in with_price if m != c.market_id),
        key=lambda m: _distance_km(asked, m),
    )[:NEAREST_MARKETS]
    if nearest:
        labels = _names(turn, "market_id", {m.id for m in nearest if m.id})
        texts.append(
            turn.say(replies.NEAREST, markets=", ".join(labels[m.id] for m in nearest if m.id))
        )
    return texts


def _distance_km(a: Market, b: Market) -> float:
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return math.inf
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))  # type: ignore[arg-type]
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 12742 * math.asin(math.sqrt(h))


# --- subscriptions ------------------------------------------------------------------------------


def _series(turn: _Turn) -> Series:
    c = turn.command
    assert c.commodity_id is not None
    return Series(c.commodity_id, c.variety_id, c.market_id)


def _what(turn: _Turn) -> str:
    """ "Mango Muse": what a subscription, stop or report is about, in the reader's words."""
    return series_name(turn.parser, _series(turn), turn.f.locale)


async def _subscribe(turn: _Turn) -> list[str]:
    c, texts = turn.command, []
    if turn.producer is None:
        turn.producer = await self_service.register_from_message(
            turn.session,
            urn=turn.sender.urn,
            channel=turn.sender.channel,
            # "JOIN" is the same word everywhere: only a message in a local language says more
            # than the number's prefix does.
            locale=turn.sender.locale or (c.locale if c.locale != "en" else None),
        )
        if turn.producer is None:
            return [turn.say(replies.REGISTER_HINT)]
        turn.speak(turn.sender.locale or turn.producer.locale)
        texts.append(turn.say(replies.WELCOME))
    elif turn.producer.status is ProducerStatus.STOPPED or turn.producer.consent_at is None:
        await self_service.consent_from_message(
            turn.session, producer=turn.producer, channel=turn.sender.channel
        )
        texts.append(turn.say(replies.WELCOME))
    if c.commodity_id is None:
        return [*texts, turn.say(replies.NEED_COMMODITY)]
    what = _what(turn)
    # How to end this one alert: a bare STOP would end every message.
    stop = f"STOP {what}"
    alert: AlertRule | None = None  # no rule word: an alert they have keeps its rule
    if c.percent is not None and c.percent > 0:
        alert = AlertRule(Rule.CHANGE_PCT, c.percent)
    elif c.threshold and c.amount is not None and c.amount > 0:
        alert = AlertRule(Rule.ABOVE if c.threshold == "above" else Rule.BELOW, c.amount)
    elif c.daily:
        alert = await subscriptions.at_usual_time(
            turn.session,
            turn.producer,
            AlertRule(Rule.DIGEST, digest_time=c.time),
            default=turn.settings.digest_time,
        )
    try:
        async with turn.session.begin_nested():
            subscription = await subscriptions.change_rule(
                turn.session, producer=turn.producer, series=_series(turn), alert=alert
            )
    except InvalidInput:  # a threshold no price can reach
        return [*texts, turn.say(replies.ALERT_HOW)]
    return [
        *texts,
        turn.say(replies.SUBSCRIBED, what=_alert_set(turn, what, subscription), stop=stop),
    ]


def _alert_set(turn: _Turn, what: str, subscription: Subscription) -> str:
    """ "Mango Muse ±10%": the series and the rule the alert now fires by, said after a change
    and after a JOIN that kept the rule they had."""
    rule, threshold = subscription.rule, subscription.threshold
    if rule is Rule.CHANGE_PCT and threshold is not None:
        return f"{what} ±{turn.f.number(threshold)}%"
    if rule in (Rule.ABOVE, Rule.BELOW) and threshold is not None:
        return f"{what} {'>' if rule is Rule.ABOVE else '<'} {turn.f.number(threshold)}"
    if rule is Rule.DIGEST:
        return f"{what}, {describe_rule(AlertRule.of(subscription), turn.f)}"
    return what


def _confirm_stop(turn: _Turn) -> list[str]:
    """A message that may mean "stop" changes nothing: the producer is asked, and a plain STOP
    (which stops at once) is the answer that confirms."""
    if turn.producer is None or turn.producer.status is ProducerStatus.STOPPED:
        return [turn.say(replies.UNKNOWN)]  # nothing to stop
    return [turn.say(replies.CONFIRM_STOP)]


async def _unsubscribe(turn: _Turn) -> list[str]:
    c = turn.command
    if turn.producer is None:
        return [turn.say(replies.STOPPED_ALL)]  # nothing to stop; say so the way a carrier expects
    if turn.producer.status is ProducerStatus.STOPPED and c.commodity_id is None:
        return []  # confirmed once already: a second STOP (or a looping phone) gets silence
    if c.commodity_id is None:
        await self_service.opt_out(
            turn.session, producer=turn.producer, channel=turn.sender.channel
        )
        return [turn.say(replies.STOPPED_ALL)]
    ended = await subscriptions.end_alerts(
        turn.session, producer=turn.producer, series=_series(turn)
    )
    what = _what(turn)
    return [turn.say(replies.STOPPED_ONE if ended else replies.NO_SUCH_ALERT, what=what)]


async def _alerts(turn: _Turn) -> list[str]:
    """ALERTS: each alert and when it fires, then how to change or end one. Alerts that do not
    fit in the SMS replies are counted ("+3 more"), so the list never ends silently and the
    hint always comes."""
    if turn.producer is None:
        return turn.finish([turn.say(replies.REGISTER_HINT)])
    views = await view_alerts(turn.session, turn.producer, turn.parser, turn.f.locale)
    if not views:
        return turn.finish([turn.say(replies.NO_ALERTS)])
    lines = [turn.say(replies.ALERT_LINE, what=v.what, when=v.when) for v in views]
    hint = turn.say(replies.ALERTS_HOW, example=example_alert(views).words.upper())
    return turn.finish_list(lines, [hint], replies.MORE_ALERTS)


async def _daily(turn: _Turn) -> list[str]:
    """DAILY 18:00: every daily summary of the producer's comes at that time from now on."""
    if turn.producer is None:
        return [turn.say(replies.REGISTER_HINT)]
    time = turn.command.time
    if time is None:
        return [turn.say(replies.DAILY_HOW)]
    moved = await subscriptions.set_digest_time(
        turn.session, producer=turn.producer, digest_time=time
    )
    return [turn.say(replies.DAILY_SET if moved else replies.NO_DAILY, time=time)]


# --- field reports and offers -------------------------------------------------------------------


async def _report(turn: _Turn) -> list[str]:
    c, producer = turn.command, turn.producer
    if producer is None or not self_service.may_report(producer):
        return [turn.say(replies.REPORT_NOT_ALLOWED)]
    if None in (c.commodity_id, c.market_id, c.amount, c.currency, c.unit_id) or c.problem:
        return [turn.say(replies.REPORT_HOW)]
    index = turn.parser.index
    market = index.market_by_id[c.market_id]  # type: ignore[index]
    if market.country_code != producer.country_code:
        return [turn.say(replies.OTHER_COUNTRY)]
    trusted = ProducerRole.TRUSTED_REPORTER in producer.roles
    published = trusted
    # A market's kind names the price taken there: border at Muse, farmgate at Phnom Srok.
    kind = PriceType(market.kind.value)
    try:
        data = PriceCreate(
            commodity=index.commodity_by_id[c.commodity_id].slug,  # type: ignore[index]
            variety=index.variety_by_id[c.variety_id].slug if c.variety_id else None,
            market=market.slug,
            price=c.amount,
            currency=c.currency or "",
            unit=index.unit_by_id[c.unit_id].code,  # type: ignore[index]
            price_type=kind,
            observed_on=clock.today(market.timezone),  # the market's day, not the server's
            publish=trusted,
        )
        async with turn.session.begin_nested():
            await report_price(
                turn.session,
                data=data,
                reporter=turn.actor,
                alerts=Alerts(turn.settings),
                source=turn.sender.channel,
                index=index,
            )
    except DuplicatePrice as exc:
        # The same report sent again (a resend after no reply): it is already recorded, so the
        # reporter hears where it stands rather than that it was refused.
        if exc.existing_status is PriceStatus.REJECTED:
            return [turn.say(replies.REPORT_REFUSED)]
        published = exc.existing_status is PriceStatus.PUBLISHED
    except (AppError, ValueError):
        return [turn.say(replies.REPORT_REFUSED)]
    assert c.unit_id is not None and c.amount is not None and c.currency is not None
    unit = (_names(turn, "unit_id", {c.unit_id}))[c.unit_id]
    what = f"{_what(turn)} {turn.f.price(c.amount, c.currency, unit)}"
    return [turn.say(replies.REPORT_PUBLISHED if published else replies.REPORT_PENDING, what=what)]


async def _offer(turn: _Turn) -> list[str]:
    c, producer = turn.command, turn.producer
    if producer is None:
        return [turn.say(replies.REGISTER_HINT)]
    if c.commodity_id is None or c.quantity is None or c.quantity_unit_id is None:
        return [turn.say(replies.OFFER_HOW)]
    index = turn.parser.index
    contact = (
        turn.sender.urn.split(":", 1)[1] if turn.sender.urn.startswith("tel:") else turn.sender.urn
    )
    try:
        data = LeadCreate(
            kind=LeadKind.SELL if c.intent is Intent.SELL else LeadKind.BUY,
            commodity=index.commodity_by_id[c.commodity_id].slug,
            variety=index.variety_by_id[c.variety_id].slug if c.variety_id else None,
            quantity=c.quantity,
            unit=index.unit_by_id[c.quantity_unit_id].code,
            price=c.amount if c.currency else None,
            currency=c.currency,
            negotiable=c.amount is None or c.currency is None,
            buyer_name=producer.name,
            contact=contact,
            country=producer.country_code,
        )
        async with turn.session.begin_nested():
            await leads.offer_lead(turn.session, data=data, actor=turn.actor)
    except (AppError, ValueError):
        return [turn.say(replies.OFFER_HOW)]
    return [turn.say(replies.OFFER_RECEIVED, what=_what(turn))]


async def _leads(turn: _Turn) -> list[str]:
    producer = turn.producer
    if producer is None:
        return [turn.say(replies.REGISTER_HINT)]
    followed = set(
        (
            await turn.session.exec(
                select(Subscription.commodity_id).where(Subscription.producer_id == producer.id)
            )
        ).all()
    )
    query = select(BuyerLead).where(
        BuyerLead.country_code == producer.country_code,
        BuyerLead.status == LeadStatus.VERIFIED,
        col(BuyerLead.expires_on) >= await country_today(turn.session, producer.country_code),
    )
    if followed:
        query = query.where(col(BuyerLead.commodity_id).in_(followed))
    rows = (await turn.session.exec(query.order_by(col(BuyerLead.id).desc()).limit(3))).all()
    if not rows:
        return [turn.say(replies.NO_LEADS)]
    commodities = turn.parser.display_names("commodity_id", {x.commodity_id for x in rows})
    units = turn.parser.display_names("unit_id", {x.unit_id for x in rows})
    texts = [
        render_lead(
            lead_offer(lead, commodities[lead.commodity_id], units[lead.unit_id]), turn.f.locale
        )
        for lead in rows
    ]
    return texts


async def _language(turn: _Turn) -> list[str]:
    language = turn.command.language
    if language is None:
        return [turn.say(replies.LANGUAGE_HOW)]
    if turn.producer is not None:
        before = turn.producer.locale
        turn.producer.locale = language
        turn.producer.updated_at = clock.utcnow()
        await audit.save(
            turn.session,
            turn.producer,
            actor=turn.actor,
            action="producer.language",
            entity="producer",
            country=turn.producer.country_code,
            before={"locale": before},
        )
    turn.speak(language)
    return [turn.say(replies.LANGUAGE_SET)]


async def _script(turn: _Turn) -> list[str]:
    """SCRIPT LATIN, SCRIPT NATIVE, SCRIPT KHMER (a language name means its own script)."""
    command = turn.command
    if command.script is not None:
        wanted = Script(command.script)
    elif command.language is not None:
        wanted = Script.UNICODE
    else:
        return [turn.say(replies.SCRIPT_HOW)]
    if turn.producer is None:
        return [turn.say(replies.REGISTER_HINT)]
    producer = turn.producer
    if (wanted is Script.LATIN and producer.locale not in ROMANISED) or (
        wanted is Script.ZAWGYI and producer.locale != "my"
    ):
        return [turn.say(replies.SCRIPT_UNAVAILABLE)]
    before = Script(producer.script)
    if wanted is not before:
        producer.script = wanted
        producer.updated_at = clock.utcnow()
        await audit.save(
            turn.session,
            producer,
            actor=turn.actor,
            action="producer.script",
            entity="producer",
            country=producer.country_code,
            before={"script": before.value},
        )
    turn.speak(producer.locale, wanted)
    return [turn.say(replies.SCRIPT_SET)]
