"""Sources: configuration (admins, and CDEs for their own countries), their run history, and
the review list where a CDE maps a name once so that every later run understands it."""

from __future__ import annotations

import datetime as dt
import os
import socket
import zoneinfo
from collections.abc import Collection

import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.models import Role
from app.accounts.service import Staff
from app.catalogue.models import Country
from app.catalogue.service import load_index
from app.core import clock
from app.core.db import core_table, run_core
from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.core.pagination import MAX_LIMIT, Page
from app.core.redact import excerpt
from app.sources.addresses import AddressRefused, check_url
from app.sources.ingest import Counts
from app.sources.mappings import check_mapping
from app.sources.models import (
    JobRun,
    JobRunPublic,
    MapName,
    NameKind,
    RunStatus,
    RunTrigger,
    Source,
    SourceCreate,
    SourceKind,
    SourcePublic,
    SourceUpdate,
    StagedRow,
    UnmappedName,
    UnmappedPublic,
)
from app.sources.names import NameMapper, add_alias, create_entry

# A running run beats every HEARTBEAT; one silent for ABANDONED_AFTER lost its process (killed,
# or its machine went), so it no longer blocks the next run of its job.
HEARTBEAT = dt.timedelta(seconds=20)
ABANDONED_AFTER = dt.timedelta(seconds=90)
ERROR_CHARS = 300
PROBLEM_CHARS = 200


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def job_id(source: Source) -> str:
    return f"source:{source.id}"


def check_schedule(schedule: str, timezone: str = "UTC") -> CronTrigger:
    try:
        return CronTrigger.from_crontab(schedule, timezone=zoneinfo.ZoneInfo(timezone))
    except ValueError as exc:
        raise InvalidInput(
            f"schedule {schedule!r} is not a cron line of five fields "
            f"(minute hour day month weekday), e.g. '30 6 * * *': {exc}"
        ) from exc


def check_source_url(url: str, allowed_hosts: Collection[str]) -> None:
    try:
        check_url(url, allowed_hosts)
    except AddressRefused as exc:
        raise InvalidInput(str(exc)) from None


def check_access(staff: Staff, country: str | None, what: str) -> None:
    staff.require_writer()
    if country is None:
        if staff.role is not Role.ADMIN:
            raise Forbidden(f"{what} belongs to no country; only admins manage it")
        return
    staff.check_country(country, what)


def managed_in_scope(staff: Staff) -> sa.ColumnElement[bool]:
    """check_access() for every source at once: the sources whose names and runs the staff
    member manages (a source of no country is admins' only)."""
    if staff.role is Role.ADMIN and staff.countries is None:
        return sa.true()
    country = col(Source.country_code)
    if staff.role is Role.ADMIN:
        return sa.or_(country.is_(None), country.in_(staff.countries or ()))
    return country.in_(staff.countries or ())


async def _timezone(session: AsyncSession, country: str | None) -> str:
    if country is None:
        return "UTC"
    found = await session.get(Country, country)
    if found is None:
        raise InvalidInput(f"unknown country {country!r}")
    return found.timezone


async def next_run_at(session: AsyncSession, source: Source) -> dt.datetime | None:
    if not source.enabled:
        return None
    trigger = check_schedule(source.schedule, await _timezone(session, source.country_code))
    fire = trigger.get_next_fire_time(None, clock.utcnow())
    return None if fire is None else fire.astimezone(dt.UTC)


async def to_public(session: AsyncSession, source: Source) -> SourcePublic:
    return SourcePublic(
        **source.model_dump(exclude={"country_code", "etag"}),
        country=source.country_code,
        next_run_at=await next_run_at(session, source),
    )


async def create_source(
    session: AsyncSession,
    *,
    data: SourceCreate,
    staff: Staff,
    allowed_hosts: Collection[str] = (),
) -> Source:
    """`allowed_hosts`: private hosts the source may name (MIC_SOURCE_ALLOWED_HOSTS)."""
    check_access(staff, data.country, f"source {data.slug}")
    check_source_url(data.url, allowed_hosts)
    if (
        data.kind
        in (SourceKind.WFP_HDX, SourceKind.RSS_LEADS, SourceKind.CSV_URL, SourceKind.HTML_TABLE)
        and data.country is None
    ):
        raise InvalidInput(
            f"a {data.kind} source needs its country: its rows name that country's markets"
        )
    check_schedule(data.schedule, await _timezone(session, data.country))
    if (await session.exec(select(Source.id).where(Source.slug == data.slug))).first():
        raise Conflict(f"a source {data.slug!r} already exists")
    source = Source(
        **data.model_dump(exclude={"country", "mapping"}),
        country_code=data.country,
        mapping=check_mapping(data.kind, data.mapping),
        created_by=staff.name,
    )
    await audit.save(
        session,
        source,
        actor=staff,
        action="source.create",
        entity="source",
        country=source.country_code,
    )
    return source


async def get_source(session: AsyncSession, *, source_id: int, staff: Staff) -> Source:
    source = await session.get(Source, source_id)
    if source is None:
        raise NotFound(f"no source {source_id}")
    if source.country_code is not None:
        staff.check_country(source.country_code, f"source {source_id}")
    return source


async def find_source(session: AsyncSession, ref: str) -> Source:
    """A source by id or slug, for the command line."""
    query = (
        select(Source).where(Source.id == int(ref))
        if ref.isdigit()
        else select(Source).where(Source.slug == ref)
    )
    source = (await session.exec(query)).first()
    if source is None:
        raise NotFound(f"no source {ref!r}; `GET /api/v1/sources` lists them")
    return source


async def source_names(session: AsyncSession, ids: Collection[int]) -> dict[int, str]:
    """Sources' names by id: anyone may read where a published price came from, by name."""
    if not ids:
        return {}
    rows = await session.exec(select(Source.id, Source.name).where(col(Source.id).in_(ids)))
    return {source_id: name for source_id, name in rows if source_id is not None}


async def list_sources(session: AsyncSession, *, staff: Staff) -> list[Source]:
    rows = (await session.exec(select(Source).order_by(col(Source.id)))).all()
    return [s for s in rows if s.country_code is None or staff.can_see(s.country_code)]


async def update_source(
    session: AsyncSession,
    *,
    source_id: int,
    data: SourceUpdate,
    staff: Staff,
    allowed_hosts: Collection[str] = (),
) -> Source:
    source = await get_source(session, source_id=source_id, staff=staff)
    check_access(staff, source.country_code, f"source {source_id}")
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("nothing to change: send at least one field")
    if "schedule" in changes:
        check_schedule(changes["schedule"], await _timezone(session, source.country_code))
    if changes.get("url") is not None:
        check_source_url(changes["url"], allowed_hosts)
    if "mapping" in changes:
        changes["mapping"] = check_mapping(source.kind, changes["mapping"] or {})
    before = audit.snapshot(source)
    if "url" in changes and changes["url"] != source.url:
        # A new place: fetch it whole, without the old place's ETag or version.
        source.etag = source.last_modified = source.remote_version = None
    for name, value in changes.items():
        setattr(source, name, value)
    source.updated_at = clock.utcnow()
    await audit.save(
        session,
        source,
        actor=staff,
        action="source.update",
        entity="source",
        country=source.country_code,
        before=before,
    )
    return source


async def delete_source(session: AsyncSession, *, source_id: int, staff: Staff) -> None:
    """Only a source that never imported anything goes; others are disabled instead, so that
    every price keeps saying where it came from."""
    source = await get_source(session, source_id=source_id, staff=staff)
    check_access(staff, source.country_code, f"source {source_id}")
    runs = core_table(JobRun)
    imported = await run_core(
        session,
        sa.select(sa.func.count())
        .select_from(runs)
        .where(runs.c.source_id == source_id, runs.c.inserted > 0),
    )
    if imported.scalar_one():
        raise Conflict(f"source {source_id} has imported data; disable it instead (enabled: false)")
    before = audit.snapshot(source)
    for table in (runs, core_table(UnmappedName), core_table(StagedRow)):
        await run_core(session, table.delete().where(table.c.source_id == source_id))
    await session.delete(source)
    audit.record(
        session,
        actor=staff,
        action="source.delete",
        entity="source",
        entity_id=source_id,
        country=source.country_code,
        before=before,
    )
    await session.flush()


# --- runs ---------------------------------------------------------------------------------------


async def start_run(
    session: AsyncSession,
    *,
    job: str,
    source_id: int | None,
    country: str | None,
    trigger: RunTrigger,
) -> JobRun:
    """Record that a job starts; refused while another run of it is going on anywhere."""
    runs = core_table(JobRun)
    await run_core(
        session,
        runs.update()
        .where(
            runs.c.job == job,
            runs.c.status == RunStatus.RUNNING,
            runs.c.heartbeat_at < clock.utcnow() - ABANDONED_AFTER,
        )
        .values(
            status=RunStatus.ABANDONED,
            finished_at=clock.utcnow(),
            error="its process stopped before it finished",
        ),
    )
    try:
        async with session.begin_nested():
            inserted = await run_core(
                session,
                runs.insert()
                .values(
                    job=job,
                    source_id=source_id,
                    country_code=country,
                    trigger=trigger,
                    status=RunStatus.RUNNING,
                    runner=runner_name(),
                    started_at=clock.utcnow(),
                    heartbeat_at=clock.utcnow(),
                    problems=[],
                )
                .returning(runs.c.id),
            )
            run_id = inserted.scalar_one()
    except IntegrityError:
        running = (
            await session.exec(
                select(JobRun).where(JobRun.job == job, JobRun.status == RunStatus.RUNNING)
            )
        ).first()
        since = (
            f" since {running.started_at:%Y-%m-%d %H:%M} UTC on {running.runner}" if running else ""
        )
        raise Conflict(f"{job} is already running{since}") from None
    run = await session.get(JobRun, run_id)
    assert run is not None
    return run


async def start_manual_run(session: AsyncSession, *, source_id: int, staff: Staff) -> JobRun:
    source = await get_source(session, source_id=source_id, staff=staff)
    check_access(staff, source.country_code, f"source {source_id}")
    return await start_run(
        session,
        job=job_id(source),
        source_id=source_id,
        country=source.country_code,
        trigger=RunTrigger.MANUAL,
    )


async def beat(session: AsyncSession, run_id: int) -> None:
    runs = core_table(JobRun)
    await run_core(
        session, runs.update().where(runs.c.id == run_id).values(heartbeat_at=clock.utcnow())
    )


def finish_run(run: JobRun, counts: Counts, *, status: RunStatus, error: str | None = None) -> None:
    run.status = status
    run.finished_at = clock.utcnow()
    # CDEs read these: a short quote of what went wrong, never the upstream answer itself (a
    # source aimed at a private service would otherwise hand its answer over).
    run.error = excerpt(error, ERROR_CHARS) if error else None
    for name in ("seen", "inserted", "updated", "unchanged", "unmapped", "rejected"):
        setattr(run, name, getattr(counts, name))
    run.problems = [
        {"line": p.line, "reason": excerpt(p.reason, PROBLEM_CHARS)} for p in counts.problems
    ]


def runs_in_scope(staff: Staff) -> sa.ColumnElement[bool]:
    """The job runs a staff member sees: their countries' (a run about no country, such as the
    exchange rates', only with every country)."""
    if staff.countries is None:
        return sa.true()
    return col(JobRun.country_code).in_(staff.countries)


async def list_runs(
    session: AsyncSession,
    *,
    staff: Staff,
    source_id: int | None = None,
    status: RunStatus | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[JobRunPublic]:
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(JobRun).order_by(col(JobRun.id).desc()).limit(limit + 1)
    if source_id is not None:
        await get_source(session, source_id=source_id, staff=staff)
        query = query.where(JobRun.source_id == source_id)
    else:
        query = query.where(runs_in_scope(staff))
    if status is not None:
        query = query.where(JobRun.status == status)
    if cursor is not None:
        query = query.where(col(JobRun.id) < cursor)
    rows = list((await session.exec(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[JobRunPublic(**r.model_dump()) for r in rows],
        next_cursor=rows[-1].id if more and rows else None,
    )


async def get_run(session: AsyncSession, *, run_id: int, staff: Staff) -> JobRunPublic:
    run = await session.get(JobRun, run_id)
    if run is None:
        raise NotFound(f"no job run {run_id}")
    if run.country_code is not None:
        staff.check_country(run.country_code, f"job run {run_id}")
    elif staff.countries is not None:
        raise Forbidden(f"job run {run_id} belongs to no country; only admins see it")
    return JobRunPublic(**run.model_dump())


# --- review of unmapped names -------------------------------------------------------------------


async def list_unmapped(
    session: AsyncSession, *, source_id: int, staff: Staff, include_mapped: bool = False
) -> list[UnmappedPublic]:
    await get_source(session, source_id=source_id, staff=staff)
    query = select(UnmappedName).where(UnmappedName.source_id == source_id)
    if not include_mapped:
        query = query.where(col(UnmappedName.mapped_to).is_(None))
    rows = (
        await session.exec(query.order_by(col(UnmappedName.rows).desc(), col(UnmappedName.id)))
    ).all()
    return [UnmappedPublic(**r.model_dump()) for r in rows]


async def map_name(
    session: AsyncSession, *, source_id: int, name_id: int, data: MapName, staff: Staff
) -> UnmappedPublic:
    """Name an external name once: an alias to an existing entry, or a new entry. The rows it
    held back are imported by the source's next run."""
    source = await get_source(session, source_id=source_id, staff=staff)
    check_access(staff, source.country_code, f"source {source_id}")
    entry = await session.get(UnmappedName, name_id)
    if entry is None or entry.source_id != source_id:
        raise NotFound(f"source {source_id} has no unmapped name {name_id}")
    if entry.mapped_to is not None:
        raise Conflict(f"{entry.kind} {entry.name!r} is already mapped to {entry.mapped_to}")
    if (data.target is None) == (not data.create):
        raise InvalidInput('give either "target" (a catalogue slug or name) or "create": true')
    before = audit.snapshot(entry)
    if data.create:
        if entry.kind is NameKind.MARKET and source.country_code is None:
            raise InvalidInput("a market needs its source's country")
        slug = await create_entry(
            session, source=source, kind=entry.kind, name=entry.name, info=entry.info
        )
    else:
        assert data.target is not None
        slug = await _alias_to(session, source, entry, data.target)
    entry.mapped_to, entry.mapped_by, entry.mapped_at = slug, staff.name, clock.utcnow()
    await audit.save(
        session,
        entry,
        actor=staff,
        action="source.map_name",
        entity="unmapped_name",
        country=source.country_code,
        before=before,
    )
    return UnmappedPublic(**entry.model_dump())


async def _alias_to(session: AsyncSession, source: Source, entry: UnmappedName, target: str) -> str:
    index = await load_index(session)
    mapper = NameMapper(index, source.country_code)
    if entry.kind is NameKind.MARKET:
        market_id = mapper.market(target)
        if market_id is None:
            raise InvalidInput(f"no market {target!r} in {source.country_code}")
        add_alias(session, "market_id", market_id, entry.name)
        return index.market_by_id[market_id].slug
    if entry.kind is NameKind.UNIT:
        unit = index.unit(target)
        add_alias(session, "unit_id", unit.id, entry.name)
        return unit.code
    found = mapper.commodity(target)
    if found is None:
        raise InvalidInput(f"no commodity or variety {target!r}")
    commodity_id, variety_id = found
    if variety_id is not None:
        add_alias(session, "variety_id", variety_id, entry.name)
        variety = index.variety_by_id[variety_id]
        return f"{index.commodity_by_id[commodity_id].slug}/{variety.slug}"
    add_alias(session, "commodity_id", commodity_id, entry.name)
    return index.commodity_by_id[commodity_id].slug
