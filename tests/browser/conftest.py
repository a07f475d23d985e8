"""Pages in a real browser: Debian's Chromium driven by Playwright against a real `mic run`.

One `mic run` process serves all the browser tests, on a free port, over its own database (a
temporary SQLite file, or a new PostgreSQL database when MIC_TEST_DATABASE_URL names a server),
migrated and seeded with `mic seed demo` exactly as a deployment is. Each test opens pages in
contexts of its own (no cookies or cache shared) at phone width (360x740) or desktop width
(1280x800); when a test fails, every page it opened is photographed at both widths under
var/test-screenshots/ (or MIC_SCREENSHOT_DIR).

The server, Playwright and the browser live as long as this package's tests (scope "package"):
Playwright's sync API runs an event loop of its own on the main thread, which must be gone
before the asyncio tests of the other packages run.

Chromium is the system's (/usr/bin/chromium, `apt-get install chromium`), never a browser
Playwright downloads. Without it the browser tests are skipped with one line saying what to
install; with CI=true (or MIC_REQUIRE_BROWSER=1) they fail instead.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.browser.chromium import (
    BROWSER_INSTALL,
    CHROMIUM,
    CHROMIUM_FLAGS,
    VIEWPORTS,
    Width,
    browser_required,
    chromium_installed,
    new_context,
)
from tests.conftest import POSTGRES_URL, empty_postgres_database, free_port

# Playwright's 5 s default for an expectation is shorter than one request of the shared server
# takes on a loaded two-core machine (a notice's preview under a parallel run timed out so);
# an expectation still returns the moment it holds.
expect.set_options(timeout=15_000)

ROOT = Path(__file__).resolve().parents[2]
SERVER_START_SECONDS = 60

BROWSER_TESTS = Path(__file__).resolve().parent


# --- Chromium: real in CI, skipped with one clear line on a machine that lacks it -------------


_BROWSER_SKIPPED = pytest.StashKey[int]()


def _is_browser_test(item: pytest.Item) -> bool:
    return BROWSER_TESTS in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if chromium_installed() or browser_required():
        return
    skipped = [item for item in items if _is_browser_test(item)]
    for item in skipped:
        item.add_marker(pytest.mark.skip(reason=f"Chromium is not installed: {BROWSER_INSTALL}"))
    config.stash[_BROWSER_SKIPPED] = len(skipped)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    skipped = config.stash.get(_BROWSER_SKIPPED, 0)
    if skipped:
        terminalreporter.write_line(
            f"Chromium is not installed: {skipped} browser tests skipped; install it with "
            f"`{BROWSER_INSTALL}` (`make test` does so when run as root)",
            yellow=True,
        )


# --- the failure of a test, for the screenshots ------------------------------------------------

_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


# --- a real MIC ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MicServer:
    base_url: str
    database_url: str
    env: dict[str, str]

    def url(self, path: str) -> str:
        return self.base_url + path

    def mic(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a `mic` command on the server's database; it must succeed."""
        result = subprocess.run(
            [sys.executable, "-m", "app", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"mic {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result


def _server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIC_")}
    env.update(
        MIC_DATABASE_URL=database_url,
        MIC_SECRET_KEY="browser-test-secret-key",
        # Nothing is sent and nothing is collected: the browser tests never reach the internet.
        MIC_DISPATCHER="false",
        MIC_SCHEDULER="false",
        MIC_TELEGRAM_MODE="off",
        # The sources the tests configure read a fake upstream on loopback (never the internet),
        # allowed as an on-premise portal would be.
        MIC_SOURCE_ALLOWED_HOSTS="127.0.0.1",
        COLUMNS="200",
    )
    return env


@pytest.fixture(scope="package")
def browser_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('browser') / 'mic.db'}"
        return
    with empty_postgres_database() as url:
        yield url


@pytest.fixture(scope="package")
def mic_server(
    browser_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MicServer]:
    port = free_port()
    env = _server_env(browser_database_url)
    server = MicServer(f"http://127.0.0.1:{port}", browser_database_url, env)
    server.mic("db", "upgrade")
    server.mic("seed", "demo")
    log_path = tmp_path_factory.mktemp("mic-run") / "mic-run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "run", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(server, process, log_path)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def _wait_until_healthy(server: MicServer, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"mic run exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.05)  # polling the condition, not waiting for luck
    pytest.fail(
        f"mic run did not answer within {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}"
    )


# --- Chromium ----------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not chromium_installed():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM} and the browser tests are required here "
            f"(CI=true or MIC_REQUIRE_BROWSER=1): {BROWSER_INSTALL}"
        )
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_FLAGS)
    )
    yield launched
    launched.close()


OpenPage = Callable[[Width], Page]


@pytest.fixture
def open_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[OpenPage]:
    """Opens a page in a new browser context at phone or desktop width. When the test fails,
    each page it opened is photographed at both widths, as the page stood."""
    opened: list[tuple[BrowserContext, Page]] = []

    def open_one(width: Width) -> Page:
        context = new_context(browser, width)
        page = context.new_page()
        opened.append((context, page))
        return page

    yield open_one
    try:
        if request.node.stash.get(_FAILED, False):
            for index, (_, page) in enumerate(opened):
                _photograph(page, request.node.nodeid, index)
    finally:
        for context, _ in opened:
            context.close()


@pytest.fixture(params=["phone", "desktop"])
def page(open_page: OpenPage, request: pytest.FixtureRequest) -> Page:
    """A page at each width: the test runs once on a phone and once on a desktop."""
    return open_page(request.param)


def screenshot_dir() -> Path:
    configured = os.environ.get("MIC_SCREENSHOT_DIR", "").strip()
    return Path(configured) if configured else ROOT / "var" / "test-screenshots"


def _photograph(page: Page, nodeid: str, index: int) -> None:
    if page.is_closed():
        return
    directory = screenshot_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", nodeid.split("/")[-1]).strip("_")
    original = page.viewport_size
    for width, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        path = directory / f"{stem}-{index}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        sys.stderr.write(f"screenshot of the failed page: {path}\n")
    if original is not None:
        page.set_viewport_size(original)


@pytest.fixture
def api(mic_server: MicServer) -> httpx.Client:
    """The REST API as an admin's script uses it, to set up producers, prices and leads."""
    name = f"setup-{secrets.token_hex(4)}"
    issued = mic_server.mic("token", "create", "--name", name, "--role", "admin")
    token = issued.stdout.strip().splitlines()[-1]
    return httpx.Client(
        base_url=mic_server.base_url + "/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
