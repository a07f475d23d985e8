"""Price tables published as HTML pages: every <table> of the page read into rows of cell
texts with the standard library's HTMLParser, the source's table chosen by its index, id,
caption or a header, then mapped with the source's TableMapping.

Pages are read the way a person sees them: a cell spanning columns or rows counts in each of
them, `&nbsp;` is a space, a table inside a cell (a layout table around the prices) is a table
of its own. A row that is one cell across the table (a section heading, a "Source: ..." note)
and the rows of <tfoot> are not prices.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import httpx

from app.core.errors import InvalidInput
from app.sources.models import Source
from app.sources.records import CollectorError, Parsed, PriceRecord
from app.sources.tables import TableMapping, fold_header
from app.text.normalize import decode_text
from jobs.collectors.base import Collected
from jobs.collectors.tables import fetch_table, records_from_rows

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# HTML's own limits; they keep a hostile colspan from building a million-cell row.
MAX_COLSPAN = 1000
MAX_ROWSPAN = 65534


@dataclass
class HtmlRow:
    cells: list[str]
    note: bool = False  # one cell across the table, or a row of <tfoot>: not a price


@dataclass
class HtmlTable:
    index: int  # in the order the tables open in the page, from 0
    id: str | None = None
    caption: str = ""
    rows: list[HtmlRow] = field(default_factory=list)

    def describe(self) -> str:
        """How messages name the table: `#1 (caption 'Retail prices')`."""
        parts = []
        if self.caption:
            parts.append(f"caption {_shorten(self.caption)!r}")
        if self.id:
            parts.append(f"id {self.id!r}")
        if not parts and self.rows:
            parts.append(f"first row {_shorten(' | '.join(self.rows[0].cells))!r}")
        return f"#{self.index} ({', '.join(parts) or 'empty'})"


def parse(content: bytes, mapping: TableMapping) -> Parsed[PriceRecord]:
    """Read the page's table chosen by `mapping.table`; its row `mapping.header_row` (from 0)
    is the header. A row's line is its place in the table, the header being line 1."""
    reader = _TableReader()
    reader.feed(_decode(content))
    reader.close()
    table = _choose(reader.tables, mapping, reader.title)
    if len(table.rows) <= mapping.header_row:
        raise CollectorError(
            f"table {table.describe()} has {len(table.rows)} row(s); "
            f"header_row is {mapping.header_row}"
        )
    header = table.rows[mapping.header_row].cells
    rows = (
        (index - mapping.header_row + 1, row.cells)
        for index, row in enumerate(table.rows)
        if index > mapping.header_row and not row.note
    )
    return records_from_rows(header, rows, mapping, source_name=f"table {table.describe()}")


def read_tables(text: str) -> list[HtmlTable]:
    """Every table of the page, in the order they open, nested ones included."""
    reader = _TableReader()
    reader.feed(text)
    reader.close()
    return reader.tables


def _choose(tables: list[HtmlTable], mapping: TableMapping, title: str) -> HtmlTable:
    if not tables:
        shown = f" (its title is {_shorten(title)!r})" if title else ""
        raise CollectorError(f"the page has no table{shown}")
    listing = f"the page has {len(tables)} table(s): " + "; ".join(t.describe() for t in tables)
    wanted = mapping.table
    if isinstance(wanted, int):
        if wanted >= len(tables):
            raise CollectorError(f"there is no table #{wanted}: {listing}")
        return tables[wanted]
    found = [t for t in tables if _matches(t, wanted, mapping.header_row)]
    if not found:
        raise CollectorError(f"no table has the id, caption or header {wanted!r}; {listing}")
    if len(found) > 1:
        which = ", ".join(t.describe() for t in found)
        raise CollectorError(f"{wanted!r} matches {len(found)} tables: {which}; name one by index")
    return found[0]


def _matches(table: HtmlTable, wanted: str, header_row: int) -> bool:
    # Captions carry the date ("Wholesale prices, 15 May 2022"), so a caption matches by a part
    # of it; an id or a header cell must be the whole text.
    folded = fold_header(wanted)
    if table.id is not None and fold_header(table.id) == folded:
        return True
    if folded in fold_header(table.caption):
        return True
    header = table.rows[header_row].cells if len(table.rows) > header_row else []
    return any(fold_header(cell) == folded for cell in header)


def _decode(content: bytes) -> str:
    if content.startswith(codecs.BOM_UTF8):
        charset = "utf-8-sig"
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        charset = "utf-16"
    else:
        declared = _META_CHARSET.search(content[:4096])
        charset = declared[1].decode("ascii") if declared else "utf-8"
    try:
        return decode_text(content, charset)
    except InvalidInput as exc:
        raise CollectorError(f"the page cannot be read as text: {exc}") from exc


@dataclass
class _Cell:
    parts: list[str]
    colspan: int
    rowspan: int


@dataclass
class _OpenTable:
    table: HtmlTable
    # Rows as written, each cell with its spans; laid out on the grid when the table closes.
    rows: list[tuple[list[_Cell], bool]] = field(default_factory=list)
    row: list[_Cell] | None = None
    cell: _Cell | None = None
    in_caption: bool = False
    in_tfoot: bool = False

    def close_cell(self) -> None:
        self.cell = None

    def close_row(self) -> None:
        self.close_cell()
        if self.row is not None:
            self.rows.append((self.row, self.in_tfoot))
        self.row = None


class _TableReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[HtmlTable] = []
        self.title = ""
        self._open: list[_OpenTable] = []  # the innermost table last
        self._skip = 0  # inside <script> or <style>
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "table":
            table = HtmlTable(index=len(self.tables), id=dict(attrs).get("id"))
            self.tables.append(table)
            self._open.append(_OpenTable(table))
        elif not self._open:
            return  # a cell or row outside any table is not a table's
        elif tag == "br":
            self._text(" ")
        elif tag in {"thead", "tbody", "tfoot"}:
            current = self._open[-1]
            current.close_row()
            current.in_tfoot = tag == "tfoot"
        elif tag == "tr":
            self._open[-1].close_row()
            self._open[-1].row = []
        elif tag in {"td", "th"}:
            current = self._open[-1]
            current.close_cell()
            if current.row is None:
                current.row = []  # a cell without its <tr>: browsers open the row
            values = dict(attrs)
            cell = _Cell(
                [],
                _span(values.get("colspan"), MAX_COLSPAN),
                _span(values.get("rowspan"), MAX_ROWSPAN),
            )
            current.row.append(cell)
            current.cell = cell
        elif tag == "caption":
            self._open[-1].in_caption = True

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif not self._open:
            return
        elif tag == "table":
            current = self._open.pop()
            current.close_row()
            current.table.rows = _lay_out(current.rows)
        elif tag in {"td", "th"}:
            self._open[-1].close_cell()
        elif tag in {"tr", "thead", "tbody", "tfoot"}:
            self._open[-1].close_row()
            if tag == "tfoot":
                self._open[-1].in_tfoot = False
        elif tag == "caption":
            self._open[-1].in_caption = False

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title = " ".join(f"{self.title} {data}".split())
            return
        self._text(data)

    def close(self) -> None:
        super().close()
        while self._open:  # tables the page never closed
            current = self._open.pop()
            current.close_row()
            current.table.rows = _lay_out(current.rows)

    def _text(self, data: str) -> None:
        if not self._open:
            return
        current = self._open[-1]
        if current.in_caption:
            current.table.caption = " ".join(f"{current.table.caption} {data}".split())
        elif current.cell is not None:
            current.cell.parts.append(data)


def _lay_out(rows: list[tuple[list[_Cell], bool]]) -> list[HtmlRow]:
    """Cells spanning columns or rows repeated in each of them, as the page shows them."""
    laid: list[HtmlRow] = []
    pending: dict[int, tuple[int, str]] = {}  # column -> (rows still to fill, text) of rowspans
    for cells, in_tfoot in rows:
        out: list[str] = []
        for cell in cells:
            _fill_rowspans(out, pending)
            text = " ".join("".join(cell.parts).split())
            for _ in range(cell.colspan):
                if cell.rowspan > 1:
                    pending[len(out)] = (cell.rowspan - 1, text)
                out.append(text)
        _fill_rowspans(out, pending)
        note = in_tfoot or (len(cells) == 1 and cells[0].colspan > 1)
        laid.append(HtmlRow(out, note))
    return laid


def _fill_rowspans(out: list[str], pending: dict[int, tuple[int, str]]) -> None:
    """Put the cells that rows above span into, from the next column of `out` on."""
    while len(out) in pending:
        column = len(out)
        left, text = pending.pop(column)
        out.append(text)
        if left > 1:
            pending[column] = (left - 1, text)


def _span(value: str | None, limit: int) -> int:
    try:
        span = int(value or "1")
    except ValueError:
        return 1
    # rowspan="0" means "to the end of the section"; one row is the safe reading.
    return min(max(span, 1), limit)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def collect(client: httpx.AsyncClient, source: Source) -> Collected:
    return await fetch_table(client, source, expect="html", parse=parse)
