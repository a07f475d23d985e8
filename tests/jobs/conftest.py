"""Fixtures for the collector and job tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.core.config import Settings
from tests.fakes.upstream import LOOPBACK, FakeUpstream


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The fake upstreams listen on loopback, which these tests allow as an on-premise portal
    would be (MIC_SOURCE_ALLOWED_HOSTS); everything else stays refused."""
    return settings.model_copy(update={"source_allowed_hosts": [LOOPBACK]})


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    """A fake upstream web server on loopback; the test fails if it got a request for anything
    the test did not set up."""
    async with FakeUpstream() as fake:
        yield fake
    fake.check()
