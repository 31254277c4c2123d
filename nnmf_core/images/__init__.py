"""Images for NMF: decode uploads safely, turn pictures into matrices and back,
measure quality, count storage, and build the SVD and JPEG baselines.

Everything here is a plain function over NumPy arrays (Pillow decodes and
encodes, and scikit-image provides PSNR and SSIM). Nothing touches the disk
except :func:`load_sample_image`, which reads a bundled file from ``data/``;
uploads stay in memory.

Modules
-------
- ``limits``: upload and working-size limits, readable formats, sample pictures.
- ``decode``: :func:`load_image`, :func:`load_sample_image`.
- ``resize``: :func:`working_copy`.
- ``matrix``: :func:`image_to_matrix`, :func:`matrix_to_image` and the
  per-channel pair.
- ``metrics``: :func:`psnr`, :func:`ssim`, :func:`relative_error`.
- ``storage``: numbers and bytes of a matrix and of its factors.
- ``baselines``: the truncated SVD and JPEG at a byte budget.
- ``parts``: :func:`component_images`.
- ``encode``: :func:`png_bytes`.
- ``patches``: a picture as a matrix of p × p patches, and back.

Conventions
-----------
- ``pixels`` is a ``uint8`` array, ``(height, width, 3)`` RGB, or
  ``(height, width)`` for a single channel.
- ``V`` is a ``float32`` matrix with entries in ``[0, 1]`` (pixel value / 255).
  A picture of ``n`` rows and ``m`` columns gives ``V`` of shape ``(n, m)`` in
  a single-channel mode and ``(n, 3m)`` in ``"colour"`` mode.
- Sizes in messages and notes are written width × height, as image programs
  do; array shapes are ``(rows, columns)`` = ``(height, width)``.
"""

from nnmf_core.images.baselines import (
    JpegAtSize,
    jpeg_at_size,
    svd_error_floor,
    svd_error_floors,
    svd_reconstruction,
    svd_reconstructions,
)
from nnmf_core.images.decode import LoadedImage, decode_memory_bytes, load_image, load_sample_image
from nnmf_core.images.encode import png_bytes
from nnmf_core.images.limits import (
    DATA_DIR,
    DEFAULT_MAX_SIDE,
    DEFAULT_SAMPLE_IMAGE,
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    MAX_WORKING_SIDE,
    MIN_SIDE,
    READABLE_FORMATS,
    SAMPLE_IMAGES,
    UPLOAD_EXTENSIONS,
    WORKING_SIDE_CHOICES,
)
from nnmf_core.images.matrix import MATRIX_MODES, channel_matrices, image_from_channels, image_to_matrix, matrix_to_image
from nnmf_core.images.metrics import psnr, relative_error, ssim
from nnmf_core.images.parts import component_images
from nnmf_core.images.patches import PatchGrid, patch_grid, patch_matrix, patches_as_pictures, picture_from_patches
from nnmf_core.images.resize import working_copy
from nnmf_core.images.storage import (
    break_even_rank,
    factor_bytes,
    float16_rounded,
    numbers_stored,
    original_bytes,
    original_numbers,
)

__all__ = [
    "MAX_PIXELS",
    "MAX_UPLOAD_BYTES",
    "MIN_SIDE",
    "DEFAULT_MAX_SIDE",
    "MAX_WORKING_SIDE",
    "WORKING_SIDE_CHOICES",
    "READABLE_FORMATS",
    "UPLOAD_EXTENSIONS",
    "MATRIX_MODES",
    "SAMPLE_IMAGES",
    "DEFAULT_SAMPLE_IMAGE",
    "DATA_DIR",
    "LoadedImage",
    "JpegAtSize",
    "decode_memory_bytes",
    "load_image",
    "load_sample_image",
    "working_copy",
    "image_to_matrix",
    "matrix_to_image",
    "channel_matrices",
    "image_from_channels",
    "psnr",
    "ssim",
    "relative_error",
    "original_numbers",
    "numbers_stored",
    "original_bytes",
    "factor_bytes",
    "break_even_rank",
    "float16_rounded",
    "svd_reconstruction",
    "svd_reconstructions",
    "svd_error_floors",
    "svd_error_floor",
    "jpeg_at_size",
    "component_images",
    "png_bytes",
    # patches
    "PatchGrid",
    "patch_grid",
    "patch_matrix",
    "picture_from_patches",
    "patches_as_pictures",
]
