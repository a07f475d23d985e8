"""Shared fixtures: a migrated database per test on SQLite, or on PostgreSQL when
MIC_TEST_DATABASE_URL names a server (the whole suite then runs there instead)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.service import load_demo_catalogue
from app.core import clock
from app.core.config import Settings
from app.core.db import Database, parse_database_url, sync_engine
from app.core.migrations import upgrade
from app.main import create_app
from app.schema import metadata
from tests.fakes.upstream import FakeUpstream

POSTGRES_URL = os.environ.get("MIC_TEST_DATABASE_URL", "").strip()
ENGINE = "postgresql" if POSTGRES_URL else "sqlite"


def pytest_report_header() -> str:
    return f"MIC test database engine: {ENGINE}"


# --- Kannel: real in CI, skipped with one clear line on a machine that lacks it ---------------

KANNEL_BINARIES = (Path("/usr/sbin/bearerbox"), Path("/usr/sbin/smsbox"))
KANNEL_INSTALL = "sudo apt-get install kannel kannel-extras"


def kannel_installed() -> bool:
    return all(os.access(binary, os.X_OK) for binary in KANNEL_BINARIES)


def required_in_ci(switch: str) -> bool:
    """CI (CI=true), or the given MIC_REQUIRE_* switch, runs tests that need a tool for real:
    there a missing tool fails them instead of skipping them."""
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes"} for name in ("CI", switch)
    )


def kannel_required() -> bool:
    return required_in_ci("MIC_REQUIRE_KANNEL")


def _needs_kannel(item: pytest.Item) -> bool:
    return "kannel" in getattr(item, "fixturenames", ()) or item.get_closest_marker("kannel")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if kannel_installed() or kannel_required():
        return
    skipped = [item for item in items if _needs_kannel(item)]
    for item in skipped:
        item.add_marker(pytest.mark.skip(reason=f"Kannel is not installed: {KANNEL_INSTALL}"))
    config.stash[_KANNEL_SKIPPED] = len(skipped)


_KANNEL_SKIPPED = pytest.StashKey[int]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    skipped = config.stash.get(_KANNEL_SKIPPED, 0)
    if skipped:
        terminalreporter.write_line(
            f"Kannel is not installed: {skipped} SMS gateway tests skipped; install it with "
            f"`{KANNEL_INSTALL}` (`make test` does so when run as root)",
            yellow=True,
        )


def free_port() -> int:
    """A loopback port nobody listens on, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def server_zone(name: str) -> Iterator[None]:
    """Run with the process's local time zone set to `name` (TZ), as a server there would."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.fixture
def stand_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    """Stop the service's clock at a chosen moment (call again to move it)."""

    def stand(moment: dt.datetime) -> None:
        assert moment.tzinfo is not None, "the clock holds aware UTC moments"
        monkeypatch.setattr(clock, "source", lambda: moment)

    return stand


@contextmanager
def empty_postgres_database() -> Iterator[str]:
    """A new, empty database on the MIC_TEST_DATABASE_URL server, dropped afterwards."""
    server = parse_database_url(POSTGRES_URL).sync_url
    name = f"mic_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def new_empty_database(sqlite_file: Path) -> Iterator[str]:
    """A database with no schema at all, on the engine under test: an SQLite file not yet
    created, or a new PostgreSQL database, dropped afterwards."""
    if not POSTGRES_URL:
        yield f"sqlite:///{sqlite_file}"
        return
    with empty_postgres_database() as url:
        yield url


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, on the engine under test."""
    with new_empty_database(tmp_path / "var" / "empty.db") as url:
        yield url


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once per test run: an SQLite file to copy, or a PostgreSQL database."""
    if not POSTGRES_URL:
        path = tmp_path_factory.mktemp("template") / "mic.db"
        url = f"sqlite:///{path}"
        upgrade(parse_database_url(url))
        yield url
        return
    with empty_postgres_database() as url:
        upgrade(parse_database_url(url))
        yield url


@pytest.fixture
def database_url(_migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of this test's own."""
    if not POSTGRES_URL:
        template = parse_database_url(_migrated_template).sqlite_path
        assert template is not None
        path = tmp_path / "mic.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    yield _migrated_template
    engine = sync_engine(parse_database_url(_migrated_template))
    try:
        with engine.begin() as conn:
            tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="test",
        database_url=database_url,
        secret_key="test-secret-key-not-a-placeholder",
        dispatcher=False,  # tests that send run their own Dispatcher and wait for it
        scheduler=False,  # tests that schedule run their own Scheduler
    )


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    yield db
    await db.dispose()


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    """A session inside one transaction that commits when the test body returns."""
    async with database.session() as s:
        yield s


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    """A fake upstream web server on loopback; the test fails if it got a request for anything
    the test did not set up."""
    async with FakeUpstream() as fake:
        yield fake
    fake.check()


@pytest.fixture
async def seeded(database: Database) -> None:
    async with database.session() as s:
        await load_demo_catalogue(s)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as c:
        yield c


@dataclass(frozen=True)
class Tokens:
    """Authorization headers for one staff member of each kind."""

    admin: dict[str, str]
    cde_mm: dict[str, str]
    cde_kh: dict[str, str]
    viewer_mm: dict[str, str]


@pytest.fixture
async def tokens(database: Database, settings: Settings, seeded: None) -> Tokens:
    from app.accounts.actor import Actor
    from app.accounts.models import Role
    from app.accounts.service import create_token

    async def issue(name: str, role: Role, countries: list[str]) -> dict[str, str]:
        async with database.session() as s:
            issued = await create_token(
                s,
                name=name,
                role=role,
                countries=countries,
                key=settings.secret_key.get_secret_value(),
                actor=Actor.system("test"),
            )
        return {"Authorization": f"Bearer {issued.token}"}

    return Tokens(
        admin=await issue("ana", Role.ADMIN, []),
        cde_mm=await issue("thida", Role.CDE, ["MM"]),
        cde_kh=await issue("sokha", Role.CDE, ["KH"]),
        viewer_mm=await issue("min", Role.VIEWER, ["MM"]),
    )
