"""The Learn NMF pages' own state: the settings their sidebars share, the
choices each widget offers, and the keys of their cached computations.

No Streamlit here: the pages turn widgets into a :class:`LearnSettings` and
hand its values to :mod:`nnmf_core.learning`, :mod:`nnmf_core.inpainting`,
:mod:`nnmf_core.heldout` and :mod:`nnmf_core.compression`. Every widget key
is ``learn_`` + the setting's name; the widgets keep their values across both
pages and write them into the page's link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from nnmf_core.images import DEFAULT_SAMPLE_IMAGE

__all__ = [
    "KEY_PREFIX",
    "MODE_LABELS",
    "LOSS_LABELS",
    "SIDES",
    "ALPHAS",
    "INTEGER_LIMITS",
    "PATTERN_LABELS",
    "HIDDEN_SHARES",
    "HELDOUT_SHARES",
    "HELDOUT_SIDE",
    "LearnSettings",
]

#: Prefix of every widget key of the Learn NMF pages.
KEY_PREFIX = "learn_"
#: Matrices a learning view fits (the labels are also the values in a link).
MODE_LABELS = {"luminance": "Gray", "colour": "Colour"}
#: Losses a replay minimises (the labels are also the values in a link).
LOSS_LABELS = {"frobenius": "Squared error", "kullback-leibler": "Kullback–Leibler"}
#: Working sizes offered (longest side, px); learning views run small by default.
SIDES = (128, 256, 512, 1024, 2048)
#: Sparsity strengths offered (scikit-learn's alpha).
ALPHAS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
#: Whole-number settings and their allowed ranges (inclusive).
INTEGER_LIMITS = {"rank": (1, 100), "max_iter": (10, 2000), "random_state": (0, 2**31 - 1), "patch_rank": (1, 64),
                  "largest_rank": (2, 100)}
#: How pixels are hidden for inpainting.
PATTERN_LABELS = {"random": "Scattered at random", "block": "One block in the middle", "text": "Text written over it"}
#: Shares of pixels hidden for inpainting.
HIDDEN_SHARES = (0.1, 0.2, 0.3, 0.5, 0.7)
#: Shares of entries held out when choosing a rank.
HELDOUT_SHARES = (0.05, 0.1)
#: Longest side of the copy the rank evidence is fitted on (2 × 12 masked fits).
HELDOUT_SIDE = 128


@dataclass(frozen=True)
class LearnSettings:
    """What the Learn NMF sidebars set (bar the picture's content).

    The defaults: the bundled colour photo at 256 px in gray, rank 20, 200
    iterations of HALS from a random start, no sparsity.
    """

    sample: str = DEFAULT_SAMPLE_IMAGE
    max_side: int = 256
    mode: str = "luminance"
    rank: int = 20
    max_iter: int = 200
    solver: str = "hals"
    loss: str = "frobenius"
    alpha: float = 0.0
    l1_ratio: float = 1.0
    random_state: int = 0

    @staticmethod
    def key(name: str) -> str:
        """The widget key of a setting: ``learn_`` + its name.

        >>> LearnSettings.key("rank")
        'learn_rank'
        """
        return KEY_PREFIX + name

    @classmethod
    def from_state(cls, state: Mapping[str, object]) -> LearnSettings:
        """The settings the widgets hold (defaults for any not drawn)."""
        defaults = cls()
        return cls(**{item.name: state.get(cls.key(item.name), getattr(defaults, item.name)) for item in fields(cls)})

    @property
    def fit_solver(self) -> str:
        """The solver that runs: the Kullback–Leibler loss needs MU.

        >>> LearnSettings(loss="kullback-leibler").fit_solver
        'mu'
        """
        return "mu" if self.loss == "kullback-leibler" else self.solver

    def cache_key(self, view: str, source_key: str, *names: str, details: tuple = ()) -> str:
        """The key of one cached computation: the view, the picture's content
        key, the settings ``names`` it depends on, then ``details`` (the
        view's own settings).

        >>> LearnSettings().cache_key("race", "sample:Coffee cup (colour)", "mode", "rank")
        "race|sample:Coffee cup (colour)|mode='luminance'|rank=20"
        """
        values = [f"{name}={getattr(self, name)!r}" for name in names]
        return "|".join([view, source_key, *values, *map(str, details)])
