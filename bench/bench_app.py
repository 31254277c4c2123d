"""How fast each page renders, measured headless with Streamlit's AppTest.

For every page, each repeat starts from empty caches and times:

- cold: the first render with the default settings (fit included); the very
  first repeat also pays for importing the page's modules, reported apart;
- cached: the same script run again, answered from the cache;
- new rank: the form submitted with another rank (a fresh fit).

Then each view of the two Learn NMF pages, opened through its link with
the pages' default settings (the bundled photo at 256 px): cold from empty
caches (picture and view computed), cached (the same run again), and for the
replay a move of its slider (answered from the cached snapshots). And the
chart data the Compression page's default view sends.

Run with ``make bench`` (or ``python -m bench.bench_app``). Targets on a
2-core machine: cold ≤ 2 s, cached ≤ 0.3 s; learning views cold ≤ 3 s,
cached ≤ 0.3 s; the Compression page's default charts ≤ 400 kB.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from nnmf_core import pin_blas_threads_for_sessions

ROOT = Path(__file__).resolve().parents[1]

#: page title -> (script, key of its rank widget, another rank to submit)
PAGES = {
    "Compression": ("app_pages/compression.py", "rank", 30),
    "Spike clustering": ("app_pages/spike_clustering.py", "spike_rank", 5),
}


#: Learning view -> (script, query parameters that open it).
LEARNING_VIEWS = {
    "Learn NMF: replay": ("app_pages/learn.py", {}),
    "Learn NMF: race": ("app_pages/learn.py", {"learn_view": "Race the solvers"}),
    "Parts: patches": ("app_pages/learn_parts.py", {}),
    "Parts: inpainting": ("app_pages/learn_parts.py", {"learn_parts_view": "Fill in the gaps"}),
    "Parts: which rank": ("app_pages/learn_parts.py", {"learn_parts_view": "Which rank?"}),
}


def rank_widget(at: AppTest, key: str):
    for finder in (at.number_input, at.slider, at.selectbox):
        try:
            return finder(key=key)
        except KeyError:
            continue
    raise LookupError(f"the page has no widget with key {key!r}")


def timed_run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"the page raised: {at.exception[0].message}")
    return seconds


def measure(script: str, rank_key: str, other_rank: int) -> tuple[float, float, float]:
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / script), default_timeout=120)
    cold = timed_run(at)
    cached = timed_run(at)
    rank_widget(at, rank_key).set_value(other_rank)
    at.form_submit_button[0].click()
    new_rank = timed_run(at)
    return cold, cached, new_rank


def measure_view(script: str, query: dict[str, str]) -> tuple[float, float, float | None]:
    """Cold and cached render of one learning view, and (the replay) a slider move."""
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / script), default_timeout=120)
    for name, value in query.items():
        at.query_params[name] = value
    cold = timed_run(at)
    cached = timed_run(at)
    moved = None
    replay_sliders = [slider for slider in at.select_slider if (slider.key or "").startswith("learn_iteration")]
    if replay_sliders:  # the replay: show an early snapshot
        slider = replay_sliders[0]
        slider.set_value(int(slider.options[len(slider.options) // 4]))
        moved = timed_run(at)
    return cold, cached, moved


def chart_bytes(script: str) -> int:
    """Chart JSON the page's default view sends."""
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / script), default_timeout=120)
    at.run()
    return sum(len(chart.proto.spec) for chart in at.get("plotly_chart"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    threads = pin_blas_threads_for_sessions()  # as the pages themselves do
    print(f"page render times (AppTest), {args.repeats} repeats, medians, {threads} BLAS threads\n")
    print("| page | first cold s, imports included (≤ 2) | cold s (≤ 2) | cached s (≤ 0.3) | new rank s |")
    print("|---|---:|---:|---:|---:|")
    for title, (script, rank_key, other_rank) in PAGES.items():
        runs = [measure(script, rank_key, other_rank) for _ in range(args.repeats)]
        cold, cached, new_rank = (statistics.median(column) for column in zip(*runs))
        print(f"| {title} | {runs[0][0]:.2f} | {cold:.2f} | {cached:.3f} | {new_rank:.2f} |")
    print(f"\nCompression page, default view: {chart_bytes(PAGES['Compression'][0]) / 1000:.0f} kB of chart JSON "
          "(≤ 400)\n")
    print("| learning view | first cold s, imports included | cold s (≤ 3) | cached s (≤ 0.3) | slider moved s |")
    print("|---|---:|---:|---:|---:|")
    for title, (script, query) in LEARNING_VIEWS.items():
        runs = [measure_view(script, query) for _ in range(args.repeats)]
        cold, cached = (statistics.median(column) for column in list(zip(*runs))[:2])
        moved = [run[2] for run in runs if run[2] is not None]
        shown = f"{statistics.median(moved):.3f}" if moved else "—"
        print(f"| {title} | {runs[0][0]:.2f} | {cold:.2f} | {cached:.3f} | {shown} |")


if __name__ == "__main__":
    main()
