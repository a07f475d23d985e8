"""Sources: the list, one source with its last runs and the review list of names it could not
map, switching a source on or off, running it now, and a run followed until it ends. Every
action calls what the sources API calls, so it is checked and audited the same way."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.api.deps import SessionDep
from app.catalogue.service import country_zones, list_commodities, list_markets, list_units
from app.console.deps import ConsoleStaff, CsrfChecked
from app.core.errors import Conflict, InvalidInput
from app.core.i18n import N_
from app.core.ids import Id
from app.sources import service
from app.sources.api import Runner
from app.sources.models import MapName, NameKind, RunStatus, SourceUpdate
from app.web.page import locale_of
from app.web.templates import render

router = APIRouter()

SOURCES: Final = "/console/sources"
RUNS_SHOWN: Final = 10
# How often a running run's page asks again: a run takes seconds to minutes.
REFRESH_SECONDS: Final = 3

STATUSES: Final = {
    RunStatus.RUNNING: N_("Running"),
    RunStatus.SUCCEEDED: N_("Succeeded"),
    RunStatus.FAILED: N_("Failed"),
    RunStatus.SKIPPED: N_("Nothing new"),
    RunStatus.ABANDONED: N_("Abandoned"),
}
NAME_KINDS: Final = {
    NameKind.MARKET: N_("Market"),
    NameKind.COMMODITY: N_("Commodity"),
    NameKind.UNIT: N_("Unit"),
}
SAVED: Final = {
    "enabled": N_("The source is enabled: it runs on its schedule."),
    "disabled": N_("The source is disabled: it no longer runs on its schedule."),
    "mapped": N_("The name is mapped. The source's next run imports the rows it held back."),
}
ALREADY_RUNNING: Final = N_("This source is running already. Wait for the run to end.")
CHOOSE_ONE: Final = N_("Choose an existing entry, or create a new one, not both.")
NO_SUCH_ENTRY: Final = N_("No catalogue entry has that name. Choose one from the list.")
ALREADY_MAPPED: Final = N_("This name is mapped already.")
CANNOT_CREATE: Final = N_("MIC cannot create a catalogue entry from this name.")


def _zone(zones: dict[str, str], country: str | None) -> str:
    return zones.get(country or "", "UTC")


@router.get("/sources")
async def sources_page(request: Request, session: SessionDep, staff: ConsoleStaff) -> Response:
    sources = [
        await service.to_public(session, s)
        for s in await service.list_sources(session, staff=staff)
    ]
    last_runs = {}
    for source in sources:
        runs = await service.list_runs(session, staff=staff, source_id=source.id, limit=1)
        last_runs[source.id] = runs.items[0] if runs.items else None
    return render(
        request,
        "console/sources.html",
        sources=sources,
        last_runs=last_runs,
        statuses=STATUSES,
        zones=await country_zones(session),
    )


async def _targets(
    session: AsyncSession, country: str | None, locale: str
) -> dict[NameKind, list[tuple[str, str]]]:
    """What an unmapped name may be mapped to, per kind: (the text the mapping accepts, what
    the reader sees)."""
    markets = await list_markets(session, country=country, locale=locale) if country else []
    commodities = await list_commodities(session, locale=locale)
    return {
        NameKind.MARKET: [(m.slug, f"{m.name} ({m.slug})") for m in markets],
        NameKind.COMMODITY: [(c.slug, f"{c.name} ({c.slug})") for c in commodities],
        NameKind.UNIT: [(u.code, f"{u.name} ({u.code})") for u in await list_units(session)],
    }


async def _source_page(
    request: Request,
    session: AsyncSession,
    staff: Staff,
    source_id: int,
    *,
    status_code: int = 200,
    notice: str | None = None,
    error: str | None = None,
    error_detail: str | None = None,
    error_name: int | None = None,
) -> Response:
    source = await service.to_public(
        session, await service.get_source(session, source_id=source_id, staff=staff)
    )
    runs = await service.list_runs(session, staff=staff, source_id=source_id, limit=RUNS_SHOWN)
    unmapped = await service.list_unmapped(session, source_id=source_id, staff=staff)
    return render(
        request,
        "console/source.html",
        status_code=status_code,
        source=source,
        runs=runs.items,
        unmapped=unmapped,
        targets=await _targets(session, source.country, locale_of(request)) if unmapped else {},
        statuses=STATUSES,
        name_kinds=NAME_KINDS,
        zone=_zone(await country_zones(session), source.country),
        can_change=staff.can_write,
        notice=notice,
        error=error,
        error_detail=error_detail,
        error_name=error_name,
    )


@router.get("/sources/{source_id}")
async def source_page(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    source_id: Id,
    saved: str | None = None,
) -> Response:
    return await _source_page(request, session, staff, source_id, notice=SAVED.get(saved or ""))


@router.post("/sources/{source_id}/enabled", dependencies=[CsrfChecked])
async def switch_source(
    session: SessionDep,
    staff: ConsoleStaff,
    source_id: Id,
    enabled: Annotated[bool, Form()],
) -> Response:
    await service.update_source(
        session, source_id=source_id, data=SourceUpdate(enabled=enabled), staff=staff
    )
    saved = "enabled" if enabled else "disabled"
    return RedirectResponse(f"{SOURCES}/{source_id}?saved={saved}", status_code=303)


@router.post("/sources/{source_id}/run", dependencies=[CsrfChecked])
async def run_source(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    staff: ConsoleStaff,
    source_id: Id,
) -> Response:
    try:
        run = await service.start_manual_run(session, source_id=source_id, staff=staff)
    except Conflict:
        return await _source_page(
            request, session, staff, source_id, status_code=409, error=ALREADY_RUNNING
        )
    runner: Runner = request.app.state.source_runner
    # After the response, so after the run's row is committed for the run to find.
    background.add_task(runner.spawn, source_id, run.id or 0)
    return RedirectResponse(f"/console/runs/{run.id}", status_code=303)


@router.get("/runs/{run_id}")
async def run_page(
    request: Request, session: SessionDep, staff: ConsoleStaff, run_id: Id
) -> Response:
    run = await service.get_run(session, run_id=run_id, staff=staff)
    return render(
        request,
        "console/run.html",
        run=run,
        statuses=STATUSES,
        zone=_zone(await country_zones(session), run.country_code),
        refresh=REFRESH_SECONDS if run.status is RunStatus.RUNNING else None,
    )


@router.post("/sources/{source_id}/unmapped/{name_id}", dependencies=[CsrfChecked])
async def map_name(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    source_id: Id,
    name_id: Id,
    target: Annotated[str, Form(max_length=120)] = "",
    create: Annotated[bool, Form()] = False,
) -> Response:
    target = target.strip()
    if bool(target) == create:
        return await _source_page(
            request,
            session,
            staff,
            source_id,
            status_code=422,
            error=CHOOSE_ONE,
            error_name=name_id,
        )
    try:
        # A nested transaction: a refused mapping leaves nothing of itself behind.
        async with session.begin_nested():
            await service.map_name(
                session,
                source_id=source_id,
                name_id=name_id,
                data=MapName(target=target or None, create=create),
                staff=staff,
            )
    except Conflict:
        return await _source_page(
            request, session, staff, source_id, status_code=409, error=ALREADY_MAPPED
        )
    except InvalidInput as refused:
        return await _source_page(
            request,
            session,
            staff,
            source_id,
            status_code=422,
            error=CANNOT_CREATE if create else NO_SUCH_ENTRY,
            error_detail=str(refused.detail),
            error_name=name_id,
        )
    return RedirectResponse(f"{SOURCES}/{source_id}?saved=mapped", status_code=303)
