"""Staff passwords: argon2id hashes (argon2-cffi), the rules a new password must meet, and
one-time passwords for a new or reset account.

Verifying is slow on purpose (tens of milliseconds of CPU and 64 MiB); it runs in a worker
thread so that the event loop keeps serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import enum
import secrets
from functools import lru_cache
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.errors import InvalidInput

MIN_LENGTH: Final = 10
# Hashing is costly whatever the length; a cap keeps a huge "password" from being a cheap attack.
MAX_LENGTH: Final = 256

_hasher: Final = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    # Checked against when no user has the name typed, so that an unknown name takes as long as
    # a known one and the time of the answer does not tell which names exist.
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _unknown_user_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the hash `stored`; None (no such user, or no password) takes
    the same time and is never a match."""
    return await asyncio.to_thread(_verify, stored, password[:MAX_LENGTH])


def needs_rehash(stored: str) -> bool:
    """The hash was made with other parameters than today's: replace it at the next sign-in."""
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


class PasswordRefused(InvalidInput):
    """A password refused, with `reason` saying why in a word a page can translate."""

    def __init__(self, reason: PasswordProblem, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class PasswordProblem(enum.StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    SPACES = "spaces"
    IS_NAME = "is_name"
    WRONG_CURRENT = "wrong_current"
    UNCHANGED = "unchanged"


def check_new_password(password: str, *, name: str) -> str:
    """A password a staff member may choose; PasswordRefused saying what is wrong otherwise."""
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(
            PasswordProblem.TOO_SHORT, f"a password needs at least {MIN_LENGTH} characters"
        )
    if len(password) > MAX_LENGTH:
        raise PasswordRefused(
            PasswordProblem.TOO_LONG, f"a password has at most {MAX_LENGTH} characters"
        )
    if password.strip() != password:
        raise PasswordRefused(
            PasswordProblem.SPACES, "a password may not begin or end with a space"
        )
    if password.casefold() == name.strip().casefold():
        raise PasswordRefused(PasswordProblem.IS_NAME, "a password may not be the user's name")
    return password


def one_time_password() -> str:
    """A random password handed to a person once, to be replaced at their first sign-in."""
    return secrets.token_urlsafe(12)
