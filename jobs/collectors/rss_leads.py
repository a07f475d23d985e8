"""Buyer-lead feeds in RSS or Atom (trade boards, cooperatives, exporters), read with feedparser,
as LeadRecords of plain text.

Real feeds are often slightly broken (a bare "&" in a title, a wrong encoding declaration);
feedparser then falls back to its lenient parser and calls the feed "bozo". Such a feed is used
as long as entries came out of it; only one with no entries at all is refused. Titles and
summaries lose their markup and runs of whitespace, because a lead is shown as text in a message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

# feedparser ships neither type hints nor a py.typed marker, and no stub package exists for it.
import feedparser  # type: ignore[import-untyped]
import httpx

from app.sources.models import Source
from app.sources.records import CollectorError, LeadRecord, Parsed, RowProblem
from jobs.collectors.base import Collected, fetch_parsed

MAX_KEY = 200  # longer ids are replaced by their hash, so that every key fits its column

# Elements whose start or end separates words: "<p>Muse</p><p>Lashio</p>" is "Muse Lashio".
_BREAKS = frozenset(
    {"br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "table", "blockquote", "hr"}
    | {"h1", "h2", "h3", "h4", "h5", "h6"}
)
_INVISIBLE = frozenset({"script", "style"})


def parse(content: bytes) -> Parsed[LeadRecord]:
    if not content.strip():
        raise CollectorError("the feed is empty")
    if _looks_like_html(content):
        raise CollectorError("the feed URL returned an HTML page, not RSS or Atom")
    # A stream, not the bytes themselves: given bytes, feedparser first tries them as a file
    # name and reads that local file if it exists, so a server answering "/etc/passwd" would
    # have us parse our own files.
    feed: dict[str, object] = feedparser.parse(io.BytesIO(content))
    raw_entries = dict.get(feed, "entries")
    entries = raw_entries if isinstance(raw_entries, list) else []
    if not entries:
        if dict.get(feed, "bozo"):
            reason = dict.get(feed, "bozo_exception")
            raise CollectorError(f"the feed is not valid RSS or Atom XML: {reason}")
        if not dict.get(feed, "version"):
            raise CollectorError("the document is XML but not an RSS or Atom feed")
    parsed: Parsed[LeadRecord] = Parsed()
    for line, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            parsed.problems.append(RowProblem(line, "the entry could not be read"))
            continue
        lead = _lead(entry, line)
        if isinstance(lead, RowProblem):
            parsed.problems.append(lead)
        else:
            parsed.records.append(lead)
    return parsed


def _lead(entry: dict[str, object], line: int) -> LeadRecord | RowProblem:
    # dict.get throughout: FeedParserDict's own get maps missing keys to others and, for
    # "updated_parsed", warns (DeprecationWarning) while doing so.
    title = _plain(dict.get(entry, "title"))
    summary = _plain(dict.get(entry, "summary")) or _plain(_first_content(entry))
    if not title and not summary:
        return RowProblem(line, f"entry {_text(entry, 'id') or line} has no title and no summary")
    return LeadRecord(
        key=_key(entry, title or summary),
        line=line,
        title=title,
        summary=summary,
        link=_link(entry),
        published=_day(entry),
        author=_plain(dict.get(entry, "author")) or None,
        categories=_categories(entry),
    )


def _key(entry: dict[str, object], title: str) -> str:
    """The entry's id, else its link, else a hash of its title and date."""
    key = _text(entry, "id") or _text(entry, "link")
    if not key:
        stamp = _text(entry, "published") or _text(entry, "updated")
        key = "sha1:" + _sha1(f"{title}\n{stamp}")
    if len(key) > MAX_KEY:
        key = "sha1:" + _sha1(key)
    return key


def _link(entry: dict[str, object]) -> str | None:
    """The entry's web address. Without a <link>, feedparser copies the guid into "link", and
    a guid is often no URL; a relative link cannot be resolved without the feed's address."""
    link = _text(entry, "link")
    parts = urlsplit(link)
    return link if parts.scheme in ("http", "https") and parts.netloc else None


def _day(entry: dict[str, object]) -> dt.date | None:
    # feedparser gives both as UTC, whatever offset the feed wrote.
    for name in ("published_parsed", "updated_parsed"):
        value = dict.get(entry, name)
        if isinstance(value, time.struct_time):
            return dt.date(value.tm_year, value.tm_mon, value.tm_mday)
    return None


def _categories(entry: dict[str, object]) -> tuple[str, ...]:
    tags = dict.get(entry, "tags")
    if not isinstance(tags, list):
        return ()
    terms = (_plain(dict.get(tag, "term")) for tag in tags if isinstance(tag, dict))
    return tuple(dict.fromkeys(term for term in terms if term))


def _first_content(entry: dict[str, object]) -> object:
    """An Atom entry may have <content> and no <summary>."""
    content = dict.get(entry, "content")
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return dict.get(content[0], "value")
    return None


def _text(entry: dict[str, object], name: str) -> str:
    value = dict.get(entry, name)
    return value.strip() if isinstance(value, str) else ""


class _TextOnly(HTMLParser):
    """The text of an HTML fragment, without scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self._hidden += 1
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _plain(value: object) -> str:
    """Text without tags, entities decoded, whitespace runs (and NBSP) as one space."""
    if not isinstance(value, str):
        return ""
    parser = _TextOnly()
    parser.feed(value)
    parser.close()
    return " ".join("".join(parser.parts).split())


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _looks_like_html(content: bytes) -> bool:
    """An HTML page (a login wall, an error page) where the feed should be."""
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml"):
        head = head[head.find(b"?>") + 2 :].lstrip()
    return head.startswith((b"<!doctype html", b"<html"))


async def collect(client: httpx.AsyncClient, source: Source) -> Collected:
    return await fetch_parsed(client, source, expect="xml", parse=parse, into="leads")
