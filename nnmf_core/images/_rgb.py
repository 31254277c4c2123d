"""Any decoded Pillow picture as 8-bit RGB pixels, with notes on what changed.

Works in 8- or 16-bit integers (or in Pillow), never in float arrays of the
picture's full size, to keep the peak memory of a 40 MP upload low.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from nnmf_core.errors import InputError


def rgb_pixels(image: Image.Image, file_format: str) -> tuple[np.ndarray, list[str]]:
    """Convert a decoded Pillow image of any mode to uint8 RGB, with notes."""
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


