"""The Compression page's own state: its settings, read from and written to
the page's link, the keys of its cached computations, and the loss-history
download.

No Streamlit here: the page turns widgets into a :class:`CompressionSettings`
and hands its values to :mod:`nnmf_core.compression`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from nnmf_core.compression import COLOUR_LAYOUTS
from nnmf_core.factorize import INITS, SOLVERS
from nnmf_core.images import DEFAULT_MAX_SIDE, DEFAULT_SAMPLE_IMAGE, MATRIX_MODES, SAMPLE_IMAGES, WORKING_SIDE_CHOICES

__all__ = [
    "INTEGER_LIMITS",
    "TOLERANCES",
    "QUERY_NAMES",
    "CompressionSettings",
    "settings_from_query",
    "loss_csv_bytes",
]

#: Stopping tolerances offered (0 runs every iteration).
TOLERANCES = (0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
#: Whole-number settings and their allowed ranges (inclusive).
INTEGER_LIMITS = {
    "rank": (1, 1024),
    "max_iter": (1, 5000),
    "n_restarts": (1, 10),
    "random_state": (0, 2**31 - 1),
}
#: Setting name -> query parameter name in a shareable link.
QUERY_NAMES = {
    "sample": "sample",
    "mode": "mode",
    "colour_layout": "layout",
    "max_side": "size",
    "rank": "rank",
    "max_iter": "iter",
    "solver": "solver",
    "init": "init",
    "n_restarts": "restarts",
    "random_state": "seed",
    "tol": "tol",
}


@dataclass(frozen=True)
class CompressionSettings:
    """Everything that decides what the page computes (bar the picture itself).

    The defaults are the reference notebook's rank 20 and 300 iterations, on
    the bundled colour photo, with the fast HALS solver.
    """

    sample: str = DEFAULT_SAMPLE_IMAGE
    mode: str = "colour"
    colour_layout: str = "joint"
    max_side: int = DEFAULT_MAX_SIDE
    rank: int = 20
    max_iter: int = 300
    solver: str = "hals"
    init: str = "nndsvda"
    n_restarts: int = 1
    random_state: int = 0
    tol: float = 1e-4

    def as_query(self) -> dict[str, str]:
        """The settings as query parameters (short names, text values)."""
        values = {
            name: (_sample_slug(value) if name == "sample" else f"{value:g}" if name == "tol" else str(value))
            for name, value in ((item.name, getattr(self, item.name)) for item in fields(self))
        }
        return {QUERY_NAMES[name]: value for name, value in values.items()}

    def cache_key(self, computation: str, source_key: str, *details: object) -> str:
        """The key of one cached computation of the page: what it is, the
        picture's content key, the settings it depends on, then ``details``
        (the rank used, the ranks compared).

        ``"picture"`` (the working copy) depends on the working size only;
        every other computation on every setting but the sample's name, which
        ``source_key`` already stands for.

        >>> CompressionSettings().cache_key("picture", "sample:Camera (grayscale)")
        'picture|sample:Camera (grayscale)|512'
        >>> CompressionSettings(rank=7).cache_key("compress", "ab12", "used_rank=7")
        "compress|ab12|mode='colour'|colour_layout='joint'|...|rank=7|...|tol=0.0001|used_rank=7"
        """
        if computation == "picture":
            depends_on = str(self.max_side)
        else:
            depends_on = "|".join(f"{item.name}={getattr(self, item.name)!r}" for item in fields(self) if item.name != "sample")
        return "|".join([computation, source_key, depends_on, *map(str, details)])


def _sample_slug(name: str) -> str:
    """'Coffee cup (colour)' -> 'coffee-cup': a sample's name in a link."""
    words = re.findall(r"[a-z0-9]+", name.split("(")[0].lower())
    return "-".join(words)


def settings_from_query(params: Mapping[str, object]) -> tuple[CompressionSettings, tuple[str, ...]]:
    """Settings from a link's query parameters; anything invalid is ignored.

    Parameters
    ----------
    params : mapping of str to str (or list of str)
        Query parameters, as ``st.query_params.to_dict()`` gives them. Unknown
        names are left alone (other parts of the page may own them).

    Returns
    -------
    settings : CompressionSettings
        Defaults, overridden by every valid parameter.
    problems : tuple of str
        One sentence per parameter that was ignored, for showing to the person.
    """
    choices = {
        "sample": {_sample_slug(name): name for name in SAMPLE_IMAGES},
        "mode": {name: name for name in MATRIX_MODES},
        "colour_layout": {name: name for name in COLOUR_LAYOUTS},
        "solver": {name: name for name in SOLVERS},
        "init": {name: name for name in INITS},
        "max_side": {str(side): side for side in WORKING_SIDE_CHOICES},
    }
    values: dict[str, object] = {}
    problems: list[str] = []
    for name, query_name in QUERY_NAMES.items():
        if query_name not in params:
            continue
        raw = params[query_name]
        text = str(raw[-1] if isinstance(raw, (list, tuple)) and raw else raw).strip()
        if name in choices:
            if text in choices[name]:
                values[name] = choices[name][text]
            else:
                allowed = ", ".join(choices[name])
                problems.append(f"Ignored {query_name}={text[:40]!r} from the link: expected one of {allowed}.")
        elif name in INTEGER_LIMITS:
            low, high = INTEGER_LIMITS[name]
            if re.fullmatch(r"\d{1,10}", text) and low <= int(text) <= high:
                values[name] = int(text)
            else:
                problems.append(
                    f"Ignored {query_name}={text[:40]!r} from the link: expected a whole number from {low} to {high}."
                )
        else:  # tol
            tolerance = _float_or_none(text)
            matching = [value for value in TOLERANCES if tolerance is not None and math.isclose(value, tolerance)]
            if matching:
                values[name] = matching[0]
            else:
                allowed = ", ".join(f"{value:g}" for value in TOLERANCES)
                problems.append(f"Ignored {query_name}={text[:40]!r} from the link: expected one of {allowed}.")
    return replace(CompressionSettings(), **values), tuple(problems)


def _float_or_none(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def loss_csv_bytes(histories: Mapping[str, Sequence[float]] | Sequence[float]) -> bytes:
    """Loss per iteration as CSV: ``iteration,loss`` (or one column per channel).

    A channel that stopped earlier leaves its later cells empty.
    """
    if not isinstance(histories, Mapping):
        histories = {"": histories}
    columns = {("loss" if not name else f"loss_{name}"): np.asarray(values, dtype=np.float64)
               for name, values in histories.items()}
    length = max((values.size for values in columns.values()), default=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["iteration", *columns])
    for i in range(length):
        writer.writerow([i + 1, *(f"{values[i]:.9g}" if i < values.size else "" for values in columns.values())])
    return buffer.getvalue().encode("utf-8")
