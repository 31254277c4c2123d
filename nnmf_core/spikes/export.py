"""Downloads: every waveform's cluster and template weights, and the
templates, as CSV bytes that are safe to open in a spreadsheet.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

from nnmf_core.errors import InputError

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


def export_assignments_csv(ids: Sequence[str], labels, H: np.ndarray) -> bytes:
    """CSV of every waveform's cluster and template weights.

    Parameters
    ----------
    ids : sequence of str, length n_waveforms
    labels : array_like of int, shape (n_waveforms,)
    H : ndarray, shape (k, n_waveforms)

    Returns
    -------
    bytes
        UTF-8 CSV with columns ``id, cluster, weight_0 … weight_{k-1}``; ids
        are made :func:`spreadsheet_safe`.
    """
    labels = np.asarray(labels)
    H = np.asarray(H)
    if not (len(ids) == labels.size == H.shape[1]):
        raise InputError(f"Got {len(ids)} ids, {labels.size} labels and {H.shape[1]} columns of H; they must match.")
    frame = pd.DataFrame({"id": [spreadsheet_safe(i) for i in ids], "cluster": labels})
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

