"""The Compression page's sidebar: the settings, read from the link once per
visit, and the upload.

The link's settings become the widgets' own defaults (``value=``/``index=``),
not values pushed into the session state: a browser that draws a widget
without the run that set its value falls back to the widget's default, and
that default is then still the link's.
"""

from __future__ import annotations

import streamlit as st

from app_pages.compression_state import INTEGER_LIMITS, QUERY_NAMES, TOLERANCES, CompressionSettings, settings_from_query
from app_pages.live import plain
from nnmf_core.compression import COLOUR_LAYOUTS
from nnmf_core.factorize import INITS, SOLVER_LABELS, SOLVERS
from nnmf_core.images import (
    MATRIX_MODES,
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    SAMPLE_IMAGES,
    UPLOAD_EXTENSIONS,
    WORKING_SIDE_CHOICES,
)

MODE_LABELS = {"colour": "Full colour", "luminance": "Luminance (gray)", "red": "Red channel",
               "green": "Green channel (the notebook's)", "blue": "Blue channel"}
LAYOUT_LABELS = {"joint": "Joint: V = [R | G | B], one shared W", "per-channel": "Per channel: three W and H"}
INIT_LABELS = {"nndsvda": "NNDSVDa (from the SVD)", "nndsvd": "NNDSVD (zeros kept)", "random": "Random (as in the article)"}
LINK_KEY = "compression_link"


def _link_settings() -> CompressionSettings:
    """The settings the link asked for, read when the visit starts (the widgets
    do not exist yet) and kept for the visit; ignored parameters are shown."""
    if "rank" not in st.session_state or LINK_KEY not in st.session_state:
        st.session_state[LINK_KEY], problems = settings_from_query(st.query_params.to_dict())
        for problem in problems:
            st.warning(plain(problem))
    return st.session_state[LINK_KEY]


def sidebar_settings() -> tuple[CompressionSettings, object]:
    """Draw the sidebar (everyday settings and the button first, the rest
    folded away); return the settings and the uploaded file (or None)."""
    link = _link_settings()

    def chosen(options, name: str) -> int:
        return list(options).index(getattr(link, name))

    with st.sidebar:
        st.selectbox("Sample picture", list(SAMPLE_IMAGES), index=chosen(SAMPLE_IMAGES, "sample"), key="sample")
        with st.form("fit"):
            st.selectbox("Matrix from", MATRIX_MODES, index=chosen(MATRIX_MODES, "mode"), format_func=MODE_LABELS.get,
                         key="mode")
            rank_column, iterations_column = st.columns(2)
            rank_column.number_input("Rank k", *INTEGER_LIMITS["rank"], value=link.rank, step=1, key="rank")
            iterations_column.number_input("Iterations", *INTEGER_LIMITS["max_iter"], value=link.max_iter, step=50,
                                           key="max_iter")
            st.radio("Solver", SOLVERS, index=chosen(SOLVERS, "solver"), format_func=SOLVER_LABELS.get, key="solver",
                     horizontal=True)
            st.form_submit_button("Compress", type="primary", width="stretch")
            with st.expander("More settings"):
                st.radio("Colour layout (full colour only)", COLOUR_LAYOUTS, index=chosen(COLOUR_LAYOUTS, "colour_layout"),
                         format_func=LAYOUT_LABELS.get, key="colour_layout")
                st.select_slider("Working size (longest side, px)", WORKING_SIDE_CHOICES, value=link.max_side,
                                 key="max_side", help="Larger pictures are shrunk to this size before the fit.")
                st.selectbox("Start", INITS, index=chosen(INITS, "init"), format_func=INIT_LABELS.get, key="init")
                restarts_column, seed_column = st.columns(2)
                restarts_column.number_input("Restarts", *INTEGER_LIMITS["n_restarts"], value=link.n_restarts, step=1,
                                             key="n_restarts",
                                             help="Independent starts; the one with the lowest loss is kept.")
                seed_column.number_input("Random seed", *INTEGER_LIMITS["random_state"], value=link.random_state,
                                         step=1, key="random_state")
                st.select_slider("Stop when the loss falls by less than", TOLERANCES, value=link.tol, key="tol",
                                 format_func=lambda tol: "never" if tol == 0 else f"{tol:g}",
                                 help="Relative fall of the loss over the last 10 iterations.")
        upload = st.file_uploader(
            "Or upload your own picture", type=list(UPLOAD_EXTENSIONS), key="upload",
            max_upload_size=MAX_UPLOAD_BYTES // 2**20,
            help=f"PNG, JPEG, WebP, BMP, TIFF or GIF up to {MAX_UPLOAD_BYTES // 2**20} MB and "
                 f"{MAX_PIXELS / 1e6:.0f} megapixels. It is used instead of the sample while it is here; "
                 "it is never stored.",
        )
        st.caption(
            "This page's address holds the settings above and the sample's name, so a copied link shows the "
            "same view. An uploaded picture cannot travel in a link: whoever opens it sees the sample."
        )
    return CompressionSettings(**{name: st.session_state[name] for name in QUERY_NAMES}), upload
