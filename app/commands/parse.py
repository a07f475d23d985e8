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
from app.commands.common_words import COMMON_WORDS
from app.commands.keywords import (
    ABOVE_WORDS,
    ASK_BEFORE_STOPPING,
    BELOW_WORDS,
    BUTTON_LABEL_OPT_OUTS,
    KEYWORDS,
    LANGUAGE_NAMES,
    MULTIPLIER_CURRENCY,
    MULTIPLIERS,
    ONLY_ALONE,
    QUOTE_WORDS,
    Intent,
)
from app.commands.romanised import (
    ROMANISED_KEYWORDS,
    SCRIPT_NAMES,
    SCRIPT_WORDS,
    without_lone_short_names,
)
from app.core.errors import InvalidInput
from app.prices.currencies import CURRENCY_WORDS
from app.text.match import Match, TermMatcher
from app.text.normalize import fold, fold_with_origins, is_unspaced, normalize_text

_NUMBER = re.compile(
    r"(?<![\w.])(-?\d+(?:[.,]\d{3})*(?:\.\d+)?(?:e[+-]?\d+)?)(\s*%)?", re.IGNORECASE
)
# A time of day, for daily summaries: 18:00, 7:30, and 18h00 as Vietnamese write it.
_TIME = re.compile(r"(?<![\w.:])([01]?\d|2[0-3])[:h]([0-5]\d)(?![\w:])")
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
# What is left of a message once its command words are taken out, when it stood alone:
# punctuation, symbols and spaces in any script ("STOP!", "ရပ်ပါ။").
_NOTHING_ELSE = re.compile(r"[\W_]*")
# When several kinds of command words are in one message, the first of these wins: what a
# producer asks for comes from the whole message, not from the first word found.
_PRECEDENCE = (
    Intent.REPORT,
    Intent.SELL,
    Intent.BUY,
    Intent.ALERTS,
    Intent.SUBSCRIBE,
    Intent.DAILY,
    Intent.LANGUAGE,
    Intent.SCRIPT,
    Intent.LEADS,
    Intent.PRICE,
    Intent.HELP,
)


class Term(NamedTuple):
    # keyword, commodity, variety, market, unit, currency, multiplier, language, above, below,
    # or word: an everyday word that means nothing to MIC but hides the names inside it
    kind: str
    value: Any  # an Intent, an id, a currency code, a factor, a locale
    locale: str | None
    form: str = ""  # as written (case-folded, accents kept): what typed accents are held to
    weak: bool = False  # typed without accents where an everyday word folds alike


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
    daily: bool = False  # a daily word: with a join word, the alert is a daily summary
    time: str | None = None  # HH:MM, the time of a daily summary
    language: str | None = None
    script: str | None = None  # SCRIPT LATIN: a Script value
    problem: str | None = None  # a number that is no price, text too long...
    extra_markets: list[int] = field(default_factory=list)
    # A stop that is the label of a Telegram button too (CANCEL): by SMS it stops everything,
    # on Telegram it is a producer leaving a menu, and MIC asks first.
    button_label: bool = False


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
        for locale, factors in MULTIPLIERS.items():
            terms += [(w, Term("multiplier", f, locale)) for w, f in factors.items()]
        for intent, by_locale in ROMANISED_KEYWORDS.items():
            for locale, words in by_locale.items():
                terms += [(w, Term("keyword", intent, locale)) for w in words]
        for locale, words in SCRIPT_WORDS.items():
            terms += [(w, Term("keyword", Intent.SCRIPT, locale)) for w in words]
        for script, words in SCRIPT_NAMES.items():
            terms += [(w, Term("script", script.value, None)) for w in words]
        terms += [(w, Term("above", "above", None)) for w in ABOVE_WORDS]
        terms += [(w, Term("below", "below", None)) for w in BELOW_WORDS]
        for locale, words in COMMON_WORDS.items():
            terms += [(w, Term("word", None, locale)) for w in words]
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
        terms = [(text, term._replace(form=_form(text))) for text, term in terms]
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
            if (
                len(kinds) == 1 and candidates[0].kind != "word"
            ):  # a typo that could be two different things is left alone
                found.append(Match(word.start(), word.end(), w, candidates[0]))
        return found

    def parse(self, raw: str) -> Command:
        try:
            text = normalize_text(raw, max_chars=1000)
        except InvalidInput:
            locale = _script_locale(raw[:200]) or self.default_locale
            return Command(Intent.UNKNOWN, locale, raw[:200], problem="too_long")
        folded, _ = fold_with_origins(text)
        found = self.matcher.find(text)
        found += self._typos(folded, [(m.start, m.end) for m in found])
        found = without_lone_short_names(found)
        found.sort(key=lambda m: m.start)
        command = Command(Intent.UNKNOWN, _detect_locale(text, found) or self.default_locale, text)
        # Everyday words have done their work (hiding the names inside them): drop them.
        matches = [m for m in _as_typed(found) if m.value.kind != "word"]
        times = list(_TIME.finditer(folded))
        if times:
            hour, minute = times[0].groups()
            command.time = f"{int(hour):02d}:{int(minute):02d}"
        numbers = [
            _Number(m.start(), m.end(), _to_decimal(m.group(1)), bool(m.group(2)))
            for m in _NUMBER.finditer(folded)
            # a number inside a name is part of the name ("105码", "105 mile"), and the hours
            # and minutes of a time are no price
            if not any(t.start <= m.start() < t.end for t in matches)
            and not any(t.start() <= m.start() < t.end() for t in times)
        ]
        # Surer names first; a weak one only fills what they left open ("gia cua": crab when
        # nothing else is named; "silk fine": the fine yarn).
        self._entities(command, [m for m in matches if not m.value.weak])
        self._entities(command, [m for m in matches if m.value.weak])
        self._numbers(command, folded, matches, numbers)
        command.intent = _intent(command, matches, folded)
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
            following = _following(folded, matches, n.end, command.locale)
            value, implied_currency = n.value, None
            if following and following[0].value.kind == "multiplier":
                value *= following[0].value.value
                implied_currency = MULTIPLIER_CURRENCY.get(command.locale)
                following = following[1:]
            first = following[0].value if following else None
            if first is not None and first.kind == "unit" and command.quantity is None:
                command.quantity, command.quantity_unit_id = value, first.value
                continue
            if first is not None and first.kind == "currency":
                command.amount, command.currency = value, first.value
                if len(following) > 1 and following[1].value.kind == "unit":
                    command.unit_id = following[1].value.value
                continue
            if implied_currency is not None:  # "12k": 12 000 dong
                command.amount, command.currency = value, implied_currency
                continue
            if command.amount is None:
                command.amount = value
        if command.amount is not None and command.unit_id is None and command.quantity_unit_id:
            command.unit_id = command.quantity_unit_id  # "20KG 70USD": 70 USD per kg


def _following(
    folded: str, matches: list[Match[Term]], position: int, locale: str
) -> list[Match[Term]]:
    """The terms right after a number, joined by nothing but spaces, "/" or "per": a multiplier
    ("nghìn"), then a currency and a unit."""
    chain: list[Match[Term]] = []
    for span in _group_by_span(matches):
        if span[0].start < position:
            continue
        if not _JOINERS.match(folded[position : span[0].start]):
            break
        chosen = _meaning_after_number(span, locale, first=not chain)
        if chosen is None:
            break
        chain.append(chosen)
        position = chosen.end
        if len(chain) == (3 if chain[0].value.kind == "multiplier" else 2):
            break
    return chain


def _meaning_after_number(
    span: list[Match[Term]], locale: str, *, first: bool
) -> Match[Term] | None:
    """What a word that can mean several things means after a number: a multiplier of the
    message's language right after it ("12k" is 12 000 in Vietnamese), else what it names
    (the kyat elsewhere)."""
    if first:
        for m in span:
            if m.value.kind == "multiplier" and m.value.locale == locale:
                return m
    others = [m for m in span if m.value.kind != "multiplier"]
    return others[0] if others else None


def _to_decimal(text: str) -> Decimal | None:
    cleaned = text.replace(",", "") if re.search(r",\d{3}(?!\d)", text) else text.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value < Decimal("1e15") else None


def _form(text: str) -> str:
    return normalize_text(text).casefold()


def _as_typed(found: list[Match[Term]]) -> list[Match[Term]]:
    """Hold the terms found in folded text to the accents the producer typed, where an everyday
    word folds like them: "đúng" is that word and not "dừng", "của" is not "cua"; "dung" typed
    without accents could be either, so the terms stay, marked weak. Elsewhere accents are
    forgiven ("gía" is still "giá")."""
    kept: list[Match[Term]] = []
    for span in _group_by_span(found):
        typed, terms = span[0].typed, [m.value for m in span]
        if is_unspaced(span[0].term) or not any(t.kind == "word" for t in terms):
            kept += span
            continue
        if typed != span[0].term:  # accents typed: they must be those of a term
            kept += [m for m in span if m.value.form == typed]
        else:
            kept += [
                m if m.value.kind == "word" else _replace_value(m, m.value._replace(weak=True))
                for m in span
            ]
    return kept


def _group_by_span(found: list[Match[Term]]) -> list[list[Match[Term]]]:
    spans: dict[tuple[int, int], list[Match[Term]]] = {}
    for m in found:
        spans.setdefault((m.start, m.end), []).append(m)
    return list(spans.values())


def _replace_value(m: Match[Term], value: Term) -> Match[Term]:
    return Match(m.start, m.end, m.term, value, m.typed)


def _alone(folded: str, words: list[Match[Term]]) -> bool:
    """True when the message is these words and nothing else but punctuation and spaces."""
    rest, position = [], 0
    for m in sorted(words, key=lambda m: m.start):
        rest.append(folded[position : m.start])
        position = m.end
    rest.append(folded[position:])
    return bool(_NOTHING_ELSE.fullmatch("".join(rest)))


def _intent(command: Command, matches: list[Match[Term]], folded: str) -> Intent:
    keywords = [m for m in matches if m.value.kind == "keyword"]
    named = any(
        m.value.kind in ("commodity", "variety", "market") and not m.value.weak for m in matches
    )
    stops = [m for m in keywords if m.value.value is Intent.UNSUBSCRIBE]
    if stops:
        return _stop_intent(command, stops, folded)
    by_intent: dict[Intent, list[Match[Term]]] = {}
    for m in keywords:
        by_intent.setdefault(m.value.value, []).append(m)
    command.daily = Intent.DAILY in by_intent
    for intent in _PRECEDENCE:
        found = by_intent.get(intent, [])
        if not found:
            continue
        # "bán"/"bạn" and "mua"/"mùa" fold alike: a sale or purchase needs a quantity.
        if intent in _QUANTITY_INTENTS and command.quantity is None:
            continue
        quote = all(m.value.form in QUOTE_WORDS for m in found)
        if intent is Intent.REPORT and quote and command.amount is None:
            return Intent.PRICE  # "báo giá xoài": asking for a quote
        if intent is Intent.HELP and all(m.value.form in ONLY_ALONE for m in found):
            if _alone(folded, found):
                return intent
            continue
        # "អក្សរ" is also just "letters": a script word changes nothing unless it names a script
        # or a language, or stands alone (then MIC says how to choose one).
        bare = intent is Intent.SCRIPT and command.script is None and command.language is None
        if bare and not _alone(folded, found):
            continue
        # "I will join the meeting": a join word names nothing to follow unless it stands alone
        vague = intent is Intent.SUBSCRIBE and command.commodity_id is None and not named
        if vague and not _alone(folded, found):
            continue
        # "xoài hàng ngày": a daily word with a product and no join word asks a price; alone
        # it asks how, and with a time and nothing named it moves the daily summaries.
        if intent is Intent.DAILY and (named or not (command.time or _alone(folded, found))):
            continue
        return intent
    if named or (command.commodity_id and Intent.PRICE in by_intent):
        return Intent.PRICE
    return Intent.UNKNOWN


def _stop_intent(command: Command, stops: list[Match[Term]], folded: str) -> Intent:
    """Stopping every message is done only on a plain opt-out standing alone; a stop word with
    a product ends that product's alerts; anything else is asked about first."""
    sure = not any(m.value.weak or m.value.form in ASK_BEFORE_STOPPING for m in stops)
    if command.commodity_id is not None and not all(m.value.weak for m in stops):
        return Intent.UNSUBSCRIBE
    if command.commodity_id is None and sure and _alone(folded, stops):
        command.button_label = all(m.value.form in BUTTON_LABEL_OPT_OUTS for m in stops)
        return Intent.UNSUBSCRIBE
    return Intent.MAYBE_STOP


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
        if m.value.kind == "multiplier" and m.value.form.isascii():
            continue  # "12k" says nothing of the language: "k" is the kyat elsewhere
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
