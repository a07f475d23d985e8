"""A filtered price list as a CSV file: the rows `reads.list_prices` shows, every page of them."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.core.errors import InvalidInput
from app.core.pagination import MAX_LIMIT
from app.prices import reads
from app.prices.models import PricePublic
from app.text.csvfile import MAX_ROWS, write_records

COLUMNS = (
    "id",
    "commodity",
    "variety",
    "market",
    "country",
    "price",
    "price_min",
    "price_max",
    "currency",
    "unit",
    "price_type",
    "observed_on",
    "status",
    "outlier",
    "source",
    "created_by",
    "reviewed_by",
    "reject_reason",
    "note",
)


async def export_prices(
    session: AsyncSession, *, staff: Staff, filters: reads.PriceFilter, max_rows: int = MAX_ROWS
) -> bytes:
    """The prices the filters select, newest first, as a CSV file; refused when they select
    more than `max_rows` (as many as an import accepts), so the file always opens whole."""
    rows: list[PricePublic] = []
    cursor = None
    while True:
        page = await reads.list_prices(
            session, staff=staff, filters=filters, cursor=cursor, limit=MAX_LIMIT
        )
        rows.extend(page.items)
        if len(rows) > max_rows:
            raise InvalidInput(
                f"more than {max_rows} prices match; narrow the filters (country, dates) to export"
            )
        if page.next_cursor is None:
            return write_records(COLUMNS, rows)
        cursor = page.next_cursor
