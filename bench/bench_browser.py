"""How long a visitor waits for each page's charts, in a real browser, and how much chart JSON the page sends.

For every page, each repeat starts a fresh server (``streamlit run``, as
``devtools.live_app`` does for the browser tests) and opens the page in
Debian's Chromium twice (the home page, which computes nothing and draws
one small chart, is timed alike as the floor: what Streamlit and Plotly
themselves cost):

- first visit: navigation to every Plotly chart drawn, on a server that has
  imported nothing and computed nothing yet (imports, reading, fitting and
  drawing all included);
- second visit: the same in a new browser session, the results now cached
  (transfer and drawing, mostly).
- from home: on another fresh server, the home page opened, read for a few
  seconds, then the page's link clicked: click to every chart drawn. The
  home page loads what the pages import in the background meanwhile
  (``app_pages.warm_up``), and its chart has the browser load Plotly's
  code; timed again with the background imports turned off
  (``NNMF_WARM_UP=0``).

"Drawn" is :func:`devtools.live_app.wait_idle`'s condition (the script has
stopped and every chart holds its SVG), timed by the browser: milliseconds
from the navigation's start (``performance.timeOrigin``) to the first poll
that saw it (every 100 ms). On the spike page the second visit then switches
the waveforms figure to single lines and back to the density image, and the
bundled example to the 4-channel recording: click to charts drawn, density
against lines side by side.

The chart JSON of each page's default view is measured headless with
Streamlit's AppTest (the sum of every chart's spec).

Run with ``python -m bench.bench_browser [--repeats 3]`` (needs Chromium and
Playwright). Targets: first visit ≤ 3 s for the bundled data, default view ≤
400 kB of chart JSON.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from devtools.live_app import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server, wait_idle, wait_rerun

ROOT = Path(__file__).resolve().parents[1]
#: page title -> URL path
PAGES = {"Compression": "compression", "Spike clustering": "spike_clustering"}
#: The floor: Streamlit's own start in the browser, on a page that computes nothing and draws one small chart.
FLOOR = {"Home (one small chart, the floor)": ""}
#: Seconds a visitor spends on the home page before clicking a page's link (a short read).
READING_S = 4.0


def settled_ms(page, started: float = 0.0) -> float:
    """Milliseconds from ``started`` (a ``performance.now()`` of this document) to the charts drawn."""
    return float(page.evaluate("window.__nnmfSettledSince")) - started


def visit(browser, url: str) -> tuple[float, object, object]:
    """Open ``url`` in a new 1280×800 session; (ms to charts drawn, context, page)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(url)
    wait_idle(page, timeout=180_000)
    return settled_ms(page), context, page


def after_click(page, locator) -> float:
    """Milliseconds from a click to the charts drawn again."""
    started = float(page.evaluate("performance.now()"))
    locator.click()
    wait_rerun(page, timeout=180_000)
    return settled_ms(page, started)


def from_home(browser, url: str, title: str) -> float:
    """On a fresh server: open the home page, read it for :data:`READING_S`, then click
    the link to page ``title``; ms from the click to its charts drawn."""
    _, context, page = visit(browser, url)
    time.sleep(READING_S)
    ms = after_click(page, page.locator('[data-testid="stMain"]').get_by_role("link", name=title))
    context.close()
    return ms


def spike_switches(page) -> dict:
    """Density → lines → density, then the 4-channel example: ms from each click to the charts drawn."""
    times = {"to single lines": after_click(page, page.get_by_text("single lines", exact=True)),
             "back to density image": after_click(page, page.get_by_text("density image", exact=True))}
    sidebar = page.locator('[data-testid="stSidebar"]')
    times["4-channel example (first fit)"] = after_click(page, sidebar.get_by_text("SpikeInterface simulation"))
    return times


def browser_times(repeats: int) -> dict:
    """{(page, what): [ms per repeat]}."""
    from playwright.sync_api import sync_playwright

    times: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeats):
            for title, path in {**FLOOR, **PAGES}.items():
                process, url = start_server()
                try:
                    first, context, _ = visit(browser, f"{url}/{path}")
                    context.close()
                    second, context, page = visit(browser, f"{url}/{path}")
                    extra = spike_switches(page) if path == "spike_clustering" else {}
                    context.close()
                finally:
                    stop_server(process)
                for what, ms in {"first visit, fresh server": first, "second visit, cached": second, **extra}.items():
                    times.setdefault((title, what), []).append(ms)
                for warm in ("1", "0") if path else ():  # the usual way in: a shared link opens the home page
                    process, url = start_server(env={"NNMF_WARM_UP": warm})
                    try:
                        via_home = from_home(browser, url, title)
                    finally:
                        stop_server(process)
                    what = f"home, {READING_S:g} s read, click to drawn" + ("" if warm == "1" else ", no warm-up")
                    times.setdefault((title, what), []).append(via_home)
        browser.close()
    return times


def chart_json_bytes() -> dict:
    """{page title: [bytes of each chart's JSON]} of the default view, with AppTest."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    sizes = {}
    for title, path in PAGES.items():
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "app_pages" / f"{path}.py"), default_timeout=180).run()
        if at.exception:
            raise RuntimeError(f"{title} raised: {at.exception[0].message}")
        sizes[title] = [len(chart.proto.spec) for chart in at.get("plotly_chart")]
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    print("chart JSON of the default view (AppTest)\n")
    print("| page | charts | total kB (≤ 400) | largest kB |")
    print("|---|---:|---:|---:|")
    for title, sizes in chart_json_bytes().items():
        print(f"| {title} | {len(sizes)} | {sum(sizes) / 1000:.0f} | {max(sizes, default=0) / 1000:.0f} |")

    print(f"\nnavigation (or click) to every chart drawn, Chromium 1280×800, {args.repeats} fresh servers each, "
          "medians (min–max)\n")
    print("| page | visit | s (first visit ≤ 3) | s over the floor |")
    print("|---|---|---:|---:|")
    times = browser_times(args.repeats)
    floor = next(iter(FLOOR))
    for (title, what), values in times.items():
        seconds = [ms / 1000 for ms in values]
        base = times.get((floor, what))
        over = f"{(statistics.median(values) - statistics.median(base)) / 1000:+.2f}" if base and title != floor else ""
        print(f"| {title} | {what} | {statistics.median(seconds):.2f} ({min(seconds):.2f}–{max(seconds):.2f}) "
              f"| {over} |")
    lines = statistics.median(times[("Spike clustering", "to single lines")])
    density = statistics.median(times[("Spike clustering", "back to density image")])
    print(f"\nsingle lines / density image, click to drawn: {lines / density:.2f}×")


if __name__ == "__main__":
    main()
