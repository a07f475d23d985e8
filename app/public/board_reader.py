"""Who reads a board page and how: their language, digits and Burmese script, from the page's
address, else the language they chose last (a cookie), else their browser's.

Native digits and Zawgyi are what the bots give producers who ask for them (app.text.formatting
`present`), applied here to the text of a rendered page and never to its markup: an address, a
form value or a chart's coordinates keep their ASCII digits, so links and forms work the same
for every reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Final, Literal
from urllib.parse import urlencode

from fastapi import Query, Request, Response

from app.core.config import Locale
from app.core.i18n import BOARD_LOCALES, Translator, board_translator
from app.public.languages import reader_locale
from app.text.formatting import Reader, Script, present
from app.web.templates import https

LANGUAGE_COOKIE: Final = "mic_board_lang"
# A reader who chose a language once keeps it on their next visit, a season later.
LANGUAGE_COOKIE_AGE: Final = 365 * 24 * 3600
# Scripts with digits of their own (app.text.digits); the option is offered only to them.
NATIVE_DIGIT_LOCALES: Final = ("my", "km", "lo")
ZAWGYI_LOCALE: Final = "my"

# A tag or an entity; what lies between them is text.
_MARKUP = re.compile(r"(<[^>]*>|&#?\w+;)")
_MYANMAR = re.compile("[\u1000-\u109f]")


@dataclass(frozen=True)
class BoardReader:
    locale: str
    native_digits: bool = False
    zawgyi: bool = False
    # The language came from the address: it is remembered for the next visit.
    chose_language: bool = False

    @property
    def offers_digits(self) -> bool:
        return self.locale in NATIVE_DIGIT_LOCALES

    @property
    def offers_zawgyi(self) -> bool:
        return self.locale == ZAWGYI_LOCALE

    @property
    def translator(self) -> Translator:
        return board_translator(self.locale)

    def options(self) -> dict[str, str]:
        """The query that keeps this reading on another page: lang, and digits and zawgyi when
        asked for (and the language has them)."""
        wanted: dict[str, str | bool] = {
            "lang": self.locale,
            "digits": "native" if self.native_digits and self.offers_digits else False,
            "zawgyi": "1" if self.zawgyi and self.offers_zawgyi else False,
        }
        return {name: str(value) for name, value in wanted.items() if value is not False}

    def link(self, path: str, **more: str | int | bool | None) -> str:
        """`path` with this reading's query, and `more` after it (None and False leave one
        out)."""
        query = self.options() | {k: str(v) for k, v in more.items() if v not in (None, False)}
        return f"{path}?{urlencode(query)}"

    def present(self, html: str) -> str:
        """The page's text in the reader's digits and script; its markup untouched."""
        if not self.native_digits and not self.zawgyi:
            return html
        reader = Reader(
            locale=self.locale,
            script=Script.ZAWGYI if self.zawgyi else Script.UNICODE,
            native_digits=self.native_digits,
        )
        parts = _MARKUP.split(html)
        for i in range(0, len(parts), 2):  # the even parts are text, the odd ones markup
            text = parts[i]
            if (self.zawgyi and _MYANMAR.search(text)) or (
                self.native_digits and any(c.isdigit() for c in text)
            ):
                parts[i] = present(text, reader)
        return "".join(parts)

    def remember(self, request: Request, response: Response) -> None:
        """Keep the language chosen in the address for the next visit to the board."""
        if self.chose_language:
            response.set_cookie(
                LANGUAGE_COOKIE,
                self.locale,
                max_age=LANGUAGE_COOKIE_AGE,
                path="/",
                httponly=True,
                samesite="lax",
                secure=https(request),
            )


def remembered_locale(request: Request) -> str | None:
    """The language the reader chose last, when the cookie names a board language."""
    value = request.cookies.get(LANGUAGE_COOKIE)
    return value if value in BOARD_LOCALES else None


def chosen_locale(request: Request, asked: str | None) -> str:
    """`?lang=`, else the remembered choice, else the browser's, else English."""
    return reader_locale(
        asked or remembered_locale(request), request.headers.get("accept-language")
    )


def board_reader(
    request: Request,
    lang: Annotated[Locale | None, Query(description="the page's language")] = None,
    digits: Annotated[
        Literal["latin", "native"], Query(description="native: Burmese, Khmer or Lao digits")
    ] = "latin",
    zawgyi: Annotated[
        bool, Query(description="Burmese text in Zawgyi, for phones drawing it")
    ] = False,
) -> BoardReader:
    locale = chosen_locale(request, lang)
    return BoardReader(
        locale=locale,
        native_digits=digits == "native" and locale in NATIVE_DIGIT_LOCALES,
        zawgyi=zawgyi and locale == ZAWGYI_LOCALE,
        chose_language=lang is not None,
    )
