from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from app.accounts.models import AuditLog
from app.core import clock
from app.core.db import Database
from app.notices.models import Notice
from tests.alerts.conftest import follower
from tests.conftest import Tokens


def gate_closed(**overrides: Any) -> dict[str, Any]:
    body = {
        "texts": {"en": "Muse gate closed today.", "my": "မူဆယ္ ဂိတ္ ယေန႔ ပိတ္သည္။"},
        "countries": ["MM"],
        "commodities": ["mango"],
        "markets": ["muse"],
        "urgent": True,
    }
    return {**body, **overrides}


async def test_post_list_and_cancel(client: httpx.AsyncClient, tokens: Tokens) -> None:
    created = await client.post("/api/v1/notices", headers=tokens.cde_mm, json=gate_closed())
    assert created.status_code == 201, created.text
    notice = created.json()
    assert notice["status"] == "draft" and notice["urgent"] is True
    assert notice["texts"]["my"] == "မူဆယ် ဂိတ် ယနေ့ ပိတ်သည်။"  # Zawgyi stored as Unicode
    assert [
        n["id"]
        for n in (await client.get("/api/v1/notices", headers=tokens.viewer_mm)).json()["items"]
    ] == [notice["id"]]
    assert (await client.get("/api/v1/notices", headers=tokens.cde_kh)).json()["items"] == []
    cancelled = await client.post(f"/api/v1/notices/{notice['id']}/cancel", headers=tokens.cde_mm)
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancelled_by"] == "thida"
    assert (
        await client.post(f"/api/v1/notices/{notice['id']}/cancel", headers=tokens.cde_mm)
    ).status_code == 409


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"texts": {}}, 422, "at least one language"),
        ({"texts": {"fr": "Fermé"}}, 422, "unknown locale 'fr'"),
        ({"countries": []}, 422, "at least one target country"),
        ({"markets": ["siem-reap"]}, 422, "siem-reap is in KH, not in the target countries"),
        ({"countries": ["KH"], "markets": []}, 403, "country KH"),
        ({"send_at": "2020-01-01T00:00:00+06:30"}, 422, "is in the past"),
        ({"send_at": "2030-01-01T00:00:00"}, 422, "with its offset"),
    ],
)
async def test_bad_notices(
    client: httpx.AsyncClient, tokens: Tokens, overrides: dict[str, Any], status: int, message: str
) -> None:
    r = await client.post("/api/v1/notices", headers=tokens.cde_mm, json=gate_closed(**overrides))
    assert r.status_code == status and message in str(r.json()["detail"]), r.text


async def test_an_unsent_notice_is_rewritten_whole_and_checked_again(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    notice = (
        await client.post("/api/v1/notices", headers=tokens.cde_mm, json=gate_closed())
    ).json()
    url = f"/api/v1/notices/{notice['id']}"
    later = (clock.utcnow() + dt.timedelta(days=1)).isoformat()
    rewritten = await client.put(
        url, headers=tokens.cde_mm, json=gate_closed(texts={"en": "Open again."}, send_at=later)
    )
    assert rewritten.status_code == 200, rewritten.text
    assert rewritten.json()["texts"] == {"en": "Open again."}
    assert rewritten.json()["status"] == "scheduled"
    bad = await client.put(url, headers=tokens.cde_mm, json=gate_closed(texts={}))
    assert bad.status_code == 422
    assert (await client.put(url, headers=tokens.viewer_mm, json=gate_closed())).status_code == 403
    assert (await client.put(url, headers=tokens.cde_kh, json=gate_closed())).status_code == 403
    assert (await client.get(url, headers=tokens.cde_mm)).json()["texts"] == {"en": "Open again."}
    sent = await client.post(f"{url}/send", headers=tokens.cde_mm)
    assert sent.status_code == 200, sent.text
    late = await client.put(url, headers=tokens.cde_mm, json=gate_closed())
    assert late.status_code == 409 and "only unsent notices" in late.json()["detail"]
    async with database.read_session() as session:
        actions = (
            await session.exec(
                select(AuditLog.action).where(col(AuditLog.action).startswith("notice."))
            )
        ).all()
    assert list(actions) == ["notice.create", "notice.update", "notice.send"]


async def test_a_notice_not_yet_saved_is_previewed_with_its_missing_languages(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    await follower(database)  # reads English, follows mango at Muse
    burmese_only = gate_closed(texts={"my": "မူဆယ် ဂိတ် ယနေ့ ပိတ်သည်။"})
    preview = await client.post(
        "/api/v1/broadcasts/preview", headers=tokens.cde_mm, json={"notice": burmese_only}
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["recipients"] == 1 and body["already_sent"] is False
    assert body["untranslated"] == {"en": 1}
    assert body["texts"][0]["text"] == "မူဆယ် ဂိတ် ယနေ့ ပိတ်သည်။"  # the fallback, as it would go
    both = await client.post(
        "/api/v1/broadcasts/preview", headers=tokens.cde_mm, json={"notice": gate_closed()}
    )
    assert both.json()["untranslated"] == {}
    refused = await client.post(
        "/api/v1/broadcasts/preview",
        headers=tokens.cde_kh,
        json={"notice": gate_closed(markets=[])},
    )
    assert refused.status_code == 403
    two = await client.post(
        "/api/v1/broadcasts/preview",
        headers=tokens.cde_mm,
        json={"notice": gate_closed(), "notice_id": 1},
    )
    assert two.status_code == 422
    async with database.read_session() as session:
        assert (await session.exec(select(Notice))).all() == []  # nothing written
