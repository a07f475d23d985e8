"""Buy and sell offers. The contact is personal data: shown to admins and the country's CDEs."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlmodel import Field, SQLModel

from app.core import clock
from app.core.db import UTCDateTime, enum_column
from app.core.inputs import StrictInput
from app.core.patch import Omittable
from app.prices import currencies
from app.prices.currencies import CurrencyCode

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class LeadKind(enum.StrEnum):
    BUY = "buy"  # a buyer wants the commodity
    SELL = "sell"  # a producer or cooperative offers it


class LeadStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CLOSED = "closed"


class BuyerLead(SQLModel, table=True):
    __tablename__ = "buyer_lead"

    id: int | None = Field(default=None, primary_key=True)
    kind: LeadKind = Field(sa_column=enum_column(LeadKind, nullable=False))
    commodity_id: int = Field(foreign_key="commodity.id", index=True)
    variety_id: int | None = Field(default=None, foreign_key="variety.id")
    # None only for a lead collected from a feed that did not say; a CDE sets it before verifying.
    quantity: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 4))
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    price: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 4))
    negotiable: bool = False
    currency: str | None = Field(default=None, max_length=3)
    destination: str | None = Field(default=None, max_length=120)
    buyer_name: str = Field(max_length=120)
    contact: str = Field(max_length=200)
    country_code: str = Field(foreign_key="country.code", max_length=2, index=True)
    status: LeadStatus = Field(
        default=LeadStatus.PENDING, sa_column=enum_column(LeadStatus, nullable=False, index=True)
    )
    expires_on: dt.date
    note: str | None = Field(default=None, max_length=500)
    created_by: str = Field(max_length=120)
    reviewed_by: str | None = Field(default=None, max_length=120)
    reviewed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str | None = Field(default=None, max_length=500)  # why rejected or closed
    source_id: int | None = Field(default=None, foreign_key="source.id", index=True)
    external_key: str | None = Field(default=None, max_length=200, unique=True)
    link: str | None = Field(default=None, max_length=500)  # where a collected lead was found
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


class LeadFields(StrictInput):
    variety: Short | None = None
    price: Decimal | None = None
    negotiable: bool | None = None
    currency: Annotated[CurrencyCode, StringConstraints(max_length=currencies.MAX_CHARS)] | None = (
        None
    )
    destination: Short | None = None
    expires_on: dt.date | None = None
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class LeadCreate(LeadFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "buy",
                    "commodity": "mango",
                    "variety": "sein-ta-lone",
                    "quantity": "20",
                    "unit": "tonne",
                    "price": "11800",
                    "currency": "CNY",
                    "destination": "Ruili",
                    "buyer_name": "Ruili Fruit Trading Co.",
                    "contact": "+86 692 000 0000",
                    "country": "MM",
                    "expires_on": "2026-12-15",
                }
            ]
        }
    )

    kind: LeadKind
    commodity: Short
    quantity: Decimal
    unit: Short
    buyer_name: Short
    contact: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    country: Annotated[
        str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=2, max_length=2)
    ]


class LeadUpdate(LeadFields):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"price": "12000", "note": "confirmed by phone"}]}
    )

    quantity: Omittable[Decimal] = None
    unit: Omittable[Short] = None
    buyer_name: Omittable[Short] = None
    contact: Omittable[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    ] = None
    expires_on: Omittable[dt.date] = None
    negotiable: Omittable[bool] = None


class LeadDecision(StrictInput):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Buyer could not show a licence"}]}
    )

    reason: Reason


class LeadClose(StrictInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Contract signed"}]})

    reason: Reason | None = None


class LeadPublic(BaseModel):
    id: int
    kind: LeadKind
    commodity: str
    variety: str | None
    quantity: Decimal | None
    unit: str | None
    price: Decimal | None
    negotiable: bool
    currency: str | None
    destination: str | None
    buyer_name: str
    contact: str | None  # null unless the caller may see personal data of this country
    country: str
    status: LeadStatus
    expires_on: dt.date
    note: str | None
    link: str | None  # where a collected lead was found
    created_by: str
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    reason: str | None
    created_at: dt.datetime
