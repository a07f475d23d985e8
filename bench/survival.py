"""Does a multi-process deployment on PostgreSQL survive? Two `mic run` (each with its
dispatcher) and one `mic scheduler` against one database, a broadcast to every producer and a
stream of producers' questions to the SMS webhooks, while something goes wrong:

- `kill`: a random process is killed with SIGKILL every few seconds and started again;
- `db_restart`: the PostgreSQL server restarts mid-broadcast;
- `gateway_down`: the SMS gateway answers 503 for a while, and questions come in meanwhile;
- `leader_killed`: the process leading the scheduler is killed with SIGKILL.

Each scenario prints one JSON object: what was lost (deliveries never accepted by the gateway),
the duplicates against what may be repeated (the dispatchers' in-flight window, from the
settings, per killed dispatcher), whether every question was answered once, and how long
recovery took. The server is a private cluster of its own (bench/cluster.py), never the
machine's; the scenarios share it, one database and one deployment, in turn.

python -m bench survival [--scenario NAME] [--short] --json
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
import shutil
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import sqlalchemy as sa

from app.alerts import fanout
from app.core.config import Settings
from app.core.db import Database, run_core
from app.sources.models import Source, SourceKind
from bench.cluster import private_cluster
from bench.deployment import SECRET, Deployment, Gateway, Process, deployment
from bench.inbound import questions
from bench.population import add_producers, bench_database, published_price

SCENARIOS = ("kill", "db_restart", "gateway_down", "leader_killed")
RECOVERY_S = 30.0  # a process back on its feet after the database restarts
TAKEOVER_S = 5.0  # another process leads after the scheduler's leader dies
# The collection the scheduler runs every minute, to see that no leader runs it twice. It
# fetches from a port where nothing listens: a failed run is recorded like any other.
SOURCE_SLUG = "survival-every-minute"


@dataclass(frozen=True)
class Sizes:
    deliveries: int  # producers, each sent one alert per scenario
    questions: int  # per scenario
    rate: float  # MIC_SMS_RATE: SMS a second, for the whole deployment
    kill_every_s: float
    kills: int
    outage_s: float  # the gateway down
    backoff_s: float  # MIC_DISPATCH_BACKOFF_S, the first retry's delay
    probe_s: float  # MIC_DISPATCH_OUTAGE_PROBE_S, how often a gateway that is down is tried

    def environment(self) -> dict[str, str]:
        return {
            "MIC_SMS_RATE": str(self.rate),
            "MIC_DISPATCH_BACKOFF_S": str(self.backoff_s),
            "MIC_DISPATCH_OUTAGE_PROBE_S": str(self.probe_s),
        }


FULL = Sizes(
    deliveries=20_000,
    questions=400,
    rate=50,
    kill_every_s=10,
    kills=30,
    outage_s=600,
    backoff_s=30,
    probe_s=10,
)
# About two minutes for the four scenarios on two cores. The outage is 12 s with retries and
# probes of the gateway 10 to 30 times more frequent than by default: as the outage of minutes
# at the default settings, in simulated time.
SHORT = Sizes(
    deliveries=1_200,
    questions=30,
    rate=100,
    kill_every_s=3,
    kills=4,
    outage_s=12,
    backoff_s=1,
    probe_s=1,
)


class Bench:
    """The running deployment and what every scenario needs of it."""

    def __init__(
        self,
        url: str,
        sizes: Sizes,
        gateway: Gateway,
        running: Deployment,
        restart_database: Callable[[], None],
    ) -> None:
        self.url = url
        self.sizes = sizes
        self.gateway = gateway
        self.running = running
        self.restart_database = restart_database
        self.database = Database(url)
        # What a killed dispatcher may have sent without recording it: its sends in flight.
        self.window = int(running.env["MIC_DISPATCH_CONCURRENCY"])
        self.prices = 0
        self.asked = 0
        self.client = httpx.AsyncClient(timeout=30)

    async def close(self) -> None:
        await self.client.aclose()
        await self.database.dispose()

    # --- the load -------------------------------------------------------------------------------

    async def broadcast(self) -> set[int]:
        """A new price of mango at Muse: one alert to every producer. Its deliveries' ids."""
        self.prices += 1
        settings = Settings(_env_file=None, sms_daily_budget={})  # type: ignore[call-arg]
        async with self.database.session() as session:
            price = await published_price(session, Decimal(12_600 + 100 * self.prices))
            audience = await fanout.price_audience(session, price)
            await fanout.fan_out(session, audience, settings, created_by="survival")
            rows = await run_core(
                session,
                sa.text(
                    "SELECT d.id FROM delivery d JOIN broadcast b ON b.id = d.broadcast_id "
                    "WHERE b.price_id = :price"
                ).bindparams(price=price.id),
            )
            return {row[0] for row in rows}

    async def ask(self, tag: str, count: int, over_s: float) -> list[str]:
        """`count` questions over `over_s` seconds, each to one `mic run` and, if it fails
        (killed, database away), again to the other, as a gateway retries: their ids."""
        asked = questions(count, first=500_000 + self.asked)
        self.asked += count
        ids = [f"{tag}-{i}" for i in range(count)]
        tasks = []
        for i, ((phone, text), msg_id) in enumerate(zip(asked, ids, strict=True)):
            tasks.append(asyncio.create_task(self._ask_one(phone, text, msg_id, i)))
            await asyncio.sleep(over_s / count)
        await asyncio.gather(*tasks)
        return ids

    async def _ask_one(self, phone: str, text: str, msg_id: str, turn: int) -> None:
        query = (
            f"secret={SECRET}&from={phone}&to=1234&text={quote(text)}&coding=0"
            f"&charset=UTF-8&id={msg_id}"
        )
        apis = self.running.apis
        deadline = time.monotonic() + 120
        while True:
            api = apis[turn % len(apis)]
            turn += 1
            with contextlib.suppress(httpx.HTTPError):
                answer = await self.client.get(f"{api.url}/webhooks/sms/kannel/inbound?{query}")
                if answer.status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"question {msg_id} was refused for two minutes")
            await asyncio.sleep(0.2)

    # --- what came of it ------------------------------------------------------------------------

    async def replies(self, ids: list[str]) -> dict[str, list[int]]:
        """Each question's reply deliveries (stored once: its gateway id is unique)."""
        async with self.database.read_session() as session:
            rows = await run_core(
                session,
                sa.text(
                    "SELECT m.external_id, d.id FROM inbound_message m "
                    "LEFT JOIN broadcast b ON b.key LIKE 'reply:' || CAST(m.id AS VARCHAR(20)) "
                    "|| ':%' LEFT JOIN delivery d ON d.broadcast_id = b.id "
                    "WHERE m.external_id IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True), ids=ids),
            )
            found: dict[str, list[int]] = {i: [] for i in ids}
            for external_id, delivery in rows:
                found[external_id] += [] if delivery is None else [delivery]
            return found

    async def settle(self, expected: set[int], within: float) -> float:
        """Wait until the gateway accepted every expected delivery (or `within` passed);
        the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < within:
            await self.gateway.refresh()
            if expected <= self.gateway.counts.keys():
                break
            await asyncio.sleep(0.5)
        return round(time.monotonic() - started, 1)

    async def undelivered(self, ids: set[int]) -> dict[str, int]:
        """The statuses of the deliveries the gateway never accepted."""
        missing = ids - self.gateway.counts.keys()
        if not missing:
            return {}
        async with self.database.read_session() as session:
            rows = await run_core(
                session,
                sa.text(
                    "SELECT status, count(*) FROM delivery WHERE id IN :ids GROUP BY status"
                ).bindparams(sa.bindparam("ids", expanding=True), ids=sorted(missing)),
            )
            return {str(status): int(n) for status, n in rows}

    async def delivered(self, ids: set[int]) -> int:
        await self.gateway.refresh()
        return len(ids & self.gateway.counts.keys())

    async def wait_delivered(self, ids: set[int], share: float) -> None:
        """Until `share` of `ids` went out: the disruption lands mid-broadcast."""
        within = 60 + 3 * self.expected_s(round(share * len(ids)))
        started = time.monotonic()
        while await self.delivered(ids) < share * len(ids):
            if time.monotonic() - started > within:
                raise RuntimeError(f"{share:.0%} of the broadcast not sent within {within:g} s")
            await asyncio.sleep(0.2)

    def expected_s(self, deliveries: int) -> float:
        return deliveries / self.sizes.rate

    async def collections(self) -> tuple[int, int]:
        """Runs of the every-minute collection, and the scheduled minutes run more than once."""
        async with self.database.read_session() as session:
            rows = await run_core(
                session,
                sa.text(
                    "SELECT date_trunc('minute', r.started_at) AS minute, count(*) FROM job_run r "
                    "JOIN source s ON s.id = r.source_id WHERE s.slug = :slug GROUP BY minute"
                ).bindparams(slug=SOURCE_SLUG),
            )
            per_minute = [int(n) for _, n in rows]
        return sum(per_minute), sum(1 for n in per_minute if n > 1)


async def _outcome(
    bench: Bench,
    scenario: str,
    broadcast: set[int],
    asked: list[str],
    *,
    killed_dispatchers: int,
    settle_within: float,
) -> dict[str, Any]:
    """The common part of every scenario's JSON: lost, duplicates, answered."""
    replies = await bench.replies(asked)
    reply_ids = {d for ds in replies.values() for d in ds}
    expected = broadcast | reply_ids
    drain_s = await bench.settle(expected, settle_within)
    counts = bench.gateway.counts
    lost = len(expected - counts.keys())
    duplicates = sum(counts[d] - 1 for d in expected if counts[d] > 1)
    # Answered: stored once, and every reply it was given (one, or two for an answer that takes
    # two messages) went out; each reply is one delivery by its key, so never queued twice.
    answered = sum(1 for ds in replies.values() if ds and all(counts[d] for d in ds))
    replies_per_question = Counter(len(ds) for ds in replies.values())
    allowed = killed_dispatchers * bench.window
    return {
        "scenario": scenario,
        "engine": "postgresql",
        "sizes": {"deliveries": len(broadcast), "questions": len(asked), "rate": bench.sizes.rate},
        "lost": lost,
        "undelivered_by_status": await bench.undelivered(expected),
        "duplicates": duplicates,
        "reply_duplicates": sum(counts[d] - 1 for d in reply_ids if counts[d] > 1),
        "allowed_duplicates": allowed,
        "in_flight_window": f"{bench.window} (MIC_DISPATCH_CONCURRENCY) per killed dispatcher",
        "answered": answered,
        "replies_per_question": {str(k): v for k, v in sorted(replies_per_question.items())},
        "asked": len(asked),
        "drain_s": drain_s,
        "passed": lost == 0 and duplicates <= allowed and answered == len(asked),
    }


# --- the scenarios ------------------------------------------------------------------------------


async def kill(bench: Bench) -> dict[str, Any]:
    sizes = bench.sizes
    broadcast = await bench.broadcast()
    asking = asyncio.create_task(
        bench.ask("kill", sizes.questions, sizes.kills * sizes.kill_every_s)
    )
    killed: Counter[str] = Counter()
    crashed: Counter[str] = Counter()  # found dead without being killed: a bug
    readiness = []
    chooser = random.Random(19)  # noqa: S311 - which process dies, not a secret
    for _ in range(sizes.kills):
        await asyncio.sleep(sizes.kill_every_s)
        for process in bench.running.processes:
            if process.exited() is not None:
                crashed[process.name] += 1
                process.start()
        victim = chooser.choice(bench.running.processes)
        victim.kill()
        killed[victim.name] += 1
        victim.start()
        readiness.append(asyncio.create_task(_time_to_ready(bench, victim)))
    asked = await asking
    await bench.running.wait_ready(bench.running.processes, within=60)
    ready_s = [s for s in await asyncio.gather(*readiness) if s is not None]
    dispatcher_kills = sum(
        n for name, n in killed.items() if bench.running.by_name(name).dispatches
    )
    result = await _outcome(
        bench,
        "kill",
        broadcast,
        asked,
        killed_dispatchers=dispatcher_kills,
        settle_within=60 + 2 * bench.expected_s(len(broadcast)),
    )
    return result | {
        "kills": dict(killed),
        "kill_every_s": sizes.kill_every_s,
        "exited_by_themselves": dict(crashed),
        # From a restart until the process was ready again (not counting one killed again first).
        "recovery_s": {"restart_to_ready_max": max(ready_s, default=None)},
        "passed": result["passed"] and not crashed,
    }


async def _time_to_ready(bench: Bench, process: Process) -> float | None:
    """Seconds until `process`, just started, is ready; None if it died first."""
    started, start = time.monotonic(), process.starts
    for _ in range(600):  # a minute
        if process.starts != start or process.exited() is not None:
            return None
        if await process.ready(bench.running.client):
            return round(time.monotonic() - started, 2)
        await asyncio.sleep(0.1)
    return None


async def db_restart(bench: Bench) -> dict[str, Any]:
    broadcast = await bench.broadcast()
    spread = bench.expected_s(len(broadcast))
    asking = asyncio.create_task(bench.ask("db", bench.sizes.questions, spread))
    await bench.wait_delivered(broadcast, 0.3)
    started = time.monotonic()
    await asyncio.to_thread(bench.restart_database)
    back = time.monotonic()
    before = await bench.delivered(broadcast)
    resume = asyncio.create_task(_resumed(bench, broadcast, before, back))
    ready = await bench.running.wait_ready(bench.running.processes, within=120)
    leader_s = await _until_leader(bench, back, within=120)
    resumed_s = await resume
    asked = await asking
    recovery = {**ready, "scheduler_leader": leader_s, "deliveries": resumed_s}
    result = await _outcome(
        bench,
        "db_restart",
        broadcast,
        asked,
        killed_dispatchers=0,
        settle_within=60 + 2 * spread,
    )
    recovered = all(s is not None and s <= RECOVERY_S for s in recovery.values())
    return result | {
        "restart_s": round(back - started, 1),
        "recovery_s": recovery,
        "recovery_budget_s": RECOVERY_S,
        "passed": result["passed"] and recovered,
    }


async def _resumed(bench: Bench, ids: set[int], before: int, back: float) -> float | None:
    while time.monotonic() - back < 120:
        if await bench.delivered(ids) > before:
            return round(time.monotonic() - back, 2)
        await asyncio.sleep(0.1)
    return None


async def _until_leader(
    bench: Bench, since: float, *, within: float, other_than: str | None = None
) -> float | None:
    while time.monotonic() - since < within:
        with contextlib.suppress(Exception):  # the database may still be coming back
            leader = await bench.running.scheduler_leader()
            if leader is not None and leader != other_than:
                return round(time.monotonic() - since, 2)
        await asyncio.sleep(0.1)
    return None


async def gateway_down(bench: Bench) -> dict[str, Any]:
    sizes = bench.sizes
    broadcast = await bench.broadcast()
    await bench.wait_delivered(broadcast, 0.25)
    await bench.gateway.set_down(True)
    down = time.monotonic()
    # Questions come in while the gateway is down: their replies wait with the broadcast.
    asked = await bench.ask("down", sizes.questions, sizes.outage_s / 2)
    await asyncio.sleep(max(0.0, sizes.outage_s - (time.monotonic() - down)))
    await bench.gateway.refresh()
    returned_at = len(bench.gateway.arrivals)
    await bench.gateway.set_down(False)
    pending = len(broadcast) - await bench.delivered(broadcast)
    budget_s = 30 + 2 * bench.expected_s(pending + len(asked))
    result = await _outcome(
        bench, "gateway_down", broadcast, asked, killed_dispatchers=0, settle_within=budget_s
    )
    replies = {d for ds in (await bench.replies(asked)).values() for d in ds}
    after = [delivery for delivery, _ in bench.gateway.arrivals[returned_at:]]
    last_reply = max((i for i, d in enumerate(after) if d in replies), default=-1)
    broadcasts_before = sum(1 for d in after[: last_reply + 1] if d not in replies)
    # Sends claimed together go out together: a broadcast may share the first claims.
    allowed_before = len(bench.running.apis) * bench.window
    in_order = broadcasts_before <= allowed_before
    return result | {
        "outage_s": sizes.outage_s,
        "outage": f"real seconds; MIC_DISPATCH_BACKOFF_S={sizes.backoff_s:g} (default 30), "
        f"MIC_DISPATCH_OUTAGE_PROBE_S={sizes.probe_s:g} (default 10)",
        "pending_when_back": pending,
        "recovery_s": {"delivered_after_return": result["drain_s"]},
        "budget_s": round(budget_s, 1),
        "broadcasts_before_last_reply": broadcasts_before,
        "allowed_before_last_reply": allowed_before,
        "passed": result["passed"] and in_order and result["drain_s"] < budget_s,
    }


async def leader_killed(bench: Bench) -> dict[str, Any]:
    broadcast = await bench.broadcast()
    spread = bench.expected_s(len(broadcast))
    asking = asyncio.create_task(bench.ask("leader", bench.sizes.questions, spread))
    # A collection must have run for "never twice" to mean anything: one runs every minute.
    for _ in range(150):  # 75 s
        if (await bench.collections())[0]:
            break
        await asyncio.sleep(0.5)
    leader = await bench.running.scheduler_leader()
    if leader is None:
        raise RuntimeError("no process leads the scheduler")
    victim: Process = bench.running.by_name(leader)
    victim.kill()
    killed_at = time.monotonic()
    takeover_s = await _until_leader(bench, killed_at, within=60, other_than=leader)
    new_leader = await bench.running.scheduler_leader()
    victim.start()
    asked = await asking
    await bench.running.wait_ready(bench.running.processes, within=60)
    result = await _outcome(
        bench,
        "leader_killed",
        broadcast,
        asked,
        killed_dispatchers=1 if victim.dispatches else 0,
        settle_within=60 + 2 * spread,
    )
    runs, twice = await bench.collections()
    passed = takeover_s is not None and takeover_s <= TAKEOVER_S and twice == 0 and runs > 0
    return result | {
        "killed_leader": leader,
        "new_leader": new_leader,
        "recovery_s": {"takeover": takeover_s},
        "takeover_budget_s": TAKEOVER_S,
        "collections": runs,
        "collections_run_twice": twice,
        "passed": result["passed"] and passed,
    }


# --- running it ---------------------------------------------------------------------------------


async def _prepare(url: str, sizes: Sizes) -> None:
    database = Database(url)
    try:
        async with database.session() as session:
            await add_producers(session, sizes.deliveries)
            session.add(
                Source(
                    slug=SOURCE_SLUG,
                    name="Collected every minute",
                    kind=SourceKind.CSV_URL,
                    country_code="MM",
                    url="http://127.0.0.1:9/prices.csv",  # discard: nothing answers
                    schedule="* * * * *",
                    created_by="survival",
                )
            )
    finally:
        await database.dispose()


async def _scenario(bench: Bench, name: str) -> dict[str, Any]:
    """One scenario's JSON; one that could not finish failed, and says why."""
    began = time.monotonic()
    try:
        result = await SCENARIO_RUNS[name](bench)
    except Exception as exc:  # the JSON says what went wrong; the other scenarios still run
        result = {"scenario": name, "engine": "postgresql", "passed": False, "error": repr(exc)}
    result["seconds"] = round(time.monotonic() - began, 1)
    return result


async def run(*, scenario: str | None = None, short: bool = False, **_: Any) -> dict[str, Any]:
    # SIGTERM (a test's timeout, a CI job stopped) ends it like Ctrl-C: through every finally,
    # so that no process of the deployment and no cluster outlives it.
    main = asyncio.current_task()
    assert main is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main.cancel)
    sizes = SHORT if short else FULL
    chosen = [scenario] if scenario else list(SCENARIOS)
    logs = Path(tempfile.mkdtemp(prefix="mic-survival-"))
    results: list[dict[str, Any]] = []
    with private_cluster() as cluster:
        async with bench_database(cluster.url) as url:
            await _prepare(url, sizes)
            gateway = Gateway()
            await gateway.start()
            try:
                async with deployment(url, gateway, logs, sizes.environment()) as running:
                    bench = Bench(url, sizes, gateway, running, cluster.restart)
                    try:
                        for name in chosen:
                            results.append(await _scenario(bench, name))
                    finally:
                        await bench.close()
            finally:
                await gateway.close()
    passed = all(r["passed"] for r in results)
    if passed:  # the processes' logs are kept when something failed: they say why
        shutil.rmtree(logs)
    return {
        "bench": "survival",
        "short": short,
        "sizes": asdict(sizes),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenarios": [r if passed else r | {"logs": str(logs)} for r in results],
    }


SCENARIO_RUNS: dict[str, Callable[[Bench], Awaitable[dict[str, Any]]]] = {
    "kill": kill,
    "db_restart": db_restart,
    "gateway_down": gateway_down,
    "leader_killed": leader_killed,
}
