"""Learn NMF: watch one fit learn, iteration by iteration, and race the solvers.

Reads top to bottom: the sidebar (picture and fit settings, shared with the
second Learn page), the picture, then two tabs built only while open, each
with one cached computation drawn live on a miss: the fit replayed from its
snapshots, and the race.
"""

import streamlit as st

from app_pages.learn_sidebar import loaded_picture, sidebar_settings
from app_pages.live import LiveLoss, cached_or_computed, plain
from nnmf_core import InputError, figures, pin_blas_threads_for_sessions
from nnmf_core._text import readable_bytes
from nnmf_core.compression import affordable_fit, fit_matrices
from nnmf_core.learning import race_steps, replay_fit, solver_race

pin_blas_threads_for_sessions()

TABS = ["Replay the fit", "Race the solvers"]
#: The update each solver makes, for the replay's explanation.
UPDATES = {
    "mu": r"H \leftarrow H \odot \frac{W^{\top}V}{W^{\top}W\,H}, \qquad W \leftarrow W \odot \frac{V H^{\top}}{W\,H H^{\top}}",
    "kullback-leibler": r"H \leftarrow H \odot \frac{W^{\top}(V \oslash WH)}{W^{\top}\mathbf{1}}, \qquad "
                        r"W \leftarrow W \odot \frac{(V \oslash WH)\,H^{\top}}{\mathbf{1}\,H^{\top}}",
    "hals": r"H_{j,:} \leftarrow \max\!\Bigl(0,\; H_{j,:} + \frac{(W^{\top}V)_{j,:} - (W^{\top}W\,H)_{j,:}}"
            r"{(W^{\top}W)_{jj}}\Bigr), \quad j = 1 \dots k \quad (\text{then } W\text{'s columns alike})",
}
OBJECTIVE = (r"\min_{W,H \,\ge\, 0}\; \tfrac12\lVert V - WH\rVert_F^2 \;+\; \alpha\rho\,\bigl(m\lVert W\rVert_1 + "
             r"n\lVert H\rVert_1\bigr) \;+\; \tfrac{\alpha(1-\rho)}{2}\bigl(m\lVert W\rVert_F^2 + n\lVert H\rVert_F^2\bigr)")
HOYER = r"\text{sparseness}(x) = \frac{\sqrt{d} - \lVert x\rVert_1 / \lVert x\rVert_2}{\sqrt{d} - 1} \in [0, 1]"

st.title("Watch NMF learn")
st.caption("One fit from a random start, replayed iteration by iteration; then four solvers raced on the same "
           "picture from the same start. Settings in the sidebar, kept on the next Learn page too.")

settings, upload = sidebar_settings(fit_options=True)
picture, source_key, rank = loaded_picture(settings, upload)
if settings.loss == "kullback-leibler" and settings.solver != "mu":
    st.caption("The Kullback–Leibler loss runs with MU, the solver that handles it.")
V_shape = (picture.pixels.shape[0], picture.pixels.shape[1] * (3 if settings.mode == "colour" else 1))

replay_tab, race_tab = st.tabs(TABS, key="learn_view", on_change="rerun", bind="query-params")

if replay_tab.open:
    with replay_tab:
        try:
            work = affordable_fit(picture.pixels.shape, settings.mode, "joint", [rank], settings.max_iter)
            if work.note:
                st.warning(work.note)

            def replayed():
                live = LiveLoss(f"Fitting rank {rank} from a random start", work.max_iter, work.max_iter)
                try:
                    return replay_fit(picture.pixels, mode=settings.mode, rank=rank, solver=settings.fit_solver,
                                      loss=settings.loss, alpha=settings.alpha, l1_ratio=settings.l1_ratio,
                                      max_iter=work.max_iter, random_state=settings.random_state, on_iteration=live)
                finally:
                    live.clear()

            key = settings.cache_key("replay", source_key, "max_side", "mode", "fit_solver", "loss", "alpha",
                                     "l1_ratio", "random_state", details=(rank, work.max_iter))
            replay = cached_or_computed(key, replayed, cost_bytes=60_000_000 + 8 * picture.pixels.size)
        except InputError as error:
            st.error(plain(error))
        else:
            st.markdown(
                f"The fit starts from random W and H and improves them one **iteration** at a time; "
                f"{len(replay.snapshots)} of its states were kept, closer together at first, where it changes "
                "fastest. Drag the slider to replay it: the picture W·H, the loss so far, and the factors "
                "themselves. Each iteration of the chosen solver makes this update:")
            st.latex(UPDATES["kullback-leibler" if settings.loss == "kullback-leibler" else settings.fit_solver])
            iteration = st.select_slider("Iteration", replay.iterations, value=replay.iterations[-1],
                                         key=f"learn_iteration|{key}")
            snapshot = replay.snapshots[replay.iterations.index(iteration)]
            original_column, fitted_column, numbers_column = st.columns([2, 2, 1])
            original_column.caption("The picture, V")
            original_column.image(replay.original, output_format="PNG", width="stretch")
            fitted_column.caption(f"W·H after {iteration} iterations" if iteration else "W·H at the random start")
            fitted_column.image(snapshot.picture, output_format="PNG", width="stretch")
            numbers_column.metric("Relative error", f"{snapshot.relative_error:.4f}", help="‖V − WH‖ / ‖V‖.")
            numbers_column.metric("Sparseness of W", f"{snapshot.sparseness_W:.2f}",
                                  help="Mean Hoyer sparseness of W's columns: 0 all equal, 1 one entry each.")
            numbers_column.metric("Sparseness of H", f"{snapshot.sparseness_H:.2f}",
                                  help="Mean Hoyer sparseness of H's columns: how few parts each column uses.")
            loss_label = "KL divergence" if replay.loss == "kullback-leibler" else "loss ‖V − WH‖²"
            st.plotly_chart(figures.replay_loss_figure(replay.loss_history, iteration, replay.iterations,
                                                       loss_label=loss_label), width="stretch")
            W_max, H_max = replay.factor_ranges
            st.plotly_chart(figures.factor_heatmaps(
                snapshot.W, snapshot.H, W_max=W_max, H_max=H_max, row_step=replay.row_step,
                column_step=replay.column_step, title=f"W and H at iteration {iteration} (one colour scale "
                "for the whole replay)"), width="stretch")
            st.markdown(
                "**Constraints you can feel.** The sidebar's loss and sparsity penalty change what the fit "
                "minimises. With α > 0 it pays for every unit in W and H, so it keeps fewer, larger entries: "
                "watch the sparseness readout climb and the picture lose detail. The penalised objective "
                "(ρ is the share of L1):")
            st.latex(OBJECTIVE)
            st.markdown("Sparseness is Hoyer's measure, averaged over the columns of W and of H:")
            st.latex(HOYER)
            st.caption(f"{len(replay.snapshots)} snapshots kept in {readable_bytes(replay.nbytes)} (pictures at "
                       f"most 512 px, W and H thinned to 1 in {replay.row_step} rows and 1 in "
                       f"{replay.column_step} columns). Each is the fit's own state: the fit runs in segments "
                       "from snapshot to snapshot, continuing exactly where the last one stopped.")

if race_tab.open:
    with race_tab:
        try:
            race_work = affordable_fit(picture.pixels.shape, settings.mode, "joint", [rank] * 5, settings.max_iter)
            if race_work.note:
                st.warning(race_work.note)

            def raced():
                live = LiveLoss("Racing HALS, MU, KL-MU and scikit-learn", race_steps(race_work.max_iter),
                                race_work.max_iter)
                try:
                    V = fit_matrices(picture.pixels, settings.mode)[0][1]
                    return solver_race(V, rank, max_iter=race_work.max_iter, random_state=settings.random_state,
                                       on_iteration=live)
                finally:
                    live.clear()

            race = cached_or_computed(
                settings.cache_key("race", source_key, "max_side", "mode", "random_state",
                                   details=(rank, race_work.max_iter)), raced,
                cost_bytes=80_000_000 + 16 * picture.pixels.size)
        except InputError as error:
            st.error(plain(error))
        else:
            st.markdown(race.summary)
            log_y = st.toggle("Logarithmic error axis", value=True, key="learn_race_log")
            st.plotly_chart(figures.race_figure(race.laps, log_y=log_y), width="stretch")
            st.dataframe(race.rows, width="stretch", hide_index=True)
            st.markdown(
                f"Four ways to fit the same {V_shape[0]} × {V_shape[1]} matrix at rank {rank}, all from one "
                "random start, all run for every iteration. **MU** multiplies each entry by a ratio that is "
                "below 1 where the fit is too big and above 1 where it is too small: safe, simple, slow. **HALS** "
                "solves exactly for one row of H (or column of W) at a time, holding the rest: bigger steps for "
                "the same products. **KL-MU** is MU for the Kullback–Leibler divergence, a different loss, so on "
                "this yardstick it is not trying to win. **scikit-learn's cd** (coordinate descent, the outside "
                "reference) updates one entry at a time.")
            st.latex(r"\text{relative error} = \frac{\lVert V - WH\rVert_F}{\lVert V\rVert_F}")
            st.caption("HALS and MU report their loss after every iteration. KL-MU and scikit-learn are measured at "
                       "checkpoints: each runs in segments that continue exactly where the last one stopped, and "
                       "scikit-learn's time is the sum of its calls (a few per cent of validation included). The "
                       "errors are reproducible with the seed; the seconds are measured on this server, now.")
