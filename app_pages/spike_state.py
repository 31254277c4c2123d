"""The Spike clustering page's settings: the values of its method form, their
limits, the widget keys they live under, and the cache keys they make.

>>> settings = SpikeSettings()
>>> settings.rank, settings.transform, settings.assignment
(4, 'split', 'kmeans')
>>> SpikeSettings.from_state({"spike_rank": 3, "spike_transform": "shift", "spike_assignment": "argmax",
...                           "spike_solver": "mu", "spike_max_iter": 200, "spike_restarts": 1, "spike_seed": 7})
SpikeSettings(rank=3, transform='shift', assignment='argmax', solver='mu', max_iter=200, restarts=1, seed=7)
>>> SpikeSettings().cache_key("ab12")
'spikes|ab12|rank=4|transform=split|assignment=kmeans|solver=hals|max_iter=500|restarts=2|seed=0'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass, fields

from nnmf_core import spikes

#: Every widget key of the method form is this prefix and a field name: ``spike_rank``, ``spike_solver``, ….
KEY_PREFIX = "spike_"
#: Whole-number settings and their allowed ranges (inclusive).
INTEGER_LIMITS = {
    "rank": (2, 8),
    "max_iter": (50, 5000),
    "restarts": (1, 10),
    "seed": (0, 1_000_000),
}
#: Step between the iteration counts offered.
MAX_ITER_STEP = 50
#: The ranks the rank tab scans.
SCAN_RANKS = range(2, 9)


@dataclass(frozen=True)
class SpikeSettings:
    """What the method form asks for; the defaults are the page's first view.

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

    The whole numbers lie within :data:`INTEGER_LIMITS`.
    """

    rank: int = 4
    transform: str = spikes.DEFAULT_TRANSFORM
    assignment: str = spikes.DEFAULT_ASSIGNMENT
    solver: str = "hals"
    max_iter: int = 500
    restarts: int = spikes.DEFAULT_RESTARTS
    seed: int = 0

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
        return "|".join(["spike-scan", data_digest, self.transform, self.assignment, self.solver, str(self.seed)])
