"""What producers sent and what they were answered: the record of every conversation turn."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core import clock
from app.core.db import UTCDateTime


class InboundMessage(SQLModel, table=True):
    __tablename__ = "inbound_message"

    id: int | None = Field(default=None, primary_key=True)
    urn: str = Field(max_length=64, index=True)
    channel: str = Field(max_length=16)  # sms, telegram, cli
    text: str = Field(max_length=1000)
    intent: str = Field(max_length=16)
    locale: str = Field(max_length=5)
    producer_id: int | None = Field(default=None, foreign_key="producer.id", index=True)
    replies: list[Any] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    # The gateway's id of the message, so a webhook delivered twice is answered once.
    external_id: str | None = Field(default=None, max_length=100, unique=True)
    received_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


class ChatState(SQLModel, table=True):
    """Where a multi-step conversation (Telegram registration) stands, in the database so that
    a restart or another replica continues where the producer was."""

    __tablename__ = "chat_state"

    urn: str = Field(primary_key=True, max_length=64)
    flow: str = Field(max_length=32)  # register
    step: str = Field(max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    updated_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
