from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.catalogue import demo
from app.catalogue.models import Alias, Market
from app.catalogue.service import load_demo_catalogue
from app.core.db import Database


async def test_demo_load_is_idempotent_and_complete(database: Database) -> None:
    async with database.session() as s:
        first = await load_demo_catalogue(s)
    async with database.session() as s:
        second = await load_demo_catalogue(s)
    assert first.created["countries"] == len(demo.COUNTRIES) == 4
    assert first.created["markets"] == len(demo.MARKETS) >= 12
    assert first.created["varieties"] == sum(len(c.varieties) for c in demo.COMMODITIES)
    assert second.total() == 0
    assert second.summary() == "demo catalogue already loaded; nothing changed"


def test_every_demo_entry_has_a_display_name_in_english() -> None:
    entries = [*demo.COUNTRIES, *demo.UNITS, *demo.MARKETS, *demo.COMMODITIES]
    entries += [v for c in demo.COMMODITIES for v in c.varieties]
    for entry in entries:
        assert "en" in entry.names, entry


def test_core_entries_are_named_in_all_six_locales() -> None:
    for entry in [*demo.COUNTRIES, *demo.MARKETS, *demo.COMMODITIES, *demo.UNITS]:
        assert set(entry.names) == {"en", "my", "km", "lo", "vi", "zh"}, entry.names


async def test_reloading_keeps_names_a_cde_curated(database: Database, seeded: None) -> None:
    async with database.session() as s:
        muse = (await s.exec(select(Market).where(Market.slug == "muse"))).one()
        display = (
            await s.exec(
                select(Alias).where(
                    Alias.market_id == muse.id, Alias.locale == "zh", Alias.is_display
                )
            )
        ).one()
        display.text = "木姐口岸"
        display.normalized = "木姐口岸"
        s.add(display)
    async with database.session() as s:
        report = await load_demo_catalogue(s)
        shown = (
            await s.exec(
                select(Alias.text).where(
                    Alias.market_id == muse.id, Alias.locale == "zh", Alias.is_display
                )
            )
        ).all()
    # The demo's 木姐 comes back as an alias the parser knows, never as a second display name.
    assert shown == ["木姐口岸"]
    assert report.created == {"aliases": 1}


async def test_an_alias_must_name_exactly_one_thing(database: Database, seeded: None) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        async with database.session() as s:
            s.add(Alias(locale="en", text="orphan", normalized="orphan"))
            await s.flush()
    with pytest.raises(sa.exc.IntegrityError):
        async with database.session() as s:
            s.add(Alias(locale="en", text="both", normalized="both", market_id=1, unit_id=1))
            await s.flush()


async def test_one_display_name_per_entry_and_locale(database: Database, seeded: None) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        async with database.session() as s:
            s.add(
                Alias(locale="my", text="မူဆယ်မြို့", normalized="မူဆယ်မြို့", is_display=True, market_id=1)
            )
            await s.flush()


@pytest.mark.usefixtures("seeded")
async def test_markets_of_myanmar_include_muse_with_its_burmese_name(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/markets", params={"country": "MM"})
    assert response.status_code == 200
    markets = {m["slug"]: m for m in response.json()}
    assert {"muse", "mandalay", "yangon-thiri-mingalar", "yangon-san-pya", "pyapon"} <= set(markets)
    assert all(m["country"] == "MM" for m in markets.values())
    muse = markets["muse"]
    assert muse["names"]["my"] == "မူဆယ်"
    assert muse["names"]["zh"] == "木姐"
    assert muse["kind"] == "border"
    assert muse["timezone"] == "Asia/Yangon"


@pytest.mark.usefixtures("seeded")
async def test_locale_chooses_the_name_and_falls_back_to_english(client: httpx.AsyncClient) -> None:
    km = (await client.get("/api/v1/markets/siem-reap", params={"locale": "km"})).json()
    assert km["name"] == "សៀមរាប"
    mango = (await client.get("/api/v1/commodities/mango", params={"locale": "lo"})).json()
    assert mango["name"] == "ໝາກມ່ວງ"
    yin_kwe = next(v for v in mango["varieties"] if v["slug"] == "yin-kwe")
    assert yin_kwe["name"] == "Yin Kwe"  # no Lao name: English, never an empty string


@pytest.mark.usefixtures("seeded")
async def test_all_markets_and_clusters_are_there(client: httpx.AsyncClient) -> None:
    markets = {m["slug"]: m["country"] for m in (await client.get("/api/v1/markets")).json()}
    assert markets["phnom-srok"] == "KH" and markets["vientiane"] == "LA"
    assert markets["thai-nguyen"] == "VN" and markets["bat-trang"] == "VN"
    commodities = {c["slug"]: c for c in (await client.get("/api/v1/commodities")).json()}
    assert {"mango", "fish", "silk", "tea"} <= set(commodities)
    assert [v["slug"] for v in commodities["mango"]["varieties"]] == [
        "sein-ta-lone",
        "shwe-hin-thar",
        "yin-kwe",
    ]
    assert {"hilsa", "rohu", "prawn", "white-pomfret", "live-crab", "live-eel", "ribbon-fish"} == {
        v["slug"] for v in commodities["fish"]["varieties"]
    }


@pytest.mark.usefixtures("seeded")
async def test_units_carry_their_kilogram_factor(client: httpx.AsyncClient) -> None:
    units = {u["code"]: u for u in (await client.get("/api/v1/units")).json()}
    assert Decimal(units["viss"]["kg_factor"]) == Decimal("1.633")
    assert Decimal(units["basket-16kg"]["kg_factor"]) == Decimal("16")
    assert Decimal(units["tonne"]["kg_factor"]) == Decimal("1000")
    assert units["piece"]["kg_factor"] is None
    assert units["viss"]["names"]["my"] == "ပိဿာ"


@pytest.mark.usefixtures("seeded")
async def test_countries_know_their_currency_zone_and_language(client: httpx.AsyncClient) -> None:
    countries = {c["code"]: c for c in (await client.get("/api/v1/countries")).json()}
    assert countries["MM"]["timezone"] == "Asia/Yangon"
    assert (countries["KH"]["currency"], countries["LA"]["currency"]) == ("KHR", "LAK")
    assert countries["VN"]["default_locale"] == "vi"


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/api/v1/markets?country=TH", 404, "not_found"),
        ("/api/v1/markets/atlantis", 404, "not_found"),
        ("/api/v1/commodities/gold", 404, "not_found"),
        ("/api/v1/markets?locale=fr", 422, "invalid_input"),
        ("/api/v1/nothing-here", 404, "not_found"),
    ],
)
async def test_bad_requests_get_one_error_shape(
    client: httpx.AsyncClient, path: str, status: int, error: str
) -> None:
    response = await client.get(path)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["detail"]


async def test_health_and_docs(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert (await client.get("/docs")).status_code == 200
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/api/v1/markets", "/api/v1/commodities", "/api/v1/units", "/api/v1/countries"} <= set(
        paths
    )


def test_demo_names_are_stored_exactly_as_written() -> None:
    """Normalisation must never mistake a Unicode Burmese name for Zawgyi and mangle it."""
    import unicodedata

    from app.text.normalize import normalize_text

    entries = [*demo.COUNTRIES, *demo.UNITS, *demo.MARKETS, *demo.COMMODITIES]
    entries += [v for c in demo.COMMODITIES for v in c.varieties]
    for entry in entries:
        for text in entry.names.values():
            assert normalize_text(text) == unicodedata.normalize("NFC", text), text
