"""The Spike clustering page's way into the pipeline: downloads of the curated
clusters (CSV, their quality metrics, Phy's files, mean waveforms, the session to resume), the
session uploader, and "apply the templates to a later recording".

Download bytes are built only when clicked (``data`` as a callable); the
session file is tied to the waveforms by their digest.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import asdict
from functools import partial

import numpy as np
import streamlit as st

from app_pages.live import cached_or_computed, digest, plain, upload_bytes
from app_pages.spike_curation import CURATIONS_KEY, assigned, clusters_in
from app_pages.spike_pairs import REFRACTORY_KEY
from app_pages.spike_units import quality_of
from nnmf_core import InputError, figures, spikes
from nnmf_core._text import counted
from nnmf_core.command_line import fit_command, transform_command

SESSION_KEY, SESSION_LOADED_KEY, NEW_DATA_KEY = "spike_session_upload", "spike_session_loaded", "spike_new_upload"
FILE_TYPES = ["csv", "tsv", "txt", "npy", "npz"]
_BUTTON = dict(on_click="ignore", icon=":material/download:", width="stretch")


def quick_downloads(places, table, result, labels, history, k: int) -> None:
    """The two downloads under the notebook's figure: the (curated) clusters and weights, and the templates."""
    places[0].download_button(
        "Clusters and weights (CSV)",
        partial(spikes.export_assignments_csv, table.ids, labels, result.H, marks=history.marks or None),
        f"spike-clusters-k{k}.csv", "text/csv", **_BUTTON,
        help="id, cluster (curated; −1 unassigned), its group once a cluster is marked, and the weight of every "
             "template (the columns of H).")
    places[1].download_button(
        "Templates (CSV)", partial(spikes.export_templates_csv, result.templates.T, table.sample_names),
        f"spike-templates-k{k}.csv", "text/csv", **_BUTTON,
        help="The columns of W as waveforms, one column per template.")


def _mean_waveforms(waveforms, labels) -> np.ndarray:
    return spikes.cluster_summary(*assigned(waveforms, labels)).means


def _session_settings(settings, source_key: str) -> dict:
    return {"source": source_key, **asdict(settings)}


def export_tab(fit_key, source_key, table, result, history, labels, settings, k: int) -> None:
    """Every download of the curated clusters, the session round trip, and new data."""
    st.markdown("**Downloads** (the curated clusters: merges, splits, marks and unassigned waveforms as shown)")
    quality, no_quality = None, "Every waveform is unassigned: no unit to measure."
    if clusters_in(labels):
        try:  # the Units tab's table (cached), at the refractory period chosen there
            quality = quality_of(fit_key, labels, table, settings.channels,
                                 float(st.session_state.get(REFRACTORY_KEY, spikes.DEFAULT_REFRACTORY_MS)))
        except InputError as error:
            no_quality = plain(error)
    row = st.columns(3)
    row[0].download_button(
        "Labels and weights (CSV)",
        partial(spikes.export_assignments_csv, table.ids, labels, result.H, marks=history.marks),
        f"spike-labels-k{k}.csv", "text/csv", **_BUTTON, help="id, cluster, its group, and the weight of every template.")
    row[1].download_button(
        "Quality metrics (CSV)", lambda: spikes.export_quality_csv(quality), f"spike-quality-k{k}.csv", "text/csv",
        **_BUTTON, disabled=quality is None,
        help=no_quality if quality is None else "The Units tab's table, one row per cluster, the metrics "
             "SpikeInterface computes under its names (num_spikes, firing_rate, isi_violations_ratio, "
             "presence_ratio, amplitude_cutoff, snr …), so a curation rule written for its table reads this one.")
    row[2].download_button(
        "Mean waveforms (CSV)",
        lambda: spikes.export_templates_csv(_mean_waveforms(table.waveforms, labels).T, table.sample_names),
        f"spike-mean-waveforms-k{k}.csv", "text/csv", **_BUTTON, help="One column per curated cluster.")
    phy = partial(spikes.export_phy_files, labels, history.marks)
    row = st.columns(4)
    row[0].download_button("Phy: cluster_group.tsv", lambda: phy()["cluster_group.tsv"], "cluster_group.tsv",
                           "text/tab-separated-values", **_BUTTON, help="cluster_id and group (good, mua, noise, unsorted).")
    row[1].download_button("Phy: spike_clusters.npy", lambda: phy()["spike_clusters.npy"], "spike_clusters.npy",
                           "application/octet-stream", **_BUTTON,
                           help="The cluster of every spike, int32, in the file's order; unassigned = largest + 1.")
    row[2].download_button(
        "Phy: metrics (.zip)", lambda: zipped(spikes.export_phy_quality(quality)), f"phy-metrics-k{k}.zip",
        "application/zip", **_BUTTON, disabled=quality is None,
        help=no_quality if quality is None else "One cluster_<metric>.tsv per quality metric: Phy shows each as "
                                                "a column of its cluster view.")
    row[3].download_button(
        "Phy: templates.npy", lambda: spikes.export_templates_npy(_mean_waveforms(table.waveforms, labels),
                                                                   settings.channels),
        "templates.npy", "application/octet-stream", **_BUTTON,
        help="The curated clusters' mean waveforms in Phy's and SpikeInterface's layout: (clusters, samples, "
             "channels), float32.")
    st.caption("Phy: put the files (the .zip unpacked) in the sorting's folder, same spike order; they replace "
               "its own files of those names.")
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    with left:
        resume_session(fit_key, source_key, table, result)
    right.download_button(
        "Session (.npz)", lambda: spikes.export_session(
            waveforms_digest(source_key, table.waveforms), _session_settings(settings, source_key), result.W,
            result.H, history), f"spike-session-k{k}.npz", "application/octet-stream", **_BUTTON,
        help="The fit, its settings and the curation history: upload it here to carry on.")
    st.divider()
    apply_to_new_data(table, result, labels, settings)


def zipped(files: dict[str, bytes]) -> bytes:
    """``files`` (name -> bytes) as the bytes of one .zip archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def waveforms_digest(source_key: str, waveforms) -> str:
    return cached_or_computed(f"spike-digest|{source_key}", lambda: spikes.waveforms_digest(waveforms),
                              cost_bytes=spikes.job_memory_bytes("per cluster", *waveforms.shape))


def resume_session(fit_key: str, source_key: str, table, result) -> None:
    upload = st.file_uploader("Resume a session (.npz saved here)", type=["npz"], key=SESSION_KEY)
    if upload is None:
        return
    data = upload_bytes(upload)
    try:
        session = spikes.read_session_file(data, waveforms_digest(source_key, table.waveforms))
        if not np.array_equal(session.history.fit_labels, result.labels):
            saved = session.settings
            raise InputError("The session was saved for another fit of these waveforms (" + ", ".join(
                f"{name} {saved[name]}" for name in ("rank", "transform", "assignment", "seed", "align") if name in saved)
                + "): choose those settings in the sidebar, press Cluster, and it applies.")
    except InputError as error:
        st.error(plain(error))
        return
    if st.session_state.get(SESSION_LOADED_KEY) != (digest(data), fit_key):
        st.session_state[SESSION_LOADED_KEY] = (digest(data), fit_key)
        st.session_state[CURATIONS_KEY][fit_key] = session.history
        st.rerun()
    st.success(f"Session resumed: {counted(session.history.position, 'curation step')} in effect.",
               icon=":material/restore:")


def apply_to_new_data(table, result, labels, settings) -> None:
    st.markdown("**Apply the templates to a later recording** (same electrodes, same samples per waveform)")
    upload = st.file_uploader("Waveforms to assign", type=FILE_TYPES, key=NEW_DATA_KEY,
                              help="CSV, .npy or .npz like the first file; nothing is fitted again.")
    st.caption("W stays fixed; each new waveform gets its weights by non-negative least squares "
               "(nnmf_core.transform), then the curated cluster whose mean weight vector is nearest "
               "(Euclidean). The fit's own rule needs the whole data set, so it is not rerun.")
    with st.expander("A file larger than this page takes: the command line"):
        st.code(transform_command("later_recording.csv", "spike-w-for-cli.npz", transform=settings.transform),
                language="bash")
        st.download_button("Templates for the command line (.npz)", partial(_cli_factor, result.W),
                           "spike-w-for-cli.npz", "application/octet-stream", **_BUTTON)
        st.caption("The command line labels each waveform by its largest weight (argmax), not by the curated clusters.")
    if upload is None:
        return
    data = upload_bytes(upload)
    try:
        new = cached_or_computed(f"spike-new|{digest(data)}", partial(spikes.read_spike_file, upload.name, data))
        if new.n_samples != table.n_samples:
            raise InputError(f"These waveforms have {new.n_samples:,} samples each; the fitted ones have "
                             f"{table.n_samples:,}. Use the same window and channels.")
        new_labels, H_new = spikes.assign_new_waveforms(
            spikes.aligned_as_fitted(new.waveforms, table.waveforms, result.shifts, result.channels), result.W,
            result.H, labels, settings.transform)
    except InputError as error:
        st.error(plain(error))
        return
    left, right = st.columns([3, 2])
    left.plotly_chart(figures.spike_sizes_figure(new_labels, title=f"{upload.name}: waveforms per cluster"),
                      width="stretch")
    right.download_button("Their labels and weights (CSV)",
                          partial(spikes.export_assignments_csv, new.ids, new_labels, H_new),
                          "new-recording-labels.csv", "text/csv", **_BUTTON)
    right.caption(f"{counted(new.n_waveforms, 'waveform')} assigned to {counted(len(set(new_labels.tolist())), 'cluster')}.")


def _cli_factor(W: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, H=np.ascontiguousarray(W.T))
    return buffer.getvalue()


def command_line_instead(filename: str, settings) -> None:
    """For a file beyond the page's limits: the command that fits it on this
    machine or a Dask cluster, with the page's settings."""
    st.markdown("The same factorization runs on files of any size from the command line, on one machine "
                "or on a Dask cluster (see *Large data* in the README):")
    st.code(fit_command(filename, settings.rank, solver=settings.solver, max_iter=settings.max_iter,
                        seed=settings.seed, transform=settings.transform), language="bash")
    st.caption("Remove the file (× in the sidebar) to go back to the bundled examples.")
