"""The rank a :func:`~nnmf_core.spikes.rank.rank_scan` suggests, the ranks
its evidence does not rule out, and a sentence that says both: the ks whose
clusters cut a unit by the timing of its spikes are set aside, prediction
strength's fall decides among the others, the separation d′ agrees or
points elsewhere.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from nnmf_core._text import counted
from nnmf_core.errors import InputError
from nnmf_core.spikes.metrics import CUT_UNIT_SEPARATION

#: :func:`suggested_rank` prefers the largest k whose closest clusters are
#: at least this far apart (d′, see :func:`separation`).
SEPARATION_THRESHOLD = 4.0
#: The prediction strength at which Tibshirani & Walther (2005) call a k's
#: clusters real: in every cluster of one half, at least this share of its
#: pairs is kept together by the other half's clusters.
PREDICTION_STRENGTH_THRESHOLD = 0.8
#: How much a prediction strength moves from one draw of the halves to the
#: next: it is a mean of 2 × :data:`PREDICTION_SPLITS` scores of a few
#: hundred waveforms each (its standard deviation over 5 draws: median
#: 0.035, mean 0.049, on 24 recordings × ranks of the realistic benchmark).
PREDICTION_STRENGTH_MARGIN = 0.05
#: About the prediction strength of a unit cut in two (each half of the
#: waveforms cuts it its own way, and keeps about half of its pairs
#: together). The suggested k must hold more than this: a fall that starts
#: at or below it is noise among ks already past the units.
PREDICTION_STRENGTH_CUT = 0.5
#: A prediction strength at k + 1 of at least this leaves k + 1 open: more
#: than a unit cut in two keeps (:data:`PREDICTION_STRENGTH_CUT`) by three
#: times its draw-to-draw spread (:data:`PREDICTION_STRENGTH_MARGIN`). On
#: five draws of the realistic benchmark (70 recordings), 19 suggestions were
#: confident and 3 of them wrong; at 0.65 two of the wrong ones (3 units
#: suggested as 2, k = 3 holding 0.68 and 0.72) and two right ones (4 holding
#: 0.66 and 0.70) are called unsure instead, naming k + 1.
PREDICTION_STRENGTH_OPEN = PREDICTION_STRENGTH_CUT + 3 * PREDICTION_STRENGTH_MARGIN
#: A k whose scan row has a ``timing_split`` (:func:`~nnmf_core.spikes.timing_split_share`)
#: of at least this is set aside as a unit cut in two, whatever its other scores:
#: two of its clusters differ only along the spike's time derivative, one
#: unit cut by the sub-sample timing of its spikes. On the realistic
#: benchmark (98 recordings) the pairs of true units score 0.57 at most, and
#: any threshold from 0.8 to 0.95 gives the same suggestions.
TIMING_SPLIT_SHARE = 0.9
#: A k whose best clustering (``smallest_cluster`` of its scan row) has a
#: cluster of fewer waveforms than this is set aside as too few for a unit:
#: so few waveforms apart from every unit are, most often, spikes caught in
#: one window with another unit's, and too few to show a mean waveform or a
#: refractory period anyway. Past the number of units the clustering spends a
#: cluster on them (on SpikeInterface's own generator, clean 4- and 8-channel
#: recordings of 4 units had clusters of 0–6 waveforms at every k from 6 to
#: 10, with prediction strength still at 0.7–0.9 there, and it picked 6 and
#: 9). At the true k, the scans of both benchmarks' recordings (units of 120
#: spikes or more) made none under 10, and one of exactly 10, where that run
#: had merged two units (``bench/README.md``).
MIN_UNIT_WAVEFORMS = 10


class RankSuggestion(NamedTuple):
    """What :func:`rank_suggestion` makes of a scan.

    Attributes
    ----------
    k : int
        The suggested rank (:func:`suggested_rank`).
    alternatives : tuple of int
        Other ranks the evidence does not rule out (the separation's rank
        when prediction strength points elsewhere, else the neighbours the
        separations leave open); empty when the suggestion is clear.
    reason : str
        The evidence in a sentence or two (:func:`suggestion_reason`).
    set_aside : tuple of int
        Scanned ranks left out as units cut by their spikes' timing
        (:data:`TIMING_SPLIT_SHARE`).
    too_small : tuple of int
        Scanned ranks left out because a cluster holds fewer than
        :data:`MIN_UNIT_WAVEFORMS` waveforms.
    """

    k: int
    alternatives: tuple
    reason: str
    set_aside: tuple = ()
    too_small: tuple = ()

    @property
    def unsure(self) -> bool:
        return bool(self.alternatives)


def suggested_rank(scan: pd.DataFrame) -> int:
    """The rank to suggest from a :func:`rank_scan`.

    Rule, when the scan has a ``prediction_strength`` column (every scan of
    :func:`rank_scan` has): the **k after which prediction strength falls
    the most and does not come back**, i.e. whose strength is the largest
    multiple of the highest strength of any larger k scanned. Prediction
    strength (Tibshirani & Walther 2005) is the least share of a cluster's
    pairs that clusters made on the other half of the waveforms keep
    together. While k is at most the number of units it stays near 1 (it
    may dip at a k where two groupings of the units are about as good); past
    it, a cluster is a unit cut in two, which the other half does not cut
    the same way, and it falls to about 0.5 (:data:`PREDICTION_STRENGTH_CUT`;
    the suggestion must hold more than that). A fall is counted down to 0.5
    and no further: below what a unit cut in two keeps, how much lower a
    strength goes says nothing more about the k before it (without that
    floor the last k but one, measured against one strength only, often won
    by a fall from 0.7 to 0.2). After the largest k scanned the fall is not
    seen and is taken to be to 0.5, so a scan that ends while its clusters
    still hold well suggests its largest k, unsure.
    Without that column: the
    **largest k whose two closest clusters are still at least**
    :data:`SEPARATION_THRESHOLD` = 4 d′ apart (``separation`` column); if no
    k reaches it, the k with the largest separation (ties: the smaller k).
    Two Gaussian clusters of equal spread d′ = 4 apart are confused for
    about 2 % of their waveforms (Φ(−d′/2)); one Gaussian unit cut in two by
    a straight border gives d′ ≈ 2.6 (:data:`CUT_UNIT_SEPARATION`), so a k
    whose closest pair is that close may have cut a unit. When both are
    there and they differ, the suggestion is prediction strength's and is
    called unsure, naming the separation's k (:func:`rank_suggestion`).

    Why prediction strength, and why its fall: on SpikeInterface
    ground-truth recordings (``bench/bench_spikes_realistic.py``: 3, 5 and
    8 units, k = 2 … 10; 70 scans: three seed sets, two of them scanned
    with two seeds) the fall named the true number of units on 42 and was
    within one of it on 56; the paper's own rule, the largest k whose
    strength is at least :data:`PREDICTION_STRENGTH_THRESHOLD` = 0.8, on 36
    and 48, because the true k's strength is often under 0.8 (on 18 of 42
    recordings) while still well above every larger k's. Scanned only to
    k = 8: 43 and 58 against 36 and 48. On five draws of the 14 recordings
    (70, 4-channel rows aligned), with the fall counted down to 0.5 only:
    46 right and 60 within one, against 42 and 59 counting it all the way.

    Before either, a k whose clusters include two that differ only along
    the spike's time derivative (``timing_split`` at least
    :data:`TIMING_SPLIT_SHARE`, see
    :func:`~nnmf_core.spikes.timing_split_share`) is set aside, as a unit
    cut in two: it has cut one unit into its early and its late spikes,
    which sub-sample detection jitter makes a stable cut, so prediction
    strength may fall after it as after a real unit (two 3-unit one-channel
    recordings of the benchmark were suggested 6 that way). So is a k whose
    clusters include one of fewer than :data:`MIN_UNIT_WAVEFORMS` waveforms
    (``smallest_cluster``): past the number of units the clustering may spend
    a cluster on a few spikes caught with another unit's, which prediction
    strength does not see (a cluster of one or two waveforms has no pairs to
    lose), so it may stay high there. When the ks set aside run to the end
    of the scan, the fall after the last k kept counts as seen. A scan
    without those columns, or where every k is set aside, is read as it is.

    Why not the consensus scores: when k exceeds the
    number of units, the clustering cuts one unit in two — and cuts it the
    same way from every random start, so ``stability`` and ``cophenetic``
    stay near 1 (on the bundled synthetic set both are ≥ 0.98 at k = 5 with
    4 true units). The cut runs through the densest part of that unit, which
    d′ sees at once. The consensus columns stay in the scan to show how
    reproducible every k is. See :func:`rank_suggestion` for when the
    suggestion is unsure.

    Parameters
    ----------
    scan : DataFrame
        Output of :func:`rank_scan` (columns ``k`` and ``separation``;
        ``prediction_strength`` used when present).

    Returns
    -------
    int
    """
    return rank_suggestion(scan).k


def suggestion_reason(scan: pd.DataFrame) -> str:
    """Why :func:`suggested_rank` picked its k, and how sure it is, in words made from the scan.

    Examples
    --------
    >>> reason = suggestion_reason(pd.DataFrame({"k": [2, 3, 4], "separation": [5.0, 5.4, 2.1]}))
    >>> for sentence in reason.split(". "):
    ...     print(sentence[:64])
    k = 3 is the largest k whose two closest clusters are still d′ =
    At k = 4 the closest two are only d′ = 2.1 apart, no more than o
    >>> suggestion_reason(pd.DataFrame({"k": [2, 3, 4], "separation": [5.0, 4.4, 3.2]}))[:75]
    'k = 3 (unsure: k = 2 and 4 explain the data about as well). k = 3 is the la'
    """
    return rank_suggestion(scan).reason


#: A separation within this many d′ of :data:`SEPARATION_THRESHOLD` is
#: called close: from d′ = 3 to 5, two clusters share 7 % to 0.6 % of their
#: waveforms.
UNSURE_MARGIN = 1.0


def rank_suggestion(scan: pd.DataFrame) -> RankSuggestion:
    """The suggested rank of a :func:`rank_scan`, the ranks the evidence does
    not rule out, and a sentence that says both.

    The suggestion is :func:`suggested_rank`'s. When prediction strength
    and separation point to different ranks, it is prediction strength's,
    called unsure, naming the separation's. Otherwise (they agree, or the
    scan has separation only) it is called unsure, naming other ranks, when
    the separations leave room for them:

    - k + 1 when its two closest clusters are still at least
      :data:`SEPARATION_THRESHOLD` − :data:`UNSURE_MARGIN` = 3 d′ apart;
    - k − 1 when the suggestion's own separation is below
      :data:`SEPARATION_THRESHOLD` + :data:`UNSURE_MARGIN` = 5, or a smaller
      k falls below the threshold (the separations do not fall steadily);
    - both when no k reaches the threshold.

    Whatever the agreement, k + 1 is also left open when its prediction
    strength is at least :data:`PREDICTION_STRENGTH_OPEN` = 0.65, clearly
    more than a unit cut in two keeps, and so is the largest k scanned
    when its prediction strength still reaches that threshold (more units
    than the scan reached).

    Two criteria that read the clusters differently — how far apart the
    closest two are, and whether clusters made on half of the waveforms hold
    in the other half — agreeing is the evidence a confident sentence needs.

    Parameters
    ----------
    scan : DataFrame
        Output of :func:`rank_scan` (columns ``k`` and ``separation``;
        ``prediction_strength`` used when present).

    Returns
    -------
    RankSuggestion
    """
    if scan.empty or not {"k", "separation"} <= set(scan.columns):
        raise InputError("The rank scan is empty or lacks the columns 'k' and 'separation'.")
    scan, set_aside, too_small, asides = _ranks_set_aside(scan.sort_values("k"))
    left_out = tuple(sorted(set_aside + too_small))
    ks = [int(k) for k in scan["k"]]
    d = dict(zip(ks, scan["separation"].astype(float).fillna(-math.inf)))
    threshold = SEPARATION_THRESHOLD
    separated = [k for k in ks if d[k] >= threshold]
    cautioned = not separated  # the first sentence then says to take the suggestion with care
    if cautioned:
        k = ks[int(np.argmax([d[k] for k in ks]))]
        alternatives = [j for j in (k - 1, k + 1) if j in d]
        sentences = [f"No k keeps its two closest clusters d′ = {threshold:g} apart; k = {k} separates them best "
                     f"(d′ = {d[k]:.2g}). The waveforms may not fall into clean groups: take the suggestion with care."]
    else:
        k = separated[-1]
        alternatives, sentences = _separation_evidence(k, ks, d)
    if "prediction_strength" in scan.columns:
        strengths = dict(zip(ks, scan["prediction_strength"].astype(float)))
        predicted, evidence, left_open = _prediction_evidence(ks, strengths, left_out)
        if predicted is not None:  # prediction strength decides and speaks first; the separation agrees or not
            separation = " ".join(sentences)
            separation = separation[0].lower() + separation[1:] if separation.startswith("No ") else separation
            if predicted != k:
                sentences = [evidence, f"Separation d′ points to k = {k} instead: {separation}"]
                k, alternatives = predicted, [k]
            else:
                sentences = [evidence, f"Separation d′ agrees: {separation}"]
            alternatives += [j for j in left_open if j not in alternatives and j != k]
            cautioned = False  # the caution, if any, is no longer the first sentence: "unsure" goes first
        nearly = k + 1
        if (predicted is not None and nearly in strengths and nearly not in alternatives
                and strengths[nearly] >= PREDICTION_STRENGTH_OPEN):
            alternatives.append(nearly)
            if strengths[nearly] >= PREDICTION_STRENGTH_THRESHOLD:
                how = f"is still {strengths[nearly]:.2f}, at least {PREDICTION_STRENGTH_THRESHOLD:g}"
            else:
                how = (f"is still {strengths[nearly]:.2f}, clearly more than the {PREDICTION_STRENGTH_CUT:g} or so "
                       f"a unit cut in two keeps")
            sentences.append(f"At k = {nearly} the prediction strength {how}: a further unit is possible.")
        scored = [j for j in ks if np.isfinite(strengths[j])]
        last = scored[-1] if scored else k
        if (last > k and last not in alternatives and strengths[last] >= PREDICTION_STRENGTH_THRESHOLD
                and not any(j > last for j in left_out)):
            alternatives.append(last)
            sentences.append(f"At k = {last}, the largest k scanned, the prediction strength is still "
                             f"{strengths[last]:.2f} (at least {PREDICTION_STRENGTH_THRESHOLD:g}): there may be more "
                             f"units than the scan reached.")
    alternatives = sorted(alternatives)
    sentences += asides
    if alternatives and not cautioned:
        others = " and ".join(map(str, alternatives))
        head = f"k = {k} (unsure: k = {others} explain{'s' if len(alternatives) == 1 else ''} the data about as well). "
        return RankSuggestion(k, tuple(alternatives), head + " ".join(sentences), set_aside, too_small)
    return RankSuggestion(k, tuple(alternatives), " ".join(sentences), set_aside, too_small)


def _ranks_set_aside(scan: pd.DataFrame) -> tuple[pd.DataFrame, tuple, tuple, list]:
    """The scan without the ks it cannot take for a number of units, the ks
    whose clusters cut a unit by its timing (``timing_split`` at least
    :data:`TIMING_SPLIT_SHARE`), the ks with a cluster too small for a unit
    (``smallest_cluster`` under :data:`MIN_UNIT_WAVEFORMS`), and a sentence
    for each kind. A column the scan lacks sets nothing aside; when nothing
    would be left, the scan is read as it is."""
    timing = np.zeros(len(scan), dtype=bool)
    if "timing_split" in scan.columns:
        timing = (scan["timing_split"].astype(float) >= TIMING_SPLIT_SHARE).to_numpy()
    small = np.zeros(len(scan), dtype=bool)
    if "smallest_cluster" in scan.columns:  # a k cut by timing is said once, as that
        small = (scan["smallest_cluster"].astype(float) < MIN_UNIT_WAVEFORMS).to_numpy() & ~timing
    if (timing | small).all():
        return scan, (), (), []
    ks = scan["k"].astype(int).to_numpy()
    sentences = []
    if timing.any():
        share = scan["timing_split"].astype(float)[timing]
        sentences.append(
            f"Set aside as units cut in two: k = {', '.join(map(str, ks[timing]))}, where two clusters differ only "
            f"by when their spikes were cut out (their mean waveforms differ along the spike's time derivative, "
            f"{share.min():.0%} or more).")
    if small.any():
        sizes = scan["smallest_cluster"].astype(int)[small]
        few = counted(int(sizes.max()), "waveform") if sizes.min() == sizes.max() else f"{sizes.min()}–{sizes.max()} waveforms"
        sentences.append(
            f"Set aside as too few for a unit: k = {', '.join(map(str, ks[small]))}, where the smallest cluster holds "
            f"only {few} (fewer than {MIN_UNIT_WAVEFORMS}: most often spikes caught in one window with another "
            f"unit's).")
    return scan[~(timing | small)], tuple(int(k) for k in ks[timing]), tuple(int(k) for k in ks[small]), sentences


def _separation_evidence(k: int, ks: list, d: dict) -> tuple[list, list]:
    """Neighbouring ranks the separations leave open around ``k`` (the
    largest separated k), and the sentences that say why."""
    threshold, margin = SEPARATION_THRESHOLD, UNSURE_MARGIN
    below = [j for j in ks if j < k and d[j] < threshold]
    alternatives = []
    if k - 1 in d and (d[k] < threshold + margin or below):
        alternatives.append(k - 1)
    if k + 1 in d and d[k + 1] >= threshold - margin:
        alternatives.append(k + 1)
    sentences = [f"k = {k} is the largest k whose two closest clusters are still d′ = {d[k]:.2g} apart "
                 f"(at least {threshold:g})."]
    if k + 1 in d:
        cut = f"one unit cut in two ({CUT_UNIT_SEPARATION:.1f} for a Gaussian unit)"
        if d[k + 1] >= threshold - margin:
            sentences.append(f"At k = {k + 1} the closest two are still d′ = {d[k + 1]:.2g} apart, short of "
                             f"{threshold:g} but more than {cut}: a further unit is possible.")
        else:
            closeness = "no more than" if d[k + 1] <= CUT_UNIT_SEPARATION else "close to"
            sentences.append(f"At k = {k + 1} the closest two are only d′ = {d[k + 1]:.2g} apart, {closeness} "
                             f"{cut}: either a unit was cut, or units too alike to tell apart.")
    if d[k] < threshold + margin and k - 1 in d:
        sentences.append(f"d′ = {d[k]:.2g} is close to the threshold: two of the {k} clusters may be one unit.")
    if below:
        sentences.append(f"The separations do not fall steadily with k (k = {', '.join(map(str, below))} stays "
                         f"below {threshold:g}).")
    return alternatives, sentences


def _prediction_evidence(ks: list, strengths: dict, set_aside: tuple = ()) -> tuple[int | None, str, tuple]:
    """The rank prediction strength points to (None when no k has one), a
    sentence that says why, and the other ranks it leaves open.

    The rank is the scanned k whose prediction strength is the largest
    multiple of the highest strength of any larger k scanned, or of
    :data:`PREDICTION_STRENGTH_CUT` when that is higher (ties: the larger
    k): the k after which it falls the most and does not come back, among
    the ks whose strength is above the cut.
    After the largest k scanned, the fall is not seen: it is taken to be to
    :data:`PREDICTION_STRENGTH_CUT`, what the next k would keep if it cut a
    unit, and when that wins, the largest fall seen is left open. The k with
    the highest strength when no k is above the cut. ``set_aside``: ranks
    scanned but left out of ``ks`` as units cut by their timing; one above
    the largest of ``ks`` means the fall after it was seen.
    """
    scored = [j for j in ks if np.isfinite(strengths[j])]
    if not scored:
        return None, "", ()
    cut = PREDICTION_STRENGTH_CUT
    falls = {j: strengths[j] / max(max(strengths[i] for i in scored if i > j), cut) for j in scored[:-1]
             if strengths[j] > cut}
    last = scored[-1]
    if strengths[last] > cut:
        falls[last] = strengths[last] / cut
    if not falls:
        predicted = max(scored, key=strengths.get)
        return predicted, (f"Prediction strength: no k keeps more than {cut:.0%} of every cluster's pairs together "
                           f"from one half of the waveforms to the other, about what a unit cut in two keeps; "
                           f"k = {predicted} comes closest ({strengths[predicted]:.2f})."), ()
    predicted = max(falls, key=lambda j: (falls[j], j))
    if predicted == last and not any(j > last for j in set_aside):
        seen = [j for j in falls if j != last and falls[j] > 1]
        why = (f"at k = {last}, the largest k scanned, clusters found in one half of the waveforms still keep "
               f"{strengths[last]:.2f} of every cluster's pairs together in the other half, against about "
               f"{cut:g} once a unit is cut in two: the fall may lie beyond the scan, and there may be more units "
               f"than it reached.")
        return predicted, "Prediction strength: " + why, (max(seen, key=falls.get),) if seen else ()
    larger = [strengths[i] for i in scored if i > predicted]
    others = " not set aside below" if any(j > predicted for j in set_aside) else ""
    after = (f"at most {max(larger):.2f} at any larger k{others}" if larger
             else "every larger k set aside below")
    why = (f"it falls the most after k = {predicted} and does not come back ({strengths[predicted]:.2f} at "
           f"k = {predicted}, {after}: the least share of a cluster's pairs that clusters "
           f"found in the other half of the waveforms keep together). Past the number of units, a cluster is a unit "
           f"cut in two, which the other half does not cut the same way.")
    return predicted, "Prediction strength: " + why, ()
