"""``python -m nnmf_core`` end to end, in a temporary folder: fit and transform
of .npy and CSV files, the help, bad input (exit 2, the app's sentence) and
Ctrl-C (nothing written)."""

import doctest
import importlib
import os
import shlex
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from paths import ROOT

pytest.importorskip("dask.array", reason="dask is not installed (pip install -r requirements-dev.txt)")
pytest.importorskip("distributed", reason="dask.distributed is not installed")

from nnmf_core import factorize, transform  # noqa: E402
from nnmf_core.command_line import EXIT_BAD_INPUT, EXIT_INTERRUPTED, fit_command, main, transform_command  # noqa: E402
from nnmf_core.spikes import read_waveforms, synthetic_spikes  # noqa: E402


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    """These tests never touch Streamlit (overrides the suite's autouse fixture)."""
    yield


def run(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "nnmf_core", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def npy(tmp_path_factory):
    rng = np.random.default_rng(0)
    V = (rng.random((6000, 4)) @ rng.random((4, 30)) + 0.05 * rng.random((6000, 30))).astype(np.float32)
    path = tmp_path_factory.mktemp("npy") / "data.npy"
    np.save(path, V)
    return path, V


@pytest.fixture(scope="module")
def spikes_csv(tmp_path_factory):
    waveforms, units = synthetic_spikes(n_per_unit=150, n_units=4, random_state=0)
    lines = ["uid," + ",".join(str(i) for i in range(waveforms.shape[1])) + ",unit"]
    lines += [f"w{i}," + ",".join(f"{x:.5g}" for x in row) + f",{u}" for i, (row, u) in enumerate(zip(waveforms, units))]
    path = tmp_path_factory.mktemp("csv") / "spikes.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, lines


def help_text(*command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*command, "--help"])
    assert stop.value.code == 0
    return capsys.readouterr().out


def test_help_documents_every_option(capsys):
    assert "{fit,transform}" in help_text(capsys=capsys)
    shown = run("fit", "--help")  # and the module runs as a program
    assert shown.returncode == 0
    fit_help = shown.stdout
    for option in ("--rank", "--solver", "--max-iter", "--tol", "--seed", "--scheduler", "--chunk-rows", "--out",
                   "--transform", "--workers", "--worker-memory", "--dtype", "--init", "exit status 2", "Ctrl-C"):
        assert option in fit_help, option
    assert "--factor" in help_text("transform", capsys=capsys)


def test_fit_of_a_npy_file_writes_the_fit(npy, tmp_path):
    path, V = npy
    out = tmp_path / "fit.npz"
    done = run("fit", path, "--rank", 4, "--max-iter", 40, "--seed", 0, "--scheduler", "threads", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "iteration 1/40" in done.stderr and "s/iteration" in done.stderr
    with np.load(out) as fit:
        assert sorted(fit.files) == ["H", "W", "loss_history", "n_iter", "relative_error"]
        assert fit["W"].shape == (6000, 4) and fit["H"].shape == (4, 30) and fit["W"].dtype == np.float32
        reference = factorize(V, 4, max_iter=40, random_state=0)
        assert int(fit["n_iter"]) == reference.n_iter
        assert float(fit["relative_error"]) == pytest.approx(reference.relative_error, rel=1e-3)
        np.testing.assert_allclose(fit["W"] @ fit["H"], reference.W @ reference.H, rtol=0.05, atol=0.02)
    assert list(tmp_path.iterdir()) == [out]


def test_a_fit_on_a_local_cluster_and_its_transform(npy, tmp_path):
    path, V = npy
    out, labels = tmp_path / "fit.zarr", tmp_path / "labels.npz"
    done = run("fit", path, "--rank", 4, "--max-iter", 5, "--scheduler", "local", "--workers", 2,
               "--worker-memory", "700MB", "--chunk-rows", 2000, "--out", out, timeout=180)
    assert done.returncode == 0, done.stderr
    import zarr

    fit = zarr.open_group(str(out), mode="r")
    assert fit["W"].shape == (6000, 4) and fit["H"].shape == (4, 30) and fit["loss_history"].shape == (5,)
    done = run("transform", path, "--factor", out, "--scheduler", "threads", "--out", labels)
    assert done.returncode == 0, done.stderr
    with np.load(labels) as result:
        W = transform(V, np.asarray(fit["H"]))
        np.testing.assert_allclose(result["W"], W, rtol=1e-4, atol=1e-5)
        np.testing.assert_array_equal(result["labels"], W.argmax(axis=1))


def test_fit_of_a_spike_csv_with_the_app_transform(spikes_csv, tmp_path, monkeypatch):
    path, _ = spikes_csv
    inputs = importlib.import_module("nnmf_core.command_line.inputs")
    monkeypatch.setattr(inputs, "CSV_LINES_PER_BLOCK", 97)  # several blocks, read one at a time
    out = tmp_path / "fit.npz"
    assert main(["fit", str(path), "--rank", "4", "--transform", "split", "--scheduler", "threads",
                 "--max-iter", "30", "--seed", "0", "--dtype", "float64", "--out", str(out)]) == 0
    table = read_waveforms(path.read_bytes())
    X = table.waveforms
    V = np.hstack([np.maximum(X, 0), np.maximum(-X, 0)])
    reference = factorize(V, 4, max_iter=30, random_state=0, dtype=np.float64)
    with np.load(out) as fit:
        assert fit["W"].shape == (600, 4) and fit["H"].shape == (4, 300)
        np.testing.assert_allclose(fit["loss_history"], reference.loss_history, rtol=1e-5)


def test_a_bad_csv_cell_gets_the_app_sentence_with_the_files_row(spikes_csv, tmp_path, monkeypatch, capsys):
    _, lines = spikes_csv
    broken = list(lines)
    cells = broken[450].split(",")
    cells[17] = "abc"
    broken[450] = ",".join(cells)
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(broken) + "\n")
    inputs = importlib.import_module("nnmf_core.command_line.inputs")
    monkeypatch.setattr(inputs, "CSV_LINES_PER_BLOCK", 100)
    code = main(["fit", str(path), "--rank", "3", "--transform", "split", "--scheduler", "threads", "--out",
                 str(tmp_path / "fit.npz")])
    assert code == EXIT_BAD_INPUT
    with pytest.raises(Exception) as page:
        read_waveforms(path.read_bytes())
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"error: {page.value}"
    assert "row 451" in str(page.value)
    assert not (tmp_path / "fit.npz").exists()


@pytest.mark.parametrize("making, words, out", [
    (lambda p: np.save(p, -np.ones((50, 4))), "V has 200 negative entries", "fit.npz"),
    (lambda p: p.write_text("not, a, matrix\n"), "must be a .npy file", "fit.npz"),
    (lambda p: np.save(p, np.ones((50, 4))), "does not exist", "missing/fit.npz"),
])
def test_bad_input_exits_with_status_2_and_one_sentence(tmp_path, making, words, out):
    path = tmp_path / ("bad.xlsx" if "npy file" in words else "bad.npy")
    making(path)
    done = run("fit", path, "--rank", 2, "--scheduler", "threads", "--out", tmp_path / out)
    assert done.returncode == EXIT_BAD_INPUT
    assert words in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()[-1]) > 20


def test_ctrl_c_stops_cleanly_and_writes_nothing(npy, tmp_path):
    path, _ = npy
    out = tmp_path / "fit.npz"
    process = subprocess.Popen([sys.executable, "-m", "nnmf_core", "fit", str(path), "--rank", "4", "--tol", "0",
                                "--max-iter", "100000", "--scheduler", "threads", "--out", str(out)],
                               cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        for line in process.stderr:
            if line.startswith("iteration 3/") or time.monotonic() > deadline:
                break
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == EXIT_INTERRUPTED, rest
    assert "nothing was written" in rest
    assert os.listdir(tmp_path) == []


def test_the_command_lines_written_for_a_page_run(npy, tmp_path):
    path, _ = npy
    out = tmp_path / "fit.npz"
    line = fit_command(str(path), 3, max_iter=5, seed=1, scheduler="threads", out=str(out))
    assert line.startswith("python -m nnmf_core fit ")
    assert main(shlex.split(line)[3:]) == 0 and out.exists()
    line = transform_command(str(path), str(out), scheduler="threads", out=str(tmp_path / "labels.npz"))
    assert main(shlex.split(line)[3:]) == 0
    with np.load(tmp_path / "labels.npz") as labels:
        assert labels["labels"].shape == (6000,)


def test_the_examples_in_the_docstrings_run():
    for name in ("nnmf_core.command_line", "nnmf_core.command_line.commands", "nnmf_core.estimator"):
        failures, _ = doctest.testmod(importlib.import_module(name))
        assert failures == 0, name
