"""Answers a client may keep and ask about again: ETag, Last-Modified and 304 Not Modified.

A reader on 2G and a crawler polling a feed both ask for what they already have; the ETag is a
hash of the body, so any change to what the body says (a price corrected or withdrawn, a market
renamed) changes it, and a 304 costs them a few hundred bytes instead of the file.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib

from fastapi import Request, Response

# Public data changes when a CDE publishes; a minute's reuse without asking is harmless, after
# which caches revalidate with the ETag.
CACHE_CONTROL = "public, max-age=60"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def http_date(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(dt.UTC), usegmt=True)


def _not_modified(request: Request, etag: str, last_modified: dt.datetime | None) -> bool:
    # RFC 9110 §13.2.2: If-None-Match decides when present; If-Modified-Since only without it.
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None or last_modified is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as the RFC asks
    if since.tzinfo is None:
        return False  # an HTTP date is GMT; one without a zone is not an HTTP date
    return last_modified.replace(microsecond=0) <= since


def conditional_response(
    request: Request,
    body: bytes,
    *,
    media_type: str,
    last_modified: dt.datetime | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The body with its validators, or 304 without it when the client has it already."""
    etag = etag_of(body)
    sent = {"ETag": etag, "Cache-Control": CACHE_CONTROL, **(headers or {})}
    if last_modified is not None:
        sent["Last-Modified"] = http_date(last_modified)
    if _not_modified(request, etag, last_modified):
        return Response(status_code=304, headers=sent)
    return Response(body, media_type=media_type, headers=sent)
