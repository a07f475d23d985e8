"""Catalogue tables and their public shapes."""

from __future__ import annotations

import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import enum_column


class MarketKind(enum.StrEnum):
    BORDER = "border"
    WHOLESALE = "wholesale"
    RETAIL = "retail"
    FARMGATE = "farmgate"
    EXPORT = "export"


class Country(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=2)  # ISO 3166-1 alpha-2
    name: str = Field(max_length=80)
    currency: str = Field(max_length=3)  # ISO 4217
    timezone: str = Field(max_length=64)  # IANA, e.g. Asia/Yangon (UTC+06:30)
    default_locale: str = Field(max_length=5)


class Market(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    kind: MarketKind = Field(sa_column=enum_column(MarketKind, nullable=False))
    country_code: str = Field(foreign_key="country.code", max_length=2, index=True)
    timezone: str = Field(max_length=64)
    currency: str = Field(max_length=3)  # the currency quotes at this market usually come in
    latitude: float | None = None
    longitude: float | None = None
    description: str | None = Field(default=None, max_length=500)


class Commodity(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    default_unit_id: int | None = Field(default=None, foreign_key="unit.id")


class Variety(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("commodity_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    commodity_id: int = Field(foreign_key="commodity.id", index=True)
    slug: str = Field(max_length=64)
    name: str = Field(max_length=120)


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=80)
    # How many kilograms one unit is; None where no fixed weight exists (a piece).
    kg_factor: Decimal | None = Field(default=None, sa_type=sa.Numeric(14, 6))


# Each alias names exactly one thing; the column that is set says which kind of thing.
ALIAS_TARGETS = ("country_code", "market_id", "commodity_id", "variety_id", "unit_id")
_exactly_one_target = " + ".join(
    f"(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END)" for column in ALIAS_TARGETS
)


class Alias(SQLModel, table=True):
    """A name people use for a catalogue entry, in one locale and script.

    At most one alias per entry and locale is the display name; the others are what the
    command parser also recognises (spellings, transliterations, local abbreviations).
    """

    __table_args__ = (
        sa.CheckConstraint(f"{_exactly_one_target} = 1", name="one_target"),
        # NULLs are distinct in unique indexes, so each index only constrains its own kind.
        *(
            sa.Index(f"uq_alias_text_{column}", column, "locale", "normalized", unique=True)
            for column in ALIAS_TARGETS
        ),
        *(
            sa.Index(
                f"uq_alias_display_{column}",
                column,
                "locale",
                unique=True,
                sqlite_where=sa.text(f"is_display AND {column} IS NOT NULL"),
                postgresql_where=sa.text(f"is_display AND {column} IS NOT NULL"),
            )
            for column in ALIAS_TARGETS
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    locale: str = Field(max_length=8)  # a language, or a romanised one (km_Latn)
    text: str = Field(max_length=120)
    # Folded form (NFC, case-folded, diacritics removed) that matching compares against.
    normalized: str = Field(max_length=120, index=True)
    is_display: bool = False
    # The unique indexes above lead with each target column, so they also serve its look-ups.
    country_code: str | None = Field(default=None, foreign_key="country.code", max_length=2)
    market_id: int | None = Field(default=None, foreign_key="market.id")
    commodity_id: int | None = Field(default=None, foreign_key="commodity.id")
    variety_id: int | None = Field(default=None, foreign_key="variety.id")
    unit_id: int | None = Field(default=None, foreign_key="unit.id")


class CatalogueVersion(SQLModel, table=True):
    """One row counting changes of the catalogue (entries and their names), so that every
    process can keep its parser and index until the number moves, instead of rebuilding them
    per message or on a timer. Bumped by app.catalogue.version in the changing transaction."""

    __tablename__ = "catalogue_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 1


# --- public shapes -----------------------------------------------------------------------------


class CountryPublic(SQLModel):
    code: str
    name: str
    currency: str
    timezone: str
    default_locale: str
    names: dict[str, str]


class MarketPublic(SQLModel):
    slug: str
    name: str
    kind: MarketKind
    country: str
    timezone: str
    currency: str
    latitude: float | None
    longitude: float | None
    description: str | None
    names: dict[str, str]


class VarietyPublic(SQLModel):
    slug: str
    name: str
    names: dict[str, str]


class CommodityPublic(SQLModel):
    slug: str
    name: str
    default_unit: str | None
    names: dict[str, str]
    varieties: list[VarietyPublic]


class UnitPublic(SQLModel):
    code: str
    name: str
    kg_factor: Decimal | None
    names: dict[str, str]
