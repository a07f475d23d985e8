"""Registering many producers at once from a CSV file, with a report by line."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.core.errors import AppError
from app.producers.models import ProducerCreate
from app.producers.service import create_producer
from app.text.csvfile import ImportReport, RowResult, first_error, read_csv

CSV_REQUIRED = ("name", "country", "kind")
CSV_OPTIONAL = (
    "phone",
    "telegram_chat_id",
    "locale",
    "script",
    "digits",
    "plain_sms",
    "roles",
    "quiet_hours",
    "daily_cap",
    "consent_channel",
    "consent_at",
)


async def import_producers_csv(
    session: AsyncSession, *, content: bytes, staff: Staff
) -> ImportReport:
    """Same contract as the price import: good rows stored, bad rows reported by line."""
    staff.require_writer()
    csv_file = read_csv(content, required=CSV_REQUIRED, optional=CSV_OPTIONAL)
    report = ImportReport()
    for row in csv_file.rows:
        if row.error:
            report.rejected.append(RowResult(row.line, error=row.error))
            continue
        v = {k: value for k, value in row.values.items() if value}
        fields: dict[str, Any] = {
            k: v[k] for k in v if k not in ("roles", "consent_channel", "consent_at")
        }
        if "roles" in v:
            fields["roles"] = [r.strip() for r in v["roles"].split("|") if r.strip()]
        if "consent_channel" in v:
            fields["consent"] = {"channel": v["consent_channel"], "at": v.get("consent_at")}
        try:
            data = ProducerCreate.model_validate(fields)
            async with session.begin_nested():
                producer = await create_producer(session, data=data, staff=staff, via="csv")
            report.accepted.append(RowResult(row.line, id=producer.id))
        except ValidationError as exc:
            report.rejected.append(RowResult(row.line, error=first_error(exc)))
        except AppError as exc:
            report.rejected.append(RowResult(row.line, error=str(exc.detail)))
    return report
