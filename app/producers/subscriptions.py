"""A producer's subscriptions (their alerts): added and removed by staff through the API, and
changed by the producer themselves by SMS words or Telegram buttons.

Both ways share the rules: which rules need which settings, and which subscriptions are the
same. Staff may hold several rules on one series for a producer (above 13 000 and below 9 000);
a producer speaking for themselves has one alert per series, and naming a new rule for it
changes that alert rather than adding a second one that would fire alongside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.accounts.service import Staff
from app.catalogue.service import load_index
from app.core.amounts import check_amount
from app.core.errors import Conflict, InvalidInput, NotFound
from app.producers.models import (
    Producer,
    ProducerStatus,
    Rule,
    Subscription,
    SubscriptionCreate,
)
from app.producers.service import get_producer


@dataclass(frozen=True)
class Series:
    """What an alert follows: a product, optionally one variety and one market."""

    commodity_id: int
    variety_id: int | None = None
    market_id: int | None = None

    @classmethod
    def of(cls, subscription: Subscription) -> Series:
        return cls(subscription.commodity_id, subscription.variety_id, subscription.market_id)

    def covers(self, other: Series) -> bool:
        """Whether the words naming this series (STOP MANGO) also name `other` (mango at Muse):
        a variety or market left out means any."""
        return (
            self.commodity_id == other.commodity_id
            and self.variety_id in (None, other.variety_id)
            and self.market_id in (None, other.market_id)
        )


@dataclass(frozen=True)
class AlertRule:
    """When an alert fires: every new price, a move of `threshold` %, crossing `threshold`, or
    a daily summary at `digest_time` (local HH:MM; a producer who names none gets their usual
    time, at_usual_time)."""

    rule: Rule = Rule.EVERY
    threshold: Decimal | None = None
    digest_time: str | None = None

    @classmethod
    def of(cls, subscription: Subscription) -> AlertRule:
        return cls(subscription.rule, subscription.threshold, subscription.digest_time)


def check_rule(alert: AlertRule) -> None:
    if alert.rule in (Rule.CHANGE_PCT, Rule.ABOVE, Rule.BELOW):
        if alert.threshold is None:
            raise InvalidInput(f"rule {alert.rule} needs a positive threshold")
        check_amount("threshold", alert.threshold)
    elif alert.threshold is not None:
        raise InvalidInput(f"rule {alert.rule} takes no threshold")
    if alert.rule is Rule.DIGEST and alert.digest_time is None:
        raise InvalidInput("rule digest needs digest_time (HH:MM, the producer's local time)")


async def _same_series(
    session: AsyncSession, producer_id: int, series: Series, rule: Rule | None = None
) -> Sequence[Subscription]:
    """The one definition of "the same subscription": same producer and series, and the same
    rule when one is given. Oldest first."""
    query = select(Subscription).where(
        Subscription.producer_id == producer_id,
        Subscription.commodity_id == series.commodity_id,
        Subscription.variety_id == series.variety_id,
        Subscription.market_id == series.market_id,
    )
    if rule is not None:
        query = query.where(Subscription.rule == rule)
    return (await session.exec(query.order_by(col(Subscription.id)))).all()


def _consented(producer: Producer) -> bool:
    return producer.status is not ProducerStatus.STOPPED and producer.consent_at is not None


def _require_consent(producer: Producer) -> None:
    if producer.status is ProducerStatus.STOPPED:
        raise Conflict(
            f"producer {producer.id} opted out on {producer.stopped_at:%Y-%m-%d}; record a new "
            "consent (POST /producers/{id}/consent) before subscribing them again"
        )
    if producer.consent_at is None:
        raise Conflict(
            f"producer {producer.id} has not consented to messages; record consent first"
        )


# --- staff, through the API ---------------------------------------------------------------------


async def add_subscription(
    session: AsyncSession, *, producer_id: int, staff: Staff, data: SubscriptionCreate
) -> Subscription:
    staff.require_writer()
    producer = await get_producer(session, producer_id=producer_id, staff=staff)
    _require_consent(producer)
    alert = AlertRule(data.rule, data.threshold, data.digest_time)
    check_rule(alert)
    index = await load_index(session)
    commodity = index.commodity(data.commodity)
    variety = index.variety(commodity, data.variety) if data.variety else None
    market = index.market(data.market) if data.market else None
    assert commodity.id is not None
    series = Series(commodity.id, variety.id if variety else None, market.id if market else None)
    duplicate = await _same_series(session, producer_id, series, data.rule)
    if duplicate:
        raise Conflict(f"producer {producer_id} already has this subscription ({duplicate[0].id})")
    subscription = _new(producer_id, series, alert, leads=data.leads)
    await audit.save(
        session,
        subscription,
        actor=staff,
        action="subscription.create",
        entity="subscription",
        country=producer.country_code,
    )
    return subscription


async def remove_subscription(
    session: AsyncSession, *, producer_id: int, subscription_id: int, staff: Staff
) -> None:
    staff.require_writer()
    producer = await get_producer(session, producer_id=producer_id, staff=staff)
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None or subscription.producer_id != producer_id:
        raise NotFound(f"producer {producer_id} has no subscription {subscription_id}")
    await _delete(session, producer, subscription, actor=staff.actor, action="subscription.delete")


def _new(producer_id: int, series: Series, alert: AlertRule, *, leads: bool) -> Subscription:
    return Subscription(
        producer_id=producer_id,
        commodity_id=series.commodity_id,
        variety_id=series.variety_id,
        market_id=series.market_id,
        rule=alert.rule,
        threshold=alert.threshold,
        digest_time=alert.digest_time,
        leads=leads,
    )


async def _delete(
    session: AsyncSession,
    producer: Producer,
    subscription: Subscription,
    *,
    actor: Actor,
    action: str,
) -> None:
    before = audit.snapshot(subscription)
    await session.delete(subscription)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="subscription",
        entity_id=subscription.id or 0,
        country=producer.country_code,
        before=before,
    )


# --- the producer, for themselves (SMS words, Telegram buttons) ---------------------------------


async def list_alerts(session: AsyncSession, producer: Producer) -> list[Subscription]:
    """The producer's alerts, oldest first: the order they are listed and numbered in."""
    assert producer.id is not None
    query = (
        select(Subscription)
        .where(Subscription.producer_id == producer.id)
        .order_by(col(Subscription.id))
    )
    return list((await session.exec(query)).all())


async def own_alert(
    session: AsyncSession, producer: Producer, subscription_id: int
) -> Subscription | None:
    """One of the producer's alerts by id; None for anyone else's (a button from another chat)."""
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None or subscription.producer_id != producer.id:
        return None
    return subscription


async def change_rule(
    session: AsyncSession, *, producer: Producer, series: Series, alert: AlertRule | None
) -> Subscription:
    """The producer's alert on `series`, firing by `alert` from now on: created when they had
    none, changed when they had one (extra ones staff added for that series are ended, so that
    exactly the rule the producer chose fires). A daily summary names its time (at_usual_time).

    `alert` None is a follow without a rule word (JOIN MANGO MUSE, "Alert me"): an alert they
    already have keeps its rule, so a producer who stops and joins again, or taps "Alert me"
    under a price they get daily, keeps what they chose; a new one fires on every price."""
    assert producer.id is not None
    _require_consent(producer)
    existing = list(await _same_series(session, producer.id, series))
    if alert is None:
        if existing:
            return existing[0]
        alert = AlertRule()
    check_rule(alert)
    actor = Actor.producer(producer.id)
    for extra in existing[1:]:
        await _delete(session, producer, extra, actor=actor, action="subscription.stop")
    subscription = existing[0] if existing else _new(producer.id, series, alert, leads=False)
    before = audit.snapshot(subscription) if existing else None
    subscription.rule = alert.rule
    subscription.threshold = alert.threshold
    subscription.digest_time = alert.digest_time
    await audit.save(
        session,
        subscription,
        actor=actor,
        action="subscription.self",
        entity="subscription",
        country=producer.country_code,
        before=before,
    )
    return subscription


async def at_usual_time(
    session: AsyncSession, producer: Producer, alert: AlertRule, *, default: str
) -> AlertRule:
    """`alert`, and when it is a daily summary the producer gave no time for (ALERT MANGO
    DAILY, the Daily button), at their usual time (usual_digest_time)."""
    if alert.rule is not Rule.DIGEST or alert.digest_time is not None:
        return alert
    usual = await usual_digest_time(session, producer, default=default)
    return AlertRule(Rule.DIGEST, None, usual)


async def change_own_rule(
    session: AsyncSession,
    *,
    producer: Producer,
    subscription_id: int,
    alert: AlertRule,
    default_digest_time: str,
) -> Subscription | None:
    """change_rule() for the series of one of the producer's alerts, picked by id (a button).
    None, changing nothing, when the alert is not theirs (a stale or forged button) or they have
    stopped since it was shown: checked before anything is written, so the caller's transaction
    needs no savepoint."""
    subscription = await own_alert(session, producer, subscription_id)
    if subscription is None or not _consented(producer):
        return None
    alert = await at_usual_time(session, producer, alert, default=default_digest_time)
    return await change_rule(
        session, producer=producer, series=Series.of(subscription), alert=alert
    )


async def usual_digest_time(session: AsyncSession, producer: Producer, *, default: str) -> str:
    """When the producer's daily summaries come: the earliest of their summaries' times, the
    time app.alerts' fan-out sends a price followed by several summaries at; `default` (the
    service's MIC_DIGEST_TIME) when they have none."""
    times = [
        s.digest_time
        for s in await list_alerts(session, producer)
        if s.rule is Rule.DIGEST and s.digest_time
    ]
    return min(times, default=default)


async def remove_alert(session: AsyncSession, *, producer: Producer, subscription_id: int) -> bool:
    """End one alert of the producer's; False when it is not theirs (or already gone)."""
    subscription = await own_alert(session, producer, subscription_id)
    if subscription is None or producer.id is None:
        return False
    await _delete(
        session,
        producer,
        subscription,
        actor=Actor.producer(producer.id),
        action="subscription.stop",
    )
    return True


async def end_alerts(session: AsyncSession, *, producer: Producer, series: Series) -> int:
    """STOP MANGO ends every mango alert, STOP MANGO MUSE only those at Muse (Series.covers).
    Returns how many ended."""
    assert producer.id is not None
    ended = [s for s in await list_alerts(session, producer) if series.covers(Series.of(s))]
    for row in ended:
        await _delete(
            session, producer, row, actor=Actor.producer(producer.id), action="subscription.stop"
        )
    return len(ended)


async def set_digest_time(session: AsyncSession, *, producer: Producer, digest_time: str) -> int:
    """Move all the producer's daily summaries to `digest_time` (local HH:MM). Returns how many
    summaries they have (0: nothing to move)."""
    assert producer.id is not None
    digests = [s for s in await list_alerts(session, producer) if s.rule is Rule.DIGEST]
    for subscription in digests:
        if subscription.digest_time == digest_time:
            continue
        before = audit.snapshot(subscription)
        subscription.digest_time = digest_time
        await audit.save(
            session,
            subscription,
            actor=Actor.producer(producer.id),
            action="subscription.self",
            entity="subscription",
            country=producer.country_code,
            before=before,
        )
    return len(digests)
