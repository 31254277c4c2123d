"""Spike clustering: sort spike waveforms by their NMF templates, and check the sort.

Reads top to bottom: sidebar (the data and its description outside the form,
the method inside it), the waveforms (cached per file), one cached comparison —
NMF as chosen, the article's recipe, PCA + k-means — drawn live on a miss, the
notebook's figure, the downloads, then tabs whose content is built only while open.
"""

import html
from functools import partial

import streamlit as st

from app_pages import spike_curation as curation
from app_pages import spike_exports as exports
from app_pages import spike_rank_tab as rank_tab
from app_pages import spike_state as state
from app_pages import spike_units as units
from app_pages.live import LiveLoss, cached_or_computed, digest, plain, shown, upload_bytes, wait_for_room
from app_pages.spike_state import SpikeSettings
from nnmf_core import InputError, figures, pin_blas_threads_for_sessions, spikes
from nnmf_core._text import counted
from nnmf_core.errors import TooLarge
from nnmf_core.factorize import SOLVER_LABELS, SOLVERS

pin_blas_threads_for_sessions()

#: The form's first view; every widget key is this page's own, kept across page switches.
DEFAULTS = SpikeSettings()
TABS = ["Templates and weights", "Quality and baseline", "Non-negativity", "Rank suggestion", "Units", "Curation",
        "Export and apply"]

st.title("Spike clustering with NMF")
st.caption(
    "Every column of V is one spike waveform. NMF writes V ≈ W·H: the k columns of W are templates, and "
    "column j of H says how much of each template waveform j takes. Waveforms that take the same mix of "
    "templates are one cluster — one neuron, if all goes well. Pick the data and the method in the sidebar."
)

# ---- settings: the rank comes from "Use k = N" (rank tab), from a newly chosen bundled example (its number of
# units) or from this page's last run
memory = st.session_state.setdefault("spike_memory", {"rank": DEFAULTS.rank})
rank_set_in_state = "spike_pending_rank" in st.session_state
if rank_set_in_state:
    memory["rank"] = st.session_state[SpikeSettings.key("rank")] = st.session_state.pop("spike_pending_rank")

# ---- sidebar
with st.sidebar:
    st.header("Waveforms")
    upload = st.file_uploader(
        "CSV, .npy or .npz file (else a bundled example)", type=exports.FILE_TYPES, key="spike_upload",
        max_upload_size=spikes.MAX_CSV_BYTES // 2**20, help=state.UPLOAD_HELP.format(
            mb=spikes.MAX_CSV_BYTES // 2**20, waveforms=spikes.MAX_WAVEFORMS, samples=spikes.MAX_SAMPLES))
    if upload is None:
        example = st.radio("Bundled example", list(state.EXAMPLES), format_func=lambda name: state.EXAMPLES[name][0],
                           key="spike_example", persist_state="session",
                           help="Both have the true unit of every spike in a 'unit' column. Choosing one sets k to "
                                "its number of units; the Rank suggestion tab shows how k is found without them.")
        rank_set_in_state |= state.chose_example(memory, example, st.session_state)
    else:
        transposed = st.toggle("One column per waveform (transposed)", key="spike_transposed", persist_state="session",
                               help="For uploaded files whose columns are waveforms, each headed by its id.")
    data_box = st.container()
    with st.form("method"):
        st.header("Method")
        st.selectbox("Make the data non-negative", list(spikes.TRANSFORMS), format_func=spikes.TRANSFORMS.get,
                     index=list(spikes.TRANSFORMS).index(DEFAULTS.transform), key=SpikeSettings.key("transform"),
                     persist_state="session",
                     help="NMF needs V ≥ 0, spikes are signed. Split loses nothing; a shift adds an offset.")
        st.number_input("Clusters k (the rank)", *state.INTEGER_LIMITS["rank"], step=1, key=SpikeSettings.key("rank"),
                        **({} if rank_set_in_state else {"value": memory["rank"]}))
        st.radio("Assign each waveform by", list(spikes.ASSIGNMENTS), format_func=spikes.ASSIGNMENTS.get,
                 index=list(spikes.ASSIGNMENTS).index(DEFAULTS.assignment), key=SpikeSettings.key("assignment"),
                 persist_state="session", help=state.ASSIGNMENT_HELP)
        st.toggle("Align spikes first (several channels)", DEFAULTS.align, key=SpikeSettings.key("align"),
                  persist_state="session", help=state.ALIGN_HELP)
        st.radio("Solver", SOLVERS, format_func=SOLVER_LABELS.get, index=SOLVERS.index(DEFAULTS.solver),
                 key=SpikeSettings.key("solver"), horizontal=True, persist_state="session")
        st.number_input("Iterations (at most)", *state.INTEGER_LIMITS["max_iter"], DEFAULTS.max_iter, step=state.MAX_ITER_STEP,
                        key=SpikeSettings.key("max_iter"), persist_state="session")
        left, right = st.columns(2)
        left.number_input("Restarts", *state.INTEGER_LIMITS["restarts"], DEFAULTS.restarts, step=1,
                          key=SpikeSettings.key("restarts"), persist_state="session",
                          help="Independent fits; the lowest loss is kept.")
        right.number_input("Random seed", *state.INTEGER_LIMITS["seed"], DEFAULTS.seed, step=1, key=SpikeSettings.key("seed"),
                           persist_state="session")
        st.form_submit_button("Cluster", type="primary", width="stretch")

# ---- the waveforms
def uploaded_table(upload, transposed: bool) -> tuple[spikes.WaveformTable, str]:
    """The table read from the upload (kept in the shared store) and its source key; the upload's bytes live only in here."""
    data = upload_bytes(upload)
    key, cost = f"{digest(data)}|transposed={transposed}", spikes.READ_COST_PER_BYTE * len(data)
    wait_for_room(f"spike-table|{key}", cost)  # a queued session holds no table
    read = partial(spikes.read_spike_file, upload.name, data, transposed=transposed)
    return cached_or_computed(f"spike-table|{key}", read, cost_bytes=cost, shared=True), key


try:
    if upload is not None:
        (table, source_key), source_name = uploaded_table(upload, transposed), f"Uploaded file: {upload.name}"
    else:
        source_key, source_name = f"example={example}", state.EXAMPLES[example][1]
        table = cached_or_computed(f"spike-table|{source_key}", partial(spikes.load_sample_spikes, example),
                                   shared=True)
except TooLarge as error:
    st.error(f"This file is larger than one request may use here. {plain(error)}")
    exports.command_line_instead(upload.name, SpikeSettings.from_state(st.session_state))
    st.stop()
except InputError as error:
    st.error(f"This file cannot be used. {plain(error)}")
    st.caption("Remove the file (× in the sidebar) to go back to the bundled examples.")
    st.stop()

# ---- what the data is: a new file brings its own channels, rate and unit
if st.session_state.get(state.DESCRIBED_KEY) != source_key:
    described = state.first_description(table, bundled=upload is None)
    st.session_state.update(state.description_changes(described, st.session_state), **{state.DESCRIBED_KEY: source_key})
with data_box:
    st.selectbox("Channels per waveform", spikes.channel_options(table.n_samples), key=SpikeSettings.key("channels"),
                 help=state.CHANNELS_HELP, persist_state="session")
    left, right = st.columns([3, 2])
    rate = left.number_input("Sampling rate (kHz)", 1.0, 1000.0, state.DATA_DEFAULTS[state.RATE_KEY], step=1.0,
                             format="%g", key=state.RATE_KEY, help=state.RATE_HELP, persist_state="session")
    unit = right.selectbox("Values in", state.AMPLITUDE_UNITS, key=state.UNIT_KEY, persist_state="session",
                           help="The amplitude unit of the file's values, for the axes (a.u.: arbitrary units).")
    label_names = list(table.label_columns)
    reference_name = st.selectbox(
        "Reference labels", [""] + label_names, index=1 if label_names else 0,
        format_func=lambda name: name or "none", disabled=not label_names,
        help="A label column of the file to compare the clusters with (ARI, confusion tables)."
             + ("" if label_names else " This file has none."))
reference = table.label_columns[reference_name] if reference_name else None
settings = SpikeSettings.from_state(st.session_state)
memory["rank"] = k = settings.rank
channels, file_rate = settings.channels, table.sampling_rate
table = table.with_sampling_rate(rate * 1000)

st.text(f"{source_name}\n{table.n_waveforms:,} waveforms × {table.n_samples:,} samples")
st.caption(state.data_details(table, channels, from_file=file_rate == table.sampling_rate))
for note in table.notes:
    st.warning(plain(note))
for sentence in table.inferred:
    st.info(plain(sentence), icon=":material/info:")

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
            article_max_iter=work.article_max_iter, channels=channels, align=settings.align_option,
        ).lean()  # V is made again where drawn
    finally:
        live.clear()


try:
    comparison = cached_or_computed(fit_key, compared, cost_bytes=state.job_bytes("comparison", table))
except InputError as error:
    st.error(f"These waveforms cannot be clustered with these settings. {plain(error)}")
    st.stop()
result = comparison.chosen
quality = cached_or_computed(f"spike-quality|{fit_key}|{reference_name}",
                             partial(spikes.quality_report, comparison, reference, reference_name or "reference"))
chosen = quality.table.iloc[0]
history = curation.history_for(fit_key, result.labels)  # merges, splits, marks of this fit, kept per session
labels = curation.labels_now(fit_key, history, result, table.waveforms)  # curated, −1 for the unassigned when taken out

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

style = st.session_state.get("spike_panel_style") or "density"  # its control sits under the figure
st.plotly_chart(figures.spike_panels_figure(
    *curation.assigned(table.waveforms, labels), curation.clusters_shown(labels, k),
    title=f"All waveforms, then the {k} clusters" + (" (curated)" if history.position else ""), channels=channels,
    sampling_rate=table.sampling_rate, amplitude_unit=unit, style=style,
    panels_per_row=state.panels_per_row(st.context.headers.get("User-Agent", ""), channels)), width="stretch")
st.caption(state.panels_caption(
    spikes.method_name(result.transform, settings.solver, result.assignment, aligned=result.shifts is not None),
    style, figures.EXAMPLE_WAVEFORMS, figures.MAX_DRAWN_WAVEFORMS))

if spikes.UNASSIGNED in labels:
    st.caption(f"Not drawn: {counted((labels == spikes.UNASSIGNED).sum(), 'unassigned waveform')} (label −1; "
               "Curation tab).")
view, *downloads = st.columns([2, 2, 2])
view.segmented_control("Draw the waveforms as", list(figures.PANEL_STYLES), format_func=figures.PANEL_STYLES.get,
                       default="density", required=True, key="spike_panel_style", label_visibility="collapsed",
                       persist_state="session")
exports.quick_downloads(downloads, table, result, labels, history, k)
with st.sidebar:
    curation.history_sidebar(fit_key, history)

# ---- tabs: each is built only while it is open
templates_tab, quality_tab, transform_tab, scan_tab, units_tab, curation_tab, export_tab = st.tabs(
    TABS, key="spike_view", on_change="rerun")

if templates_tab.open:
    with templates_tab:
        left, right = st.columns(2)
        left.plotly_chart(figures.spike_templates_figure(
            result.templates, title="Templates: the columns of W", channels=channels,
            sampling_rate=table.sampling_rate), width="stretch")
        right.plotly_chart(figures.loss_curve(result.loss_history, log_y=True, title="Loss of the kept fit"), width="stretch")
        st.caption("Each template is a column of W, scaled to unit length"
                   + (" (positive half minus negative half)." if result.transform == "split" else ".")
                   + " With argmax, template c defines cluster c; with the other rules a cluster may mix templates.")
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
        right.plotly_chart(figures.spike_sizes_figure(curation.assigned_labels(labels),
                                                      curation.clusters_shown(labels, k), title="Cluster sizes"),
                           width="stretch")

if quality_tab.open:
    with quality_tab:
        st.dataframe(state.quality_shown(quality.table), hide_index=True, width="stretch",
                     column_config=state.QUALITY_COLUMNS)
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
            st.caption(state.CONFUSION_CAPTION.format(name=plain(reference_name)))
            tables = st.container(horizontal=True, gap="small")  # side by side while they fit, else wrapped
            for role, ari in zip(state.CONFUSION_TITLES, quality.table["ari"]):
                place = tables.container(width="content")
                place.markdown(f"**{state.CONFUSION_TITLES[role]}** · ARI {ari:.3f}", width="content")
                place.dataframe(state.confusion_styled(quality.confusion[role]), width="content")

if transform_tab.open:
    with transform_tab:
        st.markdown(f"**{spikes.TRANSFORMS[result.transform]}.** {result.description}")
        st.plotly_chart(figures.spike_transform_figure(
            table.waveforms, result.factored(table.waveforms), split=result.transform == "split", channels=channels,
            amplitude_unit=unit,
            title=f"What NMF sees: {min(40, table.n_waveforms)} waveforms before and after"), width="stretch")
        st.caption("The split keeps each waveform exactly (positive part − negative part) and adds no offset. "
                   "The article's global shift lifts everything by one constant, so every waveform shares a large "
                   "flat component; the per-sample shift lifts each sample by its own amount.")

if scan_tab.open:
    with scan_tab:
        rank_tab.rank_tab(table, settings, source_key, k)

if units_tab.open:
    with units_tab:
        units.units_tab(fit_key, labels, table, channels)
if curation_tab.open:
    with curation_tab:
        curation.curation_tab(fit_key, history, labels, table, result, settings)
if export_tab.open:
    with export_tab:
        exports.export_tab(fit_key, source_key, table, result, history, labels, settings, k)
