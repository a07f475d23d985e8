"""Polling (development): the bot takes updates with getUpdates; on PostgreSQL only one process
polls, and another takes over within seconds when it stops."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from bots.telegram.application import is_polling
from tests.conftest import ENGINE
from tests.fakes.telegram_api import FakeBotApi


async def wait_for(condition: object, what: str, within: float = 15.0) -> None:
    assert callable(condition)
    try:
        async with asyncio.timeout(within):
            while not condition():  # noqa: ASYNC110 - the state lives in other tasks
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def test_polling_answers_an_update(
    bot_api: FakeBotApi, bot_settings: Settings, seeded: None
) -> None:
    polling = bot_settings.model_copy(update={"telegram_mode": "polling"})
    application: FastAPI = create_app(polling)
    async with application.router.lifespan_context(application):
        bot_api.push_update(bot_api.user_message(880002, "/start"))
        await bot_api.wait_for_sent(1, timeout=15)
    assert "Choose your language" in bot_api.sent[0]["text"]
    assert bot_api.webhook is None


@pytest.mark.skipif(ENGINE != "postgresql", reason="leader election is PostgreSQL's")
async def test_one_poller_at_a_time_and_a_take_over(
    bot_api: FakeBotApi, bot_settings: Settings, seeded: None
) -> None:
    polling = bot_settings.model_copy(update={"telegram_mode": "polling"})
    apps = [create_app(polling), create_app(polling)]
    lifespans = [app.router.lifespan_context(app) for app in apps]
    running = []
    try:
        for lifespan in lifespans:
            await lifespan.__aenter__()
            running.append(lifespan)
        await wait_for(lambda: any(is_polling(a.state.telegram) for a in apps), "a leader")
        polling_now = [i for i, a in enumerate(apps) if is_polling(a.state.telegram)]
        assert len(polling_now) == 1
        leader = polling_now[0]
        follower = apps[1 - leader]
        assert not is_polling(follower.state.telegram)
        await lifespans[leader].__aexit__(None, None, None)  # the leader's process stops
        running.remove(lifespans[leader])
        started = asyncio.get_running_loop().time()
        await wait_for(lambda: is_polling(follower.state.telegram), "the take-over", within=10)
        took = asyncio.get_running_loop().time() - started
        print(f"\nfollower polls {took:.1f} s after the leader stopped")
    finally:
        for lifespan in running:
            await lifespan.__aexit__(None, None, None)
