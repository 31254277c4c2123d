"""Compression: a photo written as W·H at any rank, measured honestly.

Reads top to bottom: the sidebar (settings from the link, the controls), the picture,
one cached fit (drawn live on a miss), its pictures and numbers, then tabs whose
content is built only while open (each with its own cached computation).
"""

from functools import partial

import streamlit as st

from app_pages.compression_sidebar import sidebar_settings
from app_pages.compression_state import CompressionSettings, loss_csv_bytes
from app_pages.live import LiveLoss, cached_or_computed, digest, plain, upload_bytes
from nnmf_core import InputError, figures, images, pin_blas_threads_for_sessions
from nnmf_core.compression import (
    CHANNEL_NAMES,
    DEFAULT_SWEEP_RANKS,
    affordable_fit,
    baselines,
    compress,
    factor_view,
    largest_rank,
    npz_bytes,
    parsed_ranks,
    parts_gallery,
    rank_sweep,
    readable_bytes,
    sample_working_image,
    usable_rank,
    working_image,
)
from nnmf_core.images import png_bytes

pin_blas_threads_for_sessions()

TABS = ["Numbers, loss and factors", "Rank sweep", "Baselines: SVD and JPEG", "Parts gallery"]

st.title("Image compression with NMF")
st.caption("An n × m picture is n·m numbers; NMF stores it as W (n × k) times H (k × m), k(n + m) non-negative "
           "numbers. Pick a picture and a rank in the sidebar.")

# ---- sidebar: settings from the link (once per visit) and the controls
settings, upload = sidebar_settings()
wanted_query = settings.as_query()
if any(st.query_params.get(name) != value for name, value in wanted_query.items()):
    st.query_params.update(wanted_query)

# ---- the picture
def uploaded_picture(upload, settings: CompressionSettings):
    """The upload at its working size (cached) and its content key; the upload's bytes live only in here."""
    data = upload_bytes(upload)
    key = digest(data)
    return cached_or_computed(settings.cache_key("picture", key), partial(working_image, data, settings.max_side),
                              cost_bytes=images.decode_memory_bytes(data, settings.max_side)), key


try:
    if upload is not None:
        (picture, source_key), source_name = uploaded_picture(upload, settings), upload.name
    else:
        source_key, source_name = f"sample:{settings.sample}", settings.sample
        picture = cached_or_computed(settings.cache_key("picture", source_key),
                                     partial(sample_working_image, settings.sample, settings.max_side))
except InputError as error:
    st.error(f"This file cannot be used. {plain(error)}")
    st.stop()

name_column, about_column = st.columns([1, 2], vertical_alignment="center")
name_column.text(f"Picture: {source_name}")
about_column.caption(f"{picture.format} file, {readable_bytes(picture.file_bytes)}. {picture.size_note}")
for note in picture.notes:
    st.info(plain(note))
if picture.is_grayscale and settings.mode == "colour":
    st.caption("This picture is grayscale (three equal channels): full colour fits the same numbers three "
               "times. Luminance gives the same picture for a third of the work.")
rank, rank_note = usable_rank(settings.rank, picture.pixels.shape, settings.mode, settings.colour_layout)
if rank_note:
    st.warning(rank_note)

# ---- the fit: one cached computation, drawn live on a miss
fit_key = settings.cache_key("compress", source_key, f"used_rank={rank}")
fit_count = 3 if settings.mode == "colour" and settings.colour_layout == "per-channel" else 1


def fitted():
    live = LiveLoss(f"Fitting W and H at rank {rank}", fit_count * work.n_restarts * work.max_iter, work.max_iter)
    try:
        return compress(picture.pixels, mode=settings.mode, colour_layout=settings.colour_layout, rank=rank,
                        solver=settings.solver, init=settings.init, max_iter=work.max_iter, tol=settings.tol,
                        n_restarts=work.n_restarts, random_state=settings.random_state,
                        file_bytes=picture.file_bytes, on_iteration=live)
    finally:
        live.clear()


try:
    work = affordable_fit(picture.pixels.shape, settings.mode, settings.colour_layout, [rank], settings.max_iter,
                          settings.n_restarts)  # capped to what one request may cost, with a note saying so
    if work.note:
        st.warning(work.note)
    result = cached_or_computed(fit_key, fitted)
except InputError as error:
    st.error(f"This picture cannot be factorized. {plain(error)}")
    st.stop()

# ---- 1. original, reconstruction, error (lossless PNG pictures); the numbers
original_column, nmf_column, error_column = st.columns(3)
stretched = st.session_state.get("stretch_error", False)
error_shown, error_top = figures.error_picture(result.absolute_error, None if stretched else figures.ERROR_TOP_LEVELS)
for column, pixels, title in (
    (original_column, result.original, f"Original ({picture.working_size[0]} × {picture.working_size[1]} px)"),
    (nmf_column, result.reconstruction, f"NMF, rank {rank}: {readable_bytes(result.factor_bytes)} of factors"),
    (error_column, error_shown, "Absolute error |original − NMF|"),
):
    column.caption(title)
    column.image(png_bytes(pixels, compress_level=1), output_format="PNG", width="stretch")  # lossless, fast
scale_column, bar_column, downloads_column = st.columns([1.1, 2.4, 1], vertical_alignment="center")
scale_column.toggle("Stretch the error scale", key="stretch_error",
                    help="Off: one fixed scale (0 to 64 levels), so two fits compare. On: this fit's 99.5th "
                         "percentile is brightest, to see detail.")
zoomed = scale_column.toggle("Linked zoom", key="linked_zoom",
                             help="The three pictures in one chart: zoom into one and the others follow.")
bar_column.plotly_chart(figures.error_colour_bar(error_top, stretched=stretched), width="stretch",
                        config={"displayModeBar": False})
if zoomed:
    st.plotly_chart(figures.comparison_figure(
        result.original, result.reconstruction, result.absolute_error, error_top=error_top,
        original_title="Original", reconstruction_title=f"NMF, rank {rank}"), width="stretch")

stem = f"nmf-rank{rank}-{settings.mode}"
with downloads_column.popover("Downloads", icon=":material/download:", width="stretch"):
    st.download_button("Reconstruction (PNG)", partial(png_bytes, result.reconstruction), f"{stem}.png",
                       "image/png", on_click="ignore", icon=":material/download:", width="stretch")
    st.download_button("Factors W, H (.npz, float16)", partial(npz_bytes, result), f"{stem}-factors.npz",
                       "application/octet-stream", on_click="ignore", icon=":material/download:",
                       width="stretch", help="Read with numpy.load(path, allow_pickle=False).")
    st.download_button("Loss history (CSV)", partial(loss_csv_bytes, result.loss_histories),
                       f"{stem}-loss.csv", "text/csv", on_click="ignore", icon=":material/download:",
                       width="stretch")

# ---- tabs: each is built only while it is open
loss_tab, sweep_tab, baseline_tab, parts_tab = st.tabs(TABS, key="view", on_change="rerun", bind="query-params")
channel_picker = partial(st.radio, "Channel", range(3), format_func=lambda i: CHANNEL_NAMES[i], horizontal=True)

if loss_tab.open:
    with loss_tab:
        st.caption(result.layout_description)
        quality, size = st.columns(4), st.columns(4)
        quality[0].metric("Relative error", f"{result.relative_error:.4f}", help="‖V − WH‖ / ‖V‖ (Frobenius norms).")
        quality[1].metric("PSNR", f"{result.psnr:.2f} dB", help="Peak signal-to-noise ratio; higher is better.")
        quality[2].metric("SSIM", f"{result.ssim:.3f}", help="Structural similarity; 1 means identical.")
        quality[3].metric("Fit", f"{result.seconds:.2f} s", delta=f"{result.n_iter} iterations", delta_arrow="off",
                          delta_color="off", delta_description="converged" if result.converged else "hit the limit")
        size[0].metric("Numbers stored, k(n + m)", f"{result.numbers_stored:,}",
                       delta=f"{result.numbers_stored / result.original_numbers:.1%}", delta_arrow="off",
                       delta_color="off", delta_description=f"of n·m = {result.original_numbers:,}")
        size[1].metric("Factors as float16", readable_bytes(result.factor_bytes),
                       help="2 bytes per number of W and H.")
        size[2].metric("Picture file", readable_bytes(picture.file_bytes),
                       help="The file as uploaded (or bundled), at its original size, before any downscaling.")
        size[3].metric("Raw pixels", readable_bytes(result.raw_pixel_bytes),
                       help="One byte per pixel value fitted (three per pixel in full colour).")
        log_y = st.toggle("Logarithmic loss axis", key="log_loss")
        st.plotly_chart(figures.loss_curves(result.loss_histories, log_y=log_y, max_iter=result.max_iter),
                        width="stretch")
        index = channel_picker(key="factor_channel") if fit_count == 3 else 0
        view = factor_view(result, index)
        groups = ("R", "G", "B") if result.colour_layout == "joint" else ()
        st.plotly_chart(figures.factor_figure(view.W, view.H, view.product, column_groups=groups,
                                              title=f"The factors of the {view.name} matrix and their product"),
                        width="stretch")
        st.caption("W holds k columns (features), H says how much of each feature every column of the picture "
                   "takes. Neither looks like the picture; their product does. Hover for values.")

if sweep_tab.open:
    with sweep_tab:
        largest = largest_rank(picture.pixels.shape, settings.mode, settings.colour_layout)
        with st.form("sweep"):
            st.text_input(f"Ranks to compare (comma-separated, 1 to {largest})",
                          ", ".join(map(str, DEFAULT_SWEEP_RANKS)), key="sweep_ranks")
            st.form_submit_button("Run the sweep")
        try:
            choice = parsed_ranks(st.session_state["sweep_ranks"], largest)
            sweep_work = affordable_fit(picture.pixels.shape, settings.mode, settings.colour_layout, choice.ranks,
                                        settings.max_iter, settings.n_restarts)
            if sweep_work.note:
                st.warning(sweep_work.note)

            def swept():
                live = LiveLoss(f"Sweeping ranks {', '.join(map(str, choice.ranks))}",
                                len(choice.ranks) * fit_count * sweep_work.n_restarts * sweep_work.max_iter,
                                sweep_work.max_iter)
                try:
                    return rank_sweep(picture.pixels, choice.ranks, mode=settings.mode,
                                      colour_layout=settings.colour_layout, solver=settings.solver,
                                      init=settings.init, max_iter=sweep_work.max_iter, tol=settings.tol,
                                      n_restarts=sweep_work.n_restarts, random_state=settings.random_state,
                                      on_iteration=live)
                finally:
                    live.clear()

            sweep = cached_or_computed(settings.cache_key("sweep", source_key, choice.ranks), swept)
        except InputError as error:
            st.error(plain(error))
        else:
            if choice.note:
                st.caption(choice.note)
            sweep_log = st.toggle("Logarithmic loss axis", key="sweep_log_loss")
            st.plotly_chart(figures.rank_sweep_figure(sweep.original, sweep.reconstructions, sweep.loss_histories,
                                                      sweep.ranks, sweep.psnr, log_y=sweep_log), width="stretch")
            st.plotly_chart(figures.storage_and_quality_figure(
                sweep.ranks, sweep.numbers_stored, sweep.original_numbers, sweep.storage_line,
                sweep.break_even_rank, sweep.psnr, sweep.svd_psnr), width="stretch")
            st.caption(f"From rank {sweep.break_even_rank} on, W and H hold at least as many numbers as the picture "
                       "(the dashed line): the \"compression\" makes it bigger. The truncated SVD is the best any "
                       "rank-k matrix can do, so NMF's PSNR stays at or below it.")

if baseline_tab.open:
    with baseline_tab:
        with st.spinner("Encoding JPEG at the same size and computing the SVD…"):
            compared = cached_or_computed(f"baselines|{fit_key}", partial(baselines, picture.pixels, result))
        st.markdown(compared.summary)
        st.plotly_chart(figures.pictures_figure(
            [item.pixels for item in (compared.nmf, compared.svd, compared.jpeg)],
            [f"{item.name}: {readable_bytes(item.n_bytes)}, {item.psnr:.1f} dB"
             for item in (compared.nmf, compared.svd, compared.jpeg)]), width="stretch")
        st.dataframe(compared.rows, width="stretch", hide_index=True, column_config={
            "bytes": st.column_config.NumberColumn("bytes", format="localized")})
        st.caption("All three are measured against the same original. The SVD's U·S and Vᵀ hold k(n + m) numbers, "
                   "like W and H, stored as float16 too; JPEG may use up to the factors' bytes, and uses fewer "
                   "when even its best quality (95) needs less.")

if parts_tab.open:
    with parts_tab:
        index = channel_picker(key="parts_channel") if fit_count == 3 else 0
        gallery = parts_gallery(result, 12, index)
        titles = [f"W[:, {component}] · {share:.1%}" for component, share in zip(gallery.components, gallery.shares)]
        st.plotly_chart(figures.parts_gallery_figure(
            gallery.pictures, titles, title=f"The {len(titles)} largest of {rank} parts ({gallery.name})"),
            width="stretch")
        st.caption("Each part is one column of W times the matching row of H (brightened to be seen alone); W·H is "
                   "the sum of all k. A part is an outer product, column × row, so every part of one whole-picture "
                   "matrix is a plaid of horizontal and vertical stripes, not a piece of an object. For parts that "
                   "are pieces, cut the picture into patches (the Learn NMF pages: Parts, gaps and rank). The "
                   "percentage is each part's share of the total size ‖W[:, i]‖·‖H[i, :]‖.")
