"""How producers are reached: their addresses as URNs (tel:+E.164, telegram:<chat id>),
one producer per address, and finding a producer by the address a message came from."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.core.errors import Conflict
from app.producers.models import Address, Producer, ProducerUpdate
from app.text.phones import phone_country, phone_e164


def tel_urn(e164: str) -> str:
    return f"tel:{e164}"


def telegram_urn(chat_id: int) -> str:
    return f"telegram:{chat_id}"


async def claim_urn(
    session: AsyncSession, urn: str, producer_id: int | None, staff: Staff | None
) -> None:
    """An address belongs to one producer; a second claim is refused, naming the first only to
    staff who may see them (a number registered in another country, or claimed by someone
    registering themselves, says nothing more)."""
    row = (
        await session.exec(
            select(Address, Producer)
            .join(Producer, col(Producer.id) == col(Address.producer_id))
            .where(Address.urn == urn)
        )
    ).first()
    if row is not None and row[1].id != producer_id:
        owner = row[1]
        if staff is None or not staff.can_see(owner.country_code):
            raise Conflict(f"{urn} is already registered elsewhere")
        raise Conflict(f"{urn} already belongs to producer {owner.id} ({owner.name})")


async def _addresses(session: AsyncSession, producer: Producer, scheme: str) -> list[Address]:
    assert producer.id is not None
    query = select(Address).where(
        Address.producer_id == producer.id, col(Address.urn).startswith(f"{scheme}:")
    )
    return list((await session.exec(query)).all())


def asked_urns(producer: Producer, data: ProducerUpdate) -> dict[str, str | None]:
    """The addresses an update sets, by scheme (None: that scheme's address goes)."""
    asked: dict[str, str | None] = {}
    if "phone" in data.model_fields_set:
        phone = phone_e164(data.phone, producer.country_code) if data.phone else None
        asked["tel"] = tel_urn(phone) if phone else None
    if "telegram_chat_id" in data.model_fields_set:
        chat = data.telegram_chat_id
        asked["telegram"] = telegram_urn(chat) if chat else None
    return asked


async def addresses_replaced(
    session: AsyncSession, *, producer: Producer, data: ProducerUpdate
) -> list[int]:
    """Ids of the addresses `update_producer` with `data` will delete: what other domains'
    records must let go of first (app.lifecycle.producers does, before it updates)."""
    replaced: list[int] = []
    for scheme, urn in asked_urns(producer, data).items():
        replaced += [
            a.id
            for a in await _addresses(session, producer, scheme)
            if a.urn != urn and a.id is not None
        ]
    return replaced


async def set_address(
    session: AsyncSession, producer: Producer, scheme: str, urn: str | None, staff: Staff
) -> None:
    assert producer.id is not None
    existing = await _addresses(session, producer, scheme)
    for address in existing:
        if address.urn != urn:
            await session.delete(address)
    await session.flush()
    if urn is not None and all(a.urn != urn for a in existing):
        await claim_urn(session, urn, producer.id, staff)
        session.add(Address(producer_id=producer.id, urn=urn))
        await session.flush()


# Run for every message a producer sends: built once, bound at each execution.
_BY_URN = (
    select(Producer)
    .join(Address, col(Address.producer_id) == col(Producer.id))
    .where(Address.urn == bindparam("urn"), col(Address.active))
)


async def find_by_urn(session: AsyncSession, urn: str) -> Producer | None:
    return (await session.exec(_BY_URN, params={"urn": urn})).first()


COUNTRY_LOCALES = {"MM": "my", "KH": "km", "LA": "lo", "VN": "vi"}


def country_of_phone(e164: str) -> str | None:
    """The country MIC serves that a number belongs to; None for any other."""
    region = phone_country(e164)
    return region if region in COUNTRY_LOCALES else None
