"""The options of an NMF clustering method: one label table per option, the
defaults, and a method's name for a person.

The tables are the single source of the words every page shows for an
option (keys are what the functions take), and of the choices an unknown key
is refused with.

>>> list(TRANSFORMS), list(ASSIGNMENTS)
(['split', 'per-sample shift', 'shift'], ['argmax', 'kmeans', 'shape+amplitude'])
>>> method_name("split", "hals", "shape+amplitude")
'NMF: split into ± parts, HALS, shape and amplitude'
"""

from __future__ import annotations

from nnmf_core.errors import InputError
from nnmf_core.factorize import SOLVER_LABELS

#: Non-negativity transforms (see :func:`~nnmf_core.spikes.nonnegative`): key -> label for a person.
TRANSFORMS = {
    "split": "Split into ± parts (lossless)",
    "per-sample shift": "Per-sample shift",
    "shift": "Global shift (as in the article)",
}
#: Ways to turn W and H into clusters: key -> label for a person.
#: ``"argmax"``: the strongest template; ``"kmeans"``: k-means on the
#: unit-length columns of H (the mix of templates, amplitude dropped);
#: ``"shape+amplitude"``: a Gaussian mixture with one shared covariance on
#: the mix of templates and the log of the amplitude
#: (:func:`~nnmf_core.spikes.shape_amplitude_features`), then rounds of
#: nearest mean waveform, kept when they make the likelier partition; both
#: steps estimate their means without the 5 % of waveforms farthest from
#: every mean (trimmed k-means); last, a unit cut in two is joined again
#: where another cluster holds two units.
ASSIGNMENTS = {
    "argmax": "Argmax of H (as in the article)",
    "kmeans": "k-means on H (shape only)",
    "shape+amplitude": "Shape and amplitude (Gaussian mixture, then nearest mean where likelier, then cut units joined)",
}

DEFAULT_TRANSFORM = "split"
#: The default assignment. k-means on unit-length H was the default until
#: SpikeInterface's simulated recordings showed that it merges units that
#: differ only in amplitude (mean ARI 0.43 there, against 0.80 for PCA +
#: k-means); the mixture on shape and log-amplitude keeps the amplitude.
DEFAULT_ASSIGNMENT = "shape+amplitude"
#: Restarts of :func:`~nnmf_core.spikes.cluster_waveforms` unless asked
#: otherwise; the fit with the smallest final loss is kept.
DEFAULT_RESTARTS = 2


#: Words that keep their capital inside a sentence.
_PROPER_WORDS = ("Gaussian",)


def _phrase(label: str) -> str:
    """A label as a phrase inside a sentence: its note in parentheses dropped,
    a capital first letter lowered unless the word is an acronym ('HALS') or
    a name ('Gaussian')."""
    text = label.split(" (")[0]
    if not text[1:2].islower() or text.split(" ")[0] in _PROPER_WORDS:
        return text
    return text[:1].lower() + text[1:]


def method_name(transform: str, solver: str, assignment: str, aligned: bool = False) -> str:
    """A short label for an NMF clustering method, made from the option tables.

    Parameters
    ----------
    transform : str
        A key of :data:`TRANSFORMS`.
    solver : str
        A key of :data:`~nnmf_core.factorize.SOLVER_LABELS`.
    assignment : str
        A key of :data:`ASSIGNMENTS`.
    aligned : bool
        Whether the waveforms were aligned first (:func:`~nnmf_core.spikes.aligned_waveforms`).

    Returns
    -------
    str
        E.g. ``'NMF: global shift, MU, argmax of H'``; an unknown key is
        shown as given (a solver in capitals).

    Examples
    --------
    >>> method_name("shift", "mu", "argmax")
    'NMF: global shift, MU, argmax of H'
    >>> method_name("split", "hals", "kmeans", aligned=True)
    'NMF: spikes aligned, split into ± parts, HALS, k-means on H'
    """
    return (f"NMF: {'spikes aligned, ' if aligned else ''}{_phrase(TRANSFORMS.get(transform, transform))}, "
            f"{_phrase(SOLVER_LABELS.get(solver, solver.upper()))}, {_phrase(ASSIGNMENTS.get(assignment, assignment))}")


def _checked_transform(transform: str) -> None:
    if transform not in tuple(TRANSFORMS):  # compared, not hashed: any object is refused with the sentence
        raise InputError(f"Unknown non-negativity transform {transform!r}; choose one of {', '.join(TRANSFORMS)}.")


def _checked_assignment(assignment: str) -> None:
    if assignment not in ASSIGNMENTS:
        raise InputError(f"Unknown assignment {assignment!r}; choose one of {', '.join(ASSIGNMENTS)}.")
