from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from app.accounts.actor import Actor
from app.accounts.models import ApiToken, Role
from app.accounts.service import create_token
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import InvalidInput

pytestmark = pytest.mark.usefixtures("seeded")


async def issue(
    database: Database, settings: Settings, name: str, role: Role, countries: list[str]
) -> str:
    async with database.session() as s:
        issued = await create_token(
            s,
            name=name,
            role=role,
            countries=countries,
            key=settings.secret_key.get_secret_value(),
            actor=Actor.system("test"),
        )
    return issued.token


async def test_only_a_hash_of_the_token_is_stored(database: Database, settings: Settings) -> None:
    token = await issue(database, settings, "ana", Role.ADMIN, [])
    assert token.startswith("mic_") and len(token) > 40
    async with database.session() as s:
        stored = (await s.exec(select(ApiToken))).one()
    assert token not in stored.token_hash
    assert stored.prefix == token[:12]


async def test_a_token_identifies_its_staff_member(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    token = await issue(database, settings, "thida", Role.CDE, ["mm"])
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"name": "thida", "role": "cde", "countries": ["MM"], "contact": None}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer mic_not-a-real-token"}, {"Authorization": "Basic abc"}],
)
async def test_missing_or_unknown_tokens_are_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


async def test_revoked_tokens_stop_working_at_once(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    admin = {"Authorization": f"Bearer {await issue(database, settings, 'ana', Role.ADMIN, [])}"}
    viewer_token = await issue(database, settings, "sok", Role.VIEWER, ["KH"])
    viewer = {"Authorization": f"Bearer {viewer_token}"}
    assert (await client.get("/api/v1/me", headers=viewer)).status_code == 200
    listed = (await client.get("/api/v1/tokens", headers=admin)).json()
    viewer_id = next(t["id"] for t in listed if t["name"] == "sok")
    revoked = await client.post(f"/api/v1/tokens/{viewer_id}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    response = await client.get("/api/v1/me", headers=viewer)
    assert response.status_code == 401
    assert response.json()["detail"] == "this token was revoked"


async def test_only_admins_manage_tokens(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    cde = {"Authorization": f"Bearer {await issue(database, settings, 'thida', Role.CDE, ['MM'])}"}
    assert (await client.get("/api/v1/tokens", headers=cde)).status_code == 403
    assert (await client.post("/api/v1/tokens/1/revoke", headers=cde)).status_code == 403


@pytest.mark.parametrize(
    ("role", "countries", "message"),
    [
        (Role.ADMIN, ["MM"], "admin sees every country"),
        (Role.CDE, [], "needs at least one --country"),
        (Role.VIEWER, ["TH"], "unknown country TH"),
    ],
)
async def test_token_scopes_are_checked(
    database: Database, settings: Settings, role: Role, countries: list[str], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        await issue(database, settings, "x", role, countries)


async def test_a_name_keeps_its_role(database: Database, settings: Settings) -> None:
    await issue(database, settings, "thida", Role.CDE, ["MM"])
    await issue(database, settings, "thida", Role.CDE, ["MM"])  # a second token is fine
    with pytest.raises(InvalidInput, match="already exists as cde"):
        await issue(database, settings, "thida", Role.ADMIN, [])


async def test_issuing_and_revoking_tokens_is_audited(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    admin = await issue(database, settings, "ana", Role.ADMIN, [])
    cde = await issue(database, settings, "thida", Role.CDE, ["MM"])
    headers = {"Authorization": f"Bearer {admin}"}
    listed = (await client.get("/api/v1/tokens", headers=headers)).json()
    cde_id = next(t["id"] for t in listed if t["name"] == "thida")

    revoked = await client.post(f"/api/v1/tokens/{cde_id}/revoke", headers=headers)
    again = await client.post(f"/api/v1/tokens/{cde_id}/revoke", headers=headers)
    assert revoked.status_code == again.status_code == 200

    page = await client.get("/api/v1/audit", headers=headers, params={"entity": "api_token"})
    entries = [(e["actor"], e["action"], e["entity_id"]) for e in page.json()["items"]]
    assert entries == [
        ("ana", "token.revoke", cde_id),
        ("test", "token.create", cde_id),
        ("test", "token.create", cde_id - 1),
    ]
    revoke = page.json()["items"][0]
    assert revoke["before"]["revoked_at"] is None and revoke["after"]["revoked_at"] is not None
    assert revoke["after"]["name"] == "thida" and revoke["after"]["countries"] == ["MM"]
    assert cde not in page.text and cde[12:] not in page.text  # only the listed prefix
    cde_headers = {"Authorization": f"Bearer {cde}"}
    assert (await client.get("/api/v1/audit", headers=cde_headers)).status_code == 401
