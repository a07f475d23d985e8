"""The prices the comparison and board tests read (tests.prices.comparison_data), stored with
the clock standing on the morning they are read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from app.core.db import Database
from tests.prices.comparison_data import NOW, add_prices


@pytest.fixture
async def price_ids(
    database: Database, seeded: None, stand_at: Callable[[dt.datetime], None]
) -> dict[str, int]:
    """The ids of the prices by name and of the rates by pair and day ("USD/MMK 20")."""
    stand_at(NOW)
    return await add_prices(database)
