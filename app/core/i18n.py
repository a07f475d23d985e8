"""Per-recipient translation: one cached catalog per locale, never a process-global locale.

Every message a producer reads is looked up through a `Translator` bound to that producer's
locale, so replies in Burmese and in Khmer rendered at the same moment cannot leak into each
other. Messages use named placeholders: `_("{commodity} at {market}").format(...)`.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, get_args

from app.core.config import Locale, get_settings
from app.core.errors import ConfigurationError, InvalidInput

LOCALES: Final[tuple[str, ...]] = get_args(Locale)
FALLBACK_LOCALE: Final = "en"
DOMAIN: Final = "messages"
# Next to the code in a checkout; MIC_LOCALES_DIR points elsewhere for installed images.
DEFAULT_LOCALES_DIR: Final = Path(__file__).resolve().parents[2] / "locales"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention extractors look for
    """Mark a string for extraction where it is defined; it is translated where it is used."""
    return message


def check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise InvalidInput(f"unknown locale {locale!r}; use one of {', '.join(LOCALES)}")
    return locale


@dataclass(frozen=True)
class Translator:
    """The messages of one locale. Cheap to pass around; holds no mutable state."""

    locale: str
    catalog: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)


def _load(directory: Path, locale: str) -> gettext.NullTranslations:
    po = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if not mo.is_file():
        raise ConfigurationError(f"message catalog {mo} is missing; run `make catalogs`")
    if po.is_file() and po.stat().st_mtime > mo.stat().st_mtime:
        raise ConfigurationError(f"message catalog {mo} is older than its .po; run `make catalogs`")
    with mo.open("rb") as handle:
        return gettext.GNUTranslations(handle)


@lru_cache(maxsize=32)
def _catalogs(directory: Path) -> dict[str, gettext.NullTranslations]:
    catalogs: dict[str, gettext.NullTranslations] = {}
    english = _load(directory, FALLBACK_LOCALE)
    for locale in LOCALES:
        catalog = english if locale == FALLBACK_LOCALE else _load(directory, locale)
        if catalog is not english:
            catalog.add_fallback(english)  # a string missing in one locale shows in English
        catalogs[locale] = catalog
    return catalogs


def translator(locale: str, *, directory: Path | None = None) -> Translator:
    """The translator for `locale`; unknown locales get English rather than an error."""
    directory = directory or get_settings().locales_dir or DEFAULT_LOCALES_DIR
    catalogs = _catalogs(directory.resolve())
    chosen = locale if locale in catalogs else FALLBACK_LOCALE
    return Translator(chosen, catalogs[chosen])
