"""The fake Bot API, driven by the real python-telegram-bot over loopback HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import warnings
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from tests.fakes.telegram_api import FakeBotApi, UploadedFile

TOKEN = "123:ABC"


@pytest.fixture(autouse=True)
async def quiet_event_loop() -> AsyncIterator[None]:
    """asyncio only logs a crashed callback or a task left behind; make those fail the test."""
    loop = asyncio.get_running_loop()
    problems: list[str] = []
    loop.set_exception_handler(lambda _, context: problems.append(str(context)))
    yield
    loop.set_exception_handler(None)
    this = asyncio.current_task()
    problems += [f"task still running: {t!r}" for t in asyncio.all_tasks() if t is not this]
    assert problems == []


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url) as real_bot:
        yield real_bot


async def test_bot_calls_base_url_plus_token_plus_method(api: FakeBotApi, bot: Bot) -> None:
    # PTB appends the token to base_url, then "/<method>".
    assert bot.base_url == f"http://127.0.0.1:{api.port}/bot{TOKEN}"
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123, True, "fake_bot")
    # initialize() called getMe once already, to check the token.
    assert [(c.method, c.params, c.status) for c in api.calls] == [("getMe", {}, 200)] * 2
    assert api.unexpected == []


async def test_send_message_is_recorded_and_answered_with_a_message(
    api: FakeBotApi, bot: Bot
) -> None:
    first = await bot.send_message(42, "Mango 1200 MMK/kg", disable_notification=True)
    second = await bot.send_message(42, "Rice", parse_mode="HTML")
    elsewhere = await bot.send_message(-1001234, "Group notice")

    assert isinstance(first, Message)
    assert (first.chat.id, first.chat.type, first.text) == (42, "private", "Mango 1200 MMK/kg")
    assert first.from_user is not None and first.from_user.id == bot.id
    assert abs((dt.datetime.now(dt.UTC) - first.date).total_seconds()) < 60
    # message_id counts per chat.
    assert (first.message_id, second.message_id, elsewhere.message_id) == (1, 2, 1)
    assert (elsewhere.chat.id, elsewhere.chat.type) == (-1001234, "supergroup")
    assert api.sent == [
        {
            "chat_id": 42,
            "text": "Mango 1200 MMK/kg",
            "disable_notification": True,
            "message_id": 1,
        },
        {"chat_id": 42, "text": "Rice", "parse_mode": "HTML", "message_id": 2},
        {"chat_id": -1001234, "text": "Group notice", "message_id": 1},
    ]
    assert api.unexpected == []


async def test_inline_keyboard_is_recorded_and_echoed(api: FakeBotApi, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Yes", callback_data="sub:yes")],
            [InlineKeyboardButton("No", callback_data="sub:no")],
        ]
    )
    message = await bot.send_message(42, "Subscribe?", reply_markup=markup)

    assert api.sent[0]["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "sub:yes"}],
            [{"text": "No", "callback_data": "sub:no"}],
        ]
    }
    assert message.reply_markup == markup


async def test_callback_data_over_64_bytes_is_refused_like_telegram(
    api: FakeBotApi, bot: Bot
) -> None:
    # Burmese is 3 bytes a character in UTF-8: 22 characters are 66 bytes.
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="က" * 22)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(42, "menu", reply_markup=markup)
    assert api.sent == []
    assert len(api.unexpected) == 1


async def test_429_raises_retry_after_once(
    api: FakeBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22 reports time periods as timedelta only with this opt-in; see the next test.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 3",
        retry_after=3,
    )
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(42, "first")
    assert caught.value.retry_after == dt.timedelta(seconds=3)
    assert api.calls_to("sendMessage")[0].status == 429
    assert api.sent == []

    await bot.send_message(42, "second")  # the failure was for the next call only
    assert [s["text"] for s in api.sent] == ["second"]
    assert api.unexpected == []  # injected failures are expected ones


async def test_429_without_ptb_timedelta_is_a_deprecation_error_under_w_error(
    api: FakeBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RetryAfter.__init__ reads its own deprecated int-valued retry_after, so with warnings as
    # errors the 429 surfaces as PTBDeprecationWarning, not RetryAfter, unless PTB_TIMEDELTA.
    monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    api.fail_next("sendMessage", error_code=429, description="Too Many Requests", retry_after=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PTBDeprecationWarning)
        with pytest.raises(PTBDeprecationWarning, match="retry_after"):
            await bot.send_message(42, "x")


async def test_403_raises_forbidden(api: FakeBotApi, bot: Bot) -> None:
    api.fail_next(
        "sendMessage", error_code=403, description="Forbidden: bot was blocked by the user"
    )
    with pytest.raises(Forbidden) as caught:
        await bot.send_message(42, "x")
    assert caught.value.message == "Forbidden: bot was blocked by the user"
    assert api.sent == []


async def test_400_raises_bad_request(api: FakeBotApi, bot: Bot) -> None:
    api.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(42, "x")
    # PTB strips "Bad Request: " and capitalises what is left.
    assert caught.value.message == "Chat not found"
    assert api.sent == []


async def test_a_user_blocks_the_bot_mid_broadcast(api: FakeBotApi, bot: Bot) -> None:
    api.fail_next(
        "sendMessage",
        error_code=403,
        description="Forbidden: bot was blocked by the user",
        chat_id=2,
        times=None,
    )
    delivered: list[int] = []
    blocked: list[int] = []
    for _ in range(2):
        for chat_id in (1, 2, 3):
            try:
                await bot.send_message(chat_id, "Market closed tomorrow")
            except Forbidden:
                blocked.append(chat_id)
            else:
                delivered.append(chat_id)
    assert delivered == [1, 3, 1, 3]
    assert blocked == [2, 2]
    assert [s["chat_id"] for s in api.sent] == [1, 3, 1, 3]


async def test_get_updates_long_poll_returns_an_update_pushed_while_it_waits(
    api: FakeBotApi, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for_calls("getUpdates")
    assert api.calls_to("getUpdates")[0].status is None  # parked at the fake, not answered

    pushed = api.push_update(api.user_message(42, "PRICE MANGO"))
    updates = await asyncio.wait_for(poll, 5)

    assert [(u.update_id, u.message and u.message.text) for u in updates] == [
        (pushed["update_id"], "PRICE MANGO")
    ]
    assert api.calls_to("getUpdates")[0].params == {"timeout": 30}


async def test_get_updates_honours_offset(api: FakeBotApi, bot: Bot) -> None:
    one = api.push_update(api.user_message(42, "one"))["update_id"]
    two = api.push_update(api.user_message(42, "two"))["update_id"]

    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [one, two]
    # Without a higher offset nothing is confirmed, so the same updates come again.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [one, two]
    assert [u.update_id for u in await bot.get_updates(offset=one + 1, timeout=0)] == [two]
    assert [u["update_id"] for u in api.pending_updates] == [two]
    assert await bot.get_updates(offset=two + 1, timeout=0) == ()
    assert api.pending_updates == []
    assert api.unexpected == []


async def test_get_updates_returns_nothing_when_the_timeout_passes(
    api: FakeBotApi, bot: Bot
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=dt.timedelta(seconds=0.2)) == ()
    assert loop.time() - started >= 0.2


async def test_leaving_the_fake_ends_a_parked_long_poll() -> None:
    api = FakeBotApi(token=TOKEN)
    await api.__aenter__()
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=300))
        await api.wait_for_calls("getUpdates")
        async with asyncio.timeout(5):
            await api.__aexit__(None, None, None)
        with pytest.raises(NetworkError):
            await poll


async def test_unknown_method_is_refused_and_recorded(api: FakeBotApi, bot: Bot) -> None:
    # PTB maps HTTP 404 to InvalidToken, whatever the description says.
    with pytest.raises(InvalidToken, match="method sendDice is not faked"):
        await bot.send_dice(42)
    assert len(api.unexpected) == 1
    assert "sendDice" in api.unexpected[0]
    assert (api.calls[-1].method, api.calls[-1].status) == ("sendDice", 404)


async def test_wrong_token_is_unauthorized(api: FakeBotApi) -> None:
    bot = Bot("999:WRONG", base_url=api.base_url)
    try:
        with pytest.raises(InvalidToken, match="was rejected by the server"):
            await bot.initialize()
        with pytest.raises(InvalidToken, match="Unauthorized"):
            await bot.get_me()
    finally:
        await bot.shutdown()
    assert api.calls == []
    assert len(api.unexpected) == 2
    assert all("wrong token '999:WRONG'" in problem for problem in api.unexpected)


async def test_webhook_is_recorded_and_blocks_get_updates(api: FakeBotApi, bot: Bot) -> None:
    url = "https://mic.example.org/telegram/webhook"
    assert await bot.set_webhook(
        url, secret_token="s3cret_T0ken", allowed_updates=["message", "callback_query"]
    )
    assert api.webhook == {
        "url": url,
        "secret_token": "s3cret_T0ken",
        "allowed_updates": ["message", "callback_query"],
    }
    info = await bot.get_webhook_info()
    assert (info.url, info.allowed_updates) == (url, ("message", "callback_query"))
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)

    assert await bot.delete_webhook()
    assert api.webhook is None
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates(timeout=0) == ()
    with pytest.raises(BadRequest, match="Bad webhook: an https url must be provided"):
        await bot.set_webhook("http://mic.example.org/telegram/webhook")
    assert len(api.unexpected) == 2  # the 409 and the 400: neither was injected


async def test_callback_answer_and_edit(api: FakeBotApi, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="sub:yes")]])
    question = await bot.send_message(42, "Subscribe?", reply_markup=markup)
    with pytest.raises(ValueError, match="no button with callback_data 'sub:maybe'"):
        api.callback(42, "sub:maybe", question.message_id)

    update = Update.de_json(api.callback(42, "sub:yes", question.message_id), bot)
    query = update.callback_query
    assert query is not None and query.message is not None
    assert (query.data, query.from_user.id, query.message.message_id) == (
        "sub:yes",
        42,
        question.message_id,
    )
    assert query.chat_instance

    assert await query.answer("Done") is True
    edited = await query.edit_message_text("Subscribed")
    assert isinstance(edited, Message)
    assert (edited.text, edited.reply_markup, edited.edit_date is not None) == (
        "Subscribed",
        None,  # an edit without reply_markup drops the keyboard, as in Telegram
        True,
    )
    assert api.answered == [{"callback_query_id": query.id, "text": "Done"}]
    assert api.edited == [{"chat_id": 42, "message_id": question.message_id, "text": "Subscribed"}]
    assert api.unexpected == []

    # Telegram's own refusals: a second answer, and an edit that changes nothing.
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer()
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Subscribed", chat_id=42, message_id=question.message_id)
    assert len(api.unexpected) == 2
    assert await bot.edit_message_text("inline", inline_message_id="AAQ-inline") is True


async def test_application_handler_reply_is_recorded(api: FakeBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(f"echo: {update.message.text}")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("welcome")

    errors: list[object] = []

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app = Application.builder().token(TOKEN).base_url(api.base_url).updater(None).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_error_handler(on_error)
    await app.initialize()
    try:
        await app.process_update(Update.de_json(api.user_message(42, "hello"), app.bot))
        # The helper marks /start as a bot_command entity, which CommandHandler requires.
        await app.process_update(Update.de_json(api.user_message(42, "/start"), app.bot))
    finally:
        await app.shutdown()

    assert errors == []
    assert [(s["chat_id"], s["text"]) for s in api.sent] == [(42, "echo: hello"), (42, "welcome")]
    assert api.unexpected == []


async def test_application_polling_end_to_end(api: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("welcome")

    app = Application.builder().token(TOKEN).base_url(api.base_url).build()
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling()
        pushed = api.push_update(api.user_message(42, "/start"))
        sent = await api.wait_for_sent(1)
        await app.updater.stop()
        await app.stop()

    assert [(s["chat_id"], s["text"]) for s in sent] == [(42, "welcome")]
    assert api.calls[1].method == "deleteWebhook"  # the Updater's bootstrap, after getMe
    # On stop the Updater confirms what it fetched, so nothing would be delivered twice.
    assert api.calls_to("getUpdates")[-1].params["offset"] == pushed["update_id"] + 1
    assert api.pending_updates == []
    assert api.unexpected == []


async def test_wait_for_sent_fails_loudly_when_nothing_comes(api: FakeBotApi) -> None:
    with pytest.raises(AssertionError, match="1 sent messages"):
        await api.wait_for_sent(1, timeout=0.05)


async def test_plain_http_clients_json_multipart_and_keep_alive(api: FakeBotApi) -> None:
    keyboard = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with httpx.AsyncClient(base_url=api.url) as client:
        as_json = await client.post(
            f"/bot{TOKEN}/sendMessage",
            json={"chat_id": 7, "text": "json", "reply_markup": keyboard},
        )
        multipart = await client.post(
            f"/bot{TOKEN}/sendMessage",
            data={"chat_id": "7", "text": "multipart"},
            files={"extra": ("note.txt", b"bytes\r\n\x00", "text/plain")},
        )
        # Method names are case-insensitive in Telegram, and GET with a query string works.
        as_get = await client.get(f"/bot{TOKEN}/SENDMESSAGE", params={"chat_id": 7, "text": "q"})
        elsewhere = await client.post("/favicon.ico")

    assert [r.status_code for r in (as_json, multipart, as_get)] == [200, 200, 200]
    assert as_json.json()["result"]["reply_markup"] == keyboard
    assert [s["text"] for s in api.sent] == ["json", "multipart", "q"]
    assert api.sent[1]["extra"] == UploadedFile("note.txt", "text/plain", b"bytes\r\n\x00")
    assert elsewhere.status_code == 404
    assert elsewhere.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert len(api.unexpected) == 1
    assert api.connection_count == 1  # keep-alive: four requests, one connection


async def test_malformed_http_is_refused_and_recorded(api: FakeBotApi) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
    try:
        writer.write(b"HELLO THERE\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)  # the fake closes the connection
    finally:
        writer.close()
        await writer.wait_closed()
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert len(api.unexpected) == 1
    assert "bad request line" in api.unexpected[0]


async def test_push_update_refuses_an_update_getupdates_would_never_return(
    api: FakeBotApi, bot: Bot
) -> None:
    built_early = api.user_message(42, "built first")
    pushed = api.push_update(api.user_message(42, "pushed"))
    await bot.get_updates(offset=pushed["update_id"] + 1, timeout=0)
    with pytest.raises(ValueError, match="below the confirmed offset"):
        api.push_update(built_early)
