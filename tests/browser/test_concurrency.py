"""Eight browser sessions at once against one real server: every session gets
its own result, none sees another's data, and no error appears anywhere; and
eight phone photos of 40 megapixels uploaded at once, as a class would."""

import asyncio
import io
import re
import threading

import numpy as np
from PIL import Image

from devtools.live_app import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, wait_idle_async

SESSIONS = 8


def picture(index: int) -> tuple[str, bytes, str, str]:
    """A distinct PNG per session and the size text the page must show for it."""
    width, height = 90 + 14 * index, 60 + 6 * index
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([(x * (index + 2)) % 256, (y * 5) % 256, ((x + y) * (index + 1)) % 256], axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, "PNG")
    return f"session-{index}.png", buffer.getvalue(), "image/png", f"{width} × {height}"


def spikes(index: int) -> tuple[str, bytes, str, str]:
    """A distinct spike CSV per session and the waveform count it holds."""
    rng = np.random.default_rng(index)
    count = 40 + 7 * index
    t = np.linspace(0, 1, 60)
    rows = []
    for i in range(count):
        width = 0.03 if i % 2 else 0.08
        wave = -np.exp(-((t - 0.3) / width) ** 2) + 0.4 * np.exp(-((t - 0.5) / (2 * width)) ** 2)
        rows.append(f"w{index}_{i}," + ",".join(f"{v:.4f}" for v in wave + rng.normal(0, 0.05, t.size)))
    text = "uid," + ",".join(map(str, range(t.size))) + "\n" + "\n".join(rows)
    return f"session-{index}.csv", text.encode(), "text/csv", f"{count} waveforms"


def phone_photo(index: int) -> tuple[str, bytes, str, str]:
    """A distinct 6400 × 6200 px (39.7 MP) JPEG per session, about 1 MB, and the size the page must name."""
    height, width = 6200, 6400
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    channels = [128 + 100 * np.sin(12 * x + 3 * y + index), 128 + 100 * np.cos(7 * y - 5 * x * y),
                128 + 90 * np.sin(20 * x * y + index / 3)]
    buffer = io.BytesIO()
    Image.fromarray(np.dstack([c.astype(np.uint8) for c in channels])).save(buffer, "JPEG", quality=85)
    return f"photo-{index}.jpg", buffer.getvalue(), "image/jpeg", "Original 6400 × 6200 px"


def mixed(index: int):
    return ("compression", picture) if index % 2 == 0 else ("spike_clustering", spikes)


async def one_session(browser, app_url: str, index: int, job=mixed) -> dict:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    path, make = job(index)
    try:
        name, data, mime, expected = make(index)
        await page.goto(f"{app_url}/{path}")
        await wait_idle_async(page, timeout=240_000)
        await page.locator('[data-testid="stSidebar"] input[type="file"]').first.set_input_files(
            {"name": name, "mimeType": mime, "buffer": data}, timeout=240_000
        )
        # the upload's rerun has run once the page names the file
        await page.wait_for_function(
            "name => document.querySelector('[data-testid=\"stMain\"]').innerText.includes(name)", arg=name,
            timeout=240_000)
        await wait_idle_async(page, timeout=240_000)
        text = await page.locator('[data-testid="stMain"]').inner_text()
        errors = await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
        return {"index": index, "name": name, "expected": expected, "text": text, "errors": errors}
    except Exception:
        await page.screenshot(path=str(ARTIFACTS / f"concurrency-failed-{index}.png"))
        raise
    finally:
        await context.close()


def run_sessions(app_url: str, job=mixed) -> list[dict]:
    from playwright.async_api import async_playwright

    async def main():
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                return await asyncio.gather(*(one_session(browser, app_url, i, job) for i in range(SESSIONS)))
            finally:
                await browser.close()

    outcome = {}

    def run():
        try:
            outcome["results"] = asyncio.run(main())
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error

    # Playwright's async API gets a thread of its own, apart from the sync fixtures.
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["results"]


def test_eight_sessions_at_once_each_see_their_own_result(app_url):
    check_own_results(run_sessions(app_url))


def test_eight_phone_photos_uploaded_at_once_each_get_their_result(app_url):
    """Each 40 MP upload is decoded at the working size and waits its turn at the
    server's work gate; every session still sees its own picture and no error."""
    check_own_results(run_sessions(app_url, lambda index: ("compression", phone_photo)))


def check_own_results(results: list[dict]) -> None:
    assert len(results) == SESSIONS
    for result in results:
        assert result["errors"] == 0, f"session {result['index']} shows an error"
        assert result["name"] in result["text"], f"session {result['index']} does not show its own file"
        assert re.search(re.escape(result["expected"]), result["text"]), (
            f"session {result['index']} does not show {result['expected']!r}"
        )
        others = [other["name"] for other in results if other is not result]
        assert not any(name in result["text"] for name in others), f"session {result['index']} sees another's file"
