"""Every Plotly figure NMF Studio shows: arrays in, ``go.Figure`` out.

No computation of factorizations here and no Streamlit: each builder takes the
numbers a page already has and returns a figure that a test can inspect.

Modules
-------
``common``       palette, font, :func:`styled`, :func:`loss_curve`, :func:`png_data_uri`
``compression``  the Compression page's figures (pictures, factors, rank sweep, …)
``spikes``       the Spike clustering page's figures (``spike_*``, :func:`nan_joined`)

Every public name is re-exported here: ``from nnmf_core import figures`` then
``figures.spike_panels_figure(…)``, or ``from nnmf_core.figures import …``.
"""

from nnmf_core.figures.common import FONT, PALETTE, cluster_colour, loss_curve, png_data_uri, styled
from nnmf_core.figures.compression import (
    CHANNEL_COLOURS,
    MAX_HEATMAP_SIDE,
    comparison_figure,
    error_picture,
    factor_figure,
    loss_curves,
    parts_gallery_figure,
    picture_row_height,
    pictures_figure,
    rank_sweep_figure,
    storage_and_quality_figure,
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

__all__ = [
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
    "styled",
]
