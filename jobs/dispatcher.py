"""The outbox dispatcher: claims due deliveries, sends them through their channel, records the
result. Started by the app's lifespan, or alone with `mic dispatcher`; any number of them may
run against one PostgreSQL database.

Each channel has its own loop: claim as many deliveries as the channel's shared token bucket
and the free sending slots allow, send each in its own task (outside any transaction), and let
one writer task record results in batches. A delivery is in flight from its claim until its
result is written; if the process dies in between, the claim's lease runs out and another
dispatcher sends it again, so a crash can repeat at most the in-flight window, never lose it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import uuid
from collections.abc import Mapping

from app.alerts.claims import Claimed, claim
from app.alerts.fallback import fall_back_to_sms
from app.alerts.models import ChannelName
from app.alerts.results import Outcome, record
from app.channels.base import Channel, ChannelError, ErrorKind, OutboundMessage, SendResult
from app.channels.console import ConsoleChannel
from app.channels.outage import OutageWatch
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.core.metrics import Metrics

log = logging.getLogger("mic.dispatcher")

# Errors after which the whole channel waits: a 429, or a channel that is down.
PAUSING = (ErrorKind.RATE_LIMITED, ErrorKind.UNAVAILABLE)


def outbound_channels(sms: Channel, telegram: Channel | None) -> dict[ChannelName, Channel]:
    """SMS through the configured gateway; Telegram through the bot, printed when there is none."""
    return {ChannelName.TELEGRAM: telegram or ConsoleChannel("telegram"), ChannelName.SMS: sms}


class Dispatcher:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        channels: Mapping[ChannelName, Channel],
        *,
        worker: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.channels = dict(channels)
        # The process's metrics; without them, a registry of its own that nobody scrapes.
        self.metrics = metrics or Metrics(settings.process_label)
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.sent = 0
        self.in_flight_max = 0
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._results_ready = asyncio.Event()
        self._busy: dict[ChannelName, int] = dict.fromkeys(self.channels, 0)
        self._paused_until: dict[ChannelName, float] = {}
        self._outages = {
            name: OutageWatch(
                after=settings.dispatch_outage_after, probe_s=settings.dispatch_outage_probe_s
            )
            for name in self.channels
        }
        self._outcomes: list[Outcome] = []
        self._sends: set[asyncio.Task[None]] = set()

    # --- lifecycle ------------------------------------------------------------------------------

    async def run(self) -> None:
        loops = [asyncio.create_task(self._channel_loop(n, c)) for n, c in self.channels.items()]
        writer = asyncio.create_task(self._writer())
        log.info("dispatcher %s started for %s", self.worker, ", ".join(self.channels))
        try:
            await self._stop.wait()
        finally:
            # Loops are never cancelled in the middle of a claim: they see the stop and return.
            self._stop.set()
            self._wake.set()
            self._slot_freed.set()
            await asyncio.gather(*loops, return_exceptions=True)
            # Let what is being sent finish and be recorded, so a clean stop repeats nothing.
            if self._sends:
                await asyncio.wait(self._sends, timeout=self.settings.dispatch_send_timeout_s)
            for task in list(self._sends):  # hung sends: their leases hand them on
                task.cancel()
            await asyncio.gather(*self._sends, return_exceptions=True)
            self._results_ready.set()
            await writer
            log.info("dispatcher %s stopped after %d messages", self.worker, self.sent)

    def stop(self) -> None:
        self._stop.set()

    def wake(self) -> None:
        """Look for due deliveries now rather than at the next poll."""
        self._wake.set()

    async def _nap(self, seconds: float) -> None:
        """Sleep until the timeout, a wake() or a stop()."""
        if self._stop.is_set():
            return
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(0.001, seconds))

    # --- claiming and sending -------------------------------------------------------------------

    async def _channel_loop(self, name: ChannelName, channel: Channel) -> None:
        settings = self.settings
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            paused = self._paused_until.get(name, 0.0) - loop.time()
            if paused > 0:
                await self._nap(paused)
                continue
            free = settings.dispatch_concurrency - self._busy[name]
            if free <= 0:
                self._slot_freed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._slot_freed.wait(), settings.dispatch_poll_s)
                continue
            try:
                async with self.database.session() as session:
                    claims = await claim(
                        session,
                        channel=name,
                        worker=self.worker,
                        limit=min(settings.dispatch_batch, free),
                        settings=settings,
                    )
            except Exception:
                log.exception("claiming %s deliveries failed; retrying", name)
                await asyncio.sleep(settings.dispatch_poll_s)
                continue
            if not claims.deliveries:
                await self._nap(min(claims.wait_s, settings.dispatch_poll_s))
                continue
            for claimed in claims.deliveries:
                self._busy[name] += 1
                task = asyncio.create_task(self._send(channel, claimed))
                self._sends.add(task)
                task.add_done_callback(self._sends.discard)
            in_flight = sum(self._busy.values()) + len(self._outcomes)
            self.in_flight_max = max(self.in_flight_max, in_flight)

    async def _send(self, channel: Channel, claimed: Claimed) -> None:
        message = OutboundMessage(
            delivery_id=claimed.delivery_id,
            urn=claimed.urn,
            text=claimed.text,
            silent=claimed.silent,
        )
        result: SendResult | None = None
        error: ChannelError | None = None
        try:
            timeout = self.settings.dispatch_send_timeout_s
            result = await asyncio.wait_for(channel.send(message), timeout)
        except ChannelError as exc:
            error = exc
        except TimeoutError:
            error = ChannelError(ErrorKind.TRANSIENT, f"no answer within {timeout:g} s")
        except Exception as exc:  # a channel bug must cost one retry, not the dispatcher
            log.exception("channel %s raised unexpectedly", claimed.channel)
            error = ChannelError(ErrorKind.TRANSIENT, f"{type(exc).__name__}: {exc}")
        finally:
            self._busy[claimed.channel] -= 1
            self._slot_freed.set()
        watch = self._outages[claimed.channel]
        was_down = watch.down
        error = watch.judge(claimed.delivery_id, error)
        if watch.down and not was_down:
            log.warning("%s is down: held, tried every %g s", claimed.channel, watch.probe_s)
        elif was_down and not watch.down:
            log.warning("%s answers again", claimed.channel)
        if error is not None and error.kind in PAUSING:
            self._pause(claimed.channel, error.retry_after or 1.0)
        outcome = Outcome(claimed, clock.utcnow(), result=result, error=error)
        kind = "sent" if outcome.error is None else outcome.error.kind.value
        self.metrics.sends.labels(claimed.channel.value, kind).inc()
        self._outcomes.append(outcome)
        self._results_ready.set()

    def _pause(self, channel: ChannelName, seconds: float) -> None:
        """Stop claiming for the channel until `seconds` from now (a gateway's 429), unless a
        pause already lasts longer."""
        now = asyncio.get_running_loop().time()
        paused_until = self._paused_until.get(channel, 0.0)
        until = now + seconds
        if until <= paused_until:
            return
        if paused_until <= now:
            self.metrics.pauses.labels(channel.value).inc()
        self.metrics.paused_seconds.labels(channel.value).inc(until - max(paused_until, now))
        self._paused_until[channel] = until

    # --- recording ------------------------------------------------------------------------------

    async def _writer(self) -> None:
        while True:
            await self._results_ready.wait()
            self._results_ready.clear()
            if not self._stop.is_set():
                await asyncio.sleep(0.02)  # gather a batch
            await self._write_all()
            if self._stop.is_set() and not self._sends and not self._outcomes:
                return

    async def _write_all(self) -> None:
        while self._outcomes:
            batch = self._outcomes[:500]
            try:
                async with self.database.session() as session:
                    fallbacks = await record(
                        session, batch, worker=self.worker, settings=self.settings
                    )
                    for delivery_id in fallbacks:
                        await fall_back_to_sms(session, delivery_id, settings=self.settings)
            except Exception:
                # The claims' leases still protect these deliveries; keep the results and retry.
                log.exception("recording %d results failed; retrying", len(batch))
                if self._stop.is_set():
                    return
                await asyncio.sleep(self.settings.dispatch_poll_s)
                continue
            del self._outcomes[: len(batch)]
            self.sent += sum(1 for o in batch if o.error is None)


async def run_dispatcher(
    settings: Settings, channels: Mapping[ChannelName, Channel], *, metrics: Metrics | None = None
) -> None:
    """`mic dispatcher`: run until SIGINT or SIGTERM."""
    database = Database.from_settings(settings)
    dispatcher = Dispatcher(database, settings, channels, metrics=metrics)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, dispatcher.stop)
    try:
        await dispatcher.run()
    finally:
        for channel in channels.values():
            await channel.close()
        await database.dispose()
