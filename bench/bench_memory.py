"""Server memory under many distinct uploads, measured on the real server.

Starts ``streamlit run`` (sessions of closed tabs dropped after 10 s instead of
the default 120 s, cached results after 60 s unused instead of 900 s, so the
run ends sooner), then drives Debian's Chromium with
Playwright: ``--uploads`` browser sessions, ``--parallel`` at a time, each
uploading its own image (distinct sizes and content) to the Compression page
or its own spike CSV to the Spike clustering page, and waiting for the fit.
Reports the server's resident memory (VmRSS, Linux) after warm-up, its peak
while the sessions run, and after they have all closed, their session and
cache TTLs have passed and one new visitor has opened a page (the cache drops
expired entries when it is next written).

Targets: peak ≤ 1.5 GB; after the sessions close, back within 20 % of the
post-warm-up level.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import threading
import time

import numpy as np
from PIL import Image

from devtools.live_app import CHROMIUM, CHROMIUM_ARGS, rss_mb, start_server, stop_server, wait_idle_async
from nnmf_core.spikes import synthetic_spikes

SESSION_TTL = 10
CACHE_TTL = 60


def image_upload(index: int) -> tuple[str, bytes, str]:
    rng = np.random.default_rng(index)
    width, height = 300 + 37 * index % 900, 250 + 53 * index % 700
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * (index + 1)) % 256, (y * 3) % 256, ((x + y) * 2) % 256], axis=-1)
    pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return f"photo-{index}.png", buffer.getvalue(), "image/png"


def spikes_upload(index: int) -> tuple[str, bytes, str]:
    waveforms, units = synthetic_spikes(n_per_unit=60 + 10 * (index % 7), n_units=3 + index % 3, random_state=index)
    lines = ["uid," + ",".join(str(i) for i in range(waveforms.shape[1])) + ",unit"]
    lines += [f"s{i}," + ",".join(f"{v:.4f}" for v in row) + f",{u}" for i, (row, u) in enumerate(zip(waveforms, units))]
    return f"spikes-{index}.csv", "\n".join(lines).encode(), "text/csv"


async def one_session(browser, url: str, index: int) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = await context.new_page()
        path, make = ("compression", image_upload) if index % 2 == 0 else ("spike_clustering", spikes_upload)
        await page.goto(f"{url}/{path}")
        await wait_idle_async(page, timeout=300_000)
        name, data, mime = make(index)
        await page.locator('[data-testid="stSidebar"] input[type="file"]').first.set_input_files(
            {"name": name, "mimeType": mime, "buffer": data}, timeout=240_000
        )
        await page.wait_for_function(  # the upload's rerun has run once the page names the file
            "name => document.querySelector('[data-testid=\"stMain\"]').innerText.includes(name)", arg=name,
            timeout=300_000)
        await wait_idle_async(page, timeout=300_000)
        errors = await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
        if errors:
            raise RuntimeError(f"session {index} shows an error on /{path}")
    except Exception:
        await page.screenshot(path=f"/tmp/memory-session-{index}.png")
        raise
    finally:
        await context.close()


async def drive(url: str, uploads: int, parallel: int, on_warm, on_done) -> float:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        await one_session(browser, url, 10_000)  # warm-up: imports and the first fit of each page
        await one_session(browser, url, 10_001)
        await asyncio.sleep(SESSION_TTL + 5)
        on_warm()
        started = time.perf_counter()
        for first in range(0, uploads, parallel):
            batch = range(first, min(first + parallel, uploads))
            await asyncio.gather(*(one_session(browser, url, i) for i in batch))
        seconds = time.perf_counter() - started
        on_done()
        await asyncio.sleep(max(SESSION_TTL, CACHE_TTL) + 30)
        # One new visitor: the cache drops expired entries when it is next written.
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(f"{url}/compression")
        await wait_idle_async(page, timeout=300_000)
        await context.close()
        await asyncio.sleep(SESSION_TTL + 10)
        await browser.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=50)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()

    process, url = start_server(extra_args=["--server.disconnectedSessionTTL", str(SESSION_TTL)],
                                env={"NNMF_CACHE_TTL": str(CACHE_TTL)})
    levels = {"start": rss_mb(process.pid), "peak": 0.0}
    sampling = threading.Event()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            if sampling.is_set():
                levels["peak"] = max(levels["peak"], rss_mb(process.pid))
            time.sleep(0.2)

    def warmed() -> None:
        levels["warm"] = rss_mb(process.pid)
        sampling.set()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        seconds = asyncio.run(drive(url, args.uploads, args.parallel, warmed, sampling.clear))
        levels["after"] = rss_mb(process.pid)
    finally:
        stop.set()
        stop_server(process)

    change = (levels["after"] - levels["warm"]) / levels["warm"]
    print(f"server memory, {args.uploads} distinct uploads and fits, {args.parallel} sessions at a time, {seconds:.0f} s\n")
    print("| at start | after warm-up | peak | after sessions closed | after vs warm-up |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {levels['start']:.0f} MB | {levels['warm']:.0f} MB | {levels['peak']:.0f} MB (≤ 1536) "
          f"| {levels['after']:.0f} MB | {change:+.0%} (≤ +20 %) |")


if __name__ == "__main__":
    main()
