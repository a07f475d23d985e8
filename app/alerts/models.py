"""The outbox: Broadcasts (one piece of content), their rendered texts, and one Delivery per
recipient and channel; plus the shared pacing state of each channel and the SMS spend per day."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import pydantic
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, model_validator
from sqlmodel import Field, SQLModel

from app.core import clock
from app.core.db import UTCDateTime, enum_column
from app.core.ids import Id
from app.core.inputs import StrictInput
from app.notices.models import NoticeCreate
from app.text.formatting import Script


class BroadcastKind(enum.StrEnum):
    PRICE = "price"
    LEAD = "lead"
    NOTICE = "notice"
    DIGEST = "digest"
    REPLY = "reply"  # the answer to a message a producer (or an unknown number) sent
    REPORT = "report"  # to a CDE: the daily list of stale price series


class ChannelName(enum.StrEnum):
    TELEGRAM = "telegram"
    SMS = "sms"


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for next_attempt_at (now, or the end of quiet hours)
    SENDING = "sending"  # claimed by a dispatcher; its lease ends at next_attempt_at
    SENT = "sent"  # accepted by the channel
    DELIVERED = "delivered"  # the gateway confirmed delivery to the handset
    ERRORED = "errored"  # a transient error: retried at next_attempt_at
    FAILED = "failed"  # permanent, with the reason
    CANCELLED = "cancelled"  # by a CDE or admin, or with its notice
    HELD = "held"  # the country's daily SMS budget was reached: waits for an admin
    MERGED = "merged"  # not sent alone: goes into the producer's next digest


# Statuses in which a delivery may still be sent.
PENDING_STATUSES = (
    DeliveryStatus.QUEUED,
    DeliveryStatus.ERRORED,
    DeliveryStatus.HELD,
    DeliveryStatus.SENDING,
)


class Broadcast(SQLModel, table=True):
    # The storm brake counts the replies of the last minute on every inbound SMS.
    __table_args__ = (sa.Index("ix_broadcast_kind_created", "kind", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: BroadcastKind = Field(sa_column=enum_column(BroadcastKind, nullable=False))
    # What the broadcast is about ("price:42", "digest:7:2026-11-28"): at most one broadcast
    # per key, so a re-published price or a retried job never alerts anyone twice.
    key: str = Field(max_length=120, unique=True)
    countries: list[str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    price_id: int | None = Field(default=None, foreign_key="price_observation.id", index=True)
    lead_id: int | None = Field(default=None, foreign_key="buyer_lead.id", index=True)
    notice_id: int | None = Field(default=None, foreign_key="notice.id", index=True)
    # Everything needed to render the text again (a fallback SMS, a digest) even if the
    # catalogue entries it names are renamed or removed later.
    payload: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    urgent: bool = False
    created_by: str = Field(max_length=120)
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


class BroadcastText(SQLModel, table=True):
    """The text of a broadcast for one way of reading it, rendered once and shared."""

    __tablename__ = "broadcast_text"
    __table_args__ = (
        sa.UniqueConstraint("broadcast_id", "locale", "script", "digits", "plain_sms", "channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id")
    locale: str = Field(max_length=5)
    script: Script = Field(sa_column=enum_column(Script, nullable=False))
    digits: str = Field(max_length=8)
    plain_sms: bool
    channel: ChannelName = Field(sa_column=enum_column(ChannelName, nullable=False))
    text: str
    segments: int  # SMS segments; 0 for Telegram
    encoding: str = Field(max_length=8)  # gsm7 | ucs2 (SMS), or "" for Telegram


class Delivery(SQLModel, table=True):
    __table_args__ = (
        # The idempotency key: one delivery per broadcast, producer and channel.
        sa.UniqueConstraint("broadcast_id", "producer_id", "channel", name="uq_delivery_key"),
        sa.Index("ix_delivery_due", "status", "channel", "next_attempt_at"),
        # Answers (no address row) are claimed before alerts: found without reading past the
        # thousands of a broadcast's deliveries that are due too.
        sa.Index(
            "ix_delivery_answers_due",
            "status",
            "channel",
            "next_attempt_at",
            sqlite_where=sa.text("address_id IS NULL"),
            postgresql_where=sa.text("address_id IS NULL"),
        ),
        sa.Index("ix_delivery_producer_day", "producer_id", "created_at"),
        # The last day's deliveries, counted on the Today page.
        sa.Index("ix_delivery_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id")
    # Replies have no address: they go to the number that asked (to_urn), producer or not.
    producer_id: int | None = Field(default=None, foreign_key="producer.id")
    address_id: int | None = Field(default=None, foreign_key="address.id")
    to_urn: str | None = Field(default=None, max_length=64)
    country_code: str = Field(max_length=2)
    channel: ChannelName = Field(sa_column=enum_column(ChannelName, nullable=False))
    text_id: int = Field(foreign_key="broadcast_text.id")
    status: DeliveryStatus = Field(
        default=DeliveryStatus.QUEUED, sa_column=enum_column(DeliveryStatus, nullable=False)
    )
    silent: bool = False  # Telegram during quiet hours
    capped: bool = False  # counts towards the producer's daily cap
    budget_override: bool = False  # released by an admin past the SMS budget
    segments: int = 0
    cost: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(12, 6))
    attempts: int = 0
    # When to act next: send (queued), retry (errored), digest (merged); while `sending`, the
    # end of the claim's lease, after which another dispatcher takes the delivery over.
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    gateway_id: str | None = Field(default=None, max_length=100, index=True)
    reason: str | None = Field(default=None, max_length=500)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    merged_into: int | None = Field(default=None)  # the digest delivery it went into
    fallback_of: int | None = Field(default=None)  # the Telegram delivery this SMS replaces
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


class ChannelPace(SQLModel, table=True):
    """A channel's token bucket, in the database so its rate holds for every dispatcher."""

    __tablename__ = "channel_pace"

    channel: str = Field(primary_key=True, max_length=32)
    tokens: float = 0.0
    refreshed_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    paused_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class SmsSpend(SQLModel, table=True):
    """What a country's SMS cost on one local day, charged when a delivery is first claimed."""

    __tablename__ = "sms_spend"

    country_code: str = Field(primary_key=True, max_length=2)
    day: dt.date = Field(primary_key=True)
    spent: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(14, 6))
    held: int = 0


# --- requests -----------------------------------------------------------------------------------


class PreviewIn(StrictInput):
    """What to preview: exactly one of a published price, a verified lead or a notice."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"price_id": 42}]})

    price_id: Id | None = None
    lead_id: Id | None = None
    notice_id: Id | None = None
    notice: NoticeCreate | None = None  # a notice not yet saved, as it would be created

    @model_validator(mode="after")
    def _one(self) -> PreviewIn:
        given = [
            v for v in (self.price_id, self.lead_id, self.notice_id, self.notice) if v is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of price_id, lead_id, notice_id, notice")
        return self


class DeliverySelection(StrictInput):
    """Held (or pending) deliveries to release or cancel: by ids, or all of a country's."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"country": "MM"}]})

    ids: list[Id] | None = None
    country: str | None = None
    broadcast: Id | None = None

    @model_validator(mode="after")
    def _some(self) -> DeliverySelection:
        if not self.ids and self.country is None and self.broadcast is None:
            raise ValueError("give ids, a country or a broadcast")
        return self


# --- responses ----------------------------------------------------------------------------------


class VariantPreview(BaseModel):
    """One way recipients read the broadcast: the text they get and what it costs."""

    locale: str
    script: Script
    digits: str
    plain_sms: bool
    channel: ChannelName
    text: str
    segments: int = pydantic.Field(
        description="SMS segments of this text as the gateway bills them"
    )
    encoding: str = pydantic.Field(description="gsm7 or ucs2 on SMS; empty on Telegram")
    recipients: int
    merged: int = pydantic.Field(description="of those, going into digests rather than sent now")
    cost: Decimal = pydantic.Field(
        default=Decimal(0),
        description="what this variant's SMS sent now or after quiet hours cost, "
        "in MIC_SMS_COST_CURRENCY",
    )


class PreviewOut(BaseModel):
    """The alert a price, lead or notice triggers, before anything is queued."""

    kind: BroadcastKind
    already_sent: bool = pydantic.Field(
        description="the broadcast exists: publishing again sends nothing"
    )
    recipients: int
    by_channel: dict[str, int] = pydantic.Field(description="recipients per channel")
    by_locale: dict[str, int] = pydantic.Field(description="recipients per language")
    merged: int = pydantic.Field(description="recipients who get it in their digest")
    deferred: int = pydantic.Field(
        description="SMS waiting for the end of the recipient's quiet hours"
    )
    sms_segments: int = pydantic.Field(description="segments of every SMS sent alone, summed")
    cost: dict[str, Decimal] = pydantic.Field(description="per country, in MIC_SMS_COST_CURRENCY")
    currency: str
    texts: list[VariantPreview]
    # Notices: the languages some recipients want a text in that the notice does not have yet
    # (English for readers of a language in Latin letters), with those recipients' deliveries;
    # they would get the English (or first) text instead.
    untranslated: dict[str, int] = {}


class BroadcastPublic(BaseModel):
    id: int
    kind: BroadcastKind
    key: str
    countries: list[str]
    price_id: int | None
    lead_id: int | None
    notice_id: int | None
    urgent: bool
    created_by: str
    created_at: dt.datetime
    counts: dict[str, int]
    cost: Decimal


class DeliveryPublic(BaseModel):
    id: int
    broadcast_id: int
    producer_id: int | None
    urn: str
    country: str
    channel: ChannelName
    status: DeliveryStatus
    text: str
    silent: bool
    segments: int
    cost: Decimal
    attempts: int
    next_attempt_at: dt.datetime | None
    reason: str | None
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    merged_into: int | None
    fallback_of: int | None
    created_at: dt.datetime


class BudgetPublic(BaseModel):
    country: str
    day: dt.date
    budget: Decimal
    spent: Decimal
    currency: str
    held: int


class DeliveryCount(BaseModel):
    status: DeliveryStatus
    channel: ChannelName
    count: int


class FailureReason(BaseModel):
    reason: str  # numbers in it masked for viewers
    channel: ChannelName
    count: int
    last_at: dt.datetime


class DailyCost(BaseModel):
    day: dt.date  # the country's local day
    country: str
    spent: Decimal
    currency: str


class DeliverySummary(BaseModel):
    since: dt.datetime
    counts: list[DeliveryCount]
    failures: list[FailureReason]  # most frequent first
    costs: list[DailyCost]  # newest day first
