"""Fan-out: a published price, a verified lead or a sent notice becomes one Broadcast and one
Delivery per recipient and channel.

The recipients are never loaded into Python: one SELECT DISTINCT finds the few ways they read
(locale, script, digits, plain SMS), each text is rendered once, and a single INSERT ... SELECT
writes every delivery with its channel, quiet-hours deferral, daily-cap merge, segments and cost
computed by the database, from the rules of app.alerts.delivery. Local-time facts (is it quiet
now in Yangon for 21:00-06:00? when does the local day start?) are computed here for each
distinct (country, setting) and joined in as small VALUES tables.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts import delivery
from app.alerts.content import (
    Payload,
    Variant,
    lead_payload,
    notice_payload,
    notice_wanted_locale,
    price_payload,
    render,
)
from app.alerts.delivery import Due
from app.alerts.models import (
    Broadcast,
    BroadcastKind,
    ChannelName,
    PreviewOut,
    VariantPreview,
)
from app.alerts.tables import (
    ADDRESS,
    BROADCAST_TEXT,
    COMMODITY,
    COUNTRY,
    DELIVERY,
    MARKET,
    PRODUCER,
    SUBSCRIPTION,
)
from app.alerts.texts import text_row
from app.core import clock
from app.core.config import Settings
from app.core.db import UTCDateTime, run_core
from app.leads.models import BuyerLead
from app.notices.models import Notice
from app.prices.models import PriceObservation
from app.producers.models import ProducerStatus, Rule
from app.text.formatting import Script
from app.text.sms import splitting_for


@dataclass
class Audience:
    """Who a broadcast goes to: `recipients` selects (producer_id, immediate, digest_time)."""

    kind: BroadcastKind
    key: str
    countries: list[str]
    payload: Payload
    recipients: sa.Subquery
    urgent: bool = False
    capped: bool = False  # price alerts: count towards the daily cap, merged beyond it
    refs: dict[str, int] = field(default_factory=dict)
    # Cheaper forms for the facts query: the recipients' ids (repeats allowed, no grouping)
    # and the digest times their subscriptions chose.
    members: Any = None
    digest_times: Any = None


# --- audiences ----------------------------------------------------------------------------------


def _no_digest() -> sa.ColumnElement[Any]:
    return sa.cast(sa.null(), sa.String).label("digest_time")


async def price_audience(session: AsyncSession, price: PriceObservation) -> Audience:
    assert price.id is not None
    payload = await price_payload(session, price)
    value = Decimal(price.price)
    previous = None if payload["previous"] is None else Decimal(payload["previous"])
    rule, threshold = SUBSCRIPTION.c.rule, SUBSCRIPTION.c.threshold
    fires = [rule == Rule.EVERY, rule == Rule.DIGEST]
    if previous is None:
        fires += [
            sa.and_(rule == Rule.ABOVE, threshold <= value),
            sa.and_(rule == Rule.BELOW, threshold >= value),
        ]
    else:
        # A threshold fires when the price crosses it, not on every price beyond it.
        fires += [
            sa.and_(rule == Rule.ABOVE, threshold <= value, threshold > previous),
            sa.and_(rule == Rule.BELOW, threshold >= value, threshold < previous),
        ]
        if previous:
            moved = abs(value - previous) / previous * 100
            fires.append(sa.and_(rule == Rule.CHANGE_PCT, threshold <= moved))
    matching = (
        SUBSCRIPTION.c.commodity_id == price.commodity_id,
        sa.or_(SUBSCRIPTION.c.variety_id.is_(None), SUBSCRIPTION.c.variety_id == price.variety_id),
        sa.or_(SUBSCRIPTION.c.market_id.is_(None), SUBSCRIPTION.c.market_id == price.market_id),
        sa.or_(*fires),
    )
    recipients = (
        sa.select(
            SUBSCRIPTION.c.producer_id.label("producer_id"),
            sa.func.max(sa.case((rule != Rule.DIGEST, 1), else_=0)).label("immediate"),
            sa.func.min(
                sa.case((rule == Rule.DIGEST, SUBSCRIPTION.c.digest_time), else_=None)
            ).label("digest_time"),
        )
        .where(*matching)
        .group_by(SUBSCRIPTION.c.producer_id)
        .subquery("recipients")
    )
    return Audience(
        kind=BroadcastKind.PRICE,
        key=f"price:{price.id}",
        countries=[price.country_code],
        payload=payload,
        recipients=recipients,
        capped=True,
        refs={"price_id": price.id},
        members=sa.select(SUBSCRIPTION.c.producer_id).where(*matching),
        digest_times=sa.select(SUBSCRIPTION.c.digest_time)
        .where(*matching, rule == Rule.DIGEST)
        .distinct(),
    )


async def lead_audience(session: AsyncSession, lead: BuyerLead) -> Audience:
    assert lead.id is not None
    recipients = (
        sa.select(SUBSCRIPTION.c.producer_id.label("producer_id"), sa.literal(1).label("immediate"))
        .add_columns(_no_digest())
        .join(PRODUCER, PRODUCER.c.id == SUBSCRIPTION.c.producer_id)
        .where(
            SUBSCRIPTION.c.commodity_id == lead.commodity_id,
            SUBSCRIPTION.c.leads,
            PRODUCER.c.country_code == lead.country_code,
        )
        .distinct()
        .subquery("recipients")
    )
    return Audience(
        kind=BroadcastKind.LEAD,
        key=f"lead:{lead.id}",
        countries=[lead.country_code],
        payload=await lead_payload(session, lead),
        recipients=recipients,
        refs={"lead_id": lead.id},
    )


async def notice_audience(session: AsyncSession, notice: Notice) -> Audience:
    """The notice's segment: its countries, narrowed to followers of its commodities/markets.
    A notice not yet saved (being written) can be previewed, never fanned out (no key)."""
    query = sa.select(
        PRODUCER.c.id.label("producer_id"), sa.literal(1).label("immediate")
    ).add_columns(_no_digest())
    query = query.where(PRODUCER.c.country_code.in_(notice.countries))
    if notice.commodities:
        ids = sa.select(COMMODITY.c.id).where(COMMODITY.c.slug.in_(notice.commodities))
        query = query.where(
            sa.exists().where(
                SUBSCRIPTION.c.producer_id == PRODUCER.c.id, SUBSCRIPTION.c.commodity_id.in_(ids)
            )
        )
    if notice.markets:
        ids = sa.select(MARKET.c.id).where(MARKET.c.slug.in_(notice.markets))
        query = query.where(
            sa.exists().where(
                SUBSCRIPTION.c.producer_id == PRODUCER.c.id, SUBSCRIPTION.c.market_id.in_(ids)
            )
        )
    return Audience(
        kind=BroadcastKind.NOTICE,
        key=f"notice:{notice.id}" if notice.id is not None else "",
        countries=list(notice.countries),
        payload=notice_payload(notice),
        recipients=query.subquery("recipients"),
        urgent=notice.urgent,
        refs={"notice_id": notice.id} if notice.id is not None else {},
    )


# --- the recipient table --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    variants: list[tuple[str, Script, str, bool]]
    windows: Any  # CTE: country_code, quiet_hours, quiet, quiet_end, day_start, sms_price
    digests: Any  # CTE: country_code, digest_time, due


# Who receives anything at all: an active producer who consented.
RECEIVES = (PRODUCER.c.status == ProducerStatus.ACTIVE, PRODUCER.c.consent_at.is_not(None))


async def _facts(
    session: AsyncSession, audience: Audience, settings: Settings, now: dt.datetime
) -> _Facts | None:
    recipients = audience.recipients
    members: Any = (
        audience.members if audience.members is not None else sa.select(recipients.c.producer_id)
    )
    readers = [PRODUCER.c[name] for name in delivery.READER_COLUMNS]
    rows = (
        await run_core(
            session,
            sa.select(*readers, PRODUCER.c.country_code, PRODUCER.c.quiet_hours)
            .where(PRODUCER.c.id.in_(members), *RECEIVES)
            .distinct(),
        )
    ).all()
    if not rows:
        return None
    times = {settings.digest_time}  # for producers without a digest rule of their own
    if audience.digest_times is not None:
        chosen = (await run_core(session, audience.digest_times)).scalars().all()
        times |= {str(t) for t in chosen if t}
    zones: dict[str, str] = dict(
        (await run_core(session, sa.select(COUNTRY.c.code, COUNTRY.c.timezone))).all()
    )
    observed = delivery.observes_quiet_hours(audience.kind, urgent=audience.urgent)
    windows = sorted({(row.country_code, row.quiet_hours) for row in rows})
    window_rows = []
    for country, quiet_hours in windows:
        tz = zones[country]
        ends = delivery.quiet_end(now, tz, quiet_hours, observed=observed)
        window_rows.append(
            (
                country,
                quiet_hours,
                ends is not None,
                ends or now,
                clock.local_day_start(now, tz),
                delivery.segment_price(settings, country),
            )
        )
    digest_rows = [
        (country, hhmm, delivery.digest_due(now, zones[country], hhmm, settings))
        for country in sorted({country for country, _ in windows})
        for hhmm in sorted(times)
    ]
    return _Facts(
        variants=sorted({(row[0], Script(row[1]), str(row[2]), bool(row[3])) for row in rows}),
        windows=sa.values(
            sa.column("country_code", sa.String),
            sa.column("quiet_hours", sa.String),
            sa.column("quiet", sa.Boolean),
            sa.column("quiet_end", UTCDateTime),
            sa.column("day_start", UTCDateTime),
            sa.column("sms_price", sa.Numeric(12, 6)),
            name="windows",
        )
        .data(window_rows)
        .cte("windows"),
        digests=sa.values(
            sa.column("country_code", sa.String),
            sa.column("digest_time", sa.String),
            sa.column("due", UTCDateTime),
            name="digests",
        )
        .data(digest_rows)
        .cte("digests"),
    )


def _candidates(audience: Audience, facts: _Facts, settings: Settings) -> Any:
    """One row per recipient: address, variant, and whether it is merged or quiet now.

    Materialised, so the per-recipient sub-queries (addresses, today's count) run once per row.
    """
    recipients, windows, digests = audience.recipients, facts.windows, facts.digests
    merged = delivery.merged_sql(
        immediate=recipients.c.immediate == 1,
        checks_cap=audience.capped,
        producer_id=PRODUCER.c.id,
        daily_cap=PRODUCER.c.daily_cap,
        day_start=windows.c.day_start,
    )
    digest_time = sa.func.coalesce(recipients.c.digest_time, settings.digest_time)
    return (
        sa.select(
            PRODUCER.c.id.label("producer_id"),
            PRODUCER.c.country_code.label("country_code"),
            *(PRODUCER.c[name].label(name) for name in delivery.READER_COLUMNS),
            delivery.preferred_address_sql(PRODUCER.c.id).label("address_id"),
            sa.case((merged, 1), else_=0).label("merged"),
            windows.c.quiet,
            windows.c.quiet_end,
            windows.c.sms_price,
            digests.c.due,
        )
        .select_from(recipients)
        .join(PRODUCER, PRODUCER.c.id == recipients.c.producer_id)
        .join(
            windows,
            sa.and_(
                windows.c.country_code == PRODUCER.c.country_code,
                windows.c.quiet_hours == PRODUCER.c.quiet_hours,
            ),
        )
        .join(
            digests,
            sa.and_(
                digests.c.country_code == PRODUCER.c.country_code,
                digests.c.digest_time == digest_time,
            ),
        )
        .where(*RECEIVES)
        .cte("candidates")
        .prefix_with("MATERIALIZED")
    )


def _addressed(candidates: Any) -> tuple[Any, delivery.Case]:
    """Candidates joined to their chosen address (those with none are left out), and what picks
    the shape of each one's delivery."""
    joined = candidates.join(ADDRESS, ADDRESS.c.id == candidates.c.address_id)
    case = delivery.Case(
        channel=delivery.channel_sql(ADDRESS.c.urn),
        quiet=candidates.c.quiet,
        merged=candidates.c.merged == 1,
    )
    return joined, case


# --- preview ------------------------------------------------------------------------------------

# Costs to a hundredth of a cent: a segment costs a few cents, and the variants' costs must add
# up to the per-country totals.
CENTS = Decimal("0.0001")


async def preview(
    session: AsyncSession, audience: Audience, settings: Settings, *, now: dt.datetime | None = None
) -> PreviewOut:
    """What fanning out now would send: texts, recipients per channel and locale, cost."""
    now = now or clock.utcnow()
    split = splitting_for(settings.sms_gateway)
    already = (
        bool(audience.key)
        and (await session.exec(select(Broadcast.id).where(Broadcast.key == audience.key))).first()
        is not None
    )
    out = PreviewOut(
        kind=audience.kind,
        already_sent=already,
        recipients=0,
        by_channel={},
        by_locale={},
        merged=0,
        deferred=0,
        sms_segments=0,
        cost={},
        currency=settings.sms_cost_currency,
        texts=[],
    )
    facts = await _facts(session, audience, settings, now)
    if facts is None:
        return out
    candidates = _candidates(audience, facts, settings)
    joined, case = _addressed(candidates)
    groups = (
        *(candidates.c[name] for name in delivery.READER_COLUMNS),
        case.channel,
        candidates.c.country_code,
        candidates.c.sms_price,
    )

    def count_where(condition: Any) -> Any:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    rows = (
        await run_core(
            session,
            sa.select(
                *groups,
                sa.func.count(),
                sa.func.sum(candidates.c.merged),
                count_where(
                    delivery.where_shape_sql(lambda shape: shape.due is Due.QUIET_END, case)
                ),
                count_where(delivery.where_shape_sql(lambda shape: shape.charged, case)),
            )
            .select_from(joined)
            .group_by(*groups),
        )
    ).all()
    by_variant: dict[Variant, list[int]] = defaultdict(lambda: [0, 0])
    variant_cost: dict[Variant, Decimal] = defaultdict(Decimal)
    by_channel: Counter[str] = Counter()
    by_locale: Counter[str] = Counter()
    cost: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        locale, script, digits, plain, channel, country, price, count, merged, deferred, charged = (
            row
        )
        variant = Variant(locale, Script(script), str(digits), bool(plain), ChannelName(channel))
        by_variant[variant][0] += count
        by_variant[variant][1] += int(merged or 0)
        by_channel[channel] += count
        by_locale[locale] += count
        out.merged += int(merged or 0)
        out.deferred += int(deferred or 0)
        if charged:
            segments = render(audience.kind, audience.payload, variant, splitting=split).segments
            out.sms_segments += segments * int(charged)
            cost[country] += segments * int(charged) * Decimal(price)
            variant_cost[variant] += segments * int(charged) * Decimal(price)
    untranslated: Counter[str] = Counter()
    for variant, (count, merged) in sorted(by_variant.items(), key=lambda kv: str(kv[0])):
        wanted = notice_wanted_locale(variant)
        if audience.kind is BroadcastKind.NOTICE and wanted not in audience.payload["texts"]:
            untranslated[wanted] += count
        text = render(audience.kind, audience.payload, variant, splitting=split)
        out.texts.append(
            VariantPreview(
                locale=variant.locale,
                script=variant.script,
                digits=variant.digits,
                plain_sms=variant.plain_sms,
                channel=variant.channel,
                text=text.text,
                segments=text.segments,
                encoding=text.encoding,
                recipients=count,
                merged=merged,
                cost=variant_cost[variant].quantize(CENTS),
            )
        )
    out.recipients = sum(by_channel.values())
    out.by_channel = dict(by_channel)
    out.by_locale = dict(by_locale)
    out.untranslated = dict(sorted(untranslated.items()))
    out.cost = {k: v.quantize(CENTS) for k, v in cost.items()}
    return out


# --- fan-out ------------------------------------------------------------------------------------


async def fan_out(
    session: AsyncSession,
    audience: Audience,
    settings: Settings,
    *,
    created_by: str,
    now: dt.datetime | None = None,
) -> Broadcast:
    """Write the broadcast and its deliveries; a second call with the same key changes nothing."""
    if not audience.key:
        raise ValueError("an audience without a key (a notice not yet saved) cannot be sent")
    now = now or clock.utcnow()
    existing = (await session.exec(select(Broadcast).where(Broadcast.key == audience.key))).first()
    if existing is not None:
        return existing
    broadcast = Broadcast(
        kind=audience.kind,
        key=audience.key,
        countries=audience.countries,
        payload=audience.payload,
        urgent=audience.urgent,
        created_by=created_by,
        price_id=audience.refs.get("price_id"),
        lead_id=audience.refs.get("lead_id"),
        notice_id=audience.refs.get("notice_id"),
    )
    session.add(broadcast)
    await session.flush()
    assert broadcast.id is not None
    facts = await _facts(session, audience, settings, now)
    if facts is None:
        return broadcast
    splitting = splitting_for(settings.sms_gateway)
    session.add_all(
        [
            text_row(broadcast, Variant(locale, script, digits, plain, channel), splitting)
            for locale, script, digits, plain in facts.variants
            for channel in ChannelName
        ]
    )
    await session.flush()
    await run_core(session, _insert_deliveries(broadcast.id, audience, facts, settings, now))
    return broadcast


def _insert_deliveries(
    broadcast_id: int, audience: Audience, facts: _Facts, settings: Settings, now: dt.datetime
) -> Any:
    candidates = _candidates(audience, facts, settings)
    joined, case = _addressed(candidates)
    decided = delivery.decided_sql(
        case,
        quiet_end=candidates.c.quiet_end,
        digest_due=candidates.c.due,
        text_segments=BROADCAST_TEXT.c.segments,
        segment_price=candidates.c.sms_price,
        capped=audience.capped,
        now=now,
    )
    values = {
        "broadcast_id": sa.literal(broadcast_id),
        "producer_id": candidates.c.producer_id,
        "address_id": candidates.c.address_id,
        "country_code": candidates.c.country_code,
        "channel": case.channel,
        "text_id": BROADCAST_TEXT.c.id,
        **decided,
    }
    rows = (
        sa.select(*values.values())
        .select_from(joined)
        .join(
            BROADCAST_TEXT,
            sa.and_(
                BROADCAST_TEXT.c.broadcast_id == broadcast_id,
                delivery.reads_text_sql(BROADCAST_TEXT, candidates, case.channel),
            ),
        )
    )
    return sa.insert(DELIVERY).from_select([DELIVERY.c[name] for name in values], rows)
