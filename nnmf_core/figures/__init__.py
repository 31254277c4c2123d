"""Every Plotly figure NMF Studio shows: arrays in, ``go.Figure`` out.

No computation of factorizations here and no Streamlit: each builder takes the
numbers a page already has and returns a figure that a test can inspect.

Modules
-------
``common``       palette, font, :func:`styled`, :func:`loss_curve`, :func:`png_data_uri`
``compression``  the Compression page's figures (pictures, factors, rank sweep, …)
``learning``     the Learn NMF pages' figures (replay, race, parts against SVD, held-out rank)
``spikes``       the Spike clustering page's figures (``spike_*``, :func:`nan_joined`)
``waveforms``    waveforms by cluster and channel: density images or lines (:func:`spike_panels_figure`),
                 :func:`channel_grid`, :func:`time_axis`, :func:`waveform_density`

Every public name is re-exported here: ``from nnmf_core import figures`` then
``figures.spike_panels_figure(…)``, or ``from nnmf_core.figures import …``.
"""

from nnmf_core.figures.common import FONT, PALETTE, cluster_colour, loss_curve, png_data_uri, styled
from nnmf_core.figures.compression import (
    CHANNEL_COLOURS,
    ERROR_COLOURSCALE,
    ERROR_TOP_LEVELS,
    MAX_HEATMAP_SIDE,
    MODE_BAR_ROOM,
    comparison_figure,
    error_colour_bar,
    error_picture,
    factor_figure,
    loss_curves,
    parts_gallery_figure,
    picture_row_height,
    pictures_figure,
    rank_sweep_figure,
    storage_and_quality_figure,
    storage_by_rank_figure,
)
from nnmf_core.figures.learning import (  # the Learn NMF pages
    RACER_COLOURS,
    atom_mosaic,
    atoms_figure,
    enlarged,
    factor_heatmaps,
    heldout_figure,
    race_figure,
    replay_loss_figure,
)
from nnmf_core.figures.spikes import (
    MAX_DRAWN_WAVEFORMS,
    MAX_HEATMAP_WAVEFORMS,
    SPIKE_PANELS_PER_ROW,
    nan_joined,
    spike_panels_figure,
    spike_rank_scan_figure,
    spike_scatter_figure,
    spike_sizes_figure,
    spike_templates_figure,
    spike_transform_figure,
    spike_weights_heatmap,
)
from nnmf_core.figures.units import (
    MAX_AMPLITUDE_POINTS,
    amplitude_time_figure,
    autocorrelogram_figure,
    crosscorrelogram_figure,
    isi_histogram_figure,
    merge_table_figure,
    pair_projection_figure,
    residual_histogram_figure,
    similarity_heatmap,
)
from nnmf_core.figures.waveforms import (
    EXAMPLE_WAVEFORMS,
    PANEL_STYLES,
    amplitude_title,
    channel_grid,
    time_axis,
    waveform_density,
)

__all__ = [
    "EXAMPLE_WAVEFORMS",
    "PANEL_STYLES",
    "amplitude_title",
    "channel_grid",
    "time_axis",
    "waveform_density",
    "CHANNEL_COLOURS",
    "FONT",
    "MAX_DRAWN_WAVEFORMS",
    "MAX_HEATMAP_SIDE",
    "MAX_HEATMAP_WAVEFORMS",
    "PALETTE",
    "SPIKE_PANELS_PER_ROW",
    "cluster_colour",
    "comparison_figure",
    "error_picture",
    "factor_figure",
    "loss_curve",
    "loss_curves",
    "nan_joined",
    "parts_gallery_figure",
    "picture_row_height",
    "pictures_figure",
    "png_data_uri",
    "rank_sweep_figure",
    "spike_panels_figure",
    "spike_rank_scan_figure",
    "spike_scatter_figure",
    "spike_sizes_figure",
    "spike_templates_figure",
    "spike_transform_figure",
    "spike_weights_heatmap",
    "storage_and_quality_figure",
    "storage_by_rank_figure",
    "styled",
    # compression: the error map's scale and colour bar
    "ERROR_COLOURSCALE",
    "ERROR_TOP_LEVELS",
    "MODE_BAR_ROOM",
    "error_colour_bar",
    # learn NMF
    "RACER_COLOURS",
    "atom_mosaic",
    "atoms_figure",
    "enlarged",
    "factor_heatmaps",
    "heldout_figure",
    "race_figure",
    "replay_loss_figure",
    "MAX_AMPLITUDE_POINTS",
    "amplitude_time_figure",
    "autocorrelogram_figure",
    "crosscorrelogram_figure",
    "pair_projection_figure",
    "isi_histogram_figure",
    "merge_table_figure",
    "residual_histogram_figure",
    "similarity_heatmap",
]
