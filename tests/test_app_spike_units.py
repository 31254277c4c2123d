"""The Spike clustering page's way from clusters to units, run with AppTest:
the Units tab (ISI views with spike times, the column to add without), the
Curation tab (merge, undo, split preview, marks), exports that parse, the
session round trip, and NumPy uploads.

Uploads are 4 synthetic units × 30 spikes of 90 samples, so every fit takes
milliseconds.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from chart_json import decoded
from paths import ROOT
from streamlit.testing.v1 import AppTest

from app_pages import spike_curation as curation
from app_pages import spike_exports as exports
from app_pages import spike_pairs as pairs_tab
from app_pages import spike_units as units
from nnmf_core import spikes

PAGE = str(ROOT / "app_pages" / "spike_clustering.py")


@pytest.fixture(autouse=True)
def _fresh_caches():
    import streamlit as st

    st.cache_data.clear()
    yield


def waveforms_and_times():
    waveforms, units = spikes.synthetic_spikes(n_per_unit=30, n_samples=90, random_state=3)
    times = np.sort(np.random.default_rng(0).uniform(0.0, 90.0, units.size)).round(5)
    return waveforms, units, times


def spikes_csv(*, with_times: bool = True) -> bytes:
    waveforms, units, times = waveforms_and_times()
    header = "uid," + ",".join(map(str, range(waveforms.shape[1]))) + ",unit" + (",time" if with_times else "")
    rows = [f"w{i}," + ",".join(f"{v:.4f}" for v in row) + f",u{u}" + (f",{t}" if with_times else "")
            for i, (row, u, t) in enumerate(zip(waveforms, units, times))]
    return ("\n".join([header, *rows]) + "\n").encode()


def uploaded(data: bytes = b"", name: str = "spikes.csv") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.file_uploader(key="spike_upload").set_value((name, data or spikes_csv(), "text/csv"))
    return clean(at.run())


def clean(at: AppTest) -> AppTest:
    assert not at.exception, [item.value for item in at.exception]
    return at


def open_tab(at: AppTest, label: str) -> AppTest:
    at.session_state["spike_view"] = label
    return clean(at.run())


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(chart.proto.spec)["layout"].get("title", {}).get("text", "") for chart in at.get("plotly_chart")]


def panel_counts(at: AppTest) -> list[str]:
    figure = next(json.loads(chart.proto.spec) for chart in at.get("plotly_chart")
                  if json.loads(chart.proto.spec)["layout"].get("title", {}).get("text", "").startswith("All waveforms"))
    return [a["text"] for a in figure["layout"]["annotations"] if a["text"].startswith(("All", "Cluster"))]


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The one table on the page with ``column``."""
    tables = [frame.value for frame in at.dataframe if column in frame.value.columns]
    assert len(tables) == 1, f"{len(tables)} tables with {column!r}"
    return tables[0]


def history(at: AppTest) -> spikes.CurationHistory:
    return at.session_state[curation.CURATIONS_KEY][at.session_state[curation.CURRENT_KEY]]


def button(at: AppTest, key: str):
    return next(item for item in at.button if item.key == key)


def test_the_unit_table_leaves_out_an_estimate_no_cluster_could_give_and_says_why():
    quality = pd.DataFrame({"cluster": [0, 1], "n_spikes": [111, 630], "firing_rate_hz": [3.7, 7.68],
                            "isi_violations_ratio": [0.0, 0.377], "isi_violations_count": [0, 2],
                            "contamination": [0.0, 1.0], "contamination_low": [0.0, 0.02],
                            "contamination_high": [0.4, 1.0], "presence_ratio": [np.nan, np.nan],
                            "amplitude_median": [15.0, 127.0], "amplitude_cutoff": [np.nan, 0.012], "snr": [1.68, 13.3]})
    shown, config, left_out = units.unit_table_shown(quality)
    assert list(shown.columns) == [c for c in quality.columns if c != "presence_ratio"]  # a cut-off for one cluster stays
    assert left_out == ["presence (the recording is shorter than one 60 s bin)"]
    assert set(config) == set(quality.columns) and config["contamination"]["type_config"]["format"] == "percent"
    complete = quality.assign(presence_ratio=[1.0, 0.5], amplitude_cutoff=[np.nan, np.nan])
    shown, _, left_out = units.unit_table_shown(complete)
    assert "presence_ratio" in shown and "amplitude_cutoff" not in shown
    assert left_out == ["amplitude cut-off (no cluster has the 500 spikes it needs)"]


def test_the_unit_table_says_which_units_too_few_spikes_leave_open():
    quality = pd.DataFrame({"cluster": [0, 1, 2], "contamination_low": [0.0, 0.0, 0.02],
                            "contamination_high": [1.0, 0.3, 1.0]})
    assert "For 2 units (0, 2), the contamination's 95 % interval reaches 100 %" in units.contamination_note(quality)
    assert "For every unit" in units.contamination_note(quality.iloc[[0, 2]])
    assert "100 %" not in units.contamination_note(quality.iloc[[1]])
    assert units.contamination_range(quality.iloc[2]) == "2 – 100 %"
    assert units.contamination_range(pd.Series({"contamination_low": 0.004, "contamination_high": 0.123})) == "0.4 – 12 %"


def test_spike_times_show_the_isi_views_and_the_quality_table():
    at = open_tab(uploaded(), "Units")
    titles = chart_titles(at)
    assert any("intervals between spikes" in t for t in titles) and any("autocorrelogram" in t for t in titles)
    assert any("amplitude over the recording" in t for t in titles)
    assert {"Firing rate", "ISI violations", "Contamination"} <= {m.label for m in at.metric}
    table = table_with(at, "n_spikes")
    assert list(table["cluster"]) == [0, 1, 2, 3] and table["n_spikes"].sum() == 120
    contamination = next(m for m in at.metric if m.label == "Contamination")
    assert contamination.delta == units.contamination_range(table.iloc[0])  # the shown cluster's interval
    assert (table["contamination_low"] <= table["contamination"]).all()
    assert (table["contamination"] <= table["contamination_high"]).all()
    at.slider(key="spike_refractory_ms").set_value(3.0)
    clean(at.run())


def test_units_are_marked_by_a_quality_filter_with_the_users_thresholds():
    at = open_tab(uploaded(), "Units")
    verdict = table_with(at, "passes")
    assert verdict.columns.tolist() == ["cluster", "passes", "fails", "not_measured", "group"]
    assert (verdict["group"] == "unsorted").all()
    assert verdict["passes"].all() and (verdict["not_measured"] == "amplitude_cutoff").all()  # 30 spikes each
    assert button(at, "spike_filter_mua").disabled
    # 30 spikes in 90 s: no violation count could rule out contamination, and the page says so
    assert (table_with(at, "n_spikes")["contamination_high"] == 1).all()
    assert any(item.value.startswith("Every passing unit passes on violation counts too small to vouch for it")
               for item in at.caption)
    button(at, "spike_filter_good").click()
    clean(at.run())
    assert history(at).marks == {0: "good", 1: "good", 2: "good", 3: "good"} and history(at).position == 1
    assert (table_with(at, "passes")["group"] == "good").all()
    at.number_input(key="spike_filter_presence_ratio").set_value(1.0)  # strictly above 1: every unit fails
    clean(at.run())
    verdict = table_with(at, "passes")
    assert not verdict["passes"].any() and (verdict["fails"] == "presence_ratio > 1").all()
    assert button(at, "spike_filter_good").disabled
    button(at, "spike_filter_mua").click()
    clean(at.run())
    assert set(history(at).marks.values()) == {"mua"} and history(at).position == 2


def test_the_export_tab_offers_the_quality_metrics_the_units_tab_shows():
    at = open_tab(uploaded(), "Units")
    shown = table_with(at, "n_spikes")
    buttons = {item.label: item for item in open_tab(at, "Export and apply").get("download_button")}
    assert {"Quality metrics (CSV)", "Phy: metrics (.zip)", "Phy: templates.npy", "Session (.npz)"} <= set(buttons)
    assert not buttons["Quality metrics (CSV)"].proto.disabled and not buttons["Phy: metrics (.zip)"].proto.disabled
    table = spikes.read_waveforms(spikes_csv()).with_sampling_rate(30_000)
    quality = spikes.unit_quality_table(history(at).labels, table.spike_times, table.waveforms, 30_000, channels=1)
    pd.testing.assert_frame_equal(quality[shown.columns], shown)  # what the tab showed is what is exported
    exported = pd.read_csv(io.BytesIO(spikes.export_quality_csv(quality)))
    assert exported["cluster_id"].tolist() == shown["cluster"].tolist()
    assert exported["num_spikes"].tolist() == shown["n_spikes"].tolist()
    with zipfile.ZipFile(io.BytesIO(exports.zipped(spikes.export_phy_quality(quality)))) as archive:
        assert {"cluster_num_spikes.tsv", "cluster_firing_rate.tsv", "cluster_snr.tsv"} <= set(archive.namelist())
        snr = pd.read_csv(archive.open("cluster_snr.tsv"), sep="\t")
    assert np.allclose(snr.set_index("cluster_id")["snr"], shown.set_index("cluster")["snr"])
    # without spike times: the waveforms' half, still exported
    untimed = open_tab(uploaded(spikes_csv(with_times=False)), "Export and apply")
    assert not next(item for item in untimed.get("download_button") if item.label == "Quality metrics (CSV)").proto.disabled


def test_without_spike_times_the_units_tab_names_the_column_to_add():
    at = open_tab(uploaded(spikes_csv(with_times=False)), "Units")
    said = " ".join(item.value for item in at.info)
    assert "cannot be computed without spike times" in said and "time" in said
    assert not any("intervals" in t for t in chart_titles(at))
    # what the waveforms alone tell is still there, cluster by cluster
    assert any("Every unit, from its waveforms" in item.value for item in at.markdown)
    table = at.dataframe[-1].value
    assert list(table["cluster"]) == [0, 1, 2, 3] and table["n_spikes"].sum() == 120
    assert {"amplitude_median", "snr"} <= set(table.columns) and "firing_rate_hz" not in table.columns
    assert (table["snr"] > 1).all()


def test_a_suggested_pair_is_checked_by_its_cross_correlogram_and_merged():
    at = open_tab(uploaded(), "Curation")
    pairs = at.selectbox(key=pairs_tab.PAIR_KEY)
    assert len(pairs.options) >= 2
    assert any(t.startswith("Cross-correlogram: spikes of") for t in chart_titles(at))
    # 30 spikes per cluster in 90 s: chance puts almost no spikes of a pair within 1.5 ms
    assert any(item.value.startswith("Too few spikes to tell") for item in at.markdown)
    pairs.select_index(1)
    clean(at.run())
    chosen = tuple(int(word) for word in at.session_state[pairs_tab.PAIR_KEY].split()[1::2])  # "clusters a and b"
    assert any(t == f"Cross-correlogram: spikes of {chosen[1]} around those of {chosen[0]}" for t in chart_titles(at))
    assert f"Waveforms of {chosen[0]} and {chosen[1]} along the line between their means" in chart_titles(at)
    table = spikes.read_waveforms(spikes_csv())
    d_prime = spikes.merge_suggestions(table.waveforms, history(at).labels).d_prime
    clusters = list(np.unique(history(at).labels))
    shown = f"**d′ = {d_prime[clusters.index(chosen[0]), clusters.index(chosen[1])]:.2f}**"
    assert any(item.value.startswith(shown) for item in at.markdown)  # the suggestions' d′, on their pair
    merge = button(at, "spike_merge_top")
    assert merge.label == f"Merge {chosen[0]} and {chosen[1]}"
    merge.click()
    clean(at.run())
    assert history(at).actions == (spikes.Merge(tuple(sorted(chosen))),)
    assert at.selectbox(key=pairs_tab.PAIR_KEY).value is not None  # the merged pair is gone from the options


def test_without_spike_times_a_pair_can_still_be_merged():
    at = open_tab(uploaded(spikes_csv(with_times=False)), "Curation")
    assert len(at.selectbox(key=pairs_tab.PAIR_KEY).options) >= 1
    assert not any(t.startswith("Cross-correlogram") for t in chart_titles(at))
    assert any(t.startswith("Waveforms of") for t in chart_titles(at))  # the waveforms speak without times
    assert any("cross-correlogram" in item.value for item in at.caption)
    button(at, "spike_merge_top").click()
    clean(at.run())
    assert len(history(at).actions) == 1


def test_merge_then_undo_restores_the_counts_and_marks_reach_the_phy_files():
    at = open_tab(uploaded(), "Curation")
    before = panel_counts(at)
    at.multiselect(key=curation.MERGE_KEY).set_value([0, 1])
    clean(at.run())
    button(at, "spike_merge_go").click()
    clean(at.run())
    merged = panel_counts(at)
    assert merged[1].startswith("Cluster 0 (") and merged[2] == "Cluster 1 (0)"  # the merged-away cluster is empty
    assert history(at).position == 1
    button(at, "spike_undo").click()
    clean(at.run())
    assert panel_counts(at) == before
    button(at, "spike_redo").click()
    at.multiselect(key=curation.MARK_KEY).set_value([2])
    at.segmented_control(key=curation.GROUP_KEY).set_value("noise")
    clean(at.run())
    button(at, "spike_mark_go").click()
    clean(at.run())
    done = history(at)
    assert done.marks == {2: "noise"} and done.position == 2
    files = spikes.export_phy_files(done.labels, done.marks)
    groups = pd.read_csv(io.BytesIO(files["cluster_group.tsv"]), sep="\t")
    assert groups.set_index("cluster_id")["group"].to_dict() == {0: "unsorted", 2: "noise", 3: "unsorted"}
    clusters = np.load(io.BytesIO(files["spike_clusters.npy"]), allow_pickle=False)
    assert clusters.dtype == np.int32 and clusters.shape == (120,) and set(clusters.tolist()) == {0, 2, 3}
    labels = {item.label for item in open_tab(at, "Export and apply").get("download_button")}
    assert {"Phy: cluster_group.tsv", "Phy: spike_clusters.npy", "Session (.npz)"} <= labels


def test_split_shows_a_preview_then_accept_adds_a_cluster():
    at = open_tab(uploaded(), "Curation")
    at.selectbox(key=curation.SPLIT_KEY).set_value(0)
    button(at, "spike_split_go").click()
    clean(at.run())
    preview = next(json.loads(chart.proto.spec) for chart in at.get("plotly_chart")
                   if "split at k = 2" in json.loads(chart.proto.spec)["layout"].get("title", {}).get("text", ""))
    unit = at.session_state["spike_unit"]  # the page's amplitude unit, as on every other waveform panel
    assert preview["layout"]["yaxis"]["title"]["text"] == f"amplitude ({unit})"
    button(at, "spike_split_accept").click()
    clean(at.run())
    assert len(panel_counts(at)) == 1 + 5
    assert not any("split at k = 2" in t for t in chart_titles(at))


def test_unassigned_waveforms_leave_the_panels_and_the_quality_table():
    at = open_tab(uploaded(), "Curation")
    assert any("How well the fit explains" in t for t in chart_titles(at))
    at.toggle(key=curation.UNASSIGN_KEY).set_value(True)
    clean(at.run())
    slider = next(item for item in at.slider if item.key.startswith("spike_residual_"))
    slider.set_value(slider.min)  # the median residual: about half the waveforms out
    clean(at.run())
    shown = int(panel_counts(at)[0].split("(")[1].rstrip(")"))
    assert 40 <= shown < 120 and any("unassigned waveform" in item.value for item in at.caption)
    table = table_with(open_tab(at, "Units"), "n_spikes")
    assert table["n_spikes"].sum() == shown


def test_a_changed_fit_sets_the_curation_aside_and_says_so():
    at = open_tab(uploaded(), "Curation")
    at.multiselect(key=curation.MERGE_KEY).set_value([0, 1])
    clean(at.run())
    button(at, "spike_merge_go").click()
    clean(at.run())
    at.number_input(key="spike_seed").set_value(5)
    at.form_submit_button[0].click()
    clean(at.run())
    assert any("set aside" in item.value for item in at.info)
    assert history(at).position == 0
    at.number_input(key="spike_seed").set_value(0)
    at.form_submit_button[0].click()
    clean(at.run())
    assert history(at).position == 1 and any("are back" in item.value for item in at.success)


def test_a_saved_session_uploaded_again_restores_the_curation():
    data = spikes_csv()
    at = open_tab(uploaded(data), "Curation")
    at.multiselect(key=curation.MERGE_KEY).set_value([2, 3])
    clean(at.run())
    button(at, "spike_merge_go").click()
    curated = panel_counts(clean(at.run()))
    saved = history(at)
    table = spikes.read_spike_file("spikes.csv", data)
    session = spikes.export_session(spikes.waveforms_digest(table.waveforms), {}, np.ones((180, 4)),
                                    np.ones((4, 120)), saved)

    again = open_tab(uploaded(data), "Export and apply")
    assert history(again).position == 0
    again.file_uploader(key=exports.SESSION_KEY).set_value(("session.npz", session, "application/octet-stream"))
    clean(again.run())
    assert history(again).labels.tolist() == saved.labels.tolist()
    assert panel_counts(again) == curated
    assert any("Session resumed" in item.value for item in again.success)


def test_npy_and_npz_uploads_are_clustered():
    waveforms, units, times = waveforms_and_times()
    buffer = io.BytesIO()
    np.save(buffer, waveforms)
    at = uploaded(buffer.getvalue(), "spikes.npy")
    assert panel_counts(at)[0] == "All waveforms (120)"
    buffer = io.BytesIO()
    np.savez(buffer, waveforms=waveforms, spike_times=times, labels=units)
    at = open_tab(uploaded(buffer.getvalue(), "spikes.npz"), "Units")
    assert any("intervals between spikes" in t for t in chart_titles(at))


def test_new_data_is_assigned_with_the_templates_held_fixed():
    data = spikes_csv()
    at = open_tab(uploaded(data), "Export and apply")
    at.file_uploader(key=exports.NEW_DATA_KEY).set_value(("later.csv", data, "text/csv"))
    clean(at.run())
    assert any("later.csv: waveforms per cluster" in t for t in chart_titles(at))
    assert "Their labels and weights (CSV)" in {item.label for item in at.get("download_button")}


def test_an_aligned_fit_applied_to_its_own_recording_gives_back_its_cluster_sizes():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="spike_example").set_value("realistic").run()
    data = (ROOT / "data" / "spikes_realistic.csv").read_bytes()
    at = open_tab(clean(at), "Export and apply")
    at.file_uploader(key=exports.NEW_DATA_KEY).set_value(("later.csv", data, "text/csv"))
    clean(at.run())
    sizes = next(json.loads(chart.proto.spec) for chart in at.get("plotly_chart")
                 if "later.csv" in json.loads(chart.proto.spec)["layout"]["title"]["text"])
    counts = sorted(int(v) for trace in sizes["data"] for v in np.atleast_1d(decoded(trace["y"])))
    fitted = sorted(int(n.split("(")[1].rstrip(")")) for n in panel_counts(at)[1:])
    # the same waveforms, aligned to the mean of the fit's aligned waveforms, fall into clusters of the fitted sizes
    assert sum(abs(a - b) for a, b in zip(counts, fitted)) <= 0.05 * 577
