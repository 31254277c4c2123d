"""What :func:`~nnmf_core.factorize.factorize` accepts: the names of its solvers,
losses and starts, how pages show each solver, and the types of its callbacks."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SOLVERS = ("hals", "mu")
#: How every page and method name shows each solver.
SOLVER_LABELS = {"hals": "HALS (fast)", "mu": "MU (as in the article)"}
LOSSES = ("frobenius", "kullback-leibler")
INITS = ("random", "nndsvd", "nndsvda")

Init = str | tuple
IterationCallback = Callable[[int, float], bool | None]
#: ``on_restart(restart, W, H, loss_history)``, see :func:`~nnmf_core.factorize.factorize`.
RestartCallback = Callable[[int, np.ndarray, np.ndarray, np.ndarray], bool | None]
