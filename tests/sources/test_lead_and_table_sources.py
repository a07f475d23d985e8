"""Buyer-lead feeds become pending leads for a CDE to verify; price tables (CSV, HTML) go
through the column mapping stored on their source."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from email.utils import format_datetime

import httpx

from app.core import clock
from tests.conftest import Tokens
from tests.fakes.upstream import FakeUpstream
from tests.sources.conftest import DATA, MUSE_BOARD_MAPPING, create_source, run_now

NOW = dt.datetime.now(dt.UTC)


def feed(*items: tuple[str, str, str]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><guid>{guid}</guid><description>{text}</description>"
        f"<pubDate>{format_datetime(NOW - dt.timedelta(hours=2))}</pubDate>"
        "<dc:creator>Ruili Golden Fruit Trading Co.</dc:creator></item>"
        for guid, title, text in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Muse board</title><link>https://leads.example.org/</link>{entries}"
        "</channel></rss>"
    )


async def test_feed_entries_become_pending_leads_once(
    client: httpx.AsyncClient, tokens: Tokens, upstream: FakeUpstream
) -> None:
    upstream.route(
        "/leads.rss",
        feed(
            (
                "lead-1",
                "Buying 20 tonnes Sein Ta Lone mango, Muse, CNY 12,000/tonne",
                "Export grade",
            ),
            ("lead-2", "Mango wanted at Muse", "Call for volumes and price"),
            ("lead-3", "Buying green gram 50 tonnes", "Mandalay"),
        ),
        content_type="application/rss+xml",
    )
    source = await create_source(
        client,
        tokens.cde_mm,
        slug="muse-board",
        name="Muse trade board",
        kind="rss_leads",
        country="MM",
        url=f"{upstream.url}/leads.rss",
        schedule="*/30 * * * *",
    )
    run = await run_now(client, tokens.cde_mm, source["id"])
    assert (run["status"], run["seen"], run["inserted"], run["rejected"]) == ("succeeded", 3, 2, 1)
    assert "green gram" in run["problems"][0]["reason"]

    leads = (await client.get("/api/v1/leads", headers=tokens.cde_mm)).json()["items"]
    by_link = {lead["note"][:20]: lead for lead in leads}
    assert len(leads) == 2 and all(lead["status"] == "pending" for lead in leads)
    full = next(lead for lead in leads if lead["quantity"] is not None)
    assert (full["commodity"], full["variety"], Decimal(full["quantity"]), full["unit"]) == (
        "mango",
        "sein-ta-lone",
        Decimal(20),
        "tonne",
    )
    assert (Decimal(full["price"]), full["currency"]) == (Decimal(12000), "CNY")
    assert full["buyer_name"] == "Ruili Golden Fruit Trading Co."
    vague = next(lead for lead in leads if lead["quantity"] is None)
    assert vague["negotiable"] is True and by_link

    # A lead whose feed gave no quantity cannot be verified until the CDE sets it.
    refused = await client.post(f"/api/v1/leads/{vague['id']}/verify", headers=tokens.cde_mm)
    assert refused.status_code == 422 and "quantity" in refused.json()["detail"]
    fixed = await client.patch(
        f"/api/v1/leads/{vague['id']}",
        headers=tokens.cde_mm,
        json={"quantity": "5", "unit": "tonne"},
    )
    assert fixed.status_code == 200, fixed.text
    verified = await client.post(f"/api/v1/leads/{vague['id']}/verify", headers=tokens.cde_mm)
    assert verified.status_code == 200, verified.text

    again = await run_now(client, tokens.cde_mm, source["id"])
    assert (again["inserted"], again["unchanged"]) == (0, 2)


async def test_a_wide_market_report_csv_with_units_in_the_names(
    client: httpx.AsyncClient, tokens: Tokens, upstream: FakeUpstream
) -> None:
    upstream.route("/mpr/2022-05.csv", (DATA / "MPR_SE_2022_05.csv").read_bytes())
    mapping = {
        "layout": "wide",
        "ignore": ["Category"],
        "unit_in_name": True,
        "defaults": {"currency": "MMK", "price_type": "retail", "observed_on": "2022-05-15"},
    }
    source = await create_source(
        client,
        tokens.cde_mm,
        slug="mpr-se",
        name="Market price report, southeast",
        kind="csv_url",
        country="MM",
        url=f"{upstream.url}/mpr/2022-05.csv",
        mapping=mapping,
    )
    first = await run_now(client, tokens.cde_mm, source["id"])
    assert first["status"] == "succeeded", first
    assert first["inserted"] == 0 and first["unmapped"] > 0  # no market of the report is known
    review = (
        await client.get(f"/api/v1/sources/{source['id']}/unmapped", headers=tokens.cde_mm)
    ).json()
    names = {(n["kind"], n["name"]) for n in review}
    assert {("market", "Kawkareik"), ("market", "Loikaw"), ("market", "Taungoo")} <= names
    assert ("unit", "1 viss") not in names  # viss is in the catalogue under that name

    kawkareik = next(n for n in review if n["name"] == "Kawkareik")
    rice = next(n for n in review if n["name"] == "Better Rice")
    for entry in (kawkareik, rice):
        created = await client.post(
            f"/api/v1/sources/{source['id']}/unmapped/{entry['id']}",
            headers=tokens.cde_mm,
            json={"create": True},
        )
        assert created.status_code == 200, created.text
    second = await run_now(client, tokens.cde_mm, source["id"])
    # Better Rice (new) and Shrimp, which the catalogue already knows as fish, prawn.
    assert second["inserted"] == 2, second
    prices = (
        await client.get("/api/v1/prices", headers=tokens.cde_mm, params={"market": "kawkareik"})
    ).json()["items"]
    found = {
        (p["commodity"], p["variety"], p["unit"]): (Decimal(p["price"]), p["status"])
        for p in prices
    }
    assert found == {
        ("better-rice", None, "kg"): (Decimal(1500), "pending"),  # untrusted: a CDE publishes
        ("fish", "prawn", "viss"): (Decimal(12500), "pending"),
    }


async def test_an_html_price_table_chosen_by_its_caption(
    client: httpx.AsyncClient, tokens: Tokens, upstream: FakeUpstream
) -> None:
    page = (DATA / "trade_portal_prices.html").read_bytes()
    upstream.route("/prices.html", page, content_type="text/html")
    mapping = {
        "table": "Daily wholesale prices",
        "columns": {
            "market": "Market",
            "commodity": "Commodity",
            "unit": "Unit",
            "price": "Price (KHR)",
            "observed_on": "Date",
        },
        "defaults": {"currency": "KHR", "price_type": "wholesale"},
        "ignore": ["Province"],
    }
    source = await create_source(
        client,
        tokens.cde_kh,
        slug="kh-portal",
        name="Trade portal",
        kind="html_table",
        country="KH",
        url=f"{upstream.url}/prices.html",
        schedule="0 7 * * *",
        mapping=mapping,
    )
    run = await run_now(client, tokens.cde_kh, source["id"])
    # Four prices (the empty morning-glory cell is no price); nothing is in the catalogue yet.
    assert (run["status"], run["seen"], run["unmapped"], run["inserted"]) == ("succeeded", 4, 4, 0)
    review = (
        await client.get(f"/api/v1/sources/{source['id']}/unmapped", headers=tokens.cde_kh)
    ).json()
    rows = {(n["kind"], n["name"]): n["rows"] for n in review}
    assert rows[("market", "Phsar Doeum Kor")] == 2 and rows[("market", "Phsar Nat")] == 2
    assert rows[("commodity", "Rice (Phka Rumduol)")] == 2
    assert ("unit", "kg") not in rows and ("unit", "tonne") not in rows


async def test_a_source_is_checked_when_it_is_saved(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    base = {
        "slug": "t",
        "name": "T",
        "kind": "csv_url",
        "country": "MM",
        "url": "https://example.org/t.csv",
    }
    bad_cron = await client.post(
        "/api/v1/sources", headers=tokens.cde_mm, json={**base, "schedule": "every day"}
    )
    assert bad_cron.status_code == 422 and "cron" in bad_cron.json()["detail"]
    bad_mapping = await client.post(
        "/api/v1/sources",
        headers=tokens.cde_mm,
        json={
            **base,
            "schedule": "0 6 * * *",
            "mapping": {"columns": {"price": "P"}, "colums": {}},
        },
    )
    assert bad_mapping.status_code == 422 and "colums" in bad_mapping.json()["detail"]
    for kind, mapping, problem in (
        ("wfp_hdx", {"create_missing": ["markets"]}, "create_missing.0"),
        ("wfp_hdx", {"market_kind": "bazaar"}, "market_kind"),
        ("rss_leads", {"kind": "lease"}, "kind"),
        ("rss_leads", {"expires_days": 400}, "expires_days"),
    ):
        refused = await client.post(
            "/api/v1/sources",
            headers=tokens.cde_mm,
            json={**base, "kind": kind, "schedule": "0 6 * * *", "mapping": mapping},
        )
        assert refused.status_code == 422 and problem in refused.json()["detail"], refused.text
    elsewhere = await client.post(
        "/api/v1/sources",
        headers=tokens.cde_kh,
        json={**base, "kind": "wfp_hdx", "schedule": "0 6 * * *"},
    )
    assert elsewhere.status_code == 403
    viewer = await client.post(
        "/api/v1/sources",
        headers=tokens.viewer_mm,
        json={**base, "kind": "wfp_hdx", "schedule": "0 6 * * *"},
    )
    assert viewer.status_code == 403
    made = await client.post(
        "/api/v1/sources",
        headers=tokens.cde_mm,
        json={**base, "kind": "wfp_hdx", "schedule": "0 6 * * *"},
    )
    assert made.status_code == 201 and made.json()["next_run_at"] is not None
    twice = await client.post(
        "/api/v1/sources",
        headers=tokens.cde_mm,
        json={**base, "kind": "wfp_hdx", "schedule": "0 6 * * *"},
    )
    assert twice.status_code == 409
    source_id = made.json()["id"]
    off = await client.patch(
        f"/api/v1/sources/{source_id}", headers=tokens.cde_mm, json={"enabled": False}
    )
    assert off.status_code == 200 and off.json()["next_run_at"] is None
    gone = await client.delete(f"/api/v1/sources/{source_id}", headers=tokens.cde_mm)
    assert gone.status_code == 204


async def test_a_variety_column_names_the_catalogue_variety_or_waits_for_review(
    client: httpx.AsyncClient, tokens: Tokens, upstream: FakeUpstream
) -> None:
    day = (clock.today("Asia/Yangon") - dt.timedelta(days=2)).isoformat()
    upstream.route(
        "/muse.csv",
        "Date,Market,Product,Variety,Price (CNY/tonne)\n"
        f"{day},Muse,Mango,Sein Ta Lone,12600\n"
        f"{day},Muse,Mango,Mya Kyauk,9800\n",
    )
    source = await create_source(
        client,
        tokens.cde_mm,
        slug="muse-board",
        name="Muse board",
        kind="csv_url",
        country="MM",
        url=f"{upstream.url}/muse.csv",
        mapping=MUSE_BOARD_MAPPING,
        trusted=True,
    )
    first = await run_now(client, tokens.cde_mm, source["id"])
    assert (first["inserted"], first["unmapped"]) == (1, 1), first
    [name] = (
        await client.get(f"/api/v1/sources/{source['id']}/unmapped", headers=tokens.cde_mm)
    ).json()
    assert (name["kind"], name["name"], name["rows"]) == ("commodity", "Mango (Mya Kyauk)", 1)
    # The CDE decides Mya Kyauk is sold as plain mango here.
    mapped = await client.post(
        f"/api/v1/sources/{source['id']}/unmapped/{name['id']}",
        headers=tokens.cde_mm,
        json={"target": "mango"},
    )
    assert mapped.json()["mapped_to"] == "mango"
    second = await run_now(client, tokens.cde_mm, source["id"])
    assert (second["inserted"], second["unchanged"], second["unmapped"]) == (1, 1, 0), second
    latest = (
        await client.get(
            "/api/v1/prices/latest",
            headers=tokens.cde_mm,
            params={"commodity": "mango", "market": "muse"},
        )
    ).json()
    found = {(s["variety"], s["latest"]["price"]) for s in latest}
    assert found == {(None, "9800.0000"), ("sein-ta-lone", "12600.0000")}
