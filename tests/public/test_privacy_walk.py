"""The privacy walk: every public route, asked everything it can be asked, over a database full of
what must never come out (pending and rejected prices, leads and their contacts, producers and
their phones and chats, staff, draft notices, inbound messages), finds none of it.

Public routes are found in the app itself, so a route added later is walked too; one whose path
or required query parameters the walk cannot fill fails the test until it is taught how. Every
text the database must keep to itself carries the marker `zqxleak`; every number is one that appears
nowhere else. Bodies are searched as text and as bytes (PNGs, fonts), after turning Burmese, Khmer
and Lao digits into 0-9 and dropping the separators between digits, so that 4,817,263 and
၄,၈၁၇,၂၆၃ are found as 4817263; headers are searched too."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import RouteContext, iter_route_contexts
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.accounts.service import create_token
from app.accounts.users import create_user
from app.catalogue.service import load_index
from app.commands.models import InboundMessage
from app.core.config import Settings
from app.core.db import Database
from app.core.i18n import LOCALES
from app.main import create_app
from app.prices.models import PriceStatus, PriceType
from tests.conftest import ENGINE
from tests.public.prices import add_prices, yesterday

pytestmark = pytest.mark.usefixtures("seeded")

# What is not public: the staff's API, the console, the gateways' webhooks, metrics, the docs UI.
PRIVATE_PREFIXES = ("/api/v1", "/console", "/webhooks", "/metrics", "/docs")
COUNTRIES = ("MM", "KH", "LA", "VN")
TEXT_MARKER = "zqxleak"
# What the walk must see, or it proves nothing: a published price, the sent notices.
PUBLIC_MARKERS = ("152000", "muse gate closed today.", "phnom srok silk fair on sunday.")
# Numbers that only the private rows hold: phones and chats, lead contacts, unpublished prices.
NUMBER_MARKERS = {
    "9250771234": "a producer's phone",
    "7712340987": "a producer's Telegram chat",
    "85512771235": "a producer's phone",
    "9250771299": "an inbound message's sender",
    "866927712345": "a lead's contact",
    "866927712346": "a verified lead's contact",
    "4817263": "a pending price",
    "5928374": "a rejected price",
    "6039485": "a withdrawn price",
    "3719264": "a field report waiting for review",
}
_NATIVE_DIGITS = str.maketrans(
    "".join(chr(base + n) for base in (0x1040, 0x17E0, 0x0ED0) for n in range(10)),
    "0123456789" * 3,
)
_BETWEEN_DIGITS = re.compile(r"(?<=\d)[,.'\u00a0\u202f\u066c ](?=\d)")
_PATH_PARAMETER = re.compile(r"{(\w+)(?::(\w+))?}")


@dataclass
class Seeded:
    """What the walk fills paths and queries with."""

    ids: list[int]
    markets: list[str]
    commodities: list[str]
    varieties: list[str]
    static: dict[str, list[str]] = field(default_factory=dict)


async def _api(client: httpx.AsyncClient, admin: dict[str, str], path: str, body: Any) -> Any:
    response = await client.post(f"/api/v1{path}", headers=admin, json=body)
    assert response.status_code in (200, 201), (path, response.text)
    return response.json()


async def _fill_the_database(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> list[int]:
    """Everything that must stay private, and some published prices and sent notices, made
    through the same services and API the staff use. Returns the ids of every row."""
    ids: set[int] = set()
    async with database.session() as session:
        issued = await create_token(
            session,
            name="zqxleakadmin",
            role=Role.ADMIN,
            countries=[],
            key=settings.secret_key.get_secret_value(),
            actor=Actor.system("test"),
        )
        for name, role, countries in (
            ("zqxleakcde", Role.CDE, ["MM"]),
            ("zqxleakviewer", Role.VIEWER, ["KH"]),
        ):
            await create_user(
                session,
                name=name,
                role=role,
                countries=countries,
                locale="en",
                password=None,
                actor=Actor.system("test"),
            )
    admin = {"Authorization": f"Bearer {issued.token}"}

    farmers = [
        await _api(client, admin, "/producers", body)
        for body in (
            {
                "name": "Zqxleak Daw Hla",
                "country": "MM",
                "locale": "my",
                "phone": "09 250 771 234",
                "telegram_chat_id": 7712340987,
                "kind": "farmer",
                "consent": {"channel": "paper"},
            },
            {
                "name": "Zqxleak Sokha",
                "country": "KH",
                "locale": "km",
                "phone": "+855 12 771 235",
                "kind": "farmer",
                "consent": {"channel": "paper"},
            },
        )
    ]
    ids.update(f["id"] for f in farmers)
    await _api(
        client, admin, f"/producers/{farmers[0]['id']}/subscriptions", {"commodity": "mango"}
    )

    day = yesterday().isoformat()
    muse = {
        "commodity": "mango",
        "variety": "sein-ta-lone",
        "market": "muse",
        "currency": "CNY",
        "unit": "tonne",
        "price_type": "border",
        "observed_on": day,
        "note": "zqxleak note a CDE wrote",
    }
    published = [
        await _api(client, admin, "/prices", muse | {"price": "12600", "publish": True}),
        await _api(
            client,
            admin,
            "/prices",
            muse
            | {
                "market": "phnom-srok",
                "commodity": "silk",
                "variety": None,
                "currency": "KHR",
                "unit": "kg",
                "price_type": "wholesale",
                "price": "152000",
                "publish": True,
            },
        ),
    ]
    pending = await _api(client, admin, "/prices", muse | {"price": "4817263"})
    rejected = await _api(client, admin, "/prices", muse | {"price": "5928374"})
    await _api(client, admin, f"/prices/{rejected['id']}/reject", {"reason": "zqxleak typo"})
    withdrawn = await _api(
        client,
        admin,
        "/prices",
        muse | {"price": "6039485", "publish": True, "confirm_outlier": True},
    )
    await _api(client, admin, f"/prices/{withdrawn['id']}/reject", {"reason": "zqxleak withdrawn"})
    ids.update(p["id"] for p in (*published, pending, rejected, withdrawn))
    ids.update(
        await add_prices(
            database,
            {
                "price": Decimal("3719264"),
                "status": PriceStatus.PENDING,
                "source": "sms",
                "created_by": f"producer:{farmers[0]['id']}",
            },
        )
    )

    lead = {
        "kind": "buy",
        "commodity": "mango",
        "quantity": "20",
        "unit": "tonne",
        "price": "11800",
        "currency": "CNY",
        "destination": "zqxleak Ruili warehouse",
        "buyer_name": "Zqxleak Fruit Trading Co.",
        "contact": "+86 692 771 2345",
        "country": "MM",
    }
    leads = [
        await _api(client, admin, "/leads", lead),
        await _api(client, admin, "/leads", lead | {"contact": "+86 692 771 2346"}),
        await _api(client, admin, "/leads", lead | {"kind": "sell"}),
    ]
    await _api(client, admin, f"/leads/{leads[1]['id']}/verify", None)
    await _api(client, admin, f"/leads/{leads[2]['id']}/reject", {"reason": "zqxleak spam"})
    ids.update(lead["id"] for lead in leads)

    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
    notices = [
        await _api(client, admin, "/notices", {"texts": {"en": text}, "countries": list(where)})
        | {"send": send}
        for text, where, send in (
            ("Muse gate closed today.", ["MM"], True),
            ("Phnom Srok silk fair on Sunday.", ["KH", "LA"], True),
            ("zqxleak draft nobody approved", ["MM"], False),
            ("zqxleak cancelled before it went", ["MM", "KH"], False),
        )
    ]
    notices.append(
        await _api(
            client,
            admin,
            "/notices",
            {"texts": {"my": "zqxleak scheduled"}, "countries": ["MM"], "send_at": later},
        )
    )
    for notice in notices:
        if notice.get("send"):
            await _api(client, admin, f"/notices/{notice['id']}/send", None)
    await _api(client, admin, f"/notices/{notices[3]['id']}/cancel", None)
    ids.update(n["id"] for n in notices)

    source = await _api(
        client,
        admin,
        "/sources",
        {
            "slug": "buyer-feed",
            "name": "Buyer feed",
            "kind": "rss_leads",
            "country": "MM",
            "url": "https://zqxleak-private-portal.invalid/leads.xml",
            "schedule": "0 6 * * *",
        },
    )
    ids.add(source["id"])

    async with database.session() as session:
        message = InboundMessage(
            urn="tel:+959250771299", channel="sms", text="zqxleak how much is mango at Muse?"
        )
        session.add(message)
        await session.flush()
        ids.add(message.id or 0)
    return sorted(ids)


def _query_parameters(dependant: Dependant) -> Iterator[tuple[str, bool]]:
    for parameter in dependant.query_params:
        yield parameter.alias, parameter.field_info.is_required()
    for sub in dependant.dependencies:
        yield from _query_parameters(sub)


def _static_files(app: StaticFiles) -> list[str]:
    return sorted(
        path.relative_to(directory).as_posix()
        for directory in map(Path, app.all_directories)
        for path in directory.rglob("*")
        if path.is_file()
    )


def public_routes(app: FastAPI) -> list[RouteContext]:
    found = []
    for route in iter_route_contexts(app.routes):
        path = route.path
        if path is None or any(path == p or path.startswith(p + "/") for p in PRIVATE_PREFIXES):
            continue
        found.append(route)
    return found


def _path_values(name: str, route: RouteContext, seeded: Seeded) -> list[str]:
    """What a path parameter is filled with, by its name; [] for a name the walk does not know."""
    if name == "id" or name.endswith("_id") or name == "cursor":
        return [str(i) for i in seeded.ids]
    if name == "country":
        return list(COUNTRIES)
    if name in ("lang", "locale", "language"):
        return list(LOCALES)
    if name == "market":
        return seeded.markets
    if name == "commodity":
        return seeded.commodities
    if name == "variety":
        return seeded.varieties
    if name == "slug":
        return seeded.commodities + seeded.markets
    if name == "path" and isinstance(route.original_route, Mount):
        return seeded.static[route.path or ""]
    return []


def _query_values(name: str, seeded: Seeded) -> list[str]:
    values = {
        "lang": list(LOCALES),
        "locale": list(LOCALES),
        "language": list(LOCALES),
        "country": list(COUNTRIES),
        "market": seeded.markets,
        "commodity": seeded.commodities,
        "variety": seeded.varieties,
        # The board's options: how a page reads, and a comparison's days, unit, currency, type.
        "digits": ["native"],
        "zawgyi": ["1"],
        "days": ["30", "all"],
        "unit": ["kg"],
        "currency": ["USD"],
        "type": [t.value for t in PriceType],
    }
    if name == "id" or name.endswith("_id") or name == "cursor":
        return [str(i) for i in seeded.ids]
    return values.get(name, [])


@dataclass
class Walk:
    routes: int = 0
    responses: int = 0
    leaks: list[str] = field(default_factory=list)
    unfillable: list[str] = field(default_factory=list)
    seen_public: set[str] = field(default_factory=set)

    def line(self) -> str:
        return (
            f"privacy walk on {ENGINE}: {self.routes} public routes visited, "
            f"{self.responses} responses scanned, {len(self.leaks)} leaks found"
        )


def _searchable(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace") + "\n" + data.decode("latin-1")
    return _BETWEEN_DIGITS.sub("", text.translate(_NATIVE_DIGITS)).lower()


def scan(url: str, response: httpx.Response, walk: Walk) -> None:
    walk.responses += 1
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items()).encode()
    for part, data in (("headers", headers), ("body", response.content)):
        text = _searchable(data)
        if TEXT_MARKER in text:
            at = text.index(TEXT_MARKER)
            walk.leaks.append(f"{url} {part}: ...{text[max(0, at - 40) : at + 40]!r}...")
        for number, what in NUMBER_MARKERS.items():
            if number in text:
                walk.leaks.append(f"{url} {part}: {what} ({number})")
        walk.seen_public.update(m for m in PUBLIC_MARKERS if m in text)


def requests_for(route: RouteContext, seeded: Seeded, walk: Walk) -> Iterator[tuple[str, str]]:
    """(method, url) for every way the walk asks a route: each filling of its path, alone and
    with each value of each query parameter it knows."""
    template = route.path_format or route.path or ""
    names = _PATH_PARAMETER.findall(template)
    choices = []
    for name, _convertor in names:
        values = _path_values(name, route, seeded)
        if not values:
            walk.unfillable.append(f"{template}: path parameter {name!r}")
            return
        choices.append(values)
    query: list[tuple[str, str]] = []
    dependant = getattr(route.original_route, "dependant", None)
    for name, required in _query_parameters(dependant) if dependant else ():
        values = _query_values(name, seeded)
        if not values and required:
            walk.unfillable.append(f"{template}: required query parameter {name!r}")
            return
        query.extend((name, value) for value in values)
    methods = sorted((route.methods or {"GET"}) - {"HEAD"}) or ["GET"]
    for combination in itertools.product(*choices):
        path = template
        for (name, convertor), value in zip(names, combination, strict=True):
            path = path.replace("{" + name + (f":{convertor}" if convertor else "") + "}", value, 1)
        for method in methods:
            yield method, path
            for name, value in query:
                yield method, str(httpx.URL(path, params={name: value}))


async def _seeded_names(database: Database, ids: list[int], app: FastAPI) -> Seeded:
    async with database.read_session() as session:
        index = await load_index(session)
    seeded = Seeded(
        ids=ids,
        markets=sorted(m.slug for m in index.market_by_id.values()),
        commodities=sorted(c.slug for c in index.commodity_by_id.values()),
        varieties=sorted({v.slug for v in index.variety_by_id.values()}),
    )
    seeded.static = static_files_of(app)
    return seeded


def static_files_of(app: FastAPI) -> dict[str, list[str]]:
    """The files each public static mount serves, by the mount's path."""
    return {
        route.path or "": _static_files(route.original_route.app)
        for route in public_routes(app)
        if isinstance(route.original_route, Mount)
        and isinstance(route.original_route.app, StaticFiles)
    }


async def test_no_public_route_shows_anything_private(
    settings: Settings, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    # The walk asks far more than any client may; rate limits are test_limits' business.
    app = create_app(settings.model_copy(update={"public_rate": 0}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as client:
            ids = await _fill_the_database(client, database, settings)
            seeded = await _seeded_names(database, ids, app)
            walk = Walk()
            routes = public_routes(app)
            assert any(r.path == "/open/v1/prices.json" for r in routes)
            # The board's pages are walked like the data: every country, market and commodity.
            assert {"/", "/board/{country}", "/board/{country}/markets/{market}"} <= {
                r.path for r in routes
            }
            assert "/board/{country}/commodities/{commodity}" in {r.path for r in routes}
            for route in routes:
                asked = 0
                for method, url in requests_for(route, seeded, walk):
                    response = await client.request(method, url)
                    assert response.status_code < 500, (url, response.text)
                    scan(f"{method} {url}", response, walk)
                    asked += 1
                walk.routes += asked > 0
    with capsys.disabled():
        print(f"\n{walk.line()}")
    assert walk.unfillable == [], "public routes the walk cannot fill; teach it their parameters"
    assert walk.routes == len(routes)
    assert walk.leaks == [], "\n".join(walk.leaks[:50])
    # The walk saw the published data it should: it is not blind.
    assert walk.seen_public == set(PUBLIC_MARKERS)


def test_a_public_route_the_walk_cannot_fill_fails_it(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/board/{country}/harvests/{season}")
    async def harvests(country: str, season: str) -> dict[str, str]:
        return {}

    @app.get("/open/v1/yields")
    async def yields(crop: str, lang: str | None = None) -> dict[str, str]:
        return {}

    @app.get("/api/v1/private/{anything}")
    async def private(anything: str) -> dict[str, str]:
        return {}

    seeded = Seeded([1], ["muse"], ["mango"], ["rohu"], static=static_files_of(app))
    walk = Walk()
    for route in public_routes(app):
        list(requests_for(route, seeded, walk))
    assert walk.unfillable == [
        "/board/{country}/harvests/{season}: path parameter 'season'",
        "/open/v1/yields: required query parameter 'crop'",
    ]
    (open_data,) = [r for r in public_routes(app) if r.path == "/open/v1/prices.json"]
    asked = [url for _method, url in requests_for(open_data, seeded, walk)]
    assert "/open/v1/prices.json?country=VN" in asked and "/open/v1/prices.json" in asked
