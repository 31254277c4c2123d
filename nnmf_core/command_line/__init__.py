"""The command line, ``python -m nnmf_core``: fit NMF to a file larger than
memory and apply the components to new data, on any Dask scheduler.

* :mod:`~nnmf_core.command_line.commands` — :func:`main` (the parser and the
  two commands), :func:`fit_command` and :func:`transform_command`, the exact
  command line for a file and settings (a page shows it for a file over its
  limit), and :func:`dask_scheduler`.
* :mod:`~nnmf_core.command_line.inputs` — ``.npy``, ``.zarr`` and spike CSV
  files as Dask arrays, never read whole here; :func:`open_matrix`.
* :mod:`~nnmf_core.command_line.outputs` — results written block by block
  under a temporary name and renamed at the end; :func:`write_results`.

Dask is imported only when a command runs.

>>> fit_command("spikes.npy", 5)
'python -m nnmf_core fit spikes.npy --rank 5 --solver hals --max-iter 300 --tol 0.0001 --out spikes_nmf.npz'
"""

from nnmf_core.command_line.commands import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    build_parser,
    dask_scheduler,
    fit_command,
    main,
    transform_command,
)

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "build_parser",
    "dask_scheduler",
    "fit_command",
    "main",
    "transform_command",
]
