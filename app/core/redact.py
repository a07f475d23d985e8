"""Secrets taken out of text that leaves the process: log lines, and errors quoted back to CDEs.

The Bot API puts the bot's token in every URL path, Kannel's sendsms takes its password in the
query, and Kannel calls MIC back with `?secret=`; HTTP clients and servers log those URLs as
they are. Whatever writes such text passes it through `redact` first.
"""

from __future__ import annotations

import re

REDACTED = "***"

# Query and form parameters whose value is a credential, wherever they appear.
_SECRET_PARAMS = "|".join(
    [
        *("password", "passwd", "pass", "pwd", "secret", "token", "access_token"),
        *("api_key", "apikey", "key", "auth", "signature", "sig"),
    ]
)
# `=` may be percent-encoded: Kannel's dlr-url carries our callback secret inside a parameter.
_SECRET_PARAM = re.compile(
    rf"(?i)(?:(?<![\w-])|(?<=%3F)|(?<=%26))({_SECRET_PARAMS})(=|%3D)((?:(?!%26)[^&\s\"'#])+)"
)
# A Telegram bot token: the bot's id, a colon, 35 characters (in a URL path it follows /bot).
_BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
# user:password@host in a URL.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+):[^@/\s]+@")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
# What a one-line quote must not carry: line breaks, tabs and other control characters.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def redact(text: str) -> str:
    text = _BOT_TOKEN.sub(REDACTED, text)
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def excerpt(text: str, limit: int) -> str:
    """`text` on one line, without secrets, at most `limit` characters (… where it was cut)."""
    flat = " ".join(_CONTROL.sub(" ", redact(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
