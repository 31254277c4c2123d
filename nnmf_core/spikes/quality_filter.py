"""Which units pass a quality filter: thresholds on the unit quality table
(:func:`~nnmf_core.spikes.unit_quality_table`), the way SpikeInterface's
curation queries its metrics, with the Allen Institute's default filter as
the default, and one more threshold that refuses two neurons joined in one
cluster (:data:`CONTAMINATION_FILTER`).

One difference from a pandas query: a metric the recording could not give
(NaN: the amplitude cut-off of a unit under 500 spikes, the presence ratio
of a recording shorter than one bin) fails no unit. The unit is judged on
the thresholds it could be tested on, and the metric is named as not
measured. ``metrics.query("amplitude_cutoff < 0.1")`` would fail every such
unit.

>>> table = pd.DataFrame({"cluster": [0, 1], "isi_violations_ratio": [0.1, 0.9],
...                       "amplitude_cutoff": [float("nan"), 0.02], "presence_ratio": [1.0, 0.95]})
>>> quality_filter(table)[["cluster", "passes", "fails"]].to_dict("list")
{'cluster': [0, 1], 'passes': [True, False], 'fails': ['', 'isi_violations_ratio < 0.5']}
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from nnmf_core.errors import InputError


class Threshold(NamedTuple):
    """One condition of a quality filter: ``metric`` (a column of the quality
    table) above ``value`` when ``above``, else below it (strictly)."""

    metric: str
    above: bool
    value: float

    def __str__(self) -> str:
        return f"{self.metric} {'>' if self.above else '<'} {self.value:g}"


#: The Allen Institute's default unit filter (Siegle et al. 2021), as SpikeInterface's curation tutorial writes
#: it: ``isi_violations_ratio < 0.5 and amplitude_cutoff < 0.1 and presence_ratio > 0.9``.
ALLEN_FILTER = (Threshold("isi_violations_ratio", False, 0.5), Threshold("amplitude_cutoff", False, 0.1),
                Threshold("presence_ratio", True, 0.9))
#: Refuses a unit whose violations show, for sure, that more than 5 % of its spikes come from other neurons:
#: the lower end of its contamination's 95 % interval (``contamination_low``, see
#: :func:`~nnmf_core.spikes.spike_train_table`). Allen's ratio threshold lets two neurons joined in one
#: cluster through (merged, two independent trains of similar rates give a ratio of at most 0.5); on
#: SpikeInterface's ground-truth recordings this one refused 42 % of such merges that Allen's passed and no
#: true unit (``bench/bench_quality_filter.py``).
CONTAMINATION_FILTER = Threshold("contamination_low", False, 0.05)


def quality_filter(quality: pd.DataFrame, thresholds=ALLEN_FILTER) -> pd.DataFrame:
    """Which clusters of a quality table pass every threshold.

    Parameters
    ----------
    quality : DataFrame
        One row per cluster, with a ``cluster`` column and one column per
        metric a threshold names (:func:`~nnmf_core.spikes.unit_quality_table`).
    thresholds : sequence of Threshold
        Default :data:`ALLEN_FILTER`.

    Returns
    -------
    DataFrame, one row per cluster, in the table's order
        ``cluster``; ``passes``: every threshold it could be tested on holds,
        and it could be tested on at least one; ``fails``: the thresholds
        it fails, as text (``"presence_ratio > 0.9"``), joined by ``"; "``;
        ``not_measured``: the metrics it lacks (NaN), joined by ``", "``.
    """
    thresholds = _checked_thresholds(quality, thresholds)
    fails, missing = [], []
    for row in quality.itertuples(index=False):
        values = {t.metric: float(getattr(row, t.metric)) for t in thresholds}
        fails.append([str(t) for t in thresholds if not math.isnan(values[t.metric])
                      and not (values[t.metric] > t.value if t.above else values[t.metric] < t.value)])
        missing.append([t.metric for t in thresholds if math.isnan(values[t.metric])])
    return pd.DataFrame({
        "cluster": quality["cluster"].to_numpy(),
        "passes": [not failed and len(lacking) < len(thresholds) for failed, lacking in zip(fails, missing)],
        "fails": ["; ".join(failed) for failed in fails],
        "not_measured": [", ".join(lacking) for lacking in missing],
    })


def _checked_thresholds(quality, thresholds) -> list[Threshold]:
    if not isinstance(quality, pd.DataFrame) or "cluster" not in quality.columns:
        raise InputError("A quality filter needs the quality table (unit_quality_table), with its cluster column.")
    thresholds = [Threshold(*t) for t in thresholds]
    if not thresholds:
        raise InputError("Give the quality filter at least one threshold.")
    for t in thresholds:
        if t.metric not in quality.columns:
            raise InputError(f"The quality table has no {t.metric!r} column to filter on "
                             f"(it has {', '.join(map(str, quality.columns))}).")
        if not np.isfinite(t.value):
            raise InputError(f"The threshold on {t.metric} must be a finite number, not {t.value}.")
    return thresholds
