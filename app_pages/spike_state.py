"""The Spike clustering page's settings: the values of its method form, their
limits, the widget keys they live under, and the cache keys they make; what
the page offers and says about the data (the bundled examples, units, the
first values of the data widgets for a new file); and how its tables look.

>>> settings = SpikeSettings()
>>> settings.rank, settings.transform, settings.assignment == spikes.DEFAULT_ASSIGNMENT, settings.channels
(4, 'split', True, 1)
>>> SpikeSettings.from_state({"spike_rank": 3, "spike_transform": "shift", "spike_assignment": "argmax",
...                           "spike_solver": "mu", "spike_max_iter": 200, "spike_restarts": 1, "spike_seed": 7,
...                           "spike_channels": 4, "spike_align": False}).align
False
>>> SpikeSettings(assignment="kmeans").cache_key("ab12")
'spikes|ab12|rank=4|transform=split|assignment=kmeans|solver=hals|max_iter=500|restarts=2|seed=0|channels=1|align=True'
>>> SpikeSettings().align_option, SpikeSettings(align=False).align_option
(None, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass, fields

import pandas as pd
import streamlit as st

from nnmf_core import spikes

#: Every widget key of the method form is this prefix and a field name: ``spike_rank``, ``spike_solver``, ….
KEY_PREFIX = "spike_"
#: Whole-number settings and their allowed ranges (inclusive).
INTEGER_LIMITS = {
    "rank": (2, max(spikes.SCAN_RANKS)),  # any rank the scan can suggest
    "max_iter": (50, 5000),
    "restarts": (1, 10),
    "seed": (0, 1_000_000),
    "channels": (1, spikes.MAX_CHANNELS),
}
#: Step between the iteration counts offered.
MAX_ITER_STEP = 50

#: The bundled examples: name -> (choice in the sidebar, what the page says it is).
EXAMPLES = {
    "synthetic": ("Synthetic: 4 units, 1 channel",
                  "Bundled sample (data/spikes_synthetic.csv): 4 synthetic units; its 'unit' column is the truth"),
    "realistic": ("SpikeInterface simulation: 5 units, 4 channels",
                  "Bundled recording (data/spikes_realistic.csv): 5 units simulated by SpikeInterface on a "
                  "4-channel probe; its 'unit' column is the truth"),
}
#: Headings of the confusion tables, one per method of the comparison.
CONFUSION_TITLES = {"chosen": "NMF, these settings", "article": "NMF, the article's recipe", "baseline": "PCA + k-means"}
#: Amplitude units offered: the bundled files are in µV, an upload's unit is unknown until said.
AMPLITUDE_UNITS = ("µV", "a.u.")
#: Widget keys of the data's description (outside the method form, reset for every new file).
RATE_KEY, UNIT_KEY, DESCRIBED_KEY = "spike_rate_khz", "spike_unit", "spike_described"

UPLOAD_HELP = (
    "One waveform per row: an id column, then numeric samples (several channels one after another, e.g. "
    "ch0_0 … ch3_74), then optional label columns (text, or headed unit/label/cluster/organoid …). A column "
    "headed time, spike_time or timestamp (s or ms, e.g. time_ms) or sample_index gives the spike times; a "
    "first line '# fs=30000' the sampling rate. Up to {mb} MB, {waveforms:,} waveforms and {samples:,} samples "
    "each. Never stored."
)
ASSIGNMENT_HELP = (
    "Shape and amplitude (the default): a Gaussian mixture groups the waveforms by their mix of templates and "
    "their size (log amplitude), then each moves to the nearest cluster mean where that makes the likelier "
    "partition. The "
    f"{spikes.TRIMMED_SHARE:.0%} of waveforms farthest from every mean (two spikes in one window, most often) are "
    "left out of the means, and still assigned. Last, two clusters no farther apart than one unit cut in two are "
    "joined while another cluster holds two clearly separate groups, which are then split.\n\n"
    "k-means on H: by the mix of templates alone, so units that differ only in size merge.\n\n"
    "Argmax: the template with the largest weight (W's columns scaled to unit norm first), the article's rule."
)
ALIGN_HELP = ("Move every waveform by the fraction of a sample (at most one) that best matches it to the mean "
              "waveform, all its channels together, before it is factored and clustered: a spike caught a little "
              "early or late otherwise looks like another unit's. Only rows of several channels are aligned; on one "
              "channel the units' own timing tells them apart.")
CHANNELS_HELP = ("Rows of C channels × T samples, one channel after another (tetrodes, probes): each channel is "
                 "drawn in its own sub-panel.")
RATE_HELP = ("Samples per second of the waveforms, for time axes in ms. Read from a '# fs=' line or a sampling_rate "
             "column when the file has one, else 30 kHz.")
CONFUSION_CAPTION = (
    "Waveforms per cluster (rows) and '{name}' label (columns); each cluster is matched to the label it shares most "
    "waveforms with, one to one (Hungarian assignment), so a perfect clustering reads as a blue diagonal. Orange: "
    "waveforms in a cluster matched to another label."
)
QUALITY_COLUMNS = {
    "method": st.column_config.TextColumn("method", width="large"),
    "silhouette": st.column_config.NumberColumn("silhouette", format="%.3f",
                                                help="On the waveforms; −1 … 1, higher is better."),
    "stability": st.column_config.NumberColumn("stability", format="%.3f",
                                               help="Mean pairwise ARI over restarts (k-means seeds)."),
    "ari": st.column_config.NumberColumn("ARI vs reference", format="%.3f"),
    "accuracy": st.column_config.NumberColumn(
        "matched accuracy", format="%.1f %%",
        help="Share of the waveforms in the cluster matched to their reference label (the diagonal of the "
             "confusion table below)."),
}
SCAN_COLUMNS = {
    "relative_error": st.column_config.NumberColumn("relative error", format="%.4f"),
    "cophenetic": st.column_config.NumberColumn("cophenetic", format="%.4f"),
    "stability": st.column_config.NumberColumn("stability", format="%.4f"),
    "separation": st.column_config.NumberColumn("separation d′", format="%.2f"),
    "prediction_strength": st.column_config.NumberColumn("prediction strength", format="%.3f"),
    "timing_split": st.column_config.NumberColumn(
        "timing split", format="%.2f",
        help="Of two clusters, the largest share of their difference that a shift of a fraction of a sample explains: "
             f"near 1, one unit cut by when its spikes were cut out (a k at {spikes.TIMING_SPLIT_SHARE:g} or more is set "
             "aside)."),
    "smallest_cluster": st.column_config.NumberColumn(
        "smallest cluster", format="%d",
        help=f"Waveforms in the smallest cluster: under {spikes.MIN_UNIT_WAVEFORMS}, too few for a unit (most often "
             "spikes caught with another unit's), and the k is set aside."),
    "seconds": st.column_config.NumberColumn("seconds", format="%.2f"),
}


@dataclass(frozen=True)
class SpikeSettings:
    """What the method form asks for, and the channels per waveform; the
    defaults are the page's first view.

    Attributes
    ----------
    rank : int
        Number of clusters k.
    transform : str
        A key of :data:`nnmf_core.spikes.TRANSFORMS`.
    assignment : str
        A key of :data:`nnmf_core.spikes.ASSIGNMENTS`.
    solver : str
        A key of :data:`nnmf_core.factorize.SOLVER_LABELS`.
    max_iter : int
        Iterations per fit at most.
    restarts : int
        Independent fits.
    seed : int
        Seed of every random start.
    channels : int
        Channels in every row (C channels × T samples, one after another).
    align : bool
        Whether rows of several channels are aligned to the mean waveform
        first (:func:`nnmf_core.spikes.aligned_waveforms`); one channel never is.

    The whole numbers lie within :data:`INTEGER_LIMITS`.
    """

    rank: int = 4
    transform: str = spikes.DEFAULT_TRANSFORM
    assignment: str = spikes.DEFAULT_ASSIGNMENT
    solver: str = "hals"
    max_iter: int = 500
    restarts: int = spikes.DEFAULT_RESTARTS
    seed: int = 0
    channels: int = 1
    align: bool = True

    @property
    def align_option(self):
        """``align`` as :func:`nnmf_core.spikes.cluster_waveforms` takes it: None
        (align rows of several channels) when on, False when off."""
        return None if self.align else False

    @staticmethod
    def key(name: str) -> str:
        """The widget key of the field ``name``."""
        return KEY_PREFIX + name

    @classmethod
    def from_state(cls, state: Mapping) -> SpikeSettings:
        """The settings held under the widget keys of ``state`` (the session state)."""
        values = {field.name: state[cls.key(field.name)] for field in fields(cls)}
        return cls(**{name: int(value) if name in INTEGER_LIMITS else value for name, value in values.items()})

    def cache_key(self, data_digest: str) -> str:
        """The key of the comparison these settings compute on the data with this digest."""
        return f"spikes|{data_digest}|" + "|".join(f"{field.name}={value}" for field, value in zip(fields(self), astuple(self)))

    def scan_key(self, data_digest: str) -> str:
        """The key of the rank scan, which depends on the method but not on the rank, iterations or restarts."""
        return "|".join(["spike-scan", data_digest, self.transform, self.assignment, self.solver, str(self.seed),
                         f"channels={self.channels}", f"align={self.align}"])


def job_bytes(job: str, table: spikes.WaveformTable) -> int:
    """The memory the page's ``job`` (a key of :data:`nnmf_core.spikes.JOB_MEMORY`)
    needs on this table, for the server's work gate."""
    return spikes.job_memory_bytes(job, table.n_waveforms, table.n_samples)


#: What the data widgets start at, before a file says otherwise: one channel (the
#: first choice), the rate assumed for a file that gives none (kHz), µV.
DATA_DEFAULTS = {SpikeSettings.key("channels"): 1, RATE_KEY: spikes.DEFAULT_SAMPLING_RATE / 1000,
                 UNIT_KEY: AMPLITUDE_UNITS[0]}


def quality_shown(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison's quality table as the page shows it: matched accuracy in
    % (:data:`QUALITY_COLUMNS` gives every method one decimal)."""
    return table.assign(accuracy=100 * table["accuracy"])


def chose_example(memory: dict, example: str, session_state) -> bool:
    """Whether this run chose a new bundled ``example``; if so, k (``memory`` and
    the rank widget's ``session_state``) becomes its number of units. The first
    view's example needs no change."""
    if memory.setdefault("example", next(iter(EXAMPLES))) == example:
        return False
    memory["example"] = example
    memory["rank"] = session_state[SpikeSettings.key("rank")] = spikes.SAMPLE_SPIKE_UNITS[example]
    return True


def first_description(table: spikes.WaveformTable, bundled: bool) -> dict:
    """The data widgets' values for a newly read file: its channels, its
    sampling rate (else :data:`~nnmf_core.spikes.DEFAULT_SAMPLING_RATE`) and
    µV for the bundled files, "a.u." for an upload (whose unit nobody said).

    >>> first_description(spikes.read_waveforms(b"uid,0,1,2\\na,0,-1,0\\nb,0,-2,1\\n"), bundled=False)
    {'spike_channels': 1, 'spike_rate_khz': 30.0, 'spike_unit': 'a.u.'}
    """
    rate = table.sampling_rate or spikes.DEFAULT_SAMPLING_RATE
    return {SpikeSettings.key("channels"): table.channels, RATE_KEY: rate / 1000,
            UNIT_KEY: AMPLITUDE_UNITS[0 if bundled else 1]}


def description_changes(described: dict, state: Mapping) -> dict:
    """The part of a new file's :func:`first_description` that changes what the
    data widgets hold (``state``: the session state), a widget without state
    holding its own default (:data:`DATA_DEFAULTS`).

    A value the widget already shows is not written: a widget's value set
    through the session state reaches a browser only with the run that set
    it, and one that misses that run shows the widget's default instead.

    >>> description_changes({"spike_channels": 1, "spike_rate_khz": 30.0, "spike_unit": "a.u."}, {})
    {'spike_unit': 'a.u.'}
    >>> description_changes({"spike_channels": 4, "spike_rate_khz": 30.0, "spike_unit": "µV"}, {"spike_unit": "a.u."})
    {'spike_channels': 4, 'spike_unit': 'µV'}
    """
    return {key: value for key, value in described.items() if state.get(key, DATA_DEFAULTS[key]) != value}


def data_details(table: spikes.WaveformTable, channels: int, from_file: bool) -> str:
    """What the data is besides its size: channels, sampling rate (and its source), spike times.

    >>> table = spikes.read_waveforms(b"uid,0,1,2,3,4,5,time_ms\\na,0,-1,0,0,-1,0,5\\nb,0,-2,1,0,-2,1,9\\n")
    >>> data_details(table.with_sampling_rate(25_000), 2, from_file=False)
    '2 channels × 3 samples, one after another, at 25 kHz: 0.12 ms per channel; spike times from the file.'
    """
    per_channel = table.n_samples // channels
    what = f"{channels} channels × {per_channel} samples, one after another," if channels > 1 else "One channel"
    line = (f"{what} at {table.sampling_rate / 1000:g} kHz" + (" (as the file says)" if from_file else "")
            + f": {per_channel * 1000 / table.sampling_rate:.3g} ms per {'channel' if channels > 1 else 'waveform'}")
    return line + ("; spike times from the file." if table.spike_times is not None else ".")


def panels_caption(method: str, style: str, examples: int, most_lines: int) -> str:
    """What the waveforms figure shows, in the words of its ``style`` (a key of ``figures.PANEL_STYLES``)."""
    drawn = (f"Shading: how many waveforms pass through each amplitude at each time (deeper = more; square-root "
             f"scale, so rare paths stay visible); thin dark lines: {examples} single waveforms" if style == "density"
             else f"Thin lines: single waveforms (at most {most_lines} per panel)")
    return (f"{method}. {drawn}; black dashed: the mean of the panel. Clusters are numbered by where their energy "
            "sits in time, so colours keep their meaning when you rerun.")


def panels_per_row(user_agent: str, channels: int) -> int | None:
    """Panels per row of the waveforms figure: on a phone (a User-Agent with
    "Mobi" in it, as mobile browsers send) 2 single-channel panels or 1 with
    several channels; elsewhere None, the figure's own choice.

    >>> panels_per_row("Mozilla/5.0 (Linux; Android 14) … Chrome/126.0 Mobile Safari/537.36", 1)
    2
    >>> panels_per_row("Mozilla/5.0 (X11; Linux x86_64) … Chrome/126.0 Safari/537.36", 4) is None
    True
    """
    if "Mobi" not in (user_agent or ""):
        return None
    return 2 if channels == 1 else 1


def confusion_styled(table: pd.DataFrame):
    """A confusion table coloured for reading at a glance: matched cells
    (``table.attrs["matched"]``) blue, waveforms elsewhere orange, both
    deeper with the count."""
    matched = table.attrs.get("matched", {})
    top = max(int(table.to_numpy().max()), 1)

    def colours(frame: pd.DataFrame) -> pd.DataFrame:
        def css(row: str, column: str) -> str:
            value = int(frame.at[row, column])
            if value == 0:
                return ""
            tint = "0, 114, 178" if matched.get(row) == column else "230, 159, 0"
            return f"background-color: rgba({tint}, {0.12 + 0.6 * value / top:.2f})"
        return pd.DataFrame([[css(r, c) for c in frame.columns] for r in frame.index],
                            index=frame.index, columns=frame.columns)

    return table.style.apply(colours, axis=None)
