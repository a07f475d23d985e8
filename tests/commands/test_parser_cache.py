"""The parser is kept per catalogue version: built once while nothing changes, rebuilt in the
next message after any catalogue change (a name added, a market renamed or removed), in any
process; prices are never cached, so a price published now is in the very next answer."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import select

from app.alerts.triggers import Alerts
from app.catalogue.models import Alias, CatalogueVersion, Market
from app.catalogue.version import catalogue_version
from app.commands.handle import Sender, handle_text
from app.commands.parse import ParserCache
from app.core import clock
from app.core.config import Settings
from app.core.db import Database, run_core
from app.prices.curation import create_price
from app.prices.models import PriceCreate
from app.sources.names import add_alias
from tests.commands.test_handle import ADMIN

PHONE = "tel:+959250123456"


async def _ask(
    database: Database, settings: Settings, parsers: ParserCache, text: str
) -> list[str]:
    async with database.session() as s:
        parser = await parsers.get(s)
        return await handle_text(
            s, parser=parser, text=text, sender=Sender(PHONE, "sms", "en"), settings=settings
        )


async def test_a_parser_is_rebuilt_only_when_the_catalogue_changes(
    database: Database, seeded: None
) -> None:
    parsers = ParserCache("en")
    async with database.session() as s:
        first = await parsers.get(s)
        assert await parsers.get(s) is first
        before = await catalogue_version(s)
        assert first.parse("mango kyauk-se").market_id is None
        mandalay = (await s.exec(select(Market).where(Market.slug == "mandalay"))).one()
        add_alias(s, "market_id", mandalay.id, "Kyauk-se")  # a CDE maps a source's name
    async with database.session() as s:
        assert await catalogue_version(s) == before + 1
        second = await parsers.get(s)
        assert second is not first
        assert second.parse("mango kyauk-se").market_id == mandalay.id
        assert await parsers.get(s) is second  # and kept again


async def test_renaming_or_removing_a_name_reaches_the_next_message(
    database: Database, seeded: None
) -> None:
    parsers = ParserCache("en")
    async with database.session() as s:
        muse = (await s.exec(select(Market).where(Market.slug == "muse"))).one()
        shown = (
            await s.exec(
                select(Alias).where(
                    Alias.market_id == muse.id, Alias.locale == "en", Alias.is_display
                )
            )
        ).one()
        assert (await parsers.get(s)).display_names("market_id", [muse.id])[muse.id]["en"] == (
            shown.text
        )
        shown.text = "Muse (105 mile)"
        s.add(shown)
    async with database.session() as s:
        renamed = await parsers.get(s)
        assert renamed.display_names("market_id", [muse.id])[muse.id]["en"] == "Muse (105 mile)"
        await s.delete(await s.get(Alias, shown.id))
    async with database.session() as s:
        assert "en" not in (await parsers.get(s)).display_names("market_id", [muse.id])[muse.id]


async def test_a_price_published_now_is_in_the_next_answer(
    database: Database, settings: Settings, seeded: None
) -> None:
    parsers = ParserCache("en")
    assert "12,600" not in " ".join(await _ask(database, settings, parsers, "mango muse"))
    async with database.session() as s:
        version = await catalogue_version(s)
        await create_price(
            s,
            staff=ADMIN,
            alerts=Alerts(settings),
            data=PriceCreate(
                commodity="mango",
                market="muse",
                price=Decimal("12600"),
                currency="CNY",
                unit="tonne",
                price_type="border",
                observed_on=clock.today("Asia/Yangon"),
                publish=True,
            ),
        )
    async with database.session() as s:
        assert await catalogue_version(s) == version  # a price is not a catalogue change
    assert "12,600" in " ".join(await _ask(database, settings, parsers, "mango muse"))


async def test_a_lost_version_row_comes_back_with_the_next_change(
    database: Database, seeded: None
) -> None:
    parsers = ParserCache("en")
    async with database.session() as s:
        await run_core(s, sa.delete(CatalogueVersion))
    async with database.session() as s:
        first = await parsers.get(s)
        assert await catalogue_version(s) == 0
        mandalay = (await s.exec(select(Market).where(Market.slug == "mandalay"))).one()
        add_alias(s, "market_id", mandalay.id, "Kyauk-se")
    async with database.session() as s:
        assert await catalogue_version(s) == 1
        assert (await parsers.get(s)).parse("mango kyauk-se").market_id == mandalay.id
        assert await parsers.get(s) is not first
