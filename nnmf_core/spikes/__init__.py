"""Spike waveforms: CSV in, clusters out.

Everything the spike-clustering page needs besides the factorization itself,
one job per module:

* :mod:`~nnmf_core.spikes.csv_reader` — :func:`read_waveforms`, a CSV upload
  (bytes) to a :class:`WaveformTable`, with every problem reported as an
  :class:`~nnmf_core.errors.InputError` that names the column and the rows
  (the cell-level steps in :mod:`~nnmf_core.spikes.csv_parsing`);
  :func:`load_sample_spikes` reads the bundled file.
* :mod:`~nnmf_core.spikes.options` — the label tables :data:`TRANSFORMS` and
  :data:`ASSIGNMENTS`, the defaults, and :func:`method_name`.
* :mod:`~nnmf_core.spikes.transforms` — :func:`nonnegative`, three ways to
  make signed waveforms non-negative, and the way back to templates.
* :mod:`~nnmf_core.spikes.clustering` — :func:`cluster_waveforms`: NMF (from
  :mod:`nnmf_core.factorize`) plus an assignment rule in one call, with
  restarts, returning a :class:`SpikeClustering`.
* :mod:`~nnmf_core.spikes.baseline` — :func:`pca_kmeans`, the classic
  baseline, PCA scores clustered by k-means.
* :mod:`~nnmf_core.spikes.metrics` — :func:`ari`, :func:`silhouette`,
  :func:`stability`, :func:`separation`, :func:`confusion_table`.
* :mod:`~nnmf_core.spikes.rank` — :func:`rank_scan` (with
  :func:`consensus_matrix` and :func:`cophenetic_correlation`),
  :func:`suggested_rank`, :func:`suggestion_reason`.
* :mod:`~nnmf_core.spikes.comparison` — :func:`compare_methods` and
  :func:`quality_report`, what the page shows in one call.
* :mod:`~nnmf_core.spikes.summary` and :mod:`~nnmf_core.spikes.export` —
  :func:`cluster_summary`, :func:`export_assignments_csv`,
  :func:`export_templates_csv`.
* :func:`synthetic_spikes` (from :mod:`nnmf_core.datasets`) — waveforms of
  known units, for tests and the demo.

Orientation follows the reference notebook: the data matrix ``V`` has one
**column per waveform** (shape ``(n_samples, n_waveforms)``, or twice the
samples for the ``"split"`` transform), so ``W`` (``(n_rows, k)``) holds k
templates and ``H`` (``(k, n_waveforms)``) the weight of every template in
every waveform. Arrays of waveforms handed to this package are the other way
round, one waveform per row (``(n_waveforms, n_samples)``), as in the CSV.

Examples
--------
>>> waveforms, units = synthetic_spikes(n_per_unit=60, random_state=1)
>>> waveforms.shape
(240, 150)
>>> result = cluster_waveforms(waveforms, 4, random_state=0)
>>> bool(ari(result.labels, units) > 0.9)
True
"""

from nnmf_core.datasets import synthetic_spikes
from nnmf_core.spikes.baseline import PcaKmeans, pca_kmeans
from nnmf_core.spikes.clustering import (
    KMEANS_INITS,
    SpikeClustering,
    cluster_waveforms,
    clusters_by_kmeans,
    clusters_from_h,
    stable_order,
)
from nnmf_core.spikes.comparison import (
    ARTICLE_RECIPE,
    MAX_SILHOUETTE_WAVEFORMS,
    AffordableComparison,
    MethodComparison,
    QualityReport,
    affordable_comparison,
    compare_methods,
    quality_report,
)
from nnmf_core.spikes.csv_parsing import LABEL_HEADERS, SAMPLE_AXIS_HEADERS
from nnmf_core.spikes.csv_reader import (
    MAX_CSV_BYTES,
    MAX_SAMPLES,
    MAX_WAVEFORMS,
    SAMPLE_SPIKES_CSV,
    WaveformTable,
    load_sample_spikes,
    read_waveforms,
)
from nnmf_core.spikes.export import export_assignments_csv, export_templates_csv, spreadsheet_safe
from nnmf_core.spikes.metrics import ari, confusion_table, separation, silhouette, stability
from nnmf_core.spikes.options import (
    ASSIGNMENTS,
    DEFAULT_ASSIGNMENT,
    DEFAULT_RESTARTS,
    DEFAULT_TRANSFORM,
    TRANSFORMS,
    method_name,
)
from nnmf_core.spikes.rank import (
    MAX_CONSENSUS_WAVEFORMS,
    SEPARATION_THRESHOLD,
    AffordableScan,
    affordable_scan,
    consensus_matrix,
    cophenetic_correlation,
    rank_scan,
    suggested_rank,
    suggestion_reason,
)
from nnmf_core.spikes.summary import ClusterSummary, cluster_summary
from nnmf_core.spikes.transforms import NonNegative, nonnegative, templates_from_w, unit_norm_columns
from nnmf_core.spikes.validation import MAX_ABS_SAMPLE

__all__ = [
    "ARTICLE_RECIPE",
    "ASSIGNMENTS",
    "AffordableComparison",
    "AffordableScan",
    "ClusterSummary",
    "DEFAULT_ASSIGNMENT",
    "DEFAULT_RESTARTS",
    "DEFAULT_TRANSFORM",
    "KMEANS_INITS",
    "LABEL_HEADERS",
    "MAX_ABS_SAMPLE",
    "MAX_CONSENSUS_WAVEFORMS",
    "MAX_CSV_BYTES",
    "MAX_SAMPLES",
    "MAX_SILHOUETTE_WAVEFORMS",
    "MAX_WAVEFORMS",
    "MethodComparison",
    "NonNegative",
    "PcaKmeans",
    "QualityReport",
    "SAMPLE_AXIS_HEADERS",
    "SAMPLE_SPIKES_CSV",
    "SEPARATION_THRESHOLD",
    "SpikeClustering",
    "TRANSFORMS",
    "WaveformTable",
    "affordable_comparison",
    "affordable_scan",
    "ari",
    "cluster_summary",
    "cluster_waveforms",
    "clusters_by_kmeans",
    "clusters_from_h",
    "compare_methods",
    "confusion_table",
    "consensus_matrix",
    "cophenetic_correlation",
    "export_assignments_csv",
    "export_templates_csv",
    "load_sample_spikes",
    "method_name",
    "nonnegative",
    "pca_kmeans",
    "quality_report",
    "rank_scan",
    "read_waveforms",
    "separation",
    "silhouette",
    "spreadsheet_safe",
    "stability",
    "stable_order",
    "suggested_rank",
    "suggestion_reason",
    "synthetic_spikes",
    "templates_from_w",
    "unit_norm_columns",
]
