"""Signing in to the console with a name and password, and the sessions that follow.

Guessing is slowed per user: every `FAILURES_BEFORE_LOCK` failures in a row lock the account,
for `FIRST_LOCK` and twice as long each time after (at most `LONGEST_LOCK`); a success or a
password reset starts over. The answer to a refused sign-in is the same whatever the reason (no
such user, wrong password, locked), and an unknown name costs the same hashing as a known one,
so neither the answer nor its time tells which names exist. Every attempt is audited.

A session is a random token in the browser's cookie; only its keyed hash is stored, as for API
tokens. It ends after `idle` without a request, or `lifetime` after sign-in, whichever is first.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.accounts.models import ConsoleSession, StaffUser
from app.accounts.passwords import hash_password, needs_rehash, verify_password
from app.accounts.service import Staff, staff_of
from app.core import clock
from app.core.errors import Unauthorized
from app.core.security import hash_token

FAILURES_BEFORE_LOCK: Final = 5
FIRST_LOCK: Final = dt.timedelta(minutes=15)
LONGEST_LOCK: Final = dt.timedelta(hours=24)
# Recording every request would turn each page view into a write; idle timeouts are counted in
# minutes, so a minute's precision is enough.
_LAST_SEEN_PRECISION: Final = dt.timedelta(minutes=1)
_NAME_LENGTH: Final = 80


class SessionExpired(Unauthorized):
    """The session existed but timed out: the user is asked to sign in again."""

    code = "session_expired"


@dataclass(frozen=True)
class SignedIn:
    """A new session: its token goes into the cookie and is never shown again."""

    token: str
    staff: Staff


@dataclass(frozen=True)
class Resumed:
    """A request's valid session: who it is, and what its pages need."""

    staff: Staff
    session_id: int
    csrf_token: str
    locale: str
    password_is_temporary: bool
    record_seen: bool  # its last recorded request is older than the precision kept


def lock_for(failures: int) -> dt.timedelta | None:
    """How long an account is locked after `failures` failed sign-ins in a row."""
    if failures < FAILURES_BEFORE_LOCK or failures % FAILURES_BEFORE_LOCK:
        return None
    doublings = min(failures // FAILURES_BEFORE_LOCK - 1, 16)
    lock: dt.timedelta = FIRST_LOCK * (1 << doublings)
    return min(lock, LONGEST_LOCK)


def _attempt(
    session: AsyncSession, *, name: str, user: StaffUser | None, action: str, **after: object
) -> None:
    audit.record(
        session,
        actor=Actor.staff(name),
        action=action,
        entity="staff_user",
        # An unknown name has no row: 0 stands for "nobody" (ids start at 1).
        entity_id=(user.id or 0) if user is not None else 0,
        country=None,
        after={"name": name, **after},
    )


async def sign_in(session: AsyncSession, *, name: str, password: str, key: str) -> SignedIn | None:
    """A new session for `name`, or None when refused (the caller says only that the name or
    password is wrong or the account locked). Returns rather than raises on refusal, so that
    the failure counted and audited here is committed."""
    name = name.strip()[:_NAME_LENGTH]
    now = clock.utcnow()
    user = (
        (await session.exec(select(StaffUser).where(StaffUser.name == name))).first()
        if name
        else None
    )
    matches = await verify_password(user.password_hash if user else None, password)
    if user is None or user.password_hash is None:
        _attempt(session, name=name, user=user, action="console.sign_in_failed")
        return None
    if user.locked_until is not None and user.locked_until > now:
        _attempt(
            session,
            name=name,
            user=user,
            action="console.sign_in_locked",
            locked_until=user.locked_until.isoformat(),
        )
        return None
    if not matches:
        user.failed_sign_ins += 1
        lock = lock_for(user.failed_sign_ins)
        _attempt(
            session,
            name=name,
            user=user,
            action="console.sign_in_failed",
            failed_sign_ins=user.failed_sign_ins,
        )
        if lock is not None:
            user.locked_until = now + lock
            _attempt(
                session,
                name=name,
                user=user,
                action="console.lock",
                failed_sign_ins=user.failed_sign_ins,
                locked_until=user.locked_until.isoformat(),
            )
        session.add(user)
        await session.flush()
        return None
    user.failed_sign_ins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.add(user)
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(
        ConsoleSession(
            staff_user_id=user.id,
            token_hash=hash_token(token, key=key),
            csrf_secret=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
    )
    await session.flush()
    _attempt(session, name=name, user=user, action="console.sign_in")
    return SignedIn(token=token, staff=staff_of(user))


async def resume(
    session: AsyncSession, *, token: str, key: str, idle: dt.timedelta, lifetime: dt.timedelta
) -> Resumed:
    """The session of a request's cookie. Reads only (a read request checks it in a read
    session); record_seen() writes the request down when `record_seen` asks for it."""
    digest = hash_token(token, key=key)
    row = (
        await session.exec(
            select(ConsoleSession, StaffUser)
            .join(StaffUser, col(StaffUser.id) == col(ConsoleSession.staff_user_id))
            .where(ConsoleSession.token_hash == digest)
        )
    ).first()
    if row is None:
        raise Unauthorized("not signed in")
    console_session, user = row
    if not hmac.compare_digest(console_session.token_hash, digest):
        raise Unauthorized("not signed in")
    now = clock.utcnow()
    if now - console_session.last_seen_at > idle or now - console_session.created_at > lifetime:
        raise SessionExpired("the session has expired; sign in again")
    assert console_session.id is not None
    return Resumed(
        staff=staff_of(user),
        session_id=console_session.id,
        csrf_token=console_session.csrf_secret,
        locale=user.locale,
        password_is_temporary=user.password_is_temporary,
        record_seen=now - console_session.last_seen_at > _LAST_SEEN_PRECISION,
    )


async def record_seen(session: AsyncSession, session_id: int) -> None:
    """Write down that a session was used now (which keeps it from idling out)."""
    found = await session.get(ConsoleSession, session_id)
    if found is not None:  # signed out meanwhile, in another tab
        found.last_seen_at = clock.utcnow()
        session.add(found)
        await session.flush()


async def sign_out(session: AsyncSession, *, token: str, key: str) -> None:
    """End the session of `token`; signing out twice, or of an expired session, is harmless."""
    digest = hash_token(token, key=key)
    row = (
        await session.exec(
            select(ConsoleSession, StaffUser)
            .join(StaffUser, col(StaffUser.id) == col(ConsoleSession.staff_user_id))
            .where(ConsoleSession.token_hash == digest)
        )
    ).first()
    if row is None:
        return
    console_session, user = row
    await session.exec(delete(ConsoleSession).where(col(ConsoleSession.id) == console_session.id))
    _attempt(session, name=user.name, user=user, action="console.sign_out")


async def end_expired_sessions(
    session: AsyncSession, *, idle: dt.timedelta, lifetime: dt.timedelta
) -> int:
    """Delete the sessions that can no longer be used (idle or too old); returns how many.
    They refuse every request already: this only keeps the table from growing."""
    now = clock.utcnow()
    done = await session.exec(
        delete(ConsoleSession).where(
            (col(ConsoleSession.last_seen_at) < now - idle)
            | (col(ConsoleSession.created_at) < now - lifetime)
        )
    )
    return done.rowcount
