"""Write data/spikes_realistic.csv, a small ground-truth recording simulated with SpikeInterface.

    python data/make_realistic_spikes.py

SpikeInterface's ``generate_ground_truth_recording`` simulates 30 s of a
4-channel probe (2 × 2 contacts, 20 µm apart) at 25 kHz: five units with
templates of their own shape, each at its own position 5–30 µm from the
probe, firing at 4 Hz with a 4 ms refractory period, and 10 µV of white
noise. The traces are band-passed
300–6000 Hz (``spikeinterface.preprocessing.bandpass_filter``, as spike
sorters do), and every true spike is cut from 1 ms before to 2 ms after its
time: 75 samples per channel, the 4 channels one after the other in one row.

Layout::

    # fs=25000
    # …(how it was made)
    uid,ch0_0,…,ch0_74,ch1_0,…,ch3_74,spike_time_s,unit
    sim0001,3,-1,…,2,0.01232,4

Values are in microvolts, rounded to whole numbers (the noise after the
band-pass is about 7 µV); ``spike_time_s`` is the spike's time in seconds,
``unit`` the true unit (0 … 4). Rows are in time order. Running the script
again rewrites the same bytes (with the same SpikeInterface, NumPy and SciPy).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "data" / "spikes_realistic.csv"

SEED = 0
SAMPLING_RATE = 25_000
DURATION_S = 30.0
CHANNELS = 4
UNITS = 5
FIRING_RATE_HZ = 4.0
NOISE_UV = 10.0
#: Units lie 5 … 30 µm from the probe: close enough to be seen above the noise, as a sorter's units are.
MAX_DEPTH_UM = 30.0
BAND_HZ = (300.0, 6000.0)
MS_BEFORE, MS_AFTER = 1.0, 2.0


def _samples(ms: float) -> int:
    return int(round(ms * SAMPLING_RATE / 1000))


def simulated() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Waveforms (spikes, channels · samples) in µV, spike sample indices and true units, in time order."""
    from spikeinterface.core import generate_ground_truth_recording
    from spikeinterface.preprocessing import bandpass_filter

    recording, sorting = generate_ground_truth_recording(
        durations=[DURATION_S], sampling_frequency=float(SAMPLING_RATE), num_channels=CHANNELS, num_units=UNITS,
        generate_sorting_kwargs={"firing_rates": FIRING_RATE_HZ, "refractory_period_ms": 4.0},
        noise_kwargs={"noise_levels": NOISE_UV, "strategy": "on_the_fly"},
        generate_unit_locations_kwargs={"margin_um": 10.0, "minimum_z": 5.0, "maximum_z": MAX_DEPTH_UM, "minimum_distance": 20.0},
        seed=SEED,
    )
    traces = bandpass_filter(recording, freq_min=BAND_HZ[0], freq_max=BAND_HZ[1]).get_traces(return_in_uV=False)
    spikes = sorting.to_spike_vector()  # sorted by time
    before, after = _samples(MS_BEFORE), _samples(MS_AFTER)
    frames = spikes["sample_index"].astype(np.int64)
    inside = (frames >= before) & (frames + after <= traces.shape[0])
    frames, units = frames[inside], spikes["unit_index"][inside].astype(np.int64)
    window = frames[:, None] + np.arange(-before, after)[None, :]
    # (spikes, samples, channels) -> (spikes, channels · samples): channel 0's samples, then channel 1's, …
    waveforms = traces[window].transpose(0, 2, 1).reshape(frames.size, -1)
    return waveforms, frames, units


def recording_table() -> pd.DataFrame:
    """The recording as a table: uid, channel-by-sample columns (µV), spike_time_s, unit."""
    waveforms, frames, units = simulated()
    per_channel = waveforms.shape[1] // CHANNELS
    columns = [f"ch{c}_{t}" for c in range(CHANNELS) for t in range(per_channel)]
    table = pd.DataFrame(np.rint(waveforms).astype(np.int64), columns=columns)
    table.insert(0, "uid", [f"sim{i:04d}" for i in range(1, len(table) + 1)])
    table["spike_time_s"] = [f"{frame / SAMPLING_RATE:.5f}" for frame in frames]
    table["unit"] = units
    return table


def header_lines() -> str:
    import spikeinterface

    return (
        f"# fs={SAMPLING_RATE}\n"
        f"# simulated by SpikeInterface {spikeinterface.__version__} generate_ground_truth_recording, seed {SEED}: "
        f"{UNITS} units, {CHANNELS} channels, {DURATION_S:g} s, noise {NOISE_UV:g} uV, band-passed "
        f"{BAND_HZ[0]:g}-{BAND_HZ[1]:g} Hz; each row {CHANNELS} channels x {_samples(MS_BEFORE + MS_AFTER)} samples "
        f"({MS_BEFORE:g} ms before to {MS_AFTER:g} ms after the spike) in uV\n"
    )


def main() -> None:
    text = header_lines() + recording_table().to_csv(index=False, lineterminator="\n")
    OUTPUT.write_bytes(text.encode("utf-8"))
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
