"""The pages' imports, loaded in the background once per server while the first visitor reads the first page.

A fresh server has imported only Streamlit and ``nnmf_core``'s light top.
The pages need scikit-learn, SciPy, pandas, scikit-image and Plotly, about
1.3 s of imports on a small cloud machine, which the first visitor to open a
page would otherwise wait through. Once the first page a visitor opens (the
home page, from a shared link) has been drawn, the router starts them in a
thread, a moment later; a page waits for that thread (:func:`finished`)
before its own imports, so two threads never import the same modules at
once.

What to import is read from the pages' own ``import`` statements, so the
list follows the pages as they change.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Seconds the thread waits before it starts: the server that sends the home
#: page's remaining files and messages runs in this same interpreter, and an
#: import holds it (on 2 cores, in 3 tries each, the home page appeared after
#: 1.57–1.74 s with the thread started at once, 1.29–1.62 s with this wait).
START_DELAY_S = 1.5

#: ``NNMF_WARM_UP=0`` turns it off (to measure what it saves).
ENABLED = os.environ.get("NNMF_WARM_UP", "1") != "0"

_lock = threading.Lock()
_wanted = threading.Event()
_thread: threading.Thread | None = None


def imported_by(path: Path) -> list[str]:
    """The modules a Python file imports at its top level (``import a.b``,
    ``from a import b`` gives ``a`` and, when it is a submodule, ``a.b``)."""
    names = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names
                      if _is_submodule(node.module, alias.name)]
    return list(dict.fromkeys(names))


def _is_submodule(package: str, name: str) -> bool:
    try:
        return importlib.util.find_spec(f"{package}.{name}") is not None
    except (ImportError, ValueError):  # ``package`` is a module, not a package
        return False


def page_imports(pages) -> list[str]:
    """Every module the page files ``pages`` (paths from the project root)
    import, in order, without repeats. What the pages load only inside
    functions (scikit-learn's clustering, Plotly's serialiser) the library
    modules among these import at their top, or the sample figure loads."""
    return list(dict.fromkeys(name for page in pages for name in imported_by(ROOT / page)))


def _import_all(pages, delay: float = 0.0) -> None:
    _wanted.wait(delay)  # a page asked for them: no more waiting
    for name in page_imports(pages):  # finding a submodule imports its package: in here, not in the page's run
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module that fails here fails again, with its message, on its page
            pass
    try:
        _draw_every_trace_type()
    except Exception:  # noqa: BLE001 - the same: a page that draws meets it again
        pass


def _draw_every_trace_type() -> None:
    """A small figure with every trace type the pages draw, serialised as a
    chart is sent: Plotly loads the checks of each property the first time it
    is set, a quarter of a second on a first visit otherwise."""
    import plotly.graph_objects as go
    import plotly.io

    line, marker = {"width": 1, "color": "#1f77b4", "dash": "dot"}, {"size": 4, "color": [0, 1], "colorscale": "Viridis"}
    figure = go.Figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines+markers", line=line, marker=marker, hovertemplate="%{y}",
                   name="a", legendgroup="a", showlegend=False, fill="tonexty", opacity=0.5),
        go.Scattergl(x=[0, 1], y=[1, 0], mode="markers", marker=marker, hovertext=["a", "b"]),
        go.Heatmap(z=[[0, 1], [1, 0]], x0=0, dx=1, colorscale="Gray", showscale=True, colorbar={"title": "z"},
                   zmin=0, zmax=1, hovertemplate="%{z}"),
        go.Bar(x=["a", "b"], y=[1, 2], marker={"color": ["#1f77b4", "#ff7f0e"]}, text=["1", "2"]),
        go.Image(z=[[[0, 0, 0]]]),
        go.Table(header={"values": ["a"]}, cells={"values": [[1]]}),
    ])
    figure.update_layout(title={"text": "t"}, height=200, margin={"l": 0, "r": 0, "t": 0, "b": 0},
                         legend={"orientation": "h"}, hovermode="x unified")
    figure.update_xaxes(title="x", showgrid=False, range=[0, 1], ticksuffix=" ms")
    figure.update_yaxes(title="y", type="log", autorange="reversed", scaleanchor="x")
    figure.add_annotation(text="a", x=0, y=0, showarrow=False)
    figure.add_shape(type="line", x0=0, x1=1, y0=0, y1=1)
    plotly.io.to_json(figure)


def start(pages) -> None:
    """Import what the page files ``pages`` need, in a background thread; once per server process."""
    global _thread
    with _lock:
        if _thread is None and ENABLED:
            _thread = threading.Thread(target=_import_all, args=(list(pages), START_DELAY_S), name="nnmf-warm-up",
                                       daemon=True)
            _thread.start()


def finished() -> None:
    """Return once the background imports, if started, are done (started
    at once if they were still waiting for :data:`START_DELAY_S`)."""
    with _lock:
        thread = _thread
    if thread is not None:
        _wanted.set()
        thread.join()
