"""Retry-After, read once for every HTTP client: seconds or a date, capped, None when unusable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from app.core.retry_after import retry_after_seconds

NOW = dt.datetime(2026, 10, 21, 7, 28, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now(stand_at: Callable[[dt.datetime], None]) -> None:
    stand_at(NOW)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 30 ", 30.0),
        ("2.5", 2.5),  # not RFC delta-seconds, but sent by gateways and meant as written
        ("0", 0.0),
        ("-5", 0.0),  # a negative wait is no wait
        ("Wed, 21 Oct 2026 07:30:00 GMT", 120.0),
        ("Wednesday, 21-Oct-26 07:29:00 GMT", 60.0),  # RFC 850, still allowed to be read
        ("Wed Oct 21 07:28:45 2026 +0000", 45.0),
        ("Wed, 21 Oct 2026 07:00:00 GMT", 0.0),  # already past: go now
    ],
)
def test_seconds_and_http_dates_are_read(header: str, seconds: float) -> None:
    assert retry_after_seconds(header, cap=3600) == seconds


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "soon",
        "nan",
        "inf",
        "-inf",
        "1e400",  # reads as infinity
        "Wed, 21 Oct 2026 07:30:00",  # a date without its zone is no HTTP date
        "Wed, 32 Oct 2026 07:30:00 GMT",
    ],
)
def test_missing_or_unreadable_headers_leave_the_pace_to_the_caller(header: str | None) -> None:
    assert retry_after_seconds(header, cap=3600) is None


@pytest.mark.parametrize(
    "header", ["86400", "1e300", "Thu, 22 Oct 2026 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"]
)
def test_long_waits_are_capped(header: str) -> None:
    assert retry_after_seconds(header, cap=60) == 60.0
