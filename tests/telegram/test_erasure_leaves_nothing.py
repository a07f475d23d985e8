"""An erased producer leaves no phone, chat id or name anywhere in the database.

The producer lives a full life first, through the real ways in: an SMS from their phone before
they registered (stored, answered), registration through the Telegram bot, a price question
by Telegram, a new name set by a CDE, an offer by SMS that a CDE verifies and that goes out
to another producer, alerts sent to their chat and one reply refused by the gateway with
their number in the reason, a CDE finding them in the console. Then a CDE erases them, and
every text and JSON column of every table is searched for each form of their phone, their
chat id and each name they had.
"""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel import select
from telegram import Bot

from app.accounts.models import Role
from app.alerts.models import ChannelName, Delivery, DeliveryStatus
from app.channels.base import ChannelError, ErrorKind
from app.commands.parse import ParserCache
from app.core.config import Settings
from app.core.db import Database
from app.inbound.sms import receive_sms
from app.leads.models import BuyerLead
from app.producers.models import Producer
from app.schema import metadata
from bots.telegram.channel import TelegramChannel
from tests.alerts.conftest import dispatch_until, follower, publish
from tests.conftest import Tokens
from tests.console.conftest import add_user, sign_in
from tests.fakes.channel import RecordingChannel
from tests.fakes.telegram_api import FakeBotApi
from tests.telegram.conftest import TOKEN
from tests.telegram.test_bot import (
    CHAT,
    finish_registration,
    post,
    register_until_phone,
    running,
)

PHONE = "+959250000123"
NAME = "Thandar Hlaing Oo"
# Every form their number is written in (E.164, without the +, national, the subscriber part
# alone), their chat id, and the names they had (Telegram's, then the one a CDE set).
PERSONAL = ("959250000123", "09250000123", "250000123", str(CHAT), "Test User", NAME)


def text_columns() -> list[sa.Column[Any]]:
    """Every column that can hold text: strings and JSON."""
    return [
        column
        for table in metadata.sorted_tables
        for column in table.columns
        # sqlmodel's AutoString decorates a String
        if isinstance(column.type, (sa.String, sa.JSON))
        or isinstance(getattr(column.type, "impl", None), sa.String)
    ]


async def mentions(database: Database) -> list[str]:
    """Every value in the database that holds any of PERSONAL, as table.column: value."""
    found = []
    async with database.read_session() as session:
        connection = await session.connection()
        for column in text_columns():
            as_text = sa.cast(column, sa.Text)
            rows = await connection.execute(
                sa.select(as_text).where(
                    sa.or_(*(as_text.contains(p, autoescape=True) for p in PERSONAL))
                )
            )
            found += [f"{column.table.name}.{column.name}: {value[:200]}" for (value,) in rows]
    return found


async def sms_from_phone(
    database: Database, settings: Settings, text: str, gateway_id: str
) -> None:
    outcome = await receive_sms(
        database,
        ParserCache(settings.default_locale),
        settings,
        sender=PHONE,
        text=text,
        gateway_id=gateway_id,
    )
    assert outcome is not None and outcome.status == "answered", outcome


async def console_search(client: httpx.AsyncClient, q: str) -> str:
    page = await client.get("/console/producers", params={"q": q})
    assert page.status_code == 200, page.text
    return page.text


async def test_an_erased_producer_leaves_no_trace(
    bot_api: FakeBotApi,
    bot_settings: Settings,
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    settings: Settings,
    fast: Settings,
) -> None:
    settings = settings.model_copy(update={"sms_replies_per_hour": 100})
    others = await follower(database, leads=True)  # hears of verified mango leads
    await publish(client, tokens, "12600")
    await sms_from_phone(database, settings, "mango muse", "k-1")  # not registered yet

    async with running(bot_settings) as bot:
        await register_until_phone(bot, bot_api)
        await finish_registration(bot, bot_api)  # sharing PHONE through Telegram
        assert await post(bot, bot_api.user_message(CHAT, "mango muse")) == 200
    async with database.session() as s:
        producer = (await s.exec(select(Producer).where(Producer.id != others))).one()
    assert producer.name == "Test User"
    renamed = await client.patch(
        f"/api/v1/producers/{producer.id}", headers=tokens.cde_mm, json={"name": NAME}
    )
    assert renamed.status_code == 200, renamed.text

    await sms_from_phone(database, settings, "SELL MANGO 500KG", "k-2")
    async with database.session() as s:
        lead = (await s.exec(select(BuyerLead))).one()
    assert (lead.buyer_name, lead.contact) == (NAME, PHONE)
    verified = await client.post(f"/api/v1/leads/{lead.id}/verify", headers=tokens.cde_mm)
    assert verified.status_code == 200, verified.text
    await publish(client, tokens, "13100")

    telegram = TelegramChannel(Bot(TOKEN, base_url=bot_api.base_url))
    sms = RecordingChannel("sms", known_urns={f"tel:{PHONE}", "tel:+959250000321"})
    sms.fail(f"tel:{PHONE}", ChannelError(ErrorKind.PERMANENT, f"operator refused tel:{PHONE}"))

    async def all_sent() -> bool:
        async with database.read_session() as s:
            waiting = await s.exec(
                select(Delivery.id).where(
                    Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENDING])  # type: ignore[attr-defined]
                )
            )
            return not waiting.all()

    try:
        await dispatch_until(
            database, fast, {ChannelName.TELEGRAM: telegram, ChannelName.SMS: sms}, all_sent
        )
    finally:
        await telegram.close()
    assert any(PHONE in text and NAME in text for text in sms.texts_to("tel:+959250000321"))

    await add_user(database, "khin", Role.CDE, ["MM"])
    await sign_in(client, "khin")
    assert NAME in await console_search(client, "09 250 000 123")
    before = await mentions(database)
    tables = {found.split(".")[0] for found in before}
    assert {"inbound_message", "delivery", "address", "audit_log", "buyer_lead"} <= tables

    erased = await client.delete(f"/api/v1/producers/{producer.id}", headers=tokens.cde_mm)

    assert erased.status_code == 204, erased.text
    left = await mentions(database)
    assert not left, "still in the database:\n" + "\n".join(left)
    for q in ("09 250 000 123", PHONE, str(CHAT), "Thandar"):
        assert NAME not in await console_search(client, q)
