from __future__ import annotations

from typing import Any

import httpx
import pytest

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
