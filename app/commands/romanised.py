"""Words in Latin letters: Burmese, Khmer and Lao as people text them without their script
("tlai svay" is Khmer for "mango price"), and the words of the SCRIPT command.

Kept apart from app.commands.keywords so that the Latin-script vocabulary is data the parser
adds to its index, not a change to how keywords are weighed. Catalogue names in Latin letters
are aliases in the database (app.catalogue.latin); these are the command words around them.
Only words that cannot mean anything else in an English message are listed: an opt-out, which
stops every message, stays with the unambiguous STOP and the carriers' words.
"""

from __future__ import annotations

from typing import Any, Final

from app.commands.keywords import Intent
from app.core.i18n import ROMANISED
from app.text.formatting import Script

_MY, _KM, _LO = ROMANISED["my"], ROMANISED["km"], ROMANISED["lo"]

# intent -> romanised locale -> words, matched like every keyword (case-folded, whole words).
ROMANISED_KEYWORDS: Final[dict[Intent, dict[str, tuple[str, ...]]]] = {
    Intent.PRICE: {
        _MY: ("zay", "zay nhone", "zay hnone", "bel lauk"),
        _KM: ("tlai", "thlai", "ponman"),
        _LO: ("laka", "la kha", "thao dai"),
    },
    Intent.SUBSCRIBE: {
        _MY: ("thadi pay",),
        _KM: ("chol ruom", "domnoeng"),
        _LO: ("samak", "jaeng tuean"),
    },
    Intent.HELP: {
        _MY: ("a ku a nyi",),
        _KM: ("chumnuoy",),
        _LO: ("suay leua",),
    },
}

# The SCRIPT command: "SCRIPT LATIN" for Latin letters; "SCRIPT KHMER" (any language name, in any
# language: app.commands.keywords.LANGUAGE_NAMES) or "SCRIPT NATIVE" for the language's own
# script; "SCRIPT ZAWGYI" for Burmese phones that draw Zawgyi.
SCRIPT_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("script", "letters", "alphabet"),
    "my": ("စာလုံး", "အက္ခရာ"),
    "km": ("អក្សរ",),
    "lo": ("ຕົວອັກສອນ", "ອັກສອນ"),
    "vi": ("chữ viết", "kiểu chữ"),
    "zh": ("文字", "字体"),
}
SCRIPT_NAMES: Final[dict[Script, tuple[str, ...]]] = {
    Script.LATIN: ("latin", "roman", "abc", "ឡាតាំង", "ລາແຕັງ", "လက်တင်", "拉丁"),
    Script.UNICODE: ("native", "unicode", "own"),
    Script.ZAWGYI: ("zawgyi", "ဇော်ဂျီ"),
}

# A romanised name this short is a common word elsewhere ("mai" is tomorrow and "sot" fever in
# Vietnamese typed without accents, "Nga" a name, "an" an English article): it names a product only
# in a message that also has a romanised command word ("tlai sot", "laka pa").
SHORT_NAME: Final = 3
_ROMANISED_LOCALES: Final = frozenset(ROMANISED.values())


def without_lone_short_names(matches: list[Any]) -> list[Any]:
    """`matches` (the parser's Match[Term]) without romanised names of SHORT_NAME letters or
    fewer, unless a romanised command word says the message is written that way."""
    romanised = [m for m in matches if m.value.locale in _ROMANISED_LOCALES]
    if any(m.value.kind == "keyword" for m in romanised):
        return matches
    return [
        m
        for m in matches
        if not (
            m.value.locale in _ROMANISED_LOCALES
            and m.value.kind != "keyword"
            and len(m.term.replace(" ", "")) <= SHORT_NAME
        )
    ]
