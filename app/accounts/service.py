"""Issuing, listing, revoking and checking API tokens."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.accounts.models import ApiToken, Role, StaffUser, TokenPublic
from app.catalogue.models import Country
from app.core import clock
from app.core.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from app.core.security import hash_token, new_token

# Recording every use would turn each read into a write; a minute's precision is enough.
_LAST_USED_PRECISION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Staff:
    """Who is calling: resolved from a bearer token for one request."""

    user_id: int
    name: str
    role: Role
    countries: frozenset[str] | None  # None: every country

    @property
    def actor(self) -> Actor:
        """This caller as the audit names them."""
        return Actor.staff(self.name)

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(f"the {self.role} role cannot do this")

    def can_see(self, country: str) -> bool:
        return self.countries is None or country in self.countries

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMIN, Role.CDE)

    def require_writer(self) -> None:
        if not self.can_write:
            raise Forbidden("viewers can read but not change anything")

    def check_country(self, country: str, what: str = "this") -> None:
        """Out-of-scope data is refused with 403, everywhere (never silently hidden as 404)."""
        if not self.can_see(country):
            allowed = ", ".join(sorted(self.countries or ()))
            raise Forbidden(f"{what} is in {country}; your token covers {allowed}")

    def visible_countries(self, requested: str | None = None) -> frozenset[str] | None:
        """Countries a list may show: the requested one if allowed, else the whole scope."""
        if requested is not None:
            code = requested.strip().upper()
            self.check_country(code, f"country {code}")
            return frozenset({code})
        return self.countries

    def sees_personal_data(self, country: str) -> bool:
        """Phone numbers and buyer contacts: admins, and CDEs of that country."""
        return self.role is Role.ADMIN or (self.role is Role.CDE and self.can_see(country))


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never stored
    record: TokenPublic


async def checked_scope(
    session: AsyncSession, *, role: Role, countries: list[str], what: str
) -> list[str]:
    """The countries a staff member of `role` may be given, normalised: none for an admin (who
    sees all), at least one known country for anyone else."""
    codes = sorted({c.strip().upper() for c in countries})
    if role is Role.ADMIN and codes:
        raise InvalidInput("an admin sees every country; leave out --country")
    if role is not Role.ADMIN and not codes:
        raise InvalidInput(f"a {role} {what} needs at least one --country (MM, KH, LA or VN)")
    known = set((await session.exec(select(Country.code))).all())
    unknown = [c for c in codes if c not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none (run mic seed demo)"
        raise InvalidInput(f"unknown country {', '.join(unknown)}; known: {listed}")
    return codes


def staff_of(user: StaffUser) -> Staff:
    """The staff member a signed-in user acts as, whether by API token or console session."""
    assert user.id is not None
    return Staff(
        user_id=user.id,
        name=user.name,
        role=user.role,
        countries=None if user.role is Role.ADMIN else frozenset(user.countries),
    )


def _public(token: ApiToken, user: StaffUser) -> TokenPublic:
    assert token.id is not None
    return TokenPublic(
        id=token.id,
        name=user.name,
        role=user.role,
        countries=list(user.countries),
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


async def create_token(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    countries: list[str],
    key: str,
    actor: Actor | Staff,
) -> IssuedToken:
    """Issue a token for the staff user `name`, creating the user on first use. `actor` is who
    issued it (an admin, or the user running `mic token create`)."""
    name = name.strip()
    if not name:
        raise InvalidInput("a token needs a --name saying whose it is")
    codes = await checked_scope(session, role=role, countries=countries, what="token")
    user = (await session.exec(select(StaffUser).where(StaffUser.name == name))).first()
    if user is None:
        user = StaffUser(name=name, role=role, countries=codes)
        session.add(user)
    elif user.role != role or sorted(user.countries) != codes:
        raise InvalidInput(
            f"staff user {name!r} already exists as {user.role} for "
            f"{', '.join(user.countries) or 'all countries'}; use another name"
        )
    await session.flush()
    assert user.id is not None
    secret = new_token()
    token = ApiToken(
        staff_user_id=user.id, token_hash=hash_token(secret, key=key), prefix=secret[:12]
    )
    session.add(token)
    await session.flush()
    record = _public(token, user)
    _audit_token(session, record, actor=actor, action="token.create")
    return IssuedToken(token=secret, record=record)


def _audit_token(
    session: AsyncSession,
    record: TokenPublic,
    *,
    actor: Actor | Staff,
    action: str,
    before: TokenPublic | None = None,
) -> None:
    # Tokens belong to no country: their entries are for admins' eyes only.
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="api_token",
        entity_id=record.id,
        country=None,
        before=audit.snapshot(before),
        after=audit.snapshot(record),
    )


async def list_tokens(session: AsyncSession) -> list[TokenPublic]:
    rows = await session.exec(
        select(ApiToken, StaffUser)
        .join(StaffUser, col(StaffUser.id) == col(ApiToken.staff_user_id))
        .order_by(col(ApiToken.id))
    )
    return [_public(token, user) for token, user in rows]


async def revoke_token(
    session: AsyncSession, *, token_ref: str, actor: Actor | Staff
) -> TokenPublic:
    """Revoke by id or by the prefix shown in listings. Revoking twice is harmless (and
    recorded once)."""
    query = select(ApiToken, StaffUser).join(
        StaffUser, col(StaffUser.id) == col(ApiToken.staff_user_id)
    )
    ref = token_ref.strip()
    query = query.where(ApiToken.id == int(ref) if ref.isdigit() else col(ApiToken.prefix) == ref)
    found = (await session.exec(query)).all()
    if not found:
        raise NotFound(f"no token {token_ref!r}")
    if len(found) > 1:
        raise InvalidInput(f"{token_ref!r} matches {len(found)} tokens; revoke by id")
    token, user = found[0]
    if token.revoked_at is None:
        before = _public(token, user)
        token.revoked_at = clock.utcnow()
        session.add(token)
        await session.flush()
        _audit_token(
            session, _public(token, user), actor=actor, action="token.revoke", before=before
        )
    return _public(token, user)


@dataclass(frozen=True)
class Authenticated:
    """A token found valid: who calls with it, and whether this use is to be recorded."""

    staff: Staff
    token_id: int
    record_use: bool  # its last recorded use is older than the precision kept


async def authenticate(session: AsyncSession, *, token: str, key: str) -> Authenticated:
    """Check a bearer token. Reads only, so that a read request can check it in a read
    session; record_token_use() writes the use down when `record_use` asks for it."""
    row = (
        await session.exec(
            select(ApiToken, StaffUser)
            .join(StaffUser, col(StaffUser.id) == col(ApiToken.staff_user_id))
            .where(ApiToken.token_hash == hash_token(token, key=key))
        )
    ).first()
    if row is None:
        raise Unauthorized("unknown token")
    api_token, user = row
    # The lookup is by keyed hash; comparing again in constant time costs nothing.
    if not hmac.compare_digest(api_token.token_hash, hash_token(token, key=key)):
        raise Unauthorized("unknown token")
    if api_token.revoked_at is not None:
        raise Unauthorized("this token was revoked")
    last_used = api_token.last_used_at
    assert user.id is not None and api_token.id is not None
    return Authenticated(
        staff=staff_of(user),
        token_id=api_token.id,
        record_use=last_used is None or clock.utcnow() - last_used > _LAST_USED_PRECISION,
    )


async def record_token_use(session: AsyncSession, token_id: int) -> None:
    """Write down that a token was used now."""
    api_token = await session.get_one(ApiToken, token_id)  # tokens are revoked, never deleted
    api_token.last_used_at = clock.utcnow()
    session.add(api_token)
    await session.flush()


class _CountryScoped(Protocol):
    country_code: str


Scoped = TypeVar("Scoped", bound=_CountryScoped)


async def get_in_scope(
    session: AsyncSession,
    model: type[Scoped],
    entity_id: int,
    *,
    staff: Staff,
    noun: str,
    for_update: bool = False,
) -> Scoped:
    """An entity by id: 404 when there is none, 403 when it is outside the caller's countries.
    `for_update`: the caller decides on its state (publish, reject), so it is read locked and
    fresh, and a second decision taken at the same moment waits and then sees the first one
    (FOR UPDATE on PostgreSQL; SQLite's write transactions are exclusive already)."""
    entity = await session.get(
        model, entity_id, with_for_update=for_update, populate_existing=for_update
    )
    if entity is None:
        raise NotFound(f"no {noun} {entity_id}")
    staff.check_country(entity.country_code, f"{noun} {entity_id}")
    return entity
