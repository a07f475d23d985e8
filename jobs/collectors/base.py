"""What a collector hands back: the records it read, the problems of single rows, and what the
server said about the payload for the next conditional request."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.sources.records import LeadRecord, PriceRecord, RateRecord, RowProblem


@dataclass
class Collected:
    prices: list[PriceRecord] = field(default_factory=list)
    rates: list[RateRecord] = field(default_factory=list)
    leads: list[LeadRecord] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    remote_version: str | None = None
    # Set when upstream has nothing new (304, or the same version): held rows are still retried.
    unchanged: str | None = None
