"""Spike clustering: sort spike waveforms by their NMF templates, and check the sort.

Reads top to bottom: sidebar (the data outside the form, the method inside it),
the waveforms (cached per file), one cached comparison — NMF as chosen, the
article's recipe, PCA + k-means — drawn live on a miss, the notebook's figure,
the downloads, then tabs whose content is built only while open.
"""

import html
from functools import partial

import streamlit as st

from app_pages.live import LiveLoss, cached_or_computed, digest, plain, shown
from app_pages.spike_state import INTEGER_LIMITS, MAX_ITER_STEP, SCAN_RANKS, SpikeSettings
from nnmf_core import InputError, figures, pin_blas_threads_for_sessions, spikes
from nnmf_core.factorize import SOLVER_LABELS, SOLVERS

pin_blas_threads_for_sessions()

#: The form's first view; every widget key is this page's own, kept across page switches.
DEFAULTS = SpikeSettings()
TABS = ["Templates and weights", "Quality and baseline", "Non-negativity", "Rank suggestion"]
SAMPLE_NAME = "Bundled sample (data/spikes_synthetic.csv): 4 synthetic units; its 'unit' column is the truth"

st.title("Spike clustering with NMF")
st.caption(
    "Every column of V is one spike waveform. NMF writes V ≈ W·H: the k columns of W are templates, and "
    "column j of H says how much of each template waveform j takes. Waveforms that take the same mix of "
    "templates are one cluster — one neuron, if all goes well. Pick the data and the method in the sidebar."
)

# ---- settings: the rank comes from "Use k = N" (rank tab) or from this page's last run
memory = st.session_state.setdefault("spike_memory", {"rank": DEFAULTS.rank})
rank_set_by_button = "spike_pending_rank" in st.session_state
if rank_set_by_button:
    memory["rank"] = st.session_state[SpikeSettings.key("rank")] = st.session_state.pop("spike_pending_rank")

# ---- sidebar
with st.sidebar:
    st.header("Waveforms")
    upload = st.file_uploader(
        "CSV file (else the bundled sample)", type=["csv", "tsv", "txt"], key="spike_upload",
        max_upload_size=spikes.MAX_CSV_BYTES // 2**20,
        help="One waveform per row: an id column, then numeric samples, then optional label columns "
             f"(text, or headed unit/label/cluster/organoid …). Up to {spikes.MAX_CSV_BYTES // 2**20} MB, "
             f"{spikes.MAX_WAVEFORMS:,} waveforms and {spikes.MAX_SAMPLES:,} samples each. Never stored.")
    transposed = st.toggle("One column per waveform (transposed)", key="spike_transposed", persist_state="session",
                           help="For uploaded files whose columns are waveforms, each headed by its id.")
    reference_box = st.container()
    with st.form("method"):
        st.header("Method")
        st.selectbox("Make the data non-negative", list(spikes.TRANSFORMS), format_func=spikes.TRANSFORMS.get,
                     index=list(spikes.TRANSFORMS).index(DEFAULTS.transform), key=SpikeSettings.key("transform"),
                     persist_state="session",
                     help="NMF needs V ≥ 0, spikes are signed. Split loses nothing; a shift adds an offset.")
        st.number_input("Clusters k (the rank)", *INTEGER_LIMITS["rank"], step=1, key=SpikeSettings.key("rank"),
                        **({} if rank_set_by_button else {"value": memory["rank"]}))
        st.radio("Assign each waveform by", list(spikes.ASSIGNMENTS), format_func=spikes.ASSIGNMENTS.get,
                 index=list(spikes.ASSIGNMENTS).index(DEFAULTS.assignment), key=SpikeSettings.key("assignment"),
                 persist_state="session",
                 help="Argmax: the template with the largest weight (W's columns scaled to unit norm first). "
                      "k-means: group the waveforms by their mix of templates.")
        st.radio("Solver", SOLVERS, format_func=SOLVER_LABELS.get, index=SOLVERS.index(DEFAULTS.solver),
                 key=SpikeSettings.key("solver"), horizontal=True, persist_state="session")
        st.number_input("Iterations (at most)", *INTEGER_LIMITS["max_iter"], DEFAULTS.max_iter, step=MAX_ITER_STEP,
                        key=SpikeSettings.key("max_iter"), persist_state="session")
        left, right = st.columns(2)
        left.number_input("Restarts", *INTEGER_LIMITS["restarts"], DEFAULTS.restarts, step=1,
                          key=SpikeSettings.key("restarts"), persist_state="session",
                          help="Independent fits; the lowest loss is kept.")
        right.number_input("Random seed", *INTEGER_LIMITS["seed"], DEFAULTS.seed, step=1, key=SpikeSettings.key("seed"),
                           persist_state="session")
        st.form_submit_button("Cluster", type="primary", width="stretch")

settings = SpikeSettings.from_state(st.session_state)
memory["rank"] = k = settings.rank

# ---- the waveforms
try:
    if upload is not None:
        data = upload.getvalue()
        source_key, source_name = f"{digest(data)}|transposed={transposed}", f"Uploaded file: {upload.name}"
        table = cached_or_computed(f"spike-table|{source_key}", partial(spikes.read_waveforms, data,
                                                                        transposed=transposed))
    else:
        source_key, source_name = "sample", SAMPLE_NAME
        table = cached_or_computed("spike-table|sample", spikes.load_sample_spikes)
except InputError as error:
    st.error(f"This file cannot be used. {plain(error)}")
    st.caption("Remove the file (× in the sidebar) to go back to the bundled sample.")
    st.stop()

with reference_box:
    label_names = list(table.label_columns)
    reference_name = st.selectbox(
        "Reference labels", [""] + label_names, index=1 if label_names else 0,
        format_func=lambda name: name or "none", disabled=not label_names,
        help="A label column of the file to compare the clusters with (ARI, confusion table)."
             + ("" if label_names else " This file has none."))
reference = table.label_columns[reference_name] if reference_name else None

st.text(f"{source_name}\n{table.n_waveforms:,} waveforms × {table.n_samples:,} samples")
for note in table.notes:
    st.warning(plain(note))

# ---- one cached computation (iterations capped to what one request may cost), drawn live on a miss
fit_key = settings.cache_key(source_key)
work = spikes.affordable_comparison(
    table.n_waveforms, table.n_samples, k, transform=settings.transform, solver=settings.solver,
    assignment=settings.assignment, max_iter=settings.max_iter, n_restarts=settings.restarts)
if work.note:
    st.warning(work.note)


def compared():
    live = LiveLoss(f"Fitting W and H at rank {k}", settings.restarts * work.max_iter, work.max_iter)
    try:
        return spikes.compare_methods(
            table.waveforms, k, transform=settings.transform, assignment=settings.assignment, solver=settings.solver,
            max_iter=work.max_iter, n_restarts=settings.restarts, random_state=settings.seed, on_iteration=live,
            article_max_iter=work.article_max_iter)
    finally:
        live.clear()


try:
    comparison = cached_or_computed(fit_key, compared)
except InputError as error:
    st.error(f"These waveforms cannot be clustered with these settings. {plain(error)}")
    st.stop()
result = comparison.chosen
quality = cached_or_computed(f"spike-quality|{fit_key}|{reference_name}",
                             partial(spikes.quality_report, comparison, reference))
chosen = quality.table.iloc[0]

# ---- 1. the numbers and the notebook's figure
numbers = st.columns(5)
numbers[0].metric("ARI vs reference", shown(chosen["ari"]),
                  help="Adjusted Rand index against the reference labels: 1 = the same grouping, 0 = chance.")
numbers[1].metric("Silhouette", shown(chosen["silhouette"]),
                  help="How close each waveform is to its own cluster versus the nearest other (−1 … 1).")
numbers[2].metric("Stability", shown(chosen["stability"]),
                  help="Mean pairwise ARI between the clusters of the restarts (needs ≥ 2 restarts).")
numbers[3].metric("Relative error", f"{result.result.relative_error:.3f}",
                  help="‖V − WH‖ / ‖V‖ of the kept fit.")
numbers[4].metric("Fit", f"{result.result.seconds:.2f} s", help="Time of the kept fit.",
                  delta=f"{result.result.n_iter} iterations", delta_color="off", delta_arrow="off")

st.plotly_chart(figures.spike_panels_figure(table.waveforms, result.labels, k,
                                            title=f"All waveforms, then the {k} clusters"), width="stretch")
st.caption(f"{spikes.method_name(result.transform, settings.solver, result.assignment)}. Thin lines: "
           "single waveforms (at most 400 per panel); black dashed: the mean of the panel. Clusters are numbered "
           "by where their energy sits in time, so colours keep their meaning when you rerun.")

downloads = st.columns(2)
downloads[0].download_button(
    "Clusters and weights (CSV)", partial(spikes.export_assignments_csv, table.ids, result.labels, result.H),
    f"spike-clusters-k{k}.csv", "text/csv", on_click="ignore", icon=":material/download:", width="stretch",
    help="id, cluster and the weight of every template (the columns of H), one row per waveform.")
downloads[1].download_button(
    "Templates (CSV)", partial(spikes.export_templates_csv, result.templates.T, table.sample_names),
    f"spike-templates-k{k}.csv", "text/csv", on_click="ignore", icon=":material/download:", width="stretch",
    help="The columns of W as waveforms, one column per template.")

# ---- tabs: each is built only while it is open
templates_tab, quality_tab, transform_tab, scan_tab = st.tabs(TABS, key="spike_view", on_change="rerun")

if templates_tab.open:
    with templates_tab:
        left, right = st.columns(2)
        left.plotly_chart(figures.spike_templates_figure(result.templates, title="Templates: the columns of W"),
                          width="stretch")
        right.plotly_chart(figures.loss_curve(result.loss_history, log_y=True, title="Loss of the kept fit"),
                           width="stretch")
        st.caption("Each template is a column of W, scaled to unit length"
                   + (" (positive half minus negative half)." if result.transform == "split" else ".")
                   + " With argmax, template c defines cluster c; with k-means a cluster may mix templates.")
        st.plotly_chart(figures.spike_weights_heatmap(result.H, result.labels, k,
                                                      title="H: the weight of every template in every waveform"),
                        width="stretch")
        st.caption("One column per waveform, sorted by cluster (coloured strip), then by the strongest template.")
        left, right = st.columns([3, 2])
        with left:
            space = st.segmented_control("Show the waveforms in", ["PCA space", "H space"], default="PCA space",
                                         key="spike_space", required=True)
            if space == "H space":
                first, second = st.columns(2)
                a = first.selectbox("x: template", range(k), key="spike_h_x")
                b = second.selectbox("y: template", range(k), index=min(1, k - 1), key="spike_h_y")
                points, axes = result.H[[a, b]].T, (f"weight of template {a}", f"weight of template {b}")
            else:
                ratio = comparison.baseline.explained_variance_ratio
                points, axes = comparison.baseline.scores, (f"PC1 ({ratio[0]:.0%} of variance)",
                                                            f"PC2 ({ratio[1]:.0%} of variance)")
            st.plotly_chart(figures.spike_scatter_figure(
                points, result.labels, k, axis_titles=axes, hover_text=[html.escape(i) for i in table.ids],
                title=f"Waveforms in {space}, coloured by NMF cluster"), width="stretch")
        right.plotly_chart(figures.spike_sizes_figure(result.labels, k, title="Cluster sizes"), width="stretch")

if quality_tab.open:
    with quality_tab:
        st.dataframe(quality.table, hide_index=True, width="stretch", column_config={
            "method": st.column_config.TextColumn("method", width="large"),
            "silhouette": st.column_config.NumberColumn("silhouette", format="%.3f",
                                                        help="On the waveforms; −1 … 1, higher is better."),
            "stability": st.column_config.NumberColumn("stability", format="%.3f",
                                                       help="Mean pairwise ARI over restarts (k-means seeds)."),
            "ari": st.column_config.NumberColumn("ARI vs reference", format="%.3f")})
        st.markdown(quality.sentence)
        st.caption("Silhouette: on the waveforms themselves, the same space for every method. Stability: mean "
                   "pairwise ARI of the clusters from each restart (for the baseline, from as many k-means seeds).")
        ratio = comparison.baseline.explained_variance_ratio
        axes = (f"PC1 ({ratio[0]:.0%} of variance)", f"PC2 ({ratio[1]:.0%} of variance)")
        left, right = st.columns(2)
        left.plotly_chart(figures.spike_scatter_figure(
            comparison.baseline.scores, result.labels, k, axis_titles=axes, height=380,
            title="NMF clusters in PCA space"), width="stretch")
        right.plotly_chart(figures.spike_scatter_figure(
            comparison.baseline.scores, comparison.baseline.labels, k, axis_titles=axes, height=380,
            title="Baseline: PCA (3 components) + k-means"), width="stretch")
        if reference is None:
            st.caption("Pick a reference label column in the sidebar to see the confusion tables.")
        else:
            st.caption("Waveforms per cluster (rows) and reference label (columns).")
            left, right = st.columns(2)
            left.markdown("**NMF clusters × reference**")
            left.dataframe(quality.confusion["chosen"], width="stretch")
            right.markdown("**PCA + k-means clusters × reference**")
            right.dataframe(quality.confusion["baseline"], width="stretch")

if transform_tab.open:
    with transform_tab:
        st.markdown(f"**{spikes.TRANSFORMS[result.transform]}.** {result.description}")
        st.plotly_chart(figures.spike_transform_figure(
            table.waveforms, result.V, split=result.transform == "split",
            title=f"What NMF sees: {min(40, table.n_waveforms)} waveforms before and after"), width="stretch")
        st.caption("The split keeps each waveform exactly (positive part − negative part) and adds no offset. "
                   "The article's global shift lifts everything by one constant, so every waveform shares a large "
                   "flat component; the per-sample shift lifts each sample by its own amount.")

if scan_tab.open:
    with scan_tab:
        st.markdown(f"For k = {SCAN_RANKS[0]} … {SCAN_RANKS[-1]}: eight fits from random starts each, with the "
                    "method in the sidebar, scored by fit, reproducibility and separation d′ (the distance of the "
                    "two closest cluster means in units of their spread).")

        scan_ranks = [r for r in SCAN_RANKS if r <= table.n_waveforms]

        def scanned():
            bar = st.progress(0.0, text="Scanning ranks …")
            try:
                return spikes.rank_scan(
                    table.waveforms, scan_ranks, transform=settings.transform, max_iter=scan_work.max_iter,
                    assignment=settings.assignment, solver=settings.solver, random_state=settings.seed,
                    on_rank=lambda done, total: bar.progress(done / total, text=f"Scanned {done} of {total} ranks"))
            finally:
                bar.empty()

        scan_key = settings.scan_key(source_key)
        try:
            scan_work = spikes.affordable_scan(table.n_waveforms, table.n_samples, scan_ranks,
                                               transform=settings.transform)
            if scan_work.note:
                st.warning(scan_work.note)
            scan = cached_or_computed(scan_key, scanned)
            suggested = spikes.suggested_rank(scan)
        except InputError as error:
            st.error(plain(error))
        else:
            st.plotly_chart(figures.spike_rank_scan_figure(
                scan["k"], scan["relative_error"], scan["cophenetic"], scan["stability"], scan["separation"],
                suggested=suggested, threshold=spikes.SEPARATION_THRESHOLD,
                title=f"Which k? The scan suggests k = {suggested}"), width="stretch")
            st.markdown(spikes.suggestion_reason(scan))
            st.caption("The error always falls as k grows. The consensus scores (cophenetic correlation, mean "
                       "pairwise ARI of the starts) say how reproducible each k is; separation d′ says whether the "
                       "two closest clusters are really apart, or one unit cut in two.")
            if suggested == k:
                st.success(f"k = {suggested} is the rank in use.")
            elif st.button(f"Use k = {suggested}", type="primary", key="spike_use_rank"):
                st.session_state["spike_pending_rank"] = suggested
                st.rerun()
            st.dataframe(scan, hide_index=True, width="stretch", column_config={
                "relative_error": st.column_config.NumberColumn("relative error", format="%.4f"),
                "cophenetic": st.column_config.NumberColumn("cophenetic", format="%.4f"),
                "stability": st.column_config.NumberColumn("stability", format="%.4f"),
                "separation": st.column_config.NumberColumn("separation d′", format="%.2f"),
                "seconds": st.column_config.NumberColumn("seconds", format="%.2f")})
