"""The two Learn NMF pages, run headless with Streamlit's AppTest, at the
128 px working size (set through the page's link) so every fit takes
milliseconds: each view renders without an exception and shows what it
promises, and bad input ends in one clear message.
"""

from __future__ import annotations

import io
import json

import numpy as np
from paths import ROOT
from PIL import Image
from streamlit.testing.v1 import AppTest

LEARN = str(ROOT / "app_pages" / "learn.py")
PARTS = str(ROOT / "app_pages" / "learn_parts.py")
SMALL = {"learn_max_side": "128", "learn_max_iter": "40"}


def page(script: str, view: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(script, default_timeout=60)
    for name, value in {**SMALL, **query}.items():
        at.query_params[name] = value
    if view is not None:
        at.query_params["learn_view" if script == LEARN else "learn_parts_view"] = view
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [item.value for item in at.exception]
    assert not at.error, [item.value for item in at.error]


def charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def metric(at: AppTest, label: str) -> str:
    return next(item.value for item in at.metric if item.label == label)


def markdown_with(at: AppTest, words: str) -> str:
    return next(block.value for block in at.markdown if words in block.value)


def test_the_replay_moves_through_the_fit():
    at = page(LEARN)
    assert_clean(at)
    assert "working copy 128 × 85 px" in at.caption[1].value
    slider = at.select_slider[0]
    assert slider.value == 40 and slider.options[0] == "0"
    assert len(at.get("image")) == 2 and len(at.latex) == 3
    end_error = float(metric(at, "Relative error"))
    loss, factors = charts(at)
    assert loss["layout"]["title"]["text"] == "Loss so far: iteration 40 of 40"
    assert [trace["colorbar"]["title"]["text"] for trace in factors["data"]] == ["W", "H"]
    slider.set_value(2).run()
    assert_clean(at)
    assert float(metric(at, "Relative error")) > end_error
    assert charts(at)[0]["layout"]["title"]["text"] == "Loss so far: iteration 2 of 40"


def test_sparsity_and_the_kl_loss_change_the_replay():
    plain = page(LEARN)
    sparse = page(LEARN, learn_alpha="0.01")
    assert_clean(sparse)
    assert float(metric(sparse, "Sparseness of H")) > float(metric(plain, "Sparseness of H"))
    kl = page(LEARN, learn_loss="Kullback–Leibler")  # a bound choice travels in a link by its label
    assert_clean(kl)
    assert any("runs with MU" in caption.value for caption in kl.caption)
    assert charts(kl)[0]["layout"]["yaxis"]["title"]["text"] == "KL divergence"


def test_the_race_names_a_winner_and_tables_every_solver():
    at = page(LEARN, view="Race the solvers")
    assert_clean(at)
    assert "ends closest to the picture" in markdown_with(at, "After 40 iterations")
    table = at.dataframe[0].value
    assert list(table["solver"]) == ["HALS", "MU (Lee–Seung)", "KL-MU", "scikit-learn cd"]
    race = charts(at)[0]
    assert len(race["data"]) == 8 and race["layout"]["xaxis2"]["title"]["text"].startswith("seconds")


def test_patches_show_a_dictionary_against_the_svd_and_say_who_wins():
    at = page(PARTS)
    assert_clean(at)
    verdict = markdown_with(at, "patch dictionary")
    assert "at the same bytes" in verdict and ("win" in verdict or "about as good" in verdict)
    atoms = charts(at)[0]
    assert [annotation["text"] for annotation in atoms["layout"]["annotations"]] == [
        "NMF: 16 parts, all ≥ 0", "SVD: 16 components, signed"]
    assert len(at.get("image")) == 3 + 6  # three pictures, then one patch, four pieces and their sum
    at.radio(key="learn_patch").set_value(16)
    at.number_input(key="learn_patch_rank").set_value(8)
    at.button[0].click().run()
    assert_clean(at)
    assert "16 × 16 patch dictionary (k = 8)" in markdown_with(at, "patch dictionary")


def test_inpainting_fills_the_hidden_pixels_and_compares_with_biharmonic():
    at = page(PARTS, view="Fill in the gaps")
    assert_clean(at)
    verdict = markdown_with(at, "of pixels hidden")
    assert "biharmonic" in verdict and "dB" in verdict
    captions = [caption.value for caption in at.caption]
    assert any(caption.startswith("What the fit sees (20% hidden") for caption in captions)
    at.radio(key="learn_pattern").set_value("block")
    at.button[0].click().run()
    assert_clean(at)
    assert any("hidden" in caption.value for caption in at.caption)


def test_held_out_evidence_for_the_rank():
    at = page(PARTS, view="Which rank?")
    assert_clean(at)
    assert "entries the fits never saw is lowest at k =" in markdown_with(at, "never saw")
    curve = charts(at)[0]
    assert [trace["name"] for trace in curve["data"]] == [
        "seen entries", "held-out entries", "seen, shuffled data", "held-out, shuffled data"]


def test_a_picture_too_small_for_the_patches_is_one_clear_error():
    at = page(PARTS)
    tiny = np.random.default_rng(0).integers(0, 255, (12, 14, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(tiny).save(buffer, format="PNG")
    at.file_uploader(key="learn_upload").set_value(("tiny.png", buffer.getvalue(), "image/png")).run()
    at.radio(key="learn_patch").set_value(16)
    at.button[0].click().run()
    assert not at.exception
    assert [error.value for error in at.error] == ["16 × 16 patches do not fit in a 14 × 12 px picture\\."]
    assert any("Rank 20 is more than" in warning.value for warning in at.warning)  # the rank was lowered too
