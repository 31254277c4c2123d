"""The Spike clustering page, run headless with Streamlit's AppTest.

Uploads are built here from the synthetic generator (4 units × 30 spikes of
90 samples), so every fit takes milliseconds; one test renders the defaults
(the bundled sample) and one the shared real recording when it is present.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from paths import APP, ROOT, SHARED_DATA
from streamlit.testing.v1 import AppTest

from nnmf_core.spikes import synthetic_spikes

PAGE = str(ROOT / "app_pages" / "spike_clustering.py")
TC_WAVEFORMS = SHARED_DATA / "TC_waveforms.csv"
ORGANOIDS = ["alpha", "beta", "gamma", "delta"]


def fresh() -> AppTest:
    """The page after its first run (with the bundled sample)."""
    return AppTest.from_file(PAGE, default_timeout=60).run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [item.value for item in at.exception]


def metric(at: AppTest, label: str) -> str:
    return next(item.value for item in at.metric if item.label == label)


def figures_shown(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def panels(at: AppTest) -> list[str]:
    """Panel titles of the waveforms-by-cluster figure."""
    figure = next(f for f in figures_shown(at)
                  if f["layout"].get("title", {}).get("text", "").startswith("All waveforms"))
    return [annotation["text"] for annotation in figure["layout"]["annotations"]]


def decoded(array) -> np.ndarray:
    """A trace array from a figure's JSON (plain list, or plotly's base64 typed array)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
    return np.asarray(array, dtype=float)


def reference_box(at: AppTest):
    return next(box for box in at.selectbox if box.label == "Reference labels")


def open_tab(at: AppTest, label: str) -> AppTest:
    at.session_state["spike_view"] = label
    return at.run()


def submit_rank(at: AppTest, rank: int) -> AppTest:
    at.number_input(key="spike_rank").set_value(rank)
    at.form_submit_button[0].click()
    return at.run()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="spike_upload").set_value((name, data, "text/csv"))
    return at.run()


def spikes_csv(*, transposed: bool = False, label: bool = True) -> bytes:
    """120 waveforms (4 units × 30) of 90 samples: uid, 0 … 89[, organoid]."""
    waveforms, units = synthetic_spikes(n_per_unit=30, n_samples=90, random_state=3)
    ids = [f"TC{i:03d}_{ORGANOIDS[u][0].upper()}" for i, u in enumerate(units)]
    if transposed:
        lines = ["sample," + ",".join(ids)]
        lines += [f"{j}," + ",".join(f"{v:.4f}" for v in waveforms[:, j]) for j in range(waveforms.shape[1])]
    else:
        lines = ["uid," + ",".join(map(str, range(waveforms.shape[1]))) + (",organoid" if label else "")]
        lines += [f"{i}," + ",".join(f"{v:.4f}" for v in row) + (f",{ORGANOIDS[u]}" if label else "")
                  for i, row, u in zip(ids, waveforms, units)]
    return ("\n".join(lines) + "\n").encode()


def test_defaults_render_one_panel_per_cluster_with_the_sample_truth():
    at = fresh()
    assert_clean(at)
    assert not at.error
    assert at.number_input(key="spike_rank").value == 4
    assert "1,000 waveforms × 150 samples" in at.text[0].value
    assert panels(at) == ["All waveforms (1,000)"] + [f"Cluster {c} ({n})" for c, n in
                                                      enumerate([251, 251, 249, 249])]
    assert reference_box(at).value == "unit"
    assert float(metric(at, "ARI vs reference")) >= 0.95  # the bundled units, found again
    figure = next(f for f in figures_shown(at) if f["layout"]["title"]["text"].startswith("All waveforms"))
    lines = [trace for trace in figure["data"] if trace["name"].startswith("cluster ")]
    assert [trace["type"] for trace in lines] == ["scattergl"] * 4  # one WebGL trace per cluster
    assert np.isnan(decoded(lines[0]["y"])).sum() == 251  # NaN-separated waveforms
    labels = [button.label for button in at.get("download_button")]
    assert labels == ["Clusters and weights (CSV)", "Templates (CSV)"]
    assert [tab.label for tab in at.tabs] == ["Templates and weights", "Quality and baseline", "Non-negativity",
                                              "Rank suggestion"]


def test_changing_the_rank_changes_the_panels():
    at = upload(fresh(), "spikes.csv", spikes_csv())
    assert len(panels(at)) == 5
    submit_rank(at, 3)
    assert_clean(at)
    assert [title.split(" (")[0] for title in panels(at)] == ["All waveforms", "Cluster 0", "Cluster 1", "Cluster 2"]
    assert sum(int(title.split("(")[1].rstrip(")")) for title in panels(at)[1:]) == 120


def test_organoid_layout_upload_detects_the_label_column_as_reference():
    at = upload(fresh(), "organoids.csv", spikes_csv())
    assert_clean(at)
    assert at.text[0].value == "Uploaded file: organoids.csv\n120 waveforms × 90 samples"
    box = reference_box(at)
    assert box.options == ["none", "organoid"] and box.value == "organoid"
    assert float(metric(at, "ARI vs reference")) >= 0.9  # the organoid names follow the units here
    open_tab(at, "Quality and baseline")
    assert_clean(at)
    table = at.dataframe[0].value
    assert table["method"].tolist()[2] == "PCA (3 components) + k-means"
    assert table["ari"].notna().all()
    assert "The article's recipe" in " ".join(item.value for item in at.markdown)
    confusion = at.dataframe[1].value
    assert sorted(confusion.columns) == sorted(ORGANOIDS) and confusion.to_numpy().sum() == 120
    reference_box(at).select_index(0).run()  # "none"
    assert metric(at, "ARI vs reference") == "—"
    assert at.dataframe[0].value["ari"].isna().all()


def test_transposed_toggle_reads_one_waveform_per_column():
    at = upload(fresh(), "columns.csv", spikes_csv(transposed=True))
    assert "90 waveforms × 120 samples" in at.text[0].value  # read the wrong way round
    at.toggle(key="spike_transposed").set_value(True).run()
    assert_clean(at)
    assert "120 waveforms × 90 samples" in at.text[0].value
    assert panels(at)[0] == "All waveforms (120)"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"uid,0,1,2\na,1,2,3\nb,1,x,3\n", "not a number"),
        (b"uid\na\nb\n", "Only one column"),
        (b"", "empty"),
    ],
    ids=["text-in-a-sample", "one-column", "empty-file"],
)
def test_bad_csvs_show_an_error_and_the_page_stays_usable(data, message):
    at = upload(fresh(), "bad.csv", data)
    assert_clean(at)
    assert len(at.error) == 1 and message in at.error[0].value
    assert at.form_submit_button[0].label == "Cluster"  # the controls are still there
    upload(at, "good.csv", spikes_csv())
    assert_clean(at)
    assert not at.error and len(panels(at)) == 5


def test_a_rank_larger_than_the_data_is_an_error_not_a_traceback():
    at = upload(fresh(), "three.csv", b"uid,0,1,2\na,0,-1,0\nb,0,-2,1\nc,1,-1,0\n")
    assert_clean(at)
    assert "Cannot form 4 clusters from 3 waveforms" in at.error[0].value


def test_file_names_and_ids_are_shown_as_plain_text():
    name = "**bold** <b>x</b> [link](http://example.com).csv"
    data = b"uid,0,1,2\n=1+1,0,-1,0.5\n=1+1,0,-0.8,0.1\n*x*,0,-0.5,0.2\n_y_,0.1,-1,0\n"
    at = upload(fresh(), name, data)
    submit_rank(at, 2)
    assert_clean(at)
    assert at.text[0].value.startswith(f"Uploaded file: {name}\n")
    warning = at.warning[0].value
    assert "more than once" in warning and r"'?1\+1' \(2×\)" in warning  # markdown escaped: shown as typed


def test_every_tab_renders_its_figures():
    at = upload(fresh(), "spikes.csv", spikes_csv())
    titles = [f["layout"]["title"]["text"] for f in figures_shown(at)]
    assert "Templates: the columns of W" in titles and "H: the weight of every template in every waveform" in titles
    assert "Cluster sizes" in titles and any(t.startswith("Waveforms in PCA space") for t in titles)
    at.get_by_key("spike_space").set_value("H space").run()
    assert_clean(at)
    assert any(f["layout"]["title"]["text"] == "Waveforms in H space, coloured by NMF cluster"
               for f in figures_shown(at))
    open_tab(at, "Non-negativity")
    assert_clean(at)
    titles = [f["layout"]["title"]["text"] for f in figures_shown(at)]
    assert "What NMF sees: 40 waveforms before and after" in titles
    assert "Templates: the columns of W" not in titles  # the closed tab is not built


def test_rank_scan_suggests_k_and_its_button_applies_it():
    at = upload(fresh(), "spikes.csv", spikes_csv())
    submit_rank(at, 3)
    open_tab(at, "Rank suggestion")
    assert_clean(at)
    scan = next(f for f in figures_shown(at) if f["layout"]["title"]["text"].startswith("Which k?"))
    assert scan["layout"]["title"]["text"] == "Which k? The scan suggests k = 4"
    assert at.dataframe[0].value["k"].tolist() == list(range(2, 9))
    button = at.button(key="spike_use_rank")
    assert button.label == "Use k = 4"
    button.click().run()
    assert_clean(at)
    assert at.number_input(key="spike_rank").value == 4
    assert len(panels(at)) == 5
    assert at.success[0].value == "k = 4 is the rank in use."
    assert any(item.value.startswith("k = 4 is the largest k whose two closest clusters") for item in at.markdown)


@pytest.mark.skipif(not TC_WAVEFORMS.exists(), reason=f"{TC_WAVEFORMS} is absent (the shared reference data is "
                    "not checked out next to the project)")
def test_the_real_organoid_recording_is_clustered():
    at = upload(fresh(), "TC_waveforms.csv", TC_WAVEFORMS.read_bytes())
    assert_clean(at)
    assert not at.error
    assert "181 waveforms × 120 samples" in at.text[0].value
    assert reference_box(at).value == "" and metric(at, "ARI vs reference") == "—"
    titles = panels(at)
    assert len(titles) == 5 and sum(int(t.split("(")[1].rstrip(")")) for t in titles[1:]) == 181
    assert float(metric(at, "Silhouette")) > 0


def test_the_rank_survives_a_visit_to_the_compression_page():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/spike_clustering.py").run()
    submit_rank(at, 5)
    at.switch_page("app_pages/compression.py").run()
    assert_clean(at)
    assert at.number_input(key="rank").value == 20  # the compression page keeps its own rank
    at.switch_page("app_pages/spike_clustering.py").run()
    assert_clean(at)
    assert at.number_input(key="spike_rank").value == 5
