"""Decode an uploaded image file safely into upright 8-bit RGB pixels.

The canvas size is read from the file header and checked before a single
pixel is decoded; only the formats in :data:`~nnmf_core.images.READABLE_FORMATS` reach a
decoder; everything stays in memory. :func:`load_sample_image` reads one of
the bundled pictures from ``data/``.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from nnmf_core._text import mebibytes
from nnmf_core.errors import InputError
from nnmf_core.images._checks import check_working_side
from nnmf_core.images._refusals import PILLOW_READ_ERRORS, unreadable_message
from nnmf_core.images._rgb import rgb_pixels
from nnmf_core.images.limits import (
    DATA_DIR,
    DEFAULT_SAMPLE_IMAGE,
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    MIN_SIDE,
    READABLE_FORMATS,
    SAMPLE_IMAGES,
)

__all__ = ["LoadedImage", "decode_memory_bytes", "load_image", "load_sample_image"]

_FRAME_WORDS = {  # format -> (what the file is, what its parts are called)
    "GIF": ("Animated GIF", "frames"),
    "PNG": ("Animated PNG", "frames"),
    "WEBP": ("Animated WebP", "frames"),
    "TIFF": ("Multi-page TIFF", "pages"),
    "MPO": ("Multi-picture JPEG", "pictures"),
}


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """A decoded picture, ready for the app.

    Attributes
    ----------
    pixels : ndarray of uint8, shape (height, width, 3)
        RGB pixels, upright (EXIF orientation applied), no transparency.
        Read-only.
    original_size : tuple of int
        ``(width, height)`` of the file's picture in pixels, as displayed
        (after EXIF rotation). Equal to the shape of ``pixels`` unless
        :func:`load_image` was given ``max_side`` and decoded it smaller; kept
        so notes about resizing can name it.
    format : str
        Pillow's name for the file format, such as ``"PNG"`` or ``"JPEG"``.
    n_bytes : int
        Size of the file, in bytes.
    notes : tuple of str
        Sentences about what was changed while decoding ("Transparency
        flattened onto white"), for showing to the person. Empty when the
        picture was plain 8-bit RGB.
    is_grayscale : bool
        True when the three channels are identical (a grayscale picture,
        whatever its file mode).
    """

    pixels: np.ndarray
    original_size: tuple[int, int]
    format: str
    n_bytes: int
    notes: tuple[str, ...]
    is_grayscale: bool


def load_image(
    data: bytes,
    *,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_side: int | None = None,
) -> LoadedImage:
    """Decode an image file held in memory into upright 8-bit RGB pixels.

    The canvas size is read from the header and checked against
    ``max_pixels`` before any pixel is decoded, so a small file that declares
    a huge picture is refused without using memory.

    Parameters
    ----------
    data : bytes
        The whole file (PNG, JPEG, WebP, BMP, TIFF or GIF). Never written to
        disk.
    max_pixels : int, optional
        Largest accepted width × height. Pillow's own decompression-bomb
        limit (about 89 megapixels) also applies.
    max_bytes : int, optional
        Largest accepted file size, in bytes.
    max_side : int, optional
        The longest side the caller will work at. When given, a larger picture
        is decoded smaller, never below twice ``max_side`` (so a final Lanczos
        resize keeps its quality): JPEG through the decoder's own DCT scaling
        (the full-size picture is never held), other formats by averaging
        blocks of pixels right after decoding, before any conversion. A 40
        megapixel JPEG then costs a few MB instead of hundreds.

    Returns
    -------
    LoadedImage
        Pixels of shape (height, width, 3), uint8, plus the file's format,
        size and notes on any conversion made.

    Raises
    ------
    InputError
        If the file is empty, too large, not a readable image, broken or
        truncated, declares more than ``max_pixels`` pixels, or is narrower
        or shorter than ``MIN_SIDE`` pixels.

    Notes
    -----
    - Animated or multi-page files: the first frame is used.
    - EXIF orientation is applied, so phone photos come out upright.
    - Transparency (RGBA, LA, palette with a transparent colour) is
      flattened onto white.
    - 16-bit samples are reduced to 8 bits (value / 257, rounded). 32-bit
      integer and floating-point grayscale are stretched from their own
      minimum and maximum to 0-255 unless they already fit 8 or 16 bits
      (or [0, 1] for floats).
    - CMYK and YCbCr are converted to RGB with Pillow's conversions;
      grayscale and 1-bit pictures are copied into all three channels.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("L", (4, 3), 128).save(buffer, "PNG")
    >>> loaded = load_image(buffer.getvalue())
    >>> loaded.pixels.shape, loaded.format, loaded.is_grayscale
    ((3, 4, 3), 'PNG', True)
    """
    if max_side is not None:
        check_working_side(max_side)
    data = bytes(data)
    n_bytes = len(data)
    if n_bytes == 0:
        raise InputError("The file is empty (0 bytes); please choose an image file.")
    if n_bytes > max_bytes:
        raise InputError(
            f"The file is {mebibytes(n_bytes)}; the largest accepted is "
            f"{mebibytes(max_bytes)}. Please save a smaller copy and try again."
        )

    with warnings.catch_warnings():
        # Pillow warns above Image.MAX_IMAGE_PIXELS and raises above twice
        # that; both become a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with _open_header(data, max_pixels) as image:
            width, height = image.size
            _check_canvas(width, height, max_pixels)
            file_format = image.format or "unknown"
            notes = _frame_notes(image, file_format)
            notes += _bit_depth_notes(image, file_format)
            if max_side is not None:
                _draft(image, 2 * max_side)
            _decode(image)
            smaller = image if max_side is None else _reduced(image, 2 * max_side)
            upright, orientation_notes = _upright(smaller)
            pixels, mode_notes = rgb_pixels(upright, file_format)
    notes += orientation_notes + mode_notes
    pixels.flags.writeable = False
    if upright.size != smaller.size:  # turned a quarter by its EXIF tag
        width, height = height, width
    is_grayscale = bool(
        np.array_equal(pixels[..., 0], pixels[..., 1])
        and np.array_equal(pixels[..., 1], pixels[..., 2])
    )
    return LoadedImage(
        pixels=pixels,
        original_size=(width, height),
        format=file_format,
        n_bytes=n_bytes,
        notes=tuple(notes),
        is_grayscale=is_grayscale,
    )


def decode_memory_bytes(data: bytes, max_side: int | None = None) -> int:
    """About how many bytes :func:`load_image` will hold at its peak for
    ``data`` decoded with ``max_side``, read from the header alone (no pixel
    is decoded); 0 for a file that is not a readable image (it is refused
    before it costs anything).

    Pillow holds most pictures at 4 bytes a pixel while decoding; a JPEG asked
    for a smaller size decodes at 1/2, 1/4 or 1/8 of each side.

    >>> import io
    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (4000, 3000)).save(buffer, "PNG")
    >>> decode_memory_bytes(buffer.getvalue()) // 1_000_000  # 12 MP: 4 + 3 bytes a pixel
    84
    """
    try:
        with Image.open(io.BytesIO(bytes(data)), formats=READABLE_FORMATS) as image:
            width, height = image.size
            file_format = image.format
    except Exception:  # any unreadable file is refused by load_image before it costs memory
        return 0
    if file_format == "JPEG" and max_side is not None:
        scale = 1
        while scale < 8 and max(width, height) // (2 * scale) >= 2 * max_side:
            scale *= 2
        width, height = -(-width // scale), -(-height // scale)
    # the decoded picture, plus the 8-bit RGB array made from it (the full
    # size when nothing is reduced)
    return 4 * width * height + 3 * width * height


def load_sample_image(name: str = DEFAULT_SAMPLE_IMAGE) -> LoadedImage:
    """Decode one of the pictures bundled in ``data/``.

    Parameters
    ----------
    name : str, optional
        A key of :data:`SAMPLE_IMAGES`.

    Returns
    -------
    LoadedImage
        The decoded picture, as :func:`load_image` returns it.

    Raises
    ------
    InputError
        If ``name`` is not a bundled picture.
    """
    if name not in SAMPLE_IMAGES:
        choices = ", ".join(repr(key) for key in SAMPLE_IMAGES)
        raise InputError(f"There is no sample image called {name!r}; choose one of {choices}.")
    return load_image((DATA_DIR / SAMPLE_IMAGES[name]).read_bytes())


def _open_header(data: bytes, max_pixels: int) -> Image.Image:
    """Open ``data`` with Pillow, which reads the header only."""
    try:
        return Image.open(io.BytesIO(data), formats=READABLE_FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        # Pillow refuses before we can read the size: it exceeds Pillow's own
        # limit, which is above ours.
        pillow_limit = Image.MAX_IMAGE_PIXELS or max_pixels
        if isinstance(error, Image.DecompressionBombError):
            pillow_limit *= 2
        raise InputError(
            f"The image declares more than {pillow_limit / 1e6:,.0f} megapixels; the limit "
            f"is {min(max_pixels, pillow_limit) / 1e6:,.0f} megapixels, so it was refused "
            "without being decoded. Please upload a smaller picture."
        ) from error
    except PILLOW_READ_ERRORS as error:
        raise InputError(unreadable_message(data)) from error


def _check_canvas(width: int, height: int, max_pixels: int) -> None:
    """Refuse a declared canvas that is too large or too thin."""
    if width * height > max_pixels:
        raise InputError(
            f"The image declares {width:,} × {height:,} pixels "
            f"({width * height / 1e6:,.1f} megapixels); the limit is "
            f"{max_pixels / 1e6:,.0f} megapixels. Please upload a smaller picture."
        )
    if width < MIN_SIDE or height < MIN_SIDE:
        raise InputError(
            f"The image is {width} × {height} pixels; it needs at least {MIN_SIDE} "
            "pixels in each direction, because a single row or column of pixels "
            "has no two-dimensional structure for a factorization to find."
        )


def _frame_notes(image: Image.Image, file_format: str) -> list[str]:
    """Note that only the first frame of an animation or multi-page file is used."""
    try:
        n_frames = int(getattr(image, "n_frames", 1))
        if n_frames > 1:
            image.seek(0)
    except PILLOW_READ_ERRORS as error:
        raise InputError(
            f"The {file_format} file is damaged: its frames cannot be read. "
            "Please re-save it in an image program and try again."
        ) from error
    if n_frames <= 1:
        return []
    kind, parts = _FRAME_WORDS.get(file_format, (f"Multi-frame {file_format}", "frames"))
    return [f"{kind}: using the first of {n_frames} {parts}."]


def _bit_depth_notes(image: Image.Image, file_format: str) -> list[str]:
    """Note that Pillow reads 16-bit colour samples as 8-bit ones.

    Pillow keeps 16-bit grayscale as mode ``I;16`` (reduced later by
    :func:`~nnmf_core.images._rgb.rgb_pixels`) but reads 16-bit RGB, RGBA and LA straight into 8
    bits; the raw mode of the undecoded tiles tells which happened.
    """
    if image.mode.startswith("I"):
        return []
    for tile in getattr(image, "tile", None) or []:
        args = tile.args if hasattr(tile, "args") else tile[3]
        rawmode = args if isinstance(args, str) else (args[0] if args else "")
        if isinstance(rawmode, str) and ";16" in rawmode:
            return [f"16-bit {file_format} reduced to 8 bits per channel."]
    return []


def _decode(image: Image.Image) -> None:
    """Decode every pixel now, so broken files fail here with a clear message."""
    try:
        image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise InputError(
            "The image holds more pixels than can be decoded safely. "
            "Please upload a smaller picture."
        ) from error
    except MemoryError as error:
        raise InputError(
            "The image is too large to decode in the memory available. "
            "Please upload a smaller picture."
        ) from error
    except PILLOW_READ_ERRORS as error:
        raise InputError(
            f"The {image.format or 'image'} file is truncated or damaged, so it cannot be "
            f"decoded ({type(error).__name__}: {error}). Please re-save or re-download it."
        ) from error


def _draft(image: Image.Image, min_side: int) -> None:
    """Ask a JPEG decoder for the smallest DCT scale (1/2, 1/4, 1/8) whose
    result keeps both sides at least ``min_side`` pixels (up to the picture's
    own size); other formats ignore the request."""
    width, height = image.size
    if image.format != "JPEG" or max(width, height) <= min_side:
        return
    scale = min_side / max(width, height)
    image.draft(image.mode, (max(1, round(width * scale)), max(1, round(height * scale))))


#: Modes whose samples may be averaged (palette indices and 1-bit may not).
_REDUCIBLE_MODES = frozenset({"L", "LA", "La", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "I", "F"})


def _reduced(image: Image.Image, min_side: int) -> Image.Image:
    """``image`` averaged over whole blocks of pixels so its longest side is
    still at least ``min_side``; the image itself when no block fits."""
    factor = max(image.size) // min_side
    if factor < 2 or image.mode not in _REDUCIBLE_MODES:
        return image
    return image.reduce(factor)


def _upright(image: Image.Image) -> tuple[Image.Image, list[str]]:
    """Apply the EXIF orientation tag, if there is one."""
    try:
        orientation = image.getexif().get(0x0112, 1)
    except PILLOW_READ_ERRORS:  # unreadable EXIF block: keep the picture as stored
        return image, ["The EXIF data could not be read, so the picture is shown as stored."]
    if orientation not in range(2, 9):
        return image, []
    try:
        upright = ImageOps.exif_transpose(image)
    except PILLOW_READ_ERRORS:  # malformed EXIF block
        return image, ["The EXIF orientation could not be applied; the picture is shown as stored."]
    return upright, ["Turned upright from its EXIF orientation tag."]
