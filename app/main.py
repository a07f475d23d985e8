"""The composition root: builds the FastAPI app and wires every part of the service together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from app.api.docs import install_docs
from app.api.errors import install_error_handlers
from app.api.headers import SecurityHeaders
from app.api.limits import BodySizeLimit
from app.api.metrics import install_metrics, metrics_port
from app.api.router import api_router
from app.commands.parse import ParserCache
from app.console.errors import install_console_errors
from app.console.router import router as console_router
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.errors import DatabaseUnavailable
from app.core.heap import freeze_startup_heap
from app.core.i18n import require_catalogs
from app.core.metrics import Metrics
from app.core.migrations import require_current_schema
from app.core.readiness import readiness
from app.public.board_errors import install_board_errors
from app.public.board_pages import router as board_pages
from app.public.cards import cards_status, log_cards_status
from app.public.cards import router as cards_router
from app.public.feeds import router as public_feeds
from app.public.limits import PublicLimits, buckets_for
from app.public.open_data import router as open_data
from app.text.formatting import load_locale_data
from app.web.static import STATIC_PATH, static_files
from bots.sms.channel import build_gateway
from bots.sms.webhook import router as sms_webhooks
from bots.telegram import application as telegram_bot
from bots.telegram.channel import build_telegram_channel
from bots.telegram.webhook import router as telegram_webhook
from jobs.collect import SourceRunner
from jobs.dispatcher import Dispatcher, outbound_channels
from jobs.scheduler import Scheduler


def _version() -> str:
    try:
        return version("mic")
    except PackageNotFoundError:
        return "0+unknown"


def create_app(settings: Settings | None = None, *, own_process: bool = False) -> FastAPI:
    """The service. `own_process`: the app is the whole process (`mic run`), which may then
    freeze what it loaded at startup out of garbage collection (app.core.heap); an app among
    others, in tests, leaves the collector alone."""
    settings = settings or get_settings()
    settings.check_production_secrets()
    database = Database.from_settings(settings)

    sms_gateway = build_gateway(settings)
    telegram = build_telegram_channel(settings)
    metrics = Metrics(settings.process_label)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(require_current_schema, database.url)
        await asyncio.to_thread(require_catalogs, settings.locales_dir)
        await asyncio.to_thread(load_locale_data)
        await asyncio.to_thread(log_cards_status, settings)
        dispatcher: asyncio.Task[None] | None = None
        if settings.dispatcher:
            channels = outbound_channels(sms_gateway, telegram)
            app.state.dispatcher = Dispatcher(database, settings, channels, metrics=metrics)
            dispatcher = asyncio.create_task(app.state.dispatcher.run())
        scheduler: asyncio.Task[None] | None = None
        if settings.scheduler:
            dispatcher_wake = app.state.dispatcher.wake if settings.dispatcher else None
            app.state.scheduler = Scheduler(
                database,
                settings,
                on_queued=dispatcher_wake,
                parsers=app.state.parsers,
                metrics=metrics,
            )
            scheduler = asyncio.create_task(app.state.scheduler.run())
        if telegram is not None and settings.telegram_mode != "off":
            app.state.telegram = telegram_bot.build_application(
                settings, database, app.state.parsers
            )
            await telegram_bot.start(app.state.telegram, settings, metrics)
        if own_process:
            # The parser of the catalogue is built before the first message, not by it (while
            # it holds SQLite's write turn), and is frozen with the rest of the startup heap.
            async with database.read_session() as session:
                await app.state.parsers.get(session)
            freeze_startup_heap()
        try:
            async with metrics_port(metrics, settings):
                yield
        finally:
            if getattr(app.state, "telegram", None) is not None:
                await telegram_bot.stop(app.state.telegram)
            if scheduler is not None:
                app.state.scheduler.stop()
                await scheduler
            await app.state.source_runner.close()
            if dispatcher is not None:
                app.state.dispatcher.stop()
                await dispatcher
            await sms_gateway.close()
            if telegram is not None:
                await telegram.close()
            await database.dispose()

    app = FastAPI(
        title="Mekong Market Information Centre",
        version=_version(),
        summary="Market prices, buyer leads and notices for CLMV producers, curated by CDEs.",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, from local assets
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.sms_gateway = sms_gateway
    app.state.parsers = ParserCache(settings.default_locale)
    app.state.inbound_turns = asyncio.Semaphore(settings.sms_inbound_concurrency)
    app.state.card_turns = asyncio.Semaphore(1)  # share cards: one drawn at a time
    app.state.source_runner = SourceRunner(database, settings)
    install_error_handlers(app)
    install_console_errors(app)
    install_board_errors(app)
    # Inside the size limit and the security headers, so a refusal carries those headers too.
    app.state.public_buckets = buckets_for(settings)
    app.add_middleware(
        PublicLimits,
        buckets=app.state.public_buckets,
        concurrency=settings.public_concurrency,
    )
    app.add_middleware(BodySizeLimit)
    app.add_middleware(SecurityHeaders, https=settings.public_url.lower().startswith("https://"))
    install_metrics(app, metrics, settings)
    install_docs(app)
    # Webhooks first: routes are matched in order, and a gateway's storm of inbound messages
    # should not be matched against every /api/v1 route before reaching its own.
    app.include_router(sms_webhooks)
    app.include_router(telegram_webhook)
    app.include_router(api_router)
    app.include_router(open_data)
    app.include_router(public_feeds)
    # The public board: no sign-in, before the console's pages.
    app.include_router(board_pages)
    app.include_router(cards_router)
    app.include_router(console_router)
    app.mount(STATIC_PATH, static_files(), name="static")

    @app.get(
        "/healthz",
        tags=["operations"],
        responses={503: {"description": "The database does not answer"}},
    )
    async def healthz() -> JSONResponse:
        """Liveness: the process answers and reaches its database. Cheap enough to poll often."""
        try:
            await database.ping()
        except DatabaseUnavailable as exc:
            return JSONResponse(
                status_code=503, content={"status": "error", "database": str(exc.detail)}
            )
        return JSONResponse({"status": "ok", "database": "ok", "version": app.version})

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> JSONResponse:
        """Readiness: the database answers, its schema is the one this code needs, and every
        locale's message catalog loads. 503 names what is wrong. `cards` says whether share
        cards can be drawn here, and why not: a process without them still serves everything
        else, so it does not make the process unready."""
        report = await readiness(database, settings)
        body = {"status": "ok" if report.ready else "error", "version": app.version}
        checks = report.checks | {"cards": await asyncio.to_thread(cards_status, settings)}
        return JSONResponse(status_code=200 if report.ready else 503, content=body | checks)

    return app
