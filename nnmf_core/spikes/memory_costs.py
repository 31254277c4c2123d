"""What the spike page's computations cost in memory, known from the table's
shape before they start: the estimates a shared server's work gate
(:class:`nnmf_core.gate.WorkGate`) admits jobs by.

Each job holds at its peak some bytes per value of the waveforms
(n_waveforms × n_samples) beyond the waveforms themselves, plus a part that
does not grow with them. The numbers are measurements (tracemalloc, and the
process's resident memory, on 2,000 × 150 to 50,000 × 480 tables; see
``bench/README.md``) rounded up, so that an estimate is above what the job
takes; ``tests/test_memory_costs.py`` checks that it stays so.
"""

from __future__ import annotations

from nnmf_core.errors import InputError

#: Job -> (bytes per value of the waveforms, fixed bytes) at the job's peak.
#:
#: - ``"comparison"``: :func:`~nnmf_core.spikes.compare_methods` — V in
#:   float32 (twice the samples for the split), the fit's blocks, k-means on
#:   the waveforms (scikit-learn centres a copy), the article's V, PCA and
#:   the silhouettes (16 MB of distances at a time).
#: - ``"rank scan"``: :func:`~nnmf_core.spikes.rank_scan` — the same per
#:   value, and a consensus matrix over 2,000 waveforms with its dendrogram.
#: - ``"residuals"``: V made again from the waveforms (one float64 negative
#:   part at a time) and the residual of every waveform, in blocks.
#: - ``"per cluster"``: the unit table, amplitudes, merge suggestions, a
#:   split's preview — a copy of the waveforms at most, or of one cluster's.
JOB_MEMORY = {
    "comparison": (40, 30_000_000),
    "rank scan": (40, 140_000_000),
    "residuals": (24, 10_000_000),
    "per cluster": (20, 10_000_000),
}


def job_memory_bytes(job: str, n_waveforms: int, n_samples: int) -> int:
    """Bytes the spike page's ``job`` (a key of :data:`JOB_MEMORY`) holds at
    its peak on waveforms of this shape, beyond the waveforms themselves.

    Examples
    --------
    >>> job_memory_bytes("comparison", 50_000, 120) / 1e6
    270.0
    >>> job_memory_bytes("comparison", 2_000, 150) / 1e6
    42.0
    """
    if job not in JOB_MEMORY:
        raise InputError(f"Unknown job {job!r}; expected one of {', '.join(JOB_MEMORY)}.")
    per_value, fixed = JOB_MEMORY[job]
    return int(per_value * int(n_waveforms) * int(n_samples) + fixed)
