"""A WFP source end to end through the API: discovery through CKAN, import, the review of an
unmapped market, idempotence, an upstream correction, and the latest price read back."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal

import httpx
from fastapi import FastAPI

from app.core import clock
from app.core.db import Database
from app.sources.models import JobRun, RunStatus, RunTrigger
from tests.conftest import Tokens
from tests.fakes.upstream import FakeUpstream
from tests.sources.conftest import DATA, create_source, run_now, wfp_rows

SAMPLE = "wfp_food_prices_mmr_sample.csv"


def ckan_answer(upstream: FakeUpstream, stamp: str) -> str:
    return json.dumps(
        {
            "success": True,
            "result": {
                "name": "wfp-food-prices-for-myanmar",
                "resources": [
                    {
                        "name": "wfp_food_prices_mmr.csv",
                        "format": "CSV",
                        "url": f"{upstream.url}/dataset/wfp_food_prices_mmr.csv",
                        "last_modified": stamp,
                    },
                    {
                        "name": "wfp_markets_mmr.csv",
                        "format": "CSV",
                        "url": f"{upstream.url}/dataset/wfp_markets_mmr.csv",
                        "last_modified": stamp,
                    },
                ],
            },
        }
    )


async def test_wfp_source_imports_reviews_and_stays_idempotent(
    client: httpx.AsyncClient, tokens: Tokens, upstream: FakeUpstream
) -> None:
    content = (DATA / SAMPLE).read_bytes()
    upstream.route(
        "/api/3/action/package_show",
        ckan_answer(upstream, "2022-06-01T10:00:00"),
        content_type="application/json",
    )
    upstream.route("/dataset/wfp_food_prices_mmr.csv", content)
    source = await create_source(
        client,
        tokens.cde_mm,
        slug="wfp-mm",
        name="WFP food prices, Myanmar",
        kind="wfp_hdx",
        country="MM",
        url=f"{upstream.url}/api/3/action/package_show?id=wfp-food-prices-for-myanmar",
        mapping={"create_missing": ["commodity", "unit"]},
        trusted=True,
    )
    rows = wfp_rows(SAMPLE)
    at_muse = [r for r in rows if r["market"] == "Muse"]
    elsewhere = Counter(r["market"] for r in rows if r["market"] != "Muse")

    first = await run_now(client, tokens.cde_mm, source["id"])
    assert first["status"] == "succeeded", first
    assert (first["seen"], first["inserted"], first["unmapped"]) == (
        len(rows),
        len(at_muse),
        sum(elsewhere.values()),
    )

    latest = await client.get(
        "/api/v1/prices/latest",
        headers=tokens.viewer_mm,
        params={"commodity": "Rice (low quality)", "market": "muse"},
    )
    assert latest.status_code == 200, latest.text
    rice = [r for r in at_muse if r["commodity"] == "Rice (low quality)"]
    newest = max(rice, key=lambda r: r["date"])
    [series] = latest.json()
    assert series["latest"]["observed_on"] == newest["date"]
    assert Decimal(series["latest"]["price"]) == Decimal(newest["price"])
    assert series["latest"]["status"] == "published" and series["latest"]["source"] == "wfp-mm"

    # The review list: every other market, with the rows it holds back and where it is.
    review = (
        await client.get(f"/api/v1/sources/{source['id']}/unmapped", headers=tokens.cde_mm)
    ).json()
    markets = {n["name"]: n for n in review if n["kind"] == "market"}
    assert {name: n["rows"] for name, n in markets.items()} == dict(elsewhere)
    lashio = markets["Lashio Market"]
    assert lashio["info"]["admin1"] == "Shan (North)"

    # A CDE of another country may not map it; the Myanmar CDE maps it once.
    path = f"/api/v1/sources/{source['id']}/unmapped/{lashio['id']}"
    assert (
        await client.post(path, headers=tokens.cde_kh, json={"create": True})
    ).status_code == 403
    mapped = await client.post(path, headers=tokens.cde_mm, json={"create": True})
    assert mapped.status_code == 200, mapped.text
    assert mapped.json()["mapped_to"] == "lashio-market"

    # The next run: the dataset has not changed (no download), but the held rows go in.
    second = await run_now(client, tokens.cde_mm, source["id"])
    assert second["status"] == "succeeded", second
    assert second["inserted"] == elsewhere["Lashio Market"]
    assert second["unmapped"] == sum(elsewhere.values()) - elsewhere["Lashio Market"]
    assert upstream.hits("/dataset/wfp_food_prices_mmr.csv") == 1
    lashio_prices = await client.get(
        "/api/v1/prices", headers=tokens.cde_mm, params={"market": "lashio-market", "limit": 200}
    )
    assert len(lashio_prices.json()["items"]) == elsewhere["Lashio Market"]

    # Nothing new: skipped, nothing inserted.
    third = await run_now(client, tokens.cde_mm, source["id"])
    assert (third["status"], third["inserted"], third["updated"]) == ("skipped", 0, 0)

    # WFP corrects one Muse price: the dataset changes, the price is updated and audited.
    target = newest
    old_line = ",".join([target["date"], target["admin1"], target["admin2"], target["market"]])
    lines = content.decode().splitlines(keepends=True)
    [index] = [
        i
        for i, line in enumerate(lines)
        if line.startswith(old_line) and ",Rice (low quality)," in line
    ]
    cells = lines[index].rstrip("\r\n").split(",")
    cells[12] = str(Decimal(target["price"]) + 10)
    lines[index] = ",".join(cells) + "\n"
    upstream.route(
        "/api/3/action/package_show",
        ckan_answer(upstream, "2022-07-01T10:00:00"),
        content_type="application/json",
    )
    upstream.route("/dataset/wfp_food_prices_mmr.csv", "".join(lines))
    fourth = await run_now(client, tokens.cde_mm, source["id"])
    assert (fourth["status"], fourth["inserted"], fourth["updated"]) == ("succeeded", 0, 1), fourth
    price_id = series["latest"]["id"]
    price = (await client.get(f"/api/v1/prices/{price_id}", headers=tokens.cde_mm)).json()
    assert Decimal(price["price"]) == Decimal(target["price"]) + 10
    history = (await client.get(f"/api/v1/prices/{price_id}/history", headers=tokens.cde_mm)).json()
    assert [h["action"] for h in history if h["action"] == "price.correct"] == ["price.correct"]

    runs = (
        await client.get(
            "/api/v1/job-runs", headers=tokens.cde_mm, params={"source_id": source["id"]}
        )
    ).json()
    assert [r["status"] for r in runs["items"]] == [
        "succeeded",
        "skipped",
        "succeeded",
        "succeeded",
    ]
    # Another country's CDE sees none of it.
    assert (
        await client.get(f"/api/v1/sources/{source['id']}", headers=tokens.cde_kh)
    ).status_code == 403


async def test_a_second_run_while_one_is_going_on_is_refused(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, upstream: FakeUpstream
) -> None:
    upstream.hang("/slow.csv")
    source = await create_source(
        client,
        tokens.cde_mm,
        slug="slow",
        name="Slow portal",
        kind="wfp_hdx",
        country="MM",
        url=f"{upstream.url}/slow.csv",
    )
    started = await client.post(f"/api/v1/sources/{source['id']}/run", headers=tokens.cde_mm)
    assert started.status_code == 202
    again = await client.post(f"/api/v1/sources/{source['id']}/run", headers=tokens.cde_mm)
    assert again.status_code == 409
    assert "already running" in again.json()["detail"]
    # The process stops while the run waits on the server: the run says so, it is not left
    # "running" for the next one to wait on.
    await app.state.source_runner.close()
    run = (
        await client.get(f"/api/v1/job-runs/{started.json()['id']}", headers=tokens.cde_mm)
    ).json()
    assert run["status"] == "failed" and "shut down" in run["error"]


async def test_a_run_whose_process_died_no_longer_blocks_its_source(
    client: httpx.AsyncClient, tokens: Tokens, upstream: FakeUpstream, database: Database
) -> None:
    upstream.route("/f.csv", (DATA / SAMPLE).read_bytes())
    source = await create_source(
        client,
        tokens.cde_mm,
        slug="mirror",
        name="Mirror",
        kind="wfp_hdx",
        country="MM",
        url=f"{upstream.url}/f.csv",
        mapping={"create_missing": ["market", "commodity", "unit"]},
    )
    long_ago = clock.utcnow() - dt.timedelta(minutes=5)
    async with database.session() as session:
        dead = JobRun(
            job=f"source:{source['id']}",
            source_id=source["id"],
            country_code="MM",
            trigger=RunTrigger.SCHEDULE,
            status=RunStatus.RUNNING,
            runner="gone:1",
            started_at=long_ago,
            heartbeat_at=long_ago,
        )
        session.add(dead)
        await session.commit()
    run = await run_now(client, tokens.cde_mm, source["id"])
    assert (run["status"], run["inserted"]) == ("succeeded", 317)
    old = (await client.get(f"/api/v1/job-runs/{dead.id}", headers=tokens.cde_mm)).json()
    assert old["status"] == "abandoned" and "stopped before it finished" in old["error"]


async def test_a_cde_correction_survives_the_next_run_an_upstream_one_wins(
    client: httpx.AsyncClient, tokens: Tokens, upstream: FakeUpstream
) -> None:
    content = (DATA / SAMPLE).read_bytes()
    upstream.route("/f.csv", content)  # no ETag: every run reads and compares every row
    source = await create_source(
        client,
        tokens.cde_mm,
        slug="mirror",
        name="Mirror",
        kind="wfp_hdx",
        country="MM",
        url=f"{upstream.url}/f.csv",
        mapping={"create_missing": ["market", "commodity", "unit"]},
        trusted=True,
    )
    assert (await run_now(client, tokens.cde_mm, source["id"]))["inserted"] == 317
    [series] = (
        await client.get(
            "/api/v1/prices/latest",
            headers=tokens.cde_mm,
            params={"commodity": "Rice (low quality)", "market": "muse"},
        )
    ).json()
    price_id, imported = series["latest"]["id"], Decimal(series["latest"]["price"])
    fixed = await client.patch(
        f"/api/v1/prices/{price_id}",
        headers=tokens.cde_mm,
        json={"price": str(imported + 5), "note": "checked with the market committee"},
    )
    assert fixed.status_code == 200, fixed.text

    again = await run_now(client, tokens.cde_mm, source["id"])
    assert (again["unchanged"], again["updated"]) == (317, 0)
    price = (await client.get(f"/api/v1/prices/{price_id}", headers=tokens.cde_mm)).json()
    assert Decimal(price["price"]) == imported + 5  # the CDE's value stands

    line = next(
        i
        for i, text in enumerate(content.decode().splitlines(keepends=True))
        if text.startswith(series["latest"]["observed_on"])
        and ",Muse," in text
        and ",Rice (low quality)," in text
    )
    lines = content.decode().splitlines(keepends=True)
    cells = lines[line].rstrip("\r\n").split(",")
    cells[12] = str(imported + 20)
    lines[line] = ",".join(cells) + "\n"
    upstream.route("/f.csv", "".join(lines))
    third = await run_now(client, tokens.cde_mm, source["id"])
    assert (third["unchanged"], third["updated"]) == (316, 1)
    price = (await client.get(f"/api/v1/prices/{price_id}", headers=tokens.cde_mm)).json()
    assert Decimal(price["price"]) == imported + 20  # WFP corrected it: the new value wins
