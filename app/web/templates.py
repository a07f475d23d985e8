"""Rendering a page: one Jinja2 environment for the process (autoescaping, templates from
app/web/templates), and per request the reader's translations, formats and CSRF field.

The translations are passed into each render, never installed on the environment: two pages
rendered at once in Burmese and in Khmer cannot leak into each other. Templates use
`{% trans %}` and `_()` in Jinja's "newstyle" (`_("%(n)s prices", n=3)`, escaped as any value).
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from app.accounts.service import Staff
from app.core.i18n import Translator, console_translator
from app.text.formatting import Formatter
from app.web.page import ANONYMOUS_CSRF_COOKIE, CSRF_FIELD, csrf_token, locale_of, reader_of

COOKIE_PATH: Final = "/console"

environment: Final = Environment(
    loader=PackageLoader("app.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# Set by the i18n extension; True makes {% trans %} pass its variables to gettext (below).
environment.newstyle_gettext = True  # type: ignore[attr-defined]


def _gettext(translator: Translator) -> Any:
    @pass_context
    def gettext(context: Context, message: str, **variables: Any) -> str:
        text = translator.gettext(message)
        if context.eval_ctx.autoescape:
            # Our own catalogs' text is markup (as in Jinja's own newstyle gettext); the
            # variables formatted into it are escaped by Markup's %.
            text = Markup(text)  # noqa: S704
        return text % variables if variables else text

    return gettext


def _ngettext(translator: Translator) -> Any:
    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        text = translator.ngettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            # Our own catalogs' text is markup (as in Jinja's own newstyle gettext); the
            # variables formatted into it are escaped by Markup's %.
            text = Markup(text)  # noqa: S704
        return text % variables

    return ngettext


def https(request: Request) -> bool:
    """The browser reached MIC over https (itself, or through a proxy its public URL names)."""
    settings = request.app.state.settings
    return request.url.scheme == "https" or bool(settings.https)


def render_html(name: str, translator: Translator, **context: Any) -> str:
    """The template `name` in `translator`'s language, with its number and date formats: the
    console's pages and the public board's (each with its own catalogs) render through it."""
    return environment.get_template(name).render(
        lang=translator.locale,
        gettext=_gettext(translator),
        ngettext=_ngettext(translator),
        fmt=Formatter(translator.locale),
        **context,
    )


def render(
    request: Request,
    name: str,
    *,
    staff: Staff | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The template `name` as a response, in the language of the signed-in reader (English
    before sign-in)."""
    locale = locale_of(request)
    translator = console_translator(locale)
    reader = reader_of(request)
    token = csrf_token(request)

    def csrf_input() -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)

    html = render_html(
        name,
        translator,
        request=request,
        staff=staff or (reader.staff if reader is not None else None),
        csrf_input=csrf_input,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    new_token = getattr(request.state, "new_anonymous_csrf", None)
    if new_token is not None:
        set_cookie(request, response, ANONYMOUS_CSRF_COOKIE, str(new_token))
    return response


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """A console cookie: for the console's paths only, out of reach of scripts, not sent along
    with another site's requests, and over https only when MIC is served so."""
    response.set_cookie(
        name,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=https(request),
    )
