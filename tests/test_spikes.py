"""Tests of nnmf_core.spikes: CSV reading, transforms, assignment, quality
scores, rank choice, exports and the synthetic generator."""

from __future__ import annotations

import codecs
import importlib.util
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from nnmf_core import spikes
from nnmf_core.errors import InputError
from nnmf_core.factorize import MAX_FIT_COST, fit_cost
from nnmf_core.spikes import (
    PREDICTION_STRENGTH_THRESHOLD,
    ari,
    cluster_summary,
    cluster_waveforms,
    clusters_by_kmeans,
    clusters_from_h,
    compare_methods,
    confusion_table,
    consensus_matrix,
    cophenetic_correlation,
    export_assignments_csv,
    export_templates_csv,
    load_sample_spikes,
    nonnegative,
    pca_kmeans,
    rank_scan,
    read_waveforms,
    separation,
    silhouette,
    spreadsheet_safe,
    stability,
    suggested_rank,
    synthetic_spikes,
    templates_from_w,
    unit_norm_columns,
)

ROOT = Path(__file__).resolve().parents[1]
TC_WAVEFORMS = Path(__file__).resolve().parents[2] / "shared" / "data" / "TC_waveforms.csv"


@pytest.fixture(autouse=True)
def one_blas_thread():
    """The fits here are tiny; one thread keeps them fast on a busy machine."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def sample():
    table = load_sample_spikes()
    return table.waveforms, np.array(table.label_columns["unit"], dtype=int)


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


# --------------------------------------------------------------------------
# non-negativity transforms
# --------------------------------------------------------------------------

X_SMALL = np.array([[1.0, -2.0, 0.5], [-0.5, 3.0, -1.0]])  # 2 waveforms × 3 samples


def test_shift_adds_the_global_minimum():
    V, description = nonnegative(X_SMALL, "shift")
    assert V.shape == (3, 2)
    np.testing.assert_allclose(V, X_SMALL.T + 2.0)
    assert V.min() == 0.0
    assert "2" in description


def test_per_sample_shift_makes_every_sample_touch_zero():
    V, _ = nonnegative(X_SMALL, "per-sample shift")
    assert V.shape == (3, 2)
    np.testing.assert_allclose(V, [[1.5, 0.0], [0.0, 5.0], [1.5, 0.0]])
    np.testing.assert_array_equal(V.min(axis=1), 0.0)


def test_split_stacks_parts_and_loses_nothing():
    V, _ = nonnegative(X_SMALL, "split")
    assert V.shape == (6, 2)
    assert (V >= 0).all()
    positive, negative = V[:3], V[3:]
    np.testing.assert_array_equal(positive - negative, X_SMALL.T)
    np.testing.assert_array_equal(positive * negative, 0.0)
    np.testing.assert_array_equal(positive[:, 0], [1.0, 0.0, 0.5])


def test_unknown_transform_and_bad_waveforms_are_refused():
    with pytest.raises(InputError, match="transform"):
        nonnegative(X_SMALL, "log")
    with pytest.raises(InputError, match="NaN"):
        nonnegative([[1.0, np.nan, 0.0]], "split")
    with pytest.raises(InputError, match="2-D"):
        nonnegative([1.0, 2.0], "split")


def test_templates_from_split_w_are_signed_waveforms():
    W = np.array([[1.0, 0.0], [0.0, 2.0], [0.5, 0.0], [0.0, 1.0]])  # 2 samples, split
    np.testing.assert_array_equal(templates_from_w(W, "split", 2), [[0.5, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(templates_from_w(W[:2], "shift", 2), W[:2].T)


# --------------------------------------------------------------------------
# from H to clusters
# --------------------------------------------------------------------------


def test_unit_norm_columns_keeps_the_product_and_normalises():
    rng = np.random.default_rng(3)
    W, H = rng.random((20, 4)), rng.random((4, 30))
    W[:, 2] = 0.0
    W2, H2 = unit_norm_columns(W, H)
    np.testing.assert_allclose(W2 @ H2, W @ H)
    np.testing.assert_allclose(np.linalg.norm(W2, axis=0), [1.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(H2[2], H[2])  # zero column: left alone


def test_clusters_from_h_takes_the_largest_weight_per_column():
    H = np.array([[0.9, 0.1, 0.0, 0.5], [0.2, 0.8, 0.0, 0.5], [0.0, 0.9, 0.0, 0.1]])
    np.testing.assert_array_equal(clusters_from_h(H), [0, 2, 0, 0])


def test_argmax_depends_on_scaling_which_unit_norm_removes():
    # template 0 is drawn 10x larger than template 1, so its weights are 10x smaller
    W = np.array([[10.0, 0.0], [0.0, 1.0]])
    H = np.array([[0.2, 0.05], [1.0, 1.0]])
    np.testing.assert_array_equal(clusters_from_h(H), [1, 1])
    _, H_scaled = unit_norm_columns(W, H)
    np.testing.assert_array_equal(clusters_from_h(H_scaled), [0, 1])


def test_kmeans_on_h_groups_by_direction_not_size():
    rng = np.random.default_rng(0)
    sizes = rng.uniform(0.1, 10.0, size=40)
    directions = np.repeat([[1.0, 0.1], [0.1, 1.0]], 20, axis=0) + rng.normal(0, 0.02, (40, 2))
    H = (directions * sizes[:, None]).T
    labels = clusters_by_kmeans(H, 2, random_state=0)
    assert ari(labels, np.repeat([0, 1], 20)) == 1.0


# --------------------------------------------------------------------------
# quality scores
# --------------------------------------------------------------------------


def test_ari_matches_sklearn_and_a_hand_computed_value():
    a = [0, 0, 0, 1, 1, 1]
    b = [0, 0, 1, 1, 2, 2]
    # contingency pairs 2, row pairs 6, column pairs 3, all pairs 15:
    # (2 - 6*3/15) / ((6+3)/2 - 6*3/15) = 0.8 / 3.3
    assert ari(a, b) == pytest.approx(8 / 33)
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 4, 200), rng.integers(0, 3, 200)
    assert ari(x, y) == pytest.approx(adjusted_rand_score(y, x))
    assert ari([0, 0, 1, 1], [5, 5, 7, 7]) == 1.0
    with pytest.raises(InputError):
        ari([0, 1], [0, 1, 1])


def test_stability_is_the_mean_pairwise_ari():
    a, b, c = [0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2], [1, 1, 1, 0, 0, 0]
    # pairs: (a,b) = 8/33, (a,c) = 1, (b,c) = 8/33
    assert stability([a, b, c]) == pytest.approx((8 / 33 + 1 + 8 / 33) / 3)
    assert stability([a, c]) == 1.0
    assert math.isnan(stability([a]))


def test_silhouette_matches_sklearn_and_is_nan_for_one_cluster():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(0, 1, (20, 3)), rng.normal(5, 1, (20, 3))])
    labels = np.repeat([0, 1], 20)
    assert silhouette(X, labels) == pytest.approx(silhouette_score(X, labels))
    assert math.isnan(silhouette(X, np.zeros(40, dtype=int)))


def test_separation_is_the_smallest_pairwise_d_prime():
    # means 0.1 and 5.1, standard deviation 0.1 each: d' = 5.0 / 0.1 = 50
    assert separation([[0.0], [0.2], [5.0], [5.2]], [0, 0, 1, 1]) == pytest.approx(50.0)
    # a third cluster close to the first sets the minimum: means 0.1, 1.1 -> 10
    X = [[0.0], [0.2], [5.0], [5.2], [1.0], [1.2]]
    assert separation(X, [0, 0, 1, 1, 2, 2]) == pytest.approx(10.0)
    assert math.isnan(separation(X, [0] * 6))


def test_confusion_table_counts_pairs():
    table = confusion_table([0, 0, 1, 1, 1], ["a", "b", "b", "b", "a"])
    assert table.index.name == "cluster" and table.columns.name == "reference"
    assert table.loc[0, "a"] == 1 and table.loc[0, "b"] == 1
    assert table.loc[1, "a"] == 1 and table.loc[1, "b"] == 2


def test_consensus_matrix_is_the_fraction_of_runs_together():
    C = consensus_matrix([[0, 0, 1], [0, 1, 1]])
    np.testing.assert_allclose(C, [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]])


def test_cophenetic_is_one_for_consistent_runs_and_less_otherwise():
    consistent = consensus_matrix([[0, 0, 1, 1, 2, 2], [2, 2, 0, 0, 1, 1], [1, 1, 2, 2, 0, 0]])
    assert cophenetic_correlation(consistent) == pytest.approx(1.0)
    disagreeing = consensus_matrix([[0, 0, 1, 1, 2, 2], [0, 1, 1, 2, 2, 0], [0, 0, 0, 1, 1, 1]])
    assert cophenetic_correlation(disagreeing) < 0.99
    assert cophenetic_correlation(consensus_matrix([[0, 0, 0]])) == 1.0


def test_suggested_rank_rule_on_hand_made_scans():
    # the largest k still separated by d' >= 4, not the best-separated k
    scan = pd.DataFrame({"k": [2, 3, 4, 5, 6], "separation": [4.5, 6.0, 4.2, 3.0, 2.9]})
    assert suggested_rank(scan) == 4
    below = pd.DataFrame({"k": [2, 3, 4], "separation": [2.5, 3.5, 3.1]})
    assert suggested_rank(below) == 3
    with pytest.raises(InputError):
        suggested_rank(pd.DataFrame({"k": []}))


def test_rank_scan_recovers_the_number_of_units():
    waveforms, units = synthetic_spikes(n_per_unit=100, random_state=0)
    scan = rank_scan(waveforms, ks=range(2, 7), n_runs=4, random_state=0)
    assert list(scan.columns[:5]) == ["k", "relative_error", "cophenetic", "stability", "separation"]
    assert scan["relative_error"].is_monotonic_decreasing
    assert suggested_rank(scan) == 4
    row = scan.set_index("k").loc[4]
    assert row["stability"] > 0.95 and row["cophenetic"] > 0.95
    strength = scan.set_index("k")["prediction_strength"]
    assert strength.loc[4] >= PREDICTION_STRENGTH_THRESHOLD > strength.loc[6]  # 4 units hold; 6 clusters cut some
    timing = scan.set_index("k")["timing_split"]  # the sample's units differ in shape: no k cuts one by its timing
    assert timing.between(0, 1).all() and timing.loc[4] < 0.5
    smallest = scan.set_index("k")["smallest_cluster"]  # 100 waveforms per unit: the 4 clusters are the units
    assert smallest.loc[4] >= 90 and (smallest <= 400 // scan["k"].to_numpy()).all()


# --------------------------------------------------------------------------
# the method in one call, and the baseline
# --------------------------------------------------------------------------


def test_default_method_recovers_the_units_of_the_sample(sample):
    waveforms, units = sample
    result = cluster_waveforms(waveforms, 4, random_state=0)
    assert ari(result.labels, units) >= 0.9
    assert result.W.shape == (300, 4) and result.H.shape == (4, 1000)
    np.testing.assert_allclose(np.linalg.norm(result.W, axis=0), 1.0, rtol=1e-5)
    assert result.templates.shape == (4, 150)
    assert len(result.restart_labels) == spikes.DEFAULT_RESTARTS
    assert len(result.restart_losses) == spikes.DEFAULT_RESTARTS
    assert result.loss_history[-1] == pytest.approx(min(result.restart_losses))


def test_default_method_is_stable_across_random_starts_and_numbers_clusters_alike(sample):
    waveforms, _ = sample
    runs = [cluster_waveforms(waveforms, 4, init="random", random_state=seed).labels for seed in (0, 1, 2)]
    assert stability(runs) >= 0.95
    # the stable order gives the same numbers, not just the same partition
    assert np.mean(runs[0] == runs[1]) > 0.97 and np.mean(runs[0] == runs[2]) > 0.97


def test_stable_order_numbers_clusters_by_the_energy_centroid_of_their_mean():
    early = np.array([0.0, -1.0, 0.2, 0.0, 0.0, 0.0])
    late = np.array([0.0, 0.0, 0.0, 0.0, -1.0, 0.3])
    waveforms = np.array([late, early, late, early, early])
    order = spikes.stable_order(waveforms, np.array([0, 1, 0, 1, 1]), 3)
    np.testing.assert_array_equal(order, [1, 0, 2])  # early first, late next, empty cluster 2 last


def test_argmax_assignment_keeps_clusters_and_templates_aligned(sample):
    waveforms, _ = sample
    result = cluster_waveforms(waveforms[:300], 3, assignment="argmax", transform="shift", solver="mu",
                               max_iter=200, n_restarts=1)
    np.testing.assert_array_equal(result.labels, clusters_from_h(result.H))


def test_pca_kmeans_baseline(sample):
    waveforms, units = sample
    baseline = pca_kmeans(waveforms, 4)
    assert baseline.scores.shape == (1000, 3)
    assert 0.85 <= ari(baseline.labels, units) <= 0.99


def test_cluster_waveforms_refuses_bad_parameters():
    with pytest.raises(InputError, match="clusters"):
        cluster_waveforms(X_SMALL, 3)
    with pytest.raises(InputError, match="assignment"):
        cluster_waveforms(X_SMALL, 2, assignment="vote")


def test_cluster_summary_counts_and_means():
    waveforms = np.array([[0.0, 1.0], [2.0, 3.0], [10.0, 10.0]])
    summary = cluster_summary(waveforms, [1, 1, 0])
    np.testing.assert_array_equal(summary.clusters, [0, 1])
    np.testing.assert_array_equal(summary.counts, [1, 2])
    np.testing.assert_allclose(summary.means, [[10.0, 10.0], [1.0, 2.0]])
    np.testing.assert_allclose(summary.stds, [[0.0, 0.0], [1.0, 1.0]])
    assert list(summary.table()["count"]) == [1, 2]


# --------------------------------------------------------------------------
# exports
# --------------------------------------------------------------------------


def test_assignment_export_escapes_formulas():
    ids = ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "TC028_3B"]
    H = np.arange(10, dtype=float).reshape(2, 5)
    data = export_assignments_csv(ids, [0, 1, 0, 1, 0], H)
    table = pd.read_csv(io.BytesIO(data), dtype={"id": str})
    assert list(table.columns) == ["id", "cluster", "weight_0", "weight_1"]
    assert list(table["id"]) == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "TC028_3B"]
    np.testing.assert_allclose(table[["weight_0", "weight_1"]].to_numpy(), H.T)
    assert spreadsheet_safe("\tcmd") == "'\tcmd"


def test_template_export_has_one_column_per_template():
    W = np.array([[1.0, 0.5], [0.0, 2.0], [3.0, 1.0]])
    table = pd.read_csv(io.BytesIO(export_templates_csv(W)))
    assert list(table.columns) == ["sample", "template_0", "template_1"]
    np.testing.assert_allclose(table[["template_0", "template_1"]].to_numpy(), W)
    named = pd.read_csv(io.BytesIO(export_templates_csv(W, ["=a", "b", "c"])), dtype=str)
    assert named["sample"][0] == "'=a"


# --------------------------------------------------------------------------
# reading CSV: good layouts
# --------------------------------------------------------------------------


def test_organoid_layout_with_a_text_label_column():
    table = read_waveforms(csv_bytes("uid,0,1,2,organoid", "a,0,-1,0.5,A1", "b,0.1,-0.8,0.2,B2"))
    np.testing.assert_array_equal(table.waveforms, [[0.0, -1.0, 0.5], [0.1, -0.8, 0.2]])
    assert table.ids == ["a", "b"]
    assert table.label_columns == {"organoid": ["A1", "B2"]}
    assert table.sample_names == ["0", "1", "2"]
    assert table.notes == []


def test_numeric_unit_column_after_integer_sample_headers_is_a_label():
    table = read_waveforms(csv_bytes("uid,0,1,2,unit", "a,0,-1,0.5,3", "b,0.1,-0.8,0.2,1"))
    assert table.waveforms.shape == (2, 3)
    assert table.label_columns == {"unit": ["3", "1"]}


def test_any_non_numeric_header_after_integer_sample_headers_is_a_label():
    table = read_waveforms(csv_bytes("uid,0,1,2,quality,organoid", "a,0,-1,0.5,0.9,A", "b,0.1,-0.8,0.2,0.7,B"))
    assert table.waveforms.shape == (2, 3)
    assert table.label_columns == {"quality": ["0.9", "0.7"], "organoid": ["A", "B"]}


def test_label_columns_with_the_same_or_no_name_are_all_kept():
    table = read_waveforms(csv_bytes("uid,0,1,2,label,label,", "a,1,2,3,x,y,z", "b,2,2,2,p,q,r"))
    assert table.label_columns == {"label": ["x", "p"], "label'": ["y", "q"], "label 3": ["z", "r"]}


def test_tc_layout_without_label_column():
    table = read_waveforms(csv_bytes("uid,0,1,2,3", "x,1,2,3,4", "y,5,6,7,8"))
    assert table.waveforms.shape == (2, 4) and table.label_columns == {}


def test_transposed_layout_with_and_without_a_sample_axis():
    expected = [[1.0, 2.0, 0.0], [2.0, 3.0, 1.0], [3.0, 4.0, 0.0]]
    with_axis = read_waveforms(csv_bytes("sample,w1,w2,w3", "0,1,2,3", "1,2,3,4", "2,0,1,0"), transposed=True)
    np.testing.assert_array_equal(with_axis.waveforms, expected)
    assert with_axis.ids == ["w1", "w2", "w3"]
    # an unnamed-looking first column is still the axis when it rises in even steps
    stepped_axis = read_waveforms(csv_bytes("pos,w1,w2,w3", "10,1,2,3", "20,2,3,4", "30,0,1,0"), transposed=True)
    np.testing.assert_array_equal(stepped_axis.waveforms, expected)
    assert stepped_axis.sample_names == ["10", "20", "30"]
    without_axis = read_waveforms(csv_bytes("w1,w2,w3", "1,2,3", "2,3,4", "0,1,0"), transposed=True)
    np.testing.assert_array_equal(without_axis.waveforms, expected)
    labelled = read_waveforms(
        csv_bytes("time,w1,w2,w3", "0.0,1,2,3", "0.5,2,3,4", "1.0,0,1,0", "organoid,A,B,A"), transposed=True
    )
    np.testing.assert_array_equal(labelled.waveforms, expected)
    assert labelled.label_columns == {"organoid": ["A", "B", "A"]}
    assert labelled.sample_names == ["0.0", "0.5", "1.0"]


def test_semicolons_with_decimal_commas_and_tabs():
    semicolon = read_waveforms(csv_bytes("uid;0;1;2", "a;1,5;-2,25;0", "b;0;1;2"))
    np.testing.assert_array_equal(semicolon.waveforms, [[1.5, -2.25, 0.0], [0.0, 1.0, 2.0]])
    tab = read_waveforms(csv_bytes("uid\t0\t1\t2", "a\t1.5\t-2.25\t0", "b\t0\t1\t2"))
    np.testing.assert_array_equal(tab.waveforms, semicolon.waveforms)


@pytest.mark.parametrize(
    "encoded",
    [
        codecs.BOM_UTF8 + "uid,0,1,2\nä,1,2,3\nb,4,5,6\n".encode(),
        "uid,0,1,2\nä,1,2,3\nb,4,5,6\n".encode("utf-16"),
        "uid,0,1,2\r\nä,1,2,3\r\nb,4,5,6\r\n".encode("utf-16-be").join([codecs.BOM_UTF16_BE, b""]),
        "uid,0,1,2\nä,1,2,3\nb,4,5,6\n".encode("latin-1"),
    ],
    ids=["utf-8 bom", "utf-16", "utf-16-be crlf", "latin-1"],
)
def test_encodings(encoded):
    table = read_waveforms(encoded)
    assert table.ids == ["ä", "b"]
    np.testing.assert_array_equal(table.waveforms, [[1, 2, 3], [4, 5, 6]])


def test_forgiving_details_blank_lines_trailing_delimiter_quotes_no_id_column():
    table = read_waveforms(b'uid,0,1,2,\n\n"a, 1",1,2,3,\n\nb,4,5,6,\n')
    assert table.ids == ["a, 1", "b"] and table.waveforms.shape == (2, 3)
    no_ids = read_waveforms(csv_bytes("0,1,2", "1,2,3", "4,5,6"))
    assert no_ids.ids == ["1", "2"] and no_ids.waveforms.shape == (2, 3)
    assert "no id column" in no_ids.notes[0]


def test_duplicate_ids_and_flat_waveforms_are_notes_not_errors():
    table = read_waveforms(csv_bytes("uid,0,1,2", "a,1,2,3", "a,2,2,2", "b,0,1,0"))
    assert table.waveforms.shape == (3, 3)
    assert any("'a' (2×)" in note for note in table.notes)
    assert any("flat" in note and "'a'" in note for note in table.notes)


PLAIN_FILES = {
    "organoid": "uid,0,1,2,organoid\na,0,-1,0.5,A1\nb,0.1,-0.8,0.2,B2\n",
    "unit and quality": "uid,0,1,2,quality,unit\na,0,-1,0.5,0.90,3\nb,0.1,-0.8,0.2,0.7,1\n",
    "crlf and blank lines": "\r\nuid,0,1,2\r\n\r\na ,1e-3,-2.5,3\r\n  \r\nb,4,5,6\r\n",
    "semicolon decimal comma": "uid;0;1;2;cls\na;1,5;-2,25;0;x\nb;0;1;2;y\n",
    "tab": "id\tt0\tt1\tt2\tunit\na\t0.1\t0.2\t0.3\t1\nb\t1\t2\t3\t2\n",
    "duplicates and flat": "uid,0,1,2\na,1,2,3\na,2,2,2\n",
    "two labels of one name": "uid,0,1,2,label,label\na,1,2,3,x,y\nb,2,2,2,z,w\n",
}


@pytest.mark.parametrize("name", PLAIN_FILES)
def test_fast_and_exact_readers_agree(name):
    text = PLAIN_FILES[name]
    fast = spikes.csv_reader._plainly_parsed(text)
    assert fast is not None, "a plain file should take the fast path"
    exact = spikes.csv_reader._exactly_parsed(text, False)
    np.testing.assert_array_equal(fast[2], exact[2])
    assert fast[0] == exact[0] and fast[1] == exact[1] and fast[3] == exact[3]


def test_fast_and_exact_readers_agree_on_the_real_files():
    files = [spikes.SAMPLE_SPIKES_CSV] + ([TC_WAVEFORMS] if TC_WAVEFORMS.exists() else [])
    for path in files:
        text = path.read_bytes().decode("utf-8")
        fast, exact = spikes.csv_reader._plainly_parsed(text), spikes.csv_reader._exactly_parsed(text, False)
        np.testing.assert_array_equal(fast[2], exact[2])
        assert fast[0] == exact[0] and fast[3] == exact[3]


# --------------------------------------------------------------------------
# reading CSV: bad input, each with a message naming the problem
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", r"empty \(0 bytes\)"),
        (b"\n \n", "no text"),
        (csv_bytes("uid,0,1,2"), "header row but no data rows"),
        (csv_bytes("uid", "a", "b"), "Only one column"),
        (csv_bytes("uid,0,1,2", "a,1,2,3", "b,1,x,3", "c,1,y,3"),
         r"Column '1' has 2 cells that are not numbers \(row 3: 'x', row 4: 'y'\)"),
        (csv_bytes("uid,0,1,2", "a,1,2,3", "b,1,,3", "c,1,,3", "d,1,,3"), r"Column '1' has 3 empty cells \(rows 3, 4, 5\)"),
        (csv_bytes("uid,0,1,2", "a,1,2,nan", "b,1,2,inf"), r"Column '2' has 2 cells that are NaN or infinite"),
        (csv_bytes("uid,0,1,2", "a,1,2,3", "b,1,2", "c,1,2,3,4"),
         r"2 rows do not have as many fields as the header \(4\): row 3 has 3 fields, row 4 has 5 fields"),
        (csv_bytes("uid,0,1,2", "a,1,2,3"), "1 waveform; clustering needs at least 2"),
        (csv_bytes("uid,0,1", "a,1,2", "b,3,4"), "2 samples; at least 3"),
        (csv_bytes("uid,organoid", "a,x", "b,y"), "No sample columns"),
        (csv_bytes("uid,0,1,2", 'a,"1,5",2,3', "b,1,2,3"), "Decimal commas are read only"),
        (b"PK\x03\x04\x14\x00", "Excel"),
        ("uid,0,1,2\na,1,2,3\n".encode("utf-16-le"), "NUL"),
    ],
    ids=["zero bytes", "blank", "header only", "one column", "text cells", "empty cells", "nan and inf",
         "ragged", "one waveform", "two samples", "labels only", "comma decimal", "xlsx", "utf-16 no bom"],
)
def test_bad_csv_is_refused_with_a_clear_message(data, message):
    with pytest.raises(InputError, match=message):
        read_waveforms(data)


def test_bad_cells_in_a_transposed_file_name_the_waveform_column():
    with pytest.raises(InputError, match=r"Column 'w2' \(a waveform\) has 1 cell that is not a number \(row 3: 'x'\)"):
        read_waveforms(csv_bytes("sample,w1,w2,w3", "0,1,2,3", "1,2,x,4", "2,0,1,0"), transposed=True)


def test_row_numbers_count_blank_lines_like_a_spreadsheet():
    with pytest.raises(InputError, match=r"row 5: 'x'"):
        read_waveforms(b"uid,0,1,2\r\n\r\na,1,2,3\r\n\r\nb,1,x,4\r\n")


def test_limits_are_named(monkeypatch):
    monkeypatch.setattr(spikes.csv_reader, "MAX_CSV_BYTES", 20)
    with pytest.raises(InputError, match="MAX_CSV_BYTES"):
        read_waveforms(csv_bytes("uid,0,1,2", "a,1,2,3", "b,1,2,3"))
    monkeypatch.setattr(spikes.csv_reader, "MAX_CSV_BYTES", 1000)
    monkeypatch.setattr(spikes.csv_reader, "MAX_WAVEFORMS", 1)
    with pytest.raises(InputError, match=r"2 waveforms; the limit is 1 \(MAX_WAVEFORMS\)"):
        read_waveforms(csv_bytes("uid,0,1,2", "a,1,2,3", "b,1,2,3"))
    monkeypatch.setattr(spikes.csv_reader, "MAX_WAVEFORMS", 10)
    monkeypatch.setattr(spikes.csv_reader, "MAX_SAMPLES", 2)
    with pytest.raises(InputError, match=r"3 samples; the limit is 2 \(MAX_SAMPLES\)"):
        read_waveforms(csv_bytes("uid,0,1,2", "a,1,2,3", "b,1,2,3"))


def test_non_bytes_input_is_refused():
    with pytest.raises(InputError, match="bytes"):
        read_waveforms("uid,0,1,2\na,1,2,3\n")


# --------------------------------------------------------------------------
# synthetic spikes and the bundled sample
# --------------------------------------------------------------------------


def test_synthetic_spikes_are_deterministic_per_seed():
    a, units_a = synthetic_spikes(n_per_unit=20, random_state=5)
    b, units_b = synthetic_spikes(n_per_unit=20, random_state=5)
    c, _ = synthetic_spikes(n_per_unit=20, random_state=6)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(units_a, units_b)
    assert not np.array_equal(a, c)
    assert a.shape == (80, 150)
    np.testing.assert_array_equal(np.bincount(units_a), [20, 20, 20, 20])


def test_synthetic_units_are_trough_aligned_with_a_later_peak():
    waveforms, units = synthetic_spikes(n_per_unit=50, random_state=0)
    summary = cluster_summary(waveforms, units)
    np.testing.assert_array_equal(summary.means.argmin(axis=1), 50)
    assert (summary.means.argmax(axis=1) > 50).all()
    assert len(set(summary.means.argmax(axis=1))) == 4  # repolarisation peaks at distinct times


def test_bundled_sample_is_what_the_script_makes():
    spec = importlib.util.spec_from_file_location("make_spikes", ROOT / "data" / "make_spikes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.sample_table().to_csv(index=False, lineterminator="\n").encode("utf-8")
    assert spikes.SAMPLE_SPIKES_CSV.read_bytes() == expected
    table = load_sample_spikes()
    assert table.waveforms.shape == (1000, 150)
    assert list(table.label_columns) == ["unit"]
    assert table.ids[0] == "syn0001"


# --------------------------------------------------------------------------
# comparing methods (the spike page's one call) and the scan's progress
# --------------------------------------------------------------------------


def test_compare_methods_scores_the_chosen_settings_the_article_and_the_baseline(sample):
    waveforms, units = sample
    comparison = spikes.compare_methods(waveforms, 4, random_state=0)
    assert comparison.chosen.transform == "split" and comparison.article.transform == "shift"
    assert comparison.article.result.solver == "mu" and comparison.article.assignment == "argmax"
    assert len(comparison.baseline_restart_labels) == spikes.DEFAULT_RESTARTS
    for role, labels in comparison.labels.items():
        assert comparison.silhouettes[role] == pytest.approx(silhouette(waveforms, labels))
    assert comparison.stabilities["chosen"] == pytest.approx(comparison.chosen.restart_agreement)
    report = spikes.quality_report(comparison, units.astype(str))
    table = report.table.set_index("method")
    aris = table["ari"].to_numpy()
    assert aris[0] >= 0.95 and aris[2] >= 0.9  # these settings and PCA + k-means find the units
    assert aris[1] < 0.6  # the article's recipe does not
    assert list(table.index) == [comparison.names[role] for role in ("chosen", "article", "baseline")]
    assert f"ARI {aris[1]:.3f}, far below the {aris[0]:.3f} of the settings here" in report.sentence
    assert report.confusion["chosen"].to_numpy().sum() == 1000
    assert report.confusion["chosen"].to_numpy().max(axis=1).min() >= 240  # each cluster is one unit


def test_quality_report_without_reference_has_no_ari_and_says_so():
    waveforms, _ = synthetic_spikes(n_per_unit=30, n_samples=90, random_state=3)
    report = spikes.quality_report(spikes.compare_methods(waveforms, 4, n_restarts=1, random_state=0))
    assert report.table["ari"].isna().all() and report.confusion == {}
    assert report.table["stability"].isna().all()  # one restart: nothing to agree with
    assert report.sentence.startswith("Without reference labels")


def test_the_article_recipe_is_fitted_once_when_it_is_the_choice():
    waveforms, units = synthetic_spikes(n_per_unit=30, n_samples=90, random_state=3)
    comparison = spikes.compare_methods(waveforms, 4, max_iter=1000, random_state=0, **{
        key: spikes.ARTICLE_RECIPE[key] for key in ("transform", "solver", "init", "assignment")})
    assert comparison.article is comparison.chosen
    assert spikes.quality_report(comparison, units).sentence.startswith("These settings are the article's recipe")


def test_comparison_words_follow_the_ari_difference():
    words = ("above", "below", "close")
    assert spikes.comparison._compared(0.03, *words) == "above" and spikes.comparison._compared(-0.03, *words) == "below"
    assert spikes.comparison._compared(0.01, *words) == "close" and spikes.comparison._compared(-0.01, *words) == "close"


def test_silhouettes_of_large_sets_use_a_subset(monkeypatch):
    waveforms, _ = synthetic_spikes(n_per_unit=30, n_samples=90, random_state=3)
    monkeypatch.setattr(spikes.comparison, "MAX_SILHOUETTE_WAVEFORMS", 50)
    calls = []
    original = spikes.comparison.silhouette
    monkeypatch.setattr(spikes.comparison, "silhouette", lambda X, labels: calls.append(len(X)) or original(X, labels))
    comparison = spikes.compare_methods(waveforms, 4, n_restarts=1, random_state=0)
    assert calls == [50, 50, 50] and all(np.isfinite(list(comparison.silhouettes.values())))


def test_suggestion_reason_says_whether_the_threshold_was_reached():
    clear = pd.DataFrame({"k": [2, 3, 4, 5], "separation": [4.5, 6.0, 5.2, 2.0]})
    assert spikes.suggestion_reason(clear).startswith("k = 4 is the largest k whose two closest clusters are "
                                                      "still d′ = 5.2 apart (at least 4).")
    reached = pd.DataFrame({"k": [2, 3, 4, 5], "separation": [4.5, 6.0, 4.2, 3.0]})
    assert spikes.suggestion_reason(reached).startswith("k = 4 (unsure: k = 3 and 5 explain the data about as "
                                                        "well). k = 4 is the largest k whose two closest clusters "
                                                        "are still d′ = 4.2 apart")
    missed = pd.DataFrame({"k": [2, 3, 4], "separation": [2.5, 3.5, 3.1]})
    assert spikes.suggestion_reason(missed).startswith("No k keeps its two closest clusters d′ = 4 apart; k = 3 "
                                                       "separates them best (d′ = 3.5).")


def test_samples_too_large_for_32_bit_factors_are_refused():
    with pytest.raises(InputError, match=r"Samples reach 1e\+300 in size; the limit is 5e\+11"):
        read_waveforms(b"uid,0,1,2\na,1e300,-1,0\nb,0,-1,0\n")
    with pytest.raises(InputError, match="Rescale the waveforms"):
        cluster_waveforms(np.array([[0.0, -2e12, 1.0], [0.0, -1.0, 1.0]]), 2)
    assert read_waveforms(b"uid,0,1,2\na,1e11,-1,0\nb,0,-1,0\n").waveforms.max() == 1e11


def test_rank_scan_reports_its_progress():
    waveforms, _ = synthetic_spikes(n_per_unit=20, n_samples=60, random_state=1)
    progress = []
    rank_scan(waveforms, ks=[2, 3, 4], n_runs=2, max_iter=50, on_rank=lambda done, total: progress.append((done, total)))
    assert progress == [(1, 3), (2, 3), (3, 3)]


# --------------------------------------------------------------------------
# the real recording
# --------------------------------------------------------------------------


def test_tc_waveforms_from_the_shared_data():
    if not TC_WAVEFORMS.exists():
        pytest.skip(f"{TC_WAVEFORMS} is absent (it lives outside the repository, next to it in ../shared/data)")
    table = read_waveforms(TC_WAVEFORMS.read_bytes())
    assert table.waveforms.shape == (181, 120)
    assert table.ids[0] == "TC028_3B"
    assert table.label_columns == {}
    np.testing.assert_allclose(table.waveforms.min(axis=1), -1.0)
    assert any("TC018_49C" in note for note in table.notes)  # its one duplicated id


# --------------------------------------------------------------------------
# hardening: limits, odd contents, and what one request may cost
# --------------------------------------------------------------------------


def test_a_file_just_over_the_byte_limit_is_refused_by_its_size():
    data = b"uid,0,1,2\n" + b"0" * (spikes.MAX_CSV_BYTES - 9)  # one byte over; never decoded
    assert len(data) == spikes.MAX_CSV_BYTES + 1
    with pytest.raises(InputError, match=r"the limit is 52,428,800 bytes \(50 MB, MAX_CSV_BYTES\)"):
        read_waveforms(data)


@pytest.mark.parametrize("transposed", [False, True], ids=["rows", "columns"])
def test_200_000_waveforms_are_refused_naming_max_waveforms(transposed):
    if transposed:
        data = b"sample," + b",".join(b"w%d" % i for i in range(200_000)) + b"\n" + b"0" + b",1" * 200_000 + b"\n"
        data += data.split(b"\n")[1].replace(b"0,", b"1,", 1) + b"\n"
    else:
        data = b"uid,0,1,2\n" + b"a,1,-2,3\n" * 200_000
    with pytest.raises(InputError, match=r"The file holds 200,000 waveforms; the limit is 100,000 \(MAX_WAVEFORMS\)"):
        read_waveforms(data, transposed=transposed)


@pytest.mark.parametrize("transform", list(spikes.TRANSFORMS))
def test_waveforms_with_only_negative_values_are_read_and_clustered(transform):
    waveforms, units = synthetic_spikes(n_per_unit=20, n_samples=40, random_state=5)
    negative = waveforms - waveforms.max() - 1.0
    lines = ["uid," + ",".join(map(str, range(40)))] + [f"w{i}," + ",".join(f"{v:.5f}" for v in row)
                                                        for i, row in enumerate(negative)]
    table = read_waveforms(csv_bytes(*lines))
    assert (table.waveforms < 0).all() and table.notes == []
    result = cluster_waveforms(table.waveforms, 4, transform=transform, random_state=0)
    assert (result.V >= 0).all() and result.V.any()
    assert len(np.unique(result.labels)) == 4


@pytest.mark.parametrize(
    "lines, k, message",
    [
        (["a,0,0,0", "b,0,0,0", "c,0,0,0"], 2, r"All 3 waveforms are flat \(within each, every sample is equal\): "
                                              "they have no shape"),
        (["a,5,5,5", "b,-1,-1,-1", "c,2,2,2"], 2, "All 3 waveforms are flat"),
        (["a,1,-5,2", "b,1,-5,2", "c,1,-5,2"], 2, "All 3 waveforms are copies of one waveform"),
        (["a,1,-5,2", "b,1,-5,2", "c,0,-1,0", "d,0,-1,0"], 3, r"only 2 distinct shapes .* cannot form 3 clusters"),
    ],
    ids=["all zero", "constant", "copies", "fewer shapes than k"],
)
def test_waveforms_without_k_shapes_are_refused_before_fitting(lines, k, message):
    waveforms = np.array([[float(v) for v in line.split(",")[1:]] for line in lines])
    for call in (lambda: cluster_waveforms(waveforms, k), lambda: compare_methods(waveforms, k),
                 lambda: rank_scan(waveforms, [k]), lambda: pca_kmeans(waveforms, k)):
        with pytest.raises(InputError, match=message):
            call()
    if "flat" in message:  # a file of flat waveforms is refused as soon as it is read
        with pytest.raises(InputError, match=message):
            read_waveforms(csv_bytes("uid,0,1,2", *lines))
    else:
        assert read_waveforms(csv_bytes("uid,0,1,2", *lines)).waveforms.shape == waveforms.shape


@pytest.mark.parametrize("transform", ["shift", "per-sample shift", "split"])
def test_samples_at_the_magnitude_limit_survive_every_transform(transform):
    """A shift doubles the range; MAX_ABS_SAMPLE leaves room for it within factorize's float32 limit."""
    waveforms, _ = synthetic_spikes(n_per_unit=10, n_samples=30, random_state=2)
    scaled = waveforms / np.abs(waveforms).max() * spikes.MAX_ABS_SAMPLE
    result = cluster_waveforms(scaled, 3, transform=transform, random_state=0)
    assert np.isfinite(result.W).all() and np.isfinite(result.H).all()


def test_affordable_comparison_caps_both_fits_by_one_factor():
    assert spikes.affordable_comparison(1_000, 150, 4) == (500, 1000, None)
    work = spikes.affordable_comparison(20_000, 150, 8, max_iter=5_000, n_restarts=10)
    chosen, article = fit_cost(300, 20_000, 8, 5_000, 10), fit_cost(150, 20_000, 8, 1_000, 10)
    assert (work.max_iter, work.article_max_iter) == (94, 18)
    assert fit_cost(300, 20_000, 8, 94, 10) + fit_cost(150, 20_000, 8, 18, 10) <= MAX_FIT_COST
    assert work.note == (
        "For 20,000 waveforms of 150 samples at k = 8 with 10 restarts, 5,000 iterations (and 1,000 for the "
        f"article's recipe, fitted for comparison) would take about {(chosen + article) / MAX_FIT_COST:.0f}× what "
        "one request may use here; capped at 94 iterations (the article's recipe at 18).")
    # The article's own settings are fitted once: only their cost counts.
    recipe = spikes.affordable_comparison(20_000, 150, 8, transform="shift", solver="mu", assignment="argmax",
                                          init="random", max_iter=5_000, n_restarts=10)
    assert recipe.max_iter == 208 and "article" not in recipe.note


def test_compare_methods_runs_the_capped_iterations():
    waveforms, _ = synthetic_spikes(n_per_unit=15, n_samples=40, random_state=1)
    comparison = spikes.compare_methods(waveforms, 3, max_iter=7, n_restarts=1, article_max_iter=5)
    assert comparison.chosen.result.n_iter == 7 and comparison.article.result.n_iter == 5


def test_affordable_scan_caps_or_refuses():
    assert spikes.affordable_scan(1_000, 150) == (200, None)
    work = spikes.affordable_scan(20_000, 500, range(2, 9))  # sum of k: 35
    fits = 8 + spikes.PREDICTION_SPLITS * spikes.DEFAULT_RESTARTS  # the 8 runs, then the halvings' fits
    assert work.max_iter == 5 and fit_cost(1_000, 20_000, 35, 5, fits) <= MAX_FIT_COST < fit_cost(1_000, 20_000, 35, 6, fits)
    assert work.note.endswith("with 8 fits each and 2 halvings, 200 iterations would take about 34× what one "
                              "request may use here; capped at 5 iterations.")
    assert spikes.affordable_scan(20_000, 500).max_iter == 3  # the default scan, k = 2 … 10: sum of k 54
    with pytest.raises(InputError, match=r"100,000 waveforms of 2,000 samples.*even at one iteration per fit"):
        spikes.affordable_scan(100_000, 2_000)


def test_a_transposed_file_with_a_header_longer_than_the_csv_field_limit_is_read():
    """The header of 30,000 waveform ids is 200 kB: sniffing the delimiter must not trip csv's 128 kB field limit."""
    n = 30_000
    rows = ["sample," + ",".join(f"w{i}" for i in range(n))]
    rows += [f"{t}," + ",".join("0.5" if (i + t) % 3 else "-1" for i in range(n)) for t in range(3)]
    table = read_waveforms(csv_bytes(*rows), transposed=True)
    assert table.waveforms.shape == (n, 3) and table.ids[-1] == f"w{n - 1}"


# --------------------------------------------------------------------------
# multichannel rows, sampling rate and spike times from the file
# --------------------------------------------------------------------------


def channel_headers(channels: int, samples: int, pattern: str = "ch{c}_{t}") -> list[str]:
    return [pattern.format(c=c, t=t) for c in range(channels) for t in range(samples)]


@pytest.mark.parametrize(
    "headers, channels",
    [
        (channel_headers(4, 75), 4),
        (channel_headers(2, 30, "c{c}_t{t}"), 2),
        (channel_headers(8, 10, "e{c}_s{t}"), 8),
        ([str(t) for t in range(75)] * 4, 4),  # sample numbers that start again
        ([str(t) for t in range(150)], 1),
        ([f"{t * 0.04:.2f}" for t in range(75)], 1),  # times are numbers, not channel and sample
        (channel_headers(2, 10)[:-1] + ["ch1_x"], 1),  # one header breaks the pattern
        (channel_headers(2, 10) + channel_headers(1, 10), 1),  # channel 0 comes back: not blocks
        (channel_headers(2, 10)[:-2], 1),  # blocks of unequal length
        (channel_headers(2, 2), 1),  # too short to say
    ],
    ids=["ch0_0", "c1_t0", "e0_s0", "repeated numbers", "numbers", "times", "broken", "channel back", "unequal",
         "short"],
)
def test_channels_are_found_in_headers_that_repeat(headers, channels):
    assert spikes.channels_from_header(headers) == channels


def test_channel_counts_must_split_a_row_evenly():
    assert spikes.channel_options(150) == [1, 2, 3, 5, 6, 10, 15, 25, 30, 50]
    assert spikes.checked_channels(300, 4) == 4
    with pytest.raises(InputError, match=r"150 samples cannot be cut into 4 channels.*possible channel counts: 1, 2, 3"):
        spikes.checked_channels(150, 4)
    with pytest.raises(InputError, match="possible channel counts"):
        spikes.checked_channels(150, "two")
    blocks = spikes.channel_blocks(np.arange(24.0).reshape(2, 12), 3)
    assert blocks.shape == (2, 3, 4) and blocks[1, 2].tolist() == [20.0, 21.0, 22.0, 23.0]


def multichannel_csv(channels: int = 4, samples: int = 5, rows: int = 3, extra: str = "", cells=None) -> bytes:
    header = ",".join(["uid"] + channel_headers(channels, samples)) + ("," + extra if extra else "")
    lines = [header]
    for i in range(rows):
        values = [str((i + 1) * ((j % samples) - 2)) for j in range(channels * samples)]
        lines.append(",".join([f"s{i}"] + values + ([cells[i]] if cells else [])))
    return csv_bytes(*lines)


def test_the_reader_takes_the_channels_from_the_headers_and_says_so():
    table = read_waveforms(multichannel_csv(extra="unit", cells=["1", "2", "1"]))
    assert table.channels == 4 and table.waveforms.shape == (3, 20)
    assert table.label_columns == {"unit": ["1", "2", "1"]}
    assert len(table.inferred) == 1 and "4 channels of 5 samples" in table.inferred[0] and not table.notes
    assert read_waveforms(csv_bytes("uid,0,1,2", "a,0,-1,0", "b,0,-2,1")).channels == 1


def test_comment_lines_give_the_sampling_rate_and_channels_and_keep_row_numbers():
    table = read_waveforms(b"# fs=25000\n# channels=2\nuid,0,1,2,3,4,5\na,0,-1,0,0,-2,0\nb,0,-2,1,0,-1,1\n")
    assert table.sampling_rate == 25_000.0 and table.channels == 2 and table.ids == ["a", "b"]
    assert not table.inferred  # the file said so: nothing was guessed
    assert read_waveforms(b"# Sampling rate: 30 kHz\nuid,0,1,2\na,0,-1,0\nb,0,-2,1\n").sampling_rate == 30_000.0
    header_with_hash = read_waveforms(b"#,0,1,2\na,0,-1,0\nb,0,-2,1\n")  # '#' heads the id column: not a comment
    assert header_with_hash.ids == ["a", "b"] and header_with_hash.sampling_rate is None
    with pytest.raises(InputError, match=r"row 5"):  # the comment lines still count as rows
        read_waveforms(b"# fs=25000\n# made by hand\nuid,0,1,2\na,0,-1,0\nb,0,x,1\n")
    wrong = read_waveforms(b"# fs=0\n# channels=4\nuid,0,1,2\na,0,-1,0\nb,0,-2,1\n")
    assert wrong.sampling_rate is None and wrong.channels == 1 and len(wrong.notes) == 2


def test_a_sampling_rate_column_is_neither_a_sample_nor_a_label():
    table = read_waveforms(csv_bytes("uid,0,1,2,sampling_rate,unit", "a,0,-1,0,20000,1", "b,0,-2,1,20000,2"))
    assert table.sampling_rate == 20_000.0 and table.waveforms.shape == (2, 3) and list(table.label_columns) == ["unit"]
    mixed = read_waveforms(csv_bytes("uid,0,1,2,fs", "a,0,-1,0,20000", "b,0,-2,1,30000"))
    assert mixed.sampling_rate is None and "2 different sampling rates" in mixed.notes[0]


@pytest.mark.parametrize(
    "header, cells, seconds, guessed",
    [
        ("time_ms", ["1.5", "250"], [0.0015, 0.25], False),
        ("spike_time (s)", ["1.5", "250"], [1.5, 250.0], False),
        ("t", ["0.5", "61.25"], [0.5, 61.25], True),  # small values: seconds, said
        ("timestamp", ["12000", "61250"], [12.0, 61.25], True),  # large values: milliseconds, said
    ],
)
def test_spike_times_in_seconds_or_milliseconds(header, cells, seconds, guessed):
    for layout in ("after", "before"):  # after the samples (among the labels) or right after the ids
        if layout == "after":
            lines = [f"uid,0,1,2,{header},unit"] + [f"w{i},0,-1,{i},{cell},{i}" for i, cell in enumerate(cells)]
        else:
            lines = [f"uid,{header},0,1,2,unit"] + [f"w{i},{cell},0,-1,{i},{i}" for i, cell in enumerate(cells)]
        table = read_waveforms(csv_bytes(*lines))
        np.testing.assert_allclose(table.spike_times, seconds)
        assert table.waveforms.shape == (2, 3) and list(table.label_columns) == ["unit"], layout
        assert bool(table.inferred) == guessed
        if guessed:
            assert ("milliseconds" if float(cells[-1]) > 10_000 else "as seconds") in table.inferred[0]


def test_spike_sample_indices_become_times_with_the_sampling_rate():
    lines = ["uid,0,1,2,sample_index", "a,0,-1,0,250", "b,0,-2,1,1000"]
    unknown = read_waveforms(csv_bytes(*lines))
    assert unknown.spike_times is None and unknown.spike_samples.tolist() == [250.0, 1000.0]
    np.testing.assert_allclose(unknown.with_sampling_rate(25_000).spike_times, [0.01, 0.04])
    known = read_waveforms(b"# fs=25000\n" + csv_bytes(*lines))
    np.testing.assert_allclose(known.spike_times, [0.01, 0.04])
    with pytest.raises(InputError, match="sampling rate"):
        known.with_sampling_rate(5)


def test_a_time_column_with_text_is_left_out_with_a_note():
    table = read_waveforms(csv_bytes("uid,0,1,2,time", "a,0,-1,0,12:00", "b,0,-2,1,0.5"))
    assert table.spike_times is None and table.waveforms.shape == (2, 3) and table.label_columns == {}
    assert "Column 'time'" in table.notes[0] and "row 2" in table.notes[0]


def test_transposed_files_still_take_a_time_column_as_their_sample_axis():
    table = read_waveforms(csv_bytes("time,w1,w2", "0.0,1,2", "0.5,2,3", "1.0,0,1"), transposed=True)
    assert table.ids == ["w1", "w2"] and table.sample_names == ["0.0", "0.5", "1.0"] and table.spike_times is None


@pytest.mark.parametrize("text", [
    "uid,t,0,1,2,unit\na,0.5,0,-1,0.5,1\nb,1.5,0.1,-0.8,0.2,2\n",
    "uid,ch0_0,ch0_1,ch0_2,ch1_0,ch1_1,ch1_2,sample_index,fs\na,1,2,3,4,5,6,100,25000\nb,1,2,3,4,5,7,900,25000\n",
])
def test_fast_and_exact_readers_agree_on_described_columns(text):
    fast = spikes.csv_reader._plainly_parsed(text)
    exact = spikes.csv_reader._exactly_parsed(text, False)
    assert fast is not None
    np.testing.assert_array_equal(fast[2], exact[2])
    assert fast[0] == exact[0] and fast[1] == exact[1] and fast[3] == exact[3] and fast[5] == exact[5]


def test_the_realistic_sample_loads_with_its_channels_rate_times_and_truth():
    table = load_sample_spikes("realistic")
    assert table.waveforms.shape == (577, 300) and table.channels == 4 and table.sampling_rate == 25_000.0
    units = np.array(table.label_columns["unit"], dtype=int)
    assert list(table.label_columns) == ["unit"] and np.bincount(units).tolist() == [102, 105, 111, 132, 127]
    assert np.all(np.diff(table.spike_times) >= 0) and 0 < table.spike_times[-1] <= 30.0
    assert not table.notes
    with pytest.raises(InputError, match="no bundled spike file"):
        load_sample_spikes("missing")


def test_the_realistic_sample_is_what_its_script_makes():
    pytest.importorskip("spikeinterface")
    spec = importlib.util.spec_from_file_location("make_realistic_spikes", ROOT / "data" / "make_realistic_spikes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.header_lines() + module.recording_table().to_csv(index=False, lineterminator="\n")
    assert spikes.REALISTIC_SPIKES_CSV.read_bytes() == expected.encode("utf-8")
    assert spikes.REALISTIC_SPIKES_CSV.stat().st_size <= 1_000_000


def test_the_chosen_channels_reach_both_nmf_clusterings():
    waveforms, _ = synthetic_spikes(n_per_unit=10, n_samples=40, random_state=1)
    comparison = compare_methods(waveforms, 3, max_iter=20, n_restarts=1, channels=2)
    assert comparison.chosen.channels == comparison.article.channels == 2
    with pytest.raises(InputError, match="cannot be cut into 3 channels"):
        compare_methods(waveforms, 3, max_iter=20, n_restarts=1, channels=3)


# --------------------------------------------------------------------------
# confusion tables with clusters matched to the reference labels
# --------------------------------------------------------------------------


def test_a_perfect_clustering_reads_as_a_diagonal_whatever_its_numbers():
    reference = np.repeat(["10", "2", "9"], [3, 4, 5])
    labels = np.repeat([2, 0, 1], [3, 4, 5])
    table = spikes.matched_confusion_table(labels, reference, "unit")
    assert list(table.columns) == ["unit 2", "unit 9", "unit 10"]  # numbers in numeric order
    assert list(table.index) == ["cluster 0", "cluster 1", "cluster 2"]
    np.testing.assert_array_equal(table.to_numpy(), np.diag([4, 5, 3]))
    assert table.attrs["matched"] == {"cluster 0": "unit 2", "cluster 1": "unit 9", "cluster 2": "unit 10"}
    assert spikes.matched_accuracy(labels, reference) == 1.0


def test_matching_is_one_to_one_and_maximises_the_matched_waveforms():
    # greedy matching would give cluster 0 to 'a' (5) and leave cluster 1 with 'b' (1): 6 matched;
    # the assignment gives cluster 0 to 'b' (4) and cluster 1 to 'a' (4): 8 matched
    labels = [0] * 9 + [1] * 5
    reference = ["a"] * 5 + ["b"] * 4 + ["a"] * 4 + ["b"] * 1
    assert spikes.matched_clusters(labels, reference) == {0: "b", 1: "a"}
    assert spikes.matched_accuracy(labels, reference) == pytest.approx(8 / 14)
    table = spikes.matched_confusion_table(labels, reference)
    assert list(table.index) == ["cluster 1", "cluster 0"] and list(table.columns) == ["reference a", "reference b"]
    # more clusters than labels: the unmatched ones come last, largest first
    extra = spikes.matched_confusion_table([0, 0, 1, 2, 2, 2, 3], ["x", "x", "x", "y", "y", "y", "y"])
    assert list(extra.index) == ["cluster 0", "cluster 2", "cluster 1", "cluster 3"]
    assert extra.attrs["matched"] == {"cluster 0": "reference x", "cluster 2": "reference y"}


def test_quality_report_has_matched_tables_for_every_method(sample):
    waveforms, units = sample
    report = spikes.quality_report(compare_methods(waveforms[::5], 4, random_state=0), units[::5], "unit")
    assert sorted(report.confusion) == ["article", "baseline", "chosen"]
    chosen = report.confusion["chosen"]
    assert list(chosen.columns) == ["unit 0", "unit 1", "unit 2", "unit 3"] and chosen.to_numpy().sum() == 200
    diagonal = sum(chosen.at[row, column] for row, column in chosen.attrs["matched"].items())
    assert report.table["accuracy"].iloc[0] == pytest.approx(diagonal / 200)
    assert report.table["accuracy"].iloc[0] >= 0.9 and report.table["accuracy"].notna().all()
    assert spikes.quality_report(compare_methods(waveforms[::5], 4, random_state=0)).table["accuracy"].isna().all()


def test_cluster_summary_finds_the_best_channel_and_the_width_in_ms():
    table = load_sample_spikes("realistic")
    units = np.array(table.label_columns["unit"], dtype=int)
    summary = cluster_summary(table.waveforms, units).table(channels=4, sampling_rate=25_000)
    means = np.array([table.waveforms[units == u].mean(axis=0).reshape(4, 75) for u in range(5)])
    np.testing.assert_array_equal(summary["best_channel"], np.ptp(means, axis=2).argmax(axis=1))
    assert np.all(np.abs(summary["trough_ms"] - 1.0) <= 0.2)  # cut 1 ms before each spike's trough
    assert np.all((summary["trough_to_peak_ms"] > 0.1) & (summary["trough_to_peak_ms"] < 1.5))
