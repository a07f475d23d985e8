"""Parsing a message: mean time over the test corpus, against normalising the same text alone
(the floor every message pays), in the same process."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from app.catalogue.service import load_demo_catalogue
from app.commands.parse import load_parser
from app.core.db import Database, parse_database_url
from app.core.migrations import upgrade
from app.text.normalize import fold
from tests.commands.corpus import CORPUS


async def run(*, requests: int, **_: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(parse_database_url(url))
        database = Database(url)
        try:
            async with database.session() as session:
                await load_demo_catalogue(session)
            async with database.session() as session:
                start = time.perf_counter()
                parser = await load_parser(session)
                build = time.perf_counter() - start
        finally:
            await database.dispose()
    texts = [text for _, text, _, _ in CORPUS]
    rounds = max(1, requests // len(texts))
    for text in texts:  # warm caches (the Zawgyi model loads on first use)
        parser.parse(text)
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            parser.parse(text)
    parse_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            fold(text)
    fold_s = time.perf_counter() - start
    n = rounds * len(texts)
    return {
        "benchmark": "parse",
        "messages": n,
        "index_build_ms": round(build * 1000, 1),
        "mean_parse_us": round(parse_s / n * 1e6, 1),
        "baseline_mean_normalise_us": round(fold_s / n * 1e6, 1),
        "ratio_parse_to_normalise": round(parse_s / fold_s, 2),
    }
