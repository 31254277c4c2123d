"""The Curation tab's pair check: pick one of the suggested pairs, see whether
it is one neuron (the pair's waveforms along the line joining their means;
with spike times, the pair's cross-correlogram and what merging would do to
the refractory period), and merge it.

Nothing here imports the other tab modules: the Curation tab hands in the
labels' digest and its merge callback, and the Units tab reads the
refractory period's widget key from here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from app_pages.live import cached_or_computed, plain
from nnmf_core import InputError, figures, spikes

#: Widget keys: the Units tab's refractory period (shared), and the pair checked here.
REFRACTORY_KEY, PAIR_KEY = "spike_refractory_ms", "spike_pair_checked"
#: The cross-correlogram's half-width and bin, ms: fine enough to show a refractory gap.
CCG_WINDOW_MS, CCG_BIN_MS = 25.0, 0.5

CHECK_COLUMNS = {
    "cluster": st.column_config.TextColumn("cluster"),
    "n_spikes": st.column_config.NumberColumn("n", format="%d"),
    "isi_violations_count": st.column_config.NumberColumn("ISI violations", format="%d",
                                                          help="Intervals below the refractory period."),
}


def pair_section(fit_key: str, labels_key: str, labels: np.ndarray, table, pairs: list[tuple[int, int]],
                 merge: Callable) -> None:
    """A pair of ``pairs`` (the merge suggestions, best first) to check and merge; ``merge(fit_key, pair)``
    is the Curation tab's merge, ``labels_key`` the digest of the curated ``labels``."""
    st.markdown("**Is a pair one neuron?** One neuron cut in two keeps its refractory period across the cut; "
                "two neurons do not.")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    named = {f"clusters {a} and {b}": (a, b) for a, b in pairs}
    pair = named.get(left.selectbox("Pair", list(named), key=PAIR_KEY), pairs[0])
    right.button(f"Merge {pair[0]} and {pair[1]}", key="spike_merge_top", on_click=merge, args=(fit_key, pair),
                 width="stretch", icon=":material/call_merge:")
    shape_section(fit_key, labels_key, labels, table, pair)
    if table.spike_times is None:
        st.caption("With spike times (a time column), the pair's cross-correlogram and what merging would do to "
                   "the refractory period would show here.")
        return
    refractory = float(st.session_state.get(REFRACTORY_KEY, spikes.DEFAULT_REFRACTORY_MS))
    rate = table.sampling_rate
    key = f"spike-pair|{fit_key}|{labels_key}|{pair}|{refractory}|{rate}"

    def computed():
        a, b = (np.asarray(table.spike_times)[labels == cluster] for cluster in pair)
        return (spikes.merge_refractory_check(table.spike_times, labels, *pair, sampling_rate=rate,
                                              refractory_ms=refractory),
                spikes.crosscorrelogram(a, b, window_ms=CCG_WINDOW_MS, bin_ms=CCG_BIN_MS, sampling_rate=rate))

    try:
        check, ccg = cached_or_computed(key, computed, cost_bytes=spikes.job_memory_bytes(
            "per cluster", *table.waveforms.shape))
    except InputError as error:
        st.info(plain(error))
        return
    chart, words = st.columns([3, 2])
    chart.plotly_chart(figures.crosscorrelogram_figure(
        ccg.counts, ccg.edges_ms, refractory_ms=refractory, pair=pair, chance_per_ms=check.chance_per_ms,
        title=f"Cross-correlogram: spikes of {pair[1]} around those of {pair[0]}"), width="stretch")
    with words:
        st.markdown(check.verdict)
        st.dataframe(check.table[list(CHECK_COLUMNS)].astype({"cluster": str}), hide_index=True, width="stretch",
                     column_config=CHECK_COLUMNS)  # no contamination: with few violations Hill's estimate jumps to 100 %
        st.caption(f"Refractory period {refractory:g} ms (set in the Units tab). A gap around 0 below the dashed "
                   "line: the two clusters never fire together, as one neuron's spikes cannot.")


def shape_section(fit_key: str, labels_key: str, labels: np.ndarray, table, pair: tuple[int, int]) -> None:
    """What the pair's waveforms say: their histograms along the line joining the two mean waveforms, and d′."""
    try:
        projection = cached_or_computed(f"spike-pair-shape|{fit_key}|{labels_key}|{pair}",
                                        lambda: spikes.pair_projection(table.waveforms, labels, *pair),
                                        cost_bytes=spikes.job_memory_bytes("per cluster", *table.waveforms.shape))
    except InputError as error:
        st.info(plain(error))
        return
    chart, words = st.columns([3, 2], vertical_alignment="center")
    chart.plotly_chart(figures.pair_projection_figure(
        projection.edges, projection.counts_a, projection.counts_b, pair=pair, distance=projection.distance,
        title=f"Waveforms of {pair[0]} and {pair[1]} along the line between their means"),
        width="stretch")
    words.markdown(f"**d′ = {projection.d_prime:.2f}** between the two clusters' waveforms.")
    words.caption(f"One neuron cut near its middle is one hump split in two: a Gaussian cloud cut through its mean "
                  f"gives d′ = {spikes.CUT_UNIT_SEPARATION:.1f}, single units of SpikeInterface's ground-truth "
                  "recordings cut by 2-means 1.8–3.8. Two neurons are two humps with a valley between: pairs of "
                  "its true units 2.1–13, one in seven below 2.6, so look for the valley, not only the number. A "
                  "handful of waveforms far from the rest is no second neuron (spikes overlapping another unit's, "
                  "noise). With enough spikes, the spike times (below) decide.")
