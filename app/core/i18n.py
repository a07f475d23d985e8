"""Per-recipient translation: one cached catalog per locale, never a process-global locale.

Every message a producer reads is looked up through a `Translator` bound to that producer's
locale, so replies in Burmese and in Khmer rendered at the same moment cannot leak into each
other. Messages use named placeholders: `_("{commodity} at {market}").format(...)`.
"""

from __future__ import annotations

import gettext
import io
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal, get_args

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.core.config import Locale, get_settings
from app.core.errors import ConfigurationError, InvalidInput

LOCALES: Final[tuple[str, ...]] = get_args(Locale)
# Burmese, Khmer and Lao as people text them in plain ASCII letters ("tlai svay"), for phones that
# cannot draw the script: a producer keeps their language and chooses the Latin script, and
# reads these catalogs. The ids are gettext's spelling of BCP 47's km-Latn, which is also how
# Babel parses them; Babel has no locale data of its own for them (app.text.formatting).
ROMANISED: Final[dict[str, str]] = {"my": "my_Latn", "km": "km_Latn", "lo": "lo_Latn"}
MESSAGE_LOCALES: Final[tuple[str, ...]] = LOCALES + tuple(ROMANISED.values())
FALLBACK_LOCALE: Final = "en"
# Each language named in itself, for a choice of language: whoever cannot read the page's
# language still finds their own.
ENDONYMS: Final[dict[str, str]] = {
    "en": "English",
    "my": "မြန်မာ",
    "km": "ខ្មែរ",
    "lo": "ລາວ",
    "vi": "Tiếng Việt",
    "zh": "中文",
}
DOMAIN: Final = "messages"
# The web console speaks to staff, in a catalog of its own (console.po) and fewer languages.
CONSOLE_DOMAIN: Final = "console"
CONSOLE_LOCALES: Final[tuple[str, ...]] = ("en", "my", "km", "lo", "vi")
# The public pages, share cards and feeds speak to anyone, in the six languages, in a catalog of
# their own (board.po): what they say is not what a bot texts a registered producer.
BOARD_DOMAIN: Final = "board"
BOARD_LOCALES: Final[tuple[str, ...]] = LOCALES
# A wheel carries the catalogs inside the package (app/locales, see setup.py); a checkout keeps
# them at the top of the repository. MIC_LOCALES_DIR points anywhere else.
_PACKAGED_LOCALES: Final = Path(__file__).resolve().parents[1] / "locales"
_CHECKOUT_LOCALES: Final = Path(__file__).resolve().parents[2] / "locales"
DEFAULT_LOCALES_DIR: Final = _PACKAGED_LOCALES if _PACKAGED_LOCALES.is_dir() else _CHECKOUT_LOCALES

log = logging.getLogger(__name__)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention extractors look for
    """Mark a string for extraction where it is defined; it is translated where it is used."""
    return message


def romanised(locale: str) -> str:
    """The catalog a Latin-script reader of `locale` reads; InvalidInput where there is none
    (English and Vietnamese are Latin already, Chinese has no romanised catalog)."""
    try:
        return ROMANISED[locale]
    except KeyError:
        raise InvalidInput(
            f"there is no Latin-script catalog for {locale!r}; "
            f"the Latin script is for {', '.join(ROMANISED)}"
        ) from None


def base_language(locale: str) -> str:
    """The language of a message locale: `km` for both `km` and `km_Latn`."""
    return locale.split("_", 1)[0]


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


CatalogOrigin = Literal[
    "compiled",
    "compiled at start from messages.po",
    "compiled at start from console.po",
    "compiled at start from board.po",
]
_COMPILED_AT_START: Final[dict[str, CatalogOrigin]] = {
    DOMAIN: "compiled at start from messages.po",
    CONSOLE_DOMAIN: "compiled at start from console.po",
    BOARD_DOMAIN: "compiled at start from board.po",
}


@dataclass(frozen=True)
class LoadedCatalogs:
    """Every locale's catalog, and where each came from (what /readyz reports)."""

    catalogs: dict[str, gettext.NullTranslations]
    origins: dict[str, CatalogOrigin] = field(default_factory=dict)


def compile_po(po: Path) -> bytes:
    """The .mo bytes of a .po file, compiled the way `pybabel compile` does."""
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def _load(
    directory: Path, locale: str, domain: str = DOMAIN
) -> tuple[gettext.GNUTranslations, CatalogOrigin]:
    po = directory / locale / "LC_MESSAGES" / f"{domain}.po"
    mo = po.with_suffix(".mo")
    # In an installed package both files come from one build and the installer sets their times
    # in whatever order it writes them; only a checkout's .po can be edited after compiling.
    packaged = directory == _PACKAGED_LOCALES
    mo_fresh = mo.is_file() and (
        packaged or not po.is_file() or po.stat().st_mtime <= mo.stat().st_mtime
    )
    if mo_fresh:
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle), "compiled"
    if not po.is_file():
        raise ConfigurationError(
            f"message catalog {mo} is missing and there is no {po.name} to compile it from; "
            "reinstall MIC or run `make catalogs` in a checkout"
        )
    # An installed package may be read-only and a checkout may simply not have run `make
    # catalogs`: compiling in memory serves the producer either way, instead of starting healthy
    # and failing on the first message.
    reason = "missing" if not mo.is_file() else "older than its .po"
    log.warning("message catalog %s is %s; compiled it from %s in memory", mo, reason, po.name)
    try:
        compiled = compile_po(po)
    except Exception as exc:
        raise ConfigurationError(f"message catalog {po} cannot be compiled: {exc}") from exc
    origins: dict[str, CatalogOrigin] = {
        CONSOLE_DOMAIN: "compiled at start from console.po",
        BOARD_DOMAIN: "compiled at start from board.po",
    }
    origin = origins.get(domain, "compiled at start from messages.po")
    return gettext.GNUTranslations(io.BytesIO(compiled)), origin


def _load_domain(directory: Path, domain: str, locales: tuple[str, ...]) -> LoadedCatalogs:
    """A domain's catalogs in `locales`, each falling back to English for a missing string."""
    english, english_origin = _load(directory, FALLBACK_LOCALE, domain)
    loaded = LoadedCatalogs({FALLBACK_LOCALE: english}, {FALLBACK_LOCALE: english_origin})
    for locale in locales:
        if locale == FALLBACK_LOCALE:
            continue
        catalog, origin = _load(directory, locale, domain)
        catalog.add_fallback(english)  # a string missing in one locale shows in English
        loaded.catalogs[locale] = catalog
        loaded.origins[locale] = origin
    return loaded


@lru_cache(maxsize=32)
def load_catalogs(directory: Path) -> LoadedCatalogs:
    return _load_domain(directory, DOMAIN, MESSAGE_LOCALES)


@lru_cache(maxsize=32)
def load_console_catalogs(directory: Path) -> LoadedCatalogs:
    return _load_domain(directory, CONSOLE_DOMAIN, CONSOLE_LOCALES)


@lru_cache(maxsize=32)
def load_board_catalogs(directory: Path) -> LoadedCatalogs:
    return _load_domain(directory, BOARD_DOMAIN, BOARD_LOCALES)


def catalogs_dir(directory: Path | None = None) -> Path:
    return _resolved(directory or get_settings().locales_dir or DEFAULT_LOCALES_DIR)


@lru_cache(maxsize=16)
def _resolved(directory: Path) -> Path:
    # Resolving asks the file system about every part of the path, and every message a
    # producer is sent picks its translator through here.
    return directory.resolve()


def require_catalogs(directory: Path | None = None) -> LoadedCatalogs:
    """Load every locale's catalog now, so a process that cannot speak a language never starts
    (the console's and the public board's catalogs too)."""
    load_console_catalogs(catalogs_dir(directory))
    load_board_catalogs(catalogs_dir(directory))
    return load_catalogs(catalogs_dir(directory))


def check_message_locale(locale: str) -> str:
    """A locale that has a catalog: a language, or a romanised one (names in Latin letters)."""
    if locale not in MESSAGE_LOCALES:
        raise InvalidInput(f"unknown locale {locale!r}; use one of {', '.join(MESSAGE_LOCALES)}")
    return locale


def translator(locale: str, *, directory: Path | None = None) -> Translator:
    """The translator for `locale`; unknown locales get English rather than an error."""
    catalogs = load_catalogs(catalogs_dir(directory)).catalogs
    chosen = locale if locale in catalogs else FALLBACK_LOCALE
    return Translator(chosen, catalogs[chosen])


def check_console_locale(locale: str) -> str:
    if locale not in CONSOLE_LOCALES:
        raise InvalidInput(
            f"the console speaks {', '.join(CONSOLE_LOCALES)}; there are no pages in {locale!r}"
        )
    return locale


def console_translator(locale: str, *, directory: Path | None = None) -> Translator:
    """The console's translator for a staff member's `locale` (English for any other)."""
    catalogs = load_console_catalogs(catalogs_dir(directory)).catalogs
    chosen = locale if locale in catalogs else FALLBACK_LOCALE
    return Translator(chosen, catalogs[chosen])


def board_translator(locale: str, *, directory: Path | None = None) -> Translator:
    """The public pages' translator for a reader's `locale` (English for any other)."""
    catalogs = load_board_catalogs(catalogs_dir(directory)).catalogs
    chosen = locale if locale in catalogs else FALLBACK_LOCALE
    return Translator(chosen, catalogs[chosen])
