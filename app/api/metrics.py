"""Serving a process's Prometheus metrics (app/core/metrics.py), and counting its HTTP requests.

Where the metrics are served:
- MIC_METRICS_PORT set: on that port (and MIC_METRICS_HOST) only, by a small server of their own
  inside the process (`mic run`, `mic dispatcher`, `mic scheduler` alike); the API then has no
  /metrics. Meant for a port only the monitoring network reaches.
- else at /metrics of the API: with MIC_METRICS_TOKEN set, only to `Authorization: Bearer
  <token>` (401 otherwise); without a token, to anyone, except with MIC_ENV=production, where
  metrics are then not served at all (404): the outbox, SMS spend and the API's traffic are not
  for the public.
On the port too, a token set is asked for. /metrics is never part of the OpenAPI.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_response
from app.core.config import Settings
from app.core.errors import ConfigurationError
from app.core.metrics import Metrics

log = logging.getLogger("mic.metrics")

PATH = "/metrics"
# What a request that matched no route is counted as: its raw path would make a new series of
# every URL a scanner tries.
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def served_by_the_api(settings: Settings) -> bool:
    """Whether /metrics of the API serves them (see the module's docstring)."""
    if settings.metrics_port is not None:
        return False
    return settings.metrics_token is not None or settings.env != "production"


class RequestMetrics:
    """Times every HTTP request, by route template (`/api/v1/prices/{price_id}`, never the raw
    path), method and status class. Pure ASGI and cheap: one histogram observation a request,
    into a labelled child found once per route, method and status class and kept."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self._requests = metrics.http_requests
        # (id(route), method, status class) -> the histogram's child. Routes live as long as
        # the app, and each is included under one prefix, so its id stands for its template.
        self._children: dict[tuple[int, str, int], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app fails before it does

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            route = scope.get("route")  # the router leaves the route it matched here
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            key = (id(route), method, status // 100)
            child = self._children.get(key)
            if child is None:
                template = _template(route, scope["path"])
                child = self._requests.labels(template, method, f"{status // 100}xx")
                self._children[key] = child
            child.observe(time.perf_counter() - started)


def _template(route: Any, path: str) -> str:
    """The template of the route the router matched, with the prefix of the router it belongs
    to: a route of an included router knows only its own part (`/prices/{price_id}`), which
    matches the end of the path (`/api/v1/prices/7`)."""
    own: str | None = getattr(route, "path", None)
    pattern: re.Pattern[str] | None = getattr(route, "path_regex", None)
    if own is None or pattern is None:
        return UNMATCHED
    for start, char in enumerate(path):
        if char == "/" and pattern.match(path[start:]):
            return path[:start] + own
    return UNMATCHED


class MetricsEndpoint:
    """GET /metrics: the exposition text, to the Bearer token when one is set."""

    def __init__(self, metrics: Metrics, settings: Settings) -> None:
        self.metrics = metrics
        token = settings.metrics_token
        self._token = token.get_secret_value().encode() if token is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            refused = error_response(405, "method_not_allowed", "metrics are read with GET")
            refused.headers["Allow"] = "GET, HEAD"
            await refused(scope, receive, send)
            return
        if self._token is not None and not self._authorized(scope):
            refused = error_response(
                401, "unauthorized", "send the metrics token as 'Authorization: Bearer <token>'"
            )
            refused.headers["WWW-Authenticate"] = "Bearer"
            await refused(scope, receive, send)
            return
        body = await self.metrics.scrape()
        await Response(body, media_type=self.metrics.content_type)(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        assert self._token is not None
        sent = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        scheme, _, token = sent.partition(b" ")
        # Compared in constant time, as bytes: a header is whatever the client sent.
        return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self._token)


def install_metrics(app: FastAPI, metrics: Metrics, settings: Settings) -> None:
    """Count the app's requests, and serve /metrics when the API is where they are served.
    Call it after the other middleware: the outermost layer times the whole answer."""
    app.add_middleware(RequestMetrics, metrics=metrics)
    if served_by_the_api(settings):
        app.router.routes.append(
            Route(PATH, MetricsEndpoint(metrics, settings), include_in_schema=False)
        )
    elif settings.metrics_port is None:
        log.warning(
            "metrics are not served: with MIC_ENV=production set MIC_METRICS_TOKEN (for "
            "/metrics) or MIC_METRICS_PORT (a port of their own)"
        )


class _MetricsOnly:
    """The whole app of the metrics port: /metrics, and 404 for anything else."""

    def __init__(self, endpoint: MetricsEndpoint) -> None:
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == PATH:
            await self.endpoint(scope, receive, send)
            return
        await error_response(404, "not_found", f"this port serves {PATH} only")(
            scope, receive, send
        )


class _SecondServer(uvicorn.Server):
    """A server beside the process's own work, which has its own signal handling (uvicorn's
    main server, `mic dispatcher`'s handlers): it stops when the process tells it to, never on
    a signal it caught itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listen(settings: Settings) -> socket.socket:
    host, port = settings.metrics_host, settings.metrics_port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port or 0), family=family)
    except OSError as exc:
        raise ConfigurationError(
            f"MIC_METRICS_PORT: cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None


@contextlib.asynccontextmanager
async def metrics_port(metrics: Metrics, settings: Settings) -> AsyncIterator[None]:
    """Serve the metrics on MIC_METRICS_PORT while the block runs; nothing when it is unset.
    The port is taken before the block starts, so a port in use fails the process at once."""
    if settings.metrics_port is None:
        yield
        return
    listener = _listen(settings)
    config = uvicorn.Config(
        _MetricsOnly(MetricsEndpoint(metrics, settings)),
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = _SecondServer(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    log.info("metrics on http://%s:%s%s", settings.metrics_host, settings.metrics_port, PATH)
    try:
        yield
    finally:
        server.should_exit = True
        await serving
