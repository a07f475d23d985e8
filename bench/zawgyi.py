"""Zawgyi conversion against the reference files in tests/data/zawgyi: exact lines per file,
the target each must meet, and lines still holding Zawgyi-only code points. The same numbers
tests/text/test_zawgyi_reference.py asserts, printed for a release note."""

from __future__ import annotations

from typing import Any

from app.text.myanmar import convert_zawgyi, zawgyi_to_unicode
from tests.text.zawgyi_reference import score


async def run(**_: Any) -> dict[str, Any]:
    scores = score(zawgyi_to_unicode, convert_zawgyi)
    return {
        "benchmark": "zawgyi",
        "files": [s.row() for s in scores],
        "exact_lines": f"{sum(s.exact for s in scores)} of {sum(s.lines for s in scores)}",
        "all_targets_met": all(s.passes for s in scores),
    }
