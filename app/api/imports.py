"""The response of every CSV import: accepted, rejected and duplicate rows, each by line."""

from __future__ import annotations

from pydantic import BaseModel

from app.text.csvfile import ImportReport


class ImportedRow(BaseModel):
    line: int
    id: int


class RejectedRow(BaseModel):
    line: int
    error: str


class DuplicateRow(BaseModel):
    line: int
    existing_id: int  # the price already stored, which this row repeats


class ImportResult(BaseModel):
    accepted_count: int
    rejected_count: int
    duplicate_count: int
    accepted: list[ImportedRow]
    rejected: list[RejectedRow]
    duplicates: list[DuplicateRow]


def import_result(report: ImportReport) -> ImportResult:
    return ImportResult(
        accepted_count=len(report.accepted),
        rejected_count=len(report.rejected),
        duplicate_count=len(report.duplicates),
        accepted=[ImportedRow(line=r.line, id=r.id or 0) for r in report.accepted],
        rejected=[RejectedRow(line=r.line, error=r.error or "") for r in report.rejected],
        duplicates=[DuplicateRow(line=r.line, existing_id=r.id or 0) for r in report.duplicates],
    )
