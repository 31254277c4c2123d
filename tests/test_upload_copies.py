"""A page keeps no second copy of an upload between runs.

Streamlit hands every run its own deep copy of an uploaded file, and the
variables of a page stay with the session after the run: a page that kept its
copy (or the bytes read from it) would hold a large CSV twice for as long as
the visitor stays. After a run, the only open copy of the file must be the one
Streamlit keeps itself.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest
from paths import ROOT
from picture_files import encoded
from PIL import Image
from streamlit.runtime.uploaded_file_manager import UploadedFile
from streamlit.testing.v1 import AppTest


def open_copies(name: str) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, UploadedFile) and o.name == name and not o.closed)


def csv_file() -> bytes:
    waves = np.random.default_rng(0).normal(size=(300, 40))
    lines = ["id," + ",".join(map(str, range(40)))]
    lines += [f"w{i}," + ",".join(f"{v:.3f}" for v in row) for i, row in enumerate(waves)]
    return ("\n".join(lines) + "\n").encode()


def png_file() -> bytes:
    return encoded(Image.fromarray(np.random.default_rng(1).integers(0, 255, (40, 48, 3), dtype=np.uint8)), "PNG")


@pytest.mark.parametrize("page, key, name, data, mime, query", [
    ("spike_clustering.py", "spike_upload", "kept-once.csv", csv_file(), "text/csv", {}),
    ("compression.py", "upload", "kept-once.png", png_file(), "image/png", {"size": "128"}),
    ("learn.py", "learn_upload", "kept-once-learn.png", png_file(), "image/png", {}),
])
def test_after_a_run_only_streamlit_holds_the_upload(page, key, name, data, mime, query):
    at = AppTest.from_file(str(ROOT / "app_pages" / page), default_timeout=90)
    for field, value in query.items():
        at.query_params[field] = value
    at.run()
    at.file_uploader(key=key).set_value((name, data, mime)).run()
    assert not at.exception and not at.error
    assert open_copies(name) == 1
