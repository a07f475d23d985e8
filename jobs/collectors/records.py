"""Moved to app.sources.records; kept while the collectors are being written."""

from app.sources.records import *  # noqa: F403
from app.sources.records import CollectorError, Parsed, PriceRecord, RowProblem  # noqa: F401
