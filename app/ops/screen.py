"""`mic status` as one terminal screen: each fact of app.ops in a small table, English like the
rest of the `mic` command (it is read by the technician who runs it, not by producers)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from app.alerts.models import PENDING_STATUSES
from app.ops.models import Facts, Leader, Migrations, Status

NONE = "-"


def status_screen(status: Status, *, database: str) -> Group:
    parts: list[RenderableType] = [
        Text(f"MIC on {database}", style="bold"),
        _migrations(status.migrations),
        _leaders(status.leaders),
    ]
    if status.facts is not None:
        parts += _facts(status.facts)
    return Group(*parts)


def _migrations(state: Migrations) -> Text:
    current = state.current or "empty"
    if state.up_to_date:
        return Text(f"schema: {current}, up to date")
    return Text(
        f"schema: {current}, the code needs {state.needed}: run `mic db upgrade` "
        "(nothing else is read from a database at another schema)",
        style="bold red",
    )


def _leaders(leaders: list[Leader]) -> Table:
    table = _table("leaders", "role", "process", "since")
    for leader in leaders:
        if not leader.known:
            table.add_row(leader.role, "unknown (SQLite: the process running it leads)", NONE)
        elif leader.holder is None:
            table.add_row(leader.role, Text("nobody leads", style="bold red"), NONE)
        else:
            table.add_row(leader.role, leader.holder, _moment(leader.since))
    return table


def _facts(facts: Facts) -> list[RenderableType]:
    outbox = _table(
        "outbox", "channel", *(s.value for s in PENDING_STATUSES), "oldest due", "paused"
    )
    for box in facts.outbox:
        outbox.add_row(
            box.channel.value,
            *(str(box.waiting.get(s, 0)) for s in PENDING_STATUSES),
            NONE if box.oldest_due_s is None else _duration(box.oldest_due_s),
            _duration(box.paused_s) if box.paused_s else NONE,
        )

    by_channel: dict[str, list[str]] = defaultdict(list)
    for delivered in facts.deliveries_24h:
        by_channel[delivered.channel.value].append(f"{delivered.count} {delivered.status.value}")
    deliveries = _table("deliveries queued in the last 24 h", "channel", "by status now")
    for channel, counts in sorted(by_channel.items()):
        deliveries.add_row(channel, ", ".join(counts))

    sms = _table(
        "SMS today (each country's local day)",
        "country",
        "day",
        "segments",
        "spent",
        "budget",
        "left",
        "held",
    )
    for day in facts.sms_today:
        sms.add_row(
            day.country,
            day.day.isoformat(),
            str(day.segments),
            _money(day.spent, day.currency),
            _money(day.budget, day.currency),
            Text(_money(day.left, day.currency), style="bold red" if not day.left else ""),
            str(day.held),
        )

    inbound = _table("inbound messages, last 24 h", "channel", "outcome", "messages")
    for received in facts.inbound_24h:
        inbound.add_row(received.channel, received.outcome, str(received.count))

    runs_24h: dict[str, list[str]] = defaultdict(list)
    for run_count in facts.runs_24h:
        runs_24h[run_count.job].append(f"{run_count.count} {run_count.status.value}")
    jobs = _table("jobs", "job", "last run", "started", "took", "failing since", "last 24 h")
    for run in facts.last_runs:
        jobs.add_row(
            run.job,
            Text(run.status.value, style="bold red" if run.failing_since else ""),
            _moment(run.started_at),
            NONE if run.duration_s is None else _duration(run.duration_s),
            _moment(run.failing_since),
            ", ".join(runs_24h.get(run.job, [])) or NONE,
        )
    tables = [outbox, deliveries, sms, inbound, jobs]
    return [*map(_or_none, tables), Text(f"read at {_moment(facts.at)}")]


def _table(title: str, *columns: str) -> Table:
    return Table(*columns, title=title, title_justify="left", title_style="bold")


def _or_none(table: Table) -> RenderableType:
    """An empty table as one line rather than a frame around nothing."""
    if table.row_count:
        return table
    return Text.assemble((str(table.title), "bold"), ": none")


def _moment(at: dt.datetime | None) -> str:
    return NONE if at is None else f"{at:%Y-%m-%d %H:%M:%S} UTC"


def _duration(seconds: float) -> str:
    whole = round(seconds)
    if whole < 120:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def _money(amount: Decimal, currency: str) -> str:
    """Every digit it has, none it lacks: a segment costs fractions of a cent (0.025 USD)."""
    return f"{amount.normalize():f} {currency}"
