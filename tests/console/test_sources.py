"""The Sources pages: the list, a source with its runs and names to review, switching it on and
off, running it now and following the run, mapping a name; each refused the way the API
refuses it, with nothing changed."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import httpx
import pytest
from sqlmodel import col, select

from app.accounts.models import AuditLog
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.sources.models import (
    JobRun,
    NameKind,
    RunStatus,
    RunTrigger,
    Source,
    SourceKind,
    UnmappedName,
)
from tests.console.conftest import Users, csrf_of, sign_in
from tests.fakes.upstream import LOOPBACK, FakeUpstream
from tests.sources.conftest import MUSE_BOARD_MAPPING

REFRESH = '<meta http-equiv="refresh"'
_RUN_URL = re.compile(r"^/console/runs/(\d+)$")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The fake upstream listens on loopback, allowed here as an on-premise portal would be."""
    return settings.model_copy(update={"source_allowed_hosts": [LOOPBACK]})


def muse_board(upstream: FakeUpstream) -> str:
    day = (clock.today("Asia/Yangon") - dt.timedelta(days=2)).isoformat()
    upstream.route(
        "/muse.csv",
        "Date,Market,Product,Variety,Price (CNY/tonne)\n"
        f"{day},Muse,Mango,Sein Ta Lone,12600\n"
        f"{day},Muse,Mango,Mya Kyauk,9800\n",
    )
    return f"{upstream.url}/muse.csv"


async def add_source(
    database: Database, url: str, *, country: str = "MM", slug: str = "muse-board"
) -> int:
    async with database.session() as session:
        source = Source(
            slug=slug,
            name=f"Muse board {country}",
            kind=SourceKind.CSV_URL,
            country_code=country,
            url=url,
            schedule="30 6 * * *",
            mapping=MUSE_BOARD_MAPPING,
            trusted=True,
            created_by="test",
        )
        session.add(source)
        await session.flush()
        assert source.id is not None
        return source.id


async def post_form(
    client: httpx.AsyncClient, page_path: str, action: str, **data: str
) -> httpx.Response:
    """Open the page and post one of its forms, as a browser does."""
    page = await client.get(page_path)
    assert page.status_code == 200, page.text
    return await client.post(action, data={**data, "csrf_token": csrf_of(page)})


async def run_to_the_end(client: httpx.AsyncClient, source_id: int) -> tuple[int, str]:
    """Press Run now, then follow the run's page (which refreshes itself while it runs) until
    the run has ended; the run's id and its final page."""
    started = await post_form(
        client, f"/console/sources/{source_id}", f"/console/sources/{source_id}/run"
    )
    assert started.status_code == 303, started.text
    found = _RUN_URL.match(started.headers["location"])
    assert found is not None, started.headers["location"]
    async with asyncio.timeout(30):
        while True:
            page = await client.get(started.headers["location"])
            assert page.status_code == 200, page.text
            if REFRESH not in page.text:
                return int(found.group(1)), page.text
            await asyncio.sleep(0.05)


async def _run(database: Database, run_id: int) -> JobRun:
    async with database.read_session() as session:
        run = await session.get(JobRun, run_id)
    assert run is not None
    return run


async def _names(database: Database, source_id: int) -> list[UnmappedName]:
    async with database.read_session() as session:
        return list(
            (
                await session.exec(select(UnmappedName).where(UnmappedName.source_id == source_id))
            ).all()
        )


async def test_a_name_mapped_on_the_page_is_imported_by_the_next_run(
    client: httpx.AsyncClient, users: Users, database: Database, upstream: FakeUpstream
) -> None:
    source_id = await add_source(database, muse_board(upstream))
    await sign_in(client, users.admin)
    first_id, first_page = await run_to_the_end(client, source_id)
    first = await _run(database, first_id)
    assert (first.status, first.inserted, first.unmapped) == (RunStatus.SUCCEEDED, 1, 1)
    assert "Succeeded" in first_page and "Waiting for a name" in first_page

    page = await client.get(f"/console/sources/{source_id}")
    assert "Mango (Mya Kyauk)" in page.text and "1 row waits for it." in page.text
    assert '<option value="mango">' in page.text  # the catalogue entries it may be mapped to
    [name] = await _names(database, source_id)
    mapped = await post_form(
        client,
        f"/console/sources/{source_id}",
        f"/console/sources/{source_id}/unmapped/{name.id}",
        target="mango",
    )
    assert (mapped.status_code, mapped.headers["location"]) == (
        303,
        f"/console/sources/{source_id}?saved=mapped",
    )
    after = await client.get(mapped.headers["location"])
    assert "The name is mapped." in after.text and "Mango (Mya Kyauk)" not in after.text
    [name] = await _names(database, source_id)
    assert (name.mapped_to, name.mapped_by) == ("mango", users.admin)
    async with database.read_session() as session:
        audited = (
            await session.exec(select(AuditLog).where(AuditLog.action == "source.map_name"))
        ).one()
    assert (audited.actor, audited.entity_id) == (users.admin, name.id)

    second_id, _ = await run_to_the_end(client, source_id)
    second = await _run(database, second_id)
    assert (second.inserted, second.unchanged, second.unmapped) == (1, 1, 0)


async def test_the_list_shows_each_source_with_its_schedule_and_last_run(
    client: httpx.AsyncClient, users: Users, database: Database, upstream: FakeUpstream
) -> None:
    mm = await add_source(database, muse_board(upstream))
    kh = await add_source(database, f"{upstream.url}/kh.csv", country="KH", slug="kh-board")
    await sign_in(client, users.admin)
    listed = await client.get("/console/sources")
    assert listed.status_code == 200
    assert f'href="/console/sources/{mm}"' in listed.text
    assert f'href="/console/sources/{kh}"' in listed.text
    assert "csv_url" in listed.text and "<code>30 6 * * *</code>" in listed.text
    assert "Never run" in listed.text
    run_id, _ = await run_to_the_end(client, mm)
    listed = await client.get("/console/sources")
    assert f'<a href="/console/runs/{run_id}">Succeeded</a>' in listed.text

    # A Cambodian CDE's list holds Cambodia's sources only.
    await client.post("/console/sign-out", data={"csrf_token": csrf_of(listed)})
    await sign_in(client, users.cde_kh)
    theirs = await client.get("/console/sources")
    assert f'href="/console/sources/{kh}"' in theirs.text
    assert f'href="/console/sources/{mm}"' not in theirs.text


async def test_disabling_and_enabling_a_source_is_audited(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    source_id = await add_source(database, "http://127.0.0.1:9/none.csv")
    await sign_in(client, users.admin)
    path = f"/console/sources/{source_id}"
    off = await post_form(client, path, f"{path}/enabled", enabled="false")
    assert (off.status_code, off.headers["location"]) == (303, f"{path}?saved=disabled")
    page = await client.get(off.headers["location"])
    assert "The source is disabled" in page.text and 'value="true"' in page.text
    async with database.read_session() as session:
        source = await session.get(Source, source_id)
        assert source is not None and source.enabled is False
    on = await post_form(client, path, f"{path}/enabled", enabled="true")
    assert on.headers["location"] == f"{path}?saved=enabled"
    async with database.read_session() as session:
        updates = (
            await session.exec(
                select(AuditLog)
                .where(AuditLog.action == "source.update")
                .order_by(col(AuditLog.id))
            )
        ).all()
    assert [(u.before or {})["enabled"] for u in updates] == [True, False]
    assert [(u.after or {})["enabled"] for u in updates] == [False, True]


async def test_a_running_run_refreshes_its_page_and_a_finished_one_shows_its_problems(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    source_id = await add_source(database, "http://127.0.0.1:9/none.csv")
    async with database.session() as session:
        running = JobRun(
            job=f"source:{source_id}",
            source_id=source_id,
            country_code="MM",
            trigger=RunTrigger.MANUAL,
            status=RunStatus.RUNNING,
            runner="test",
            seen=40,
        )
        failed = JobRun(
            job="source:other",
            source_id=source_id,
            country_code="MM",
            trigger=RunTrigger.SCHEDULE,
            status=RunStatus.FAILED,
            runner="test",
            finished_at=clock.utcnow(),
            seen=3,
            rejected=1,
            error="upstream answered 502: Bad Gateway",
            problems=[{"line": 7, "reason": "price 'abc' is not a number"}],
        )
        session.add_all([running, failed])
        await session.flush()
        running_id, failed_id = running.id, failed.id
    await sign_in(client, users.admin)
    page = await client.get(f"/console/runs/{running_id}")
    assert f'{REFRESH} content="3">' in page.text and "Running" in page.text
    done = await client.get(f"/console/runs/{failed_id}")
    assert REFRESH not in done.text and "Failed" in done.text
    assert "upstream answered 502: Bad Gateway" in done.text
    assert "Line 7:" in done.text and "price &#39;abc&#39; is not a number" in done.text

    # While it runs, Run now is refused on the page and no second run starts.
    again = await post_form(
        client, f"/console/sources/{source_id}", f"/console/sources/{source_id}/run"
    )
    assert again.status_code == 409 and "This source is running already" in again.text
    async with database.read_session() as session:
        runs = (await session.exec(select(JobRun).where(JobRun.source_id == source_id))).all()
    assert len(runs) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose an existing entry, or create a new one, not both."),
        ({"target": "  "}, "Choose an existing entry, or create a new one, not both."),
        ({"target": "mango", "create": "true"}, "Choose an existing entry"),
        ({"target": "no such fruit"}, "No catalogue entry has that name."),
        ({"create": "maybe"}, None),
    ],
)
async def test_a_bad_mapping_says_why_and_maps_nothing(
    client: httpx.AsyncClient,
    users: Users,
    database: Database,
    upstream: FakeUpstream,
    data: dict[str, str],
    message: str | None,
) -> None:
    source_id = await add_source(database, muse_board(upstream))
    await sign_in(client, users.admin)
    await run_to_the_end(client, source_id)
    [name] = await _names(database, source_id)
    refused = await post_form(
        client,
        f"/console/sources/{source_id}",
        f"/console/sources/{source_id}/unmapped/{name.id}",
        **data,
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("text/html")
    if message is not None:
        assert message in refused.text
    [name] = await _names(database, source_id)
    assert name.mapped_to is None
    async with database.read_session() as session:
        assert (
            await session.exec(select(AuditLog).where(AuditLog.action == "source.map_name"))
        ).first() is None


async def test_a_name_mapped_twice_is_refused_the_second_time(
    client: httpx.AsyncClient, users: Users, database: Database, upstream: FakeUpstream
) -> None:
    source_id = await add_source(database, muse_board(upstream))
    await sign_in(client, users.admin)
    await run_to_the_end(client, source_id)
    [name] = await _names(database, source_id)
    path = f"/console/sources/{source_id}"
    # Two tabs open on the same review list.
    first_tab = await client.get(path)
    second_tab = await client.get(path)
    action = f"{path}/unmapped/{name.id}"
    ok = await client.post(action, data={"target": "mango", "csrf_token": csrf_of(first_tab)})
    assert ok.status_code == 303
    again = await client.post(action, data={"create": "true", "csrf_token": csrf_of(second_tab)})
    assert again.status_code == 409 and "This name is mapped already." in again.text
    [name] = await _names(database, source_id)
    assert name.mapped_to == "mango"


@pytest.mark.parametrize("token", [None, "stale-token-from-another-session-xxxxxxxxxx"])
async def test_forms_without_their_token_change_nothing(
    client: httpx.AsyncClient, users: Users, database: Database, token: str | None
) -> None:
    source_id = await add_source(database, "http://127.0.0.1:9/none.csv")
    await sign_in(client, users.admin)
    base = f"/console/sources/{source_id}"
    extra = {} if token is None else {"csrf_token": token}
    for action, data in (
        (f"{base}/enabled", {"enabled": "false"}),
        (f"{base}/run", {}),
        (f"{base}/unmapped/1", {"create": "true"}),
    ):
        refused = await client.post(action, data={**data, **extra})
        assert refused.status_code == 403, action
        assert "This form has expired" in refused.text
    async with database.read_session() as session:
        source = await session.get(Source, source_id)
        assert source is not None and source.enabled
        assert (await session.exec(select(JobRun))).first() is None


async def test_a_cde_is_refused_another_countrys_source_and_a_viewer_every_change(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    kh = await add_source(database, "http://127.0.0.1:9/kh.csv", country="KH", slug="kh-board")
    mm = await add_source(database, "http://127.0.0.1:9/mm.csv")
    await sign_in(client, users.cde_mm)
    for path in (f"/console/sources/{kh}", f"/console/runs/{999}", "/console/sources/999"):
        page = await client.get(path)
        assert page.status_code in (403, 404), path
        assert page.headers["content-type"].startswith("text/html")
    assert (await client.get(f"/console/sources/{kh}")).status_code == 403
    own = await client.get(f"/console/sources/{mm}")
    refused = await client.post(
        f"/console/sources/{kh}/enabled", data={"enabled": "false", "csrf_token": csrf_of(own)}
    )
    assert refused.status_code == 403
    await client.post("/console/sign-out", data={"csrf_token": csrf_of(own)})

    await sign_in(client, users.viewer_mm)
    seen = await client.get(f"/console/sources/{mm}")
    assert seen.status_code == 200
    assert f'action="/console/sources/{mm}/run"' not in seen.text  # no buttons to press
    for action, data in (
        (f"/console/sources/{mm}/enabled", {"enabled": "false"}),
        (f"/console/sources/{mm}/run", {}),
    ):
        refused = await client.post(action, data={**data, "csrf_token": csrf_of(seen)})
        assert refused.status_code == 403, action
    async with database.read_session() as session:
        sources = (await session.exec(select(Source))).all()
        assert all(s.enabled for s in sources)
        assert (await session.exec(select(JobRun))).first() is None


async def test_a_bad_enabled_value_is_a_page_not_a_500(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    source_id = await add_source(database, "http://127.0.0.1:9/none.csv")
    await sign_in(client, users.admin)
    path = f"/console/sources/{source_id}"
    refused = await post_form(client, path, f"{path}/enabled", enabled="perhaps")
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html")
    async with database.read_session() as session:
        source = await session.get(Source, source_id)
        assert source is not None and source.enabled


async def test_the_review_list_shows_what_the_source_says_of_a_name(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    source_id = await add_source(database, "http://127.0.0.1:9/none.csv")
    async with database.session() as session:
        session.add(
            UnmappedName(
                source_id=source_id,
                kind=NameKind.MARKET,
                name="Lashio Market",
                normalized="lashio market",
                info={"admin1": "Shan", "latitude": "22.93", "note": "<b>north</b>"},
                rows=12,
            )
        )
    await sign_in(client, users.admin)
    page = await client.get(f"/console/sources/{source_id}")
    assert 'Market: <span class="name">Lashio Market</span>' in page.text
    assert "12 rows wait for it." in page.text
    assert "<dt>admin1</dt><dd>Shan</dd>" in page.text
    assert "<dt>latitude</dt><dd>22.93</dd>" in page.text
    assert "&lt;b&gt;north&lt;/b&gt;" in page.text  # upstream text, never markup
    assert '<option value="muse">' in page.text  # Myanmar's markets to map it to
