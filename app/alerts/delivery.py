"""What a delivery looks like, decided in one place: the address and channel that carry it, the
variant of the text its reader gets, whether quiet hours defer it (SMS) or silence it
(Telegram), whether it goes into the producer's digest (a digest rule, or past the daily cap),
and what its SMS segments cost.

Each rule is written once and read two ways. `build` and `deliver` apply it to one delivery in
Python (digests, SMS fallbacks, replies, reports); the `*_sql` functions turn the same
definitions into the SQL expressions of the fan-out's single INSERT ... SELECT (app.alerts.fanout),
which must not load its recipients into Python. tests/alerts/test_delivery_equivalence.py holds
the two readings to identical rows.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.content import Variant
from app.alerts.models import (
    Broadcast,
    BroadcastKind,
    BroadcastText,
    ChannelName,
    Delivery,
    DeliveryStatus,
)
from app.alerts.tables import ADDRESS, DELIVERY
from app.alerts.texts import text_for
from app.catalogue.models import Country
from app.core import clock
from app.core.config import Settings
from app.core.db import UTCDateTime, run_core
from app.producers.models import Producer
from app.text.formatting import Script

# --- channel and address --------------------------------------------------------------------------

# The channels that reach a producer, preferred first, with the scheme of their addresses:
# Telegram when the producer has an active chat, else their phone.
URN_SCHEMES: dict[ChannelName, str] = {
    ChannelName.TELEGRAM: "telegram:",
    ChannelName.SMS: "tel:",
}
EVERY_CHANNEL = tuple(URN_SCHEMES)


def channel_of(urn: str) -> ChannelName:
    for channel, scheme in URN_SCHEMES.items():
        if urn.startswith(scheme):
            return channel
    raise ValueError(f"{urn!r} is no address of any channel")


def channel_sql(urn: Any) -> Any:
    """channel_of() of an address column."""
    return sa.case(
        *((urn.like(f"{scheme}%"), channel.value) for channel, scheme in URN_SCHEMES.items())
    )


def preferred_address_sql(
    producer_id: Any, channels: tuple[ChannelName, ...] = EVERY_CHANNEL
) -> Any:
    """The id of the producer's active address on the first of `channels` they have (lowest id
    first among several), as a scalar sub-query: correlated in the fan-out, bound in `deliver`."""
    wanted = [ADDRESS.c.urn.like(f"{URN_SCHEMES[channel]}%") for channel in channels]
    rank = sa.case(*((condition, order) for order, condition in enumerate(wanted)))
    return (
        sa.select(ADDRESS.c.id)
        .where(ADDRESS.c.producer_id == producer_id, ADDRESS.c.active, sa.or_(*wanted))
        .order_by(rank, ADDRESS.c.id)
        .limit(1)
        .scalar_subquery()
    )


# --- variant --------------------------------------------------------------------------------------

# The producer's columns that say how they read, named as the Variant's fields: a text is
# shared by the readers who agree on all of them and on the channel.
READER_COLUMNS = tuple(field.name for field in fields(Variant) if field.name != "channel")


def variant_for(
    producer: Producer | None, channel: ChannelName, *, locale: str | None = None
) -> Variant:
    """How the recipient reads: a producer in their own locale, script, digits and plain-SMS
    choice; someone who is no producer (a stranger's number, a CDE) in Unicode with Latin
    digits. `locale` replaces the producer's (a reply is in the language it was asked in)."""
    if producer is None:
        return Variant(locale or "en", Script.UNICODE, "latin", False, channel)
    return Variant(
        locale or producer.locale,
        Script(producer.script),
        str(producer.digits),
        producer.plain_sms,
        channel,
    )


def reads_text_sql(text: Any, reader: Any, channel: Any) -> Any:
    """The join of a broadcast's texts to the rows of readers (columns named as READER_COLUMNS)
    that read each: variant_for() of every row at once."""
    return sa.and_(
        *(text.c[name] == reader.c[name] for name in READER_COLUMNS), text.c.channel == channel
    )


# --- quiet hours, digests, caps and cost ----------------------------------------------------------

# Answers go out at once, whatever the hour: a reply to a question just asked, a CDE's report.
ANSWERS = frozenset({BroadcastKind.REPLY, BroadcastKind.REPORT})


def observes_quiet_hours(kind: BroadcastKind, *, urgent: bool) -> bool:
    return not urgent and kind not in ANSWERS


def quiet_end(now: dt.datetime, tz: str, quiet_hours: str, *, observed: bool) -> dt.datetime | None:
    """When the recipient's quiet hours end, or None when they are not quiet now (or the
    broadcast ignores them)."""
    return clock.quiet_until(now, tz, quiet_hours) if observed else None


def digest_due(
    now: dt.datetime, tz: str, digest_time: str | None, settings: Settings
) -> dt.datetime:
    """When the producer's next digest goes out: at the time their digest rule chose, else at
    MIC_DIGEST_TIME, on their country's clock."""
    return clock.next_local_time(now, tz, digest_time or settings.digest_time)


def segment_price(settings: Settings, country: str) -> Decimal:
    return settings.sms_segment_price.get(country, Decimal(0))


def merged_sql(
    *, immediate: Any, checks_cap: bool, producer_id: Any, daily_cap: Any, day_start: Any
) -> Any:
    """Whether the delivery goes into the producer's digest instead of out on its own: they
    follow it as a digest only (`immediate` false), or it is a capped alert and the producer's
    capped deliveries sent or waiting since their local midnight reached their daily cap."""
    merged = sa.not_(immediate)
    if not checks_cap:
        return merged
    today = (
        sa.select(sa.func.count())
        .select_from(DELIVERY)
        .where(
            DELIVERY.c.producer_id == producer_id,
            DELIVERY.c.capped,
            DELIVERY.c.created_at >= day_start,
            DELIVERY.c.status.not_in([DeliveryStatus.MERGED.value, DeliveryStatus.CANCELLED.value]),
        )
        .scalar_subquery()
    )
    return sa.or_(merged, today >= daily_cap)


# --- the shape: status, silence, when it is due, whether it is charged --------------------------


class Due(enum.Enum):
    NOW = "now"
    QUIET_END = "quiet_end"
    DIGEST = "digest"


@dataclass(frozen=True)
class Shape:
    status: DeliveryStatus
    silent: bool
    due: Due
    charged: bool  # its SMS segments go out, so they are counted and paid


def _shape(channel: ChannelName, quiet: bool, merged: bool) -> Shape:
    if merged:
        # Not sent alone: it waits for the producer's digest, which is what gets sent (and paid).
        return Shape(DeliveryStatus.MERGED, silent=False, due=Due.DIGEST, charged=False)
    if channel is ChannelName.SMS:
        # A text message in the night wakes the producer: it waits for the end of quiet hours.
        return Shape(
            DeliveryStatus.QUEUED,
            silent=False,
            due=Due.QUIET_END if quiet else Due.NOW,
            charged=True,
        )
    # Telegram goes now, without a notification sound in quiet hours, and costs nothing.
    return Shape(DeliveryStatus.QUEUED, silent=quiet, due=Due.NOW, charged=False)


# Every case, keyed by (channel, quiet now, merged): `build` looks its delivery up here, and the
# fan-out's CASE expressions are generated from the same table.
SHAPES: dict[tuple[ChannelName, bool, bool], Shape] = {
    (channel, quiet, merged): _shape(channel, quiet, merged)
    for channel in ChannelName
    for quiet in (False, True)
    for merged in (False, True)
}


def shape_of(channel: ChannelName, *, quiet: bool, merged: bool) -> Shape:
    return SHAPES[(channel, quiet, merged)]


# What every new delivery starts with, whichever way it is written.
FRESH: dict[str, Any] = {"budget_override": False, "attempts": 0}


@dataclass(frozen=True)
class Case:
    """SQL expressions, one row per delivery, of what picks its shape in SHAPES."""

    channel: Any  # the ChannelName value
    quiet: Any  # boolean: the recipient's quiet hours, now
    merged: Any  # boolean: into the digest


Key = tuple[ChannelName | None, bool | None, bool | None]  # None: any value
DOMAINS: tuple[tuple[Any, ...], ...] = (tuple(ChannelName), (False, True), (False, True))


def _ignoring(cube: Key, position: int) -> Key:
    channel, quiet, merged = cube
    return (
        None if position == 0 else channel,
        None if position == 1 else quiet,
        None if position == 2 else merged,
    )


def _simplest(keys: list[Key]) -> set[Key]:
    """The same cases in as few keys as cover them: keys that differ only in one input and
    between them take every value of it become one key that ignores it (so `merged` alone
    decides the status), keeping the fan-out's SQL as short as if written by hand."""
    cubes = set(keys)
    while True:
        for position, domain in enumerate(DOMAINS):
            seen: dict[Key, set[Any]] = defaultdict(set)
            for cube in cubes:
                if cube[position] is not None:
                    seen[_ignoring(cube, position)].add(cube[position])
            covered = [general for general, values in seen.items() if values >= set(domain)]
            if covered:
                general = covered[0]
                cubes = {
                    cube
                    for cube in cubes
                    if cube[position] is None or _ignoring(cube, position) != general
                }
                cubes.add(general)
                break
        else:
            return cubes


def _holds(cube: Key, case: Case) -> Any:
    channel, quiet, merged = cube
    conditions = []
    if channel is not None:
        conditions.append(case.channel == channel.value)
    if quiet is not None:
        conditions.append(case.quiet if quiet else sa.not_(case.quiet))
    if merged is not None:
        conditions.append(case.merged if merged else sa.not_(case.merged))
    return sa.and_(*conditions) if conditions else sa.true()


def where_shape_sql(predicate: Callable[[Shape], bool], case: Case) -> Any:
    """A condition true for the rows whose shape satisfies `predicate`, generated from SHAPES."""
    keys: list[Key] = [key for key, shape in SHAPES.items() if predicate(shape)]
    if not keys:
        return sa.false()
    return sa.or_(*(_holds(cube, case) for cube in sorted(_simplest(keys), key=str)))


def _case_of(pick: Callable[[Shape], Hashable], case: Case, value_sql: Callable[[Any], Any]) -> Any:
    """A CASE expression giving pick(shape) for each row, generated from SHAPES: one WHEN per
    value but the commonest, which is the ELSE."""
    counts = Counter(pick(shape) for shape in SHAPES.values())
    commonest = counts.most_common(1)[0][0]

    def picks(value: Hashable) -> Callable[[Shape], bool]:
        return lambda shape: pick(shape) == value

    whens = [
        (where_shape_sql(picks(value), case), value_sql(value))
        for value in counts
        if value != commonest
    ]
    return sa.case(*whens, else_=value_sql(commonest)) if whens else value_sql(commonest)


def decided_sql(
    case: Case,
    *,
    quiet_end: Any,
    digest_due: Any,
    text_segments: Any,
    segment_price: Any,
    capped: bool,
    now: dt.datetime,
) -> dict[str, Any]:
    """The delivery columns `build` decides, as SQL: `quiet_end` and `digest_due` are read
    only where the row is quiet or merged; `text_segments` are those of the row's text."""
    due_sql = {
        Due.NOW: sa.literal(now, UTCDateTime),
        Due.QUIET_END: quiet_end,
        Due.DIGEST: digest_due,
    }
    charged = where_shape_sql(lambda shape: shape.charged, case)
    segments = sa.case((charged, text_segments), else_=0)
    return {
        "status": _case_of(lambda shape: shape.status.value, case, sa.literal),
        "silent": where_shape_sql(lambda shape: shape.silent, case),
        "segments": segments,
        "cost": segments * segment_price,
        "next_attempt_at": _case_of(lambda shape: shape.due, case, due_sql.__getitem__),
        "capped": sa.literal(capped),
        **{name: sa.literal(value) for name, value in FRESH.items()},
        "created_at": sa.literal(now, UTCDateTime),
        "updated_at": sa.literal(now, UTCDateTime),
    }


# --- one delivery ---------------------------------------------------------------------------------


def build(
    *,
    broadcast: Broadcast,
    text: BroadcastText,
    country: str,
    now: dt.datetime,
    settings: Settings,
    producer_id: int | None,
    address_id: int | None = None,
    to_urn: str | None = None,
    quiet_until: dt.datetime | None = None,
    digest_at: dt.datetime | None = None,
    capped: bool = False,
    fallback_of: int | None = None,
) -> Delivery:
    """One delivery of `broadcast` in `text`'s variant: deferred to `quiet_until` or silenced
    when that is set (quiet now), merged into the digest due at `digest_at` when that is set."""
    shape = shape_of(text.channel, quiet=quiet_until is not None, merged=digest_at is not None)
    segments = text.segments if shape.charged else 0
    due = {Due.NOW: now, Due.QUIET_END: quiet_until, Due.DIGEST: digest_at}[shape.due]
    return Delivery(
        broadcast_id=broadcast.id or 0,
        producer_id=producer_id,
        address_id=address_id,
        to_urn=to_urn,
        country_code=country,
        channel=text.channel,
        text_id=text.id or 0,
        status=shape.status,
        silent=shape.silent,
        capped=capped,
        segments=segments,
        cost=segments * segment_price(settings, country),
        next_attempt_at=due,
        fallback_of=fallback_of,
        created_at=now,
        updated_at=now,
        **FRESH,
    )


@dataclass(frozen=True)
class Reach:
    """The address a delivery goes to, and so its channel."""

    address_id: int
    urn: str

    @property
    def channel(self) -> ChannelName:
        return channel_of(self.urn)


async def preferred_address(
    session: AsyncSession, producer_id: int, channels: tuple[ChannelName, ...] = EVERY_CHANNEL
) -> Reach | None:
    """The producer's active address on the first of `channels` they have; None if none."""
    found = (
        await run_core(
            session,
            sa.select(ADDRESS.c.id, ADDRESS.c.urn).where(
                ADDRESS.c.id == preferred_address_sql(producer_id, channels)
            ),
        )
    ).first()
    return None if found is None else Reach(found.id, found.urn)


async def deliver(
    session: AsyncSession,
    *,
    broadcast: Broadcast,
    producer: Producer,
    reach: Reach,
    settings: Settings,
    now: dt.datetime,
    capped: bool = False,
    immediate: bool = True,
    digest_time: str | None = None,
    fallback_of: int | None = None,
) -> Delivery:
    """One delivery of `broadcast` to `producer` at `reach` (see preferred_address), added to
    the session. `capped`: it counts towards their daily cap and is merged into their digest
    past it, except for an SMS fallback, which replaces a delivery the cap already let through.
    `immediate` false: they follow it as a digest only, at `digest_time`."""
    assert producer.id is not None
    country = await session.get(Country, producer.country_code)
    tz = country.timezone if country else "UTC"
    merged = (
        await run_core(
            session,
            sa.select(
                merged_sql(
                    immediate=sa.literal(immediate),
                    checks_cap=capped and fallback_of is None,
                    producer_id=producer.id,
                    daily_cap=producer.daily_cap,
                    day_start=sa.literal(clock.local_day_start(now, tz), UTCDateTime),
                )
            ),
        )
    ).scalar_one()
    text = await text_for(
        session, broadcast, variant_for(producer, reach.channel), settings=settings
    )
    observed = observes_quiet_hours(BroadcastKind(broadcast.kind), urgent=broadcast.urgent)
    built = build(
        broadcast=broadcast,
        text=text,
        country=producer.country_code,
        now=now,
        settings=settings,
        producer_id=producer.id,
        address_id=reach.address_id,
        quiet_until=quiet_end(now, tz, producer.quiet_hours, observed=observed),
        digest_at=digest_due(now, tz, digest_time, settings) if merged else None,
        capped=capped,
        fallback_of=fallback_of,
    )
    session.add(built)
    await session.flush()
    return built
