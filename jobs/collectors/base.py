"""What a collector hands back: the records it read, the problems of single rows, and what the
server said about the payload for the next conditional request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from app.sources.models import Source
from app.sources.records import LeadRecord, Parsed, PriceRecord, RateRecord, RowProblem
from jobs.collectors.http import fetch


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


async def fetch_parsed(
    client: httpx.AsyncClient,
    source: Source,
    *,
    expect: Literal["csv", "json", "xml", "html"],
    parse: Callable[[bytes], Parsed[Any]],
    into: Literal["prices", "rates", "leads"],
) -> Collected:
    """The usual collector: one conditional GET of the source's URL, parsed whole."""
    answer = await fetch(
        client, source.url, expect=expect, etag=source.etag, last_modified=source.last_modified
    )
    if answer.content is None:
        return Collected(unchanged="nothing new upstream (HTTP 304 Not Modified)")
    parsed = parse(answer.content)
    collected = Collected(
        problems=parsed.problems, etag=answer.etag, last_modified=answer.last_modified
    )
    setattr(collected, into, parsed.records)
    return collected
