"""What producers sent and what they were answered: the record of every conversation turn."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from app.core import clock
from app.core.db import UTCDateTime


class InboundMessage(SQLModel, table=True):
    """A message as received, stored (and committed) before it is answered: intent, locale
    and replies are filled in by the answer, and answered_at says it was answered (or that no
    answer is due). An SMS still unanswered is answered again by a scheduled job."""

    __tablename__ = "inbound_message"

    id: int | None = Field(default=None, primary_key=True)
    urn: str = Field(max_length=64, index=True)
    channel: str = Field(max_length=16)  # sms, telegram, cli
    text: str = Field(max_length=1000)
    intent: str = Field(default="", max_length=16)  # "" until answered
    locale: str = Field(default="", max_length=5)  # "" until answered
    producer_id: int | None = Field(default=None, foreign_key="producer.id", index=True)
    replies: list[Any] = Field(default=[], sa_column=sa.Column(sa.JSON, nullable=False))
    # The gateway's id of the message, so a webhook delivered twice is answered once.
    external_id: str | None = Field(default=None, max_length=100, unique=True)
    received_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    answered_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Answers tried again by the job, so that one the code cannot answer is not tried forever.
    retries: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ChatState(SQLModel, table=True):
    """Where a multi-step conversation (Telegram registration) stands, in the database so that
    a restart or another replica continues where the producer was."""

    __tablename__ = "chat_state"

    urn: str = Field(primary_key=True, max_length=64)
    flow: str = Field(max_length=32)  # register
    step: str = Field(max_length=32)
    data: dict[str, Any] = Field(default={}, sa_column=sa.Column(sa.JSON, nullable=False))
    updated_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


# --- responses ----------------------------------------------------------------------------------


class MessageDirection(enum.StrEnum):
    IN = "in"  # the producer wrote to MIC
    OUT = "out"  # MIC sent (or is to send) to the producer


class ProducerMessage(BaseModel):
    """One message in or out of a producer's conversation with MIC. An inbound message has
    its `intent` (what it was read as); an outbound one its delivery's status and reason."""

    direction: MessageDirection
    id: int  # the inbound message's or the delivery's
    at: dt.datetime  # received, or queued
    channel: str
    text: str
    intent: str | None = None
    answered_at: dt.datetime | None = None
    status: str | None = None
    reason: str | None = None
    sent_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    segments: int = 0
    cost: Decimal = Decimal(0)


class ProducerMessagePage(BaseModel):
    items: list[ProducerMessage]
    # Pass as ?cursor= for older messages; null when there are none.
    next_cursor: str | None = None
