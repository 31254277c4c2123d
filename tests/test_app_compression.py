"""The Compression page, run headless with Streamlit's AppTest.

Most tests open the page through its link (query parameters) at a 128 px
working size, so every fit takes milliseconds; one test renders the defaults.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from paths import ROOT
from PIL import Image
from streamlit.testing.v1 import AppTest

from nnmf_core.factorize import SOLVERS
from nnmf_core.images import MATRIX_MODES, SAMPLE_IMAGES

PAGE = str(ROOT / "app_pages" / "compression.py")
SMALL = {"size": "128"}  # the sample photo at 128 × 85 px


def page(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def metric(at: AppTest, label: str) -> str:
    return next(item.value for item in at.metric if item.label == label)


def figures_shown(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def picture_count(figure: dict) -> int:
    return sum(trace["type"] == "image" for trace in figure["data"])


def open_tab(at: AppTest, label: str) -> AppTest:
    at.session_state["view"] = label
    return at.run()


def picture_file(format_name: str, size=(80, 60)) -> bytes:
    y, x = np.mgrid[0:size[1], 0:size[0]]
    pixels = np.stack([x * 3 % 256, y * 4 % 256, (x + y) % 256], axis=2).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=format_name)
    return buffer.getvalue()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [item.value for item in at.exception]


def images_shown(at: AppTest) -> list:
    """The pictures drawn with st.image (lossless PNG files, not chart data)."""
    return list(at.get("image"))


def test_defaults_render_the_notebook_setting():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert_clean(at)
    assert not at.error
    assert at.number_input(key="rank").value == 20 and at.number_input(key="max_iter").value == 300
    assert at.radio(key="solver").value == "hals" and at.selectbox(key="mode").value == "colour"
    assert metric(at, "Numbers stored, k(n + m)") == f"{20 * (341 + 3 * 512):,}"
    assert metric(at, "Factors as float16") == "75.1 kB"
    assert metric(at, "PSNR").endswith(" dB")
    assert len(images_shown(at)) == 3  # original, reconstruction, error map
    captions = [caption.value for caption in at.caption]
    assert "Original (512 × 341 px)" in captions and "NMF, rank 20: 75.1 kB of factors" in captions
    labels = [button.label for button in at.get("download_button")]
    assert labels == ["Reconstruction (PNG)", "Factors W, H (.npz, float16)", "Loss history (CSV)"]
    assert at.query_params["rank"] == "20" and at.query_params["iter"] == "300"
    # The error map's colour bar, then the first tab: the loss curve and W, H, W×H with their shapes.
    colour_bar, loss, factors = figures_shown(at)
    assert colour_bar["data"][0]["marker"]["cmax"] == 64
    assert loss["layout"]["title"]["text"] == "Loss over iterations"
    titles = [annotation["text"] for annotation in factors["layout"]["annotations"]]
    assert "W<br>(341 × 20)" in titles and "H (20 × 1536)" in titles


def test_the_default_view_sends_little_chart_data():
    """Pictures go as PNG files (st.image), not inside chart JSON: the default
    view's charts stay under 400 kB (they were 1.6 MB)."""
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert sum(len(chart.proto.spec) for chart in at.get("plotly_chart")) <= 400_000


def test_the_error_scale_is_fixed_unless_stretched():
    at = page(**SMALL)
    assert figures_shown(at)[0]["data"][0]["marker"]["cmax"] == 64
    at.toggle(key="stretch_error").set_value(True).run()
    assert_clean(at)
    bar = figures_shown(at)[0]["data"][0]["marker"]
    assert bar["cmax"] != 64 and "stretched" in bar["colorbar"]["title"]["text"]
    at.toggle(key="linked_zoom").set_value(True).run()
    zoomed = figures_shown(at)[1]
    assert picture_count(zoomed) == 3 and zoomed["layout"]["xaxis2"]["matches"] == "x"


def test_changing_the_rank_changes_the_numbers():
    at = page(**SMALL)
    before = metric(at, "PSNR")
    assert metric(at, "Numbers stored, k(n + m)") == f"{20 * (85 + 384):,}"
    at.number_input(key="rank").set_value(5)
    at.sidebar.button[0].click().run()
    assert_clean(at)
    assert metric(at, "Numbers stored, k(n + m)") == f"{5 * (85 + 384):,}"
    assert metric(at, "PSNR") != before
    assert at.query_params["rank"] == "5"


def test_a_widget_change_waits_for_the_submit_button():
    at = page(**SMALL)
    at.number_input(key="rank").set_value(5).run()
    assert metric(at, "Numbers stored, k(n + m)") == f"{20 * (85 + 384):,}"


@pytest.mark.parametrize("format_name, mime", [
    ("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"),
    ("BMP", "image/bmp"), ("TIFF", "image/tiff"), ("GIF", "image/gif"),
])
def test_an_upload_replaces_the_sample(format_name, mime):
    at = page(**SMALL)
    name = f"my <b>photo</b>.{format_name.lower()}"
    at.sidebar.file_uploader[0].set_value((name, picture_file(format_name), mime)).run()
    assert_clean(at)
    assert not at.error
    assert f"Picture: {name}" in [text.value for text in at.text]  # plain text, not markdown
    assert any(caption.value.startswith(f"{format_name} file") and "80 × 60" in caption.value
               for caption in at.caption)
    assert metric(at, "Numbers stored, k(n + m)") == f"{20 * (60 + 3 * 80):,}"


def test_colour_layouts_and_one_channel_modes():
    green = page(**SMALL, mode="green")
    assert_clean(green)
    assert metric(green, "Numbers stored, k(n + m)") == f"{20 * (85 + 128):,}"
    assert any("One channel (green)" in caption.value for caption in green.caption)
    split = page(**SMALL, layout="per-channel")
    assert_clean(split)
    assert metric(split, "Numbers stored, k(n + m)") == f"{3 * 20 * (85 + 128):,}"
    assert split.radio(key="factor_channel").value == 0
    loss = figures_shown(split)[1]  # after the error map's colour bar
    assert [trace["name"] for trace in loss["data"]] == ["red", "green", "blue"]


def test_rank_sweep_shows_one_reconstruction_per_rank():
    at = open_tab(page(**SMALL), "Rank sweep")
    assert_clean(at)
    sweep, storage = figures_shown(at)[1:3]
    first, *others = [trace["yaxis"] for trace in sweep["data"] if trace["type"] == "scatter"]
    assert all(sweep["layout"][axis.replace("y", "yaxis")]["matches"] == first for axis in others)  # one scale
    assert picture_count(sweep) == 1 + 4  # original + ranks 5, 10, 50 and 100 lowered to 85
    assert any("100 lowered to 85" in caption.value for caption in at.caption)
    assert any("break-even" in annotation["text"] for annotation in storage["layout"]["annotations"])
    assert at.text_input(key="sweep_ranks").proto.default == "5, 10, 50, 100"  # its own default, not a pushed value
    at.text_input(key="sweep_ranks").set_value("3, 7")
    next(button for button in at.button if button.label == "Run the sweep").click().run()
    assert_clean(at)
    assert picture_count(figures_shown(at)[1]) == 3


def test_baselines_table_and_verdict():
    at = open_tab(page(**SMALL), "Baselines: SVD and JPEG")
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table["method"]) == ["NMF", "Truncated SVD", "JPEG"]
    assert table["PSNR (dB)"][1] >= table["PSNR (dB)"][0] - 0.05
    assert any("dB" in block.value and "JPEG" in block.value for block in at.markdown)
    assert picture_count(figures_shown(at)[1]) == 3


def test_parts_gallery_shows_the_largest_parts_and_says_what_they_are():
    at = open_tab(page(**SMALL), "Parts gallery")
    assert_clean(at)
    assert picture_count(figures_shown(at)[1]) == 12
    caption = next(caption.value for caption in at.caption if "outer product" in caption.value)
    assert "plaid" in caption and "patches" in caption and "look like pieces" not in caption


def test_broken_and_black_uploads_show_an_error_and_keep_the_page_usable():
    at = page(**SMALL)
    at.sidebar.file_uploader[0].set_value(("broken.png", b"\x89PNG\r\n\x1a\n broken", "image/png")).run()
    assert_clean(at)
    assert "cannot be used" in at.error[0].value
    assert at.sidebar.button[0].label == "Compress"  # the controls are still there
    black = np.zeros((30, 40, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(black).save(buffer, format="PNG")
    at.sidebar.file_uploader[0].set_value(("black.png", buffer.getvalue(), "image/png")).run()
    assert_clean(at)
    assert "all zeros" in at.error[0].value


def test_a_link_reproduces_the_view():
    at = page(size="128", rank="7", iter="50", solver="mu", seed="3", mode="blue", sample="camera", init="random")
    assert_clean(at)
    assert at.number_input(key="rank").value == 7 and at.number_input(key="max_iter").value == 50
    assert at.radio(key="solver").value == "mu" and at.number_input(key="random_state").value == 3
    assert at.selectbox(key="sample").value == "Camera (grayscale)"
    assert "Picture: Camera (grayscale)" in [text.value for text in at.text]
    assert metric(at, "Numbers stored, k(n + m)") == f"{7 * (128 + 128):,}"


def test_the_widgets_own_defaults_are_the_links_settings():
    """A browser that draws a widget without the run that set its value shows
    the widget's default: that default must be the link's, not the minimum."""
    at = page(size="128", rank="7", iter="50", solver="mu", seed="3", mode="blue", sample="camera", tol="0.001")
    assert_clean(at)
    assert at.number_input(key="rank").proto.default == 7 and at.number_input(key="max_iter").proto.default == 50
    assert at.number_input(key="random_state").proto.default == 3
    assert at.radio(key="solver").proto.default == SOLVERS.index("mu")
    assert at.selectbox(key="mode").proto.default == MATRIX_MODES.index("blue")
    assert at.selectbox(key="sample").proto.default == list(SAMPLE_IMAGES).index("Camera (grayscale)")
    assert at.select_slider(key="tol").value == 0.001 and at.select_slider(key="max_side").value == 128
    at.number_input(key="rank").set_value(9)
    at.sidebar.button[0].click().run()  # later runs keep what the person chose, not the link's default
    at.selectbox(key="sample").set_value("Coffee cup (colour)").run()
    assert at.number_input(key="rank").value == 9 and at.query_params["rank"] == "9"


def test_bad_link_parameters_are_ignored_with_a_warning():
    at = page(rank="abc", size="128", mode="<script>", tol="x", iter="-5")
    assert_clean(at)
    assert len(at.warning) == 4
    assert any(r"rank\='abc'" in warning.value for warning in at.warning)  # Markdown escaped: shown as typed
    assert any(r"mode\='\<script\>'" in warning.value for warning in at.warning)
    assert at.number_input(key="rank").value == 20 and at.selectbox(key="mode").value == "colour"
    assert at.select_slider(key="max_side").value == 128
    assert at.query_params["mode"] == "colour"  # the link is corrected


def test_a_rank_above_the_picture_is_lowered_with_a_warning():
    at = page(**SMALL, rank="500")
    assert_clean(at)
    assert any("using rank 85" in warning.value for warning in at.warning)
    assert metric(at, "Numbers stored, k(n + m)") == f"{85 * (85 + 384):,}"
