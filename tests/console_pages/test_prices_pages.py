"""The price review pages over HTTP: the queue and its filters, a price's page with its alert
preview, publishing and rejecting one or several, the CSV export, and every bad input."""

from __future__ import annotations

import asyncio
import csv
import io
import re

import httpx

from app.core.db import Database
from tests.alerts.conftest import register
from tests.conftest import Tokens
from tests.console_pages.conftest import Browser, csrf_of
from tests.today.test_today import post, price_body


async def pending(client: httpx.AsyncClient, tokens: Tokens, country: str, value: str) -> int:
    headers = tokens.cde_mm if country == "MM" else tokens.cde_kh
    created = await post(client, headers, "/api/v1/prices", price_body(country, value))
    price_id: int = created["id"]
    return price_id


async def history(client: httpx.AsyncClient, tokens: Tokens) -> None:
    for value in ("12000", "12300", "11900", "12100", "12400"):
        await post(client, tokens.admin, "/api/v1/prices", price_body("MM", value, publish=True))


def ids_on(page: httpx.Response) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="price-(\d+)"', page.text)]


async def test_the_queue_lists_pending_prices_of_the_readers_countries_with_filters(
    client: httpx.AsyncClient, tokens: Tokens, browser: Browser
) -> None:
    await history(client, tokens)
    mm_ids = [await pending(client, tokens, "MM", v) for v in ("12150", "40000")]
    kh_id = await pending(client, tokens, "KH", "151000")
    thida = await browser("thida")

    queue = await thida.get("/console/prices")
    assert queue.status_code == 200, queue.text
    assert ids_on(queue) == sorted(mm_ids, reverse=True)  # pending only, MM only, newest first
    for field in ("f-country", "f-market", "f-commodity", "f-status", "f-source", "f-from"):
        assert f'<label for="{field}">' in queue.text and f'id="{field}"' in queue.text
    badge = queue.text.split(f'id="outlier-{mm_ids[1]}"')[1].split("</span>")[0]
    assert "median 12,100 of 5 prices" in badge
    assert f'id="outlier-{mm_ids[0]}"' not in queue.text

    everything = await thida.get("/console/prices?status=&country=MM")
    assert len(ids_on(everything)) == 7
    none = await thida.get("/console/prices?status=pending&source=sms")
    assert ids_on(none) == [] and "No prices match these filters." in none.text
    dated = await thida.get("/console/prices?status=&from=2000-01-01&to=2000-01-31")
    assert ids_on(dated) == []
    paged = await thida.get("/console/prices?status=&cursor=" + str(mm_ids[1]))
    assert mm_ids[1] not in ids_on(paged) and mm_ids[0] in ids_on(paged)
    assert 'id="first-page"' in paged.text

    admin = await (await browser("ana")).get("/console/prices?country=KH")
    assert ids_on(admin) == [kh_id]
    other = await thida.get("/console/prices?country=KH")
    assert other.status_code == 403 and "<html" in other.text


async def test_bad_filters_show_the_form_again_with_a_message(
    client: httpx.AsyncClient, tokens: Tokens, browser: Browser
) -> None:
    await pending(client, tokens, "MM", "12000")
    thida = await browser("thida")
    for query in (
        "status=maybe",
        "from=yesterday",
        "reports=perhaps",
        "market=atlantis",
        "cursor=-4",
    ):
        page = await thida.get(f"/console/prices?{query}")
        assert page.status_code == 422, query
        assert 'id="form-error"' in page.text and 'id="filters"' in page.text
        assert ids_on(page) == []


async def test_a_price_page_shows_the_alert_it_will_trigger(
    client: httpx.AsyncClient, tokens: Tokens, browser: Browser
) -> None:
    await register(client, tokens, name="A", locale="my", phone="+959250000111")
    await register(client, tokens, name="B", locale="vi", telegram=11101)
    price_id = await pending(client, tokens, "MM", "12000")
    api = await client.get(f"/api/v1/prices/{price_id}/alert-preview", headers=tokens.cde_mm)
    preview = api.json()
    page = await (await browser("thida")).get(f"/console/prices/{price_id}")
    assert page.status_code == 200, page.text
    assert 'id="alert-preview"' in page.text
    assert '<dd id="preview-recipients">2</dd>' in page.text
    assert '<dd id="preview-sms">1</dd>' in page.text
    assert '<dd id="preview-telegram">1</dd>' in page.text
    assert f'<dd id="preview-segments">{preview["sms_segments"]}</dd>' in page.text
    burmese = next(t for t in preview["texts"] if t["locale"] == "my")
    assert burmese["text"] in page.text.replace("&#39;", "'")
    assert 'id="publish-form"' in page.text and 'id="reject-form"' in page.text
    viewer = await (await browser("min")).get(f"/console/prices/{price_id}")
    assert viewer.status_code == 200 and 'id="alert-preview"' in viewer.text
    assert 'id="publish-form"' not in viewer.text


async def test_publish_and_reject_from_a_price_page(
    client: httpx.AsyncClient, tokens: Tokens, browser: Browser, database: Database
) -> None:
    await history(client, tokens)
    plain = await pending(client, tokens, "MM", "12150")
    outlier = await pending(client, tokens, "MM", "40000")
    thida = await browser("thida")
    page = await thida.get(f"/console/prices/{plain}")
    token = csrf_of(page)

    published = await thida.post(f"/console/prices/{plain}/publish", data={"csrf_token": token})
    assert published.status_code == 303
    assert published.headers["location"] == f"/console/prices/{plain}?done=published"
    after = await client.get(f"/api/v1/prices/{plain}", headers=tokens.cde_mm)
    assert after.json()["status"] == "published" and after.json()["reviewed_by"] == "thida"
    audit = await client.get(f"/api/v1/prices/{plain}/history", headers=tokens.cde_mm)
    assert audit.json()[0]["action"] == "price.publish"

    again = await thida.post(f"/console/prices/{plain}/publish", data={"csrf_token": token})
    assert again.status_code == 409 and "Already decided" in again.text

    refused = await thida.post(f"/console/prices/{outlier}/publish", data={"csrf_token": token})
    assert refused.status_code == 422 and 'id="confirm-outlier"' in refused.text
    assert "median" in refused.text
    status = await client.get(f"/api/v1/prices/{outlier}", headers=tokens.cde_mm)
    assert status.json()["status"] == "pending"
    confirmed = await thida.post(
        f"/console/prices/{outlier}/publish",
        data={"csrf_token": token, "confirm_outlier": "yes"},
    )
    assert confirmed.status_code == 303

    withdrawn = await thida.post(
        f"/console/prices/{outlier}/reject", data={"csrf_token": token, "reason": "typo"}
    )
    assert withdrawn.status_code == 303
    found = await client.get(f"/api/v1/prices/{outlier}", headers=tokens.cde_mm)
    assert (found.json()["status"], found.json()["reject_reason"]) == ("rejected", "typo")


async def test_a_reject_without_a_reason_shows_the_form_again(
    client: httpx.AsyncClient, tokens: Tokens, browser: Browser
) -> None:
    price_id = await pending(client, tokens, "MM", "12000")
    thida = await browser("thida")
    token = csrf_of(await thida.get(f"/console/prices/{price_id}"))
    for reason in ("", "   ", "x" * 600):
        page = await thida.post(
            f"/console/prices/{price_id}/reject", data={"csrf_token": token, "reason": reason}
        )
        assert page.status_code == 422, reason[:10]
        assert 'id="form-error"' in page.text and 'id="reject-form"' in page.text
    still = await client.get(f"/api/v1/prices/{price_id}", headers=tokens.cde_mm)
    assert still.json()["status"] == "pending"


async def test_other_countries_missing_prices_viewers_and_stale_forms(
    client: httpx.AsyncClient, tokens: Tokens, browser: Browser
) -> None:
    kh_id = await pending(client, tokens, "KH", "151000")
    mm_id = await pending(client, tokens, "MM", "12000")
    thida = await browser("thida")
    token = csrf_of(await thida.get(f"/console/prices/{mm_id}"))
    outside = await thida.get(f"/console/prices/{kh_id}")
    assert outside.status_code == 403 and "<html" in outside.text and "KH" in outside.text
    publish_kh = await thida.post(f"/console/prices/{kh_id}/publish", data={"csrf_token": token})
    assert publish_kh.status_code == 403
    assert (await thida.get("/console/prices/99999999")).status_code == 404
    assert (await thida.get("/console/prices/abc")).status_code == 422
    no_token = await thida.post(f"/console/prices/{mm_id}/publish", data={})
    assert no_token.status_code == 403 and "expired" in no_token.text
    viewer = await browser("min")
    viewer_token = csrf_of(await viewer.get(f"/console/prices/{mm_id}"))
    refused = await viewer.post(
        f"/console/prices/{mm_id}/publish", data={"csrf_token": viewer_token}
    )
    assert refused.status_code == 403
    for price_id in (kh_id, mm_id):
        found = await client.get(f"/api/v1/prices/{price_id}", headers=tokens.admin)
        assert found.json()["status"] == "pending"


async def test_two_tabs_publishing_one_price_give_one_publication_and_a_message(
    client: httpx.AsyncClient, tokens: Tokens, browser: Browser
) -> None:
    price_id = await pending(client, tokens, "MM", "12000")
    thida = await browser("thida")
    token = csrf_of(await thida.get(f"/console/prices/{price_id}"))
    answers = await asyncio.gather(
        *(
            thida.post(f"/console/prices/{price_id}/publish", data={"csrf_token": token})
            for _ in range(2)
        )
    )
    assert sorted(a.status_code for a in answers) == [303, 409]
    assert "Already decided" in next(a for a in answers if a.status_code == 409).text
    broadcasts = await client.get(f"/api/v1/broadcasts?price={price_id}", headers=tokens.admin)
    assert len(broadcasts.json()["items"]) == 1


async def test_several_prices_at_once(
    client: httpx.AsyncClient, tokens: Tokens, browser: Browser
) -> None:
    await history(client, tokens)
    good = await pending(client, tokens, "MM", "12150")
    outlier = await pending(client, tokens, "MM", "40000")
    kh_id = await pending(client, tokens, "KH", "151000")
    thida = await browser("thida")
    queue = await thida.get("/console/prices")
    token = csrf_of(queue)
    back = "/console/prices?status=pending"
    done = await thida.post(
        "/console/prices/review",
        data={
            "csrf_token": token,
            "decision": "publish",
            "ids": [str(good), str(outlier), str(kh_id)],
            "back": back,
        },
    )
    assert done.status_code == 200, done.text
    outcomes = done.text.split('id="outcomes"')[1].split("</section>")[0]
    assert f'id="outcome-{good}"' in outcomes and "done" in outcomes.split(f"outcome-{good}")[1]
    assert "median" in outcomes.split(f"outcome-{outlier}")[1]
    assert "outside your countries" in outcomes.split(f"outcome-{kh_id}")[1]
    assert ids_on(done) == [outlier]  # the queue again: what is left pending in MM

    missing_reason = await thida.post(
        "/console/prices/review",
        data={"csrf_token": token, "decision": "reject", "ids": [str(outlier)], "back": back},
    )
    assert missing_reason.status_code == 422 and 'id="form-error"' in missing_reason.text
    assert f'id="select-{outlier}" checked' in missing_reason.text  # the selection is kept
    nothing = await thida.post(
        "/console/prices/review",
        data={"csrf_token": token, "decision": "reject", "reason": "x", "back": back},
    )
    assert nothing.status_code == 422 and "Select at least one price." in nothing.text
    odd = await thida.post(
        "/console/prices/review",
        data={"csrf_token": token, "decision": "sell", "ids": [str(outlier)], "back": back},
    )
    assert odd.status_code == 422
    rejected = await thida.post(
        "/console/prices/review",
        data={
            "csrf_token": token,
            "decision": "reject",
            "reason": "viss read as kg",
            "ids": [str(outlier)],
            "back": "https://evil.example/console/prices",
        },
    )
    assert rejected.status_code == 200 and ids_on(rejected) == []
    found = await client.get(f"/api/v1/prices/{outlier}", headers=tokens.cde_mm)
    assert found.json()["reject_reason"] == "viss read as kg"


async def test_the_filtered_list_as_csv(
    client: httpx.AsyncClient, tokens: Tokens, browser: Browser
) -> None:
    await pending(client, tokens, "MM", "12000")
    await pending(client, tokens, "KH", "151000")
    thida = await browser("thida")
    queue = await thida.get("/console/prices?status=pending")
    assert 'href="/console/prices.csv?status=pending"' in queue.text
    exported = await thida.get("/console/prices.csv?status=pending")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [(r["country"], r["status"]) for r in rows] == [("MM", "pending")]
    assert (await thida.get("/console/prices.csv?country=KH")).status_code == 403
    assert (await thida.get("/console/prices.csv?from=soon")).status_code == 422
