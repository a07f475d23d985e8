"""The one clock: the current moment, and calendar days and local times in a place's time zone.

A market day is the day on the market's own clock. At 23:30 UTC it is already 06:00 the next
day in Yangon, so "today" is never the server's local date: every date a producer, a CDE or a
source means is taken here, in the zone of the Country or Market row it concerns (IANA names
such as Asia/Yangon, UTC+06:30). The server's own time zone setting plays no part.

Moments are aware UTC datetimes in and out; the zone is passed by name.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from functools import lru_cache
from zoneinfo import ZoneInfo


def system_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# Where utcnow() reads the time. Tests point it at a fixed moment to stand on a market-day
# boundary; the service never changes it.
source: Callable[[], dt.datetime] = system_now


def utcnow() -> dt.datetime:
    """The current moment, UTC-aware: the only way the service asks what time it is."""
    return source()


# Tables stamp rows with `Field(default_factory=utcnow)`, and SQLModel asks pydantic whether a
# factory takes arguments each time it builds a row, which inspects the function's signature
# anew: a tenth of a millisecond per row, paid several times for every SMS answered. A
# signature given in advance is read instead. (Empty JSON lists and dicts of tables are plain
# `default=[]`/`default={}` for the same reason: pydantic copies such a default per row.)
utcnow.__signature__ = inspect.signature(utcnow)  # type: ignore[attr-defined]


@lru_cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(moment: dt.datetime, tz: str) -> dt.date:
    """The calendar day on the clock of `tz` at `moment`."""
    return moment.astimezone(zone(tz)).date()


def today(tz: str) -> dt.date:
    """Today in `tz`: pass the timezone of the Market or Country the date is about."""
    return local_date(utcnow(), tz)


def local_day_start(now: dt.datetime, tz: str) -> dt.datetime:
    """Midnight of the local day in `tz` that contains `now`, as a UTC moment."""
    local = now.astimezone(zone(tz))
    return dt.datetime.combine(local.date(), dt.time(0), tzinfo=zone(tz)).astimezone(dt.UTC)


def _hhmm(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def next_local_time(after: dt.datetime, tz: str, hhmm: str) -> dt.datetime:
    """The first moment strictly after `after` when the local clock in `tz` shows `hhmm`."""
    local = after.astimezone(zone(tz))
    candidate = dt.datetime.combine(local.date(), _hhmm(hhmm), tzinfo=zone(tz))
    if candidate <= local:
        candidate = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), _hhmm(hhmm), tzinfo=zone(tz)
        )
    return candidate.astimezone(dt.UTC)


def quiet_until(now: dt.datetime, tz: str, quiet_hours: str) -> dt.datetime | None:
    """When the producer's quiet hours (`HH:MM-HH:MM`, local) end, or None if not quiet now.

    A window may wrap midnight (21:00-06:00); one whose ends are equal means no quiet hours.
    """
    start_text, end_text = quiet_hours.split("-")
    start, end = _hhmm(start_text), _hhmm(end_text)
    if start == end:
        return None
    clock = now.astimezone(zone(tz)).time().replace(tzinfo=None)
    quiet = start <= clock < end if start < end else (clock >= start or clock < end)
    return next_local_time(now, tz, end_text) if quiet else None
