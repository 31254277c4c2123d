"""Write data/spikes_synthetic.csv, the app's sample spike file, from a fixed seed.

    python data/make_spikes.py

The waveforms come from :func:`nnmf_core.datasets.synthetic_spikes` (four
units of distinct shape, 250 spikes each, 150 samples at 30 kHz). They are
stored in microvolts as whole numbers (a trough of about −100 µV, noise about
6 µV), which keeps the file near half a megabyte; rounding to 1 µV changes no
waveform by more than 0.5 µV, far below the noise.

Layout, as in the organoid recordings the reference notebook clustered::

    uid,0,1,…,149,unit
    syn0001,-3,5,…,2,1

``uid`` names the spike, ``0`` … ``149`` are the samples, ``unit`` is the true
unit (0 … 3) — ground truth that the app reads as a label column. Running
the script again rewrites the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nnmf_core.datasets import synthetic_spikes

ROOT = Path(__file__).resolve().parents[1]

OUTPUT = ROOT / "data" / "spikes_synthetic.csv"
SEED = 0
N_UNITS = 4
N_PER_UNIT = 250
N_SAMPLES = 150
SAMPLING_RATE = 30_000
#: Microvolts per unit of synthetic_spikes (whose troughs are about −1).
MICROVOLTS = 100.0


def sample_table() -> pd.DataFrame:
    """The sample spikes as a table: uid, one column per sample (µV), unit."""
    waveforms, units = synthetic_spikes(
        n_per_unit=N_PER_UNIT,
        n_units=N_UNITS,
        n_samples=N_SAMPLES,
        sampling_rate=SAMPLING_RATE,
        random_state=SEED,
    )
    microvolts = np.rint(waveforms * MICROVOLTS).astype(np.int64)
    table = pd.DataFrame(microvolts, columns=[str(i) for i in range(N_SAMPLES)])
    table.insert(0, "uid", [f"syn{i:04d}" for i in range(1, len(table) + 1)])
    table["unit"] = units
    return table


def main() -> None:
    text = sample_table().to_csv(index=False, lineterminator="\n")
    OUTPUT.write_bytes(text.encode("utf-8"))
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
