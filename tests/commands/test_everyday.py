"""Everyday messages change nothing: no stop, no subscription change, no report, no lead."""

from __future__ import annotations

from app.core.config import Settings
from app.core.db import Database
from tests.commands.everyday import EVERYDAY, run_everyday, table


def test_the_everyday_corpus_is_large_and_has_no_repeats() -> None:
    assert set(EVERYDAY) == {"en", "my", "km", "lo", "vi", "zh"}
    for locale, messages in EVERYDAY.items():
        assert len(messages) >= 100, locale
        assert len(set(messages)) == len(messages), locale


async def test_everyday_messages_stop_nothing_and_change_nothing(
    database: Database, settings: Settings, seeded: None
) -> None:
    tallies = await run_everyday(database, settings)
    print("\n" + table(tallies))
    for locale, tally in tallies.items():
        assert tally.messages == len(EVERYDAY[locale])
        assert (tally.stops, tally.subscription_changes, tally.reports, tally.leads) == (
            0,
            0,
            0,
            0,
        ), (locale, tally.offenders)


async def test_the_count_sees_what_commands_change(
    database: Database, settings: Settings, seeded: None
) -> None:
    """The same run counts real commands, so zeros above are no blind spot."""
    tallies = await run_everyday(
        database, settings, {"en": ("STOP", "JOIN HILSA", "hello", "STOP MANGO")}
    )
    tally = tallies["en"]
    assert (tally.stops, tally.subscription_changes, tally.reports, tally.leads) == (1, 2, 0, 0)
    assert tally.offenders == ["STOP", "JOIN HILSA", "STOP MANGO"]
