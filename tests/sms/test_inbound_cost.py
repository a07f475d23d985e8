"""What one inbound SMS costs the server: the webhook is matched before the API's routes, so a
gateway's storm of questions is not compared with every /api/v1 route first."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from tests.sms.test_inbound_stored_first import busy_settings, sms, sms_app
from tests.sms.test_sms_webhooks import mo

__all__ = ["busy_settings", "sms", "sms_app"]


async def test_an_inbound_sms_is_matched_without_trying_the_api_routes(
    sms: httpx.AsyncClient, seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    tried: list[str] = []
    real_matches = APIRoute.matches

    def counted(route: APIRoute, scope: Any) -> Any:
        tried.append(route.endpoint.__module__)
        return real_matches(route, scope)

    monkeypatch.setattr(APIRoute, "matches", counted)
    answered = await mo(sms, "959250000001", "mango muse", msg_id="cost-1")
    assert answered.status_code == 200
    assert "bots.sms.webhook" in tried
    # The admin API's routes live in the domains' api modules (app.prices.api, ...).
    assert not [module for module in tried if module.endswith(".api")]
