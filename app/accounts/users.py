"""Staff users of the console: creating one with a one-time password, resetting it, and what a
user changes of their own account (their password, the language of their pages)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.accounts.models import ConsoleSession, Role, StaffPublic, StaffUser
from app.accounts.passwords import (
    PasswordProblem,
    PasswordRefused,
    check_new_password,
    hash_password,
    one_time_password,
    verify_password,
)
from app.accounts.service import Staff, checked_scope
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.i18n import check_console_locale


@dataclass(frozen=True)
class IssuedPassword:
    """A password to hand to its user once (never stored, only its hash)."""

    name: str
    password: str
    user: StaffPublic


def _public(user: StaffUser) -> StaffPublic:
    return StaffPublic(
        name=user.name,
        role=user.role,
        countries=None if user.role is Role.ADMIN else list(user.countries),
    )


def _audit_account(
    session: AsyncSession,
    user: StaffUser,
    *,
    actor: Actor | Staff,
    action: str,
    after: dict[str, object],
) -> None:
    # Accounts belong to no country (admins' eyes only), and never show a password or its hash.
    assert user.id is not None
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="staff_user",
        entity_id=user.id,
        country=None,
        after={"name": user.name, **after},
    )


async def create_user(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    countries: list[str],
    locale: str,
    password: str | None,
    actor: Actor,
) -> IssuedPassword:
    """A new staff user who signs in with `password`, or with a generated one-time password.
    Either way they choose their own at their first sign-in."""
    name = name.strip()
    if not name:
        raise InvalidInput("a staff user needs a --name")
    if len(name) > 80:
        raise InvalidInput("a staff user's name has at most 80 characters")
    codes = await checked_scope(session, role=role, countries=countries, what="user")
    check_console_locale(locale)
    if (await session.exec(select(StaffUser.id).where(StaffUser.name == name))).first():
        raise Conflict(
            f"staff user {name!r} exists already; `mic user password {name}` gives them "
            "a new one-time password"
        )
    chosen = check_new_password(password, name=name) if password else one_time_password()
    user = StaffUser(
        name=name,
        role=role,
        countries=codes,
        locale=locale,
        password_hash=hash_password(chosen),
        password_is_temporary=True,
    )
    session.add(user)
    await session.flush()
    _audit_account(
        session,
        user,
        actor=actor,
        action="staff_user.create",
        after={"role": str(role), "countries": codes, "locale": locale},
    )
    return IssuedPassword(name=name, password=chosen, user=_public(user))


async def _end_sessions(session: AsyncSession, user_id: int, *, keep: int | None = None) -> None:
    query = delete(ConsoleSession).where(col(ConsoleSession.staff_user_id) == user_id)
    if keep is not None:
        query = query.where(col(ConsoleSession.id) != keep)
    await session.exec(query)


async def reset_password(
    session: AsyncSession, *, name: str, password: str | None, actor: Actor
) -> IssuedPassword:
    """A new one-time password for `name` (also for a user who so far had API tokens only):
    their console sessions end and any lock after failed sign-ins is lifted."""
    user = (await session.exec(select(StaffUser).where(StaffUser.name == name.strip()))).first()
    if user is None:
        raise NotFound(f"no staff user {name.strip()!r}")
    assert user.id is not None
    chosen = check_new_password(password, name=user.name) if password else one_time_password()
    user.password_hash = hash_password(chosen)
    user.password_is_temporary = True
    user.failed_sign_ins = 0
    user.locked_until = None
    session.add(user)
    await _end_sessions(session, user.id)
    await session.flush()
    _audit_account(session, user, actor=actor, action="staff_user.password_reset", after={})
    return IssuedPassword(name=user.name, password=chosen, user=_public(user))


async def change_password(
    session: AsyncSession,
    *,
    staff: Staff,
    current: str,
    new: str,
    keep_session: int | None,
) -> None:
    """A user replaces their own password, proving they know the current one. Their other
    signed-in browsers are signed out; `keep_session` (the one asking) stays."""
    user = await session.get_one(StaffUser, staff.user_id)
    if not await verify_password(user.password_hash, current):
        raise PasswordRefused(PasswordProblem.WRONG_CURRENT, "the current password is not right")
    check_new_password(new, name=user.name)
    if new == current:
        raise PasswordRefused(
            PasswordProblem.UNCHANGED, "the new password must differ from the current one"
        )
    user.password_hash = hash_password(new)
    user.password_is_temporary = False
    session.add(user)
    await _end_sessions(session, staff.user_id, keep=keep_session)
    await session.flush()
    _audit_account(session, user, actor=staff, action="staff_user.password_change", after={})


async def set_locale(session: AsyncSession, *, staff: Staff, locale: str) -> None:
    """The language of the user's own console pages."""
    check_console_locale(locale)
    user = await session.get_one(StaffUser, staff.user_id)
    if user.locale == locale:
        return
    user.locale = locale
    session.add(user)
    await session.flush()
    _audit_account(session, user, actor=staff, action="staff_user.locale", after={"locale": locale})
