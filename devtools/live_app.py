"""The app served for real by `streamlit run`, and what tests do with its pages."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "browser" / "artifacts"
CHROMIUM = os.environ.get("NNMF_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'

#: True once the script has run (the page shows elements) and stopped, no element is still a placeholder
#: (Streamlit shows a skeleton while an element's code loads: on a loaded machine, for seconds after the run
#: has ended), every Plotly chart element holds a drawn plot (its SVG layers exist), every picture has loaded,
#: and all of that has held for ``quiet`` ms (a script that reruns itself shows "running" again within that
#: time). Polled by the browser; no fixed wait anywhere.
_SETTLED = """quiet => {
  const app = document.querySelector('[data-testid="stApp"]');
  const drawn = app && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]')
    && !document.querySelector('[data-testid="stSkeleton"]')
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
         .every(chart => chart.querySelector('.js-plotly-plot .main-svg'))
    && [...document.querySelectorAll('[data-testid="stMain"] img')]
         .every(img => img.complete && img.naturalWidth > 0);
  const now = performance.now();
  if (!drawn) { window.__nnmfSettledSince = undefined; return false; }
  if (window.__nnmfSettledSince === undefined) window.__nnmfSettledSince = now;
  return now - window.__nnmfSettledSince >= quiet;
}"""
_QUIET_MS = 400

#: The page's metrics (label -> value) once it is settled and shows every label asked for, else false.
_SETTLED_METRICS = "([quiet, required]) => {\n  if (!(" + _SETTLED + """)(quiet)) return false;
  const metrics = Object.fromEntries([...document.querySelectorAll('[data-testid="stMetric"]')]
    .map(metric => [metric.querySelector('[data-testid="stMetricLabel"]').innerText.trim(),
                    metric.querySelector('[data-testid="stMetricValue"]').innerText.trim()]));
  return required.every(label => label in metrics) && metrics;
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(python: str = sys.executable, cwd: Path = ROOT, timeout: float = 60.0, extra_args=(), env=None):
    """Start `streamlit run streamlit_app.py` headless on a free port; return
    (process, base URL) once /_stcore/health answers."""
    port = _free_port()
    process = subprocess.Popen(
        [python, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra_args],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    raise RuntimeError(f"streamlit did not answer /_stcore/health within {timeout:.0f} s")


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (VmRSS, Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def stop_server(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until the script has finished its run (and its rerun, if any) and
    everything it drew is on screen: each Plotly chart drawn, each picture loaded."""
    page.wait_for_selector(IDLE, timeout=timeout)
    page.evaluate("() => { window.__nnmfSettledSince = undefined; }")
    page.wait_for_function(_SETTLED, arg=_QUIET_MS, timeout=timeout, polling=100)


async def wait_idle_async(page, timeout: float = 60_000) -> None:
    """:func:`wait_idle` for Playwright's async API."""
    await page.wait_for_selector(IDLE, timeout=timeout)
    await page.evaluate("() => { window.__nnmfSettledSince = undefined; }")
    await page.wait_for_function(_SETTLED, arg=_QUIET_MS, timeout=timeout, polling=100)


def screenshot(page, name: str) -> Path:
    """Save what the viewport shows to tests/browser/artifacts/NAME.png, and to
    $NNMF_SCREENSHOT_DIR too when set (``make screenshots`` sets it to docs/)."""
    wait_idle(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    if os.environ.get("NNMF_SCREENSHOT_DIR"):
        target = Path(os.environ["NNMF_SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        (target / path.name).write_bytes(path.read_bytes())
    return path


def metric_values(page, required=(), timeout: float = 120_000) -> dict[str, str]:
    """Every st.metric on the page: label -> value as shown, once the page is settled (as :func:`wait_idle`) and
    shows every metric named in ``required``. The check and the read are one pass in the browser: read after a
    separate wait, a rerun that starts in between (on a loaded machine the page can settle, then run again)
    could leave its metrics half-drawn."""
    page.evaluate("() => { window.__nnmfSettledSince = undefined; }")
    found = page.wait_for_function(_SETTLED_METRICS, arg=[_QUIET_MS, list(required)], timeout=timeout,
                                   polling=100)
    return found.json_value()


def submit_sidebar_form(page, label: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name=label).click()
    wait_rerun(page)


def sidebar_upload(page, name: str, data: bytes, mime: str) -> None:
    """Upload through the real file input of the sidebar's first uploader."""
    page.locator('[data-testid="stSidebar"] input[type="file"]').first.set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )
    wait_rerun(page)


def wait_rerun(page, timeout: float = 120_000) -> None:
    """After an action that reruns the script: wait for the run to start (if it
    has not already come and gone), then for it to finish."""
    try:
        page.wait_for_selector(RUNNING, timeout=10_000)
    except Exception:  # the run may have finished before we looked
        pass
    wait_idle(page, timeout=timeout)


def the_error(page) -> str:
    """The text of the page's one error message (fails if there is not exactly one)."""
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 1, f"{errors.count()} error messages on the page"
    return errors.inner_text()


def downloaded(page, label: str) -> bytes:
    """Click the download button named ``label`` and return the file's bytes."""
    with page.expect_download() as download_info:
        page.get_by_role("button", name=label).click()
    with open(download_info.value.path(), "rb") as file:
        return file.read()
