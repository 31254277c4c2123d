"""Both pages' numbers for their default settings, pinned.

A restructuring or a speed-up must not change what a visitor sees: these
values were read off the pages and are compared exactly as the page shows them
(timings excepted). A deliberate change of a default method updates them here,
in the same commit, with the reason.
"""

from __future__ import annotations

import pytest
from paths import ROOT
from streamlit.testing.v1 import AppTest

PINNED = {
    "compression": {
        "Relative error": "0.1418",
        "PSNR": "23.29 dB",
        "SSIM": "0.594",
        "Numbers stored, k(n + m)": "37,540",
        "Factors as float16": "75.1 kB",
        "Picture file": "320.8 kB",
        "Raw pixels": "523.8 kB",
    },
    "spike_clustering": {
        "ARI vs reference": "0.995",
        "Silhouette": "0.197",
        "Stability": "0.992",
        "Relative error": "0.227",
    },
}


@pytest.mark.parametrize("page", sorted(PINNED))
def test_default_numbers_are_unchanged(page):
    at = AppTest.from_file(str(ROOT / "app_pages" / f"{page}.py"), default_timeout=120).run()
    assert not at.exception, [item.value for item in at.exception]
    shown = {item.label: item.value for item in at.metric if item.label in PINNED[page]}
    assert shown == PINNED[page]
