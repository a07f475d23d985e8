"""Fan-out: a published price, a verified lead or a sent notice becomes one Broadcast and one
Delivery per recipient and channel.

The recipients are never loaded into Python: one SELECT DISTINCT finds the few ways they read
(locale, script, digits, plain SMS), each text is rendered once, and a single INSERT ... SELECT
writes every delivery with its channel, quiet-hours deferral, daily-cap merge, segments and cost
computed by the database. Local-time facts (is it quiet now in Yangon for 21:00-06:00? when does
the local day start?) are computed here for each distinct (country, setting) and joined in as
small literal tables.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.content import Payload, Variant, lead_payload, notice_payload, price_payload, render
from app.alerts.models import (
    Broadcast,
    BroadcastKind,
    BroadcastText,
    ChannelName,
    Delivery,
    DeliveryStatus,
    PreviewOut,
    VariantPreview,
)
from app.catalogue.models import Commodity, Country, Market
from app.core import clock
from app.core.config import Settings
from app.core.db import UTCDateTime, core_table, run_core
from app.leads.models import BuyerLead
from app.notices.models import Notice
from app.prices.models import PriceObservation
from app.producers.models import Address, Producer, ProducerStatus, Rule, Subscription
from app.text.formatting import Script
from app.text.sms import Splitting, splitting_for

# Core columns: this module builds set-based SQL, not ORM objects.
SUB = core_table(Subscription).c
PROD = core_table(Producer).c
ADDR = core_table(Address).c
DELIV = core_table(Delivery).c


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
    s = SUB
    threshold = s.threshold
    fires = [s.rule == Rule.EVERY, s.rule == Rule.DIGEST]
    if previous is None:
        fires += [
            sa.and_(s.rule == Rule.ABOVE, threshold <= value),
            sa.and_(s.rule == Rule.BELOW, threshold >= value),
        ]
    else:
        # A threshold fires when the price crosses it, not on every price beyond it.
        fires += [
            sa.and_(s.rule == Rule.ABOVE, threshold <= value, threshold > previous),
            sa.and_(s.rule == Rule.BELOW, threshold >= value, threshold < previous),
        ]
        if previous:
            moved = abs(value - previous) / previous * 100
            fires.append(sa.and_(s.rule == Rule.CHANGE_PCT, threshold <= moved))
    matching = (
        s.commodity_id == price.commodity_id,
        sa.or_(s.variety_id.is_(None), s.variety_id == price.variety_id),
        sa.or_(s.market_id.is_(None), s.market_id == price.market_id),
        sa.or_(*fires),
    )
    recipients = (
        sa.select(
            s.producer_id.label("producer_id"),
            sa.func.max(sa.case((s.rule != Rule.DIGEST, 1), else_=0)).label("immediate"),
            sa.func.min(sa.case((s.rule == Rule.DIGEST, s.digest_time), else_=None)).label(
                "digest_time"
            ),
        )
        .where(*matching)
        .group_by(s.producer_id)
        .subquery("r")
    )
    return Audience(
        kind=BroadcastKind.PRICE,
        key=f"price:{price.id}",
        countries=[price.country_code],
        payload=payload,
        recipients=recipients,
        capped=True,
        refs={"price_id": price.id},
        members=sa.select(s.producer_id).where(*matching),
        digest_times=sa.select(s.digest_time).where(*matching, s.rule == Rule.DIGEST).distinct(),
    )


async def lead_audience(session: AsyncSession, lead: BuyerLead) -> Audience:
    assert lead.id is not None
    s, p = SUB, PROD
    recipients = (
        sa.select(s.producer_id.label("producer_id"), sa.literal(1).label("immediate"))
        .add_columns(_no_digest())
        .join(core_table(Producer), p.id == s.producer_id)
        .where(
            s.commodity_id == lead.commodity_id,
            s.leads,
            p.country_code == lead.country_code,
        )
        .distinct()
        .subquery("r")
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
    """The notice's segment: its countries, narrowed to followers of its commodities/markets."""
    assert notice.id is not None
    s, p = SUB, PROD
    query = sa.select(p.id.label("producer_id"), sa.literal(1).label("immediate")).add_columns(
        _no_digest()
    )
    query = query.where(p.country_code.in_(notice.countries))
    if notice.commodities:
        ids = sa.select(core_table(Commodity).c.id).where(
            core_table(Commodity).c.slug.in_(notice.commodities)
        )
        query = query.where(sa.exists().where(s.producer_id == p.id, s.commodity_id.in_(ids)))
    if notice.markets:
        markets = core_table(Market).c
        ids = sa.select(markets.id).where(markets.slug.in_(notice.markets))
        query = query.where(sa.exists().where(s.producer_id == p.id, s.market_id.in_(ids)))
    return Audience(
        kind=BroadcastKind.NOTICE,
        key=f"notice:{notice.id}",
        countries=list(notice.countries),
        payload=notice_payload(notice),
        recipients=query.subquery("r"),
        urgent=notice.urgent,
        refs={"notice_id": notice.id},
    )


# --- the recipient table --------------------------------------------------------------------------


def _literalcore_table(
    name: str, columns: Sequence[tuple[str, Any]], rows: list[tuple[Any, ...]]
) -> Any:
    """A small table of Python values as a CTE (SELECT ... UNION ALL SELECT ...), portable to
    SQLite and PostgreSQL alike, to join against."""
    selects = [
        sa.select(
            *(
                sa.literal(value, type_).label(column)
                for (column, type_), value in zip(columns, row, strict=True)
            )
        )
        for row in rows
    ]
    # SQLite allows 500 terms in one compound SELECT: unite chunks of them, then the chunks.
    chunks = [selects[i : i + 400] for i in range(0, len(selects), 400)]
    parts = [sa.union_all(*chunk) if len(chunk) > 1 else chunk[0] for chunk in chunks]
    if len(parts) == 1:
        return parts[0].cte(name)
    return sa.union_all(*(sa.select(part.subquery()) for part in parts)).cte(name)


@dataclass(frozen=True)
class _Facts:
    variants: list[tuple[str, Script, str, bool]]
    windows: Any  # CTE: country_code, quiet_hours, quiet, quiet_end, day_start, sms_price
    digests: Any  # CTE: country_code, digest_time, due


async def _facts(
    session: AsyncSession, audience: Audience, settings: Settings, now: dt.datetime
) -> _Facts | None:
    r, p = audience.recipients, PROD
    members: Any = audience.members if audience.members is not None else sa.select(r.c.producer_id)
    rows = (
        await run_core(
            session,
            sa.select(p.locale, p.script, p.digits, p.plain_sms, p.country_code, p.quiet_hours)
            .where(
                p.id.in_(members),
                p.status == ProducerStatus.ACTIVE,
                p.consent_at.is_not(None),
            )
            .distinct(),
        )
    ).all()
    if not rows:
        return None
    times = {settings.digest_time}
    if audience.digest_times is not None:
        chosen = (await run_core(session, audience.digest_times)).scalars().all()
        times |= {str(t) for t in chosen if t}
    countries = core_table(Country).c
    zones: dict[str, str] = dict(
        (await run_core(session, sa.select(countries.code, countries.timezone))).all()
    )
    windows = {(row[4], row[5]) for row in rows}
    digests = {(country, hhmm) for country, _ in windows for hhmm in times}
    window_rows = []
    for country, quiet_hours in sorted(windows):
        tz = zones[country]
        ends = None if audience.urgent else clock.quiet_until(now, tz, quiet_hours)
        window_rows.append(
            (
                country,
                quiet_hours,
                ends is not None,
                ends or now,
                clock.local_day_start(now, tz),
                settings.sms_segment_price.get(country, Decimal(0)),
            )
        )
    digest_rows = [
        (country, hhmm, clock.next_local_time(now, zones[country], hhmm))
        for country, hhmm in sorted(digests)
    ]
    return _Facts(
        variants=sorted({(row[0], Script(row[1]), str(row[2]), bool(row[3])) for row in rows}),
        windows=_literalcore_table(
            "w",
            [
                ("country_code", sa.String),
                ("quiet_hours", sa.String),
                ("quiet", sa.Boolean),
                ("quiet_end", UTCDateTime),
                ("day_start", UTCDateTime),
                ("sms_price", sa.Numeric(12, 6)),
            ],
            window_rows,
        ),
        digests=_literalcore_table(
            "d",
            [("country_code", sa.String), ("digest_time", sa.String), ("due", UTCDateTime)],
            digest_rows,
        ),
    )


def _candidates(audience: Audience, facts: _Facts, settings: Settings) -> Any:
    """One row per recipient: address, channel, variant, and whether it is merged or deferred.

    Materialised, so the per-recipient sub-queries (addresses, today's count) run once per row.
    """
    r, p, w, d = audience.recipients, PROD, facts.windows, facts.digests

    # Telegram when the producer has an active chat, else their phone: one index look-up.
    is_chat = ADDR.urn.like("telegram:%")
    address = (
        sa.select(ADDR.id)
        .where(ADDR.producer_id == p.id, ADDR.active, sa.or_(is_chat, ADDR.urn.like("tel:%")))
        .order_by(sa.case((is_chat, 0), else_=1), ADDR.id)
        .limit(1)
        .scalar_subquery()
    )

    merged: Any = r.c.immediate == 0
    if audience.capped:
        today = (
            sa.select(sa.func.count())
            .select_from(core_table(Delivery))
            .where(
                DELIV.producer_id == p.id,
                DELIV.capped,
                DELIV.created_at >= w.c.day_start,
                DELIV.status.not_in([DeliveryStatus.MERGED.value, DeliveryStatus.CANCELLED.value]),
            )
            .scalar_subquery()
        )
        merged = sa.or_(merged, today >= p.daily_cap)
    digest_time = sa.func.coalesce(r.c.digest_time, settings.digest_time)
    return (
        sa.select(
            p.id.label("producer_id"),
            p.country_code.label("country_code"),
            col(p.locale).label("locale"),
            col(p.script).label("script"),
            col(p.digits).label("digits"),
            col(p.plain_sms).label("plain_sms"),
            address.label("address_id"),
            sa.case((merged, 1), else_=0).label("merged"),
            w.c.quiet,
            w.c.quiet_end,
            w.c.sms_price,
            d.c.due,
        )
        .select_from(r)
        .join(core_table(Producer), p.id == r.c.producer_id)
        .join(w, sa.and_(w.c.country_code == p.country_code, w.c.quiet_hours == p.quiet_hours))
        .join(d, sa.and_(d.c.country_code == p.country_code, d.c.digest_time == digest_time))
        .where(p.status == ProducerStatus.ACTIVE, p.consent_at.is_not(None))
        .cte("c")
        .prefix_with("MATERIALIZED")
    )


def _channel() -> Any:
    """The channel of a candidate row joined to its address (`_with_address`)."""
    return sa.case(
        (ADDR.urn.like("telegram:%"), ChannelName.TELEGRAM.value), else_=ChannelName.SMS.value
    )


def _with_address(c: Any) -> Any:
    """Candidates joined to their chosen address; those with none are left out."""
    return c.join(core_table(Address), ADDR.id == c.c.address_id)


# --- preview ------------------------------------------------------------------------------------


async def preview(
    session: AsyncSession, audience: Audience, settings: Settings, *, now: dt.datetime | None = None
) -> PreviewOut:
    """What fanning out now would send: texts, recipients per channel and locale, cost."""
    now = now or clock.utcnow()
    split = splitting_for(settings.sms_gateway)
    already = (
        await session.exec(select(Broadcast.id).where(Broadcast.key == audience.key))
    ).first() is not None
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
    c = _candidates(audience, facts, settings)
    channel = _channel()
    is_sms = channel == ChannelName.SMS.value
    groups = (
        c.c.locale,
        c.c.script,
        c.c.digits,
        c.c.plain_sms,
        channel,
        c.c.country_code,
        c.c.sms_price,
    )
    deferred = sa.func.sum(sa.case((sa.and_(is_sms, c.c.quiet, c.c.merged == 0), 1), else_=0))
    rows = (
        await run_core(
            session,
            sa.select(*groups, sa.func.count(), sa.func.sum(c.c.merged), deferred)
            .select_from(_with_address(c))
            .group_by(*groups),
        )
    ).all()
    by_variant: dict[Variant, list[int]] = defaultdict(lambda: [0, 0])
    by_channel: Counter[str] = Counter()
    by_locale: Counter[str] = Counter()
    cost: dict[str, Decimal] = defaultdict(Decimal)
    for locale, script, digits, plain, chan, country, price, count, merged, deferred in rows:
        variant = Variant(locale, Script(script), str(digits), bool(plain), ChannelName(chan))
        by_variant[variant][0] += count
        by_variant[variant][1] += int(merged or 0)
        by_channel[chan] += count
        by_locale[locale] += count
        out.merged += int(merged or 0)
        out.deferred += int(deferred or 0)
        if variant.channel is ChannelName.SMS:
            segments = render(audience.kind, audience.payload, variant, splitting=split).segments
            sent = count - int(merged or 0)
            out.sms_segments += segments * sent
            cost[country] += segments * sent * Decimal(price)
    for variant, (count, merged) in sorted(by_variant.items(), key=lambda kv: str(kv[0])):
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
            )
        )
    out.recipients = sum(by_channel.values())
    out.by_channel = dict(by_channel)
    out.by_locale = dict(by_locale)
    out.cost = {k: v.quantize(Decimal("0.0001")) for k, v in cost.items()}
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
    texts = [
        _text_row(
            broadcast.id,
            audience,
            Variant(locale, script, digits, plain, channel),
            splitting_for(settings.sms_gateway),
        )
        for locale, script, digits, plain in facts.variants
        for channel in ChannelName
    ]
    session.add_all(texts)
    await session.flush()
    await run_core(session, _insert_deliveries(broadcast.id, audience, facts, settings, now))
    return broadcast


def _text_row(
    broadcast_id: int, audience: Audience, variant: Variant, splitting: Splitting
) -> BroadcastText:
    rendered = render(audience.kind, audience.payload, variant, splitting=splitting)
    return BroadcastText(
        broadcast_id=broadcast_id,
        locale=variant.locale,
        script=variant.script,
        digits=variant.digits,
        plain_sms=variant.plain_sms,
        channel=variant.channel,
        text=rendered.text,
        segments=rendered.segments,
        encoding=rendered.encoding,
    )


def _insert_deliveries(
    broadcast_id: int, audience: Audience, facts: _Facts, settings: Settings, now: dt.datetime
) -> Any:
    c = _candidates(audience, facts, settings)
    t = sa.table(
        "broadcast_text",
        sa.column("id"),
        sa.column("broadcast_id"),
        sa.column("locale"),
        sa.column("script"),
        sa.column("digits"),
        sa.column("plain_sms"),
        sa.column("channel"),
        sa.column("segments"),
    )
    channel = _channel()
    is_sms = channel == ChannelName.SMS.value
    merged = c.c.merged == 1
    segments = sa.case((sa.and_(is_sms, sa.not_(merged)), t.c.segments), else_=0)
    select_rows = (
        sa.select(
            sa.literal(broadcast_id),
            c.c.producer_id,
            c.c.address_id,
            c.c.country_code,
            channel,
            t.c.id,
            sa.case((merged, DeliveryStatus.MERGED.value), else_=DeliveryStatus.QUEUED.value),
            sa.and_(sa.not_(is_sms), c.c.quiet, sa.not_(merged)),
            sa.literal(audience.capped),
            sa.literal(False),
            segments,
            segments * c.c.sms_price,
            sa.literal(0),
            sa.case(
                (merged, c.c.due),
                (sa.and_(is_sms, c.c.quiet), c.c.quiet_end),
                else_=sa.literal(now, UTCDateTime),
            ),
            sa.literal(now, UTCDateTime),
            sa.literal(now, UTCDateTime),
        )
        .select_from(_with_address(c))
        .join(
            t,
            sa.and_(
                t.c.broadcast_id == broadcast_id,
                t.c.locale == c.c.locale,
                t.c.script == c.c.script,
                t.c.digits == c.c.digits,
                t.c.plain_sms == c.c.plain_sms,
                t.c.channel == channel,
            ),
        )
    )
    columns = [
        "broadcast_id",
        "producer_id",
        "address_id",
        "country_code",
        "channel",
        "text_id",
        "status",
        "silent",
        "capped",
        "budget_override",
        "segments",
        "cost",
        "attempts",
        "next_attempt_at",
        "created_at",
        "updated_at",
    ]
    table = core_table(Delivery)
    return sa.insert(table).from_select([table.c[name] for name in columns], select_rows)
