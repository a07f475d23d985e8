"""Local-time arithmetic for producers: quiet hours, the local day, the next digest time.

All inputs and outputs are aware UTC datetimes; the time zone is the producer's country's.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


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


def local_day_start(now: dt.datetime, tz: str) -> dt.datetime:
    local = now.astimezone(zone(tz))
    return dt.datetime.combine(local.date(), dt.time(0), tzinfo=zone(tz)).astimezone(dt.UTC)


def local_date(now: dt.datetime, tz: str) -> dt.date:
    return now.astimezone(zone(tz)).date()
