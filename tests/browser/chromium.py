"""Debian's Chromium as the browser tests launch it, and the two widths they look at."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from playwright.sync_api import Browser, BrowserContext, StorageState, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_INSTALL = "sudo apt-get install chromium fonts-noto-core fonts-noto-cjk"
# A quiet, reproducible browser: no GPU in a container, no sandbox as root, and nothing that
# reaches the internet by itself (updates, sync, field trials, QUIC probes).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

Width = Literal["phone", "desktop"]
VIEWPORTS: dict[Width, ViewportSize] = {
    "phone": ViewportSize(width=360, height=740),
    "desktop": ViewportSize(width=1280, height=800),
}
# A page or an element that takes longer than this on loopback is a failure, not a slow machine.
PAGE_TIMEOUT_MS = 15_000


def chromium_installed() -> bool:
    return os.access(CHROMIUM, os.X_OK)


def browser_required() -> bool:
    """CI runs the browser tests for real: there a missing Chromium fails them."""
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}
        for name in ("CI", "MIC_REQUIRE_BROWSER")
    )


def new_context(
    browser: Browser, width: Width, *, storage_state: StorageState | None = None
) -> BrowserContext:
    """A context of its own (no cache, cookies or storage shared) at the given width."""
    context = browser.new_context(
        viewport=VIEWPORTS[width], service_workers="block", storage_state=storage_state
    )
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    return context
