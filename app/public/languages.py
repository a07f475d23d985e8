"""The language a public page speaks to its reader: the one asked for, else the browser's."""

from __future__ import annotations

from app.core.i18n import BOARD_LOCALES, FALLBACK_LOCALE

# Chinese readers' browsers send zh-CN, zh-Hans, zh-TW...: all of them read the zh catalog.
_LANGUAGE_TAG_SEPARATORS = ("-", "_")


def _language(tag: str) -> str:
    for separator in _LANGUAGE_TAG_SEPARATORS:
        tag = tag.split(separator, 1)[0]
    return tag.strip().lower()


def browser_locale(accept_language: str | None) -> str | None:
    """The board language the reader's browser prefers most (RFC 9110 Accept-Language, with
    q-values), or None when it names none of them."""
    if not accept_language:
        return None
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(accept_language.split(",")):
        tag, _, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        language = _language(tag)
        if language in BOARD_LOCALES and weight > 0:
            # The highest weight wins, and among equal weights the one named first.
            candidate = (weight, -position, language)
            if best is None or candidate > best:
                best = candidate
    return best[2] if best else None


def reader_locale(asked: str | None, accept_language: str | None) -> str:
    """`?lang=` when it is a board language, else the browser's preference, else English."""
    if asked is not None and asked in BOARD_LOCALES:
        return asked
    return browser_locale(accept_language) or FALLBACK_LOCALE
