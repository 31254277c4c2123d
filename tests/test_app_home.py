"""The router and home page, run headless with Streamlit's AppTest."""

from paths import APP
from streamlit.testing.v1 import AppTest


def test_home_page_renders_the_explanation_without_exceptions():
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "NMF Studio"
    latex = " ".join(block.value for block in at.latex)
    assert r"\odot" in latex and r"\lVert V - WH \rVert_F^2" in latex
