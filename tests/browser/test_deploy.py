"""Community Cloud readiness: the app served from an environment that holds
requirements.txt and nothing else (CI builds it and sets NNMF_RUNTIME_PYTHON)."""

import os
import urllib.request

import pytest

from devtools.live_app import start_server, stop_server, wait_idle

RUNTIME_PYTHON = os.environ.get("NNMF_RUNTIME_PYTHON")


@pytest.mark.skipif(not RUNTIME_PYTHON, reason="NNMF_RUNTIME_PYTHON not set (CI sets it to a requirements.txt-only venv)")
def test_runtime_requirements_alone_serve_every_page(page):
    process, url = start_server(python=RUNTIME_PYTHON)
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
            assert response.read().strip() == b"ok"
        for path in ("", "compression", "spike_clustering"):
            page.goto(f"{url}/{path}")
            wait_idle(page, timeout=120_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.locator('[data-testid="stAlertContentError"]').count() == 0
            if path:
                assert page.locator(".js-plotly-plot").count() > 0, f"no chart on /{path}"
    finally:
        page.goto("about:blank")  # leave before the server goes, or the page keeps reconnecting
        stop_server(process)
