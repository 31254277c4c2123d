"""Limits on uploads and working sizes, the readable formats, and the bundled
sample pictures.

Every number a decoded or resized picture is checked against lives here, so a
message and a widget state one limit.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

#: Largest canvas accepted, in pixels (width × height), read from the file
#: header before anything is decoded. 40 megapixels covers phone and most
#: camera photos; a decoded 40 MP RGB picture takes 120 MB.
MAX_PIXELS = 40_000_000

#: Largest upload accepted, in bytes (25 MiB; Streamlit's ``maxUploadSize``
#: counts megabytes the same way).
MAX_UPLOAD_BYTES = 25 * 1024 * 1024

#: Smallest accepted width and height, in pixels. A single row or column of
#: pixels is a vector, not a matrix with structure to factor.
MIN_SIDE = 2

#: Longest side, in pixels, of the working copy the app factorizes by default.
DEFAULT_MAX_SIDE = 512

#: Largest working size the app allows (longest side, pixels).
MAX_WORKING_SIDE = 2048

#: Working sizes offered to the user (longest side, pixels).
WORKING_SIDE_CHOICES = (128, 256, 512, 1024, 2048)

Image.init()  # register every plugin, so the names below can be looked up

#: Pillow format names :func:`~nnmf_core.images.load_image` accepts (WebP
#: only when Pillow was built with it). ``MPO`` is the multi-picture JPEG that
#: many phone cameras write. Other formats are refused before decoding, so no
#: exotic decoder ever sees uploaded bytes.
READABLE_FORMATS = tuple(
    name
    for name in ("PNG", "JPEG", "MPO", "WEBP", "BMP", "TIFF", "GIF")
    if name in Image.OPEN
)
#: File name endings an upload in one of those formats has: what a page's
#: uploader offers.
UPLOAD_EXTENSIONS = ("png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff", "gif")

#: Bundled pictures, display name -> file name in ``data/`` (provenance and
#: licences in ``data/README.md``).
SAMPLE_IMAGES = {
    "Coffee cup (colour)": "sample_photo.png",
    "Camera (grayscale)": "sample_camera.png",
}

#: The picture the app opens with.
DEFAULT_SAMPLE_IMAGE = "Coffee cup (colour)"

#: The project's ``data/`` folder, where the sample pictures are.
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
