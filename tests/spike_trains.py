"""Spike trains for the physiology tests: seeded Poisson trains, and the same
trains as SpikeInterface holds them (a sorting with its analyzer), to compare with."""

import numpy as np


def poisson_train(rng, rate_hz: float, duration_s: float, refractory_s: float = 0.0) -> np.ndarray:
    """Sorted spike times of a Poisson process with a dead time after each spike."""
    gaps = rng.exponential(1 / rate_hz, size=int(rate_hz * duration_s * 1.5) + 10) + refractory_s
    times = np.cumsum(gaps)
    return times[times < duration_s]


def on_samples(trains, fs: float) -> list[np.ndarray]:
    """Every train as sorted, distinct sample indices at ``fs``."""
    return [np.unique(np.rint(t * fs).astype(np.int64)) for t in trains]


def spikeinterface_analyzer(si_core, samples: list[np.ndarray], fs: float, duration_s: float):
    """A SpikeInterface sorting analyzer of one unit per train of ``samples`` (over a noise recording of one
    channel, which the spike-train metrics and correlograms do not read)."""
    all_samples = np.concatenate(samples)
    labels = np.repeat(np.arange(len(samples)), [s.size for s in samples])
    order = np.argsort(all_samples, kind="stable")
    sorting = si_core.NumpySorting.from_samples_and_labels([all_samples[order]], [labels[order]], fs)
    recording = si_core.generate_recording(num_channels=1, sampling_frequency=fs, durations=[duration_s], seed=0)
    return si_core.create_sorting_analyzer(sorting, recording, sparse=False, format="memory")
