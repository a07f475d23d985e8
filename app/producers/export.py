"""A filtered producer list as a CSV file: the rows `listing.list_producers` shows, every page
of them, with phones and chats as the reader may see them (masked for viewers)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.core.errors import InvalidInput
from app.core.pagination import MAX_LIMIT
from app.producers import listing
from app.producers.csv_import import CSV_OPTIONAL, CSV_REQUIRED
from app.producers.models import ProducerPublic
from app.text.csvfile import MAX_ROWS, write_csv

# The import's columns first, so that an export (by a CDE or admin) reads back in.
COLUMNS = (
    *CSV_REQUIRED,
    *CSV_OPTIONAL,
    "id",
    "status",
    "stopped_at",
    "created_at",
    "subscriptions",
)


def _row(p: ProducerPublic) -> list[object]:
    values = p.model_dump()
    values["roles"] = "|".join(p.roles)
    values["subscriptions"] = "|".join(
        s.commodity + (f"@{s.market}" if s.market else "") for s in p.subscriptions
    )
    return [values[column] for column in COLUMNS]


async def export_producers(
    session: AsyncSession,
    *,
    staff: Staff,
    filters: listing.ProducerFilter,
    max_rows: int = MAX_ROWS,
) -> bytes:
    """The producers the filters select, newest first, as a CSV file; refused when they select
    more than `max_rows` (as many as an import accepts), so the file always opens whole."""
    rows: list[list[object]] = []
    cursor = None
    while True:
        page = await listing.list_producers(
            session, staff=staff, filters=filters, cursor=cursor, limit=MAX_LIMIT
        )
        rows.extend(_row(p) for p in page.items)
        if len(rows) > max_rows:
            raise InvalidInput(
                f"more than {max_rows} producers match; narrow the filters (country, status) "
                "to export"
            )
        if page.next_cursor is None:
            return write_csv(COLUMNS, rows)
        cursor = page.next_cursor
