"""One clock: the service never asks the server for its local date or time, and the helper's
days are the market's."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from app.core import clock

ROOT = Path(__file__).resolve().parent.parent.parent
SCANNED = ("app", "bots", "jobs")
THE_CLOCK = ROOT / "app" / "core" / "clock.py"
# datetime.now()/today()/utcnow() read the server's clock, most of them in its local zone;
# date.today() and date.fromtimestamp() always in its local zone.
READERS = {"now", "today", "utcnow"}
# time's readers of the wall clock; monotonic() and perf_counter() measure durations and stay.
TIME_READERS = {"time", "time_ns", "localtime", "mktime", "ctime", "asctime", "strftime"}


def _receiver(node: ast.expr) -> str | None:
    """`datetime`, `date` or `time` for dt.datetime, datetime.date, time and the like."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def server_clock_calls(path: Path) -> list[str]:
    """Each place in `path` that reads the server's clock or local zone, as `line: call`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [
                f"{node.lineno}: from time import {a.name}"
                for a in node.names
                if a.name in TIME_READERS
            ]
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, on = node.func.attr, _receiver(node.func.value)
        local = (
            (name in READERS and on in ("datetime", "date"))
            or (name in TIME_READERS and on == "time")
            # Without a zone these convert to, or read in, the server's local zone.
            or (
                name == "fromtimestamp"
                and (on == "date" or len(node.args) + len(node.keywords) < 2)
            )
            or (name == "astimezone" and not node.args and not node.keywords)
        )
        if local:
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_nothing_reads_the_server_clock_but_the_clock() -> None:
    modules = [p for folder in SCANNED for p in sorted((ROOT / folder).rglob("*.py"))]
    assert len(modules) > 50, "the scan found suspiciously few modules"
    offenders = {
        str(path.relative_to(ROOT)): calls
        for path in modules
        if path != THE_CLOCK and (calls := server_clock_calls(path))
    }
    assert offenders == {}, "use app.core.clock: utcnow(), today(zone), local_date(moment, zone)"


def test_the_scan_catches_each_way_of_asking_the_server(tmp_path: Path) -> None:
    bad = tmp_path / "service.py"
    bad.write_text(
        "import datetime as dt\nimport time\nfrom datetime import date, datetime\n"
        "from time import localtime\n"
        "a = dt.date.today()\nb = date.today()\nc = datetime.now()\nd = dt.datetime.now(dt.UTC)\n"
        "e = dt.datetime.utcnow()\nf = time.time()\ng = time.localtime()\nh = moment.astimezone()\n"
        "i = dt.datetime.fromtimestamp(5)\nj = date.fromtimestamp(5)\nk = datetime.today()\n"
        "# what stays\n"
        "l = clock.utcnow()\nm = clock.today('Asia/Yangon')\nn = time.monotonic()\n"
        "o = dt.datetime.fromtimestamp(5, dt.UTC)\np = moment.astimezone(dt.UTC)\n"
    )
    lines = [int(found.split(":")[0]) for found in server_clock_calls(bad)]
    assert lines == [4, *range(5, 16)]


def test_a_market_day_is_the_markets(stand_at: Callable[[dt.datetime], None]) -> None:
    stand_at(dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC))
    assert clock.utcnow() == dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)
    assert clock.today("Asia/Yangon") == dt.date(2026, 11, 30)  # 06:00 there
    assert clock.today("Asia/Phnom_Penh") == dt.date(2026, 11, 30)  # 06:30 there
    assert clock.today("UTC") == dt.date(2026, 11, 29)
    stand_at(dt.datetime(2026, 11, 29, 17, 29, tzinfo=dt.UTC))
    assert clock.today("Asia/Yangon") == dt.date(2026, 11, 29)  # 23:59 there
