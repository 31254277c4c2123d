"""A class opening a shared link at once: server memory and each visitor's wait.

For each N (default 4, 8 and 16) a fresh ``streamlit run`` server is warmed up
(each page opened once), then N Chromium sessions (Playwright, Debian's
Chromium) upload at the same moment:

- the largest photo a phone makes that the page accepts: a 6400 × 6200 px
  (39.7 MP) JPEG of about 1 MB, to the Compression page;
- then a spike CSV of about 45 MB (50,000 waveforms × 120 samples), to the
  Spike clustering page.

Reports the server's peak resident memory (VmRSS, sampled every 0.1 s) above
the level after warm-up, every session's time from upload to result (the file
named on the page, every chart drawn), and how many sessions were shown the
queue message. Targets: 8 photo sessions at once peak ≤ 1 GB, 16 ≤ 1.2 GB,
all finish, no error.

Run from the project root: ``python -m bench.bench_classroom [--sessions 4 8 16] [--uploads photo csv]``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from devtools.live_app import CHROMIUM, CHROMIUM_ARGS, rss_mb, start_server, stop_server, wait_idle_async

RESULTS = Path(__file__).resolve().parent / "results"
QUEUE_TEXT = "ahead of yours"
#: Records, in the page, whether the queue message was ever shown.
WATCH_QUEUE = """
new MutationObserver(() => {
  if (document.body && document.body.innerText.includes('QUEUE_TEXT')) window.__sawQueue = true;
}).observe(document, {subtree: true, childList: true, characterData: true});
""".replace("QUEUE_TEXT", QUEUE_TEXT)


def phone_photo(index: int) -> tuple[str, bytes, str]:
    """Student ``index``'s photo: a smooth 6400 × 6200 px colour picture of its
    own as a JPEG of about 1 MB (cached)."""
    path = RESULTS / f"classroom-photo-{index}.jpg"
    if not path.exists():
        height, width = 6200, 6400
        y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
        x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
        channels = [128 + 100 * np.sin(12 * x + 3 * y + index), 128 + 100 * np.cos(7 * y - 5 * x * y),
                    128 + 90 * np.sin(20 * x * y + index / 3)]
        RESULTS.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.dstack([c.astype(np.uint8) for c in channels])).save(path, "JPEG", quality=85)
    return f"photo-{index}.jpg", path.read_bytes(), "image/jpeg"


def spike_csv(index: int) -> tuple[str, bytes, str]:
    """Student ``index``'s recording: 50,000 noisy waveforms of 5 units × 120
    samples with a unit column (cached, about 45 MB)."""
    path = RESULTS / f"classroom-spikes-{index}.csv"
    if not path.exists():
        rng = np.random.default_rng(index)
        t = np.linspace(0, 1, 120)
        shapes = [-np.exp(-((t - 0.3) / w) ** 2) + 0.4 * np.exp(-((t - 0.5) / (2 * w)) ** 2)
                  for w in (0.02, 0.04, 0.06, 0.08, 0.1)]
        units = rng.integers(0, 5, 50_000)
        waves = np.array(shapes)[units] * rng.uniform(40, 120, (50_000, 1)) + rng.normal(0, 5, (50_000, 120))
        buffer = io.StringIO()
        buffer.write("uid," + ",".join(map(str, range(120))) + ",unit\n")
        for i, (row, unit) in enumerate(zip(waves, units)):
            buffer.write(f"s{i}," + ",".join(f"{v:.3f}" for v in row) + f",u{unit}\n")
        RESULTS.mkdir(parents=True, exist_ok=True)
        path.write_text(buffer.getvalue())
    return f"spikes-{index}.csv", path.read_bytes(), "text/csv"


#: What a class may upload: the page it goes to and each student's file.
UPLOADS = {"photo": ("compression", phone_photo), "csv": ("spike_clustering", spike_csv)}


async def one_session(browser, url: str, path: str, upload, ready: list, start: asyncio.Event) -> dict:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.add_init_script(WATCH_QUEUE)
    try:
        page = await context.new_page()
        await page.goto(f"{url}/{path}")
        await wait_idle_async(page, timeout=600_000)
        name, data, mime = upload
        ready.append(True)
        await start.wait()
        began = time.perf_counter()
        await page.locator('[data-testid="stSidebar"] input[type="file"]').first.set_input_files(
            {"name": name, "mimeType": mime, "buffer": data}, timeout=600_000)
        await page.wait_for_function(  # the upload's run has finished once the page names the file
            "name => document.querySelector('[data-testid=\"stMain\"]').innerText.includes(name)",
            arg=name, timeout=600_000)
        await wait_idle_async(page, timeout=600_000)
        seconds = time.perf_counter() - began
        errors = await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
        queued = bool(await page.evaluate("() => window.__sawQueue === true"))
        return {"seconds": seconds, "errors": errors, "queued": queued}
    finally:
        await context.close()


async def classroom(url: str, n: int, path: str, upload) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        start, ready = asyncio.Event(), []
        sessions = [asyncio.create_task(one_session(browser, url, path, upload(index), ready, start))
                    for index in range(n)]
        while len(ready) < n and not any(task.done() for task in sessions):
            await asyncio.sleep(0.2)  # every page open and idle before the class uploads together
        start.set()
        results = await asyncio.gather(*sessions)
        await browser.close()
    return results


def run(n: int, path: str, upload) -> dict:
    process, url = start_server()
    peak = {"mb": 0.0}
    stop = threading.Event()
    try:
        asyncio.run(classroom(url, 1, path, lambda index: upload(1000)))  # warm-up: imports, the first decode and fit
        warm = rss_mb(process.pid)

        def sample() -> None:
            while not stop.is_set():
                peak["mb"] = max(peak["mb"], rss_mb(process.pid))
                time.sleep(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        results = asyncio.run(classroom(url, n, path, upload))
    finally:
        stop.set()
        stop_server(process)
    seconds = sorted(r["seconds"] for r in results)
    return {"n": n, "page": path, "warm": warm, "peak": peak["mb"], "seconds": seconds,
            "errors": sum(r["errors"] for r in results), "queued": sum(r["queued"] for r in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--uploads", nargs="+", choices=list(UPLOADS), default=list(UPLOADS),
                        help="what the class uploads (default: both, one after the other)")
    args = parser.parse_args()
    cases = [UPLOADS[name] for name in args.uploads]
    print("| page | sessions | server after warm-up | peak | peak − warm-up | time to result: median / slowest "
          "| saw the queue | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for path, upload in cases:
        for n in args.sessions:
            row = run(n, path, upload)
            print(f"| {path} | {n} | {row['warm']:.0f} MB | {row['peak']:.0f} MB | {row['peak'] - row['warm']:.0f} MB "
                  f"| {statistics.median(row['seconds']):.1f} s / {row['seconds'][-1]:.1f} s "
                  f"| {row['queued']} of {n} | {row['errors']} |", flush=True)


if __name__ == "__main__":
    main()
