"""Reading uploaded CSV files the way spreadsheets actually write them: with or without a BOM,
comma, semicolon or tab separated, and refusing the file whole when its shape is wrong."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError

from app.core.errors import InvalidInput
from app.text.normalize import control_character, decode_text

MAX_ROWS = 20_000


@dataclass(frozen=True)
class CsvRow:
    line: int  # as a spreadsheet numbers it: the header is line 1
    values: dict[str, str]
    error: str | None = None  # a row of the wrong width: reported, never guessed at


@dataclass
class RowResult:
    line: int
    id: int | None = None  # what the row created, or for a duplicate what already holds it
    error: str | None = None
    line_of_original: int | None = None  # a duplicate of an earlier row of the same file


@dataclass
class ImportReport:
    accepted: list[RowResult] = field(default_factory=list)
    rejected: list[RowResult] = field(default_factory=list)
    duplicates: list[RowResult] = field(default_factory=list)  # already stored: not again


def first_error(exc: ValidationError) -> str:
    """The first problem pydantic found in a row, as `field: message`."""
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}"


@dataclass(frozen=True)
class CsvFile:
    columns: list[str]
    rows: list[CsvRow]


def read_csv(
    content: bytes,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    max_rows: int = MAX_ROWS,
) -> CsvFile:
    text = decode_text(content).lstrip("\ufeff")
    if not text.strip():
        raise InvalidInput("the file is empty")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        raise InvalidInput(f"line 1: {exc}") from exc
    missing = [c for c in required if c not in header]
    if missing:
        raise InvalidInput(
            f"missing column(s): {', '.join(missing)}; expected {', '.join([*required, *optional])}"
        )
    unknown = [c for c in header if c and c not in required and c not in optional]
    if unknown:
        raise InvalidInput(f"unknown column(s): {', '.join(unknown)}")
    if len(set(header)) != len(header):
        raise InvalidInput("a column appears twice in the header")
    rows = list(_rows(reader, header, max_rows))
    if not rows:
        raise InvalidInput("the file has a header but no rows")
    return CsvFile(header, rows)


def _rows(reader: Iterator[list[str]], header: list[str], max_rows: int) -> Iterator[CsvRow]:
    count = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = getattr(reader, "line_num", 0)
            raise InvalidInput(f"line {line}: {exc}") from exc
        line = getattr(reader, "line_num", 0)
        if not any(c.strip() for c in cells):
            continue
        count += 1
        if count > max_rows:
            raise InvalidInput(f"too many rows: at most {max_rows} per file; split it")
        if len(cells) != len(header):
            yield CsvRow(line, {}, f"{len(cells)} fields where the header has {len(header)}")
            continue
        # The same rule as for JSON bodies (app/api/text_input.py): the row is refused whole.
        bad = next(
            ((h, f) for h, c in zip(header, cells, strict=True) if (f := control_character(c))),
            None,
        )
        if bad is not None:
            yield CsvRow(line, {}, f"{bad[0]}: control character {bad[1]}")
            continue
        yield CsvRow(line, {h: c.strip() for h, c in zip(header, cells, strict=True)})


# A cell a spreadsheet would read as a formula (=, +, -, @, or a tab or carriage return first)
# is prefixed with an apostrophe: an exported name must never run as code on a CDE's computer.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file spreadsheets open as written: UTF-8 with a BOM (so Excel reads Burmese, Khmer
    and Lao), comma separated, CRLF line ends, formulas defused."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_records(columns: Sequence[str], records: Iterable[BaseModel]) -> bytes:
    """Models as a CSV file (write_csv), a column per named field, each value as in their JSON:
    dates and times in ISO 8601, enums by value, nothing as an empty cell."""
    fields = set(columns)
    return write_csv(
        columns,
        ([r.model_dump(mode="json", include=fields)[c] for c in columns] for r in records),
    )
