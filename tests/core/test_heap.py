"""A process that is the whole service builds its parser before the first message and freezes
its startup objects out of garbage collection; an app among others (the tests' own) does
neither."""

from __future__ import annotations

import gc

import pytest

from app.core.config import Settings
from app.main import create_app


@pytest.mark.parametrize("own_process", [True, False])
async def test_the_app_warms_and_freezes_its_startup_heap_only_as_its_own_process(
    settings: Settings, own_process: bool
) -> None:
    gc.unfreeze()
    app = create_app(settings, own_process=own_process)
    try:
        async with app.router.lifespan_context(app):
            frozen = gc.get_freeze_count()
            parser_built = app.state.parsers._parser is not None
    finally:
        gc.unfreeze()  # the test process goes on collecting
        await app.state.database.dispose()
    assert (frozen > 10_000) is own_process
    assert parser_built is own_process
