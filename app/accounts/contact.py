"""Where a staff member's reports go: a phone or a Telegram chat, set by themselves."""

from __future__ import annotations

import phonenumbers
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.models import StaffUser
from app.accounts.service import Staff
from app.core.errors import InvalidInput, NotFound


def contact_urn(text: str) -> str:
    """A staff member's report address as a URN: `telegram:<chat id>` or `tel:<E.164>`."""
    if text.lower().startswith("telegram:"):
        chat = text.split(":", 1)[1].strip()
        if not chat.lstrip("-").isdigit():
            raise InvalidInput(
                f"{text!r}: a Telegram chat id is a number, as in telegram:123456789"
            )
        return f"telegram:{chat}"
    number = text.removeprefix("tel:").strip()
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            f"{text!r} is not a phone number in international form (+95 9 ...) "
            "nor telegram:<chat id>"
        )
    return "tel:" + phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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
