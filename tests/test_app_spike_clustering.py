"""The Spike clustering page, run headless with Streamlit's AppTest.

Uploads are built here from the synthetic generator (4 units × 30 spikes of
90 samples), so every fit takes milliseconds; some tests render the defaults
(the bundled sample), one the bundled 4-channel recording, and one the shared
real recording when it is present.
"""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest
from chart_json import decoded
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
    """Panel titles of the waveforms-by-cluster figure ('All waveforms (n)', 'Cluster c (n)'; not the channel names)."""
    figure = next(f for f in figures_shown(at)
                  if f["layout"].get("title", {}).get("text", "").startswith("All waveforms"))
    return [annotation["text"] for annotation in figure["layout"]["annotations"] if "(" in annotation["text"]]


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


def spikes_csv(*, transposed: bool = False, label: bool = True, random_state: int = 3) -> bytes:
    """120 waveforms (4 units × 30) of 90 samples: uid, 0 … 89[, organoid]."""
    waveforms, units = synthetic_spikes(n_per_unit=30, n_samples=90, random_state=random_state)
    ids = [f"TC{i:03d}_{ORGANOIDS[u][0].upper()}" for i, u in enumerate(units)]
    if transposed:
        lines = ["sample," + ",".join(ids)]
        lines += [f"{j}," + ",".join(f"{v:.4f}" for v in waveforms[:, j]) for j in range(waveforms.shape[1])]
    else:
        lines = ["uid," + ",".join(map(str, range(waveforms.shape[1]))) + (",organoid" if label else "")]
        lines += [f"{i}," + ",".join(f"{v:.4f}" for v in row) + (f",{ORGANOIDS[u]}" if label else "")
                  for i, row, u in zip(ids, waveforms, units)]
    return ("\n".join(lines) + "\n").encode()


def panels_figure(at: AppTest) -> dict:
    return next(f for f in figures_shown(at) if f["layout"]["title"]["text"].startswith("All waveforms"))


def test_defaults_render_one_panel_per_cluster_with_the_sample_truth():
    at = fresh()
    assert_clean(at)
    assert not at.error
    assert at.number_input(key="spike_rank").value == 4
    assert "1,000 waveforms × 150 samples" in at.text[0].value
    titles = panels(at)
    assert titles[0] == "All waveforms (1,000)" and len(titles) == 5
    assert sum(int(title.split("(")[1].rstrip(")")) for title in titles[1:]) == 1000
    assert all(240 <= int(title.split("(")[1].rstrip(")")) <= 260 for title in titles[1:])  # 250 spikes per unit
    assert reference_box(at).value == "unit"
    assert float(metric(at, "ARI vs reference")) >= 0.95  # the bundled units, found again
    figure = panels_figure(at)
    images = [trace for trace in figure["data"] if trace["type"] == "heatmap"]
    assert [trace["name"] for trace in images] == ["density of all waveforms"] + [f"density of cluster {c}"
                                                                                   for c in range(4)]
    assert {trace["z"]["dtype"] for trace in images} == {"u1"}  # one uint8 density image per panel
    assert not [trace for trace in figure["data"] if trace["type"] == "scattergl"]
    assert figure["layout"]["xaxis"]["title"]["text"] == "time (ms)"
    assert figure["layout"]["yaxis"]["title"]["text"] == "amplitude (µV)"
    labels = [button.label for button in at.get("download_button")]
    assert labels == ["Clusters and weights (CSV)", "Templates (CSV)"]
    assert [tab.label for tab in at.tabs] == ["Templates and weights", "Quality and baseline", "Non-negativity",
                                              "Rank suggestion", "Units", "Curation", "Export and apply"]


def test_changing_the_rank_changes_the_panels():
    at = upload(fresh(), "spikes.csv", spikes_csv())
    assert len(panels(at)) == 5
    submit_rank(at, 3)
    assert_clean(at)
    assert [title.split(" (")[0] for title in panels(at)] == ["All waveforms", "Cluster 0", "Cluster 1", "Cluster 2"]
    assert sum(int(title.split("(")[1].rstrip(")")) for title in panels(at)[1:]) == 120


def test_every_rank_the_scan_can_suggest_can_be_used_and_has_colours_of_its_own():
    at = fresh()  # the bundled 1,000 waveforms: enough for 10 clusters
    submit_rank(at, 10)
    assert_clean(at)
    assert at.number_input(key="spike_rank").value == 10
    assert [title.split(" (")[0] for title in panels(at)][1:] == [f"Cluster {c}" for c in range(10)]
    scales = [trace["colorscale"][-1][1] for trace in panels_figure(at)["data"] if trace["type"] == "heatmap"]
    assert len(set(scales[1:])) == 10  # the all-waveforms panel, then one colour per cluster


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
    assert table.columns.tolist() == ["method", "silhouette", "stability", "ari", "accuracy"]
    confusions = [frame.value for frame in at.dataframe[1:]]
    assert len(confusions) == 3  # NMF as chosen, the article's recipe, PCA + k-means
    for confusion in confusions:
        assert sorted(confusion.columns) == sorted(f"organoid {name}" for name in ORGANOIDS)
        assert confusion.to_numpy().sum() == 120
    # matched to the organoids (named on the columns), the chosen clusters read as a diagonal
    chosen = confusions[0].to_numpy()
    assert np.trace(chosen) >= 0.95 * 120 and 100 * np.trace(chosen) / 120 == pytest.approx(table["accuracy"][0])  # shown in %
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
    # a draw whose suggestion is unsure (4, naming 5) and whose k = 10 spends a cluster on a few waveforms
    at = upload(fresh(), "spikes.csv", spikes_csv(random_state=4))
    submit_rank(at, 3)
    open_tab(at, "Rank suggestion")
    assert_clean(at)
    scan = next(f for f in figures_shown(at) if f["layout"]["title"]["text"].startswith("Which k?"))
    assert scan["layout"]["title"]["text"] == "Which k? The scan suggests k = 4"
    assert at.dataframe[0].value["k"].tolist() == list(range(2, 11))
    button = at.button(key="spike_use_rank")
    assert button.label == "Use k = 4"
    button.click().run()
    assert_clean(at)
    assert at.number_input(key="spike_rank").value == 4
    assert len(panels(at)) == 5
    assert at.success[0].value == "k = 4 is the rank in use."
    assert any("Prediction strength: it falls the most after k = 4" in item.value for item in at.markdown)
    assert any("Set aside as too few for a unit: k = 10, where the smallest cluster holds only" in item.value
               for item in at.markdown)
    other = at.button(key="spike_try_rank_5")  # the suggestion is unsure, naming 5: one click away
    assert other.label == "Try k = 5"
    other.click().run()
    assert_clean(at)
    assert at.number_input(key="spike_rank").value == 5 and len(panels(at)) == 6
    assert at.button(key="spike_use_rank").label == "Use k = 4"


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


def test_the_rank_and_the_data_survive_a_visit_to_the_compression_page():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/spike_clustering.py").run()
    at.radio(key="spike_example").set_value("realistic").run()
    at.number_input(key="spike_rate_khz").set_value(20.0).run()
    submit_rank(at, 5)
    at.switch_page("app_pages/compression.py").run()
    assert_clean(at)
    assert at.number_input(key="rank").value == 20  # the compression page keeps its own rank
    at.switch_page("app_pages/spike_clustering.py").run()
    assert_clean(at)
    assert at.number_input(key="spike_rank").value == 5
    # the data and its description are kept too
    assert at.radio(key="spike_example").value == "realistic" and at.selectbox(key="spike_channels").value == 4
    assert at.number_input(key="spike_rate_khz").value == 20.0


# ---- the data's description: channels, sampling rate, units, spike times; the chart budget


#: Chart JSON the page's default view may send in all (the sum of every chart's spec), in bytes.
DEFAULT_VIEW_JSON_LIMIT = 400_000


def chart_json_bytes(at: AppTest) -> int:
    return sum(len(chart.proto.spec) for chart in at.get("plotly_chart"))


def four_channel_csv(*, extra_header: str = "", extra_cells=None, comment: str = "") -> bytes:
    """120 waveforms (4 units × 30) of 4 channels × 20 samples, headed ch0_0 … ch3_19; the channels are the
    synthetic units scaled by distance (channel c gets the spike × (1 − 0.2 c))."""
    waveforms, units = synthetic_spikes(n_per_unit=30, n_samples=20, random_state=3)
    rows = np.hstack([waveforms * (1 - 0.2 * c) for c in range(4)])
    header = ["uid"] + [f"ch{c}_{t}" for c in range(4) for t in range(20)] + ([extra_header] if extra_header else [])
    lines = ([comment] if comment else []) + [",".join(header)]
    for i, row in enumerate(rows):
        lines.append(",".join([f"w{i}"] + [f"{v:.4f}" for v in row] + ([str(extra_cells[i])] if extra_header else [])))
    return ("\n".join(lines) + "\n").encode()


def test_the_default_view_sends_at_most_400_kb_of_chart_json():
    at = fresh()
    assert_clean(at)
    sizes = [len(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert len(sizes) == 6 and sum(sizes) <= DEFAULT_VIEW_JSON_LIMIT, sizes
    assert len(panels_figure(at)["data"]) == 5 * 3  # per panel: density image, examples, mean
    at.radio(key="spike_example").set_value("realistic").run()
    assert_clean(at)
    assert chart_json_bytes(at) <= DEFAULT_VIEW_JSON_LIMIT  # 4 channels: 4 images per panel, still in budget


def test_the_first_visit_shows_the_data_widgets_own_defaults():
    """A value set through the session state reaches a browser only with the
    run that set it; on the first visit the bundled sample's channels, rate
    and unit are the widgets' own defaults, so no browser can show another."""
    at = fresh()
    assert_clean(at)
    rate, channels, unit = (at.number_input(key="spike_rate_khz"), at.selectbox(key="spike_channels"),
                            at.selectbox(key="spike_unit"))
    assert rate.value == rate.proto.default == 30.0 and not rate.proto.set_value
    assert channels.value == 1 and channels.proto.default == 0 and not channels.proto.set_value
    assert unit.value == "µV" and not unit.proto.set_value
    at.radio(key="spike_example").set_value("realistic").run()  # a file that says otherwise still changes them
    assert at.selectbox(key="spike_channels").value == 4 and at.number_input(key="spike_rate_khz").value == 25.0


def test_the_realistic_example_loads_with_its_channels_rate_and_truth():
    at = fresh()
    at.radio(key="spike_example").set_value("realistic").run()
    assert_clean(at)
    assert "577 waveforms × 300 samples" in at.text[0].value and "SpikeInterface" in at.text[0].value
    assert reference_box(at).value == "unit" and float(metric(at, "ARI vs reference")) > 0.5
    assert at.selectbox(key="spike_channels").value == 4 and at.number_input(key="spike_rate_khz").value == 25.0
    assert "4 channels of 75 samples" in at.info[0].value
    assert "25 kHz (as the file says)" in at.caption[1].value and "spike times from the file" in at.caption[1].value
    assert at.number_input(key="spike_rank").value == 5  # the example opens at its number of units
    figure = panels_figure(at)
    channel_names = [a["text"] for a in figure["layout"]["annotations"] if a["text"].startswith("ch ")]
    assert channel_names == ["ch 0", "ch 1", "ch 2", "ch 3"] * 6  # 4 sub-panels in each of the 6 panels
    image = next(trace for trace in figure["data"] if trace["type"] == "heatmap")
    assert image["dx"] == pytest.approx(0.04)  # 25 kHz: 0.04 ms per sample
    open_tab(at, "Quality and baseline")
    assert_clean(at)
    chosen = at.dataframe[1].value
    assert list(chosen.columns) == [f"unit {u}" for u in range(5)] and chosen.to_numpy().sum() == 577


def test_a_chosen_example_opens_at_its_number_of_units_and_a_chosen_k_is_kept_until_then():
    from app_pages.spike_state import EXAMPLES, SpikeSettings
    from nnmf_core.spikes import SAMPLE_SPIKE_UNITS, load_sample_spikes

    assert list(SAMPLE_SPIKE_UNITS) == list(EXAMPLES)
    for name, units in SAMPLE_SPIKE_UNITS.items():  # the number said is the number in the truth column
        assert np.unique(load_sample_spikes(name).label_columns["unit"]).size == units
    assert SAMPLE_SPIKE_UNITS[next(iter(EXAMPLES))] == SpikeSettings().rank  # the first view needs no change of k
    at = fresh()
    submit_rank(at, 6)
    assert_clean(at)
    assert len(panels(at)) == 7
    at.run()  # a rerun keeps the user's k
    assert at.number_input(key="spike_rank").value == 6
    at.radio(key="spike_example").set_value("realistic").run()
    assert_clean(at)
    assert at.number_input(key="spike_rank").value == 5 and len(panels(at)) == 6
    submit_rank(at, 3)
    at.number_input(key="spike_rate_khz").set_value(20.0).run()  # other data settings keep it too
    assert at.number_input(key="spike_rank").value == 3 and len(panels(at)) == 4
    at.radio(key="spike_example").set_value("synthetic").run()
    assert_clean(at)
    assert at.number_input(key="spike_rank").value == 4 and len(panels(at)) == 5


def test_multichannel_spikes_are_aligned_first_unless_the_toggle_is_off():
    at = fresh()
    at.radio(key="spike_example").set_value("realistic").run()
    assert_clean(at)
    assert at.toggle(key="spike_align").value
    said = " ".join(caption.value for caption in at.caption)
    assert "NMF: spikes aligned, split into ± parts" in said
    open_tab(at, "Non-negativity")
    assert "Aligned first" in " ".join(markdown.value for markdown in at.markdown)
    at.toggle(key="spike_align").set_value(False)
    at.form_submit_button[0].click()
    at.run()
    assert_clean(at)
    assert "spikes aligned" not in " ".join(caption.value for caption in at.caption)
    assert "Aligned first" not in " ".join(markdown.value for markdown in at.markdown)
    at.radio(key="spike_example").set_value("synthetic").run()  # one channel: never aligned
    at.toggle(key="spike_align").set_value(True)
    at.form_submit_button[0].click()
    at.run()
    assert "spikes aligned" not in " ".join(caption.value for caption in at.caption)


def test_the_channels_setting_draws_one_sub_panel_per_channel():
    at = fresh()
    at.selectbox(key="spike_channels").set_value(3).run()  # 150 samples as 3 channels of 50
    assert_clean(at)
    figure = panels_figure(at)
    assert sum(name.startswith("xaxis") for name in figure["layout"]) == 5 * 3
    assert [a["text"] for a in figure["layout"]["annotations"] if a["text"].startswith("ch ")] == ["ch 0", "ch 1",
                                                                                                    "ch 2"] * 5
    images = [trace for trace in figure["data"] if trace["type"] == "heatmap"]
    assert len(images) == 5 * 3 and all(decoded(trace["z"]).size % 50 == 0 for trace in images)
    templates = next(f for f in figures_shown(at) if f["layout"]["title"]["text"] == "Templates: the columns of W")
    assert {trace["xaxis"] for trace in templates["data"]} == {"x", "x2", "x3"}
    assert at.selectbox(key="spike_channels").options == ["1", "2", "3", "5", "6", "10", "15", "25", "30", "50"]


def test_the_sampling_rate_sets_the_time_axis_in_ms():
    at = fresh()
    assert at.number_input(key="spike_rate_khz").value == 30.0  # no rate in the file: 30 kHz
    at.number_input(key="spike_rate_khz").set_value(10.0).run()
    assert_clean(at)
    figure = panels_figure(at)
    image = next(trace for trace in figure["data"] if trace["type"] == "heatmap")
    assert image["dx"] == pytest.approx(0.1) and figure["layout"]["xaxis"]["title"]["text"] == "time (ms)"
    mean = next(trace for trace in figure["data"] if trace["name"] == "mean of cluster 0")
    assert "ms" in mean["hovertemplate"] and "µV" in mean["hovertemplate"]
    assert "at 10 kHz: 15 ms per waveform" in at.caption[1].value
    at.selectbox(key="spike_unit").set_value("a.u.").run()
    assert panels_figure(at)["layout"]["yaxis"]["title"]["text"] == "amplitude (a.u.)"


def test_an_upload_with_channel_headers_a_rate_line_and_spike_times_in_ms():
    times = [f"{12.5 * i:.1f}" for i in range(120)]
    at = upload(fresh(), "tetrode.csv", four_channel_csv(extra_header="time_ms", extra_cells=times,
                                                         comment="# fs=20000"))
    assert_clean(at)
    assert at.text[0].value == "Uploaded file: tetrode.csv\n120 waveforms × 80 samples"
    assert at.selectbox(key="spike_channels").value == 4 and "4 channels of 20 samples" in at.info[0].value
    assert at.number_input(key="spike_rate_khz").value == 20.0 and at.selectbox(key="spike_unit").value == "a.u."
    assert "20 kHz (as the file says): 1 ms per channel; spike times from the file." in at.caption[1].value
    assert reference_box(at).options == ["none"]  # the time column is neither a sample nor a label
    assert len(panels(at)) == 5 and not at.warning


@pytest.mark.parametrize(
    "header, cells, said",
    [
        ("spike_time", [f"{0.25 * i:.2f}" for i in range(120)], "taken as seconds"),
        ("t", [str(1000 * i) for i in range(120)], "taken as milliseconds"),
        ("sample_index", [str(500 * i) for i in range(120)], None),
    ],
    ids=["seconds", "milliseconds", "sample index"],
)
def test_spike_time_columns_are_read_and_their_unit_said(header, cells, said):
    at = upload(fresh(), "times.csv", four_channel_csv(extra_header=header, extra_cells=cells))
    assert_clean(at)
    assert "spike times from the file" in at.caption[1].value and reference_box(at).options == ["none"]
    messages = [item.value for item in at.info]
    assert any(said in message for message in messages) if said else len(messages) == 1  # the channels only


def test_a_bad_rate_line_is_a_warning_and_the_page_keeps_working():
    at = upload(fresh(), "odd.csv", four_channel_csv(comment="# fs=0"))
    assert_clean(at)
    assert "no usable sampling rate" in at.warning[0].value and at.number_input(key="spike_rate_khz").value == 30.0
    assert len(panels(at)) == 5


def test_the_waveforms_can_be_drawn_as_lines():
    at = upload(fresh(), "spikes.csv", spikes_csv())
    at.segmented_control(key="spike_panel_style").set_value("lines").run()
    assert_clean(at)
    figure = panels_figure(at)
    lines = [trace for trace in figure["data"] if trace["name"].startswith("cluster ")]
    assert [trace["type"] for trace in lines] == ["scattergl"] * 4  # one WebGL trace per cluster
    assert sum(np.isnan(decoded(trace["y"])).sum() for trace in lines) == 120  # NaN-separated waveforms
    assert "Thin lines: single waveforms" in at.caption[2].value


def test_the_page_state_examples_hold():
    from app_pages import spike_state

    failures, tried = doctest.testmod(spike_state, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert tried > 5 and failures == 0


def test_the_page_keeps_one_read_only_table_and_a_lean_comparison():
    """An upload's table is kept once for every run (no copy per run, read-only for the sessions sharing it);
    the comparison cached per fit holds no copy of the data, yet the transform tab still draws V."""
    from app_pages import live
    from app_pages.live import digest
    from app_pages.spike_state import SpikeSettings

    data = spikes_csv()
    at = upload(fresh(), "units.csv", data)
    assert_clean(at)
    source_key = f"{digest(data)}|transposed=False"
    table = live._shared(f"spike-table|{source_key}")
    assert table is live._shared(f"spike-table|{source_key}")  # the one object, not a copy per call
    assert not table.waveforms.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        table.waveforms[0, 0] = 1.0
    comparison = live._kept(SpikeSettings().cache_key(source_key))
    assert comparison.chosen.V is None and comparison.article.V is None
    open_tab(at, "Non-negativity")  # draws V, made again from the shared table
    assert_clean(at)
    assert any(f["layout"]["title"]["text"].startswith("What NMF sees") for f in figures_shown(at))


def test_a_table_past_the_shared_memory_budget_is_read_again_rather_than_kept(monkeypatch):
    from app_pages import live

    monkeypatch.setattr(live, "SHARED_MEMORY_BYTES", 1_000)  # less than any table: none is kept
    data = spikes_csv()
    at = upload(fresh(), "units.csv", data)
    assert_clean(at)
    assert live.shared_store().held_bytes() == 0
    with pytest.raises(LookupError):
        live._shared(f"spike-table|{live.digest(data)}|transposed=False")
    first = panels(at)
    submit_rank(at, 3)  # a rerun reads the upload again
    assert_clean(at)
    assert len(panels(at)) == 4 and panels(at)[0] == first[0]
