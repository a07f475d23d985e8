"""A fake Telegram Bot API over real HTTP on loopback, for driving the real python-telegram-bot.

Tests use it like this::

    async with FakeBotApi(token="123:ABC") as api, Bot("123:ABC", base_url=api.base_url) as bot:
        api.push_update(api.user_message(42, "/start"))
        updates = await bot.get_updates(timeout=10)
        await bot.send_message(42, "hello")
        assert [s["text"] for s in await api.wait_for_sent(1)] == ["hello"]
        assert api.unexpected == []

What python-telegram-bot 22.8 sends (telegram/_bot.py, telegram/request/), which this parses:

* URL: `Bot` turns ``base_url`` into ``base_url + token`` (unless it contains ``{token}`` or is a
  callable) and POSTs to ``f"{that}/{method}"``; so ``base_url="http://127.0.0.1:P/bot"`` gives
  ``POST /bot123:ABC/sendMessage``. Every API call is a POST, even getMe.
* Body: `HTTPXRequest` passes ``RequestData.json_parameters`` as httpx ``data=``, i.e.
  ``application/x-www-form-urlencoded`` where every value that is not already a str is
  JSON-encoded (ints as ``42``, bools as ``true``, reply_markup as a JSON object); with a file to
  upload it becomes ``multipart/form-data`` instead. A call with no parameters has an empty body.
  So every value arrives as a string and, as the real server does, the fake converts the fields
  it knows by name (`_INT_FIELDS`, `_BOOL_FIELDS`, `_JSON_FIELDS`). A JSON body is accepted too.
* Errors: `BaseRequest._request_wrapper` maps the HTTP status, not ``error_code``: 403 ->
  Forbidden, 400 -> BadRequest, 401 AND 404 -> InvalidToken, 409 -> Conflict, others ->
  NetworkError; ``parameters.retry_after`` -> RetryAfter whatever the status.

It fails loudly: every request it cannot serve as Telegram would (unknown method, wrong token,
malformed HTTP, a 4xx the test did not inject such as "message is not modified") is answered
with Telegram's error AND appended to `FakeBotApi.unexpected`, which a test should assert empty.
Where Telegram itself refuses something (editing a message that does not exist, a webhook on
http://, callback_data over 64 bytes), so does the fake, so such bugs show up here and not in
production. What it does not do: render parse_mode (the text is echoed raw), deliver to a
webhook, or fake any method outside `FakeBotApi.METHODS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import email.parser
import email.policy
import json
import re
import time
import traceback
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self

JSONDict = dict[str, Any]
ChatId = int | str

LOOPBACK = "127.0.0.1"
TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_PORTS = (80, 88, 443, 8443)
MAX_TEXT_UTF16 = 4096
MAX_CALLBACK_DATA_BYTES = 64
# Telegram leaves these out of getUpdates unless allowed_updates names them explicitly.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# A user who writes in a group when the test did not say who: any id distinct from chat ids.
DEFAULT_GROUP_MEMBER_ID = 5_000_001

# Form fields arrive as strings; Telegram types them by name, so the fake must too.
_INT_FIELDS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "max_connections",
        "cache_time",
        "message_thread_id",
        "reply_to_message_id",
    }
)
_NUMBER_FIELDS = frozenset({"timeout"})  # PTB sends a fractional timedelta as a float
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "show_alert",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "entities",
        "link_preview_options",
        "reply_parameters",
    }
)
_PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})


class ApiError(Exception):
    """An error answer, exactly as Telegram would send it (error_code doubles as HTTP status)."""

    def __init__(
        self, error_code: int, description: str, parameters: JSONDict | None = None
    ) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class _BadHttp(Exception):
    """The bytes on the wire are not an HTTP/1.x request we understand; the connection ends."""


class _ClientGone(Exception):
    """The client hung up while its long poll waited; there is nobody left to answer."""


@dataclass
class Call:
    """One Bot API method call that reached the fake with the right token."""

    method: str
    params: JSONDict
    # HTTP status answered; None while the call is still in flight (a waiting long poll).
    status: int | None = None


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart/form-data body."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class _Failure:
    method: str
    error: ApiError
    chat_id: ChatId | None
    remaining: int | None  # None: every matching call until clear_failures()


@dataclass
class _Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes


class FakeBotApi:
    """The fake server plus its state; see the module docstring."""

    METHODS = (
        "getMe",
        "setWebhook",
        "deleteWebhook",
        "getWebhookInfo",
        "getUpdates",
        "sendMessage",
        "answerCallbackQuery",
        "editMessageText",
    )

    def __init__(
        self,
        token: str,
        *,
        username: str = "fake_bot",
        first_name: str = "Fake Bot",
        first_update_id: int = 100,
    ) -> None:
        if not TOKEN_RE.fullmatch(token):
            raise ValueError(f"not a Telegram bot token: {token!r}")
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JSONDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        # Recorded traffic, for assertions.
        self.calls: list[Call] = []
        self.sent: list[JSONDict] = []  # sendMessage params plus the message_id it got
        self.edited: list[JSONDict] = []  # editMessageText params
        self.answered: list[JSONDict] = []  # answerCallbackQuery params
        self.unexpected: list[str] = []
        self.webhook: JSONDict | None = None  # the params of the webhook in force
        self.connection_count = 0  # TCP connections accepted; shows whether keep-alive works
        # Chat state, shared by both directions as in Telegram (one message_id sequence per chat).
        self.messages: dict[tuple[ChatId, int], JSONDict] = {}
        self._chats: dict[ChatId, JSONDict] = {}
        self._last_message_id: dict[ChatId, int] = {}
        self._open_queries: set[str] = set()
        self._query_count = 0
        # Update queue, as Telegram keeps it for getUpdates.
        self._queue: list[JSONDict] = []
        self._next_update_id = first_update_id
        self._confirmed_offset = 0
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._failures: list[_Failure] = []
        # Replaced on every state change, so waiters wake without polling or sleeping.
        self._changed = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._connections: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}
        self._closing = False
        self._handlers: dict[str, Callable[[JSONDict, asyncio.StreamReader], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageText": self._edit_message_text,
        }
        # Telegram's method names are case-insensitive.
        self._by_lower_name = {name.lower(): name for name in self._handlers}

    # ----------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve_connection, LOOPBACK, 0)
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        # Python 3.11's wait_closed() does not wait for open connections, and a long poll may be
        # parked for minutes. Cancelling their tasks is not an option: asyncio's stream callback
        # calls task.exception() on them and logs a CancelledError traceback. So close each
        # transport (an idle reader then sees EOF) and wake the polls, which then give up.
        self._closing = True
        for writer in self._connections.values():
            writer.close()
        self._notify()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await server.wait_closed()

    @property
    def port(self) -> int:
        if self._port is None or self._server is None:
            raise RuntimeError("FakeBotApi is not running; use `async with FakeBotApi() as api`")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def base_url(self) -> str:
        """For `Bot(token, base_url=...)`, which appends the token and then /method."""
        return f"{self.url}/bot"

    # ----------------------------------------------------------------- test controls

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue an update for getUpdates; assigns update_id unless the dict has one already
        (as the helpers' do). Returns the queued update."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self._take_update_id()
        update_id = update["update_id"]
        if not isinstance(update_id, int):
            raise ValueError(f"update_id must be an int: {update_id!r}")
        if update_id < self._confirmed_offset:
            raise ValueError(
                f"update_id {update_id} is below the confirmed offset {self._confirmed_offset}:"
                " getUpdates would never return it"
            )
        if any(queued["update_id"] == update_id for queued in self._queue):
            raise ValueError(f"update_id {update_id} is already queued")
        kinds = [key for key in update if key != "update_id"]
        if len(kinds) != 1:
            raise ValueError(f"an update has exactly one field besides update_id, not {kinds}")
        self._next_update_id = max(self._next_update_id, update_id + 1)
        self._remember_update(update)
        self._queue.append(update)
        self._queue.sort(key=lambda queued: int(queued["update_id"]))
        self._notify()
        return copy.deepcopy(update)

    @staticmethod
    def user(
        user_id: int,
        *,
        first_name: str = "Test",
        last_name: str | None = "User",
        username: str | None = None,
        language_code: str | None = "en",
    ) -> JSONDict:
        """A Telegram User dict for a human."""
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def user_message(
        self,
        chat_id: int,
        text: str,
        *,
        user: JSONDict | None = None,
        chat_type: str = "private",
    ) -> JSONDict:
        """An Update with a message from a user (a channel_post for chat_type="channel"), with an
        update_id already assigned. Pass it to push_update() or to Update.de_json()."""
        chat = self._new_chat(chat_id, chat_type, user)
        message: JSONDict = {
            "message_id": self._take_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "text": text,
        }
        if chat_type == "channel":
            message["sender_chat"] = chat
        else:
            message["from"] = user or self._default_user(chat_id, chat_type)
        # PTB's CommandHandler only fires on a bot_command entity at offset 0, as Telegram sends.
        if match := COMMAND_RE.match(text):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(match.group())}
            ]
        self._chats[chat_id] = chat
        self.messages[(chat_id, message["message_id"])] = message
        kind = "channel_post" if chat_type == "channel" else "message"
        return {"update_id": self._take_update_id(), kind: copy.deepcopy(message)}

    def callback(
        self,
        chat_id: int,
        data: str,
        message_id: int,
        *,
        user: JSONDict | None = None,
        check_keyboard: bool = True,
    ) -> JSONDict:
        """An Update with a callback_query: a user pressed a button of a message the bot sent.
        With check_keyboard, `data` must be the callback_data of a button that message has now,
        because that is all a real user can press."""
        message = self.messages.get((chat_id, message_id))
        if message is None or message.get("from", {}).get("id") != self.bot_id:
            raise ValueError(f"the bot sent no message {message_id} to chat {chat_id}")
        if check_keyboard:
            offered = [
                button.get("callback_data")
                for row in message.get("reply_markup", {}).get("inline_keyboard", [])
                for button in row
            ]
            if data not in offered:
                raise ValueError(
                    f"message {message_id} in chat {chat_id} has no button with callback_data"
                    f" {data!r}; it has {offered}"
                )
        chat_type = str(message["chat"]["type"])
        self._query_count += 1
        query_id = str(4_000_000_000_000_000_000 + self._query_count)
        self._open_queries.add(query_id)
        query: JSONDict = {
            "id": query_id,
            "from": user or self._default_user(chat_id, chat_type),
            "message": copy.deepcopy(message),
            # Telegram: a stable opaque id of the chat the message is in.
            "chat_instance": str((chat_id * 2_654_435_761) % 2**63),
            "data": data,
        }
        return {"update_id": self._take_update_id(), "callback_query": query}

    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        chat_id: ChatId | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer the next `times` calls of `method` (only those to `chat_id`, if given) with
        this error instead of serving them; times=None keeps failing until clear_failures()."""
        if method not in self._handlers:
            raise ValueError(f"{method} is not faked, so it fails anyway; faked: {self.METHODS}")
        if not 400 <= error_code <= 599:
            raise ValueError(f"error_code must be an HTTP error status, not {error_code}")
        if (error_code == 429) != (retry_after is not None):
            raise ValueError("Telegram sends retry_after with 429 and only with 429")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for every call")
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        error = ApiError(error_code, description, parameters)
        self._failures.append(_Failure(method, error, chat_id, times))

    def clear_failures(self) -> None:
        self._failures.clear()

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates getUpdates has not yet been told (by offset) to forget."""
        return copy.deepcopy(self._queue)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    # A plain timeout argument, like the Kannel fake's: these are test helpers, not library code.
    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        """Wait for the fake's state to satisfy `predicate`, re-checked on every change."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    changed = self._changed
                    if predicate():
                        return
                    await changed.wait()
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what}; calls so far:"
                f" {[(c.method, c.status) for c in self.calls]}; unexpected: {self.unexpected}"
            ) from None

    async def wait_for_sent(self, count: int, timeout: float = 5.0) -> list[JSONDict]:  # noqa: ASYNC109
        """Wait until at least `count` messages have been sent; returns all sent so far."""
        await self.wait_until(lambda: len(self.sent) >= count, timeout, f"{count} sent messages")
        return list(self.sent)

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until `method` has been called `count` times (in flight counts: a parked long
        poll is visible here, which is how a test knows the poll is waiting)."""
        await self.wait_until(
            lambda: len(self.calls_to(method)) >= count, timeout, f"{count} {method} calls"
        )

    # ----------------------------------------------------------------- HTTP

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        self.connection_count += 1
        try:
            while True:
                try:
                    request = await _read_request(reader)
                except _BadHttp as exc:
                    self._flag(f"malformed HTTP request: {exc}")
                    error = ApiError(400, f"Bad Request: malformed HTTP request: {exc}")
                    _write_response(writer, 400, error.payload(), close=True)
                    await writer.drain()
                    return
                if request is None:  # the client closed an idle keep-alive connection
                    return
                try:
                    status, payload = await self._answer(request, reader)
                except _ClientGone:
                    return
                close = _wants_close(request)
                _write_response(writer, status, payload, close=close)
                await writer.drain()
                if close:
                    return
        except ConnectionError:
            pass  # the client went away mid-exchange; there is nobody to report to
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            # Only now: __aexit__ must wait for this task, or the event loop cancels it at
            # teardown and asyncio logs the CancelledError.
            self._connections.pop(task, None)

    async def _answer(
        self, request: _Request, reader: asyncio.StreamReader
    ) -> tuple[int, JSONDict]:
        where = f"{request.method} {request.target}"
        split = urllib.parse.urlsplit(request.target)
        match = re.fullmatch(r"/bot([^/]*)/([^/]*)", urllib.parse.unquote(split.path))
        if request.method not in ("GET", "POST") or match is None:
            error = ApiError(404, "Not Found")
            self._flag(f"{where}: not a Bot API method URL")
            return error.error_code, error.payload()
        token, name = match.groups()
        if token != self.token:
            error = ApiError(401, "Unauthorized")
            self._flag(f"{where}: wrong token {token!r}")
            return error.error_code, error.payload()
        method = self._by_lower_name.get(name.lower(), name)
        call = Call(method, {})
        self.calls.append(call)
        injected = False
        try:
            call.params = _parse_params(request, split.query)
            handler = self._handlers.get(method)
            if handler is None:
                raise ApiError(404, f"Not Found: method {method} is not faked")
            failure = self._take_failure(method, call.params)
            if failure is not None:
                injected = True
                raise failure
            result = await handler(call.params, reader)
        except ApiError as error:
            if not injected:
                self._flag(f"{method} {call.params}: {error.error_code} {error.description}")
            call.status = error.error_code
            self._notify()
            return error.error_code, error.payload()
        except _ClientGone:
            call.status = 499  # nginx's "client closed request": nobody saw an answer
            self._notify()
            raise
        except Exception:
            # A bug in the fake must not pass for a Telegram answer.
            self._flag(f"{method}: the fake crashed:\n{traceback.format_exc()}")
            call.status = 500
            self._notify()
            return 500, ApiError(500, "Internal Server Error: the fake crashed").payload()
        call.status = 200
        self._notify()
        return 200, {"ok": True, "result": result}

    def _take_failure(self, method: str, params: JSONDict) -> ApiError | None:
        for failure in self._failures:
            if failure.method != method:
                continue
            if failure.chat_id is not None and params.get("chat_id") != failure.chat_id:
                continue
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining == 0:
                    self._failures.remove(failure)
            return failure.error
        return None

    # ----------------------------------------------------------------- methods

    async def _get_me(self, params: JSONDict, reader: asyncio.StreamReader) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _set_webhook(self, params: JSONDict, reader: asyncio.StreamReader) -> bool:
        url = str(params.get("url", ""))
        if not url:  # Telegram: setWebhook with an empty url removes the webhook
            self.webhook = None
            return True
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if (parts.port or 443) not in WEBHOOK_PORTS:
            raise ApiError(
                400,
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            )
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if "allowed_updates" in params:
            self._allowed_updates = self._checked_allowed_updates(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self._drop_queue()
        self.webhook = dict(params)
        return True

    async def _delete_webhook(self, params: JSONDict, reader: asyncio.StreamReader) -> bool:
        if params.get("drop_pending_updates"):
            self._drop_queue()
        self.webhook = None
        return True

    async def _get_webhook_info(self, params: JSONDict, reader: asyncio.StreamReader) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook:
            info["max_connections"] = self.webhook.get("max_connections", 40)
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    async def _get_updates(self, params: JSONDict, reader: asyncio.StreamReader) -> list[JSONDict]:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset", 0))
        limit = min(max(int(params.get("limit", 100)), 1), 100)  # Telegram clamps, not refuses
        timeout = float(params.get("timeout", 0))
        if timeout < 0:
            raise ApiError(400, "Bad Request: timeout must be non-negative")
        if "allowed_updates" in params:
            self._allowed_updates = self._checked_allowed_updates(params["allowed_updates"])
        self._confirm(offset)
        # Telegram lets one getUpdates wait at a time: a newer one ends the older with 409.
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            if self._closing or reader.at_eof() or reader.exception() is not None:
                raise _ClientGone
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request;"
                    " make sure that only one bot instance is running",
                )
            batch = [update for update in self._queue if self._wanted(update)][:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0:
                return copy.deepcopy(batch)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await changed.wait()

    async def _send_message(self, params: JSONDict, reader: asyncio.StreamReader) -> JSONDict:
        chat_id = self._required_chat_id(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        self._check_parse_mode(params, text)
        markup = params.get("reply_markup")
        _check_reply_markup(markup)
        reply_to = self._reply_target(chat_id, params)
        message = self._new_bot_message(chat_id, text, markup)
        if reply_to is not None:
            message["reply_to_message"] = copy.deepcopy(reply_to)
        self.sent.append({**params, "message_id": message["message_id"]})
        return copy.deepcopy(message)

    async def _answer_callback_query(self, params: JSONDict, reader: asyncio.StreamReader) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_queries.discard(query_id)  # a query can be answered once
        self.answered.append(dict(params))
        return True

    async def _edit_message_text(
        self, params: JSONDict, reader: asyncio.StreamReader
    ) -> JSONDict | bool:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        self._check_parse_mode(params, text)
        markup = params.get("reply_markup")
        _check_reply_markup(markup)
        if "inline_message_id" in params:
            # Messages sent via inline mode live with the user; the bot only gets `true` back.
            self.edited.append(dict(params))
            return True
        chat_id = self._required_chat_id(params)
        if "message_id" not in params:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self.messages.get((chat_id, int(params["message_id"])))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        # Telegram drops the inline keyboard when an edit does not repeat it.
        new_markup = markup if _is_inline_keyboard(markup) else None
        if message["text"] == text and message.get("reply_markup") == new_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply"
                " markup are exactly the same as a current content and reply markup of the message",
            )
        message["text"] = text
        message["edit_date"] = int(time.time())
        if new_markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = new_markup
        self.edited.append(dict(params))
        return copy.deepcopy(message)

    # ----------------------------------------------------------------- state helpers

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _flag(self, problem: str) -> None:
        self.unexpected.append(problem)
        self._notify()

    def _take_update_id(self) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        return update_id

    def _take_message_id(self, chat_id: ChatId) -> int:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _confirm(self, offset: int) -> None:
        """getUpdates' offset: forget updates below it; a negative one keeps the last -offset."""
        if offset > 0:
            self._queue = [update for update in self._queue if update["update_id"] >= offset]
            self._confirmed_offset = max(self._confirmed_offset, offset)
        elif offset < 0:
            self._queue = self._queue[offset:]

    def _drop_queue(self) -> None:
        if self._queue:
            self._confirmed_offset = max(self._confirmed_offset, self._queue[-1]["update_id"] + 1)
        self._queue = []

    def _wanted(self, update: JSONDict) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in OPT_IN_UPDATE_TYPES

    @staticmethod
    def _checked_allowed_updates(value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
            raise ApiError(400, "Bad Request: can't parse allowed updates")
        return list(value)

    def _remember_update(self, update: JSONDict) -> None:
        """Make messages in a hand-built update known, so replies and edits to them work."""
        found: list[JSONDict] = []
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            if isinstance(update.get(key), dict):
                found.append(update[key])
        query = update.get("callback_query")
        if isinstance(query, dict):
            self._open_queries.add(str(query.get("id")))
            if isinstance(query.get("message"), dict):
                found.append(query["message"])
        for message in found:
            chat_id = message["chat"]["id"]
            message_id = int(message["message_id"])
            self._chats.setdefault(chat_id, message["chat"])
            self.messages.setdefault((chat_id, message_id), copy.deepcopy(message))
            if message_id > self._last_message_id.get(chat_id, 0):
                self._last_message_id[chat_id] = message_id

    def _new_chat(self, chat_id: int, chat_type: str, user: JSONDict | None) -> JSONDict:
        if chat_type == "private":
            if chat_id <= 0:
                raise ValueError(f"a private chat's id is the user's id, > 0, not {chat_id}")
            person = user or self._default_user(chat_id, chat_type)
            if person["id"] != chat_id:
                raise ValueError(f"in a private chat the user id is the chat id ({chat_id})")
            chat: JSONDict = {"id": chat_id, "type": "private", "first_name": person["first_name"]}
            for key in ("last_name", "username"):
                if key in person:
                    chat[key] = person[key]
            return chat
        if chat_type in ("group", "supergroup", "channel"):
            if chat_id >= 0:
                raise ValueError(f"a {chat_type}'s id is negative, not {chat_id}")
            return {"id": chat_id, "type": chat_type, "title": f"{chat_type.title()} {chat_id}"}
        raise ValueError(f"unknown chat_type {chat_type!r}")

    def _default_user(self, chat_id: int, chat_type: str) -> JSONDict:
        user_id = chat_id if chat_type == "private" else DEFAULT_GROUP_MEMBER_ID
        return self.user(user_id, username=f"user{user_id}")

    def _chat(self, chat_id: ChatId) -> JSONDict:
        known = self._chats.get(chat_id)
        if known is not None:
            return known
        # Tests broadcast to subscribers who never wrote in this test; they exist in Telegram.
        if isinstance(chat_id, str):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id > 0:
            chat = {"id": chat_id, "type": "private", "first_name": "Test"}
        elif str(chat_id).startswith("-100"):
            chat = {"id": chat_id, "type": "supergroup", "title": f"Supergroup {chat_id}"}
        else:
            chat = {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
        self._chats[chat_id] = chat
        return chat

    def _required_chat_id(self, params: JSONDict) -> ChatId:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int | str):
            raise ApiError(400, "Bad Request: chat not found")
        self._chat(chat_id)
        return chat_id

    def _check_parse_mode(self, params: JSONDict, text: str) -> None:
        parse_mode = params.get("parse_mode")
        if parse_mode is not None and str(parse_mode).lower() not in _PARSE_MODES:
            raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
        # The limit applies after entity parsing, which the fake does not do: check plain text.
        if parse_mode is None and _utf16_len(text) > MAX_TEXT_UTF16:
            raise ApiError(400, "Bad Request: message is too long")

    def _reply_target(self, chat_id: ChatId, params: JSONDict) -> JSONDict | None:
        reply = params.get("reply_parameters")
        if reply is None and "reply_to_message_id" in params:
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
            }
        if reply is None:
            return None
        if not isinstance(reply, dict) or "message_id" not in reply:
            raise ApiError(400, "Bad Request: can't parse reply parameters JSON object")
        target = self.messages.get((reply.get("chat_id", chat_id), int(reply["message_id"])))
        if target is None and not reply.get("allow_sending_without_reply"):
            raise ApiError(400, "Bad Request: message to be replied not found")
        return target

    def _new_bot_message(self, chat_id: ChatId, text: str, markup: Any) -> JSONDict:
        message: JSONDict = {
            "message_id": self._take_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": dict(self._chat(chat_id)),
            "date": int(time.time()),
            "text": text,
        }
        if _is_inline_keyboard(markup):  # Telegram echoes only inline keyboards
            message["reply_markup"] = markup
        self.messages[(chat_id, message["message_id"])] = message
        return message


# --------------------------------------------------------------------- module helpers


def _utf16_len(text: str) -> int:
    """Telegram measures text (limits, entity offsets) in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _is_inline_keyboard(markup: Any) -> bool:
    return isinstance(markup, dict) and "inline_keyboard" in markup


def _check_reply_markup(markup: Any) -> None:
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if not _is_inline_keyboard(markup):
        return
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(400, 'Bad Request: can\'t find field "text"')
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def _wants_close(request: _Request) -> bool:
    connection = request.headers.get("connection", "").lower()
    if request.version == "HTTP/1.0":
        return "keep-alive" not in connection
    return "close" in connection


def _write_response(
    writer: asyncio.StreamWriter, status: int, payload: JSONDict, *, close: bool
) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'close' if close else 'keep-alive'}\r\n"
        "\r\n"
    )
    writer.write(head.encode("latin-1") + body)


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """One HTTP/1.x request, or None at a clean end of the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise _BadHttp(f"connection closed inside the headers: {exc.partial[:80]!r}") from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise _BadHttp("headers too long") from exc
    lines = head[:-4].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[2] not in ("HTTP/1.1", "HTTP/1.0"):
        raise _BadHttp(f"bad request line {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise _BadHttp(f"bad header line {line!r}")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    try:
        if "transfer-encoding" in headers:
            if headers["transfer-encoding"].lower() != "chunked":
                raise _BadHttp(f"unsupported Transfer-Encoding {headers['transfer-encoding']!r}")
            body = await _read_chunked(reader)
        elif "content-length" in headers:
            length = headers["content-length"]
            if not length.isdigit():
                raise _BadHttp(f"bad Content-Length {length!r}")
            body = await reader.readexactly(int(length))
        else:
            body = b""  # HTTP/1.1: a request without either header has no body
    except asyncio.IncompleteReadError as exc:
        raise _BadHttp("connection closed inside the body") from exc
    return _Request(parts[0], parts[1], parts[2], headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise _BadHttp(f"bad chunk size {size_line!r}") from exc
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # skip trailers
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise _BadHttp("chunk not followed by CRLF")


def _parse_params(request: _Request, query: str) -> JSONDict:
    """The call's parameters from query string and body, typed as Telegram types them."""
    raw: dict[str, Any] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    content_type = request.headers.get("content-type", "")
    mime = content_type.split(";", 1)[0].strip().lower()
    if request.body:
        try:
            if mime == "application/x-www-form-urlencoded":
                text = request.body.decode("utf-8")
                raw.update(
                    urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=True)
                )
            elif mime == "application/json":
                parsed = json.loads(request.body)
                if not isinstance(parsed, dict):
                    raise ApiError(400, "Bad Request: the JSON body must be an object")
                raw.update(parsed)
            elif mime == "multipart/form-data":
                raw.update(_parse_multipart(content_type, request.body))
            else:
                raise ApiError(400, f"Bad Request: unsupported Content-Type {content_type!r}")
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, f"Bad Request: can't parse the {mime} body: {exc}") from exc
    return _typed(raw.items())


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    # The email package parses MIME multipart, which form-data is; prepend the header it needs.
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ApiError(400, "Bad Request: multipart/form-data body without parts")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        disposition = part.get("content-disposition")
        name = disposition.params.get("name") if disposition is not None else None
        if not name:
            raise ApiError(400, "Bad Request: multipart part without a name")
        data = part.get_payload(decode=True) or b""
        if not isinstance(data, bytes):  # decode=True gives bytes for a non-multipart part
            raise ApiError(400, f"Bad Request: nested multipart in field {name!r}")
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode(part.get_content_charset() or "utf-8")
        else:
            fields[name] = UploadedFile(filename, part.get_content_type(), data)
    return fields


def _typed(items: Iterable[tuple[str, Any]]) -> JSONDict:
    params: JSONDict = {}
    for key, value in items:
        try:
            params[key] = _typed_value(key, value)
        except (ValueError, TypeError) as exc:
            raise ApiError(400, f"Bad Request: can't parse {key}: {value!r}") from exc
    return params


def _typed_value(key: str, value: Any) -> Any:
    if isinstance(value, UploadedFile):
        return value
    if key == "chat_id":
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.startswith("@"):
            return value
        raise ValueError("not a chat id or @username")
    if key in _INT_FIELDS:
        if isinstance(value, bool):
            raise TypeError("a bool is not an int")
        return int(value)
    if key in _NUMBER_FIELDS:
        number = float(value)
        return int(number) if number.is_integer() else number
    if key in _BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        lowered = str(value).lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise ValueError("not a boolean")
    if key in _JSON_FIELDS and isinstance(value, str):
        return json.loads(value)
    return value
