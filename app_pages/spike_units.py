"""The Spike clustering page's Units tab: is a cluster one neuron? Its ISI
histogram with the refractory period, violations and contamination (with
the interval its count allows), firing rate, amplitude over the recording
(drift), autocorrelogram, the quality table of every cluster, and marks by a
quality filter on it — all on the curated labels, the unassigned (−1) left out.

Without spike times the tab says which column would enable the spike-train
views (the text of the library's error) and shows the quality that the
waveforms alone give: size, amplitude, amplitude cut-off, SNR.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.live import cached_or_computed, plain
from app_pages.spike_curation import clusters_in, group_of, labels_digest, mark_now
from app_pages.spike_pairs import REFRACTORY_KEY
from app_pages.spike_state import job_bytes
from nnmf_core import InputError, figures, spikes
from nnmf_core._text import counted

#: Widget keys of the Units tab.
CLUSTER_KEY, ISI_AXIS_KEY = "spike_unit_cluster", "spike_isi_axis"
#: The ISI histogram's range, ms.
ISI_RANGE_MS = 50.0
#: How sure the contamination interval is, as the page writes it.
CONFIDENCE = f"{spikes.CONTAMINATION_LEVEL:.0%}".replace("%", " %")
#: The quality table's columns: label, number format, what it means, and (for an estimate the recording
#: may not give) why it can be missing.
UNIT_COLUMNS = {
    "cluster": ("cluster", "%d", None, None),
    "n_spikes": ("n", "%d", "Spikes in the cluster.", None),
    "firing_rate_hz": ("rate (Hz)", "%.2f", "Spikes over the recording's duration (to its last spike).", None),
    "isi_violations_ratio": ("ISI violation ratio", "%.3f", "Violations relative to a random train of the same "
                             "rate (SpikeInterface's isi_violations_ratio).", None),
    "isi_violations_count": ("ISI violations", "%d", "Intervals below the refractory period.", None),
    "contamination": ("contamination", "percent", "Hill et al. (2011): share of spikes from other neurons; 100 % "
                      "when there are more violations than any mixture explains.", None),
    "contamination_low": (f"{CONFIDENCE} low", "percent", f"Lower end of the contamination's {CONFIDENCE} interval: the "
                          "least the violation count allows.", None),
    "contamination_high": (f"{CONFIDENCE} high", "percent", f"Upper end of the contamination's {CONFIDENCE} interval: "
                           "the most the violation count allows. Few spikes leave it wide.", None),
    "presence_ratio": ("presence", "%.2f", f"Share of {spikes.PRESENCE_BIN_S:g} s bins of the recording in which the "
                       "unit fires.", f"the recording is shorter than one {spikes.PRESENCE_BIN_S:g} s bin"),
    "amplitude_median": ("amplitude", "%.1f", "Median spike amplitude.", None),
    "amplitude_cutoff": ("amplitude cut-off", "%.3f", "Estimated share of spikes lost below the detection "
                         f"threshold (needs {spikes.AMPLITUDE_CUTOFF_MIN_SPIKES} spikes).",
                         f"no cluster has the {spikes.AMPLITUDE_CUTOFF_MIN_SPIKES} spikes it needs"),
    "snr": ("SNR", "%.1f", "Template peak over the channel's noise.", None),
}


def unit_table_shown(quality: pd.DataFrame) -> tuple[pd.DataFrame, dict, list]:
    """The quality table as shown: its columns labelled, formatted and explained, without an estimate no
    cluster could give (a column of None only says "missing" four times); and a sentence for each left out."""
    empty = [column for column, (*_, why) in UNIT_COLUMNS.items()
             if why and column in quality.columns and quality[column].isna().all()]
    config = {column: st.column_config.NumberColumn(label, format=form, help=help_text)
              for column, (label, form, help_text, _) in UNIT_COLUMNS.items()}
    left_out = [f"{UNIT_COLUMNS[column][0]} ({UNIT_COLUMNS[column][3]})" for column in empty]
    return quality.drop(columns=empty), config, left_out


def contamination_range(row) -> str:
    """A unit's contamination interval as the page shows it, e.g. "2 – 100 %"."""
    low, high = (100 * row[end] for end in ("contamination_low", "contamination_high"))
    return f"{low:.{0 if low >= 1 or low == 0 else 1}f} – {high:.0f} %"


def quality_of(fit_key: str, labels: np.ndarray, table, channels: int,
               refractory_ms: float = spikes.DEFAULT_REFRACTORY_MS) -> pd.DataFrame:
    """The quality table of the (curated) clusters, cached: every metric with spike times (violations at
    ``refractory_ms``), the waveforms' half without. Raises InputError as the library does."""
    digest = labels_digest(labels)
    if table.spike_times is None:
        key = f"spike-waveform-units|{fit_key}|{digest}|{channels}"
        compute = partial(spikes.waveform_quality_table, labels, table.waveforms, channels=channels)
    else:
        key = f"spike-units|{fit_key}|{digest}|{refractory_ms}|{table.sampling_rate}|{channels}"
        compute = partial(spikes.unit_quality_table, labels, table.spike_times, table.waveforms, table.sampling_rate,
                          channels=channels, refractory_ms=refractory_ms)
    return cached_or_computed(key, compute, cost_bytes=job_bytes("per cluster", table))


def units_tab(fit_key: str, labels: np.ndarray, table, channels: int) -> None:
    """The physiology of one cluster at a time, then the quality table of all."""
    clusters = clusters_in(labels)
    if not clusters:
        st.info("Every waveform is unassigned: no unit to show.")
        return
    try:
        spikes.unit_spike_times(table.spike_times, labels, clusters[0] if clusters else 0)
    except InputError as error:
        st.info(plain(error), icon=":material/schedule:")
        waveform_units(fit_key, labels, table, channels)
        return
    rate = table.sampling_rate
    left, middle, right = st.columns([2, 3, 2], vertical_alignment="bottom")
    cluster = left.selectbox("Cluster", clusters, key=CLUSTER_KEY)
    refractory = middle.slider("Refractory period (ms)", 0.5, 5.0, spikes.DEFAULT_REFRACTORY_MS, step=0.1,
                               key=REFRACTORY_KEY, persist_state="session",
                               help="An interval between two spikes of one neuron shorter than this is a violation.")
    axis = right.segmented_control("ISI axis", ["linear", "log"], default="linear", required=True, key=ISI_AXIS_KEY)
    try:
        quality = quality_of(fit_key, labels, table, channels, refractory)
    except InputError as error:
        st.error(plain(error))
        return
    row = quality.set_index("cluster").loc[cluster]
    numbers = st.columns(5)
    numbers[0].metric("Spikes", f"{int(row['n_spikes']):,}")
    numbers[1].metric("Firing rate", f"{row['firing_rate_hz']:.2f} Hz")
    numbers[2].metric("ISI violations", f"{int(row['isi_violations_count']):,}",
                      help=f"Intervals shorter than {refractory:g} ms between consecutive spikes.")
    numbers[3].metric("Contamination", f"{row['contamination']:.1%}", delta=contamination_range(row),
                      delta_arrow="off", delta_color="off", delta_description=f"{CONFIDENCE} interval",
                      help="Hill et al. (2011): the share of spikes that would come from other neurons. The interval "
                           "holds the contaminations the violation count does not rule out: with a few violations "
                           "in a short recording it spans most of 0–100 %, and the estimate alone says little.")
    presence = row["presence_ratio"]
    numbers[4].metric("Presence ratio", "—" if np.isnan(presence) else f"{presence:.2f}",
                      help=f"Share of the recording's {spikes.PRESENCE_BIN_S:g} s bins in which the unit fires; — for a "
                           "recording too short.")
    times = spikes.unit_spike_times(table.spike_times, labels, cluster)
    log = axis == "log"
    isi = spikes.isi_histogram(times, max_ms=ISI_RANGE_MS, log_bins=log)
    acg = spikes.autocorrelogram(times, sampling_rate=rate)
    amplitudes = cached_or_computed(f"spike-amplitudes|{fit_key}|{labels_digest(labels)}|{channels}",
                                    lambda: spikes.spike_amplitudes(table.waveforms, labels, channels=channels),
                                    cost_bytes=job_bytes("per cluster", table))
    mine = amplitudes[labels == cluster]
    first, second = st.columns(2)
    first.plotly_chart(figures.isi_histogram_figure(
        isi.counts, isi.edges_ms, refractory_ms=refractory, log_x=log, cluster=cluster,
        violations=int(row["isi_violations_count"]), title=f"Cluster {cluster}: intervals between spikes (0–50 ms)"),
        width="stretch")
    second.plotly_chart(figures.autocorrelogram_figure(acg.counts, acg.edges_ms, refractory_ms=refractory,
                                                       cluster=cluster, title=f"Cluster {cluster}: autocorrelogram"),
                        width="stretch")
    drift = spikes.amplitude_drift(times, mine) if times.size >= 2 else None
    st.plotly_chart(figures.amplitude_time_figure(times, mine, drift=drift, cluster=cluster,
                                                  title=f"Cluster {cluster}: amplitude over the recording"),
                    width="stretch")
    st.caption("One neuron cannot fire twice within its refractory period (shaded): a clean unit leaves the band "
               "empty and shows a dip at 0 in the autocorrelogram. A slope in the amplitudes is the electrode "
               "drifting; a sudden floor cut is spikes lost below the detection threshold.")
    every_unit("**Every unit**", quality, labels, "As SpikeInterface computes them; the recording's duration is "
               "taken to its last spike. None: too little recording or too few spikes to estimate. "
               + contamination_note(quality))
    quality_marks(fit_key, quality)


#: The quality filter's thresholds: the Allen Institute's default and the contamination shown for sure.
FILTER = (*spikes.ALLEN_FILTER, spikes.CONTAMINATION_FILTER)
#: Every threshold's input: its label, step and help.
FILTER_INPUTS = {"isi_violations_ratio": ("ISI violation ratio below", 0.1, None),
                 "amplitude_cutoff": ("amplitude cut-off below", 0.01, None),
                 "presence_ratio": ("presence above", 0.05, None),
                 "contamination_low": ("least contamination below", 0.01,
                                       f"The lower end of the contamination's {CONFIDENCE} interval (the table's "
                                       f"{CONFIDENCE} low): the share of other neurons' spikes the violations show "
                                       "for sure.")}
FILTER_COLUMNS = {
    "cluster": st.column_config.NumberColumn("cluster", format="%d"),
    "passes": st.column_config.CheckboxColumn("passes"),
    "fails": st.column_config.TextColumn("fails"),
    "not_measured": st.column_config.TextColumn("not measured", help="Metrics the recording could not give: "
                                                "they fail no unit (a pandas query would fail it)."),
    "group": st.column_config.TextColumn("marked", help="The cluster's group now (Curation tab's marks)."),
}


def quality_marks(fit_key: str, quality: pd.DataFrame) -> None:
    """Mark by quality: the Allen Institute's default filter and the contamination shown for sure, with editable
    thresholds; each unit's verdict; one click to mark the units that pass good, one to mark those that fail a
    threshold mua (each an undoable step)."""
    with st.container(border=True):
        st.markdown("**Mark by quality**: the Allen Institute's default filter, as SpikeInterface's curation writes "
                    "it, and the contamination the violations show for sure (the interval's lower end), which "
                    "refuses two neurons joined in one cluster where Allen's ratio lets them through. Set your own "
                    "thresholds; the marks are undoable steps of the curation, and reach Phy's cluster_group.tsv.")
        thresholds = [spikes.Threshold(t.metric, t.above, column.number_input(
            FILTER_INPUTS[t.metric][0], min_value=0.0, value=float(t.value), step=FILTER_INPUTS[t.metric][1],
            help=FILTER_INPUTS[t.metric][2], key=f"spike_filter_{t.metric}"))
            for t, column in zip(FILTER, st.columns(len(FILTER)))]
        verdict = spikes.quality_filter(quality, thresholds)
        verdict["group"] = [group_of(fit_key, c) for c in verdict["cluster"]]
        passing = verdict.loc[verdict["passes"], "cluster"].tolist()
        failing = verdict.loc[verdict["fails"] != "", "cluster"].tolist()  # not a unit nothing could test
        st.dataframe(verdict, hide_index=True, width="stretch", column_config=FILTER_COLUMNS)
        unvouched = set(open_ended(quality))
        unbacked = [c for c in passing if c in unvouched]
        if unbacked:
            who = ("Every passing unit passes" if len(unbacked) == len(passing)
                   else f"{'Unit' if len(unbacked) == 1 else 'Units'} {', '.join(map(str, unbacked))} "
                        f"pass{'es' if len(unbacked) == 1 else ''}")
            them = "them" if 1 < len(unbacked) < len(passing) else "it"
            st.caption(f"{who} on violation counts too small to vouch for {them}: the contamination's "
                       f"{CONFIDENCE} interval still reaches 100 % (the table above). Look at the SNR and the "
                       "waveforms before marking good.")
        left, right = st.columns(2)
        left.button(f"Mark {counted(len(passing), 'passing unit')} good", key="spike_filter_good", width="stretch",
                    on_click=mark_now, args=(fit_key, passing, "good"), disabled=not passing,
                    icon=":material/check_circle:")
        right.button(f"Mark {counted(len(failing), 'failing unit')} mua", key="spike_filter_mua", width="stretch",
                     on_click=mark_now, args=(fit_key, failing, "mua"), disabled=not failing,
                     icon=":material/label:")


def open_ended(quality: pd.DataFrame) -> list[int]:
    """The clusters whose contamination interval reaches 100 %: too few spikes for their violations to vouch
    for them."""
    return quality.loc[quality["contamination_high"] >= 1.0, "cluster"].tolist()


def contamination_note(quality: pd.DataFrame) -> str:
    """What the contamination intervals say of the table as a whole: which units' violation counts cannot rule
    out a mix of neurons (the interval reaches 100 %), because the recording holds too few of their spikes."""
    unvouched = open_ended(quality)
    if not unvouched:
        return (f"The contamination's {CONFIDENCE} interval (low to high) holds the shares the violation count "
                "does not rule out.")
    which = "every unit" if len(unvouched) == len(quality) else (
        f"{counted(len(unvouched), 'unit')} ({', '.join(map(str, unvouched))})")
    return (f"For {which}, the contamination's {CONFIDENCE} interval reaches 100 %: too few spikes for the "
            "refractory violations to tell one neuron from a mix. A longer recording narrows it.")


def waveform_units(fit_key: str, labels: np.ndarray, table, channels: int) -> None:
    """Without spike times: the quality table of what the waveforms alone tell (size, amplitude, cut-off, SNR)."""
    try:
        quality = quality_of(fit_key, labels, table, channels)
    except InputError as error:
        st.error(plain(error))
        return
    every_unit("**Every unit, from its waveforms**", quality, labels,
               "What the waveforms tell without their times, as SpikeInterface computes it: a single neuron stands "
               "well out of the noise (a high SNR) and loses few spikes below the detection threshold (an "
               "amplitude cut-off near 0; the Allen Institute's default filter keeps units below 0.1). The ISI "
               "histogram, refractory violations, firing rate, autocorrelogram and amplitude drift need the time "
               "of every spike.")


def every_unit(heading: str, quality: pd.DataFrame, labels: np.ndarray, caption: str) -> None:
    """The quality table of every cluster under ``heading``, with ``caption`` and what it leaves out."""
    st.markdown(heading)
    shown, config, left_out = unit_table_shown(quality)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
    st.caption(caption + " "
               + (f"Not shown: {'; '.join(left_out)}. " if left_out else "")
               + ("The unassigned waveforms (−1) are left out." if spikes.UNASSIGNED in labels else ""))
