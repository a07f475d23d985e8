"""fetch() against a fake upstream over real loopback HTTP."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from jobs.collectors.http import MAX_BYTES, Fetched, FetchError, fetch, new_client
from tests.fakes.upstream import LOOPBACK, FakeUpstream

CSV = "market,commodity,unit,price\nYangon,Rice,kg,1200\n"
LAST_MODIFIED = "Tue, 04 Mar 2025 06:30:00 GMT"


@pytest.fixture(autouse=True)
async def quiet_event_loop() -> AsyncIterator[None]:
    """asyncio only logs a crashed callback or a task left behind; make those fail the test."""
    loop = asyncio.get_running_loop()
    problems: list[str] = []
    loop.set_exception_handler(lambda _, context: problems.append(str(context)))
    yield
    this = asyncio.current_task()
    # A body read only in part leaves httpx's chain of async generators to asyncio's finalizer
    # hook, which closes each in a task of its own: those end by themselves, once they run.
    closing = [t for t in asyncio.all_tasks() if "async_generator_athrow" in repr(t.get_coro())]
    if closing:
        await asyncio.wait(closing, timeout=5)
    loop.set_exception_handler(None)
    problems += [f"task still running: {t!r}" for t in asyncio.all_tasks() if t is not this]
    assert problems == []


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(allowed_hosts=[LOOPBACK], timeout_s=5.0) as c:
        yield c


async def test_200_returns_the_body_and_its_validators(
    upstream: FakeUpstream, client: httpx.AsyncClient
) -> None:
    upstream.route(
        "/prices.csv",
        CSV,
        content_type="text/csv; charset=utf-8",
        etag='"v1"',
        last_modified=LAST_MODIFIED,
    )

    got = await fetch(client, f"{upstream.url}/prices.csv", expect="csv", params={"year": "2025"})

    assert got == Fetched(
        content=CSV.encode(),
        etag='"v1"',
        last_modified=LAST_MODIFIED,
        content_type="text/csv; charset=utf-8",
        url=f"{upstream.url}/prices.csv?year=2025",
    )
    [request] = upstream.requests
    assert request.query == {"year": "2025"}
    assert request.headers["user-agent"].startswith("MIC market information collector")
    assert "if-none-match" not in request.headers
    assert "if-modified-since" not in request.headers


async def test_an_etag_makes_the_next_fetch_conditional(
    upstream: FakeUpstream, client: httpx.AsyncClient
) -> None:
    upstream.route("/prices.csv", CSV, etag='"v1"')
    url = f"{upstream.url}/prices.csv"

    first = await fetch(client, url, expect="csv")
    second = await fetch(client, url, expect="csv", etag=first.etag)

    assert first.content == CSV.encode()
    assert (second.content, second.etag) == (None, '"v1"')
    assert [r.headers.get("if-none-match") for r in upstream.requests] == [None, '"v1"']


async def test_an_etag_that_changed_gets_the_new_body(
    upstream: FakeUpstream, client: httpx.AsyncClient
) -> None:
    upstream.route("/prices.csv", CSV, etag='"v2"')

    got = await fetch(client, f"{upstream.url}/prices.csv", expect="csv", etag='"v1"')

    assert (got.content, got.etag) == (CSV.encode(), '"v2"')
    assert upstream.requests[0].headers["if-none-match"] == '"v1"'


async def test_last_modified_makes_the_next_fetch_conditional(
    upstream: FakeUpstream, client: httpx.AsyncClient
) -> None:
    upstream.route("/prices.csv", CSV, last_modified=LAST_MODIFIED)
    url = f"{upstream.url}/prices.csv"

    first = await fetch(client, url, expect="csv")
    second = await fetch(client, url, expect="csv", last_modified=first.last_modified)

    assert (first.content, first.last_modified) == (CSV.encode(), LAST_MODIFIED)
    assert (second.content, second.last_modified) == (None, LAST_MODIFIED)
    assert [r.headers.get("if-modified-since") for r in upstream.requests] == [
        None,
        LAST_MODIFIED,
    ]


async def test_5xx_is_retried_until_the_answer_comes(
    upstream: FakeUpstream, client: httpx.AsyncClient
) -> None:
    upstream.route("/prices.csv", CSV)
    upstream.fail("/prices.csv", [503, 503])

    got = await fetch(client, f"{upstream.url}/prices.csv", expect="csv", backoff_s=0.01)

    assert got.content == CSV.encode()
    assert upstream.hits("/prices.csv") == 3


async def test_5xx_on_every_attempt_says_what_and_how_often(
    upstream: FakeUpstream, client: httpx.AsyncClient
) -> None:
    upstream.route("/prices.csv", CSV)
    upstream.fail("/prices.csv", [502, 500, 503], body="Backend  down\nfor maintenance")

    with pytest.raises(FetchError) as caught:
        await fetch(client, f"{upstream.url}/prices.csv", expect="csv", backoff_s=0.01)

    assert str(caught.value) == (
        "HTTP 503 from 127.0.0.1/prices.csv: Backend down for maintenance (3 attempts)"
    )
    assert upstream.hits("/prices.csv") == 3


async def test_404_fails_at_once_with_an_excerpt(
    upstream: FakeUpstream, client: httpx.AsyncClient
) -> None:
    upstream.route("/missing.csv", "No such dataset: wfp-prices-mmr", status=404)

    with pytest.raises(FetchError) as caught:
        await fetch(client, f"{upstream.url}/missing.csv", expect="csv", backoff_s=30, deadline_s=5)

    assert (
        str(caught.value) == "HTTP 404 from 127.0.0.1/missing.csv: No such dataset: wfp-prices-mmr"
    )
    assert upstream.hits("/missing.csv") == 1


async def test_a_server_that_never_answers_times_out_on_each_attempt(
    upstream: FakeUpstream,
) -> None:
    upstream.hang("/rates")
    started = time.monotonic()

    async with new_client(allowed_hosts=[LOOPBACK], timeout_s=0.3) as client:
        with pytest.raises(FetchError) as caught:
            await fetch(client, f"{upstream.url}/rates", expect="json", attempts=2, backoff_s=0.01)

    assert str(caught.value) == "no answer from 127.0.0.1 within 0.3 s (2 attempts)"
    assert upstream.hits("/rates") == 2
    assert time.monotonic() - started < 3


async def test_the_deadline_bounds_the_whole_fetch(upstream: FakeUpstream) -> None:
    upstream.hang("/rates")
    started = time.monotonic()

    async with new_client(allowed_hosts=[LOOPBACK], timeout_s=30) as client:
        with pytest.raises(FetchError) as caught:
            await fetch(client, f"{upstream.url}/rates", expect="json", deadline_s=0.3)

    assert str(caught.value) == (
        "no complete answer from 127.0.0.1 within the 0.3 s deadline (1 attempt)"
    )
    assert time.monotonic() - started < 3


class _CountingStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, transport: _CountingTransport) -> None:
        self._inner = inner
        self._transport = transport

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._transport.body_bytes_read += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class _CountingTransport(httpx.AsyncBaseTransport):
    """Counts the body bytes the client took from the network. Its small receive buffer keeps
    the kernel from soaking up the rest of a huge body the client never reads (Linux may grow
    it to tens of MB), so the fake's own count shows when the client stopped too."""

    def __init__(self) -> None:
        self.body_bytes_read = 0
        options = [(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)]
        self._inner = httpx.AsyncHTTPTransport(socket_options=options)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CountingStream(response.stream, self),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.mark.parametrize("send_length", [True, False], ids=["content-length", "streamed"])
async def test_a_huge_body_is_refused_without_reading_it_all(
    upstream: FakeUpstream, send_length: bool
) -> None:
    size = 50 * 1024 * 1024
    upstream.huge("/export.csv", size, send_length=send_length)
    transport = _CountingTransport()

    async with httpx.AsyncClient(transport=transport, timeout=10) as client:
        with pytest.raises(FetchError, match=r"^the response is larger than 20 MB; refused$"):
            await fetch(client, f"{upstream.url}/export.csv", expect="csv")
    await upstream.wait_answered("/export.csv")

    assert upstream.hits("/export.csv") == 1  # too large is not worth another attempt
    if send_length:
        assert transport.body_bytes_read == 0
    else:
        # It read past the limit by at most one network read (64 KB in httpcore), then stopped.
        assert MAX_BYTES < transport.body_bytes_read <= MAX_BYTES + 64 * 1024
    assert upstream.bytes_sent("/export.csv") < size - 16 * 1024 * 1024


@pytest.mark.parametrize(
    ("content_type", "page"),
    [
        (
            "text/html; charset=utf-8",
            "<head><title>Service\n  Unavailable &amp; Maintenance</title></head>Back soon",
        ),
        (
            "text/csv",
            "\ufeff \n<!DOCTYPE HTML><html><title>Service Unavailable &amp; Maintenance</title>",
        ),
        ("application/octet-stream", "<HTML><TITLE>Service Unavailable &amp; Maintenance</TITLE>"),
    ],
    ids=["content-type", "doctype-after-bom", "html-tag"],
)
async def test_an_html_page_served_with_200_is_refused(
    upstream: FakeUpstream, client: httpx.AsyncClient, content_type: str, page: str
) -> None:
    upstream.route("/prices.csv", page, content_type=content_type)

    with pytest.raises(FetchError) as caught:
        await fetch(client, f"{upstream.url}/prices.csv", expect="csv")

    assert str(caught.value) == (
        "expected CSV but the server sent an HTML page: Service Unavailable & Maintenance"
    )
    assert upstream.hits("/prices.csv") == 1


async def test_an_html_page_is_fine_when_html_is_expected(
    upstream: FakeUpstream, client: httpx.AsyncClient
) -> None:
    page = "<!doctype html><title>Daily reference rates</title><table></table>"
    upstream.route("/rates", page, content_type="text/html")

    got = await fetch(client, f"{upstream.url}/rates", expect="html")

    assert got.content == page.encode()


async def test_an_empty_body_is_refused(upstream: FakeUpstream, client: httpx.AsyncClient) -> None:
    upstream.route("/prices.json", b"", content_type="application/json")

    with pytest.raises(FetchError, match=r"^HTTP 200 from 127\.0\.0\.1/prices\.json with an empty"):
        await fetch(client, f"{upstream.url}/prices.json", expect="json")


async def test_429_waits_as_long_as_retry_after_says(
    upstream: FakeUpstream, client: httpx.AsyncClient
) -> None:
    upstream.route("/prices.json", '{"prices": []}', content_type="application/json")
    upstream.fail("/prices.json", [429], headers={"Retry-After": "0"})

    # With the 30 s backoff instead of Retry-After, the retry would not fit in the deadline.
    got = await fetch(
        client, f"{upstream.url}/prices.json", expect="json", backoff_s=30, deadline_s=10
    )

    assert got.content == b'{"prices": []}'
    assert upstream.hits("/prices.json") == 2


async def test_429_with_an_http_date_waits_until_then(
    upstream: FakeUpstream, client: httpx.AsyncClient
) -> None:
    upstream.route("/prices.json", '{"prices": []}', content_type="application/json")
    # A date already past: retry now. Read as garbage, the 30 s backoff would miss the deadline.
    upstream.fail("/prices.json", [429], headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})

    got = await fetch(
        client, f"{upstream.url}/prices.json", expect="json", backoff_s=30, deadline_s=10
    )

    assert got.content == b'{"prices": []}'
    assert upstream.hits("/prices.json") == 2


async def test_a_retry_that_cannot_fit_in_the_deadline_is_not_waited_for(
    upstream: FakeUpstream, client: httpx.AsyncClient
) -> None:
    upstream.route("/prices.json", '{"prices": []}', content_type="application/json")
    upstream.fail("/prices.json", [429], headers={"Retry-After": "45"}, body="Slow down")
    started = time.monotonic()

    with pytest.raises(FetchError) as caught:
        await fetch(client, f"{upstream.url}/prices.json", expect="json", deadline_s=10)

    assert str(caught.value) == (
        "HTTP 429 from 127.0.0.1/prices.json: Slow down"
        " (1 attempt; no time left for another before the 10 s deadline)"
    )
    assert time.monotonic() - started < 3


async def test_the_fake_records_and_flags_a_request_it_was_not_set_up_for(
    client: httpx.AsyncClient,
) -> None:
    async with FakeUpstream() as fake:
        fake.route("/prices.csv", CSV)
        with pytest.raises(FetchError) as caught:
            await fetch(client, f"{fake.url}/other.csv?page=2", expect="csv")

    assert str(caught.value).startswith("HTTP 599 from 127.0.0.1/other.csv: no route for GET")
    assert [(r.method, r.path, r.query) for r in fake.unexpected] == [
        ("GET", "/other.csv", {"page": "2"})
    ]
    with pytest.raises(AssertionError, match=r"unexpected requests:\n  GET /other\.csv\?page=2$"):
        fake.check()
