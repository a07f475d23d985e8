"""API token generation and hashing."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "mic_"  # noqa: S105 - a public marker, not a secret


def new_token() -> str:
    """A random bearer token; the `mic_` prefix lets secret scanners recognise leaked ones."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str, *, key: str) -> str:
    """Keyed hash of a token: a stolen database alone cannot even confirm a guessed token."""
    return hmac.new(key.encode(), token.encode(), hashlib.sha256).hexdigest()
