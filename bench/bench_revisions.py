"""One visitor's time to result, this tree against an earlier revision, paired.

Checks out ``--base`` (a git revision) into a temporary worktree and renders
the Compression page with Streamlit's AppTest in both trees, alternating
(A, B, B, A, …) so drifts in the machine's load fall on both alike: the
defaults (the bundled photo), and a 6400 × 6200 px phone JPEG uploaded at the
default working size. Each render starts from empty caches, in a fresh
interpreter per tree (so each tree imports its own ``nnmf_core``). Reports
medians and the ratio this tree / base.

Run from the project root: ``python -m bench.bench_revisions --base HEAD~5``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_classroom import phone_photo

ROOT = Path(__file__).resolve().parents[1]

#: Runs in a fresh interpreter whose working folder is one tree (``python -c``
#: puts that folder first on the import path); prints the seconds of each render.
RENDER = r"""
import json, sys, time
from streamlit.testing.v1 import AppTest
import streamlit as st
photo = open(sys.argv[2], "rb").read()
times = {}
for case in ("defaults", "phone photo"):
    st.cache_data.clear(); st.cache_resource.clear()
    at = AppTest.from_file(sys.argv[1] + "/app_pages/compression.py", default_timeout=300)
    began = time.perf_counter()
    at.run()
    if case == "phone photo":
        at.sidebar.file_uploader[0].set_value(("photo.jpg", photo, "image/jpeg"))
        began = time.perf_counter()
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    times[case] = time.perf_counter() - began
print(json.dumps(times))
"""


def render_times(tree: Path, photo: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", RENDER, str(tree), str(photo)], cwd=tree, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare with")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    _, data, _ = phone_photo(0)
    with tempfile.TemporaryDirectory() as folder:
        photo = Path(folder) / "photo.jpg"
        photo.write_bytes(data)
        base_tree = Path(folder) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base_tree), args.base], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            runs = {"base": [], "this": []}
            for repeat in range(args.repeats):
                order = [("base", base_tree), ("this", ROOT)]
                for name, tree in order if repeat % 2 == 0 else order[::-1]:
                    runs[name].append(render_times(tree, photo))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=True)
    print(f"Compression page, one visitor, AppTest, {args.repeats} paired repeats, medians; base = {args.base}\n")
    print("| case | base | this tree | this / base |")
    print("|---|---:|---:|---:|")
    for case in ("defaults", "phone photo"):
        base = statistics.median(run[case] for run in runs["base"])
        this = statistics.median(run[case] for run in runs["this"])
        print(f"| {case} | {base:.2f} s | {this:.2f} s | {this / base:.2f}× |")


if __name__ == "__main__":
    main()
