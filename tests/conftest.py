"""Shared fixtures: the project's paths and a clean Streamlit cache per test."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    """Each test starts from empty caches, so no result leaks between tests."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
