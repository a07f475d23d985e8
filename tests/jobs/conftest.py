"""Fixtures for the collector and job tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.upstream import FakeUpstream


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    """A fake upstream web server on loopback; the test fails if it got a request for anything
    the test did not set up."""
    async with FakeUpstream() as fake:
        yield fake
    fake.check()
