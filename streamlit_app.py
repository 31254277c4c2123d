"""NMF Studio: the router and the home page."""

import streamlit as st

from app_pages import warm_up
from nnmf_core import pin_blas_threads_for_sessions
from nnmf_core.memory import tune_malloc_for_server

st.set_page_config(page_title="NMF Studio", page_icon="🧩", layout="wide")
pin_blas_threads_for_sessions()
tune_malloc_for_server()  # a long-lived server must give back what each upload used


def home() -> None:
    st.title("NMF Studio")
    st.markdown(
        "Non-negative matrix factorization, live. Take a matrix of non-negative numbers — "
        "the pixels of a photo, or a stack of spike waveforms — and write it as the product "
        "of two much thinner non-negative matrices."
    )

    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("The idea in a minute")
        st.latex(r"V \;\approx\; W\,H, \qquad V \in \mathbb{R}_{\ge 0}^{\,n\times m},\;"
                 r"W \in \mathbb{R}_{\ge 0}^{\,n\times k},\; H \in \mathbb{R}_{\ge 0}^{\,k\times m}")
        st.markdown(
            "The **rank** *k* is yours to choose. Each of the *k* columns of *W* is a "
            "feature (a part of the picture, a spike template); each column of *H* says how "
            "much of every feature it takes to rebuild one column of *V*. Because nothing "
            "may be negative, features can only add up, never cancel: when each column of *V* is "
            "a small picture (a patch of a photo, a face), the features come out as pieces of it."
        )
        st.markdown("The fit makes the squared distance between *V* and *WH* small:")
        st.latex(r"L(W,H) \;=\; \lVert V - WH \rVert_F^2 \;=\; \sum_{i,j}\bigl(V_{ij} - (WH)_{ij}\bigr)^2")
        st.markdown(
            "Lee and Seung's **multiplicative update rule** lowers this loss at every step "
            "and keeps every entry non-negative — first *H*, then *W* with the new *H*:"
        )
        st.latex(r"H \;\leftarrow\; H \odot \frac{W^{\top} V}{W^{\top} W H}, \qquad "
                 r"W \;\leftarrow\; W \odot \frac{V H^{\top}}{W H H^{\top}}")
        st.caption("⊙ and the fraction act entry by entry; a tiny 10⁻¹⁰ in each denominator avoids division by zero.")
        st.markdown(
            "**HALS** (hierarchical alternating least squares), the app's fast default, "
            "solves exactly for one row of *H* or column of *W* at a time, clipping at zero, "
            "and reaches the same loss in a fraction of the time."
        )
        st.subheader("What a rank costs")
        cost_chart = st.container()  # filled last, below: the text of both columns comes first
    with right:
        st.subheader("What rank means")
        st.markdown(
            "- **Compression**: an *n × m* picture needs *n·m* numbers; its factors need "
            "*k(n + m)*. A small *k* stores far less and keeps the broad shapes; past "
            "*k = nm/(n+m)* the factors are bigger than the picture itself.\n"
            "- **Clustering**: with *k* templates in *W*, a waveform's column of *H* "
            "says how much of each it takes; waveforms that take the same mix, at "
            "the same size, are one cluster. *k* is the number of clusters you look for."
        )
        st.subheader("Try it")
        for page, label, blurb in PAGE_LINKS:
            st.page_link(page, label=label)
            st.caption(blurb)
    # Imported once the text and links are on their way: Plotly takes a moment on a fresh server. Once this
    # chart is drawn the browser holds Plotly's code too, for every page opened from here.
    from nnmf_core.figures import storage_by_rank_figure

    with cost_chart:
        st.plotly_chart(storage_by_rank_figure(341, 512), width="stretch", config={"displayModeBar": False})
        st.caption("The factors of a 512 × 341 grey picture hold k(n + m) numbers, its pixels n·m: a rank below "
                   "nm/(n + m) stores less than the picture, one above it more. How much of the picture each rank "
                   "keeps is on the Compression page's Rank sweep.")


PAGE_LINKS = [
    ("app_pages/compression.py", "Compression", "Factor a photo at any rank; see quality, size, SVD and JPEG side by side."),
    ("app_pages/learn.py", "Learn NMF", "Replay a fit iteration by iteration; race MU, HALS, KL-MU and scikit-learn."),
    ("app_pages/learn_parts.py", "Parts, gaps and rank",
     "Parts that look like parts (patches), filling in hidden pixels, and choosing the rank from held-out entries."),
    ("app_pages/spike_clustering.py", "Spike clustering",
     "Sort spike waveforms into units by their NMF weights; check each unit's refractory period, curate and export."),
]
PAGE_ICONS = [":material/image:", ":material/school:", ":material/extension:", ":material/bolt:"]

pages = [st.Page(home, title="Home", icon=":material/home:", default=True)]
pages += [st.Page(page, title=label, icon=icon) for (page, label, _), icon in zip(PAGE_LINKS, PAGE_ICONS)]
selected = st.navigation(pages)
if selected.url_path != pages[0].url_path:
    warm_up.finished()  # a page imports only once the background imports are done
selected.run()
warm_up.start(page for page, _, _ in PAGE_LINKS)  # drawn: load what the other pages import, in the background
