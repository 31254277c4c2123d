"""Carrying curated units away: the labels CSV with curated labels, Phy's
files, templates as .npy, and the one-file session that reads back
(nnmf_core.spikes export and session_file). Every file is parsed back with
pandas or np.load(allow_pickle=False)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from nnmf_core.errors import InputError
from nnmf_core.spikes import (
    UNASSIGNED,
    CurationHistory,
    Split,
    curated_groups,
    export_assignments_csv,
    export_phy_files,
    export_phy_quality,
    export_quality_csv,
    export_session,
    export_templates_csv,
    export_templates_npy,
    phy_cluster_ids,
    read_session_file,
    waveforms_digest,
)


def load_npy(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def test_labels_csv_carries_cluster_curated_label_and_weights():
    H = np.arange(10.0).reshape(2, 5)
    data = export_assignments_csv(["a", "=b", "c", "d", "e"], [0, 1, UNASSIGNED, 2, 0], H, marks={0: "good", 2: "noise"})
    frame = pd.read_csv(io.BytesIO(data), dtype={"id": str})
    assert frame.columns.tolist() == ["id", "cluster", "curated_label", "weight_0", "weight_1"]
    assert frame["curated_label"].tolist() == ["good", "unsorted", "unassigned", "noise", "good"]
    assert frame["cluster"].tolist() == [0, 1, -1, 2, 0] and frame["id"][1] == "'=b"
    assert np.allclose(frame[["weight_0", "weight_1"]].to_numpy(), H.T)
    plain = pd.read_csv(io.BytesIO(export_assignments_csv(["a", "b"], [0, 1], np.eye(2))))
    assert plain.columns.tolist() == ["id", "cluster", "weight_0", "weight_1"]  # without marks, as before
    with pytest.raises(InputError, match="marks are good, mua, noise"):
        export_assignments_csv(["a"], [0], np.ones((1, 1)), marks={0: "great"})
    with pytest.raises(InputError, match="one label and one column of H per id"):
        export_assignments_csv(["a", "b"], [0], np.ones((1, 2)))


def test_curated_groups():
    assert curated_groups([0, 1, -1], {0: "mua"}) == ["mua", "unsorted", "unassigned"]


def test_phy_files_parse_and_give_the_unassigned_their_own_cluster():
    labels = np.array([0, 2, UNASSIGNED, 2, 5, UNASSIGNED])
    files = export_phy_files(labels, {2: "good", 5: "noise"})
    assert set(files) == {"spike_clusters.npy", "cluster_group.tsv"}
    clusters = load_npy(files["spike_clusters.npy"])
    assert clusters.dtype == np.int32 and clusters.tolist() == [0, 2, 6, 2, 5, 6]
    groups = pd.read_csv(io.BytesIO(files["cluster_group.tsv"]), sep="\t")
    assert groups.columns.tolist() == ["cluster_id", "group"]
    assert dict(zip(groups["cluster_id"], groups["group"])) == {0: "unsorted", 2: "good", 5: "noise", 6: "unsorted"}
    assert phy_cluster_ids([0, 1]).tolist() == [0, 1]
    assert phy_cluster_ids([-1, -1]).tolist() == [0, 0]
    with pytest.raises(InputError, match="≥ −1"):
        phy_cluster_ids([0, -3])


def test_quality_metrics_as_csv_and_as_phy_columns():
    quality = pd.DataFrame({"cluster": [0, 2, 5], "n_spikes": [120, 40, 7], "firing_rate_hz": [4.0, 1.3333, 0.2333],
                            "isi_violations_count": [0, 3, 0], "presence_ratio": [1.0, 0.5, np.nan],
                            "amplitude_cutoff": [np.nan, np.nan, np.nan], "snr": [12.5, 3.25, 1.5]})
    table = pd.read_csv(io.BytesIO(export_quality_csv(quality)))
    assert table.columns.tolist() == ["cluster_id", "num_spikes", "firing_rate", "isi_violations_count",
                                      "presence_ratio", "amplitude_cutoff", "snr"]  # SpikeInterface's names
    assert table["cluster_id"].tolist() == [0, 2, 5] and table["num_spikes"].tolist() == [120, 40, 7]
    assert np.isnan(table["presence_ratio"][2]) and table["amplitude_cutoff"].isna().all()  # empty cells
    files = export_phy_quality(quality)
    # one column file per metric, none for a metric no cluster has; a cluster without the metric left out
    assert set(files) == {"cluster_num_spikes.tsv", "cluster_firing_rate.tsv", "cluster_isi_violations_count.tsv",
                          "cluster_presence_ratio.tsv", "cluster_snr.tsv"}
    presence = pd.read_csv(io.BytesIO(files["cluster_presence_ratio.tsv"]), sep="\t")
    assert presence.columns.tolist() == ["cluster_id", "presence_ratio"] and presence["cluster_id"].tolist() == [0, 2]
    snr = pd.read_csv(io.BytesIO(files["cluster_snr.tsv"]), sep="\t")
    assert dict(zip(snr["cluster_id"], snr["snr"])) == {0: 12.5, 2: 3.25, 5: 1.5}
    for empty in (pd.DataFrame({"cluster": []}), pd.DataFrame({"n": [1]}), None):
        with pytest.raises(InputError, match="at least one cluster"):
            export_quality_csv(empty)


def test_templates_as_npy_in_phy_layout_and_as_csv():
    templates = np.arange(24.0).reshape(2, 12)  # 2 templates, 3 channels × 4 samples
    cube = load_npy(export_templates_npy(templates, channels=3))
    assert cube.shape == (2, 4, 3) and cube.dtype == np.float32
    assert cube[1, :, 2].tolist() == templates[1, 8:12].tolist()
    assert load_npy(export_templates_npy(templates)).shape == (2, 12, 1)
    frame = pd.read_csv(io.BytesIO(export_templates_csv(templates.T)))
    assert frame.shape == (12, 3)
    with pytest.raises(InputError, match="channels"):
        export_templates_npy(templates, channels=5)
    with pytest.raises(InputError, match="finite 2-D"):
        export_templates_npy(np.ones(3))


# ---------------------------------------------------------------- session


@pytest.fixture
def session_parts():
    rng = np.random.default_rng(0)
    waveforms = rng.normal(size=(8, 6))
    W, H = rng.random((12, 3)).astype(np.float32), rng.random((3, 8)).astype(np.float32)
    history = (CurationHistory.start([0, 0, 1, 1, 2, 2, -1, 0]).merge([1, 2]).mark([0], "good")
               .apply(Split(0, (1,), 3)).undo())
    settings = {"k": 3, "transform": "split", "thresholds": {"residual": 0.4}}
    return waveforms, W, H, history, settings


def test_session_round_trip(session_parts):
    waveforms, W, H, history, settings = session_parts
    digest = waveforms_digest(waveforms)
    data = export_session(digest, settings, W, H, history)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # plain arrays, each readable without pickle
        for name in archive.namelist():
            np.lib.format.read_array(archive.open(name), allow_pickle=False)
    session = read_session_file(data, digest)
    assert session.settings == settings and session.waveforms_digest == digest
    assert np.array_equal(session.W, W) and session.W.dtype == np.float32 and np.array_equal(session.H, H)
    assert np.array_equal(session.labels, history.labels) and session.history.marks == history.marks
    assert session.history.actions == history.actions and session.history.position == history.position
    assert np.array_equal(session.history.redo().labels, history.redo().labels)  # what was undone can be redone
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        assert str(stored["waveforms_sha256"]) == digest


def test_digest_depends_on_the_numbers_not_on_the_file():
    X = np.arange(6.0).reshape(2, 3)
    assert waveforms_digest(X) == waveforms_digest(X.astype(np.float32)) == waveforms_digest(X.tolist())
    assert waveforms_digest(X) != waveforms_digest(X.reshape(3, 2))
    other = X.copy()
    other[0, 0] = 1e-12
    assert waveforms_digest(X) != waveforms_digest(other)


def test_session_for_other_waveforms_is_refused(session_parts):
    waveforms, W, H, history, settings = session_parts
    data = export_session(waveforms_digest(waveforms), settings, W, H, history)
    with pytest.raises(InputError, match="saved for other waveforms"):
        read_session_file(data, waveforms_digest(waveforms + 1))


def rewritten(data: bytes, **changes) -> bytes:
    """The session with some arrays replaced (None drops one)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    for key, value in changes.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_damaged_or_foreign_session_files_are_refused(session_parts):
    waveforms, W, H, history, settings = session_parts
    digest = waveforms_digest(waveforms)
    data = export_session(digest, settings, W, H, history)
    bad = {
        "not an .npz": b"plain text",
        "lacks history_json": rewritten(data, history_json=None),
        "does not lead to its saved labels": rewritten(data, labels=np.zeros(8, dtype=np.int64)),
        "do not belong together": rewritten(data, H=np.ones((3, 7))),
        "Python objects": rewritten(data, W=np.array([object(), 1], dtype=object)),
        "format 2": rewritten(data, format=np.int64(2)),
        "not valid JSON": rewritten(data, settings_json=np.str_("{")),
        "must be a JSON object": rewritten(data, settings_json=np.str_("[1]")),
        "one piece of text": rewritten(data, history_json=np.array(["a", "b"])),
        "never holds": rewritten(data, fit_labels=np.zeros((2, 4), dtype=np.int64)),
    }
    for message, damaged in bad.items():
        with pytest.raises(InputError, match=message):
            read_session_file(damaged, digest)
    with pytest.raises(InputError, match="cannot be written as JSON"):
        export_session(digest, {"array": np.ones(2)}, W, H, history)
    with pytest.raises(InputError, match="do not belong together"):
        export_session(digest, settings, W, H[:, :5], history)
