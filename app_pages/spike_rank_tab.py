"""The Spike clustering page's rank tab: a scan of k with the method in the
sidebar, the suggested rank and why, and buttons that apply it or, when it
is unsure, the other ranks it names (through ``spike_pending_rank``, which
the page reads before its form).
"""

from __future__ import annotations

import streamlit as st

from app_pages import spike_state as state
from app_pages.live import cached_or_computed, plain
from nnmf_core import InputError, figures, spikes


def rank_tab(table, settings, source_key: str, k: int) -> None:
    """Scan k = 2 … 10, draw the criteria, suggest a rank and offer to use it (or the ranks it leaves open)."""
    st.markdown(f"For k = {spikes.SCAN_RANKS[0]} … {spikes.SCAN_RANKS[-1]}: eight fits from random starts each, with the "
                "method in the sidebar, scored by fit, reproducibility, separation d′ (the distance of the "
                "two closest cluster means in units of their spread) and prediction strength (do clusters found "
                "in one half of the waveforms keep the other half's clusters together?).")

    scan_ranks = [r for r in spikes.SCAN_RANKS if r <= table.n_waveforms]

    def scanned():
        bar = st.progress(0.0, text="Scanning ranks …")
        try:
            return spikes.rank_scan(
                table.waveforms, scan_ranks, transform=settings.transform, max_iter=scan_work.max_iter,
                assignment=settings.assignment, solver=settings.solver, random_state=settings.seed,
                channels=settings.channels, align=settings.align_option,
                on_rank=lambda done, total: bar.progress(done / total, text=f"Scanned {done} of {total} ranks"))
        finally:
            bar.empty()

    scan_key = settings.scan_key(source_key)
    try:
        scan_work = spikes.affordable_scan(table.n_waveforms, table.n_samples, scan_ranks,
                                           transform=settings.transform)
        if scan_work.note:
            st.warning(scan_work.note)
        scan = cached_or_computed(scan_key, scanned, cost_bytes=state.job_bytes("rank scan", table))
        suggestion = spikes.rank_suggestion(scan)
        suggested = suggestion.k
    except InputError as error:
        st.error(plain(error))
    else:
        st.plotly_chart(figures.spike_rank_scan_figure(
            scan["k"], scan["relative_error"], scan["cophenetic"], scan["stability"], scan["separation"],
            suggested=suggested, threshold=spikes.SEPARATION_THRESHOLD, prediction_strength=scan["prediction_strength"],
            strength_threshold=spikes.PREDICTION_STRENGTH_THRESHOLD, set_aside=suggestion.set_aside,
            too_small=suggestion.too_small,
            title=f"Which k? The scan suggests k = {suggested}"), width="stretch")
        st.markdown(suggestion.reason)
        strength, open_above = spikes.PREDICTION_STRENGTH_THRESHOLD, spikes.PREDICTION_STRENGTH_OPEN
        st.caption("The error always falls as k grows. The consensus scores (cophenetic correlation, mean "
                   "pairwise ARI of the starts) say how reproducible each k is; separation d′ says whether the "
                   "two closest clusters are really apart, or one unit cut in two. Prediction strength "
                   "(Tibshirani & Walther 2005) splits the waveforms in halves, clusters each, and asks what share "
                   "of every cluster's pairs the other half's clusters keep together: near 1 while k is at most "
                   "the number of units, about 0.5 once a cluster is a unit cut in two. The suggestion is the k "
                   "after which it falls the most (counted down to 0.5, no lower) and does not come back; it is "
                   "called unsure when the separation points elsewhere, when the next k still holds "
                   f"{open_above:g} (more than a unit cut in two), or when the largest k scanned still holds "
                   f"{strength:g}. A k whose clusters include two that differ only by a fraction of a sample in time "
                   f"(timing split ≥ {spikes.TIMING_SPLIT_SHARE:g}) has cut a unit by its jitter and is set aside, "
                   f"and so is a k with a cluster of fewer than {spikes.MIN_UNIT_WAVEFORMS} waveforms, too few for a "
                   "unit.")
        if suggested == k:
            st.success(f"k = {suggested} is the rank in use.")
        others = [j for j in suggestion.alternatives if j != k]  # an unsure suggestion's other ranks, one click away
        buttons = st.container(horizontal=True)
        chosen = None
        if suggested != k and buttons.button(f"Use k = {suggested}", type="primary", key="spike_use_rank"):
            chosen = suggested
        for other in others:
            if buttons.button(f"Try k = {other}", key=f"spike_try_rank_{other}",
                              help="A rank the evidence leaves open (see above)."):
                chosen = other
        if chosen is not None:
            st.session_state["spike_pending_rank"] = chosen
            st.rerun()
        st.dataframe(scan, hide_index=True, width="stretch", column_config=state.SCAN_COLUMNS)
