"""Learn NMF, part 2: parts that look like parts (the picture as patches),
filling in hidden pixels, and choosing the rank from entries the fit never saw.

Reads top to bottom: the sidebar (picture and fit settings, shared with the
first Learn page), the picture, then three tabs built only while open, each
with its own small form and one cached computation drawn live on a miss.
"""

import streamlit as st

from app_pages.learn_sidebar import loaded_picture, sidebar_settings
from app_pages.learn_state import (
    ALPHAS,
    HELDOUT_SHARES,
    HELDOUT_SIDE,
    HIDDEN_SHARES,
    INTEGER_LIMITS,
    PATTERN_LABELS,
)
from app_pages.live import LiveLoss, cached_or_computed, plain
from nnmf_core import InputError, figures, pin_blas_threads_for_sessions
from nnmf_core._text import readable_bytes
from nnmf_core.compression import PATCH_SIZES, affordable_fit, fit_matrices, patch_compress, patch_rebuild
from nnmf_core.heldout import heldout_curve, heldout_ranks
from nnmf_core.images import patch_grid, working_copy
from nnmf_core.inpainting import hidden_pixels, inpaint

pin_blas_threads_for_sessions()

TABS = ["Parts that look like parts", "Fill in the gaps", "Which rank?"]
SHOWN_PIECES = 4

st.title("Parts, gaps and rank")
st.caption("What the non-negativity buys: parts that are pieces of the picture, pixels guessed from the rest, "
           "and a rank chosen by evidence. Settings in the sidebar, shared with the Learn NMF page.")

settings, upload = sidebar_settings(fit_options=False)
picture, source_key, rank = loaded_picture(settings, upload)
state = st.session_state

parts_tab, gaps_tab, rank_tab = st.tabs(TABS, key="learn_parts_view", on_change="rerun", bind="query-params")

if parts_tab.open:
    with parts_tab:
        with st.form("learn_patches"):
            size_column, parts_column, alpha_column = st.columns(3)
            size_column.radio("Patch side p (px)", PATCH_SIZES, key="learn_patch", horizontal=True)
            parts_column.number_input("Parts in the dictionary", *INTEGER_LIMITS["patch_rank"], value=16, step=1,
                                      key="learn_patch_rank")
            alpha_column.select_slider("Sparsity α (L1)", ALPHAS, key="learn_patch_alpha",
                                       format_func=lambda alpha: "none" if alpha == 0 else f"{alpha:g}")
            st.form_submit_button("Cut into patches and fit")
        try:
            grid = patch_grid(picture.pixels.shape[:2], state["learn_patch"])
            parts = min(state["learn_patch_rank"], grid.length * (3 if settings.mode == "colour" else 1), grid.count)
            if parts < state["learn_patch_rank"]:
                st.caption(f"{parts} parts at most here: as many as a patch has numbers, or the picture has patches.")

            def patched():
                live = LiveLoss(f"Fitting {parts} parts of {grid.patch} × {grid.patch} px", 2 * settings.max_iter,
                                settings.max_iter)
                try:
                    return patch_compress(picture.pixels, mode=settings.mode, patch=grid.patch, rank=parts,
                                          max_iter=settings.max_iter, alpha=state["learn_patch_alpha"], l1_ratio=1.0,
                                          random_state=settings.random_state, on_iteration=live)
                finally:
                    live.clear()

            patches = cached_or_computed(
                settings.cache_key("patches", source_key, "max_side", "mode", "max_iter", "random_state",
                                   details=(grid.patch, parts, state["learn_patch_alpha"])), patched,
                cost_bytes=60_000_000 + 16 * picture.pixels.size)
        except InputError as error:
            st.error(plain(error))
        else:
            st.markdown(
                f"Every part of a whole-picture factorization is a column of W times a row of H: a plaid of "
                f"stripes. Cut the picture into {grid.patch} × {grid.patch} patches instead and make **each patch "
                f"one column of V** ({patches.grid.length} × {patches.grid.count:,}). Now a column of W has the "
                "shape of a patch: W is a dictionary of small pictures, and H says how much of each one every "
                "patch takes. Nothing may be negative, so a patch is built by *adding* parts, never by "
                "cancelling them: the parts come out as pieces (edges, blobs, textures).")
            st.latex(r"\underbrace{v_j}_{\text{patch } j} \;\approx\; \sum_{i=1}^{k} H_{ij}\,"
                     r"\underbrace{W_{:,i}}_{\text{part } i}, \qquad W, H \ge 0")
            st.markdown(patches.summary)
            for column, pixels, title in zip(st.columns(3), (patches.original, patches.reconstruction,
                                                              patches.whole.reconstruction), (
                    "The picture", f"Patches: {readable_bytes(patches.factor_bytes)}, {patches.psnr:.1f} dB",
                    f"Whole picture, rank {patches.whole.rank}: {readable_bytes(patches.whole.factor_bytes)}, "
                    f"{patches.whole.psnr:.1f} dB")):
                column.caption(title)
                column.image(pixels, output_format="PNG", width="stretch")
            numbers = st.columns(4)
            numbers[0].metric("Numbers stored", f"{patches.numbers_stored:,}",
                              help="k(p²c + number of patches): the dictionary W and the weights H, as float16.")
            numbers[1].metric("SVD, same bytes", f"{patches.svd_psnr:.1f} dB",
                              help="The truncated SVD of the patch matrix: the best any rank-k matrix can do; its "
                                   "components are signed.")
            numbers[2].metric("Sparseness of W", f"{patches.sparseness_W:.2f}",
                              help="Mean Hoyer sparseness of the parts: 0 flat, 1 a single pixel.")
            numbers[3].metric("Sparseness of H", f"{patches.sparseness_H:.2f}",
                              help="Mean Hoyer sparseness of each patch's weights: how few parts a patch uses.")
            st.plotly_chart(figures.atoms_figure(patches.atoms, patches.svd_atoms), width="stretch")
            st.caption("Left, NMF's parts, largest first, each shown from black (0) to white (its peak). Right, the "
                       "truncated SVD's components at the same rank: they reach the lowest error, but only by "
                       "adding and subtracting patterns (blue below zero, red above; mid-gray is zero in colour) "
                       "that are not pieces of anything. Raise α to make NMF's weights sparser: fewer parts per patch.")
            rebuilt = patch_rebuild(patches, count=SHOWN_PIECES)
            st.markdown(f"**One patch rebuilt** (the most detailed, at row {rebuilt.top_left[0]}, column "
                        f"{rebuilt.top_left[1]}): its {len(rebuilt.parts)} largest parts carry {rebuilt.share:.0%} "
                        f"of it; {rebuilt.used} of the {patches.rank} parts carry at least 1 % each. Parts are "
                        "numbered as in the dictionary above, in reading order.")
            enlarge = max(1, 96 // patches.grid.patch)
            pieces = st.columns(len(rebuilt.pieces) + 2)
            pieces[0].image(figures.enlarged(rebuilt.original, enlarge), caption="the patch", output_format="PNG")
            for column, piece, number, weight in zip(pieces[1:], rebuilt.pieces, rebuilt.numbers, rebuilt.weights):
                column.image(figures.enlarged(piece, enlarge), caption=f"+ {weight:.2f} × part {number}",
                             output_format="PNG")
            pieces[-1].image(figures.enlarged(rebuilt.rebuilt, enlarge), caption=f"= all {patches.rank} parts",
                             output_format="PNG")

if gaps_tab.open:
    with gaps_tab:
        with st.form("learn_gaps"):
            pattern_column, share_column = st.columns(2)
            pattern_column.radio("Hide", list(PATTERN_LABELS), format_func=PATTERN_LABELS.get, key="learn_pattern",
                                 horizontal=True)
            share_column.select_slider("Share of pixels hidden", HIDDEN_SHARES, value=0.2, key="learn_hidden",
                                       format_func=lambda share: f"{share:.0%}")
            st.form_submit_button("Hide and fill in")
        try:
            gap_work = affordable_fit(picture.pixels.shape, settings.mode, "joint", [rank] * 2, settings.max_iter)

            def filled():
                hidden = hidden_pixels(picture.pixels.shape, state["learn_pattern"], state["learn_hidden"],
                                       settings.random_state)
                live = LiveLoss(f"Fitting rank {rank} to the seen pixels only", gap_work.max_iter, gap_work.max_iter)
                try:
                    return inpaint(picture.pixels, hidden, mode=settings.mode, rank=rank, max_iter=gap_work.max_iter,
                                   random_state=settings.random_state, on_iteration=live)
                finally:
                    live.clear()

            gaps = cached_or_computed(
                settings.cache_key("inpaint", source_key, "max_side", "mode", "random_state",
                                   details=(rank, gap_work.max_iter, state["learn_pattern"], state["learn_hidden"])),
                filled, cost_bytes=60_000_000 + 32 * picture.pixels.size)
        except InputError as error:
            st.error(plain(error))
        else:
            st.markdown(
                "Hide some pixels and fit W·H to the others only: a **mask** M (1 where seen, 0 where hidden) "
                "takes the hidden pixels out of the loss, so the fit never reads them. W·H still has a value "
                "everywhere, and there it is NMF's guess, made from what each hidden pixel's row shares with "
                "other rows and its column with other columns.")
            st.latex(r"\min_{W,H \ge 0} \sum_{(i,j)\,\text{seen}} \bigl(V_{ij} - (WH)_{ij}\bigr)^2, \qquad "
                     r"H \leftarrow H \odot \frac{W^{\top}(M \odot V)}{W^{\top}(M \odot WH)}")
            st.markdown(gaps.summary)
            for column, pixels, title in zip(st.columns(3), (gaps.shown, gaps.nmf, gaps.biharmonic), (
                    f"What the fit sees ({gaps.hidden_share:.0%} hidden, magenta)",
                    f"NMF, rank {gaps.rank}: {gaps.nmf_psnr:.1f} dB on the hidden pixels",
                    f"Biharmonic inpainting: {gaps.biharmonic_psnr:.1f} dB")):
                column.caption(title)
                column.image(pixels, output_format="PNG", width="stretch")
            st.caption("PSNR on the hidden pixels only (the seen ones are kept as they are in both). Biharmonic "
                       "inpainting (scikit-image) fills each gap smoothly from its edges; it knows nothing of the rest "
                       "of the picture. Try the block: a gap whose rows and columns NMF has seen elsewhere is filled "
                       "with plaid, because that is all a rank-k product can say there.")

if rank_tab.open:
    with rank_tab:
        with st.form("learn_heldout"):
            share_column, largest_column = st.columns(2)
            share_column.select_slider("Entries held out", HELDOUT_SHARES, value=0.1, key="learn_heldout_share",
                                       format_func=lambda share: f"{share:.0%}")
            largest_column.number_input("Largest rank tried", *INTEGER_LIMITS["largest_rank"], value=40, step=5,
                                        key="learn_heldout_largest")
            st.form_submit_button("Hold out and fit")
        try:
            small, _ = working_copy(picture.pixels, min(HELDOUT_SIDE, settings.max_side))
            V = fit_matrices(small, settings.mode)[0][1]
            ks = heldout_ranks(min(state["learn_heldout_largest"], min(V.shape)))

            def scanned():
                live = LiveLoss(f"Fitting {len(ks)} ranks, then the same on shuffled data",
                                2 * len(ks) * settings.max_iter, settings.max_iter)
                try:
                    return heldout_curve(V, ks, state["learn_heldout_share"], max_iter=settings.max_iter,
                                         random_state=settings.random_state, on_iteration=live)
                finally:
                    live.clear()

            curve = cached_or_computed(
                settings.cache_key("heldout", source_key, "max_side", "mode", "max_iter", "random_state",
                                   details=(ks, state["learn_heldout_share"])), scanned)
        except InputError as error:
            st.error(plain(error))
        else:
            st.markdown(
                f"Which rank? Hide {curve.fraction:.0%} of the entries at random, fit each rank to the rest, and "
                "measure the error on both. More parts always fit the **seen** entries better; on the **held-out** "
                "entries, extra parts help only while they describe the picture; once they fit noise, the error "
                "stops falling or rises. The dashed lines repeat it on the same numbers shuffled, where there is "
                "nothing to learn.")
            st.latex(r"\text{held-out error}(k) = \frac{\lVert (V - W_k H_k)_{\text{held out}}\rVert}"
                     r"{\lVert V_{\text{held out}}\rVert}")
            st.markdown(curve.summary)
            st.plotly_chart(figures.heldout_figure(curve.ks, curve.seen_error, curve.heldout_error,
                                                   curve.shuffled_seen_error, curve.shuffled_heldout_error,
                                                   best_k=curve.best_k), width="stretch")
            st.caption(f"Fitted on a {small.shape[1]} × {small.shape[0]} px copy ({2 * len(ks)} masked MU fits, "
                       f"up to {settings.max_iter} iterations each, stopping once the loss settles). MU's slow "
                       "convergence holds overfitting back a little, so the rise past the best rank is gentle.")
