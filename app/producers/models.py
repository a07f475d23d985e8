"""Producers, their addresses (tel: and telegram: URNs) and subscriptions."""

from __future__ import annotations

import datetime as dt
import enum
import re
from decimal import Decimal
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator
from sqlmodel import Field, SQLModel

from app.core import clock
from app.core.db import UTCDateTime, enum_column
from app.core.inputs import StrictInput
from app.text.formatting import Script

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
_QUIET = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class ProducerKind(enum.StrEnum):
    FARMER = "farmer"
    FISHER = "fisher"
    WEAVER = "weaver"
    TEA_GROWER = "tea_grower"
    TRADER = "trader"


class ProducerRole(enum.StrEnum):
    REPORTER = "reporter"  # may send prices by Telegram or SMS
    TRUSTED_REPORTER = "trusted_reporter"  # ... which are published without review


class ProducerStatus(enum.StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"  # opted out: never messaged until they consent again


class Digits(enum.StrEnum):
    LATIN = "latin"
    NATIVE = "native"


class ConsentChannel(enum.StrEnum):
    TELEGRAM = "telegram"
    SMS = "sms"
    PAPER = "paper"  # a signed registration form kept by the cooperative
    VERBAL = "verbal"  # given to a CDE in person, who records it


class Rule(enum.StrEnum):
    EVERY = "every"
    CHANGE_PCT = "change_pct"
    ABOVE = "above"
    BELOW = "below"
    DIGEST = "digest"


class Producer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    country_code: str = Field(foreign_key="country.code", max_length=2, index=True)
    locale: str = Field(max_length=5)
    script: Script = Field(default=Script.UNICODE, sa_column=enum_column(Script, nullable=False))
    digits: Digits = Field(default=Digits.LATIN, sa_column=enum_column(Digits, nullable=False))
    # One cheap GSM-7 SMS without diacritics rather than a dearer one with them (Vietnamese).
    plain_sms: bool = False
    kind: ProducerKind = Field(sa_column=enum_column(ProducerKind, nullable=False))
    roles: list[str] = Field(default=[], sa_column=sa.Column(sa.JSON, nullable=False))
    status: ProducerStatus = Field(
        default=ProducerStatus.ACTIVE, sa_column=enum_column(ProducerStatus, nullable=False)
    )
    quiet_hours: str = Field(default="21:00-06:00", max_length=11)  # local time, HH:MM-HH:MM
    daily_cap: int = 5
    consent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    consent_channel: ConsentChannel | None = Field(
        default=None, sa_column=enum_column(ConsentChannel, nullable=True)
    )
    stopped_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


class Address(SQLModel, table=True):
    """How to reach a producer: `tel:+959250123789` or `telegram:123456789`."""

    id: int | None = Field(default=None, primary_key=True)
    producer_id: int = Field(foreign_key="producer.id", index=True)
    urn: str = Field(max_length=64, unique=True)
    active: bool = True
    # Per-recipient pacing: no message to this address before this time (the dispatcher sets
    # it when it claims a delivery and again after sending).
    next_send_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


class Subscription(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    producer_id: int = Field(foreign_key="producer.id", index=True)
    commodity_id: int = Field(foreign_key="commodity.id", index=True)
    variety_id: int | None = Field(default=None, foreign_key="variety.id")
    market_id: int | None = Field(default=None, foreign_key="market.id")
    rule: Rule = Field(sa_column=enum_column(Rule, nullable=False))
    threshold: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 4))
    digest_time: str | None = Field(default=None, max_length=5)  # local HH:MM
    leads: bool = False  # also wants verified buyer leads for this commodity
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


# --- requests -----------------------------------------------------------------------------------


class ConsentIn(StrictInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"channel": "paper"}]})

    channel: ConsentChannel
    at: dt.datetime | None = None  # defaults to now

    @field_validator("at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the time with its offset, e.g. 2026-11-27T09:30:00+06:30")
        return value


def check_quiet_hours(value: str | None) -> str | None:
    if value is not None and not _QUIET.match(value):
        raise ValueError(
            "quiet_hours is HH:MM-HH:MM in the producer's local time, e.g. 21:00-06:00"
        )
    return value


class ProducerFields(StrictInput):
    locale: Annotated[str, StringConstraints(max_length=5)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    telegram_chat_id: int | None = None
    kind: ProducerKind | None = None
    script: Script | None = None
    digits: Digits | None = None
    plain_sms: bool | None = None
    quiet_hours: str | None = None
    roles: list[ProducerRole] | None = None
    daily_cap: Annotated[int, Field(ge=0, le=50)] | None = None

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str | None) -> str | None:
        return check_quiet_hours(value)


class ProducerCreate(ProducerFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Daw Khin Myo",
                    "country": "MM",
                    "locale": "my",
                    "phone": "09 250 123 789",
                    "kind": "farmer",
                    "consent": {"channel": "paper"},
                }
            ]
        }
    )

    name: Name
    country: Annotated[
        str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=2, max_length=2)
    ]
    kind: ProducerKind
    consent: ConsentIn | None = None


class ProducerUpdate(ProducerFields):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"locale": "my", "script": "zawgyi", "digits": "native"}]}
    )

    name: Name | None = None


class StopIn(StrictInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"channel": "sms"}]})

    channel: ConsentChannel


class SubscriptionCreate(StrictInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"commodity": "mango", "market": "muse", "rule": "change_pct", "threshold": "10"}
            ]
        }
    )

    commodity: Name
    variety: Name | None = None
    market: Name | None = None
    rule: Rule = Rule.EVERY
    threshold: Decimal | None = None
    digest_time: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] | None = (
        None
    )
    leads: bool = False


# --- responses ----------------------------------------------------------------------------------


class SubscriptionPublic(BaseModel):
    id: int
    commodity: str
    variety: str | None
    market: str | None
    rule: Rule
    threshold: Decimal | None
    digest_time: str | None
    leads: bool


class ProducerPublic(BaseModel):
    id: int
    name: str
    country: str
    locale: str
    phone: str | None  # E.164, or masked (+95 9•••••789) for viewers
    telegram_chat_id: int | str | None  # masked (••••••789) for viewers
    kind: ProducerKind
    script: Script
    digits: Digits
    plain_sms: bool
    quiet_hours: str
    roles: list[str]
    daily_cap: int
    status: ProducerStatus
    consent_at: dt.datetime | None
    consent_channel: ConsentChannel | None
    stopped_at: dt.datetime | None
    created_at: dt.datetime
    subscriptions: list[SubscriptionPublic]
