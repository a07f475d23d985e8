"""Sources, job runs, and the review list of names a source used that the catalogue lacks."""

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
from app.core.patch import Omittable


class SourceKind(enum.StrEnum):
    WFP_HDX = "wfp_hdx"
    CBM_FX = "cbm_fx"
    CURRENCY_API = "currency_api"
    RSS_LEADS = "rss_leads"
    CSV_URL = "csv_url"
    HTML_TABLE = "html_table"


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing new upstream (304, or the same last_modified)
    ABANDONED = "abandoned"  # its process died mid-run


class RunTrigger(enum.StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"  # POST /sources/{id}/run
    CLI = "cli"  # mic collect, mic import


class NameKind(enum.StrEnum):
    MARKET = "market"
    COMMODITY = "commodity"
    UNIT = "unit"


class Source(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    kind: SourceKind = Field(sa_column=enum_column(SourceKind, nullable=False))
    # The country whose CDEs manage it and whose markets its rows name; None for a source that
    # is not about one country (exchange rates), which only admins manage.
    country_code: str | None = Field(default=None, foreign_key="country.code", max_length=2)
    url: str = Field(max_length=500)
    schedule: str = Field(max_length=64)  # cron, five fields, in the country's time zone (or UTC)
    mapping: dict[str, Any] = Field(default={}, sa_column=sa.Column(sa.JSON))
    trusted: bool = False  # its prices are published at once, unless implausible
    enabled: bool = True
    # What the server said last time, for conditional requests and skipping unchanged data.
    etag: str | None = Field(default=None, max_length=200)
    last_modified: str | None = Field(default=None, max_length=100)
    remote_version: str | None = Field(default=None, max_length=100)
    created_by: str = Field(max_length=120)
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


class JobRun(SQLModel, table=True):
    """One run of a job: a source's collection or a housekeeping job, with what it did."""

    __tablename__ = "job_run"
    __table_args__ = (
        # One run of a job at a time, across every process: a second start is refused.
        sa.Index(
            "uq_job_run_running",
            "job",
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64, index=True)  # "source:<id>" or a housekeeping job's id
    source_id: int | None = Field(default=None, foreign_key="source.id", index=True)
    # Whose CDEs see the run: the source's country, or the country a housekeeping run is about.
    country_code: str | None = Field(default=None, foreign_key="country.code", max_length=2)
    trigger: RunTrigger = Field(sa_column=enum_column(RunTrigger, nullable=False))
    status: RunStatus = Field(sa_column=enum_column(RunStatus, nullable=False))
    runner: str = Field(max_length=120)  # host:pid of the process that ran it
    started_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime, index=True)
    # Touched while the run goes on; a running run that stopped touching it lost its process.
    heartbeat_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    seen: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    unmapped: int = 0
    rejected: int = 0
    error: str | None = Field(default=None, max_length=2000)
    # The first problems with single rows ({"line", "reason"}), so a CDE can fix the source.
    problems: list[dict[str, Any]] = Field(default=[], sa_column=sa.Column(sa.JSON))


class UnmappedName(SQLModel, table=True):
    """A market, commodity or unit name a source used that no catalogue alias matches."""

    __tablename__ = "unmapped_name"
    __table_args__ = (sa.UniqueConstraint("source_id", "kind", "normalized"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    kind: NameKind = Field(sa_column=enum_column(NameKind, nullable=False))
    name: str = Field(max_length=120)
    normalized: str = Field(max_length=120)
    info: dict[str, Any] = Field(default={}, sa_column=sa.Column(sa.JSON))
    rows: int = 0  # rows waiting for this name
    first_seen: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    last_seen: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    mapped_to: str | None = Field(default=None, max_length=120)
    mapped_by: str | None = Field(default=None, max_length=120)
    mapped_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class StagedRow(SQLModel, table=True):
    """A row held back because a name in it is unmapped; every run tries it again."""

    __tablename__ = "staged_row"
    __table_args__ = (sa.UniqueConstraint("source_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    key: str = Field(max_length=200)
    record: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    reason: str = Field(max_length=300)
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


# --- requests -----------------------------------------------------------------------------------

Slug = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^https?://", max_length=500)
]
Cron = Annotated[str, StringConstraints(strip_whitespace=True, min_length=9, max_length=64)]

_SOURCE_EXAMPLE: dict[str, Any] = {
    "slug": "wfp-mm",
    "name": "WFP food prices, Myanmar (HDX)",
    "kind": "wfp_hdx",
    "country": "MM",
    "url": "https://data.humdata.org/api/3/action/package_show?id=wfp-food-prices-for-myanmar",
    "schedule": "30 6 * * *",
    "mapping": {"create_missing": ["market"]},
    "trusted": True,
}


class SourceCreate(StrictInput):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_SOURCE_EXAMPLE]})

    slug: Slug
    name: Name
    kind: SourceKind
    country: (
        Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=2)] | None
    ) = None
    url: Url
    schedule: Cron
    mapping: dict[str, Any] = Field(default_factory=dict)
    trusted: bool = False
    enabled: bool = True


class SourceUpdate(StrictInput):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"enabled": False}]})

    name: Omittable[Name] = None
    url: Omittable[Url] = None
    schedule: Omittable[Cron] = None
    mapping: dict[str, Any] | None = None
    trusted: Omittable[bool] = None
    enabled: Omittable[bool] = None


class MapName(StrictInput):
    """Map an unmapped name: to an existing catalogue entry (an alias is created), or to a new
    entry created from the name and what the source said about it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"target": "muse"}, {"create": True}]},
    )

    target: Name | None = None
    create: bool = False


# --- responses ----------------------------------------------------------------------------------


class SourcePublic(SQLModel):
    id: int
    slug: str
    name: str
    kind: SourceKind
    country: str | None
    url: str
    schedule: str
    mapping: dict[str, Any]
    trusted: bool
    enabled: bool
    last_modified: str | None
    remote_version: str | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    next_run_at: dt.datetime | None = None


class JobRunPublic(SQLModel):
    id: int
    job: str
    source_id: int | None
    country_code: str | None
    trigger: RunTrigger
    status: RunStatus
    runner: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    seen: int
    inserted: int
    updated: int
    unchanged: int
    unmapped: int
    rejected: int
    error: str | None
    problems: list[dict[str, Any]]


class UnmappedPublic(SQLModel):
    id: int
    kind: NameKind
    name: str
    info: dict[str, Any]
    rows: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    mapped_to: str | None
    mapped_by: str | None
    mapped_at: dt.datetime | None
