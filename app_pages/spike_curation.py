"""The Spike clustering page's curation: the history of merges, splits and
marks kept per fit in the session, the labels the page shows (curated, with
the unassigned waveforms as −1 when asked), the sidebar history with undo,
redo and reset, and the Curation tab.

A curation belongs to one fit: it is stored under the fit's cache key (the
data's digest and the method's settings). When the data or the fit changes,
the page says so and sets the old curation aside; going back to those
settings brings it back. Buttons change only the stored history (their
callbacks apply one action to it); everything shown is drawn from it top to
bottom on the next run.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages import spike_state as state
from app_pages.live import cached_or_computed, digest, plain
from app_pages.spike_pairs import pair_section
from nnmf_core import InputError, figures, spikes
from nnmf_core._text import counted

#: Session keys: the curations by fit key (most recent last), the fit in use, an action's refusal.
CURATIONS_KEY, CURRENT_KEY, REFUSED_KEY = "spike_curations", "spike_curation_fit", "spike_curation_refused"
#: Widget keys of the Curation tab.
MERGE_KEY, MARK_KEY, GROUP_KEY, SPLIT_KEY = "spike_merge", "spike_mark", "spike_mark_group", "spike_split"
ORDER_KEY, UNASSIGN_KEY, PREVIEW_KEY = "spike_merge_order", "spike_unassign", "spike_split_preview"
#: Curations of other fits kept aside in a session.
KEPT_CURATIONS = 6
GROUP_LABELS = {"good": "good", "mua": "mua (multi-unit)", "noise": "noise", spikes.UNSORTED: "unsorted (clear)"}


def history_for(fit_key: str, fit_labels: np.ndarray) -> spikes.CurationHistory:
    """The curation of the fit under ``fit_key`` (a fresh one from its labels
    the first time), saying so when the fit changed under a curation."""
    kept = st.session_state.setdefault(CURATIONS_KEY, {})
    previous = st.session_state.get(CURRENT_KEY)
    if previous is not None and previous != fit_key:
        old = kept.get(previous)
        back = kept.get(fit_key)
        if old is not None and old.position:
            st.info(f"The data or the fit changed, so the {counted(old.position, 'curation step')} of the previous "
                    "fit are set aside (not applied to this one). Go back to its settings to get them back.",
                    icon=":material/history:")
        if back is not None and back.position:
            st.success(f"Your {counted(back.position, 'curation step')} on these settings are back.",
                       icon=":material/history:")
    history = kept.pop(fit_key, None) or spikes.CurationHistory.start(fit_labels)
    kept[fit_key] = history
    for stale in list(kept)[:-KEPT_CURATIONS]:
        del kept[stale]
    st.session_state[CURRENT_KEY] = fit_key
    return history


def threshold_key(fit_key: str) -> str:
    """The residual slider's key: one per fit, so a new fit starts at its own suggestion."""
    return "spike_residual_" + digest(fit_key.encode())[:16]


def residuals_of(fit_key: str, result, waveforms: np.ndarray) -> tuple[np.ndarray, float]:
    """The relative residual of every waveform and the suggested threshold (cached per fit)."""
    def computed():
        residuals = spikes.relative_residuals(result.factored(waveforms), result.W, result.H)
        return residuals, spikes.suggested_residual_threshold(residuals)
    return cached_or_computed(f"spike-residuals|{fit_key}", computed,
                              cost_bytes=spikes.job_memory_bytes("residuals", *waveforms.shape))


def labels_now(fit_key: str, history: spikes.CurationHistory, result, waveforms: np.ndarray) -> np.ndarray:
    """The labels the page shows: the curated ones, with −1 for the badly explained
    waveforms when "take them out" is on."""
    if not st.session_state.get(UNASSIGN_KEY):
        return history.labels
    return unassigned_at(fit_key, history.labels, result, waveforms).labels


def unassigned_at(fit_key: str, labels: np.ndarray, result, waveforms: np.ndarray) -> spikes.Unassigned:
    """The waveforms above the residual threshold in use, taken out of ``labels`` (cached)."""
    residuals, suggested = residuals_of(fit_key, result, waveforms)
    threshold = float(st.session_state.get(threshold_key(fit_key), min(suggested, 1.0)))
    return cached_or_computed(f"spike-unassigned|{fit_key}|{labels_digest(labels)}|{threshold}",
                              lambda: spikes.unassigned_waveforms(labels, result.factored(waveforms), result.W, result.H,
                                                                  residual_threshold=threshold),
                              cost_bytes=spikes.job_memory_bytes("residuals", *waveforms.shape))


def assigned(waveforms: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The waveforms and labels of the clusters (the unassigned left out), for the cluster figures."""
    keep = labels != spikes.UNASSIGNED
    return (waveforms, labels) if keep.all() else (waveforms[keep], labels[keep])


def assigned_labels(labels: np.ndarray) -> np.ndarray:
    """The labels without the unassigned (−1)."""
    return labels[labels != spikes.UNASSIGNED]


def clusters_shown(labels: np.ndarray, k: int) -> int:
    """Cluster panels to draw: the fit's k, or more after a split (a merged-away cluster stays, empty)."""
    return max(k, int(labels.max()) + 1)


def clusters_in(labels: np.ndarray) -> list[int]:
    """The clusters that hold waveforms now (the unassigned left out)."""
    return [int(c) for c in np.unique(labels) if c != spikes.UNASSIGNED]


def labels_digest(labels: np.ndarray) -> str:
    return digest(np.ascontiguousarray(labels).tobytes())


# ---------------------------------------------------------------- actions (callbacks change the stored history only)


def _act(fit_key: str, step) -> None:
    kept = st.session_state[CURATIONS_KEY]
    try:
        kept[fit_key] = step(kept[fit_key])
    except InputError as error:
        st.session_state[REFUSED_KEY] = str(error)


def _merge_chosen(fit_key: str) -> None:
    _act(fit_key, lambda history: history.merge(st.session_state[MERGE_KEY]))
    st.session_state[MERGE_KEY] = []


def _merge_pair(fit_key: str, pair: tuple) -> None:
    _act(fit_key, lambda history: history.merge(pair))


def _mark_chosen(fit_key: str) -> None:
    _act(fit_key, lambda history: history.mark(st.session_state[MARK_KEY], st.session_state[GROUP_KEY]))
    st.session_state[MARK_KEY] = []


def group_of(fit_key: str, cluster: int) -> str:
    """The group a cluster of the fit under ``fit_key`` is marked as now (``"unsorted"`` if none)."""
    return st.session_state[CURATIONS_KEY][fit_key].group_of(cluster)


def mark_now(fit_key: str, clusters: list, group: str) -> None:
    """A callback: mark ``clusters`` as ``group`` (one undoable step), from outside the Curation tab."""
    _act(fit_key, lambda history: history.mark([int(c) for c in clusters], group))


def _accept_split(fit_key: str, action) -> None:
    _act(fit_key, lambda history: history.apply(action))
    st.session_state[PREVIEW_KEY] = None


def _describe(action) -> str:
    if isinstance(action, spikes.Merge):
        return "Merge " + " + ".join(str(c) for c in action.clusters)
    if isinstance(action, spikes.Split):
        return f"Split {action.cluster} → {action.cluster}, {action.new_cluster} ({len(action.moved):,} moved)"
    return "Mark " + ", ".join(str(c) for c in action.clusters) + f" {action.group}"


def history_sidebar(fit_key: str, history: spikes.CurationHistory) -> None:
    """The curation history with undo, redo and "reset to the fit" (in the sidebar)."""
    st.header("Curation")
    if not history.actions:
        st.caption("No merges, splits or marks yet: the labels are the fit's. Curate in the Curation tab.")
    for number, action in enumerate(history.actions, start=1):
        undone = number > history.position
        st.markdown(f"{number}. " + (f"~~{_describe(action)}~~ (undone)" if undone else _describe(action)))
    undo, redo = st.columns(2)
    undo.button("Undo", key="spike_undo", disabled=not history.can_undo, width="stretch", icon=":material/undo:",
                on_click=_act, args=(fit_key, spikes.CurationHistory.undo))
    redo.button("Redo", key="spike_redo", disabled=not history.can_redo, width="stretch", icon=":material/redo:",
                on_click=_act, args=(fit_key, spikes.CurationHistory.redo))
    st.button("Reset to the fit", key="spike_reset", disabled=not history.actions, width="stretch",
              help="Back to the fit's labels; the history is cleared.", icon=":material/restart_alt:",
              on_click=_act, args=(fit_key, spikes.CurationHistory.reset))
    if history.marks:
        st.caption("Marked: " + "; ".join(f"{c} {group}" for c, group in sorted(history.marks.items())) + ".")
    aside = len(st.session_state.get(CURATIONS_KEY, {})) - 1
    if aside:
        st.caption(f"Kept aside: the curations of {counted(aside, 'other fit')} of this session.")


# ---------------------------------------------------------------- the Curation tab


def curation_tab(fit_key: str, history: spikes.CurationHistory, labels: np.ndarray, table, result, settings) -> None:
    """Merge, split, mark, merge suggestions, and which waveforms stay unassigned."""
    refused = st.session_state.pop(REFUSED_KEY, None)
    if refused:
        st.error(plain(refused))
    clusters = clusters_in(history.labels)
    sizes = {c: int(np.count_nonzero(history.labels == c)) for c in clusters}
    shown = lambda c: f"{c} ({sizes[c]:,}, {history.group_of(c)})"  # noqa: E731
    merge, mark = st.columns(2)
    with merge.container(border=True):
        st.markdown("**Merge** clusters that are one neuron (into the smallest number)")
        st.multiselect("Clusters to merge", clusters, key=MERGE_KEY, format_func=shown, placeholder="two or more")
        st.button("Merge", key="spike_merge_go", type="primary", on_click=_merge_chosen, args=(fit_key,),
                  disabled=len(st.session_state.get(MERGE_KEY) or []) < 2, icon=":material/call_merge:")
    with mark.container(border=True):
        st.markdown("**Mark** clusters as Phy does")
        st.multiselect("Clusters to mark", clusters, key=MARK_KEY, format_func=shown, placeholder="one or more")
        st.segmented_control("Group", list(GROUP_LABELS), format_func=GROUP_LABELS.get, default="good",
                             required=True, key=GROUP_KEY)
        st.button("Mark", key="spike_mark_go", on_click=_mark_chosen, args=(fit_key,),
                  disabled=not st.session_state.get(MARK_KEY), icon=":material/label:")
    with st.container(border=True):
        split_section(fit_key, history, clusters, shown, table, settings)
    suggestions_section(fit_key, labels, table)
    unassigned_section(fit_key, result, table.waveforms)


def split_section(fit_key, history, clusters, shown, table, settings) -> None:
    st.markdown("**Split** a cluster in two: its waveforms are factored again at k = 2; look before accepting.")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    cluster = left.selectbox("Cluster to split", clusters, key=SPLIT_KEY, format_func=shown)
    if right.button("Preview the split", key="spike_split_go", width="stretch", icon=":material/call_split:"):
        st.session_state[PREVIEW_KEY] = cluster
    wanted = st.session_state.get(PREVIEW_KEY)
    if wanted is None or wanted not in clusters:
        return
    key = f"spike-split|{fit_key}|{labels_digest(history.labels)}|{wanted}"
    try:
        preview = cached_or_computed(key, lambda: spikes.split_preview(
            table.waveforms, history.labels, wanted, random_state=settings.seed, transform=settings.transform,
            channels=settings.channels, align=settings.align_option),
            cost_bytes=spikes.job_memory_bytes("per cluster", *table.waveforms.shape))
    except InputError as error:
        st.error(plain(error))
        return
    members = table.waveforms[history.labels == wanted]
    action = preview.action
    st.plotly_chart(figures.spike_panels_figure(
        members, preview.member_labels, 2, channels=settings.channels, sampling_rate=table.sampling_rate,
        amplitude_unit=st.session_state.get(state.UNIT_KEY), title=f"Cluster {wanted} split at k = 2: the halves "
        "(stay · move)"), width="stretch")
    st.caption(f"Panel 'Cluster 0': the {counted(members.shape[0] - len(action.moved), 'waveform')} that stay "
               f"cluster {wanted}; panel 'Cluster 1': the {counted(len(action.moved), 'waveform')} that would become "
               f"cluster {action.new_cluster}. Black dashed: each half's mean waveform.")
    accept, cancel = st.columns(2)
    accept.button("Accept split", key="spike_split_accept", type="primary", width="stretch",
                  on_click=_accept_split, args=(fit_key, action))
    cancel.button("Cancel", key="spike_split_cancel", width="stretch",
                  on_click=lambda: st.session_state.update({PREVIEW_KEY: None}))


def suggestions_section(fit_key: str, labels: np.ndarray, table) -> None:
    st.markdown("**Merge suggestions**: pairs whose mean waveforms are alike and whose waveforms barely separate.")
    order = st.segmented_control("Order by", list(spikes.MERGE_ORDERS), default="similarity", required=True,
                                 key=ORDER_KEY, format_func={"similarity": "similarity", "d_prime": "d′"}.get)
    labels_key = labels_digest(labels)
    key = f"spike-merge-suggestions|{fit_key}|{labels_key}|{order}"
    try:
        found = cached_or_computed(key, lambda: spikes.merge_suggestions(table.waveforms, labels, order=order),
                                   cost_bytes=spikes.job_memory_bytes("per cluster", *table.waveforms.shape))
    except InputError as error:
        st.info(plain(error))
        return
    left, right = st.columns([2, 3])
    left.plotly_chart(figures.similarity_heatmap(found.similarity, found.clusters, d_prime=found.d_prime,
                                                 title="Mean waveforms: cosine similarity"), width="stretch")
    with right:
        st.dataframe(found.table, hide_index=True, width="stretch", column_config=SUGGESTION_COLUMNS)
        st.caption(spikes.MERGE_ORDERS[order].capitalize() + ". d′ below about 2–3: the two clusters overlap.")
    if len(found.table):
        pairs = [(int(row.cluster_a), int(row.cluster_b)) for row in found.table.itertuples()]
        pair_section(fit_key, labels_key, labels, table, pairs, _merge_pair)


SUGGESTION_COLUMNS = {
    "cluster_a": st.column_config.NumberColumn("cluster a"),
    "cluster_b": st.column_config.NumberColumn("cluster b"),
    "similarity": st.column_config.NumberColumn("similarity", format="%.3f", help="Cosine of the mean waveforms."),
    "d_prime": st.column_config.NumberColumn("d′", format="%.2f",
                                             help="Distance of the means over the spread along the line joining them."),
    "n_a": st.column_config.NumberColumn("n a"),
    "n_b": st.column_config.NumberColumn("n b"),
}


def unassigned_section(fit_key: str, result, waveforms: np.ndarray) -> None:
    st.markdown("**Unassigned waveforms**: those the fit explains badly can leave their cluster (label −1, "
                "'unassigned'): left out of the quality metrics, kept in the exports.")
    residuals, suggested = residuals_of(fit_key, result, waveforms)
    top = max(1.0, float(np.ceil(residuals.max() * 20) / 20))
    lowest = float(np.floor(np.median(residuals) * 200) / 200)  # never more than about half the waveforms out
    left, right = st.columns([1, 2])
    on = left.toggle("Take them out", key=UNASSIGN_KEY, persist_state="session")
    threshold = left.slider("Residual threshold", lowest, top, round(min(suggested, top), 3), step=0.005,
                            format="%.3f", key=threshold_key(fit_key), persist_state="session", disabled=not on,
                            help="A waveform whose relative residual ‖v − W h‖ / ‖v‖ exceeds this is unassigned. "
                                 f"Suggested: {suggested:.3f} (median + 3 robust standard deviations).")
    found = unassigned_at(fit_key, result.labels, result, waveforms)
    left.metric("Above the threshold", f"{found.count:,}", help="Unassigned when 'Take them out' is on.")
    right.plotly_chart(figures.residual_histogram_figure(residuals, threshold, title="How well the fit explains "
                                                         "each waveform"), width="stretch")
