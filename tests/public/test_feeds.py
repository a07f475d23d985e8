"""The Atom feeds of notices: sent notices only, in the language asked for with the bots'
fallback, valid Atom, and cheap to poll."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Tokens

pytestmark = pytest.mark.usefixtures("seeded")

NS = {"atom": "http://www.w3.org/2005/Atom"}
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
T0 = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)


async def notice(
    client: httpx.AsyncClient, tokens: Tokens, *, send: bool = True, **body: Any
) -> int:
    body = {"texts": {"en": "Muse gate closed"}, "countries": ["MM"]} | body
    created = await client.post("/api/v1/notices", headers=tokens.admin, json=body)
    assert created.status_code == 201, created.text
    notice_id: int = created.json()["id"]
    if send:
        sent = await client.post(f"/api/v1/notices/{notice_id}/send", headers=tokens.admin)
        assert sent.status_code == 200, sent.text
    return notice_id


def parse(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314 - MIC's own feed, parsed to check it
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    # RFC 4287 §4.1.1: a feed has an id, a title, an updated and (entries without one) an author.
    for required in ("atom:id", "atom:title", "atom:updated", "atom:author/atom:name"):
        assert (root.findtext(required, namespaces=NS) or "").strip(), required
    assert root.find("atom:link[@rel='self']", NS) is not None
    for entry in root.findall("atom:entry", NS):
        for required in ("atom:id", "atom:title", "atom:updated", "atom:content"):
            assert (entry.findtext(required, namespaces=NS) or "").strip(), required
        dt.datetime.fromisoformat(entry.findtext("atom:updated", namespaces=NS) or "")
    return root


async def test_sent_notices_only_newest_first_in_the_language_asked_for(
    client: httpx.AsyncClient, tokens: Tokens, stand_at: Callable[[dt.datetime], None]
) -> None:
    stand_at(T0)
    first = await notice(
        client,
        tokens,
        texts={"en": "Rain in Mandalay", "my": "မန္တလေးတွင် မိုးရွာမည်"},
        commodities=["mango"],
        markets=["muse"],
        urgent=True,
    )
    await notice(client, tokens, send=False, texts={"en": "A draft nobody approved"})
    future = (T0 + dt.timedelta(days=3)).isoformat()
    await notice(client, tokens, send=False, texts={"en": "Scheduled for later"}, send_at=future)
    cancelled = await notice(client, tokens, send=False, texts={"en": "Cancelled before sending"})
    await client.post(f"/api/v1/notices/{cancelled}/cancel", headers=tokens.admin)
    await notice(client, tokens, texts={"en": "Phnom Srok silk fair"}, countries=["KH", "LA"])
    stand_at(T0 + dt.timedelta(hours=2))
    second = await notice(client, tokens, texts={"my": "မူဆယ် ဂိတ် ပိတ်သည်", "zh": "木姐口岸关闭"})

    root = parse(await client.get("/open/v1/notices/MM.atom"))  # Myanmar reads Burmese
    assert root.get(LANG) == "my"
    assert root.findtext("atom:title", namespaces=NS) == "MIC ဈေးကွက် အသိပေးချက်များ - မြန်မာ"
    entries = root.findall("atom:entry", NS)
    assert [e.findtext("atom:content", namespaces=NS) for e in entries] == [
        "မူဆယ် ဂိတ် ပိတ်သည်",
        "မန္တလေးတွင် မိုးရွာမည်",
    ]
    assert root.findtext("atom:updated", namespaces=NS) == "2026-11-20T05:00:00Z"
    assert entries[0].findtext("atom:id", namespaces=NS).endswith(f":notice:{second}")  # type: ignore[union-attr]
    assert entries[1].findtext("atom:id", namespaces=NS).endswith(f":notice:{first}")  # type: ignore[union-attr]

    # Khmer asked for: no Khmer text, so English as the bots fall back, else the first written.
    km = parse(await client.get("/open/v1/notices/MM.atom", params={"lang": "km"}))
    assert km.get(LANG) == "km"
    entries = km.findall("atom:entry", NS)
    assert [(e.get(LANG), e.findtext("atom:content", namespaces=NS)) for e in entries] == [
        ("my", "မူဆယ် ဂိတ် ပိတ်သည်"),
        ("en", "Rain in Mandalay"),
    ]
    labels = {c.get("term"): c.get("label") for c in entries[1].findall("atom:category", NS)}
    assert labels == {"urgent": "បន្ទាន់", "mango": "ស្វាយ", "muse": "មូសេ"}
    zh = parse(await client.get("/open/v1/notices/MM.atom", params={"lang": "zh"}))
    assert zh.findtext("atom:entry/atom:content", namespaces=NS) == "木姐口岸关闭"

    for text in ("A draft nobody approved", "Scheduled for later", "Cancelled before sending"):
        for lang in ("en", "my", "km"):
            response = await client.get("/open/v1/notices/MM.atom", params={"lang": lang})
            assert text not in response.text
    for other in ("kh", "LA"):  # a notice to two countries is in both their feeds, once
        feed = parse(await client.get(f"/open/v1/notices/{other}.atom", params={"lang": "en"}))
        titles = [e.findtext("atom:title", namespaces=NS) for e in feed.findall("atom:entry", NS)]
        assert titles == ["Phnom Srok silk fair"]


async def test_an_empty_feed_is_valid_and_polling_it_costs_a_304(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.get("/open/v1/notices/LA.atom")
    root = parse(response)
    assert root.findall("atom:entry", NS) == [] and root.get(LANG) == "lo"
    etag = response.headers["etag"]
    again = await client.get("/open/v1/notices/LA.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    await notice(client, tokens, texts={"lo": "ຕະຫຼາດວຽງຈັນປິດ"}, countries=["LA"])
    changed = await client.get("/open/v1/notices/LA.atom", headers={"If-None-Match": etag})
    assert parse(changed).findtext("atom:entry/atom:title", namespaces=NS) == "ຕະຫຼາດວຽງຈັນປິດ"
    modified = changed.headers["last-modified"]
    since = await client.get("/open/v1/notices/LA.atom", headers={"If-Modified-Since": modified})
    assert since.status_code == 304


async def test_long_texts_make_short_titles_and_the_whole_text_is_the_content(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    words = "Prices of fresh tea leaf at Thai Nguyen rose sharply after the frost " * 5
    await notice(client, tokens, texts={"en": words.strip()}, countries=["VN"])
    khmer = "តម្លៃសូត្រនៅផ្សារភ្នំស្រុកឡើងខ្ពស់" * 8
    await notice(client, tokens, texts={"km": khmer}, countries=["VN"])
    root = parse(await client.get("/open/v1/notices/VN.atom", params={"lang": "en"}))
    entries = root.findall("atom:entry", NS)
    titles = [e.findtext("atom:title", namespaces=NS) or "" for e in entries]
    assert all(len(t) <= 80 and t.endswith("…") for t in titles)
    assert titles[1].startswith("Prices of fresh tea leaf") and " " not in titles[1][-3:]
    assert entries[1].findtext("atom:content", namespaces=NS) == words.strip()
    assert titles[0].startswith("តម្លៃសូត្រ")


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/open/v1/notices/ZZ.atom", "unknown country 'ZZ'"),
        ("/open/v1/notices/MMR.atom", "at most 2 characters"),
        ("/open/v1/notices/MM.atom?lang=fr", "'en', 'my', 'km', 'lo', 'vi' or 'zh'"),
        ("/open/v1/notices/MM.atom?language=km", "unknown query parameter 'language'"),
    ],
)
async def test_bad_feed_requests_are_refused_with_the_reason(
    client: httpx.AsyncClient, path: str, says: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 422, response.text
    assert says in str(response.json()["detail"])
