"""Where a staff member's reports go: a phone or a Telegram chat, set by themselves."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.models import StaffUser
from app.accounts.service import Staff
from app.core.errors import InvalidInput, NotFound
from app.text.phones import phone_e164


def contact_urn(text: str) -> str:
    """A staff member's report address as a URN: `telegram:<chat id>` or `tel:<E.164>` (a mobile
    number in international form)."""
    if text.lower().startswith("telegram:"):
        chat = text.split(":", 1)[1].strip()
        if not chat.lstrip("-").isdigit():
            raise InvalidInput(
                f"{text!r}: a Telegram chat id is a number, as in telegram:123456789"
            )
        return f"telegram:{chat}"
    return "tel:" + phone_e164(text.removeprefix("tel:").strip(), None)


async def set_contact(session: AsyncSession, *, staff: Staff, contact: str | None) -> StaffUser:
    user = await session.get(StaffUser, staff.user_id)
    if user is None:
        raise NotFound(f"no staff user {staff.name!r}")
    before = audit.snapshot(user)
    user.contact = contact_urn(contact) if contact else None
    await audit.save(
        session,
        user,
        actor=staff,
        action="staff.contact",
        entity="staff_user",
        country=None,
        before=before,
    )
    return user


async def get_user(session: AsyncSession, *, staff: Staff) -> StaffUser:
    user = await session.get(StaffUser, staff.user_id)
    if user is None:
        raise NotFound(f"no staff user {staff.name!r}")
    return user
