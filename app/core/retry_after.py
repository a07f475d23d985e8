"""How long an HTTP server asks to be left alone: its Retry-After header, read once for every
client MIC has (SMS gateways, source collectors).

RFC 9110 §10.2.3 allows two forms, delta-seconds (`120`) and an HTTP date
(`Wed, 21 Oct 2026 07:28:00 GMT`). Servers and proxies send both, and some send fractions
(`2.5`), which are honoured rather than refused. A date in the past means "now". Each caller
caps the wait at what makes sense for it: a buggy or hostile header must not stop a channel or a
collector for days (nor overflow a timedelta with `1e300`).
"""

from __future__ import annotations

import email.utils
import math

from app.core import clock


def retry_after_seconds(value: str | None, *, cap: float) -> float | None:
    """Seconds to wait, between 0 and `cap`; None when there is no header or it is unreadable
    (garbage, NaN, infinity, a date without a zone), so the caller falls back to its own pace."""
    if value is None:
        return None
    text = value.strip()
    seconds: float | None
    try:
        seconds = float(text)
    except ValueError:
        seconds = _until(text)
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), cap)


def _until(text: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    # An HTTP date is always GMT; one without a zone is not an HTTP date.
    if when.tzinfo is None:
        return None
    return (when - clock.utcnow()).total_seconds()
