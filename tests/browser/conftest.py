"""Real-browser fixtures: the app served by `streamlit run`, driven by
Playwright in Debian's Chromium (never a browser Playwright downloads).

Without Chromium the browser tests skip with the reason; with
NNMF_REQUIRE_BROWSER=1 (set by CI) a missing browser fails the run instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from devtools.live_app import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server


def _missing_browser() -> str | None:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements-dev.txt)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing_browser()
    if reason is None:
        return
    if os.environ.get("NNMF_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"NNMF_REQUIRE_BROWSER=1 but {reason}")
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "browser" in item.nodeid.split("/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def app_url():
    process, url = start_server()
    yield url
    stop_server(process)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _counts(message) -> bool:
    """A console error that counts. Opened on a deep link (/compression),
    Streamlit's frontend first probes /compression/_stcore/health and
    /compression/_stcore/host-config to find its base path; those two 404s are
    how it works, not a fault of the app."""
    if message.type != "error":
        return False
    url = (message.location or {}).get("url", "")
    return not ("404" in message.text and "/_stcore/" in url)


@pytest.fixture
def page(browser, request):
    """A fresh 1280×800 page; fails the test on any console error or
    Streamlit exception element."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if _counts(message) else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    exceptions = page.locator('[data-testid="stException"]').count()
    context.close()
    assert exceptions == 0, "a Streamlit exception was shown on the page"
    assert not errors, f"browser console errors: {errors}"


