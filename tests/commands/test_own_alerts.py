"""A producer managing their alerts by SMS words alone: what Telegram offers as buttons."""

from __future__ import annotations

import re

from sqlmodel import col, select

from app.accounts.models import AuditLog
from app.catalogue.service import load_index
from app.core.db import Database
from app.producers.addresses import find_by_urn
from app.producers.models import ConsentChannel, Rule, Subscription
from app.producers.self_service import consent_channel
from tests.commands.conftest import PHONE, Ask


async def _alerts(database: Database) -> list[tuple[str, str | None, str, str | None]]:
    """(rule, threshold, market id or "-", digest time) of the producer's alerts, oldest first."""
    async with database.session() as s:
        rows = (await s.exec(select(Subscription).order_by(col(Subscription.id)))).all()
    return [
        (
            r.rule.value,
            None if r.threshold is None else f"{r.threshold.normalize():f}",
            "muse" if r.market_id else "-",
            r.digest_time,
        )
        for r in rows
    ]


async def test_an_sms_transcript_changes_lists_removes_and_times_alerts(
    database: Database, seeded: None, ask: Ask
) -> None:
    assert await ask("JOIN MANGO MUSE") != []
    assert await ask("LANGUAGE English") == ["Language set."]
    assert await _alerts(database) == [("every", None, "muse", None)]

    # A new rule for a followed series changes that alert; it does not add one beside it.
    assert await ask("ALERT MANGO MUSE 10%") == [
        "Alert set: Mango Muse ±10%. To end it, send STOP Mango Muse"
    ]
    assert await _alerts(database) == [("change_pct", "10", "muse", None)]
    await ask("JOIN MANGO")
    assert await ask("ALERTS") == [
        "Mango Muse: moves 10%\nMango: every new price\n"
        "Change: ALERT MANGO MUSE 10%. End: STOP MANGO MUSE"
    ]

    # No time named and no other daily alert: MIC_DIGEST_TIME (the settings' 18:00).
    assert await ask("ALERT MANGO DAILY") == [
        "Alert set: Mango, daily at 18:00. To end it, send STOP Mango"
    ]
    assert await ask("DAILY 18:30") == ["Daily alerts at 18:30."]
    assert await _alerts(database) == [
        ("change_pct", "10", "muse", None),
        ("digest", None, "-", "18:30"),
    ]

    assert await ask("STOP MANGO MUSE") == ["Alert ended: Mango Muse."]
    assert await ask("ALERTS") == [
        "Mango: daily at 18:30\nChange: ALERT MANGO 10%. End: STOP MANGO"
    ]
    async with database.session() as s:
        producer = await find_by_urn(s, PHONE)
        assert producer is not None
        actors = set(
            (
                await s.exec(select(AuditLog.actor).where(col(AuditLog.entity) == "subscription"))
            ).all()
        )
    assert actors == {f"producer:{producer.id}"}  # the producer, by themselves, each time


async def test_daily_words_change_nothing_without_a_time_or_a_join_word(
    database: Database, seeded: None, ask: Ask
) -> None:
    await ask("JOIN MANGO MUSE")
    await ask("LANGUAGE English")
    assert await ask("DAILY") == ["Send: DAILY 18:00, or ALERT MANGO MUSE DAILY"]
    assert await ask("DAILY 06:00") == ["You have no daily alerts. Send: ALERT MANGO MUSE DAILY"]
    await ask("mango muse every day")  # a price question, not a change
    assert [r for r, *_ in await _alerts(database)] == [Rule.EVERY.value]


async def test_alerts_from_someone_unregistered_point_to_join(seeded: None, ask: Ask) -> None:
    assert await ask("ALERTS", locale="en") == ["Send JOIN to get price alerts."]


async def test_join_without_a_rule_word_keeps_the_rule_the_alert_has(
    database: Database, seeded: None, ask: Ask
) -> None:
    await ask("JOIN MANGO MUSE")
    await ask("LANGUAGE English")
    await ask("ALERT MANGO MUSE 10%")
    assert await ask("STOP") == ["You will get no more messages. Send JOIN to start again."]
    # Back again: the alert they chose still fires by its rule, and the reply says which.
    replies = await ask("JOIN MANGO MUSE")
    assert replies[-1].endswith("Alert set: Mango Muse ±10%. To end it, send STOP Mango Muse")
    assert await _alerts(database) == [("change_pct", "10", "muse", None)]

    await ask("ALERT MANGO MUSE DAILY 06:30")
    assert await ask("JOIN MANGO MUSE") == [
        "Alert set: Mango Muse, daily at 06:30. To end it, send STOP Mango Muse"
    ]
    assert await _alerts(database) == [("digest", None, "muse", "06:30")]
    # A rule word still changes it.
    await ask("JOIN MANGO MUSE 5%")
    assert await _alerts(database) == [("change_pct", "5", "muse", None)]
    # A series not followed yet is created firing on every price.
    assert await ask("JOIN MANGO MANDALAY") == [
        "Alert set: Mango Mandalay. To end it, send STOP Mango Mandalay"
    ]


async def test_a_daily_alert_without_a_time_comes_at_the_earliest_summary_time(
    database: Database, seeded: None, ask: Ask
) -> None:
    """The time alerts' fan-out sends a price followed by several summaries at (the earliest),
    not the oldest summary's."""
    await ask("JOIN MANGO MUSE")
    await ask("LANGUAGE English")
    await ask("ALERT MANGO MUSE DAILY 19:00")
    await ask("ALERT MANGO MANDALAY DAILY 06:30")
    assert await ask("ALERT MANGO DAILY") == [
        "Alert set: Mango, daily at 06:30. To end it, send STOP Mango"
    ]


async def test_the_alerts_hint_ends_only_the_alert_it_names(
    database: Database, seeded: None, ask: Ask
) -> None:
    await ask("JOIN MANGO")
    await ask("LANGUAGE English")
    await ask("JOIN MANGO MUSE")
    # STOP MANGO would end both: the example is the alert whose words name only itself.
    assert await ask("ALERTS") == [
        "Mango: every new price\nMango Muse: every new price\n"
        "Change: ALERT MANGO MUSE 10%. End: STOP MANGO MUSE"
    ]


async def test_a_long_alerts_list_by_sms_says_how_many_more_and_keeps_the_hint(
    database: Database, seeded: None, ask: Ask
) -> None:
    await ask("JOIN MANGO MUSE")
    await ask("LANGUAGE English")
    async with database.session() as s:
        producer = await find_by_urn(s, PHONE)
        assert producer is not None and producer.id is not None
        index = await load_index(s)
        for commodity in index.commodity_by_id:
            for market in index.market_by_id:
                s.add(
                    Subscription(
                        producer_id=producer.id,
                        commodity_id=commodity,
                        market_id=market,
                        rule=Rule.EVERY,
                    )
                )
    total = len(await _alerts(database))
    replies = await ask("ALERTS")
    assert len(replies) == 3  # all SMS allows
    lines = "\n".join(replies).split("\n")
    listed = [line for line in lines if line.endswith(": every new price")]
    assert 0 < len(listed) < total
    assert lines[len(listed)] == f"+{total - len(listed)} more"
    assert re.fullmatch(r"Change: ALERT [A-Z ]+ 10%\. End: STOP [A-Z ]+", lines[-1]), lines[-1]


def test_a_message_from_neither_sms_nor_telegram_is_consent_given_in_person() -> None:
    assert consent_channel("sms") is ConsentChannel.SMS
    assert consent_channel("telegram") is ConsentChannel.TELEGRAM
    assert consent_channel("cli") is ConsentChannel.VERBAL
