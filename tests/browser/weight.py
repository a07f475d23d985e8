"""What a page costs to load the first time: every response body the browser fetched for it,
with the web fonts counted apart (a phone downloads them once and keeps them for a year)."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Browser, Request, StorageState

from tests.browser.chromium import Width, new_context

# A first load on a phone over a weak connection; the web fonts are cached for a year and
# counted apart.
PAGE_BUDGET = 150_000


@dataclass
class PageWeight:
    url: str
    # Bytes of each response body as it crossed the network (compressed, if it was), by URL.
    resources: dict[str, int] = field(default_factory=dict)
    fonts: dict[str, int] = field(default_factory=dict)

    @property
    def without_fonts(self) -> int:
        return sum(self.resources.values())

    @property
    def font_bytes(self) -> int:
        return sum(self.fonts.values())

    def describe(self) -> str:
        lines = [f"{self.url}: {self.without_fonts} bytes, fonts {self.font_bytes} bytes"]
        lines += [f"  {size:>8}  {url}" for url, size in sorted(self.resources.items())]
        lines += [f"  {size:>8}  {url} (font)" for url, size in sorted(self.fonts.items())]
        return "\n".join(lines)


def first_load(
    browser: Browser,
    url: str,
    *,
    width: Width = "phone",
    signed_in: StorageState | None = None,
) -> PageWeight:
    """Load `url` in a fresh context (an empty cache, and no cookies but those of `signed_in`,
    another context's storage state) and add up what it fetched, once the page, its fonts and
    everything they pulled in have arrived."""
    weight = PageWeight(url)
    failed: list[str] = []
    context = new_context(browser, width, storage_state=signed_in)
    try:
        page = context.new_page()

        def finished(request: Request) -> None:
            response = request.response()
            size = request.sizes()["responseBodySize"]
            if response is None:
                return
            # A size of 0 with a body is a response read from memory; on a first load there
            # is none, so the body's own length is what crossed.
            size = size or len(response.body())
            target = weight.fonts if request.resource_type == "font" else weight.resources
            target[request.url] = target.get(request.url, 0) + size

        page.on("requestfinished", finished)
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(url, wait_until="networkidle")
        page.evaluate("document.fonts.ready.then(() => true)")
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    if failed:
        raise AssertionError(f"{url} failed to load {failed}")
    return weight
