"""``python -m nnmf_core``: fit and apply NMF on files larger than memory, on
any Dask scheduler. :func:`main` runs a command line; :func:`fit_command` and
:func:`transform_command` write one for given settings."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.factorize import SOLVERS
from nnmf_core.threads import usable_cores

#: Exit status of a run refused for bad input (as argparse's own refusals).
EXIT_BAD_INPUT = 2
#: Exit status of a run stopped by Ctrl-C.
EXIT_INTERRUPTED = 130
#: glibc settings of the workers of ``--scheduler local``: blocks up to 256 MiB
#: come from (and return to) the heap instead of fresh mappings. Each
#: iteration reads every partition of a file anew (tens of MB each); with
#: Dask's default (memory given back above 64 KiB) every read faulted in
#: fresh pages, and the workers spent as much time in the kernel as in the
#: arithmetic (2,000,000 × 150: 1.5 s per iteration against 0.53 s).
WORKER_MALLOC = {"MALLOC_MMAP_THRESHOLD_": 256 * 2**20, "MALLOC_TRIM_THRESHOLD_": 256 * 2**20}

_EPILOG = """\
INPUT is a .npy file (memory-mapped, read a block of rows at a time), a .zarr
store (an array, or a group with an array named V), or a spike CSV file (one
waveform per row, read a block of lines at a time with the app's checks).
Signed data such as spike waveforms needs --transform (split is the app's
default). The long side of the matrix is cut into partitions that stay on
the workers; each iteration moves only k × (short side) numbers per worker.

examples:
  python -m nnmf_core fit spikes.npy --rank 5 --out fit.npz
  python -m nnmf_core fit waveforms.csv --rank 4 --transform split --out fit.npz
  python -m nnmf_core fit stack.zarr --rank 20 --scheduler tcp://10.0.0.5:8786 --out fit.zarr
  python -m nnmf_core transform new.csv --transform split --factor fit.npz --out labels.npz

Bad input stops with one sentence on stderr and exit status 2; Ctrl-C stops
cleanly with status 130 and writes nothing (results are written under a
temporary name and renamed at the end).
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m nnmf_core`` (its ``--help`` is the manual)."""
    from nnmf_core.command_line.inputs import CLI_TRANSFORMS

    parser = argparse.ArgumentParser(
        prog="python -m nnmf_core",
        description="Non-negative matrix factorization V ≈ W·H of files larger than memory, on Dask.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{fit,transform}")

    def common(sub):
        sub.add_argument("input", metavar="INPUT", help="a .npy file, a .zarr store or a spike CSV file")
        sub.add_argument("--out", required=True, metavar="OUT",
                         help="where to write: a .npz file, or a .zarr store (large arrays then stay on disk)")
        sub.add_argument("--transform", default="none", choices=CLI_TRANSFORMS,
                         help="make signed data non-negative as the app does: split stacks the positive and "
                              "negative parts of every sample; shift adds the smallest value; per-sample shift "
                              "subtracts each sample's minimum (default: none, the data must be ≥ 0)")
        sub.add_argument("--scheduler", default="local", metavar="ADDRESS|local|threads",
                         help="local: start a Dask LocalCluster sized to this machine (default); threads: "
                              "Dask's threads in this process, no cluster; an address (tcp://host:8786): "
                              "connect to a running cluster (dask scheduler + dask worker)")
        sub.add_argument("--workers", type=_positive_int, metavar="N",
                         help=f"workers of --scheduler local (default: the usable cores, {usable_cores()} here)")
        sub.add_argument("--worker-memory", metavar="SIZE",
                         help="memory limit per worker of --scheduler local, e.g. 1GB (default: the machine's "
                              "memory shared out)")
        sub.add_argument("--chunk-rows", type=_positive_int, metavar="R",
                         help="rows of the long side per partition (rounded to whole sweep blocks; default: "
                              "about 64 MB of data per partition)")
        sub.add_argument("--dtype", default="float32", choices=("float32", "float64"),
                         help="precision of the arithmetic and of the results (default: float32)")

    fit = commands.add_parser("fit", help="factor INPUT into W and H",
                              description="Factor INPUT (n × m) into W (n × k) and H (k × m), V ≈ W·H. "
                                          "OUT holds W, H, loss_history, relative_error and n_iter.",
                              epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(fit)
    fit.add_argument("--rank", type=_positive_int, required=True, metavar="K", help="k, the number of components")
    fit.add_argument("--solver", default="hals", choices=SOLVERS,
                     help="hals: accelerated hierarchical ALS (fast, default); mu: Lee–Seung multiplicative updates")
    fit.add_argument("--max-iter", type=_positive_int, default=300, metavar="N", help="most iterations (default 300)")
    fit.add_argument("--tol", type=float, default=1e-4, metavar="T",
                     help="stop once the loss fell by no more than T (relative) over 10 iterations; 0 runs all "
                          "(default 1e-4)")
    fit.add_argument("--seed", type=int, metavar="S", help="seed of the random parts of the start (default: none)")
    fit.add_argument("--init", default="nndsvda", choices=("nndsvda", "nndsvd", "random"),
                     help="start: NNDSVDa (default), NNDSVD or random")

    apply = commands.add_parser("transform", help="weights (and labels) of INPUT for fitted components",
                                description="Non-negative least squares of every row of INPUT on the fitted "
                                            "components H (held fixed): OUT holds W (n × k) and labels, the "
                                            "strongest component of every row.",
                                epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(apply)
    apply.add_argument("--factor", required=True, metavar="FIT",
                       help="a result of fit (.npz or .zarr) whose H holds the components")
    return parser


def fit_command(filename, rank: int, *, solver: str = "hals", max_iter: int = 300, tol: float = 1e-4,
                seed: int | None = None, scheduler: str = "local", chunk_rows: int | None = None,
                transform: str = "none", out: str | None = None) -> str:
    """The command line that fits ``filename`` with these settings.

    Parameters
    ----------
    filename : str
        The input file (``.npy``, ``.zarr`` or a spike CSV), as the user will type it.
    rank, solver, max_iter, tol, seed
        As for :func:`~nnmf_core.factorize` (``seed`` is ``random_state``).
    scheduler : str
        ``"local"``, ``"threads"`` or a scheduler address.
    chunk_rows : int, optional
        Rows per partition.
    transform : str
        How signed data is made non-negative (``"split"`` for spike waveforms).
    out : str, optional
        Output file; default: the input's name with ``_nmf.npz``.

    Returns
    -------
    str
        A shell command, its arguments quoted where needed.

    Examples
    --------
    >>> print(fit_command("my spikes.csv", 4, seed=0, out="fit.npz"))
    python -m nnmf_core fit 'my spikes.csv' --rank 4 --solver hals --max-iter 300 --tol 0.0001 --seed 0 --out fit.npz
    """
    out = out or str(Path(filename).with_name(Path(filename).stem + "_nmf.npz"))
    words = ["python", "-m", "nnmf_core", "fit", str(filename), "--rank", str(int(rank)), "--solver", solver,
             "--max-iter", str(int(max_iter)), "--tol", f"{tol:g}"]
    if seed is not None:
        words += ["--seed", str(int(seed))]
    if scheduler != "local":
        words += ["--scheduler", scheduler]
    if chunk_rows:
        words += ["--chunk-rows", str(int(chunk_rows))]
    if transform != "none":
        words += ["--transform", transform]
    words += ["--out", out]
    return shlex.join(words)


def transform_command(filename, factor, *, transform: str = "none", scheduler: str = "local",
                      out: str | None = None) -> str:
    """The command line that applies the components in ``factor`` to ``filename``.

    >>> transform_command("new.csv", "fit.npz", transform="split")
    'python -m nnmf_core transform new.csv --factor fit.npz --transform split --out new_labels.npz'
    """
    out = out or str(Path(filename).with_name(Path(filename).stem + "_labels.npz"))
    words = ["python", "-m", "nnmf_core", "transform", str(filename), "--factor", str(factor)]
    if transform != "none":
        words += ["--transform", transform]
    if scheduler != "local":
        words += ["--scheduler", scheduler]
    return shlex.join(words + ["--out", out])


@contextlib.contextmanager
def dask_scheduler(spec: str, workers: int | None = None, worker_memory: str | None = None):
    """Run the enclosed Dask work on ``spec``: ``"threads"``, ``"local"`` (a
    LocalCluster of ``workers`` processes, one thread each) or an address."""
    import dask

    if spec == "threads":
        with dask.config.set(scheduler="threads"):
            yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--scheduler local or an address needs dask.distributed: pip install 'nnmf-studio[large]'.") from None
    if spec == "local":
        environ = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **WORKER_MALLOC}
        before = {name: os.environ.get(name) for name in environ}  # the nanny sets them in this process
        try:
            with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
                cluster = LocalCluster(n_workers=workers or usable_cores(), threads_per_worker=1, processes=True,
                                       memory_limit=worker_memory or "auto", dashboard_address=None)
            try:
                with Client(cluster) as client:
                    yield client
            finally:
                cluster.close()
        finally:
            for name, value in before.items():
                os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)
        return
    try:
        client = Client(spec, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"Could not connect to the Dask scheduler at {spec} ({exc}).") from None
    with client:
        yield client


class _Progress:
    """Prints iteration, loss and seconds per iteration on stderr, at most
    about once a second (and always for the first iterations)."""

    def __init__(self, max_iter: int):
        self.max_iter = max_iter
        self.last_print, self.last_i = time.perf_counter(), 0  # the first iteration's time includes the start

    def __call__(self, i: int, loss: float) -> None:
        now = time.perf_counter()
        if i <= 3 or now - self.last_print >= 1.0 or i == self.max_iter:
            per_iteration = (now - self.last_print) / (i - self.last_i)
            print(f"iteration {i}/{self.max_iter}  loss {loss:.6g}  {per_iteration:.3f} s/iteration",
                  file=sys.stderr, flush=True)
            self.last_print, self.last_i = now, i


def _checked_out(out) -> None:
    """Refuse, before any work, an output whose folder is missing or read-only."""
    folder = Path(out).resolve().parent
    if not folder.is_dir():
        raise InputError(f"The folder of --out, {folder}, does not exist.")
    if not os.access(folder, os.W_OK):
        raise InputError(f"The folder of --out, {folder}, is not writable.")


def _rows_per_chunk(path, rank: int, dtype: str, wanted: int | None) -> int:
    from nnmf_core.command_line.inputs import matrix_shape
    from nnmf_core.factorize.dask_support import _partition_rows

    n, m = matrix_shape(path)
    return _partition_rows(max(n, m), min(n, m), rank, np.dtype(dtype).itemsize, wanted)


def _run_fit(args) -> None:
    from nnmf_core.command_line.inputs import open_matrix
    from nnmf_core.command_line.outputs import write_results
    from nnmf_core.factorize import factorize

    _checked_out(args.out)
    rows = _rows_per_chunk(args.input, args.rank, args.dtype, args.chunk_rows)
    with dask_scheduler(args.scheduler, args.workers, args.worker_memory):
        V = open_matrix(args.input, rows, args.transform)
        print(f"{Path(args.input).name}: {V.shape[0]:,} × {V.shape[1]:,}, rank {args.rank}, {args.solver}, "
              f"read in {V.numblocks[0] * V.numblocks[1]} blocks", file=sys.stderr, flush=True)
        result = factorize(V, args.rank, solver=args.solver, init=args.init, max_iter=args.max_iter, tol=args.tol,
                           random_state=args.seed, dtype=args.dtype, on_iteration=_Progress(args.max_iter))
        write_results(args.out, {"W": result.W, "H": result.H, "loss_history": result.loss_history,
                                 "relative_error": np.float64(result.relative_error),
                                 "n_iter": np.int64(result.n_iter)})
    print(f"{result.n_iter} iterations in {result.seconds:.1f} s, relative error {result.relative_error:.4g}; "
          f"wrote {args.out}", file=sys.stderr)


def _components(path) -> np.ndarray:
    path = Path(path)
    try:
        if path.suffix.lower() == ".zarr":
            import zarr

            return np.asarray(zarr.open_group(str(path), mode="r")["H"])
        with np.load(path, allow_pickle=False) as fit:
            return np.asarray(fit["H"])
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(f"{path.name} is not a result of fit with components H ({exc}).") from None


def _run_transform(args) -> None:
    from nnmf_core.command_line.inputs import open_matrix
    from nnmf_core.command_line.outputs import write_results
    from nnmf_core.factorize.transform import transform

    _checked_out(args.out)
    H = _components(args.factor)
    rows = _rows_per_chunk(args.input, H.shape[0], args.dtype, args.chunk_rows)
    with dask_scheduler(args.scheduler, args.workers, args.worker_memory):
        V = open_matrix(args.input, rows, args.transform)
        if V.shape[1] < V.shape[0] or V.numblocks[1] == 1:
            V = V.rechunk({0: rows, 1: -1})
        W = transform(V.astype(args.dtype), H.astype(args.dtype)).persist()
        write_results(args.out, {"W": W, "labels": W.argmax(axis=1).astype(np.int64)})
    print(f"wrote weights and labels of {W.shape[0]:,} rows to {args.out}", file=sys.stderr)


def main(argv=None) -> int:
    """Run ``python -m nnmf_core`` with ``argv`` (default: the process's
    arguments); return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        (_run_fit if args.command == "fit" else _run_transform)(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("Interrupted: nothing was written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0
