"""Spike clustering on SpikeInterface ground-truth recordings: ARI of every method, stability, rank suggestion.

The recordings come from :mod:`realistic_recordings` (biophysical templates,
probe geometry, 300–6000 Hz band-pass, 25 kHz, 1 ms before to 2 ms after each
spike; 1 and 4 channels; 3, 5 and 8 units; noise 5/10/20 µV; units that differ
in shape, in amplitude only, or in spatial pattern only). Each method gets the
true number of units k and is scored by its adjusted Rand index against the
truth:

- ``default``: ``cluster_waveforms(X, k, random_state=0, channels=C)`` (4-channel
  rows first aligned to the mean spike to a tenth of a sample; split + HALS at
  rank k, 2 restarts, tied Gaussian mixture on shape and log-amplitude, then
  nearest mean waveform where that is the likelier partition; both steps
  trimmed: the 5 % of waveforms farthest from every mean left out of the means;
  last, a unit cut in two joined again where another cluster holds two units);
- ``mixture``: the same without the nearest-mean rounds and without trimming
  (``polar_gmm``: the default of 2026-11-30 before its rounds);
- ``old default``: ``cluster_waveforms(X, k, random_state=0, assignment="kmeans")``
  (k-means on the unit-length columns of H: shape only);
- ``article``: ``cluster_waveforms(X, k, random_state=0, **ARTICLE_RECIPE)``;
- ``pca``: ``pca_kmeans(X, k, n_components=3, random_state=0)``;
- ``oracle``: every waveform to the nearest true mean waveform (a ceiling for
  any nearest-template rule, not for every method).

Stability is the mean pairwise ARI of a method over ``random_state`` 0–4. The
rank criteria pick k in 1–10 (the page's rule, ``rank_suggestion`` of a
``rank_scan``, in 2–10) and are scored right / within ±1 of the true k; "?"
marks a suggestion the criterion itself calls unsure, and the page's unsure
suggestions list in brackets the other ranks they name.

Run from the repository root::

    python -m bench.bench_spikes_realistic                 # the tuning seeds
    python -m bench.bench_spikes_realistic --seed-offset 1 # unseen seeds
    python -m bench.bench_spikes_realistic --quick         # ARI only, no stability or rank
"""

from __future__ import annotations

import argparse
import itertools
import time
import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from bench.realistic_recordings import realistic_recordings
from nnmf_core import factorize
from nnmf_core.spikes import (
    ARTICLE_RECIPE,
    SCAN_RANKS,
    ari,
    cluster_waveforms,
    nonnegative,
    pca_kmeans,
    rank_scan,
    rank_suggestion,
    synthetic_spikes,
    unit_norm_columns,
)

#: BLAS / OpenMP threads for every fit (the app's setting for one session).
THREADS = 1
SEEDS_FOR_STABILITY = range(5)
RANKS = range(1, 11)
#: NMF rank of the one fit whose features every rank criterion scores.
RANK_SCAN_NMF_RANK = 10
#: ΔBIC below this between the best and the runner-up k: "unsure" (Kass & Raftery: > 10 is very strong evidence).
BIC_UNSURE = 10.0


# --------------------------------------------------------------------------
# candidate methods
# --------------------------------------------------------------------------


def nmf_weights(X: np.ndarray, rank: int, random_state: int = 0, transform: str = "split",
                n_restarts: int = 2, max_iter: int = 500, tol: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """H of an NMF of the transformed waveforms, rows = waveforms, with W's columns at unit length.

    Returns ``(H.T, W)``: H.T of shape (n_waveforms, rank) in the units of the
    data (µV · √samples) since W's columns have norm 1; W of shape (rows of V, rank).
    """
    V = nonnegative(X, transform).V
    fit = factorize(V, rank, init="nndsvda", n_restarts=n_restarts, random_state=random_state,
                    max_iter=max_iter, tol=tol)
    W, H = unit_norm_columns(fit.W, fit.H)
    return np.asarray(H, dtype=np.float64).T, np.asarray(W, dtype=np.float64)


def polar_features(weights: np.ndarray, W: np.ndarray, amplitude_weight: float) -> np.ndarray:
    """Shape and amplitude of every waveform, as NMF sees it, in one relative scale.

    ``[h / ‖h‖, λ · ln ‖W h‖]``: the direction of the weights (which templates,
    in what mix: the unit's shape and spatial pattern) and the log of the
    size of the reconstructed waveform (its amplitude). A 10 % amplitude
    change moves ln ‖W h‖ by 0.1, and so does a change of mix of about 0.1
    radian: both are relative errors, weighted by λ = ``amplitude_weight``.
    The log makes a unit's spread from spike to spike (multiplicative) the
    same at every amplitude.
    """
    lengths = np.linalg.norm(weights, axis=1, keepdims=True)
    direction = weights / np.where(lengths > 0, lengths, 1.0)
    size = np.linalg.norm(weights @ W.T, axis=1, keepdims=True)
    floor = max(float(size[size > 0].min(initial=1.0)), 1e-12)
    return np.hstack([direction, amplitude_weight * np.log(np.maximum(size, floor))])


def _kmeans(points: np.ndarray, k: int, random_state: int) -> KMeans:
    return KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(points)


def _tied_gmm(points: np.ndarray, k: int, random_state: int, centers: np.ndarray | None = None) -> GaussianMixture:
    """Gaussian mixture with one shared full covariance, started from k-means centres."""
    if centers is None:
        centers = _kmeans(points, k, random_state).cluster_centers_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a non-converged EM is still scored as it stands
        model = GaussianMixture(k, covariance_type="tied", means_init=centers, random_state=random_state,
                                reg_covar=1e-2 * float(points.var(axis=0).mean()), max_iter=200)
        return model.fit(points)


def polar_gmm(X: np.ndarray, k: int, random_state: int = 0) -> np.ndarray:
    """split → HALS at rank k (2 restarts) → polar features (λ = 3) → tied GMM from k-means (10 starts).

    The default without its nearest-mean rounds, written out independently of the library.
    """
    weights, W = nmf_weights(X, k, random_state)
    points = polar_features(weights, W, 3.0)
    return _tied_gmm(points, k, random_state).predict(points)


def nearest_true_mean(X: np.ndarray, truth: np.ndarray) -> np.ndarray:
    means = np.array([X[truth == unit].mean(axis=0) for unit in range(int(truth.max()) + 1)])
    distances = (X**2).sum(axis=1)[:, None] - 2 * X @ means.T + (means**2).sum(axis=1)[None, :]
    return np.argmin(distances, axis=1)


#: method -> run(X, k, seed, channels) -> labels; the NMF methods are told the channels, as the page tells them.
METHODS = {
    "default": lambda X, k, seed, channels: cluster_waveforms(X, k, random_state=seed, channels=channels).labels,
    "mixture": lambda X, k, seed, channels: polar_gmm(X, k, seed),
    "old default": lambda X, k, seed, channels: cluster_waveforms(X, k, random_state=seed, assignment="kmeans",
                                                                  channels=channels, align=False).labels,
    "article": lambda X, k, seed, channels: cluster_waveforms(X, k, random_state=seed, channels=channels,
                                                              **ARTICLE_RECIPE).labels,
    "pca": lambda X, k, seed, channels: pca_kmeans(X, k, n_components=3, random_state=seed).labels,
}
#: Methods whose stability over SEEDS_FOR_STABILITY is measured.
STABILITY_OF = ("default", "mixture", "old default", "pca")


# --------------------------------------------------------------------------
# rank criteria
# --------------------------------------------------------------------------


def rank_evidence(X: np.ndarray, random_state: int = 0) -> dict:
    """k in RANKS by three criteria on one NMF (split, rank 10) of the waveforms.

    Returns a dict criterion → (k, unsure): BIC of the tied GMM on the polar
    features (unsure when the runner-up is within :data:`BIC_UNSURE`), BIC of
    a full-covariance GMM on the weights, and the k-means silhouette on the
    polar features (k ≥ 2; unsure when the runner-up is within 0.02).
    """
    weights, W = nmf_weights(X, RANK_SCAN_NMF_RANK, random_state)
    polar = polar_features(weights, W, 3.0)
    rng = np.random.default_rng(random_state)
    sample = rng.choice(X.shape[0], min(X.shape[0], 2000), replace=False)
    bic_tied, bic_full, silhouettes = {}, {}, {}
    for k in RANKS:
        km = _kmeans(polar, k, random_state)
        bic_tied[k] = _tied_gmm(polar, k, random_state, km.cluster_centers_).bic(polar)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            full = GaussianMixture(k, covariance_type="full", random_state=random_state, n_init=2,
                                   reg_covar=1e-2 * float(weights.var(axis=0).mean())).fit(weights)
        bic_full[k] = full.bic(weights)
        if k >= 2:
            silhouettes[k] = silhouette_score(polar[sample], km.labels_[sample])
    return {
        "bic-tied": _best(bic_tied, lower=True, margin=BIC_UNSURE),
        "bic-full": _best(bic_full, lower=True, margin=BIC_UNSURE),
        "silhouette": _best(silhouettes, lower=False, margin=0.02),
    }


def _best(scores: dict, lower: bool, margin: float) -> tuple[int, bool]:
    ordered = sorted(scores, key=lambda k: scores[k] if lower else -scores[k])
    unsure = len(ordered) > 1 and abs(scores[ordered[0]] - scores[ordered[1]]) < margin
    return ordered[0], unsure


def page_rank(X: np.ndarray, channels: int = 1) -> tuple[int, bool, tuple]:
    """The page's suggestion: ``rank_suggestion`` of ``rank_scan`` (the page's k = 2–10, 200 iterations), unsure
    or not, and the other ranks it names."""
    suggestion = rank_suggestion(rank_scan(X, SCAN_RANKS, max_iter=200, random_state=0, channels=channels))
    return suggestion.k, suggestion.unsure, suggestion.alternatives


# --------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------


def _shown_rank(evidence: tuple) -> str:
    """"k", "k?" when unsure, "k? (a, b)" when it names other ranks."""
    k, unsure, *named = evidence
    others = f" ({', '.join(map(str, named[0]))})" if named and named[0] else ""
    return f"{k}{'?' if unsure else ''}{others}"


def mean_pairwise_ari(label_sets: list) -> float:
    return float(np.mean([ari(a, b) for a, b in itertools.combinations(label_sets, 2)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-offset", type=int, default=0, help="0: the tuning set; other values: unseen seeds")
    parser.add_argument("--quick", action="store_true", help="ARI only: skip stability and the rank criteria")
    args = parser.parse_args()
    threadpool_limits(limits=THREADS)
    started = time.perf_counter()
    recordings = realistic_recordings(args.seed_offset)
    generated = time.perf_counter() - started
    print(f"spike clustering on SpikeInterface ground truth — {time.strftime('%Y-%m-%d')}, {THREADS} BLAS thread(s), "
          f"seed offset {args.seed_offset}, {len(recordings)} recordings (loaded/generated in {generated:.1f} s)\n")

    cases = [(r.name, r.waveforms, r.labels, f"{r.snr.min():.0f}–{r.snr.max():.0f}") for r in recordings]
    synthetic, synthetic_truth = synthetic_spikes()
    cases.append(("synthetic_spikes() (ours)", synthetic, synthetic_truth, ""))
    channels_of = {r.name: r.channels for r in recordings} | {cases[-1][0]: 1}

    names = [*METHODS, "oracle"]
    scores, stabilities, ranks, seconds = {}, {}, {}, dict.fromkeys(METHODS, 0.0)
    for name, X, truth, _ in cases:
        k = int(truth.max()) + 1
        for method, run in METHODS.items():
            tic = time.perf_counter()
            scores[name, method] = ari(run(X, k, 0, channels_of[name]), truth)
            seconds[method] += time.perf_counter() - tic
        scores[name, "oracle"] = ari(nearest_true_mean(X, truth), truth)
        if not args.quick:
            for method in STABILITY_OF:
                stabilities[name, method] = mean_pairwise_ari([METHODS[method](X, k, seed, channels_of[name])
                                                               for seed in SEEDS_FOR_STABILITY])
            ranks[name] = {"page": page_rank(X, channels_of[name]), **rank_evidence(X)}

    print("| recording | SNR | " + " | ".join(names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    for name, _, _, snr in cases:
        print(f"| {name} | {snr} | " + " | ".join(f"{scores[name, m]:.3f}" for m in names) + " |")
    realistic = [name for name, *_ in cases[:-1]]
    means = {m: np.mean([scores[n, m] for n in realistic]) for m in names}
    print("| **mean, SpikeInterface** | | " + " | ".join(f"**{means[m]:.3f}**" for m in names) + " |")
    print("| worst − pca | | " + " | ".join(f"{min(scores[n, m] - scores[n, 'pca'] for n in realistic):+.3f}"
                                           for m in names) + " |")
    print("| seconds, all recordings | | " + " | ".join(f"{seconds[m]:.1f}" if m in seconds else "" for m in names) + " |")
    print("\nTargets: mean ≥ pca mean + 0.05; no recording below pca − 0.05; stability ≥ 0.95; synthetic ≥ 0.95.")

    if args.quick:
        return
    print("\n| stability (mean pairwise ARI, random_state 0–4) | " + " | ".join(STABILITY_OF) + " |")
    print("|---|" + "---:|" * len(STABILITY_OF))
    for name, *_ in cases:
        print(f"| {name} | " + " | ".join(f"{stabilities[name, m]:.3f}" for m in STABILITY_OF) + " |")
    print("| **mean, SpikeInterface** | " + " | ".join(
        f"**{np.mean([stabilities[n, m] for n in realistic]):.3f}**" for m in STABILITY_OF) + " |")

    criteria = list(ranks[cases[0][0]])
    print("\n| rank suggested (? = unsure; the ranks it names as well) | true k | " + " | ".join(criteria) + " |")
    print("|---|---:|" + "---:|" * len(criteria))
    for name, _, truth, _ in cases:
        print(f"| {name} | {int(truth.max()) + 1} | " + " | ".join(_shown_rank(ranks[name][c]) for c in criteria) + " |")
    for label, names_scored in (("SpikeInterface", realistic), ("all", [name for name, *_ in cases])):
        truths = {name: int(truth.max()) + 1 for name, _, truth, _ in cases}
        right = [sum(ranks[n][c][0] == truths[n] for n in names_scored) for c in criteria]
        near = [sum(abs(ranks[n][c][0] - truths[n]) <= 1 for n in names_scored) for c in criteria]
        print(f"| right / within ±1, {label} | | " + " | ".join(
            f"{r}/{len(names_scored)} · {w}/{len(names_scored)}" for r, w in zip(right, near)) + " |")
        confident_wrong = [sum(not ranks[n][c][1] and ranks[n][c][0] != truths[n] for n in names_scored)
                           for c in criteria]
        print(f"| wrong without '?', {label} | | " + " | ".join(f"{c}/{len(names_scored)}" for c in confident_wrong)
              + " |")
        named = sum(truths[n] == ranks[n]["page"][0] or truths[n] in ranks[n]["page"][2] for n in names_scored)
        print(f"| true k suggested or named, {label} | | {named}/{len(names_scored)} |" + " |" * (len(criteria) - 1))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
