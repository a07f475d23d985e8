"""/healthz says the process is alive; /readyz says it can serve producers right now."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from app.core.db import Database, parse_database_url
from app.core.errors import ConfigurationError
from app.core.i18n import DEFAULT_LOCALES_DIR, MESSAGE_LOCALES
from app.core.migrations import head_revision, upgrade
from app.core.readiness import readiness
from app.main import create_app


async def test_readyz_reports_database_migrations_and_catalogs(client: httpx.AsyncClient) -> None:
    answer = await client.get("/readyz")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["database"], body["migrations"]) == ("ok", "ok", "ok")
    assert set(body["catalogs"]) == set(MESSAGE_LOCALES)


async def test_readyz_is_503_on_a_database_behind_its_code(
    settings: Settings, empty_database_url: str
) -> None:
    upgrade(parse_database_url(empty_database_url), "0001")
    database = Database(empty_database_url)
    try:
        report = await readiness(database, settings)
    finally:
        await database.dispose()
    assert not report.ready
    assert report.checks["database"] == "ok"
    assert report.checks["migrations"] == (
        f"the schema is at 0001 but this code needs {head_revision()}; run `mic db upgrade`"
    )


async def test_readyz_is_503_and_healthz_200_when_a_catalog_cannot_load(
    settings: Settings, tmp_path: Path
) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(DEFAULT_LOCALES_DIR, locales)
    for name in ("messages.mo", "messages.po"):
        (locales / "my" / "LC_MESSAGES" / name).unlink()
    broken = settings.model_copy(update={"locales_dir": locales})
    app = create_app(broken)  # its lifespan would refuse to start; probe the routes alone
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as c:
            ready, alive = await c.get("/readyz"), await c.get("/healthz")
    finally:
        await app.state.database.dispose()
    assert alive.status_code == 200
    assert ready.status_code == 503
    assert "my/LC_MESSAGES/messages.mo is missing" in ready.json()["catalogs"]


async def test_a_service_whose_catalogs_cannot_load_refuses_to_start(
    settings: Settings, tmp_path: Path
) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(DEFAULT_LOCALES_DIR, locales)
    for name in ("messages.mo", "messages.po"):
        (locales / "km" / "LC_MESSAGES" / name).unlink()
    app = create_app(settings.model_copy(update={"locales_dir": locales}))
    try:
        with pytest.raises(ConfigurationError, match=r"km/LC_MESSAGES/messages\.mo is missing"):
            async with app.router.lifespan_context(app):
                pass
    finally:
        await app.state.database.dispose()
