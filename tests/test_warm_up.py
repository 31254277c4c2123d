"""The home page loads what the pages import, in the background, and a page waits for it."""

import json
import subprocess
import sys

from streamlit.testing.v1 import AppTest

from app_pages import warm_up
from tests.paths import APP, ROOT

PAGES = ["app_pages/compression.py", "app_pages/learn.py", "app_pages/learn_parts.py",
         "app_pages/spike_clustering.py"]


def test_imports_are_read_from_the_file(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("import json\nimport xml.dom\nfrom os import path, sep\nfrom . import sibling\n"
                    "def later():\n    import csv\n")
    # os.path is a module, os.sep is not; relative imports and imports inside functions are left out
    assert warm_up.imported_by(page) == ["json", "xml.dom", "os", "os.path"]


def test_the_pages_imports_are_found():
    names = warm_up.page_imports(PAGES)
    assert {"nnmf_core.spikes", "nnmf_core.figures", "app_pages.spike_curation", "app_pages.compression_sidebar",
            "nnmf_core.learning"} <= set(names)  # scikit-learn's clustering: loaded through these (next test)
    assert not any(name in names for name in ("app_pages.spike_clustering", "app_pages.compression"))


def test_a_fresh_interpreter_ends_up_with_what_the_pages_import_and_no_page_run():
    """In a new interpreter (nothing imported yet), start, then wait."""
    script = f"""
import json, sys
from app_pages import warm_up
before = 'sklearn.cluster' in sys.modules or 'nnmf_core.spikes' in sys.modules
warm_up.start({PAGES!r})
warm_up.finished()  # cuts the start delay short
print(json.dumps({{"before": before, "after": sorted(m for m in sys.modules if m.startswith(("sklearn.cluster",
    "nnmf_core.spikes", "app_pages.spike_clustering", "app_pages.spike_curation", "plotly.graph_objs.scatter")))}}))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["before"] is False
    after = set(seen["after"])
    assert {"sklearn.cluster", "nnmf_core.spikes", "app_pages.spike_curation"} <= after
    assert any(name.startswith("plotly.graph_objs.scatter") for name in after)  # the sample figure was drawn
    assert "app_pages.spike_clustering" not in after  # a page file itself is never imported (it would run)


def test_a_drawn_page_starts_it_and_a_page_waits_for_it(monkeypatch):
    calls = []
    monkeypatch.setattr(warm_up, "start", lambda pages: calls.append(("start", list(pages))))
    monkeypatch.setattr(warm_up, "finished", lambda: calls.append(("finished",)))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert calls == [("start", PAGES)]  # the home page: started once it is drawn, never waited for
    at.switch_page("app_pages/spike_clustering.py").run()
    assert not at.exception
    assert calls[1:] == [("finished",), ("start", PAGES)]  # a page waits before it imports; start is once per server
