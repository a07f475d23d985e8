"""A producer managing their alerts by SMS words alone: what Telegram offers as buttons."""

from __future__ import annotations

from sqlmodel import col, select

from app.accounts.models import AuditLog
from app.core.db import Database
from app.producers.addresses import find_by_urn
from app.producers.models import Rule, Subscription
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

    assert await ask("ALERT MANGO DAILY") == [
        "Alert set: Mango, daily at 07:00. To end it, send STOP Mango"
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
