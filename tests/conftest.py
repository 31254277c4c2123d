"""Shared fixtures: a clean Streamlit cache per test; no background imports in the test process."""

import pytest


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    """Each test starts from empty caches, so no result leaks between tests."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield


@pytest.fixture(autouse=True)
def no_background_imports(monkeypatch):
    """AppTest runs the home page in the test process: its background imports
    (app_pages.warm_up) would run beside the tests' own. Servers started by
    the browser tests keep them; tests/test_warm_up.py runs them in a fresh
    interpreter."""
    from app_pages import warm_up

    monkeypatch.setattr(warm_up, "ENABLED", False)
