"""The router and home page, run headless with Streamlit's AppTest."""

import json

from chart_json import decoded
from paths import APP
from streamlit.testing.v1 import AppTest


def test_home_page_renders_the_explanation_without_exceptions():
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "NMF Studio"
    latex = " ".join(block.value for block in at.latex)
    assert r"\odot" in latex and r"\lVert V - WH \rVert_F^2" in latex


def test_home_page_draws_what_a_rank_costs_after_its_text():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    figure = json.loads(charts[0].proto.spec)
    shares = decoded(figure["data"][0]["y"])
    assert shares[0] == 0 and abs(shares[205] - 100.0) < 0.3  # 512 × 341: break-even at nm/(n + m) ≈ 204.7
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["break-even k = 205"]
    assert "stores less than the picture" in " ".join(caption.value for caption in at.caption)
