"""Every catalogue entry has a name in Latin letters for each romanised locale, plain ASCII."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import col, select

from app.catalogue import demo, latin
from app.catalogue.models import ALIAS_TARGETS, Alias, Commodity, Country, Market, Unit, Variety
from app.core.db import Database
from app.core.i18n import ROMANISED
from app.text.sms import is_gsm7


def test_every_demo_entry_has_a_latin_name() -> None:
    expected = {
        "countries": {c.code for c in demo.COUNTRIES},
        "units": {u.code for u in demo.UNITS},
        "markets": {m.slug for m in demo.MARKETS},
        "commodities": {c.slug for c in demo.COMMODITIES},
        "varieties": {f"{c.slug}/{v.slug}" for c in demo.COMMODITIES for v in c.varieties},
    }
    given = {
        "countries": set(latin.COUNTRIES),
        "units": set(latin.UNITS),
        "markets": set(latin.MARKETS),
        "commodities": set(latin.COMMODITIES),
        "varieties": set(latin.VARIETIES),
    }
    assert given == expected  # none missing, none naming an entry that does not exist


def test_latin_names_are_plain_ascii_in_every_romanised_locale() -> None:
    tables = (latin.COUNTRIES, latin.UNITS, latin.MARKETS, latin.COMMODITIES, latin.VARIETIES)
    for table in tables:
        for key, name in table.items():
            names = latin.names_for(name)
            assert set(names) == set(ROMANISED.values()), key
            for text in names.values():
                assert text.isascii() and is_gsm7(text) and text.strip() == text, (key, text)


async def test_every_seeded_entry_has_a_latin_display_name(
    database: Database, seeded: None
) -> None:
    async with database.session() as s:
        keys = {
            "country_code": set((await s.exec(select(Country.code))).all()),
            "unit_id": set((await s.exec(select(Unit.id))).all()),
            "market_id": set((await s.exec(select(Market.id))).all()),
            "commodity_id": set((await s.exec(select(Commodity.id))).all()),
            "variety_id": set((await s.exec(select(Variety.id))).all()),
        }
        aliases = (
            await s.exec(select(Alias).where(col(Alias.locale).in_(list(ROMANISED.values()))))
        ).all()
    shown: dict[tuple[str, str], set[object]] = defaultdict(set)
    for alias in aliases:
        assert alias.is_display and alias.text.isascii(), alias
        for target in ALIAS_TARGETS:
            if getattr(alias, target) is not None:
                shown[(target, alias.locale)].add(getattr(alias, target))
    for target, wanted in keys.items():
        for locale in ROMANISED.values():
            assert shown[(target, locale)] == wanted, (target, locale)


async def test_muse_reads_as_people_write_it(database: Database, seeded: None) -> None:
    async with database.session() as s:
        muse = (await s.exec(select(Market).where(Market.slug == "muse"))).one()
        names = (
            await s.exec(select(Alias.locale, Alias.text).where(Alias.market_id == muse.id))
        ).all()
    assert {locale: text for locale, text in names if locale.endswith("_Latn")} == {
        "my_Latn": "Muse",
        "km_Latn": "Muse",
        "lo_Latn": "Muse",
    }
