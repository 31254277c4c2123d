"""Downloads: every waveform's cluster, curated label and template weights,
and the templates, as CSV bytes that are safe to open in a spreadsheet; the
curated clusters as the files Phy reads (``spike_clusters.npy``,
``cluster_group.tsv``); templates as ``.npy``; the units' quality metrics
under SpikeInterface's names, and as the ``cluster_<metric>.tsv`` columns
Phy shows.

Nothing is pickled: ``.npy`` bytes load with ``np.load(…, allow_pickle=False)``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from nnmf_core.errors import InputError
from nnmf_core.spikes.curation import GROUPS, UNSORTED
from nnmf_core.spikes.unassigned import UNASSIGNED

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula.

    Cells starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
    return) get a leading ``'`` (OWASP's advice against CSV injection).

    Examples
    --------
    >>> spreadsheet_safe("=HYPERLINK(\\"x\\")"), spreadsheet_safe("TC028_3B")
    ('\\'=HYPERLINK("x")', 'TC028_3B')
    """
    text = str(text)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def curated_groups(labels, marks: Mapping[int, str] | None) -> list[str]:
    """The curated label of every waveform: its cluster's mark (good, mua,
    noise), ``"unsorted"`` for an unmarked cluster, ``"unassigned"`` for −1.

    >>> curated_groups([0, 1, -1], {0: "good"})
    ['good', 'unsorted', 'unassigned']
    """
    marks = _checked_marks(marks)
    return [UNASSIGNED_GROUP if c == UNASSIGNED else marks.get(c, UNSORTED) for c in np.asarray(labels).tolist()]


#: The curated label of the unassigned waveforms in exports.
UNASSIGNED_GROUP = "unassigned"


def _checked_marks(marks) -> dict:
    marks = {} if marks is None else dict(marks)
    for cluster, group in marks.items():
        if group not in GROUPS:
            raise InputError(f"Cluster {cluster} is marked {str(group)[:20]!r}; marks are {', '.join(GROUPS)}.")
    return {int(c): g for c, g in marks.items()}


def export_assignments_csv(ids: Sequence[str], labels, H: np.ndarray, *, marks: Mapping[int, str] | None = None) -> bytes:
    """CSV of every waveform's cluster, curated label and template weights.

    Parameters
    ----------
    ids : sequence of str, length n_waveforms
    labels : array_like of int, shape (n_waveforms,)
        −1 for unassigned waveforms.
    H : ndarray, shape (k, n_waveforms)
    marks : mapping of int to str, optional
        The group of every marked cluster (``CurationHistory.marks``); when
        given, a column ``curated_label`` follows ``cluster`` (see
        :func:`curated_groups`).

    Returns
    -------
    bytes
        UTF-8 CSV with columns ``id, cluster[, curated_label], weight_0 …
        weight_{k-1}``; ids are made :func:`spreadsheet_safe`.
    """
    labels = np.asarray(labels)
    H = np.asarray(H)
    if H.ndim != 2 or not (len(ids) == labels.size == H.shape[1]):
        raise InputError(f"Got {len(ids)} ids, {labels.size} labels and H of shape {H.shape}; "
                         "there must be one label and one column of H per id.")
    frame = pd.DataFrame({"id": [spreadsheet_safe(i) for i in ids], "cluster": labels})
    if marks is not None:
        frame["curated_label"] = curated_groups(labels, marks)
    for j in range(H.shape[0]):
        frame[f"weight_{j}"] = H[j].astype(np.float64)
    return _csv_bytes(frame)


def export_templates_csv(W: np.ndarray, sample_names: Sequence[str] | None = None) -> bytes:
    """CSV of the templates, one column each.

    Parameters
    ----------
    W : ndarray, shape (n_rows, k)
        Templates as columns (W itself, or ``templates.T`` from
        :class:`SpikeClustering`).
    sample_names : sequence of str, optional
        Row names (default 0 … n_rows−1); made :func:`spreadsheet_safe`.

    Returns
    -------
    bytes
        UTF-8 CSV with columns ``sample, template_0 … template_{k-1}``.
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise InputError(f"W must be 2-D; it has shape {W.shape}.")
    names = list(range(W.shape[0])) if sample_names is None else [spreadsheet_safe(s) for s in sample_names]
    if len(names) != W.shape[0]:
        raise InputError(f"Got {len(names)} sample names for {W.shape[0]} rows of W.")
    frame = pd.DataFrame({"sample": names})
    for j in range(W.shape[1]):
        frame[f"template_{j}"] = W[:, j]
    return _csv_bytes(frame)



def export_templates_npy(templates, channels: int = 1) -> bytes:
    """The templates (one per row) as ``.npy`` bytes in Phy's and
    SpikeInterface's layout, (n_templates, n_times, n_channels), float32.

    Parameters
    ----------
    templates : array_like, shape (k, channels · n_times)
        Cluster means or NMF templates, channels concatenated.
    channels : int

    Returns
    -------
    bytes

    Examples
    --------
    >>> np.load(io.BytesIO(export_templates_npy(np.arange(12.0).reshape(2, 6), channels=2)), allow_pickle=False)[1]
    array([[ 6.,  9.],
           [ 7., 10.],
           [ 8., 11.]], dtype=float32)
    """
    T = np.asarray(templates, dtype=np.float64)
    if T.ndim != 2 or not np.isfinite(T).all():
        raise InputError(f"Templates must be a finite 2-D array (one per row); got shape {T.shape}.")
    if isinstance(channels, bool) or not isinstance(channels, (int, np.integer)) or channels < 1 or T.shape[1] % channels:
        raise InputError(f"{T.shape[1]:,} samples per template cannot be cut into {channels!r} channels of equal length.")
    blocks = T.reshape(T.shape[0], int(channels), -1).transpose(0, 2, 1).astype(np.float32)
    return _npy_bytes(blocks)


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def phy_cluster_ids(labels) -> np.ndarray:
    """Cluster numbers as Phy needs them (≥ 0): the unassigned waveforms (−1)
    become one cluster after the largest.

    >>> phy_cluster_ids([0, 2, -1]).tolist()
    [0, 2, 3]
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or labels.size == 0 or labels.min() < UNASSIGNED:
        raise InputError("Labels must be a non-empty list of whole numbers ≥ −1.")
    ids = labels.astype(np.int64, copy=True)
    ids[ids == UNASSIGNED] = max(int(labels.max()), -1) + 1
    return ids


def export_phy_files(labels, marks: Mapping[int, str] | None = None) -> dict[str, bytes]:
    """The curated clusters as the two files Phy reads from its folder.

    Drop them into the folder of the sorting the waveforms came from, in
    the same spike order (they replace Phy's own files of those names).

    Parameters
    ----------
    labels : array_like of int, shape (n_spikes,)
        Curated labels; the unassigned (−1) become cluster ``max + 1``,
        group ``unsorted`` (see :func:`phy_cluster_ids`).
    marks : mapping of int to str, optional
        Group of every marked cluster (good, mua, noise).

    Returns
    -------
    dict of str -> bytes
        ``"spike_clusters.npy"``: int32, shape (n_spikes,);
        ``"cluster_group.tsv"``: ``cluster_id<TAB>group`` for every cluster.
    """
    ids = phy_cluster_ids(labels)
    marks = _checked_marks(marks)
    unassigned = set(ids[np.asarray(labels) == UNASSIGNED].tolist())
    lines = ["cluster_id\tgroup"] + [f"{c}\t{UNSORTED if c in unassigned else marks.get(c, UNSORTED)}"
                                       for c in np.unique(ids).tolist()]
    return {
        "spike_clusters.npy": _npy_bytes(ids.astype(np.int32)),
        "cluster_group.tsv": ("\n".join(lines) + "\n").encode("utf-8"),
    }


#: The quality table's columns that are SpikeInterface's quality metrics, computed as it does, by its names
#: (``amplitude_median``, ``amplitude_cutoff``, ``snr``, ``presence_ratio`` and the ISI violations already match).
SPIKEINTERFACE_NAMES = {"n_spikes": "num_spikes", "firing_rate_hz": "firing_rate"}


def _quality_metrics(quality: pd.DataFrame) -> pd.DataFrame:
    """The quality table (:func:`~nnmf_core.spikes.unit_quality_table` or
    :func:`~nnmf_core.spikes.waveform_quality_table`) with Phy's ``cluster_id``
    first and SpikeInterface's metric names."""
    if not isinstance(quality, pd.DataFrame) or "cluster" not in quality.columns or quality.empty:
        raise InputError("The quality metrics need the table of at least one cluster (unit_quality_table).")
    return quality.rename(columns={"cluster": "cluster_id", **SPIKEINTERFACE_NAMES})


def export_quality_csv(quality: pd.DataFrame) -> bytes:
    """The units' quality metrics as CSV: ``cluster_id``, then one column per
    metric, named as in SpikeInterface's ``quality_metrics`` where the metric
    is one of its own (``num_spikes``, ``firing_rate``,
    ``isi_violations_ratio``, ``presence_ratio``, ``snr`` …), so that a
    curation rule written for SpikeInterface's table (e.g. the Allen
    Institute's ``isi_violations_ratio < 0.5 and amplitude_cutoff < 0.1 and
    presence_ratio > 0.9``) reads it unchanged. A metric the recording could
    not give is an empty cell."""
    return _csv_bytes(_quality_metrics(quality))


def export_phy_quality(quality: pd.DataFrame) -> dict[str, bytes]:
    """The quality metrics as Phy's per-cluster columns: one
    ``cluster_<metric>.tsv`` (``cluster_id<TAB><metric>``) per metric, named
    as in :func:`export_quality_csv`. Phy shows every ``cluster_*.tsv`` of
    its folder as a column of its cluster view. A cluster whose metric the
    recording could not give is left out of that file; a metric no cluster
    has gets no file."""
    frame = _quality_metrics(quality)
    files = {}
    for metric in frame.columns.drop("cluster_id"):
        known = frame.loc[frame[metric].notna(), ["cluster_id", metric]]
        if not known.empty:
            buffer = io.StringIO()
            known.to_csv(buffer, sep="\t", index=False, lineterminator="\n")
            files[f"cluster_{metric}.tsv"] = buffer.getvalue().encode("utf-8")
    return files
