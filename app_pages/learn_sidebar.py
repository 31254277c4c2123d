"""Streamlit glue both Learn NMF pages share: the picture and the fit settings
in the sidebar (kept across the two pages and in the link), and the picture
loaded at its working size (cached), with a line saying what it is.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from app_pages.learn_state import ALPHAS, INTEGER_LIMITS, LOSS_LABELS, MODE_LABELS, SIDES, LearnSettings
from app_pages.live import cached_or_computed, digest, plain, upload_bytes
from nnmf_core import InputError
from nnmf_core._text import readable_bytes
from nnmf_core.compression import WorkingImage, sample_working_image, usable_rank, working_image
from nnmf_core.factorize import SOLVER_LABELS, SOLVERS
from nnmf_core.images import MAX_UPLOAD_BYTES, SAMPLE_IMAGES, UPLOAD_EXTENSIONS

DEFAULTS = LearnSettings()


def _kept(widget, label: str, name: str, *args, **kwargs):
    """A sidebar widget whose value is the setting ``name``, kept across both
    pages and written into the link."""
    return widget(label, *args, key=LearnSettings.key(name), bind="query-params", persist_state="session", **kwargs)


def sidebar_settings(*, fit_options: bool) -> tuple[LearnSettings, object]:
    """Draw the sidebar; return the settings and the uploaded file (or None).

    ``fit_options`` adds the solver, the loss and the sparsity penalty (the
    replay and the race use them; the other views set their own).
    """
    with st.sidebar:
        _kept(st.selectbox, "Sample picture", "sample", list(SAMPLE_IMAGES),
              index=list(SAMPLE_IMAGES).index(DEFAULTS.sample))
        with st.form("learn_fit"):
            _kept(st.selectbox, "Matrix from", "mode", list(MODE_LABELS), format_func=MODE_LABELS.get,
                  help="Gray: the luminance, n × m. Colour: red, green and blue side by side, n × 3m, one W.")
            rank_column, iterations_column = st.columns(2)
            with rank_column:
                _kept(st.number_input, "Rank k", "rank", *INTEGER_LIMITS["rank"], value=DEFAULTS.rank, step=1)
            with iterations_column:
                _kept(st.number_input, "Iterations", "max_iter", *INTEGER_LIMITS["max_iter"], value=DEFAULTS.max_iter,
                      step=50)
            if fit_options:
                _kept(st.radio, "Solver", "solver", SOLVERS, format_func=SOLVER_LABELS.get, horizontal=True)
                _kept(st.selectbox, "Loss", "loss", list(LOSS_LABELS), format_func=LOSS_LABELS.get,
                      help="Squared error ‖V − WH‖², or the Kullback–Leibler divergence Σ V log(V / WH) − V + WH "
                           "(which runs with MU, the solver that handles it).")
                _kept(st.select_slider, "Sparsity penalty α", "alpha", ALPHAS, value=DEFAULTS.alpha,
                      format_func=lambda alpha: "none" if alpha == 0 else f"{alpha:g}",
                      help="scikit-learn's alpha: a penalty on the size of W and H, scaled by the other side of V.")
                _kept(st.slider, "Share of L1 in the penalty", "l1_ratio", 0.0, 1.0, value=DEFAULTS.l1_ratio,
                      step=0.25, help="1: all L1 (makes entries exactly zero, sparse); 0: all L2 (only small).")
            st.form_submit_button("Fit", type="primary", width="stretch")
            with st.expander("More settings"):
                _kept(st.select_slider, "Working size (longest side, px)", "max_side", SIDES, value=DEFAULTS.max_side,
                      help="Learning views run small, so every change answers in a second or two.")
                _kept(st.number_input, "Random seed", "random_state", *INTEGER_LIMITS["random_state"],
                      value=DEFAULTS.random_state, step=1, help="Seed of the random start.")
        upload = st.file_uploader("Or upload your own picture", type=list(UPLOAD_EXTENSIONS), key="learn_upload",
                                  max_upload_size=MAX_UPLOAD_BYTES // 2**20,
                                  help="Used instead of the sample while it is here; never stored.")
    return LearnSettings.from_state(st.session_state), upload


def loaded_picture(settings: LearnSettings, upload) -> tuple[WorkingImage, str, int]:
    """The picture at its working size (cached), a line about it, and the rank
    to use (lowered, with a warning, when the picture allows fewer); stops the
    page with an error for a file that cannot be used."""
    try:
        if upload is not None:
            data = upload_bytes(upload)
            source_key, name = digest(data), upload.name
            load = partial(working_image, data, settings.max_side)
        else:
            source_key, name = f"sample:{settings.sample}", settings.sample
            load = partial(sample_working_image, settings.sample, settings.max_side)
        picture = cached_or_computed(f"learn-picture|{source_key}|{settings.max_side}", load)
    except InputError as error:
        st.error(f"This file cannot be used. {plain(error)}")
        st.stop()
    st.caption(f"{plain(name)}: {picture.format} file, {readable_bytes(picture.file_bytes)}. {picture.size_note}")
    rank, note = usable_rank(settings.rank, picture.pixels.shape, settings.mode)
    if note:
        st.warning(note)
    return picture, source_key, rank
