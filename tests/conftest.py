"""Shared fixture: a clean Streamlit cache per test."""

import pytest


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    """Each test starts from empty caches, so no result leaks between tests."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
