"""Price tables published as CSV files: read them the way app/text/csvfile.py reads uploads
(BOM or not, comma, semicolon or tab separated, strict quoting), then map them with the
source's TableMapping.

A fetched file can be wrong as a whole in ways an upload rarely is: the portal serves its
HTML error or login page with a 200, or the download stops halfway through a row. Both fail
the run instead of importing part of a table.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator

import httpx

from app.core.errors import InvalidInput
from app.sources.models import Source
from app.sources.records import CollectorError, Parsed, PriceRecord
from app.sources.tables import TableMapping
from app.text.normalize import decode_text
from jobs.collectors.base import Collected
from jobs.collectors.tables import fetch_table, records_from_rows

SOURCE_NAME = "the CSV file"
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html|head|body|title|meta)[\s>/]", re.IGNORECASE)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


def parse(content: bytes, mapping: TableMapping) -> Parsed[PriceRecord]:
    """Read a CSV file; the row `mapping.header_row` (from 0) is the header."""
    _refuse_html(content)
    text = _decode(content)
    if not text.strip():
        raise CollectorError("the file is empty")
    lines = text.splitlines()
    # The delimiter is the one the header line uses most; title lines above it may have none.
    sniffed = lines[min(mapping.header_row, len(lines) - 1)]
    delimiter = max(",;\t", key=sniffed.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = _rows(reader)
    header: list[str] | None = None
    for index, (line, cells) in enumerate(rows):
        if index == mapping.header_row:
            if not any(c.strip() for c in cells):
                raise CollectorError(f"line {line}: the header row is empty")
            header = cells
            break
    if header is None:
        raise CollectorError(
            f"the file has no header row: header_row is {mapping.header_row} "
            f"and the file has {len(lines)} line(s)"
        )
    return records_from_rows(header, rows, mapping, source_name=SOURCE_NAME)


def _rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # An unterminated quote at the end: the download was cut off mid-row.
            line = getattr(reader, "line_num", 0)
            raise CollectorError(f"line {line}: {exc}") from exc
        yield getattr(reader, "line_num", 0), cells


def _decode(content: bytes) -> str:
    # Excel's "Unicode text" is UTF-16 with a BOM; everything else we accept is UTF-8.
    utf16 = content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        return decode_text(content, "utf-16" if utf16 else "utf-8-sig")
    except InvalidInput as exc:
        raise CollectorError(f"the file cannot be read as text: {exc}") from exc


def _refuse_html(content: bytes) -> None:
    start = content.removeprefix(codecs.BOM_UTF8).lstrip()[:1024]
    if not (start.startswith(b"<") and _HTML_START.search(start)):
        return
    title = _TITLE.search(content[:4096])
    shown = ""
    if title:
        text = " ".join(title[1].decode("utf-8", "replace").split())[:80]
        shown = f" ({text!r})" if text else ""
    raise CollectorError(f"expected a CSV file but got an HTML page{shown}")


async def collect(client: httpx.AsyncClient, source: Source) -> Collected:
    return await fetch_table(client, source, expect="csv", parse=parse)
