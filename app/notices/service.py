"""Posting and cancelling notices. Sending them belongs to app/alerts."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.accounts.service import Staff
from app.catalogue.models import Country
from app.catalogue.service import load_index
from app.core import clock, i18n
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.pagination import MAX_LIMIT, Page
from app.notices.models import Notice, NoticeCreate, NoticePublic, NoticeStatus
from app.text.normalize import normalize_text


def to_public(notice: Notice) -> NoticePublic:
    return NoticePublic(id=notice.id or 0, **notice.model_dump(exclude={"id"}))


async def build_notice(session: AsyncSession, *, data: NoticeCreate, staff: Staff) -> Notice:
    """The notice `data` describes, checked (texts, countries in the caller's scope, the
    catalogue's commodities and markets, a send time to come) but not saved: what creating,
    editing and previewing a notice all start from."""
    staff.require_writer()
    if not data.texts:
        raise InvalidInput("a notice needs its text in at least one language")
    texts = {i18n.check_locale(locale): normalize_text(text) for locale, text in data.texts.items()}
    if not data.countries:
        raise InvalidInput("a notice needs at least one target country")
    countries = sorted(set(data.countries))
    known = set((await session.exec(select(Country.code))).all())
    for code in countries:
        if code not in known:
            raise InvalidInput(f"unknown country {code!r}")
        staff.check_country(code, f"country {code}")
    index = await load_index(session)
    commodities = sorted({index.commodity(c).slug for c in data.commodities})
    markets = []
    for name in data.markets:
        market = index.market(name)
        if market.country_code not in countries:
            raise InvalidInput(
                f"market {market.slug} is in {market.country_code}, not in the target countries"
            )
        markets.append(market.slug)
    if data.send_at is not None and data.send_at < clock.utcnow():
        raise InvalidInput(
            f"send_at {data.send_at.isoformat()} is in the past; leave it out to send now"
        )
    return Notice(
        texts=texts,
        countries=countries,
        commodities=commodities,
        markets=sorted(set(markets)),
        urgent=data.urgent,
        send_at=data.send_at,
        status=NoticeStatus.DRAFT if data.send_at is None else NoticeStatus.SCHEDULED,
        created_by=staff.name,
    )


def _audit_country(notice: Notice) -> str | None:
    return notice.countries[0] if len(notice.countries) == 1 else None


async def create_notice(session: AsyncSession, *, data: NoticeCreate, staff: Staff) -> Notice:
    notice = await build_notice(session, data=data, staff=staff)
    await audit.save(
        session,
        notice,
        actor=staff,
        action="notice.create",
        entity="notice",
        country=_audit_country(notice),
    )
    return notice


async def update_notice(
    session: AsyncSession, *, notice_id: int, data: NoticeCreate, staff: Staff
) -> Notice:
    """Rewrite a notice that has not gone out (a draft, or a scheduled one before its time):
    texts, segment and send time all at once, checked as a new notice would be. Giving a send
    time schedules it; leaving it out makes it a draft again."""
    staff.require_writer()
    notice = await get_notice(session, notice_id=notice_id, staff=staff)
    if notice.status not in (NoticeStatus.DRAFT, NoticeStatus.SCHEDULED):
        raise Conflict(f"notice {notice_id} is {notice.status}; only unsent notices can change")
    changed = await build_notice(session, data=data, staff=staff)
    before = audit.snapshot(notice)
    for name in ("texts", "countries", "commodities", "markets", "urgent", "send_at", "status"):
        setattr(notice, name, getattr(changed, name))
    await audit.save(
        session,
        notice,
        actor=staff,
        action="notice.update",
        entity="notice",
        country=_audit_country(notice),
        before=before,
    )
    return notice


async def get_notice(session: AsyncSession, *, notice_id: int, staff: Staff) -> Notice:
    notice = await session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id}")
    for code in notice.countries:
        staff.check_country(code, f"notice {notice_id}")
    return notice


async def cancel_notice(session: AsyncSession, *, notice_id: int, staff: Staff) -> Notice:
    staff.require_writer()
    notice = await get_notice(session, notice_id=notice_id, staff=staff)
    if notice.status not in (NoticeStatus.DRAFT, NoticeStatus.SCHEDULED):
        raise Conflict(
            f"notice {notice_id} is {notice.status}; only draft and scheduled notices can be "
            "cancelled (cancel a sent notice's waiting deliveries with POST /deliveries/cancel)"
        )
    before = audit.snapshot(notice)
    notice.status = NoticeStatus.CANCELLED
    notice.cancelled_by = staff.name
    notice.cancelled_at = clock.utcnow()
    await audit.save(
        session,
        notice,
        actor=staff,
        action="notice.cancel",
        entity="notice",
        country=notice.countries[0] if len(notice.countries) == 1 else None,
        before=before,
    )
    return notice


async def mark_sent(session: AsyncSession, *, notice: Notice, actor: Actor) -> None:
    """Record that the notice went out; its broadcast now belongs to app/alerts."""
    if notice.status not in (NoticeStatus.DRAFT, NoticeStatus.SCHEDULED):
        raise Conflict(f"notice {notice.id} is {notice.status}; it cannot be sent")
    before = audit.snapshot(notice)
    notice.status = NoticeStatus.SENT
    await audit.save(
        session,
        notice,
        actor=actor,
        action="notice.send",
        entity="notice",
        country=notice.countries[0] if len(notice.countries) == 1 else None,
        before=before,
    )


async def list_notices(
    session: AsyncSession,
    *,
    staff: Staff,
    status: NoticeStatus | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[NoticePublic]:
    """Notices whose every target country the caller may see, newest first."""
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(Notice).order_by(col(Notice.id).desc())
    if status:
        query = query.where(Notice.status == status)
    if cursor is not None:
        query = query.where(col(Notice.id) < cursor)
    shown: list[Notice] = []
    more = False
    # Country lists are JSON, so scope is applied here; notices are few, and we stop at a page.
    for notice in (await session.exec(query)).all():
        if all(staff.can_see(c) for c in notice.countries):
            if len(shown) == limit:
                more = True
                break
            shown.append(notice)
    return Page(
        items=[to_public(n) for n in shown],
        next_cursor=shown[-1].id if more and shown else None,
    )
