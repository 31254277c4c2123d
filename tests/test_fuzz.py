"""Property-based: whatever bytes arrive, the decoders either return a valid
result or raise InputError — never another exception."""

import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from nnmf_core import InputError
from nnmf_core.images import load_image
from nnmf_core.spikes import read_waveforms

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def png_bytes(width=6, height=5):
    buffer = io.BytesIO()
    Image.fromarray(np.arange(width * height * 3, dtype=np.uint8).reshape(height, width, 3)).save(buffer, "PNG")
    return buffer.getvalue()


def check_image(data: bytes) -> None:
    try:
        image = load_image(data)
    except InputError as error:
        assert str(error).strip()
        return
    assert image.pixels.dtype == np.uint8 and image.pixels.ndim == 3 and image.pixels.shape[2] == 3
    assert min(image.pixels.shape[:2]) >= 1


def check_csv(data: bytes, transposed: bool) -> None:
    try:
        table = read_waveforms(data, transposed=transposed)
    except InputError as error:
        assert str(error).strip()
        return
    assert table.waveforms.ndim == 2 and np.isfinite(table.waveforms).all()
    assert table.waveforms.shape[0] == len(table.ids) >= 2
    assert table.waveforms.shape[1] >= 3


@FUZZ
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_into_the_image_decoder(data):
    check_image(data)


@FUZZ
@given(st.data())
def test_damaged_real_images_into_the_image_decoder(data):
    original = bytearray(png_bytes() if data.draw(st.booleans()) else _jpeg_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(original) - 1))
        original[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(original)))
    check_image(bytes(original[:cut]))


def _jpeg_bytes():
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 9, 3), 120, np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


@FUZZ
@given(st.binary(max_size=2048), st.booleans())
def test_arbitrary_bytes_into_the_csv_reader(data, transposed):
    check_csv(data, transposed)


CELL = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 5).map(str),
    st.sampled_from(["", " ", "abc", "1,5", "1e3", "=1+1", "NaN", "-", '"x"', "inf", "0x10"]),
)


@FUZZ
@given(
    st.lists(st.lists(CELL, min_size=1, max_size=6), min_size=1, max_size=8),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    st.booleans(),
)
def test_csv_shaped_text_into_the_csv_reader(rows, delimiter, encoding, transposed):
    text = "\n".join(delimiter.join(row) for row in rows)
    check_csv(text.encode(encoding), transposed)
