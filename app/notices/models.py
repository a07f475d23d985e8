"""Notices with their text per locale and the segment they target."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator
from sqlmodel import Field, SQLModel

from app.core import clock
from app.core.db import UTCDateTime, enum_column
from app.core.inputs import StrictInput

Slug = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
MAX_TEXT = 1000


class NoticeStatus(enum.StrEnum):
    DRAFT = "draft"  # no send time: waits for POST /notices/{id}/send (after a preview)
    SCHEDULED = "scheduled"  # sent by the dispatcher when send_at comes
    SENT = "sent"
    CANCELLED = "cancelled"


class Notice(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    texts: dict[str, str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    countries: list[str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    commodities: list[str] = Field(default=[], sa_column=sa.Column(sa.JSON, nullable=False))
    markets: list[str] = Field(default=[], sa_column=sa.Column(sa.JSON, nullable=False))
    urgent: bool = False
    send_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: NoticeStatus = Field(
        default=NoticeStatus.SCHEDULED, sa_column=enum_column(NoticeStatus, nullable=False)
    )
    created_by: str = Field(max_length=120)
    cancelled_by: str | None = Field(default=None, max_length=120)
    cancelled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


class NoticeCreate(StrictInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "texts": {
                        "en": "Muse 105th Mile gate closed today. Do not send trucks.",
                        "my": "မူဆယ် ၁၀၅ မိုင် ဂိတ် ယနေ့ ပိတ်ထားသည်။ ကုန်တင်ကား မပို့ပါနှင့်။",
                        "zh": "木姐105码口岸今日关闭，请勿发车。",
                    },
                    "countries": ["MM"],
                    "commodities": ["mango"],
                    "markets": ["muse"],
                    "urgent": True,
                }
            ]
        }
    )

    texts: dict[
        str,
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)],
    ]
    countries: list[
        Annotated[
            str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=2, max_length=2)
        ]
    ]
    commodities: list[Slug] = Field(default_factory=list)
    markets: list[Slug] = Field(default_factory=list)
    urgent: bool = False
    send_at: dt.datetime | None = None

    @field_validator("send_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give send_at with its offset, e.g. 2026-11-28T06:00:00+06:30")
        return value


class NoticePublic(BaseModel):
    id: int
    texts: dict[str, str]
    countries: list[str]
    commodities: list[str]
    markets: list[str]
    urgent: bool
    send_at: dt.datetime | None
    status: NoticeStatus
    created_by: str
    cancelled_by: str | None
    cancelled_at: dt.datetime | None
    created_at: dt.datetime
