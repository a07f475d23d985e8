"""Atom (RFC 4287) documents: a feed and its entries as XML bytes."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# XML 1.0 has no place for C0 control characters other than tab and line breaks; a text stored
# before control characters were refused at the edge must not make the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Category:
    term: str
    label: str


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    updated: dt.datetime
    content: str
    lang: str
    categories: list[Category] = field(default_factory=list)


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    subtitle: str
    lang: str
    self_url: str
    author: str
    rights: str
    updated: dt.datetime
    entries: list[Entry]


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = _clean(text)
    return element


def render(feed: Feed) -> bytes:
    # Elements are written unqualified under a default namespace declared on the root, as Atom
    # documents usually are (ElementTree's own default_namespace refuses plain attributes).
    root = ET.Element("feed", {"xmlns": ATOM, XML_LANG: feed.lang})
    _text(root, "id", feed.id)
    _text(root, "title", feed.title)
    _text(root, "subtitle", feed.subtitle)
    _text(root, "updated", _timestamp(feed.updated))
    ET.SubElement(
        root,
        "link",
        {"rel": "self", "type": "application/atom+xml", "href": feed.self_url},
    )
    author = ET.SubElement(root, "author")
    _text(author, "name", feed.author)
    _text(root, "rights", feed.rights)
    for item in feed.entries:
        entry = ET.SubElement(root, "entry", {XML_LANG: item.lang})
        _text(entry, "id", item.id)
        _text(entry, "title", item.title)
        _text(entry, "updated", _timestamp(item.updated))
        _text(entry, "published", _timestamp(item.updated))
        for category in item.categories:
            ET.SubElement(
                entry,
                "category",
                {"term": _clean(category.term), "label": _clean(category.label)},
            )
        _text(entry, "content", item.content, type="text")
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def title_of(text: str, limit: int = 80) -> str:
    """An entry's title: the text's first line, cut at a word within `limit` characters."""
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    # Burmese, Khmer, Lao and Chinese write words without spaces: cut where the limit falls.
    word = cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut
    return word.rstrip() + "…"
