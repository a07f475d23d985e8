"""Source endpoints: configuration, running a source now, its run history, and the review list
of names it could not map."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response

from app.api.deps import SessionDep, SettingsDep, StaffDep
from app.core.ids import Id
from app.core.pagination import Page
from app.sources import service
from app.sources.models import (
    JobRunPublic,
    MapName,
    RunStatus,
    SourceCreate,
    SourcePublic,
    SourceUpdate,
    UnmappedPublic,
)

router = APIRouter(tags=["sources"])


class Runner(Protocol):
    async def spawn(self, source_id: int, run_id: int) -> None: ...


@router.post("/sources", status_code=201)
async def create_source(
    session: SessionDep, staff: StaffDep, settings: SettingsDep, data: SourceCreate
) -> SourcePublic:
    """A collector: `kind` says how `url` is read (a public http(s) address); `schedule` is a
    cron line in the country's time zone; a `trusted` source's prices are published at once
    unless implausible."""
    source = await service.create_source(
        session, data=data, staff=staff, allowed_hosts=settings.source_allowed_hosts
    )
    return await service.to_public(session, source)


@router.get("/sources")
async def list_sources(session: SessionDep, staff: StaffDep) -> list[SourcePublic]:
    return [
        await service.to_public(session, s)
        for s in await service.list_sources(session, staff=staff)
    ]


@router.get("/sources/{source_id}")
async def get_source(session: SessionDep, staff: StaffDep, source_id: Id) -> SourcePublic:
    source = await service.get_source(session, source_id=source_id, staff=staff)
    return await service.to_public(session, source)


@router.patch("/sources/{source_id}")
async def update_source(
    session: SessionDep, staff: StaffDep, settings: SettingsDep, source_id: Id, data: SourceUpdate
) -> SourcePublic:
    source = await service.update_source(
        session,
        source_id=source_id,
        data=data,
        staff=staff,
        allowed_hosts=settings.source_allowed_hosts,
    )
    return await service.to_public(session, source)


@router.delete("/sources/{source_id}", status_code=204)
async def delete_source(session: SessionDep, staff: StaffDep, source_id: Id) -> Response:
    """Only a source that never imported anything; disable the others."""
    await service.delete_source(session, source_id=source_id, staff=staff)
    return Response(status_code=204)


@router.post("/sources/{source_id}/run", status_code=202)
async def run_source(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    staff: StaffDep,
    source_id: Id,
) -> JobRunPublic:
    """Run it now, in the background: poll `GET /job-runs/{id}` for the outcome. 409 while a
    run of it is going on."""
    run = await service.start_manual_run(session, source_id=source_id, staff=staff)
    runner: Runner = request.app.state.source_runner
    # After the response, so after the run's row is committed for the run to find.
    background.add_task(runner.spawn, source_id, run.id or 0)
    return JobRunPublic(**run.model_dump())


@router.get("/sources/{source_id}/unmapped")
async def list_unmapped(
    session: SessionDep,
    staff: StaffDep,
    source_id: Id,
    include_mapped: Annotated[bool, Query(description="also the names mapped already")] = False,
) -> list[UnmappedPublic]:
    """Names the source used that no catalogue alias matches, with the rows held back for each."""
    return await service.list_unmapped(
        session, source_id=source_id, staff=staff, include_mapped=include_mapped
    )


@router.post("/sources/{source_id}/unmapped/{name_id}")
async def map_name(
    session: SessionDep, staff: StaffDep, source_id: Id, name_id: Id, data: MapName
) -> UnmappedPublic:
    """Map the name once: `{"target": "muse"}` adds an alias to that entry, `{"create": true}`
    creates the entry. The source's next run imports the rows it held back."""
    return await service.map_name(
        session, source_id=source_id, name_id=name_id, data=data, staff=staff
    )


@router.get("/job-runs")
async def list_job_runs(
    session: SessionDep,
    staff: StaffDep,
    source_id: Id | None = None,
    status: RunStatus | None = None,
    cursor: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[JobRunPublic]:
    """Newest first: each run's counts (seen, inserted, updated, unchanged, unmapped,
    rejected), its error, and the first problems with single rows."""
    return await service.list_runs(
        session, staff=staff, source_id=source_id, status=status, cursor=cursor, limit=limit
    )


@router.get("/job-runs/{run_id}")
async def get_job_run(session: SessionDep, staff: StaffDep, run_id: Id) -> JobRunPublic:
    return await service.get_run(session, run_id=run_id, staff=staff)
