"""Backup tests' fixtures: a second database to restore into, on the engine under test, and
PostgreSQL's client tools, which CI must have (a fresh machine without them fails there)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.pg_backup import DEBIAN_BINARIES
from tests.conftest import ENGINE, new_empty_database, required_in_ci

PG_TOOLS_INSTALL = "sudo apt-get install postgresql-client"


def pg_tools_installed() -> bool:
    return all(
        shutil.which(tool) or any(DEBIAN_BINARIES.glob(f"*/bin/{tool}"))
        for tool in ("pg_dump", "pg_restore")
    )


@pytest.fixture
def pg_tools() -> None:
    """pg_dump and pg_restore, on PostgreSQL: skipped with the reason when they are truly
    absent, except in CI (CI=true or MIC_REQUIRE_PG_TOOLS=1), which fails instead."""
    if ENGINE != "postgresql" or pg_tools_installed():
        return
    message = f"pg_dump/pg_restore are not installed: {PG_TOOLS_INSTALL}"
    if required_in_ci("MIC_REQUIRE_PG_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def other_database_url(tmp_path: Path) -> Iterator[str]:
    """A second database with no schema, on the engine under test, to restore into."""
    with new_empty_database(tmp_path / "restored" / "mic.db") as url:
        yield url
