"""Uploads are decoded at the size the page works at, not at full size."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from picture_files import encoded
from PIL import Image

from nnmf_core import InputError
from nnmf_core.compression import working_image
from nnmf_core.images import load_image, psnr, working_copy


def smooth_picture(width: int, height: int) -> Image.Image:
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    channels = [128 + 100 * np.sin(12 * x + 3 * y), 128 + 100 * np.cos(7 * y - 5 * x * y), 128 + 90 * np.sin(20 * x * y)]
    return Image.fromarray(np.dstack([c.astype(np.uint8) for c in channels]))



@pytest.mark.parametrize("format_name", ["JPEG", "PNG"])
def test_the_working_copy_matches_a_full_size_decode(format_name):
    data = encoded(smooth_picture(3000, 2000), format_name)
    full = working_copy(load_image(data).pixels, 256)[0]
    at_size = working_image(data, 256)
    assert at_size.pixels.shape == full.shape == (171, 256, 3)
    assert at_size.original_size == (3000, 2000) and at_size.working_size == (256, 171)
    assert psnr(full, at_size.pixels) > 45  # the same picture to the eye


def test_a_decode_at_working_size_holds_at_least_twice_the_working_side():
    loaded = load_image(encoded(smooth_picture(3000, 2000), "PNG"), max_side=256)
    assert max(loaded.pixels.shape[:2]) >= 512 and loaded.original_size == (3000, 2000)
    small = load_image(encoded(smooth_picture(300, 200), "PNG"), max_side=256)
    assert small.pixels.shape == (200, 300, 3)  # nothing to gain: decoded as is


def test_a_quarter_turned_photo_reports_its_upright_size():
    picture = smooth_picture(1600, 1000)
    exif = picture.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    loaded = load_image(encoded(picture, "JPEG", exif=exif), max_side=200)
    assert loaded.original_size == (1000, 1600)
    assert loaded.pixels.shape[0] > loaded.pixels.shape[1]


def test_a_palette_picture_is_decoded_right_at_any_size():
    picture = smooth_picture(1200, 800).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    data = encoded(picture, "PNG")
    assert psnr(working_copy(load_image(data).pixels, 128)[0], working_image(data, 128).pixels) > 30


@pytest.mark.parametrize("max_side", [0, 1, 5000, 2.5])
def test_a_working_size_out_of_range_is_refused(max_side):
    with pytest.raises(InputError, match="working size"):
        load_image(encoded(smooth_picture(40, 30), "PNG"), max_side=max_side)


PEAK = textwrap.dedent("""
    import resource, sys
    data = open(sys.argv[1], "rb").read()
    from nnmf_core.compression import working_image
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    working_image(data, 512)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
""")


def test_a_40_megapixel_jpeg_is_decoded_in_a_few_megabytes(tmp_path):
    """Measured in a fresh interpreter: the growth of its peak resident memory.
    A full decode of this picture needs over 300 MB (160 MB for Pillow's RGBX
    buffer plus the array copies)."""
    path = tmp_path / "big.jpg"
    path.write_bytes(encoded(smooth_picture(6400, 6200), "JPEG", quality=85))
    grew = float(subprocess.run([sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True,
                                check=True).stdout)
    assert grew < 60, f"decoding grew the peak memory by {grew:.0f} MB"
