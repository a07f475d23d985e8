"""Atom feeds of the market notices sent to a country's producers, in each board language.

Only notices that went out are listed; each in the language asked for, else English, else the
language it was written in (as the bots choose), its language said by the entry's xml:lang.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.sent_notices import SentNotice, sent_notices
from app.api.deps import SessionDep, SettingsDep
from app.api.strict import reject_unknown_query
from app.api.text_input import refuse_control_characters
from app.catalogue.service import (
    check_country,
    list_commodities,
    list_countries,
    list_markets,
    pick_name,
)
from app.core.config import Locale, Settings
from app.core.i18n import N_, Translator, board_translator
from app.notices.languages import text_locale
from app.public import atom
from app.public.conditional import conditional_response
from app.public.open_data import ATTRIBUTION
from app.public.responses import OPEN_RESPONSES

ENTRIES = 50
# Atom needs an `updated` even for a feed with nothing in it yet; a fixed moment keeps the ETag
# of an empty feed stable, so pollers get their 304.
NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MEDIA_TYPE = "application/atom+xml; charset=utf-8"

FEED_TITLE = N_("MIC market notices: {country}")
FEED_SUBTITLE = N_(
    "Notices the Mekong Market Information Centre sent to producers in {country}, latest first."
)
URGENT = N_("Urgent")

router = APIRouter(
    prefix="/open/v1",
    tags=["open data"],
    responses=OPEN_RESPONSES,
    dependencies=[Depends(reject_unknown_query), Depends(refuse_control_characters)],
)


@router.get(
    "/notices/{country}.atom",
    response_class=Response,
    responses={
        200: {
            "content": {"application/atom+xml": {"schema": {"type": "string"}}},
            "description": "An Atom feed (RFC 4287) of the latest sent notices",
            "headers": {"ETag": {"description": "Send it back as If-None-Match"}},
        }
    },
)
async def notices_feed(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    country: Annotated[
        str, Path(min_length=2, max_length=2, description="ISO 3166-1 alpha-2: MM, KH, LA, VN")
    ],
    lang: Annotated[
        Locale | None,
        Query(description="The language to read the notices in; the country's own unless said"),
    ] = None,
) -> Response:
    """The last 50 notices sent to a country's producers, newest first, as an Atom feed, each
    in the language asked for (else English, else the language it was written in)."""
    code = await check_country(session, country)
    (found,) = [c for c in await list_countries(session) if c.code == code]
    locale = lang or found.default_locale
    name = pick_name(found.names, locale, found.name)
    translate = board_translator(locale)
    notices = await sent_notices(session, country=code, limit=ENTRIES)
    entries = await _entries(session, notices, locale, translate, settings)
    feed = atom.Feed(
        id=f"{_authority_url(settings)}/open/v1/notices/{code}.atom?lang={locale}",
        title=translate.gettext(FEED_TITLE).format(country=name),
        subtitle=translate.gettext(FEED_SUBTITLE).format(country=name),
        lang=locale,
        self_url=str(request.url),
        author=ATTRIBUTION,
        rights=settings.open_data_licence,
        updated=notices[0].sent_at if notices else NEVER,
        entries=entries,
    )
    return conditional_response(
        request,
        atom.render(feed),
        media_type=MEDIA_TYPE,
        last_modified=notices[0].sent_at if notices else None,
    )


def _authority_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/")


def _entry_id(settings: Settings, sent: SentNotice) -> str:
    # A tag URI (RFC 4151): the same notice keeps its id in every language's feed and in every
    # country's it went to, so a reader following several sees it once.
    host = urlsplit(settings.public_url).hostname or "localhost"
    return f"tag:{host},{sent.notice.created_at.date().isoformat()}:notice:{sent.notice.id}"


async def _entries(
    session: AsyncSession,
    notices: list[SentNotice],
    locale: str,
    translate: Translator,
    settings: Settings,
) -> list[atom.Entry]:
    if not notices:
        return []
    commodities = {c.slug: c.name for c in await list_commodities(session, locale=locale)}
    markets = {m.slug: m.name for m in await list_markets(session, locale=locale)}
    entries = []
    for sent in notices:
        notice = sent.notice
        language = text_locale(notice.texts, locale)
        text = notice.texts[language]
        categories = [atom.Category("urgent", translate.gettext(URGENT))] if notice.urgent else []
        categories += [atom.Category(s, commodities.get(s, s)) for s in notice.commodities]
        categories += [atom.Category(s, markets.get(s, s)) for s in notice.markets]
        entries.append(
            atom.Entry(
                id=_entry_id(settings, sent),
                title=atom.title_of(text),
                updated=sent.sent_at,
                content=text,
                lang=language,
                categories=categories,
            )
        )
    return entries
