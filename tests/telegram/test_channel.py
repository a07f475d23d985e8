"""The Telegram channel through the real python-telegram-bot against the fake Bot API: sending,
silent sending, long texts, Telegram's errors as the dispatcher's kinds, and the dispatcher
delivering alerts through it with a blocked user and a 429 on the way."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import col, select

from app.alerts.models import ChannelName, ChannelPace, Delivery, DeliveryStatus
from app.channels.base import ChannelError, ErrorKind, OutboundMessage
from app.core.config import Settings
from app.core.db import Database
from app.producers.models import Address
from bots.telegram.channel import TelegramChannel, build_telegram_channel, split_text
from tests.alerts.conftest import dispatch_until, publish, register
from tests.conftest import Tokens
from tests.fakes.channel import RecordingChannel
from tests.fakes.telegram_api import FakeBotApi
from tests.telegram.conftest import TOKEN


def channel_for(api: FakeBotApi, settings: Settings) -> TelegramChannel:
    update = {"telegram_token": SecretStr(TOKEN), "telegram_api_base": api.base_url}
    built = build_telegram_channel(settings.model_copy(update=update))
    assert built is not None
    return built


async def test_sends_silently_when_asked_and_splits_long_texts(
    bot_api: FakeBotApi, settings: Settings
) -> None:
    channel = channel_for(bot_api, settings)
    result = await channel.send(OutboundMessage(1, "telegram:5001", "Mango at Muse", silent=True))
    long_text = "\n".join(f"line {i}: " + "x" * 90 for i in range(60))  # about 6 000 characters
    await channel.send(OutboundMessage(2, "telegram:5001", long_text))
    await channel.close()
    first, *pieces = bot_api.sent
    assert (first["chat_id"], first["text"], first["disable_notification"]) == (
        5001,
        "Mango at Muse",
        True,
    )
    assert result.gateway_id == f"5001:{first['message_id']}"
    assert len(pieces) == 2 and all(len(p["text"]) <= 4096 for p in pieces)
    assert "\n".join(p["text"] for p in pieces) == long_text
    assert not pieces[0].get("disable_notification")


def test_split_text_cuts_at_line_breaks_then_spaces_then_anywhere() -> None:
    assert split_text("short") == ["short"]
    assert split_text("aaaa\nbbbb", limit=6) == ["aaaa", "bbbb"]
    assert split_text("aaaa bbbb", limit=6) == ["aaaa", "bbbb"]
    assert split_text("abcdefgh", limit=3) == ["abc", "def", "gh"]


@pytest.mark.parametrize(
    ("code", "description", "kind", "dead"),
    [
        (429, "Too Many Requests: retry after 3", ErrorKind.RATE_LIMITED, False),
        (403, "Forbidden: bot was blocked by the user", ErrorKind.PERMANENT, True),
        (403, "Forbidden: user is deactivated", ErrorKind.PERMANENT, True),
        (400, "Bad Request: chat not found", ErrorKind.PERMANENT, True),
        (400, "Bad Request: message text is empty", ErrorKind.PERMANENT, False),
        (502, "Bad Gateway", ErrorKind.TRANSIENT, False),
    ],
)
async def test_telegram_errors_become_the_dispatchers_kinds(
    bot_api: FakeBotApi,
    settings: Settings,
    code: int,
    description: str,
    kind: ErrorKind,
    dead: bool,
) -> None:
    channel = channel_for(bot_api, settings)
    await channel.send(OutboundMessage(1, "telegram:5002", "warm-up"))  # getMe done
    bot_api.fail_next(
        "sendMessage",
        error_code=code,
        description=description,
        retry_after=3 if code == 429 else None,
    )
    with pytest.raises(ChannelError) as caught:
        await channel.send(OutboundMessage(2, "telegram:5002", "hello"))
    await channel.close()
    assert caught.value.kind is kind and caught.value.address_invalid is dead
    if code == 429:
        assert caught.value.retry_after == 3.0
    bot_api.unexpected.clear()  # the injected failures are expected here


async def test_alerts_reach_telegram_producers_a_blocked_one_gets_sms_instead(
    bot_api: FakeBotApi,
    settings: Settings,
    fast: Settings,
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
) -> None:
    await register(client, tokens, name="A", locale="my", telegram=7001)
    await register(client, tokens, name="B", locale="zh", telegram=7002)
    await register(client, tokens, name="C", locale="en", telegram=7003, phone="+959250000099")
    bot_api.fail_next(
        "sendMessage", error_code=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    bot_api.fail_next(
        "sendMessage",
        error_code=403,
        description="Forbidden: bot was blocked by the user",
        chat_id=7003,
    )
    await publish(client, tokens, "12600")
    telegram = channel_for(bot_api, settings)
    sms = RecordingChannel("sms", known_urns={"tel:+959250000099"})

    async def settled() -> bool:
        async with database.session() as s:
            rows = (await s.exec(select(Delivery))).all()
        return len(rows) == 4 and sum(d.status is DeliveryStatus.SENT for d in rows) == 3

    await dispatch_until(
        database, fast, {ChannelName.TELEGRAM: telegram, ChannelName.SMS: sms}, settled
    )
    await telegram.close()
    # Two delivered, one refused with 429 and sent again after the pause, one blocked.
    assert len(bot_api.calls_to("sendMessage")) == 4
    delivered = {m["chat_id"]: m["text"] for m in bot_api.sent}
    assert set(delivered) == {7001, 7002}
    assert "မူဆယ်" in delivered[7001] and "木姐" in delivered[7002]
    assert [m.text for m in sms.sent] == [sms.sent[0].text] and "Muse" in sms.sent[0].text
    async with database.session() as s:
        chat = (await s.exec(select(Address).where(Address.urn == "telegram:7003"))).one()
        blocked = (
            await s.exec(
                select(Delivery).where(
                    Delivery.channel == ChannelName.TELEGRAM, col(Delivery.reason).is_not(None)
                )
            )
        ).all()
    assert chat.active is False
    async with database.session() as s:
        pace = await s.get(ChannelPace, "telegram")
        sent_at = [d.sent_at for d in (await s.exec(select(Delivery))).all() if d.sent_at]
    assert pace is not None and pace.paused_until is not None
    pause = (max(sent_at) - min(sent_at)).total_seconds()
    assert pause >= 0.9  # retry_after 1: the whole channel waited before sending again
    print(
        f"\n429 retry_after=1 s: channel paused until {pace.paused_until:%H:%M:%S.%f}; "
        f"first and last Telegram sends {pause:.2f} s apart"
    )
    assert any(d.status is DeliveryStatus.FAILED and "blocked" in (d.reason or "") for d in blocked)
    bot_api.unexpected.clear()
