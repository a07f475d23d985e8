from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.core.db import parse_database_url, sync_engine
from app.core.errors import DatabaseUnavailable
from app.core.migrations import (
    current_revision,
    downgrade,
    head_revision,
    require_current_schema,
    upgrade,
)
from app.schema import metadata


# Alembic cannot compare expression indexes (uq_price_observation_exact); that one is held to
# its rule by tests/prices/test_prices_api.py::test_the_database_refuses_an_exact_duplicate_too.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_models_and_migrations_describe_the_same_schema(database_url: str) -> None:
    engine = sync_engine(parse_database_url(database_url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == [], "models changed without a migration: alembic revision --autogenerate"


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    url = parse_database_url(database_url)
    assert current_revision(url) == head_revision()
    assert upgrade(url) == (head_revision(), head_revision())
    require_current_schema(url)


def test_an_unmigrated_database_is_refused_then_migrates_down_and_up(
    empty_database_url: str,
) -> None:
    url = parse_database_url(empty_database_url)
    with pytest.raises(DatabaseUnavailable, match="no schema yet; run `mic db upgrade`"):
        require_current_schema(url)
    assert upgrade(url) == (None, head_revision())
    downgrade(url, "base")
    assert current_revision(url) is None
    upgrade(url)
    require_current_schema(url)


def test_an_unreachable_database_is_one_clear_error() -> None:
    url = parse_database_url("postgresql://mic@127.0.0.1:1/mic")
    with pytest.raises(
        DatabaseUnavailable,
        match=r"cannot use the database postgresql\+psycopg://mic@127.0.0.1:1/mic: ",
    ):
        current_revision(url)


def test_replicas_migrating_at_once_take_turns(empty_database_url: str) -> None:
    url = parse_database_url(empty_database_url)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: upgrade(url), range(3)))
    # Exactly one replica did the work; the others found the schema already at head.
    assert sorted(results, key=str) == sorted(
        [
            (None, head_revision()),
            (head_revision(), head_revision()),
            (head_revision(), head_revision()),
        ],
        key=str,
    )
    require_current_schema(url)


async def test_0009_keeps_existing_duplicate_prices_and_sets_them_apart(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt
    from decimal import Decimal

    from sqlmodel import col, select

    from app.catalogue.service import load_demo_catalogue, load_index
    from app.core.db import Database
    from app.prices.models import PriceObservation, PriceType

    url = parse_database_url(empty_database_url)
    upgrade(url, "0008")  # the revision before the duplicate index
    # Names in Latin letters (locale km_Latn) need 0011's wider alias.locale: a catalogue loaded
    # at 0008 is the one of that time, without them.
    monkeypatch.setattr("app.catalogue.service._add_latin_names", lambda *args: None)
    database = Database(empty_database_url)
    try:
        async with database.session() as s:
            await load_demo_catalogue(s)
        async with database.session() as s:
            index = await load_index(s)
            for price in ("18000", "18000.0", "19000"):
                s.add(
                    PriceObservation(
                        commodity_id=index.commodity("fish").id,
                        market_id=index.market("muse").id,
                        country_code="MM",
                        price=Decimal(price),
                        currency="MMK",
                        unit_id=index.unit("viss").id,
                        price_type=PriceType.WHOLESALE,
                        observed_on=dt.date(2026, 11, 20),
                        created_by="thida",
                    )
                )
        upgrade(url)
        async with database.session() as s:
            rows = (await s.exec(select(PriceObservation).order_by(col(PriceObservation.id)))).all()
    finally:
        await database.dispose()
    first, second, third = rows
    assert [r.external_key for r in rows] == [None, f"duplicate-of:{first.id}:{second.id}", None]
    assert third.price == Decimal("19000")


async def test_0010_corrects_the_lao_name_of_siem_reap_and_keeps_the_old_one_as_an_alias(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlmodel import col, select

    from app.catalogue.models import Alias, Market
    from app.catalogue.service import load_demo_catalogue
    from app.core.db import Database

    url = parse_database_url(empty_database_url)
    upgrade(url, "0009")
    database = Database(empty_database_url)
    old, new = "ເສຍມລາບ", "ສຽມລາບ"
    # Names in Latin letters (locale km_Latn) need 0011's wider alias.locale.
    monkeypatch.setattr("app.catalogue.service._add_latin_names", lambda *args: None)
    try:
        async with database.session() as s:
            await load_demo_catalogue(s)
        async with database.session() as s:  # as the demo catalogue loaded it before the fix
            market = (await s.exec(select(Market).where(Market.slug == "siem-reap"))).one()
            lao = select(Alias).where(Alias.market_id == market.id, Alias.locale == "lo")
            for alias in (await s.exec(lao)).all():
                if alias.text == old:
                    await s.delete(alias)
            await s.flush()
            display = (await s.exec(lao.where(col(Alias.is_display)))).one()
            display.text = display.normalized = old
            s.add(display)
        upgrade(url, "0010")
        async with database.session() as s:
            names = {(a.text, a.is_display) for a in (await s.exec(lao)).all()}
    finally:
        await database.dispose()
    assert (new, True) in names and (old, False) in names
    assert sum(shown for _, shown in names) == 1


async def test_0011_holds_latin_names_and_drops_them_going_back(empty_database_url: str) -> None:
    from sqlmodel import col, select

    from app.catalogue.models import Alias
    from app.catalogue.service import load_demo_catalogue
    from app.core.db import Database

    url = parse_database_url(empty_database_url)
    upgrade(url, "0011")
    database = Database(empty_database_url)
    try:
        async with database.session() as s:
            await load_demo_catalogue(s)
        async with database.session() as s:
            latin = (await s.exec(select(Alias).where(Alias.locale == "km_Latn"))).all()
            native = len((await s.exec(select(Alias).where(Alias.locale == "km"))).all())
        assert any(a.text == "svay" for a in latin)
        await database.dispose()
        downgrade(url, "0010")  # VARCHAR(5) again: the Latin names go, nothing else
        async with database.session() as s:
            left = (await s.exec(select(Alias.locale).where(col(Alias.locale).like("%Latn")))).all()
            assert left == []
            assert len((await s.exec(select(Alias).where(Alias.locale == "km"))).all()) == native
        await database.dispose()
        upgrade(url)
        require_current_schema(url)
    finally:
        await database.dispose()
