"""Spike waveforms: CSV in, clusters out.

Everything the spike-clustering page needs besides the factorization itself,
one job per module:

* :mod:`~nnmf_core.spikes.csv_reader` — :func:`read_waveforms`, a CSV upload
  (bytes) to a :class:`WaveformTable`, with every problem reported as an
  :class:`~nnmf_core.errors.InputError` that names the column and the rows
  (the cell-level steps in :mod:`~nnmf_core.spikes.csv_parsing`);
  :func:`load_sample_spikes` reads the bundled file.
* :mod:`~nnmf_core.spikes.channels` — multichannel rows (C channels × T
  samples): :func:`channels_from_header`, :func:`channel_options`,
  :func:`channel_blocks`; :mod:`~nnmf_core.spikes.recording_info` — what a
  file says about its recording: the sampling rate (``# fs=`` line or
  column) and spike times (time or sample-index column).
* :mod:`~nnmf_core.spikes.options` — the label tables :data:`TRANSFORMS` and
  :data:`ASSIGNMENTS`, the defaults, and :func:`method_name`.
* :mod:`~nnmf_core.spikes.alignment` — :func:`aligned_waveforms`, every
  spike moved by the fraction of a sample that best matches it to the mean
  spike (what :func:`cluster_waveforms` does first to rows of several
  channels), :func:`shifted_waveforms` and :func:`aligned_as_fitted`.
* :mod:`~nnmf_core.spikes.transforms` — :func:`nonnegative`, three ways to
  make signed waveforms non-negative, and the way back to templates.
* :mod:`~nnmf_core.spikes.clustering` — :func:`cluster_waveforms`: NMF (from
  :mod:`nnmf_core.factorize`) plus an assignment rule in one call, with
  restarts, returning a :class:`SpikeClustering`;
  :mod:`~nnmf_core.spikes.features` — :func:`shape_amplitude_features`, the
  mix of templates and log amplitude the default rule clusters.
* :mod:`~nnmf_core.spikes.baseline` — :func:`pca_kmeans`, the classic
  baseline, PCA scores clustered by k-means.
* :mod:`~nnmf_core.spikes.metrics` — :func:`ari`, :func:`silhouette`,
  :func:`stability`, :func:`separation`, :func:`confusion_table`,
  :func:`matched_confusion_table` (clusters matched to the reference labels),
  :func:`matched_accuracy`.
* :mod:`~nnmf_core.spikes.rank` — :func:`rank_scan` (with
  :func:`consensus_matrix`, :func:`cophenetic_correlation` and
  :func:`prediction_strength`); :mod:`~nnmf_core.spikes.rank_rule` —
  :func:`suggested_rank`, :func:`suggestion_reason` and
  :func:`rank_suggestion` (with the ranks it cannot rule out).
* :mod:`~nnmf_core.spikes.comparison` — :func:`compare_methods` and
  :func:`quality_report`, what the page shows in one call.
* :mod:`~nnmf_core.spikes.summary` and :mod:`~nnmf_core.spikes.export` —
  :func:`cluster_summary`, :func:`export_assignments_csv`,
  :func:`export_templates_csv`.
* From clusters to units: is a cluster one neuron
  (:mod:`~nnmf_core.spikes.spike_times`, :mod:`~nnmf_core.spikes.physiology`,
  :mod:`~nnmf_core.spikes.unit_quality`; which pass a filter on those metrics:
  :mod:`~nnmf_core.spikes.quality_filter`), which waveforms the fit explains
  badly (:mod:`~nnmf_core.spikes.unassigned`), fixing clusters
  (:mod:`~nnmf_core.spikes.curation`, :mod:`~nnmf_core.spikes.merge_suggestions`;
  whether two clusters are one neuron: :mod:`~nnmf_core.spikes.pairs`),
  NumPy uploads (:mod:`~nnmf_core.spikes.array_reader`), Phy files and
  sessions (:mod:`~nnmf_core.spikes.export`, :mod:`~nnmf_core.spikes.session_file`),
  a later recording assigned with the fit's templates (:mod:`~nnmf_core.spikes.new_data`).
* :mod:`~nnmf_core.spikes.memory_costs` — :func:`job_memory_bytes`, what each
  of the page's computations needs, from the table's shape, for a shared
  server's work gate.
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
from nnmf_core.spikes.alignment import (
    MAX_ALIGNMENT_SHIFT,
    Alignment,
    aligned_as_fitted,
    aligned_waveforms,
    shifted_waveforms,
)
from nnmf_core.spikes.array_reader import (
    MAX_ARRAY_FILE_BYTES,
    MAX_ARRAY_VALUES,
    NPZ_KEYS,
    read_npy,
    read_npz,
    read_spike_file,
)
from nnmf_core.spikes.baseline import PcaKmeans, pca_kmeans
from nnmf_core.spikes.channels import (
    MAX_CHANNELS,
    channel_blocks,
    channel_options,
    channels_from_header,
    checked_channels,
)
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
    READ_COST_PER_BYTE,
    REALISTIC_SPIKES_CSV,
    SAMPLE_SPIKE_FILES,
    SAMPLE_SPIKE_UNITS,
    SAMPLE_SPIKES_CSV,
    WaveformTable,
    load_sample_spikes,
    read_waveforms,
)
from nnmf_core.spikes.curation import (
    GROUPS,
    UNSORTED,
    CurationHistory,
    Mark,
    Merge,
    Split,
    SplitPreview,
    mark_clusters,
    merge_clusters,
    split_cluster,
    split_preview,
)
from nnmf_core.spikes.export import (
    UNASSIGNED_GROUP,
    curated_groups,
    export_assignments_csv,
    export_phy_files,
    export_phy_quality,
    export_quality_csv,
    export_templates_csv,
    export_templates_npy,
    phy_cluster_ids,
    spreadsheet_safe,
)
from nnmf_core.spikes.features import AMPLITUDE_WEIGHT, TRIMMED_SHARE, shape_amplitude_features
from nnmf_core.spikes.memory_costs import JOB_MEMORY, job_memory_bytes
from nnmf_core.spikes.merge_suggestions import MERGE_ORDERS, MergeSuggestions, merge_suggestions
from nnmf_core.spikes.metrics import (
    ari,
    confusion_table,
    matched_accuracy,
    matched_clusters,
    matched_confusion_table,
    separation,
    silhouette,
    stability,
    timing_split_share,
)
from nnmf_core.spikes.new_data import NewAssignment, assign_new_waveforms
from nnmf_core.spikes.options import (
    ASSIGNMENTS,
    DEFAULT_ASSIGNMENT,
    DEFAULT_RESTARTS,
    DEFAULT_TRANSFORM,
    TRANSFORMS,
    method_name,
)
from nnmf_core.spikes.pairs import MergeCheck, PairProjection, crosscorrelogram, merge_refractory_check, pair_projection
from nnmf_core.spikes.physiology import (
    ACG_BIN_MS,
    ACG_WINDOW_MS,
    CONTAMINATION_LEVEL,
    DEFAULT_CENSORED_MS,
    DEFAULT_REFRACTORY_MS,
    ISI_MAX_MS,
    PRESENCE_BIN_S,
    Histogram,
    IsiViolations,
    autocorrelogram,
    firing_rate,
    isi_histogram,
    isi_violations,
    presence_ratio,
    spike_train_table,
)
from nnmf_core.spikes.quality_filter import ALLEN_FILTER, CONTAMINATION_FILTER, Threshold, quality_filter
from nnmf_core.spikes.rank import (
    MAX_CONSENSUS_WAVEFORMS,
    PREDICTION_SPLITS,
    SCAN_RANKS,
    AffordableScan,
    affordable_scan,
    consensus_matrix,
    cophenetic_correlation,
    prediction_strength,
    rank_scan,
)
from nnmf_core.spikes.rank_rule import (
    CUT_UNIT_SEPARATION,
    MIN_UNIT_WAVEFORMS,
    PREDICTION_STRENGTH_CUT,
    PREDICTION_STRENGTH_MARGIN,
    PREDICTION_STRENGTH_OPEN,
    PREDICTION_STRENGTH_THRESHOLD,
    SEPARATION_THRESHOLD,
    TIMING_SPLIT_SHARE,
    UNSURE_MARGIN,
    RankSuggestion,
    rank_suggestion,
    suggested_rank,
    suggestion_reason,
)
from nnmf_core.spikes.recording_info import (
    DEFAULT_SAMPLING_RATE,
    SAMPLING_RATE_LIMITS,
    checked_sampling_rate,
    leading_comments,
    spike_times_from_column,
)
from nnmf_core.spikes.session_file import (
    SESSION_FORMAT,
    Session,
    export_session,
    read_session_file,
    waveforms_digest,
)
from nnmf_core.spikes.spike_times import (
    SPIKE_TIME_COLUMNS,
    missing_spike_times,
    recording_duration,
    unit_spike_times,
)
from nnmf_core.spikes.summary import ClusterSummary, cluster_summary
from nnmf_core.spikes.transforms import NonNegative, nonnegative, templates_from_w, unit_norm_columns
from nnmf_core.spikes.unassigned import (
    UNASSIGNED,
    Unassigned,
    relative_residuals,
    suggested_residual_threshold,
    unassigned_waveforms,
    weight_ratios,
)
from nnmf_core.spikes.unit_quality import (
    AMPLITUDE_CUTOFF_MIN_SPIKES,
    AMPLITUDE_METHODS,
    AmplitudeDrift,
    amplitude_cutoff,
    amplitude_drift,
    noise_levels,
    spike_amplitudes,
    unit_quality_table,
    waveform_quality_table,
)
from nnmf_core.spikes.validation import MAX_ABS_SAMPLE

__all__ = [
    "ALLEN_FILTER",
    "CONTAMINATION_FILTER",
    "Threshold",
    "quality_filter",
    "AMPLITUDE_CUTOFF_MIN_SPIKES",
    "AMPLITUDE_WEIGHT",
    "CUT_UNIT_SEPARATION",
    "RankSuggestion",
    "UNSURE_MARGIN",
    "PREDICTION_SPLITS",
    "PREDICTION_STRENGTH_CUT",
    "PREDICTION_STRENGTH_MARGIN",
    "PREDICTION_STRENGTH_OPEN",
    "PREDICTION_STRENGTH_THRESHOLD",
    "TRIMMED_SHARE",
    "prediction_strength",
    "rank_suggestion",
    "shape_amplitude_features",
    "DEFAULT_SAMPLING_RATE",
    "MAX_CHANNELS",
    "REALISTIC_SPIKES_CSV",
    "SAMPLE_SPIKE_FILES",
    "SAMPLE_SPIKE_UNITS",
    "SAMPLING_RATE_LIMITS",
    "channel_blocks",
    "channel_options",
    "channels_from_header",
    "checked_channels",
    "checked_sampling_rate",
    "leading_comments",
    "matched_accuracy",
    "matched_clusters",
    "matched_confusion_table",
    "spike_times_from_column",
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
    "SCAN_RANKS",
    "SEPARATION_THRESHOLD",
    "MIN_UNIT_WAVEFORMS",
    "TIMING_SPLIT_SHARE",
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
    "Alignment",
    "aligned_waveforms",
    "aligned_as_fitted",
    "shifted_waveforms",
    "MAX_ALIGNMENT_SHIFT",
    "quality_report",
    "rank_scan",
    "read_waveforms",
    "separation",
    "timing_split_share",
    "silhouette",
    "spreadsheet_safe",
    "stability",
    "stable_order",
    "suggested_rank",
    "suggestion_reason",
    "synthetic_spikes",
    "templates_from_w",
    "unit_norm_columns",
    "ACG_BIN_MS",
    "ACG_WINDOW_MS",
    "AMPLITUDE_METHODS",
    "AmplitudeDrift",
    "CurationHistory",
    "DEFAULT_CENSORED_MS",
    "DEFAULT_REFRACTORY_MS",
    "GROUPS",
    "Histogram",
    "ISI_MAX_MS",
    "IsiViolations",
    "MAX_ARRAY_FILE_BYTES",
    "MAX_ARRAY_VALUES",
    "JOB_MEMORY",
    "job_memory_bytes",
    "MERGE_ORDERS",
    "Mark",
    "Merge",
    "MergeCheck",
    "PairProjection",
    "pair_projection",
    "MergeSuggestions",
    "NPZ_KEYS",
    "CONTAMINATION_LEVEL",
    "PRESENCE_BIN_S",
    "SESSION_FORMAT",
    "SPIKE_TIME_COLUMNS",
    "Session",
    "Split",
    "SplitPreview",
    "UNASSIGNED",
    "UNASSIGNED_GROUP",
    "UNSORTED",
    "Unassigned",
    "amplitude_cutoff",
    "amplitude_drift",
    "autocorrelogram",
    "crosscorrelogram",
    "curated_groups",
    "export_phy_files",
    "export_phy_quality",
    "export_quality_csv",
    "export_session",
    "export_templates_npy",
    "firing_rate",
    "isi_histogram",
    "isi_violations",
    "mark_clusters",
    "merge_clusters",
    "merge_refractory_check",
    "merge_suggestions",
    "missing_spike_times",
    "noise_levels",
    "phy_cluster_ids",
    "presence_ratio",
    "read_npy",
    "read_npz",
    "read_session_file",
    "read_spike_file",
    "recording_duration",
    "relative_residuals",
    "spike_amplitudes",
    "spike_train_table",
    "split_cluster",
    "split_preview",
    "suggested_residual_threshold",
    "unassigned_waveforms",
    "unit_quality_table",
    "unit_spike_times",
    "waveform_quality_table",
    "waveforms_digest",
    "weight_ratios",
    "NewAssignment",
    "assign_new_waveforms",
    "READ_COST_PER_BYTE",
]
