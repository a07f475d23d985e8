"""Fixtures for the collector and job tests."""

from __future__ import annotations

import pytest

from app.core.config import Settings
from tests.fakes.upstream import LOOPBACK


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The fake upstreams listen on loopback, which these tests allow as an on-premise portal
    would be (MIC_SOURCE_ALLOWED_HOSTS); everything else stays refused."""
    return settings.model_copy(update={"source_allowed_hosts": [LOOPBACK]})
