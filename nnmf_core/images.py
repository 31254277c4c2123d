"""Images for NMF: decode uploads safely, turn pictures into matrices and back,
measure quality, count storage, and build the SVD and JPEG baselines.

Everything here is a plain function over NumPy arrays (Pillow decodes, and
scikit-image provides PSNR and SSIM). Nothing touches the disk except
:func:`load_sample_image`, which reads a bundled file from ``data/``; uploads
stay in memory.

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

from __future__ import annotations

import io
import math
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from nnmf_core.errors import InputError

__all__ = [
    "MAX_PIXELS",
    "MAX_UPLOAD_BYTES",
    "MIN_SIDE",
    "DEFAULT_MAX_SIDE",
    "MAX_WORKING_SIDE",
    "WORKING_SIDE_CHOICES",
    "READABLE_FORMATS",
    "MATRIX_MODES",
    "SAMPLE_IMAGES",
    "DEFAULT_SAMPLE_IMAGE",
    "LoadedImage",
    "JpegAtSize",
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
    "svd_reconstruction",
    "svd_error_floors",
    "svd_error_floor",
    "jpeg_at_size",
    "component_images",
]

# --------------------------------------------------------------------------
# Limits and choices
# --------------------------------------------------------------------------

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

#: Pillow format names :func:`load_image` accepts (WebP only when Pillow was
#: built with it). ``MPO`` is the multi-picture JPEG that many phone cameras
#: write. Other formats are refused before decoding, so no exotic decoder
#: ever sees uploaded bytes.
READABLE_FORMATS = tuple(
    name
    for name in ("PNG", "JPEG", "MPO", "WEBP", "BMP", "TIFF", "GIF")
    if name in Image.OPEN
)

#: How a picture becomes a matrix, see :func:`image_to_matrix`.
MATRIX_MODES = ("luminance", "red", "green", "blue", "colour")

#: Bundled pictures, display name -> file name in ``data/`` (provenance and
#: licences in ``data/README.md``).
SAMPLE_IMAGES = {
    "Coffee cup (colour)": "sample_photo.png",
    "Camera (grayscale)": "sample_camera.png",
}

#: The picture the app opens with.
DEFAULT_SAMPLE_IMAGE = "Coffee cup (colour)"

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# ITU-R BT.601 luma weights, the ones Pillow's ``convert("L")`` uses.
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_CHANNEL_INDEX = {"red": 0, "green": 1, "blue": 2}
# What Pillow raises when the bytes it parses are malformed (it has no single
# exception type for that). Anything else escaping Pillow is a bug, not bad
# input, and is left to propagate.
_PILLOW_READ_ERRORS = (
    OSError,  # includes UnidentifiedImageError and "image file is truncated"
    SyntaxError,  # "broken PNG file", bad TIFF tags
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    TypeError,
    ZeroDivisionError,
)
# First bytes of the accepted formats, to tell a damaged file from a foreign one.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"RIFF", "WebP"),
)
_SIGNATURE_CONFIRMED = {  # second look, for signatures that ordinary text can start with
    "PNG": lambda head: True,
    "JPEG": lambda head: True,
    "GIF": lambda head: True,
    "BMP": lambda head: head[6:10] == b"\x00\x00\x00\x00",  # reserved header bytes
    "TIFF": lambda head: True,
    "WebP": lambda head: head[8:12] == b"WEBP",
}
_FRAME_WORDS = {  # format -> (what the file is, what its parts are called)
    "GIF": ("Animated GIF", "frames"),
    "PNG": ("Animated PNG", "frames"),
    "WEBP": ("Animated WebP", "frames"),
    "TIFF": ("Multi-page TIFF", "pages"),
    "MPO": ("Multi-picture JPEG", "pictures"),
}


# --------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """A decoded picture, ready for the app.

    Attributes
    ----------
    pixels : ndarray of uint8, shape (height, width, 3)
        RGB pixels, upright (EXIF orientation applied), no transparency.
        Read-only.
    original_size : tuple of int
        ``(width, height)`` in pixels, as displayed (after EXIF rotation).
        Equal to the shape of ``pixels``; kept so notes about later resizing
        can name it.
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
    data = bytes(data)
    n_bytes = len(data)
    if n_bytes == 0:
        raise InputError("The file is empty (0 bytes); please choose an image file.")
    if n_bytes > max_bytes:
        raise InputError(
            f"The file is {_megabytes(n_bytes)}; the largest accepted is "
            f"{_megabytes(max_bytes)}. Please save a smaller copy and try again."
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
            _decode(image)
            upright, orientation_notes = _upright(image)
            pixels, mode_notes = _rgb_pixels(upright, file_format)
    notes += orientation_notes + mode_notes
    pixels.flags.writeable = False
    height, width = pixels.shape[:2]
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
    except _PILLOW_READ_ERRORS as error:
        raise InputError(_unreadable_message(data)) from error


def _unreadable_message(data: bytes) -> str:
    """Explain, as well as the first bytes allow, why Pillow refused a file."""
    readable = "PNG, JPEG, WebP, BMP, TIFF or GIF"
    head = data[:512]
    if head.startswith(b"%PDF"):
        return f"The file is a PDF document, not an image. Please upload a {readable} picture."
    for signature, name in _SIGNATURES:
        if head.startswith(signature) and _SIGNATURE_CONFIRMED[name](head):
            return (
                f"The file starts like a {name} image but its header is damaged or cut "
                "short, so it cannot be read. Please re-save or re-download it."
            )
    if head[4:8] == b"ftyp":
        return (
            "The file looks like a HEIC/HEIF or AVIF photo (the iPhone default), which "
            "this app cannot read. Please export it as JPEG or PNG first."
        )
    if b"\0" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return (
                "The file is text, not an image (an SVG, HTML or text file renamed?). "
                f"Please upload a {readable} picture."
            )
    return (
        f"The file is not an image Pillow can read as {readable} "
        "(is it a PDF, a document, or a file renamed to look like a picture?)."
    )


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
    except _PILLOW_READ_ERRORS as error:
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
    :func:`_rgb_pixels`) but reads 16-bit RGB, RGBA and LA straight into 8
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
    except _PILLOW_READ_ERRORS as error:
        raise InputError(
            f"The {image.format or 'image'} file is truncated or damaged, so it cannot be "
            f"decoded ({type(error).__name__}: {error}). Please re-save or re-download it."
        ) from error


def _upright(image: Image.Image) -> tuple[Image.Image, list[str]]:
    """Apply the EXIF orientation tag, if there is one."""
    try:
        orientation = image.getexif().get(0x0112, 1)
    except _PILLOW_READ_ERRORS:  # unreadable EXIF block: keep the picture as stored
        return image, ["The EXIF data could not be read, so the picture is shown as stored."]
    if orientation not in range(2, 9):
        return image, []
    try:
        upright = ImageOps.exif_transpose(image)
    except _PILLOW_READ_ERRORS:  # malformed EXIF block
        return image, ["The EXIF orientation could not be applied; the picture is shown as stored."]
    return upright, ["Turned upright from its EXIF orientation tag."]


def _rgb_pixels(image: Image.Image, file_format: str) -> tuple[np.ndarray, list[str]]:
    """Convert a decoded Pillow image of any mode to uint8 RGB, with notes.

    Works in 8- or 16-bit integers (or in Pillow), never in float arrays of
    the picture's full size, to keep the peak memory of a 40 MP upload low.
    """
    mode = image.mode
    notes: list[str] = []
    if mode == "RGB":
        return np.array(image, dtype=np.uint8), notes
    if mode in ("L", "1"):
        gray = np.array(image.convert("L"), dtype=np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2), notes
    if mode.startswith("I;16"):
        samples = np.asarray(image).astype(np.uint32)
        gray = ((samples + 128) // 257).astype(np.uint8)  # = round(value / 257)
        notes.append(f"16-bit {file_format} reduced to 8 bits.")
        return np.repeat(gray[:, :, None], 3, axis=2), notes
    if mode in ("I", "F"):
        gray, note = _wide_gray_to_uint8(np.asarray(image), mode, file_format)
        if note:
            notes.append(note)
        return np.repeat(gray[:, :, None], 3, axis=2), notes
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info):
        rgba = _converted(image, "RGBA")
        low_alpha, _ = rgba.getextrema()[3]
        if low_alpha < 255:
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            rgba = Image.alpha_composite(white, rgba)
            notes.append("Transparency flattened onto white.")
        return np.array(rgba.convert("RGB"), dtype=np.uint8), notes
    if mode == "CMYK":
        notes.append("CMYK converted to RGB.")
    elif mode not in ("P", "RGBX", "YCbCr"):
        notes.append(f"{mode} colours converted to RGB.")
    return np.array(_converted(image, "RGB"), dtype=np.uint8), notes


def _converted(image: Image.Image, mode: str) -> Image.Image:
    try:
        return image.convert(mode)
    except (ValueError, OSError) as error:
        raise InputError(
            f"The picture uses the {image.mode} colour mode, which cannot be converted to "
            "RGB here. Please save it as an ordinary RGB or grayscale image."
        ) from error


def _wide_gray_to_uint8(
    samples: np.ndarray, mode: str, file_format: str
) -> tuple[np.ndarray, str | None]:
    """Reduce 32-bit integer or float grayscale samples to 0-255."""
    values = samples.astype(np.float64)
    finite = np.isfinite(values)
    if not finite.all():
        values = np.where(finite, values, 0.0)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    name = file_format
    if mode == "I" and low >= 0 and high <= 255:
        return np.rint(values).astype(np.uint8), None
    if mode == "I" and low >= 0 and high <= 65535:
        return np.rint(values / 257.0).astype(np.uint8), f"16-bit {name} reduced to 8 bits."
    if mode == "F" and low >= 0 and high <= 1:
        return np.rint(values * 255.0).astype(np.uint8), f"Floating-point {name} scaled to 8 bits."
    span = high - low
    scaled = (values - low) / span * 255.0 if span > 0 else np.zeros_like(values)
    kind = "32-bit integer" if mode == "I" else "Floating-point"
    note = f"{kind} {name} stretched from [{low:g}, {high:g}] to 8 bits."
    return np.rint(scaled).astype(np.uint8), note


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / (1024 * 1024):.1f} MB"


# --------------------------------------------------------------------------
# Working copy
# --------------------------------------------------------------------------


def working_copy(pixels: np.ndarray, max_side: int = DEFAULT_MAX_SIDE) -> tuple[np.ndarray, str | None]:
    """Shrink a picture so its longest side is at most ``max_side`` pixels.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (height, width, 3) or (height, width)
        The picture.
    max_side : int, optional
        Longest allowed side, in pixels, from ``MIN_SIDE`` to
        ``MAX_WORKING_SIDE``.

    Returns
    -------
    pixels : ndarray of uint8
        The picture resized with Pillow's Lanczos filter, aspect ratio kept
        (each side rounded to whole pixels, never below ``MIN_SIDE``); the
        input itself when it already fits.
    note : str or None
        "Downscaled from 4000×3000 to 512×384 px for speed." when resized,
        else None.

    Raises
    ------
    InputError
        If ``max_side`` is out of range or ``pixels`` is not a uint8 picture.

    Examples
    --------
    >>> small, note = working_copy(np.zeros((300, 400, 3), np.uint8), 200)
    >>> small.shape, note
    ((150, 200, 3), 'Downscaled from 400×300 to 200×150 px for speed.')
    """
    pixels = _checked_pixels(pixels)
    if not (isinstance(max_side, (int, np.integer)) and MIN_SIDE <= max_side <= MAX_WORKING_SIDE):
        raise InputError(
            f"The working size must be a whole number of pixels from {MIN_SIDE} to "
            f"{MAX_WORKING_SIDE}; got {max_side!r}."
        )
    height, width = pixels.shape[:2]
    if max(height, width) <= max_side:
        return pixels, None
    scale = max_side / max(height, width)
    new_width = min(max_side, max(MIN_SIDE, round(width * scale)))
    new_height = min(max_side, max(MIN_SIDE, round(height * scale)))
    resized = Image.fromarray(pixels).resize((new_width, new_height), Image.Resampling.LANCZOS)
    note = f"Downscaled from {width}×{height} to {new_width}×{new_height} px for speed."
    return np.asarray(resized, dtype=np.uint8), note


def _checked_pixels(pixels: np.ndarray) -> np.ndarray:
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or not (
        pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 3)
    ):
        raise InputError(
            "Pixels must be a uint8 array of shape (height, width, 3) or (height, width); "
            f"got {pixels.dtype} of shape {pixels.shape}."
        )
    return pixels


# --------------------------------------------------------------------------
# Picture <-> matrix
# --------------------------------------------------------------------------


def image_to_matrix(pixels: np.ndarray, mode: str) -> np.ndarray:
    """Turn a picture into the non-negative matrix ``V`` that NMF factorizes.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, m, 3) or (n, m)
        The picture, ``n`` rows by ``m`` columns. A 2-D array is a grayscale
        picture (all three channels equal).
    mode : {"luminance", "red", "green", "blue", "colour"}
        - ``"luminance"``: brightness with the ITU-R BT.601 weights
          0.299 R + 0.587 G + 0.114 B (the ones Pillow's ``convert("L")``
          uses), shape (n, m).
        - ``"red"``, ``"green"``, ``"blue"``: one channel, shape (n, m), as in
          the reference notebook (which took green).
        - ``"colour"``: the three channels side by side, ``[R | G | B]``,
          shape (n, 3m), so one ``W`` is shared by all colours.

    Returns
    -------
    V : ndarray of float32
        Entries in [0, 1] (pixel value / 255).

    Raises
    ------
    InputError
        If ``mode`` is unknown or ``pixels`` is not a uint8 picture.

    See Also
    --------
    matrix_to_image : the inverse.
    channel_matrices : three separate matrices, one per channel.

    Examples
    --------
    >>> pixels = np.zeros((2, 3, 3), np.uint8); pixels[..., 0] = 255
    >>> image_to_matrix(pixels, "colour").shape
    (2, 9)
    >>> float(image_to_matrix(pixels, "red").max())
    1.0
    """
    pixels = _checked_pixels(pixels)
    _check_mode(mode)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    if mode == "colour":
        V = np.concatenate([pixels[:, :, 0], pixels[:, :, 1], pixels[:, :, 2]], axis=1)
        return V.astype(np.float32) / np.float32(255.0)
    if mode == "luminance":
        luma = pixels.astype(np.float32) @ _LUMA_WEIGHTS / np.float32(255.0)
        return np.clip(luma, 0.0, 1.0).astype(np.float32)
    return pixels[:, :, _CHANNEL_INDEX[mode]].astype(np.float32) / np.float32(255.0)


def matrix_to_image(V: np.ndarray, mode: str) -> np.ndarray:
    """Turn a matrix back into a displayable 8-bit picture.

    Values are clipped to [0, 1], multiplied by 255 and rounded, so any
    reconstruction (``W @ H``, an SVD approximation, a rank-one part) can be
    shown. NaN becomes 0.

    Parameters
    ----------
    V : ndarray, shape (n, m), or (n, 3m) in ``"colour"`` mode
        Matrix with the layout :func:`image_to_matrix` produces.
    mode : {"luminance", "red", "green", "blue", "colour"}
        The mode ``V`` was made with.

    Returns
    -------
    pixels : ndarray of uint8
        Shape (n, m) for single-channel modes (show it as grayscale), or
        (n, m, 3) RGB for ``"colour"``.

    Raises
    ------
    InputError
        If ``V`` is not 2-D, or in ``"colour"`` mode its width is not a
        multiple of 3.

    Examples
    --------
    >>> pixels = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    >>> np.array_equal(matrix_to_image(image_to_matrix(pixels, "colour"), "colour"), pixels)
    True
    """
    _check_mode(mode)
    V = np.asarray(V, dtype=np.float64)
    if V.ndim != 2:
        raise InputError(f"A picture matrix must be 2-D; got shape {V.shape}.")
    pixels = np.rint(np.clip(np.nan_to_num(V, nan=0.0), 0.0, 1.0) * 255.0).astype(np.uint8)
    if mode != "colour":
        return pixels
    if V.shape[1] % 3:
        raise InputError(
            f"A colour matrix holds [R | G | B] side by side, so its width must be a "
            f"multiple of 3; got {V.shape[1]} columns."
        )
    return np.ascontiguousarray(np.stack(np.split(pixels, 3, axis=1), axis=2))


def channel_matrices(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split a picture into three matrices, one per colour channel.

    For "per-channel" colour compression: each matrix is factorized on its
    own (three ``W`` and three ``H``), unlike ``"colour"`` mode of
    :func:`image_to_matrix`, which shares one ``W``.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, m, 3) or (n, m)
        The picture.

    Returns
    -------
    red, green, blue : ndarray of float32, shape (n, m)
        Entries in [0, 1].
    """
    return (
        image_to_matrix(pixels, "red"),
        image_to_matrix(pixels, "green"),
        image_to_matrix(pixels, "blue"),
    )


def image_from_channels(red: np.ndarray, green: np.ndarray, blue: np.ndarray) -> np.ndarray:
    """Join three channel matrices back into an RGB picture.

    Parameters
    ----------
    red, green, blue : ndarray, shape (n, m)
        Values in [0, 1] (clipped), e.g. three reconstructions ``W @ H``.

    Returns
    -------
    pixels : ndarray of uint8, shape (n, m, 3)

    Raises
    ------
    InputError
        If the three matrices are not 2-D arrays of one shape.
    """
    channels = [np.asarray(channel) for channel in (red, green, blue)]
    shapes = {channel.shape for channel in channels}
    if len(shapes) != 1 or channels[0].ndim != 2:
        raise InputError(
            "The red, green and blue matrices must be 2-D and of one shape; got "
            f"{', '.join(str(channel.shape) for channel in channels)}."
        )
    return np.stack([matrix_to_image(channel, "red") for channel in channels], axis=2)


def _check_mode(mode: str) -> None:
    if mode not in MATRIX_MODES:
        raise InputError(f"Unknown colour mode {mode!r}; choose one of {', '.join(MATRIX_MODES)}.")


# --------------------------------------------------------------------------
# Quality
# --------------------------------------------------------------------------


def psnr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Peak signal-to-noise ratio of ``estimate`` against ``reference``, in dB.

    ``10 · log10(1 / MSE)`` with intensities on a 0-1 scale (scikit-image's
    ``peak_signal_noise_ratio`` with ``data_range=1``). Higher is better;
    identical pictures give ``inf``.

    Parameters
    ----------
    reference, estimate : ndarray, shape (n, m) or (n, m, 3)
        Pictures of one shape: floats in [0, 1], or uint8 (divided by 255).

    Returns
    -------
    float
        PSNR in decibels.

    Examples
    --------
    >>> round(psnr(np.full((4, 4), 0.5), np.full((4, 4), 0.6)), 6)
    20.0
    """
    reference, estimate = _unit_pair(reference, estimate)
    if np.array_equal(reference, estimate):
        return math.inf
    return float(peak_signal_noise_ratio(reference, estimate, data_range=1.0))


def ssim(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Structural similarity of ``estimate`` to ``reference`` (1 = identical).

    scikit-image's ``structural_similarity`` with ``data_range=1``, its
    default uniform 7 × 7 window (smaller, odd, for pictures under 7 pixels
    on a side), and for colour the mean over channels.

    Parameters
    ----------
    reference, estimate : ndarray, shape (n, m) or (n, m, 3)
        Pictures of one shape: floats in [0, 1], or uint8 (divided by 255).

    Returns
    -------
    float
        Mean SSIM, at most 1; ``nan`` when a side is under 3 pixels (no
        window fits).
    """
    reference, estimate = _unit_pair(reference, estimate)
    smallest_side = min(reference.shape[:2])
    if smallest_side < 3:
        return math.nan
    window = min(7, smallest_side if smallest_side % 2 else smallest_side - 1)
    channel_axis = 2 if reference.ndim == 3 else None
    return float(
        structural_similarity(
            reference, estimate, data_range=1.0, win_size=window, channel_axis=channel_axis
        )
    )


def relative_error(V: np.ndarray, V_hat: np.ndarray) -> float:
    """Relative Frobenius error ``||V - V_hat||_F / ||V||_F``.

    Parameters
    ----------
    V, V_hat : ndarray, one shape
        The matrix and its approximation.

    Returns
    -------
    float
        0 for a perfect fit; 1 for ``V_hat = 0``.

    Raises
    ------
    InputError
        If the shapes differ or ``V`` is all zeros (the ratio is undefined).
    """
    V = np.asarray(V, dtype=np.float64)
    V_hat = np.asarray(V_hat, dtype=np.float64)
    if V.shape != V_hat.shape:
        raise InputError(f"Cannot compare a matrix of shape {V.shape} with one of shape {V_hat.shape}.")
    norm = np.linalg.norm(V)
    if norm == 0:
        raise InputError("The relative error is undefined because V is all zeros.")
    return float(np.linalg.norm(V - V_hat) / norm)


def _unit_pair(reference: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reference, estimate = _unit_scale(reference), _unit_scale(estimate)
    if reference.shape != estimate.shape:
        raise InputError(
            f"Cannot compare a picture of shape {reference.shape} with one of shape {estimate.shape}."
        )
    if reference.ndim not in (2, 3) or (reference.ndim == 3 and reference.shape[2] != 3):
        raise InputError(f"A picture must have shape (n, m) or (n, m, 3); got {reference.shape}.")
    return reference, estimate


def _unit_scale(picture: np.ndarray) -> np.ndarray:
    picture = np.asarray(picture)
    if picture.dtype == np.uint8:
        return picture.astype(np.float64) / 255.0
    return picture.astype(np.float64)


# --------------------------------------------------------------------------
# Storage accounting
# --------------------------------------------------------------------------


def original_numbers(n: int, m: int) -> int:
    """Numbers in an ``n × m`` matrix: ``n · m``.

    For ``"colour"`` mode pass the matrix shape ``(n, 3m)``; for per-channel
    colour add up the three channels.
    """
    _check_counts(n=n, m=m)
    return n * m


def numbers_stored(n: int, m: int, k: int) -> int:
    """Numbers in the factors ``W`` (n × k) and ``H`` (k × m): ``k · (n + m)``.

    Examples
    --------
    >>> numbers_stored(67, 100, 20), original_numbers(67, 100)
    (3340, 6700)
    """
    _check_counts(n=n, m=m)
    _check_rank(k)
    return k * (n + m)


def original_bytes(n: int, m: int, bytes_per_number: int = 1) -> int:
    """Bytes of the uncompressed matrix: ``n · m`` 8-bit pixel values by default."""
    _check_counts(n=n, m=m, bytes_per_number=bytes_per_number)
    return n * m * bytes_per_number


def factor_bytes(n: int, m: int, k: int, bytes_per_number: int = 2) -> int:
    """Bytes to store ``W`` and ``H``: ``k · (n + m) · bytes_per_number``.

    The default of 2 bytes per number is float16 storage.
    """
    _check_counts(n=n, m=m, bytes_per_number=bytes_per_number)
    return numbers_stored(n, m, k) * bytes_per_number


def break_even_rank(n: int, m: int) -> int:
    """Smallest rank ``k`` at which the factors hold as many numbers as the matrix.

    The smallest ``k`` with ``k · (n + m) ≥ n · m``, that is
    ``ceil(n · m / (n + m))``. Every rank below it stores fewer numbers than
    the ``n × m`` matrix; from it on, "compression" makes things bigger.

    Examples
    --------
    >>> break_even_rank(67, 100)
    41
    """
    _check_counts(n=n, m=m)
    return -(-(n * m) // (n + m))


def _check_counts(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise InputError(f"{name} must be a whole number of at least 1; got {value!r}.")


def _check_rank(k: int) -> None:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0:
        raise InputError(f"The rank k must be a whole number of at least 0; got {k!r}.")


# --------------------------------------------------------------------------
# Baselines
# --------------------------------------------------------------------------


def svd_reconstruction(V: np.ndarray, k: int) -> np.ndarray:
    """The best rank-``k`` approximation of ``V`` (truncated SVD).

    By the Eckart-Young theorem no rank-``k`` matrix is closer to ``V`` in
    Frobenius norm, so its error is a floor for NMF of the same rank. Unlike
    NMF its entries may be negative; clip before display
    (:func:`matrix_to_image` does).

    Parameters
    ----------
    V : ndarray, shape (n, m)
        Finite matrix.
    k : int
        Rank, 0 ≤ k ≤ min(n, m).

    Returns
    -------
    ndarray, shape (n, m)
        ``U_k · diag(s_k) · Vt_k``, float32 for float32 input, else float64.

    Raises
    ------
    InputError
        If ``V`` is not a finite 2-D matrix or ``k`` is out of range.
    """
    V = _checked_matrix(V)
    _check_rank_for(V, k)
    U, s, Vt = np.linalg.svd(V, full_matrices=False)
    return (U[:, :k] * s[:k]) @ Vt[:k]


def svd_error_floors(V: np.ndarray) -> np.ndarray:
    """Smallest possible relative error at every rank (Eckart-Young).

    Parameters
    ----------
    V : ndarray, shape (n, m)
        Finite matrix, not all zeros.

    Returns
    -------
    ndarray of float64, shape (min(n, m) + 1,)
        Entry ``k`` is ``sqrt(sum_{i > k} s_i²) / ||V||_F`` with singular
        values ``s_1 ≥ s_2 ≥ …``: the relative error of the best rank-``k``
        matrix. Entry 0 is 1 and the last is 0.

    Raises
    ------
    InputError
        If ``V`` is not a finite 2-D matrix or is all zeros.
    """
    V = _checked_matrix(V)
    s = np.linalg.svd(V.astype(np.float64), compute_uv=False)
    energy = s**2
    total = energy.sum()
    if total == 0:
        raise InputError("The error floor is undefined because V is all zeros.")
    tails = np.concatenate([np.cumsum(energy[::-1])[::-1], [0.0]])
    return np.sqrt(np.maximum(tails, 0.0) / total)


def svd_error_floor(V: np.ndarray, k: int) -> float:
    """Smallest possible relative error of a rank-``k`` approximation of ``V``.

    Entry ``k`` of :func:`svd_error_floors`; call that once instead when you
    need many ranks.
    """
    V = _checked_matrix(V)
    _check_rank_for(V, k)
    return float(svd_error_floors(V)[k])


def _checked_matrix(V: np.ndarray) -> np.ndarray:
    V = np.asarray(V)
    if V.ndim != 2 or V.size == 0:
        raise InputError(f"V must be a non-empty 2-D matrix; got shape {V.shape}.")
    if not np.issubdtype(V.dtype, np.floating):
        V = V.astype(np.float64)
    if not np.all(np.isfinite(V)):
        raise InputError("V contains NaN or infinite values.")
    return V


def _check_rank_for(V: np.ndarray, k: int) -> None:
    _check_rank(k)
    if k > min(V.shape):
        raise InputError(
            f"The rank k = {k} is larger than the smaller side of V {V.shape}; "
            f"the most it can be is {min(V.shape)}."
        )


@dataclass(frozen=True, eq=False)
class JpegAtSize:
    """A picture as JPEG would store it in a given number of bytes.

    Attributes
    ----------
    pixels : ndarray of uint8
        The decoded JPEG, same shape as the input picture.
    n_bytes : int
        Size of the encoded JPEG file, in bytes (headers included).
    quality : int
        Pillow JPEG quality used, 1-95.
    fits_budget : bool
        False when even quality 1 is larger than the budget; the quality-1
        result is returned anyway so it can be shown, labelled as over
        budget.
    """

    pixels: np.ndarray
    n_bytes: int
    quality: int
    fits_budget: bool


def jpeg_at_size(pixels: np.ndarray, max_bytes: int) -> JpegAtSize:
    """The best-quality JPEG of ``pixels`` whose file fits in ``max_bytes``.

    Binary search over Pillow's quality 1-95 (Huffman tables optimised,
    Pillow's default 4:2:0 chroma subsampling for colour) for the largest
    quality whose encoded size is at most ``max_bytes``; the size is measured,
    never estimated, so a result marked ``fits_budget`` is within budget.
    A 2-D picture is encoded as a grayscale (``L``) JPEG.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, m) or (n, m, 3)
        The picture to compress.
    max_bytes : int
        Budget in bytes, e.g. :func:`factor_bytes` of an NMF of the picture.

    Returns
    -------
    JpegAtSize
        Decoded pixels, encoded size, quality, and whether it fits.

    Raises
    ------
    InputError
        If ``pixels`` is not a uint8 picture or ``max_bytes`` is not a
        positive whole number.
    """
    pixels = _checked_pixels(pixels)
    _check_counts(max_bytes=max_bytes)
    picture = Image.fromarray(pixels)
    encoded: dict[int, bytes] = {}

    def size_at(quality: int) -> int:
        if quality not in encoded:
            buffer = io.BytesIO()
            picture.save(buffer, format="JPEG", quality=quality, optimize=True)
            encoded[quality] = buffer.getvalue()
        return len(encoded[quality])

    low, high = 1, 95
    fits = size_at(low) <= max_bytes
    if fits:
        while low < high:  # invariant: quality `low` fits
            middle = (low + high + 1) // 2
            if size_at(middle) <= max_bytes:
                low = middle
            else:
                high = middle - 1
    with Image.open(io.BytesIO(encoded[low])) as decoded:
        decoded_pixels = np.asarray(decoded.convert(picture.mode), dtype=np.uint8)
    return JpegAtSize(pixels=decoded_pixels, n_bytes=len(encoded[low]), quality=low, fits_budget=fits)


# --------------------------------------------------------------------------
# Parts
# --------------------------------------------------------------------------


def component_images(W: np.ndarray, H: np.ndarray, count: int) -> np.ndarray:
    """The first rank-one parts ``W[:, i] ⊗ H[i, :]`` of a factorization.

    ``W @ H`` is the sum of these ``k`` parts. Each part is divided by its own
    maximum so it can be shown on a 0-1 scale (a part that is all zeros stays
    zero); pass a part through :func:`matrix_to_image` with the mode of ``V``
    to get a picture (in ``"colour"`` mode each part is n × 3m).

    Parameters
    ----------
    W : ndarray, shape (n, k)
        Non-negative basis.
    H : ndarray, shape (k, m)
        Non-negative weights.
    count : int
        How many parts; at most ``k`` are returned.

    Returns
    -------
    ndarray of float32, shape (min(count, k), n, m)
        Parts in the factorization's own order, each scaled to max 1.
        Memory: ``count · n · m · 4`` bytes.

    Raises
    ------
    InputError
        If the shapes of ``W`` and ``H`` do not chain or ``count`` is negative.
    """
    W = np.asarray(W, dtype=np.float32)
    H = np.asarray(H, dtype=np.float32)
    if W.ndim != 2 or H.ndim != 2 or W.shape[1] != H.shape[0]:
        raise InputError(
            f"W (n × k) and H (k × m) must share k; got W of shape {W.shape} and H of shape {H.shape}."
        )
    _check_rank(count)
    count = min(count, W.shape[1])
    parts = W.T[:count, :, None] * H[:count, None, :]
    peaks = parts.reshape(count, -1).max(axis=1) if parts.size else np.zeros(count, np.float32)
    scale = np.where(peaks > 0, peaks, 1.0).astype(np.float32)
    return parts / scale[:, None, None]
