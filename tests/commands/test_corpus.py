"""The corpus of real messages: every one must parse as stated; accuracy is printed per language."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from app.commands.parse import Command, Parser, load_parser
from app.core.db import Database
from tests.commands.corpus import CORPUS


def describe(parser: Parser, c: Command) -> dict[str, Any]:
    index = parser.index
    return {
        "intent": c.intent.value,
        "commodity": index.commodity_by_id[c.commodity_id].slug if c.commodity_id else None,
        "variety": index.variety_by_id[c.variety_id].slug if c.variety_id else None,
        "market": index.market_by_id[c.market_id].slug if c.market_id else None,
        "amount": c.amount,
        "currency": c.currency,
        "unit": index.unit_by_id[c.unit_id].code if c.unit_id else None,
        "quantity": c.quantity,
        "quantity_unit": index.unit_by_id[c.quantity_unit_id].code if c.quantity_unit_id else None,
        "percent": c.percent,
        "threshold": c.threshold,
        "language": c.language,
    }


def mismatches(parser: Parser, text: str, intent: str, expected: dict[str, Any]) -> dict[str, Any]:
    got = describe(parser, parser.parse(text))
    wanted = {"intent": intent, **expected}
    wrong = {}
    for key, value in wanted.items():
        actual = got[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = Decimal(str(value))
        if actual != value:
            wrong[key] = (actual, value)
    return wrong


async def test_the_corpus_parses_completely(database: Database, seeded: None) -> None:
    async with database.session() as s:
        parser = await load_parser(s)
    assert len(CORPUS) >= 150
    totals: Counter[str] = Counter()
    right: Counter[str] = Counter()
    failures = []
    for locale, text, intent, expected in CORPUS:
        totals[locale] += 1
        wrong = mismatches(parser, text, intent, expected)
        if wrong:
            failures.append((locale, text, wrong))
        else:
            right[locale] += 1
    print("\nlocale  messages  parsed  accuracy")
    for locale in ("en", "my", "km", "lo", "vi", "zh"):
        assert totals[locale] >= 20, locale
        share = right[locale] / totals[locale]
        print(f"{locale:6}  {totals[locale]:8}  {right[locale]:6}  {share:8.1%}")
    assert failures == []


async def test_bad_input_never_raises(database: Database, seeded: None) -> None:
    async with database.session() as s:
        parser = await load_parser(s)
    for text in (
        "",
        "   ",
        "🥭🥭🥭",
        "x" * 5000,
        "\x00\x07price\x1b mango",
        "report mango muse 1e309 cny/ton",
        "\u202e\u200bမူဆယ်",
        "\u0301",
    ):
        command = parser.parse(text)
        assert command.intent.value in {"unknown", "price", "report"}
    assert parser.parse("x" * 5000).problem == "too_long"
    assert parser.parse("report mango muse 1e309 cny/ton").problem == "bad_number"


async def test_the_deployment_language_answers_messages_that_show_none(
    database: Database, seeded: None
) -> None:
    async with database.session() as s:
        parser = await load_parser(s, default_locale="vi")
    assert parser.parse("hello").locale == "vi"
    assert parser.parse("mango muse").locale == "en"
    assert parser.parse("xoai muse").locale == "vi"
    assert parser.parse("木姐").locale == "zh"
