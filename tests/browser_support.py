"""Headless Debian Chromium for the browser tests, driven by Playwright.

Needs /usr/bin/chromium (``scripts/install-browser.sh``) and the playwright
package; never ``playwright install``, which downloads browsers. Without them
a browser test skips, unless ``ALATAU_REQUIRE_BROWSER=1`` (CI), which turns
the skip into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# The flags keep Chromium from calling out at start (the machine has no network).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_missing() -> str | None:
    """Why no browser test can run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found: run scripts/install-browser.sh"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed: pip install playwright (never `playwright install`)"
    return None


@contextmanager
def open_browser() -> Iterator[Any]:
    """A launched headless Chromium; skips (or fails under ALATAU_REQUIRE_BROWSER=1) when it is missing."""
    reason = browser_missing()
    if reason:
        if os.environ.get("ALATAU_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required (ALATAU_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
