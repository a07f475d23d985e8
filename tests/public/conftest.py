"""Share cards need Pillow's libraqm (which loads the system's FriBiDi) and, for Chinese, Noto
Sans CJK: .ci/test-packages installs both. Without them the tests that draw are skipped with one
line saying what to install; with CI=true (or MIC_REQUIRE_CARDS=1) they fail instead."""

from __future__ import annotations

import os

import pytest

from app.public import card_drawing
from tests.public.references import CJK_FONT


def cards_required() -> bool:
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}
        for name in ("CI", "MIC_REQUIRE_CARDS")
    )


@pytest.fixture
def drawable() -> None:
    """Skip (or, in CI, fail) a test that draws cards where they cannot be drawn."""
    problem = card_drawing.problem(CJK_FONT)
    if problem is None:
        return
    message = f"{problem} (sudo apt-get install libfribidi0 fonts-noto-cjk)"
    if cards_required():
        pytest.fail(message)
    pytest.skip(message)
