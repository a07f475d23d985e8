"""Staff users and their API tokens (only keyed hashes of tokens are stored)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import ConfigDict, StringConstraints
from sqlmodel import Field, SQLModel

from app.core import clock
from app.core.db import UTCDateTime, enum_column
from app.core.inputs import StrictInput


class Role(enum.StrEnum):
    ADMIN = "admin"  # everything, in every country
    CDE = "cde"  # curates prices, leads, notices and producers of their countries
    VIEWER = "viewer"  # reads their countries; phone numbers masked


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    role: Role = Field(sa_column=enum_column(Role, nullable=False))
    # ISO country codes this user may see; empty for an admin, who sees all.
    countries: list[str] = Field(default=[], sa_column=sa.Column(sa.JSON, nullable=False))
    # Where reports to this person go (`tel:+95…` or `telegram:<chat id>`); personal data.
    contact: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    # The console: an argon2 hash (None: this user signs in with API tokens only), the language
    # of their pages, and what stops guessing (failures in a row, and until when they are locked).
    password_hash: str | None = Field(default=None, max_length=255)
    # A password someone else chose (`mic user create`, a reset) must be replaced at first use.
    password_is_temporary: bool = False
    locale: str = Field(default="en", max_length=8)
    failed_sign_ins: int = 0
    locked_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser. Only a keyed hash of its cookie is kept, as for API tokens."""

    __tablename__ = "console_session"

    id: int | None = Field(default=None, primary_key=True)
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    # Echoed by every form of this session; a page of another site cannot read it.
    csrf_secret: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    last_seen_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)  # the first characters, to tell tokens apart in listings
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    last_used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditLog(SQLModel, table=True):
    """Every change: who, what, when, and the entity before and after."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=120)  # Actor.name: a staff name, "producer:<id>", a URN...
    action: str = Field(max_length=64)  # e.g. price.publish
    entity: str = Field(max_length=32)
    entity_id: int
    country_code: str | None = Field(default=None, max_length=2, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON))

    __table_args__ = (sa.Index("ix_audit_log_entity", "entity", "entity_id"),)


class AuditPublic(SQLModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: int
    country: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class TokenPublic(SQLModel):
    id: int
    name: str
    role: Role
    countries: list[str]
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class StaffPublic(SQLModel):
    name: str
    role: Role
    countries: list[str] | None  # None: every country
    contact: str | None = None  # where reports reach them


class ContactUpdate(StrictInput):
    """Where your daily reports go: a phone number in international form or a Telegram chat id
    as `telegram:123456789`; null stops them."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"contact": "+959250123456"}]}
    )

    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None
