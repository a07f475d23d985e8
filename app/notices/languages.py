"""Which of a notice's texts a reader gets."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.i18n import FALLBACK_LOCALE


def text_locale(texts: Mapping[str, str], wanted: str) -> str:
    """The language of the text a reader of `wanted` gets: their own, else English, else the
    first one written (a notice always has one)."""
    if wanted in texts:
        return wanted
    return FALLBACK_LOCALE if FALLBACK_LOCALE in texts else next(iter(texts))
