"""The audit trail: who changed what and when, filtered by who, what, entity and days, a page
at a time, each entry shown as the fields it changed with the records it names."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.accounts import audit
from app.api.deps import SessionDep
from app.console.changes import read_entries
from app.console.deps import ConsoleStaff
from app.core.i18n import N_
from app.core.ids import Id
from app.web.templates import render

router = APIRouter()

PAGE_SIZE: Final = 50
BAD_DAY: Final = N_("Write the days as year-month-day, for example 2026-05-31.")
DAYS_REVERSED: Final = N_("The first day must not come after the last day.")


def _day(text: str) -> dt.date | None:
    text = text.strip()
    return dt.date.fromisoformat(text) if text else None


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


@router.get("/audit")
async def audit_page(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    actor: Annotated[str, Query(max_length=120)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    entity: Annotated[str, Query(max_length=32)] = "",
    entity_id: Id | None = None,
    since: Annotated[str, Query(alias="from", max_length=10)] = "",
    until: Annotated[str, Query(alias="to", max_length=10)] = "",
    cursor: Id | None = None,
) -> Response:
    filters = {
        "actor": actor.strip(),
        "action": action.strip(),
        "entity": entity.strip(),
        "entity_id": "" if entity_id is None else str(entity_id),
        "from": since.strip(),
        "to": until.strip(),
    }
    error = None
    try:
        first, last = _day(since), _day(until)
    except ValueError:
        first = last = None
        error = BAD_DAY
    if error is None and first is not None and last is not None and first > last:
        error = DAYS_REVERSED
    if error is not None:
        # Nothing listed rather than a list that ignores what was asked.
        return render(
            request,
            "console/audit.html",
            status_code=422,
            filters=filters,
            entries=[],
            older=None,
            newest=None,
            error=error,
        )
    page = await audit.list_audit(
        session,
        staff=staff,
        actor=filters["actor"] or None,
        action=filters["action"] or None,
        entity=filters["entity"] or None,
        entity_id=entity_id,
        since=None if first is None else _start(first),
        # The last day is included: the range ends where the next day begins.
        until=None if last is None else _start(last + dt.timedelta(days=1)),
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    entries = await read_entries(session, page.items, staff=staff)
    query = {k: v for k, v in filters.items() if v}
    older = newest = None
    if page.next_cursor is not None:
        older = f"/console/audit?{urlencode({**query, 'cursor': page.next_cursor})}"
    if cursor is not None:
        newest = f"/console/audit?{urlencode(query)}"
    return render(
        request,
        "console/audit.html",
        filters=filters,
        entries=entries,
        older=older,
        newest=newest,
        error=None,
    )
