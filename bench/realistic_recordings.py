"""Ground-truth spike recordings from SpikeInterface's generator, cut into waveform tables.

Every recording is simulated with SpikeInterface: biophysically shaped
templates (``generate_templates``: depolarisation, repolarisation, recovery,
smoothing, spatial decay and propagation delay over a probe), spike trains
with a refractory period (``generate_sorting``), white noise
(``NoiseGeneratorRecording``), the templates injected at every spike with a
sub-sample jitter and a per-spike amplitude factor
(``InjectTemplatesRecording``), then band-passed 300–6000 Hz
(``spikeinterface.preprocessing.bandpass_filter``). Each true spike is cut
1 ms before to 2 ms after its time at 25 kHz (75 samples per channel); for
4-channel recordings the channels are concatenated in one row (channel 0's
75 samples, then channel 1's, …).

What makes the units differ is chosen per recording (``kind``):

- ``"shape"``: every unit has its own template shape (parameters drawn from
  the generator's ranges), its own position and its own amplitude;
- ``"amplitude"``: one template (shape and, on 4 channels, spatial pattern)
  shared by all units, scaled to amplitudes spread over 40–300 µV — a unit
  farther from the probe looks the same, only smaller;
- ``"spatial"`` (4 channels only): one shape and one peak amplitude, units at
  different positions, so only the per-channel amplitudes tell them apart.

Recordings are deterministic from their seed and cached as ``.npz`` under
``bench/results/realistic/`` (git-ignored). ``seed_offset`` moves every seed
by 1000 × offset: the same designs drawn afresh, to check a method on seeds
it was not tuned on.

Run ``python bench/realistic_recordings.py [--seed-offset N]`` to generate
(or load) the set and print a summary.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Where the cached recordings live (git-ignored with ``bench/results/``).
CACHE_DIR = Path(__file__).resolve().parent / "results" / "realistic"
#: Bumped whenever the simulation changes, so stale caches are not reused.
GENERATOR_VERSION = 1

SAMPLING_RATE = 25_000.0
MS_BEFORE, MS_AFTER = 1.0, 2.0
#: Templates are simulated longer than the cut-out window so that their tails
#: are injected too; the trough sits at TEMPLATE_MS_BEFORE.
TEMPLATE_MS_BEFORE, TEMPLATE_MS_AFTER = 1.6, 3.6
BAND_HZ = (300.0, 6000.0)
DURATION_S = 60.0
#: Sub-sample positions of the injected templates (a spike's true time is
#: known to 1/UPSAMPLE_FACTOR of a sample; the cut-out aligns on whole samples).
UPSAMPLE_FACTOR = 4
#: Per-spike amplitude variability: log-normal with this standard deviation.
AMPLITUDE_JITTER = 0.08
#: Firing rates, Hz, drawn per unit (60 s at 2–6 Hz: 120–360 spikes per unit).
FIRING_RATES_HZ = (2.0, 6.0)
#: Peak (trough depth) of a unit on its best channel, µV, log-uniform.
PEAK_UV = (50.0, 250.0)
#: Amplitudes of the "amplitude" units: geometric steps over this range, µV.
AMPLITUDE_LADDER_UV = (40.0, 300.0)
#: Contact positions of the 4-channel probe (a 2 × 2 grid, 20 µm pitch, µm).
TETRODE_UM = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0], [20.0, 20.0]])

#: The designs: (channels, units, noise µV, kind). The noise is the standard
#: deviation of the white noise before the band-pass (about 0.69× after it).
DESIGNS = (
    (1, 3, 5.0, "shape"),
    (1, 5, 10.0, "shape"),
    (1, 8, 20.0, "shape"),
    (1, 3, 10.0, "amplitude"),
    (1, 5, 20.0, "amplitude"),
    (1, 8, 5.0, "amplitude"),
    (4, 3, 20.0, "shape"),
    (4, 5, 5.0, "shape"),
    (4, 8, 10.0, "shape"),
    (4, 3, 5.0, "amplitude"),
    (4, 5, 10.0, "amplitude"),
    (4, 3, 10.0, "spatial"),
    (4, 5, 20.0, "spatial"),
    (4, 8, 5.0, "spatial"),
)


@dataclass(frozen=True, eq=False)
class Recording:
    """One ground-truth recording as a waveform table.

    Attributes
    ----------
    name : str
        E.g. ``"c4_u5_n10_shape_s7"``: channels, units, noise (µV), kind, seed.
    waveforms : ndarray of float32, shape (n_spikes, 75 · channels)
        Band-passed voltage in µV, channels concatenated.
    labels : ndarray of int64, shape (n_spikes,)
        True unit of every spike, 0 … n_units − 1.
    channels : int
        1 or 4.
    sampling_rate : float
        Samples per second (25 kHz).
    spike_times : ndarray of float64, shape (n_spikes,)
        Seconds from the start of the recording.
    kind : str
        ``"shape"``, ``"amplitude"`` or ``"spatial"``.
    noise_uv : float
        White-noise level before the band-pass, µV.
    peaks_uv : ndarray of float64, shape (n_units,)
        Every unit's trough depth on its best channel, µV (before filtering).
    seed : int
    """

    name: str
    waveforms: np.ndarray
    labels: np.ndarray
    channels: int
    sampling_rate: float
    spike_times: np.ndarray
    kind: str
    noise_uv: float
    peaks_uv: np.ndarray
    seed: int

    @property
    def n_units(self) -> int:
        return int(self.labels.max()) + 1

    @property
    def snr(self) -> np.ndarray:
        """Every unit's peak over the band-passed noise's standard deviation."""
        return self.peaks_uv / (self.noise_uv * _BAND_NOISE_FRACTION)


#: Fraction of white noise's standard deviation left after the band-pass.
_BAND_NOISE_FRACTION = float(np.sqrt((BAND_HZ[1] - BAND_HZ[0]) / (SAMPLING_RATE / 2)))


def _samples(ms: float) -> int:
    return int(round(ms * SAMPLING_RATE / 1000.0))


def _unit_positions(rng: np.random.Generator, n_units: int, channels: int) -> np.ndarray:
    """Positions (x, y, z) in µm: over the probe for 4 channels, above the contact for 1."""
    if channels == 1:
        xy = rng.uniform(-10.0, 10.0, size=(n_units, 2))
    else:
        # spread over and around the 2 × 2 grid, at least 12 µm apart in x–y
        xy = np.empty((n_units, 2))
        for u in range(n_units):
            for _ in range(1000):
                candidate = rng.uniform(-15.0, 35.0, size=2)
                if u == 0 or np.min(np.linalg.norm(xy[:u] - candidate, axis=1)) >= 12.0:
                    break
            xy[u] = candidate
    z = rng.uniform(10.0, 35.0, size=(n_units, 1))
    return np.hstack([xy, z])


def _shape_params(rng: np.random.Generator, n_units: int, shared: bool) -> dict:
    """Template parameters in the generator's own ranges; one draw for all units if ``shared``."""
    from spikeinterface.core.generate import default_unit_params_range

    params = {}
    for key in ("depolarization_ms", "repolarization_ms", "recovery_ms", "positive_amplitude", "smooth_ms",
                "spatial_decay", "propagation_speed", "ellipse_shrink", "ellipse_angle"):
        low, high = default_unit_params_range[key]
        values = rng.uniform(low, high, size=1 if shared else n_units)
        params[key] = np.resize(values, n_units)
    params["alpha"] = np.ones(n_units)  # the amplitude is set afterwards, in µV
    return params


def _templates(rng: np.random.Generator, n_units: int, channels: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Templates (units, samples, channels, UPSAMPLE_FACTOR) in µV and every unit's best-channel peak."""
    from spikeinterface.core.generate import generate_templates

    contacts = TETRODE_UM if channels == 4 else np.zeros((1, 2))
    positions = _unit_positions(rng, n_units, channels)
    if kind == "amplitude":
        positions[:] = positions[0]
    params = _shape_params(rng, n_units, shared=kind != "shape")
    templates = generate_templates(
        contacts, positions, SAMPLING_RATE, TEMPLATE_MS_BEFORE, TEMPLATE_MS_AFTER,
        seed=int(rng.integers(2**31)), dtype="float64", upsample_factor=UPSAMPLE_FACTOR, unit_params=params,
    )
    if kind == "amplitude":
        peaks = np.geomspace(*AMPLITUDE_LADDER_UV, n_units)
    elif kind == "spatial":
        peaks = np.full(n_units, np.exp(rng.uniform(*np.log(PEAK_UV))))
    else:
        peaks = np.exp(rng.uniform(*np.log(PEAK_UV), size=n_units))
    depth = np.abs(templates[..., 0]).max(axis=(1, 2))
    templates *= (peaks / depth)[:, None, None, None]
    return templates, peaks


def _simulated(design: tuple, seed: int) -> Recording:
    from spikeinterface.core.generate import InjectTemplatesRecording, generate_sorting
    from spikeinterface.generation import NoiseGeneratorRecording
    from spikeinterface.preprocessing import bandpass_filter

    channels, n_units, noise_uv, kind = design
    rng = np.random.default_rng(seed)
    templates, peaks = _templates(rng, n_units, channels, kind)
    sorting = generate_sorting(
        num_units=n_units, sampling_frequency=SAMPLING_RATE, durations=[DURATION_S],
        firing_rates=rng.uniform(*FIRING_RATES_HZ, size=n_units), refractory_period_ms=4.0,
        seed=int(rng.integers(2**31)),
    )
    spikes = sorting.to_spike_vector()
    noise = NoiseGeneratorRecording(
        num_channels=channels, sampling_frequency=SAMPLING_RATE, durations=[DURATION_S], noise_levels=noise_uv,
        dtype="float32", seed=int(rng.integers(2**31)), strategy="on_the_fly",
    )
    injected = InjectTemplatesRecording(
        sorting, templates.astype(np.float32), nbefore=_samples(TEMPLATE_MS_BEFORE),
        amplitude_factor=np.exp(rng.normal(0.0, AMPLITUDE_JITTER, size=spikes.size)).astype(np.float32),
        parent_recording=noise, upsample_vector=rng.integers(0, UPSAMPLE_FACTOR, size=spikes.size),
    )
    traces = bandpass_filter(injected, freq_min=BAND_HZ[0], freq_max=BAND_HZ[1]).get_traces(return_in_uV=False)

    waveforms, frames, units = cut_out(traces, spikes, _samples(MS_BEFORE), _samples(MS_AFTER))
    waveforms = waveforms.astype(np.float32)
    name = f"c{channels}_u{n_units}_n{noise_uv:g}_{kind}_s{seed}"
    return Recording(name, waveforms, units, channels, SAMPLING_RATE, frames / SAMPLING_RATE, kind, noise_uv,
                     peaks, seed)


def cut_out(traces: np.ndarray, spikes: np.ndarray, before: int, after: int) -> tuple:
    """Every spike of a SpikeInterface spike vector whose window fits in
    ``traces`` (samples × channels), cut ``before`` samples before to ``after``
    after its sample, as one row per spike (channel 0's samples, then channel
    1's, …); with the kept spikes' samples and units."""
    frames = spikes["sample_index"].astype(np.int64)
    inside = (frames >= before) & (frames + after <= traces.shape[0])
    frames, units = frames[inside], spikes["unit_index"][inside].astype(np.int64)
    window = frames[:, None] + np.arange(-before, after)[None, :]
    # (spikes, samples, channels) -> (spikes, channels · samples), channel by channel
    return traces[window].transpose(0, 2, 1).reshape(frames.size, -1), frames, units


def design_seed(index: int, seed_offset: int = 0) -> int:
    """Seed of design ``index``: 1000 · seed_offset + index + 1."""
    return 1000 * int(seed_offset) + int(index) + 1


def realistic_recordings(seed_offset: int = 0, cache_dir: Path | None = CACHE_DIR, verbose: bool = False) -> list:
    """The benchmark's recordings, generated once and cached as ``.npz``.

    Parameters
    ----------
    seed_offset : int
        0 for the tuning set; any other value draws every design afresh.
    cache_dir : Path or None
        Cache folder; None generates without caching.
    verbose : bool
        Print one line per recording (time, cached or not).

    Returns
    -------
    list of Recording, in the order of :data:`DESIGNS`.
    """
    recordings = []
    for index, design in enumerate(DESIGNS):
        seed = design_seed(index, seed_offset)
        channels, n_units, noise_uv, kind = design
        path = None
        if cache_dir is not None:
            path = Path(cache_dir) / f"v{GENERATOR_VERSION}_c{channels}_u{n_units}_n{noise_uv:g}_{kind}_s{seed}.npz"
        started = time.perf_counter()
        if path is not None and path.exists():
            with np.load(path) as stored:
                recording = Recording(
                    str(stored["name"]), stored["waveforms"], stored["labels"], int(stored["channels"]),
                    float(stored["sampling_rate"]), stored["spike_times"], str(stored["kind"]),
                    float(stored["noise_uv"]), stored["peaks_uv"], int(stored["seed"]),
                )
            source = "cached"
        else:
            recording = _simulated(design, seed)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.savez(
                    path, name=recording.name, waveforms=recording.waveforms, labels=recording.labels,
                    channels=recording.channels, sampling_rate=recording.sampling_rate,
                    spike_times=recording.spike_times, kind=recording.kind, noise_uv=recording.noise_uv,
                    peaks_uv=recording.peaks_uv, seed=recording.seed,
                )
            source = "generated"
        if verbose:
            print(f"{recording.name}: {recording.waveforms.shape[0]} spikes × {recording.waveforms.shape[1]} samples, "
                  f"SNR {recording.snr.min():.1f}–{recording.snr.max():.1f}, {source} in "
                  f"{time.perf_counter() - started:.2f} s")
        recordings.append(recording)
    return recordings


def realistic_recordings_of_draws(draws: int) -> list:
    """The recordings of seed offsets 0 … ``draws`` − 1, in that order (each draw made or loaded once)."""
    return [recording for draw in range(draws) for recording in realistic_recordings(draw)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-offset", type=int, default=0, help="0: the tuning set; other values: unseen seeds")
    args = parser.parse_args()
    started = time.perf_counter()
    recordings = realistic_recordings(args.seed_offset, verbose=True)
    size = sum(path.stat().st_size for path in CACHE_DIR.glob(f"v{GENERATOR_VERSION}_*.npz"))
    print(f"{len(recordings)} recordings in {time.perf_counter() - started:.1f} s; "
          f"cache {CACHE_DIR} holds {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
