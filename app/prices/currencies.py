"""Currency codes from the words CDEs and reporters write: "yuan", "RMB", "kyat", "$"...

One alias table serves the bots and the API: CURRENCY_WORDS, which the command parser
(app.commands) reads too. Anything else must be an ISO 4217 code; a near miss is answered
with the code it most likely meant.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Annotated, Final

from babel.numbers import list_currencies
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from app.core.errors import InvalidInput

MAX_CHARS: Final = 20  # "nghìn đồng" fits; anything longer is no currency

# Currency words people write after a number.
CURRENCY_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "MMK": ("mmk", "kyat", "kyats", "ks", "k", "ကျပ်", "缅币"),
    "CNY": ("cny", "yuan", "rmb", "元", "人民币", "块", "ယွမ်"),
    "KHR": ("khr", "riel", "riels", "៛", "រៀល"),
    "LAK": ("lak", "kip", "₭", "ກີບ"),
    "VND": ("vnd", "dong", "đồng", "đ", "₫"),
    "USD": ("usd", "$", "dollar", "dollars", "us$", "ដុល្លារ", "ໂດລາ", "ဒေါ်လာ", "美元"),
    "THB": ("thb", "baht", "฿", "ບາດ", "ဘတ်"),
}


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@lru_cache(maxsize=1)
def _words() -> dict[str, str]:
    words = {code.casefold(): code for code in known_currencies()}
    for code, aliases in CURRENCY_WORDS.items():
        words.update((alias.casefold(), code) for alias in aliases)
    return words


def currency_code(text: str) -> str:
    """The ISO code for `text`: a code in any case, or a word from the alias table."""
    word = " ".join(text.split()).casefold()
    code = _words().get(word)
    if code is not None:
        return code
    # The words people use first: "yaun" is a misspelt yuan, not the Yugoslav dinar (YUN).
    aliases = {a.casefold(): code for code, words in CURRENCY_WORDS.items() for a in words}
    close = difflib.get_close_matches(word, aliases, n=1, cutoff=0.6) or difflib.get_close_matches(
        word, _words(), n=1, cutoff=0.6
    )
    hint = f"did you mean {_words()[close[0]]}?" if close else "use an ISO code such as MMK, CNY"
    raise InvalidInput(f"unknown currency {text!r}; {hint}")


def _validate(value: object) -> object:
    if not isinstance(value, str):
        return value  # the str type reports it
    try:
        return currency_code(value)
    except InvalidInput as exc:
        # No "Value error, " prefix: the message is the whole answer.
        raise PydanticCustomError("currency", str(exc.detail)) from exc


CurrencyCode = Annotated[str, BeforeValidator(_validate)]
