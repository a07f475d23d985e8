"""A producer whose phone draws only Zawgyi gets their price alert in Zawgyi: the same words as
a Unicode reader's, rendered by ICU's my-Zawgyi at the last step (`present()`)."""

from __future__ import annotations

import httpx

from app.alerts.models import ChannelName
from app.core.config import Settings
from app.core.db import Database
from app.text.myanmar import ZAWGYI_ONLY, looks_zawgyi, unicode_to_zawgyi, zawgyi_to_unicode
from tests.alerts.conftest import dispatch_until, publish, register
from tests.conftest import Tokens
from tests.fakes.channel import RecordingChannel


async def test_a_zawgyi_producer_reads_the_alert_in_zawgyi(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    sms: RecordingChannel,
) -> None:
    await register(client, tokens, name="Daw Aye", locale="my", phone="+959250000061")
    mya = await register(client, tokens, name="Ma Mya", locale="my", phone="+959250000062")
    chosen = await client.patch(
        f"/api/v1/producers/{mya}", headers=tokens.cde_mm, json={"script": "zawgyi"}
    )
    assert chosen.status_code == 200 and chosen.json()["script"] == "zawgyi", chosen.text
    sms.known_urns |= {"tel:+959250000061", "tel:+959250000062"}

    await publish(client, tokens, "12600")

    async def both_sent() -> bool:
        return len(sms.sent) == 2

    await dispatch_until(database, fast, {ChannelName.SMS: sms}, both_sent)
    [unicode] = sms.texts_to("tel:+959250000061")
    [zawgyi] = sms.texts_to("tel:+959250000062")
    print(f"\nUnicode reader: {unicode}\nZawgyi reader:  {zawgyi}")
    assert "သရက်" in unicode and "မူဆယ်" in unicode  # mango, Muse
    assert zawgyi != unicode
    assert zawgyi == unicode_to_zawgyi(unicode)
    assert "သရက္" in zawgyi and "မူဆယ္" in zawgyi  # the same words as Zawgyi draws them
    assert looks_zawgyi(zawgyi) and not looks_zawgyi(unicode)
    assert zawgyi_to_unicode(zawgyi) == unicode  # nothing lost on the way
    assert not ZAWGYI_ONLY.search(unicode)
