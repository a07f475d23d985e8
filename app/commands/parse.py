"""Text -> Command: what a producer wants, and which commodity, market, numbers and units.

Words may come in any order, in any of the six languages, without spaces (Burmese, Khmer, Lao,
Chinese), in Zawgyi, with native digits, without Vietnamese accents, and with small typos (one
letter wrong in a Latin word of five letters or more). Everything the parser knows is indexed
once in a `Parser`; parsing a message scans it once.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.models import Alias
from app.catalogue.service import CatalogueIndex, Names, load_index
from app.catalogue.version import catalogue_version
from app.commands.keywords import (
    ABOVE_WORDS,
    BELOW_WORDS,
    CURRENCY_WORDS,
    KEYWORDS,
    LANGUAGE_NAMES,
    Intent,
)
from app.commands.romanised import (
    ROMANISED_KEYWORDS,
    SCRIPT_NAMES,
    SCRIPT_WORDS,
    without_lone_short_names,
)
from app.core.errors import InvalidInput
from app.text.match import Match, TermMatcher
from app.text.normalize import fold, normalize_text

_NUMBER = re.compile(
    r"(?<![\w.])(-?\d+(?:[.,]\d{3})*(?:\.\d+)?(?:e[+-]?\d+)?)(\s*%)?", re.IGNORECASE
)
_JOINERS = re.compile(r"^[\s/]*(?:per\s+|a\s+|/\s*)?$")
_LATIN_WORD = re.compile(r"[a-z]{5,}")
_SCRIPTS = (
    ("my", re.compile("[\u1000-\u109f]")),
    ("km", re.compile("[\u1780-\u17ff]")),
    ("lo", re.compile("[\u0e80-\u0eff]")),
    ("zh", re.compile("[\u3400-\u9fff]")),
)
_VIETNAMESE = re.compile(
    "[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹàáèéìíòóùúýõã]", re.I
)
_QUANTITY_INTENTS = (Intent.SELL, Intent.BUY)


class Term(NamedTuple):
    kind: str  # keyword, commodity, variety, market, unit, currency, language, above, below
    value: Any  # an Intent, an id, a currency code, a locale
    locale: str | None


@dataclass
class Command:
    intent: Intent
    locale: str  # the language the message was written in
    text: str
    commodity_id: int | None = None
    variety_id: int | None = None
    market_id: int | None = None
    amount: Decimal | None = None  # a price: report, sell, buy, above/below threshold
    currency: str | None = None
    unit_id: int | None = None  # what the amount is per
    quantity: Decimal | None = None
    quantity_unit_id: int | None = None
    percent: Decimal | None = None
    threshold: str | None = None  # "above" or "below"
    language: str | None = None
    script: str | None = None  # SCRIPT LATIN: a Script value
    problem: str | None = None  # a number that is no price, text too long...
    extra_markets: list[int] = field(default_factory=list)


@dataclass
class _Number:
    start: int
    end: int
    value: Decimal | None
    percent: bool


def _levenshtein_at_most_one(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


class Parser:
    def __init__(
        self, index: CatalogueIndex, aliases: Iterable[Alias], *, default_locale: str = "en"
    ) -> None:
        self.index = index
        self.default_locale = default_locale
        # Display names per target column ("market_id") and entry, per locale: what answers show.
        self._display: dict[str, dict[Any, Names]] = {}
        terms: list[tuple[str, Term]] = []
        for intent, by_locale in KEYWORDS.items():
            for locale, words in by_locale.items():
                terms += [(w, Term("keyword", intent, locale)) for w in words]
        for code, words in CURRENCY_WORDS.items():
            terms += [(w, Term("currency", code, None)) for w in words]
        for locale, words in LANGUAGE_NAMES.items():
            terms += [(w, Term("language", locale, None)) for w in words]
        for intent, by_locale in ROMANISED_KEYWORDS.items():
            for locale, words in by_locale.items():
                terms += [(w, Term("keyword", intent, locale)) for w in words]
        for locale, words in SCRIPT_WORDS.items():
            terms += [(w, Term("keyword", Intent.SCRIPT, locale)) for w in words]
        for script, words in SCRIPT_NAMES.items():
            terms += [(w, Term("script", script.value, None)) for w in words]
        terms += [(w, Term("above", "above", None)) for w in ABOVE_WORDS]
        terms += [(w, Term("below", "below", None)) for w in BELOW_WORDS]
        for c in index.commodity_by_id.values():
            terms += [
                (c.slug, Term("commodity", c.id, "en")),
                (c.name, Term("commodity", c.id, "en")),
            ]
        for v in index.variety_by_id.values():
            terms += [
                (v.slug.replace("-", " "), Term("variety", v.id, "en")),
                (v.name, Term("variety", v.id, "en")),
            ]
        for m in index.market_by_id.values():
            terms += [
                (m.slug.replace("-", " "), Term("market", m.id, "en")),
                (m.name, Term("market", m.id, "en")),
            ]
        for u in index.unit_by_id.values():
            terms += [(u.code, Term("unit", u.id, "en"))]
        for a in aliases:
            for kind in ("commodity", "variety", "market", "unit"):
                target = getattr(a, f"{kind}_id")
                if target is not None:
                    terms.append((a.text, Term(kind, target, a.locale)))
                    if a.is_display:
                        names = self._display.setdefault(f"{kind}_id", {})
                        names.setdefault(target, {})[a.locale] = a.text
            if a.country_code is not None and a.is_display:  # names, never words to match
                names = self._display.setdefault("country_code", {})
                names.setdefault(a.country_code, {})[a.locale] = a.text
        self.matcher: TermMatcher[Term] = TermMatcher(terms)
        # Typos: single Latin words of five letters or more, by length for a cheap scan.
        self._fuzzy: dict[int, list[tuple[str, Term]]] = {}
        for text, term in terms:
            key = fold(text)
            if key.isascii() and key.isalpha() and len(key) >= 5:
                self._fuzzy.setdefault(len(key), []).append((key, term))

    def display_names(self, column: str, keys: Iterable[Any]) -> dict[Any, Names]:
        """As app.catalogue.service.display_names, from the aliases this parser was built on."""
        names = self._display.get(column, {})
        return {key: names.get(key, {}) for key in keys}

    def _typos(self, folded: str, covered: list[tuple[int, int]]) -> list[Match[Term]]:
        found = []
        for word in _LATIN_WORD.finditer(folded):
            if any(s < word.end() and word.start() < e for s, e in covered):
                continue
            w = word.group()
            candidates = [
                term
                for n in (len(w) - 1, len(w), len(w) + 1)
                for key, term in self._fuzzy.get(n, ())
                if _levenshtein_at_most_one(w, key)
            ]
            kinds = {(t.kind, t.value) for t in candidates}
            if len(kinds) == 1:  # a typo that could be two different things is left alone
                found.append(Match(word.start(), word.end(), w, candidates[0]))
        return found

    def parse(self, raw: str) -> Command:
        try:
            text = normalize_text(raw, max_chars=1000)
        except InvalidInput:
            locale = _script_locale(raw[:200]) or self.default_locale
            return Command(Intent.UNKNOWN, locale, raw[:200], problem="too_long")
        folded = fold(text)
        matches = self.matcher.find(text)
        matches += self._typos(folded, [(m.start, m.end) for m in matches])
        matches = without_lone_short_names(matches)
        matches.sort(key=lambda m: m.start)
        numbers = [
            _Number(m.start(), m.end(), _to_decimal(m.group(1)), bool(m.group(2)))
            for m in _NUMBER.finditer(folded)
        ]
        command = Command(
            Intent.UNKNOWN, _detect_locale(text, matches) or self.default_locale, text
        )
        self._entities(command, matches)
        self._numbers(command, folded, matches, numbers)
        command.intent = _intent(command, matches)
        return command

    def _entities(self, command: Command, matches: list[Match[Term]]) -> None:
        for m in matches:
            kind, value = m.value.kind, m.value.value
            if kind == "variety" and command.variety_id is None:
                variety = self.index.variety_by_id[value]
                if command.commodity_id in (None, variety.commodity_id):
                    command.variety_id = value
                    command.commodity_id = variety.commodity_id
            elif kind == "commodity" and command.commodity_id is None:
                command.commodity_id = value
            elif kind == "market":
                if command.market_id is None:
                    command.market_id = value
                elif value != command.market_id:
                    command.extra_markets.append(value)
            elif kind == "language" and command.language is None:
                command.language = value
            elif kind == "script" and command.script is None:
                command.script = value
            elif kind in ("above", "below"):
                command.threshold = kind
        # "fine" is a silk variety; with "mango" in the message it means nothing.
        if command.variety_id is not None:
            variety = self.index.variety_by_id[command.variety_id]
            if variety.commodity_id != command.commodity_id:
                command.variety_id = None

    def _numbers(
        self, command: Command, folded: str, matches: list[Match[Term]], numbers: list[_Number]
    ) -> None:
        for n in numbers:
            if n.value is None:
                command.problem = "bad_number"
                continue
            if n.percent:
                command.percent = n.value
                continue
            following = _following(folded, matches, n.end)
            first = following[0].value if following else None
            if first is not None and first.kind == "unit" and command.quantity is None:
                command.quantity, command.quantity_unit_id = n.value, first.value
                continue
            if first is not None and first.kind == "currency":
                command.amount, command.currency = n.value, first.value
                if len(following) > 1 and following[1].value.kind == "unit":
                    command.unit_id = following[1].value.value
                continue
            if command.amount is None:
                command.amount = n.value
        if command.amount is not None and command.unit_id is None and command.quantity_unit_id:
            command.unit_id = command.quantity_unit_id  # "20KG 70USD": 70 USD per kg


def _following(folded: str, matches: list[Match[Term]], position: int) -> list[Match[Term]]:
    """The terms right after a number, joined by nothing but spaces, "/" or "per"."""
    chain: list[Match[Term]] = []
    for m in matches:
        if m.start < position:
            continue
        if not _JOINERS.match(folded[position : m.start]):
            break
        chain.append(m)
        position = m.end
        if len(chain) == 2:
            break
    return chain


def _to_decimal(text: str) -> Decimal | None:
    cleaned = text.replace(",", "") if re.search(r",\d{3}(?!\d)", text) else text.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value < Decimal("1e15") else None


def _intent(command: Command, matches: list[Match[Term]]) -> Intent:
    for m in matches:
        if m.value.kind != "keyword":
            continue
        intent = m.value.value
        # "bán"/"bạn" and "mua"/"mùa" fold alike: a sale or purchase needs a quantity.
        if intent in _QUANTITY_INTENTS and command.quantity is None:
            continue
        return Intent(intent)
    if command.commodity_id or command.variety_id or command.market_id:
        return Intent.PRICE
    return Intent.UNKNOWN


def _script_locale(text: str) -> str | None:
    for locale, pattern in _SCRIPTS:
        if pattern.search(text):
            return locale
    return None


def _detect_locale(text: str, matches: list[Match[Term]]) -> str | None:
    """The language to answer in: by script, then Vietnamese accents or Vietnamese words, then
    English words; None when nothing tells (the deployment's default language then)."""
    by_script = _script_locale(text)
    if by_script:
        return by_script
    if _VIETNAMESE.search(text):
        return "vi"
    locales_by_span: dict[tuple[int, int], set[str | None]] = {}
    for m in matches:
        locales_by_span.setdefault((m.start, m.end), set()).add(m.value.locale)
    # "gia xoai": words that are only Vietnamese (not also English, as "Muse" is).
    if any("vi" in found and "en" not in found for found in locales_by_span.values()):
        return "vi"
    return "en" if matches else None


async def load_parser(session: AsyncSession, *, default_locale: str = "en") -> Parser:
    """Index the catalogue and every alias once; reuse the parser for many messages."""
    index = await load_index(session)
    aliases = (await session.exec(select(Alias))).all()
    return Parser(index, aliases, default_locale=default_locale)


class ParserCache:
    """One parser per process, kept while the catalogue version stays the same: building it
    reads the whole catalogue, too much per message, and a name a CDE adds must be understood
    from the next message on, in every process."""

    def __init__(self, default_locale: str) -> None:
        self.default_locale = default_locale
        self._parser: Parser | None = None
        self._version: int | None = None
        self._building = asyncio.Lock()  # one build at a time, not one per waiting message

    async def get(self, session: AsyncSession) -> Parser:
        version = await catalogue_version(session)
        if self._parser is None or version != self._version:
            async with self._building:
                if self._parser is None or version != self._version:
                    self._parser = await load_parser(session, default_locale=self.default_locale)
                    self._version = version
        assert self._parser is not None
        return self._parser
