"""Image compression with NMF: what the Compression page computes.

Plain functions over NumPy arrays that return dataclasses; Pillow encodes and
resizes, scikit-image measures (through :mod:`nnmf_core.images`). No Streamlit
and no Plotly here, so a script or a test can run every step::

    >>> from nnmf_core.compression import compress, sample_working_image
    >>> picture = sample_working_image("Coffee cup (colour)", 128)
    >>> result = compress(picture.pixels, mode="colour", rank=10, random_state=0)
    >>> result.reconstruction.shape == picture.pixels.shape
    True

Modules
-------
- ``picture``: the working copy of an upload or a bundled picture.
- ``matrices``: how a picture becomes matrices (``mode`` and
  ``colour_layout``), and the largest rank they allow.
- ``budget``: the iterations and restarts one request may run.
- ``fit``: :func:`compress`, one rank, measured on the float16 factors.
- ``parts``: the factors and the largest rank-one parts as pictures.
- ``baselines``: the truncated SVD and JPEG at the same size.
- ``sweep``: several ranks side by side.
- ``factors_file``: the factors as an ``.npz`` file.
- ``patches``: the picture as a dictionary of p × p patch parts, measured
  against the whole picture at the same bytes.
"""

from nnmf_core._text import readable_bytes
from nnmf_core.compression.baselines import JPEG_BEST_QUALITY, Baseline, Baselines, baselines
from nnmf_core.compression.budget import AffordableFit, affordable_fit
from nnmf_core.compression.factors_file import npz_bytes
from nnmf_core.compression.fit import Compression, FittedFactors, compress
from nnmf_core.compression.matrices import CHANNEL_NAMES, COLOUR_LAYOUTS, fit_matrices, largest_rank, usable_rank
from nnmf_core.compression.parts import FactorView, PartsGallery, factor_view, parts_gallery
from nnmf_core.compression.patches import (
    PATCH_MODES,
    PATCH_SIZES,
    PatchCompression,
    PatchRebuild,
    WholePicture,
    patch_compress,
    patch_rebuild,
)
from nnmf_core.compression.picture import WorkingImage, sample_working_image, working_image
from nnmf_core.compression.sweep import (
    DEFAULT_SWEEP_RANKS,
    MAX_SWEEP_RANKS,
    RankChoice,
    RankSweep,
    parsed_ranks,
    rank_sweep,
)
from nnmf_core.images import png_bytes

__all__ = [
    "COLOUR_LAYOUTS",
    "CHANNEL_NAMES",
    "DEFAULT_SWEEP_RANKS",
    "MAX_SWEEP_RANKS",
    "WorkingImage",
    "working_image",
    "sample_working_image",
    "fit_matrices",
    "largest_rank",
    "usable_rank",
    "AffordableFit",
    "affordable_fit",
    "FittedFactors",
    "Compression",
    "compress",
    "FactorView",
    "factor_view",
    "JPEG_BEST_QUALITY",
    "Baseline",
    "Baselines",
    "baselines",
    "RankChoice",
    "parsed_ranks",
    "RankSweep",
    "rank_sweep",
    "PartsGallery",
    "parts_gallery",
    "npz_bytes",
    "png_bytes",
    "readable_bytes",
    # patches
    "PATCH_MODES",
    "PATCH_SIZES",
    "PatchCompression",
    "PatchRebuild",
    "WholePicture",
    "patch_compress",
    "patch_rebuild",
]
