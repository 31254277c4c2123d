"""Unit tests for nnmf_core.images: decoding, matrices, metrics, accounting,
baselines and parts, each checked against an independent oracle."""

from __future__ import annotations

import io
import struct
import zlib
from importlib import resources

import numpy as np
import pytest
from picture_files import encoded
from PIL import Image, ImageFile

from nnmf_core import images
from nnmf_core.errors import InputError
from nnmf_core.images import (
    break_even_rank,
    channel_matrices,
    component_images,
    factor_bytes,
    float16_rounded,
    image_from_channels,
    image_to_matrix,
    jpeg_at_size,
    load_image,
    load_sample_image,
    matrix_to_image,
    numbers_stored,
    original_bytes,
    original_numbers,
    png_bytes,
    psnr,
    relative_error,
    ssim,
    svd_error_floor,
    svd_error_floors,
    svd_reconstruction,
    svd_reconstructions,
    working_copy,
)

RNG_SEED = 20240611


# --------------------------------------------------------------------------
# helpers: files built in memory
# --------------------------------------------------------------------------


def random_pixels(height: int, width: int, seed: int = RNG_SEED) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def smooth_pixels(height: int, width: int) -> np.ndarray:
    """A photo-like picture: smooth gradients, so JPEG sizes behave."""
    rows, cols = np.mgrid[0:height, 0:width]
    red = 128 + 100 * np.sin(rows / 7.0) * np.cos(cols / 11.0)
    green = 255.0 * cols / max(width - 1, 1)
    blue = 255.0 * rows / max(height - 1, 1)
    return np.rint(np.stack([red, green, blue], axis=2)).clip(0, 255).astype(np.uint8)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_with_declared_size(width: int, height: int) -> bytes:
    """A real 2×2 PNG whose IHDR is patched to declare width × height (CRC fixed)."""
    png = encoded(Image.new("RGB", (2, 2), "red"), "PNG")
    assert png[12:16] == b"IHDR"
    ihdr_payload = struct.pack(">II", width, height) + png[24:29]
    return png[:8] + png_chunk(b"IHDR", ihdr_payload) + png[33:]


def png_16bit_rgb(samples: np.ndarray) -> bytes:
    """Hand-made 16-bit RGB PNG (Pillow cannot write one)."""
    height, width, _ = samples.shape
    raw = b"".join(b"\x00" + samples[row].astype(">u2").tobytes() for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(raw))
        + png_chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------
# load_image: formats
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_format", "options"),
    [("PNG", {}), ("BMP", {}), ("TIFF", {}), ("WEBP", {"lossless": True})],
)
def test_lossless_formats_decode_to_the_exact_pixels(file_format, options):
    pixels = random_pixels(12, 17)
    loaded = load_image(encoded(Image.fromarray(pixels), file_format, **options))
    assert loaded.format == file_format
    assert loaded.pixels.dtype == np.uint8
    np.testing.assert_array_equal(loaded.pixels, pixels)
    assert loaded.original_size == (17, 12)
    assert loaded.notes == ()
    assert not loaded.is_grayscale


@pytest.mark.parametrize("file_format", ["JPEG", "WEBP"])
def test_lossy_formats_decode_close_to_the_original(file_format):
    pixels = smooth_pixels(40, 60)
    data = encoded(Image.fromarray(pixels), file_format, quality=95)
    loaded = load_image(data)
    assert loaded.format == file_format
    assert loaded.pixels.shape == (40, 60, 3)
    assert loaded.n_bytes == len(data)
    mean_error = np.abs(loaded.pixels.astype(int) - pixels.astype(int)).mean()
    assert mean_error < 4


def test_gif_with_few_colours_decodes_exactly():
    pixels = np.zeros((6, 9, 3), np.uint8)
    pixels[:3] = (255, 0, 0)
    pixels[3:, 4:] = (0, 0, 255)
    loaded = load_image(encoded(Image.fromarray(pixels), "GIF"))
    assert loaded.format == "GIF"
    np.testing.assert_array_equal(loaded.pixels, pixels)


def test_animated_gif_uses_the_first_frame_and_says_so():
    frames = [Image.new("RGB", (10, 8), colour) for colour in ("red", "lime", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    loaded = load_image(buffer.getvalue())
    np.testing.assert_array_equal(loaded.pixels[0, 0], [255, 0, 0])
    assert any("first of 3 frames" in note for note in loaded.notes)


def test_grayscale_is_copied_into_three_channels():
    gray = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5
    loaded = load_image(encoded(Image.fromarray(gray, "L"), "PNG"))
    assert loaded.pixels.shape == (6, 8, 3)
    for channel in range(3):
        np.testing.assert_array_equal(loaded.pixels[:, :, channel], gray)
    assert loaded.is_grayscale


def test_one_bit_image_becomes_black_and_white():
    bits = Image.new("1", (5, 4), 0)
    bits.putpixel((2, 1), 1)
    loaded = load_image(encoded(bits, "PNG"))
    expected = np.zeros((4, 5), np.uint8)
    expected[1, 2] = 255
    np.testing.assert_array_equal(loaded.pixels[:, :, 0], expected)
    assert loaded.is_grayscale
    assert loaded.notes == ()  # nothing was lost, nothing to tell


def test_16_bit_grayscale_png_is_scaled_not_clipped():
    samples = (np.arange(64 * 64, dtype=np.uint32).reshape(64, 64) * 16).astype(np.uint16)
    picture = Image.fromarray(samples)
    assert picture.mode == "I;16"
    loaded = load_image(encoded(picture, "PNG"))
    expected = np.rint(samples / 257.0).astype(np.uint8)
    np.testing.assert_array_equal(loaded.pixels[:, :, 1], expected)
    assert loaded.pixels.max() == 255  # clipping at 255 would saturate most pixels
    assert (loaded.pixels == 255).mean() < 0.01
    assert any("16-bit" in note for note in loaded.notes)


def test_16_bit_rgb_png_is_reduced_to_8_bits_with_a_note():
    samples = np.random.default_rng(RNG_SEED).integers(0, 65536, (5, 7, 3)).astype(np.uint16)
    loaded = load_image(png_16bit_rgb(samples))
    expected = samples / 257.0
    assert np.abs(loaded.pixels - expected).max() <= 1.0
    assert any("16-bit" in note for note in loaded.notes)


def test_palette_transparency_is_flattened_onto_white():
    palette_image = Image.new("P", (6, 4), 0)
    palette_image.putpalette([10, 20, 30, 200, 0, 0] + [0] * 762)
    palette_image.putpixel((1, 2), 1)
    loaded = load_image(encoded(palette_image, "PNG", transparency=0))
    np.testing.assert_array_equal(loaded.pixels[2, 1], [200, 0, 0])
    np.testing.assert_array_equal(loaded.pixels[0, 0], [255, 255, 255])  # index 0 was transparent
    assert "Transparency flattened onto white." in loaded.notes


def test_partial_alpha_is_blended_onto_white():
    rgba = np.zeros((3, 4, 4), np.uint8)
    rgba[..., 0] = 100
    rgba[..., 3] = 51  # 20 % opaque
    loaded = load_image(encoded(Image.fromarray(rgba, "RGBA"), "PNG"))
    # 100·0.2 + 255·0.8 = 224, 0·0.2 + 255·0.8 = 204
    np.testing.assert_array_equal(loaded.pixels[0, 0], [224, 204, 204])
    assert "Transparency flattened onto white." in loaded.notes


def test_opaque_alpha_channel_needs_no_note():
    rgba = np.full((3, 4, 4), 255, np.uint8)
    rgba[..., :3] = random_pixels(3, 4)
    loaded = load_image(encoded(Image.fromarray(rgba, "RGBA"), "PNG"))
    np.testing.assert_array_equal(loaded.pixels, rgba[..., :3])
    assert loaded.notes == ()


def test_cmyk_jpeg_becomes_rgb():
    cyan_free_red = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # no cyan, full magenta+yellow
    loaded = load_image(encoded(cyan_free_red, "JPEG", quality=95))
    assert loaded.pixels.shape == (16, 16, 3)
    red, green, blue = loaded.pixels[8, 8].astype(int)
    assert red > 240 and green < 15 and blue < 15
    assert "CMYK converted to RGB." in loaded.notes


@pytest.mark.parametrize("file_format", ["JPEG", "PNG"])
def test_exif_orientation_6_is_turned_upright(file_format):
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:10] = 255  # top half white as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    data = encoded(Image.fromarray(stored), file_format, exif=exif.tobytes(), quality=95)
    loaded = load_image(data)
    assert loaded.pixels.shape == (40, 20, 3)
    assert loaded.original_size == (20, 40)
    upright = np.rot90(stored, k=-1)  # clockwise: the stored top becomes the right side
    assert np.abs(loaded.pixels.astype(int) - upright.astype(int)).mean() < 3
    assert loaded.pixels[:, -5:].mean() > 250 and loaded.pixels[:, :5].mean() < 5
    assert any("EXIF orientation" in note for note in loaded.notes)


def test_loaded_pixels_are_read_only():
    loaded = load_image(encoded(Image.fromarray(random_pixels(4, 4)), "PNG"))
    with pytest.raises(ValueError):
        loaded.pixels[0, 0, 0] = 1


# --------------------------------------------------------------------------
# load_image: refusals
# --------------------------------------------------------------------------


def test_empty_file_is_refused():
    with pytest.raises(InputError, match="empty"):
        load_image(b"")


@pytest.mark.parametrize(("width", "height"), [(1, 1), (1, 30), (30, 1)])
def test_pictures_thinner_than_two_pixels_are_refused(width, height):
    data = encoded(Image.new("RGB", (width, height), "white"), "PNG")
    with pytest.raises(InputError, match=f"{width} × {height} pixels.*at least 2"):
        load_image(data)


def test_two_by_two_is_the_smallest_accepted_picture():
    loaded = load_image(encoded(Image.new("RGB", (2, 2), "white"), "PNG"))
    assert loaded.pixels.shape == (2, 2, 3)


def test_text_renamed_png_is_refused_as_text():
    with pytest.raises(InputError, match="text, not an image"):
        load_image(b"name,value\nalpha,1\nbeta,2\n")


def test_pdf_is_refused_by_name():
    with pytest.raises(InputError, match="PDF document"):
        load_image(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")


def test_binary_garbage_is_refused():
    garbage = bytes(range(256)) * 4
    with pytest.raises(InputError, match="not an image Pillow can read"):
        load_image(garbage)


def test_jpeg_cut_in_half_is_refused_as_truncated():
    data = encoded(Image.fromarray(smooth_pixels(64, 64)), "JPEG", quality=90)
    with pytest.raises(InputError, match="truncated or damaged"):
        load_image(data[: len(data) // 2])


def test_png_with_broken_header_is_refused_as_damaged_png():
    data = encoded(Image.fromarray(random_pixels(8, 8)), "PNG")
    with pytest.raises(InputError, match="starts like a PNG"):
        load_image(data[:20])


def test_file_over_the_byte_limit_is_refused():
    data = encoded(Image.fromarray(random_pixels(8, 8)), "PNG")
    with pytest.raises(InputError, match="largest accepted"):
        load_image(data, max_bytes=len(data) - 1)
    assert load_image(data, max_bytes=len(data)).pixels.shape == (8, 8, 3)


@pytest.fixture
def decoding_forbidden(monkeypatch):
    """Make any pixel decoding fail the test loudly (AssertionError is not bad input)."""

    def refuse_to_decode(self, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_to_decode)


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (50_000, 50_000),  # beyond Pillow's own bomb limit: refused inside Image.open
        (7_000, 7_000),  # 49 MP: under Pillow's limit, over ours
    ],
)
def test_huge_declared_canvas_is_refused_without_decoding(width, height, decoding_forbidden):
    data = png_with_declared_size(width, height)
    assert len(data) < 200
    with pytest.raises(InputError, match="megapixels"):
        load_image(data)


def test_pixel_limit_is_checked_from_the_header(decoding_forbidden):
    data = encoded(Image.fromarray(random_pixels(50, 100)), "PNG")
    with pytest.raises(InputError, match="100 × 50 pixels"):
        load_image(data, max_pixels=4_999)


def test_pixel_limit_is_inclusive():
    data = encoded(Image.fromarray(random_pixels(50, 100)), "PNG")
    assert load_image(data, max_pixels=5_000).pixels.shape == (50, 100, 3)


def test_the_patched_png_helper_really_declares_the_size():
    """Guard for the bomb tests: Pillow reads the patched width and height."""
    with Image.open(io.BytesIO(png_with_declared_size(3_000, 1_000))) as opened:
        assert opened.size == (3_000, 1_000)


# --------------------------------------------------------------------------
# samples
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(images.SAMPLE_IMAGES))
def test_every_sample_image_loads(name):
    loaded = load_sample_image(name)
    assert loaded.pixels.dtype == np.uint8 and loaded.pixels.ndim == 3
    assert max(loaded.pixels.shape[:2]) <= images.DEFAULT_MAX_SIDE
    assert loaded.notes == ()


def test_default_sample_is_colour_and_camera_is_grayscale():
    assert not load_sample_image().is_grayscale
    assert load_sample_image("Camera (grayscale)").is_grayscale


def test_unknown_sample_is_refused():
    with pytest.raises(InputError, match="no sample image"):
        load_sample_image("Mona Lisa")


def test_default_sample_is_scikit_image_coffee_resized():
    """Provenance: the bundled file is skimage's coffee.png, Lanczos to 512 px."""
    source = resources.files("skimage").joinpath("data", "coffee.png").read_bytes()
    with Image.open(io.BytesIO(source)) as original:
        expected = np.asarray(original.convert("RGB").resize((512, 341), Image.Resampling.LANCZOS))
    np.testing.assert_array_equal(load_sample_image().pixels, expected)


# --------------------------------------------------------------------------
# working copy
# --------------------------------------------------------------------------


def test_working_copy_shrinks_the_longest_side_and_keeps_aspect():
    pixels = random_pixels(300, 400)
    small, note = working_copy(pixels, 128)
    assert small.shape == (96, 128, 3)
    assert small.dtype == np.uint8
    assert note == "Downscaled from 400×300 to 128×96 px for speed."


def test_working_copy_of_a_tall_picture():
    small, note = working_copy(random_pixels(1000, 250), 512)
    assert small.shape == (512, 128, 3)
    assert "250×1000 to 128×512" in note


def test_working_copy_keeps_a_picture_that_fits():
    pixels = random_pixels(64, 48)
    same, note = working_copy(pixels, 64)
    assert note is None
    np.testing.assert_array_equal(same, pixels)


def test_working_copy_keeps_a_flat_colour_flat():
    flat = np.full((90, 120, 3), (10, 150, 240), np.uint8)
    small, _ = working_copy(flat, 40)
    assert np.all(small == np.array([10, 150, 240], np.uint8))


@pytest.mark.parametrize("max_side", [0, 1, 4096, 512.5])
def test_working_copy_refuses_sizes_out_of_range(max_side):
    with pytest.raises(InputError, match="working size"):
        working_copy(random_pixels(8, 8), max_side)


# --------------------------------------------------------------------------
# picture <-> matrix
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "channel"), [("red", 0), ("green", 1), ("blue", 2)])
def test_channel_modes_take_one_channel(mode, channel):
    pixels = random_pixels(5, 7)
    V = image_to_matrix(pixels, mode)
    assert V.shape == (5, 7) and V.dtype == np.float32
    np.testing.assert_allclose(V * 255.0, pixels[:, :, channel], atol=1e-4)
    np.testing.assert_array_equal(matrix_to_image(V, mode), pixels[:, :, channel])


def test_colour_mode_puts_channels_side_by_side_and_round_trips():
    pixels = random_pixels(5, 7)
    V = image_to_matrix(pixels, "colour")
    assert V.shape == (5, 21) and V.dtype == np.float32
    np.testing.assert_allclose(V[:, 7:14] * 255.0, pixels[:, :, 1], atol=1e-4)
    assert 0.0 <= V.min() and V.max() <= 1.0
    np.testing.assert_array_equal(matrix_to_image(V, "colour"), pixels)


def test_luminance_matches_pillows_grayscale():
    pixels = random_pixels(20, 30)
    V = image_to_matrix(pixels, "luminance")
    pillow_gray = np.asarray(Image.fromarray(pixels).convert("L"), dtype=np.float64)
    assert V.shape == (20, 30) and V.dtype == np.float32
    assert np.abs(V * 255.0 - pillow_gray).max() <= 1.0
    white = image_to_matrix(np.full((2, 2, 3), 255, np.uint8), "luminance")
    assert white.max() <= 1.0 and np.allclose(white, 1.0)


def test_luminance_round_trip_reproduces_the_gray_levels():
    gray = np.arange(256, dtype=np.uint8).reshape(16, 16)
    V = image_to_matrix(np.repeat(gray[:, :, None], 3, axis=2), "luminance")
    np.testing.assert_array_equal(matrix_to_image(V, "luminance"), gray)


def test_two_dimensional_pixels_are_treated_as_gray():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    np.testing.assert_array_equal(matrix_to_image(image_to_matrix(gray, "colour"), "colour")[:, :, 2], gray)


def test_matrix_to_image_clips_and_rounds():
    V = np.array([[-0.2, 0.0, 0.5, 1.3, np.nan, 0.2]])
    np.testing.assert_array_equal(matrix_to_image(V, "luminance"), [[0, 0, 128, 255, 0, 51]])


def test_colour_matrix_width_must_be_a_multiple_of_three():
    with pytest.raises(InputError, match="multiple of 3"):
        matrix_to_image(np.zeros((4, 10)), "colour")


def test_unknown_mode_is_refused():
    with pytest.raises(InputError, match="Unknown colour mode"):
        image_to_matrix(random_pixels(4, 4), "sepia")


def test_float_pixels_are_refused():
    with pytest.raises(InputError, match="uint8"):
        image_to_matrix(np.zeros((4, 4, 3)), "red")


def test_per_channel_matrices_round_trip():
    pixels = random_pixels(6, 9)
    red, green, blue = channel_matrices(pixels)
    assert red.shape == green.shape == blue.shape == (6, 9)
    np.testing.assert_array_equal(image_from_channels(red, green, blue), pixels)
    with pytest.raises(InputError, match="one shape"):
        image_from_channels(red, green, blue[:, :-1])


# --------------------------------------------------------------------------
# quality
# --------------------------------------------------------------------------


def test_psnr_of_a_uniform_error_of_one_tenth_is_20_db():
    reference = np.full((16, 16), 0.5)
    assert psnr(reference, reference + 0.1) == pytest.approx(20.0, abs=1e-9)
    assert psnr(reference, reference - 0.01) == pytest.approx(40.0, abs=1e-9)


def test_psnr_of_colour_and_uint8_pictures():
    reference = np.zeros((8, 8, 3), np.uint8)
    estimate = np.full((8, 8, 3), 51, np.uint8)  # error 0.2 everywhere
    assert psnr(reference, estimate) == pytest.approx(-20 * np.log10(0.2), abs=1e-9)


def test_psnr_of_identical_pictures_is_infinite():
    picture = np.random.default_rng(RNG_SEED).random((8, 8))
    assert psnr(picture, picture) == float("inf")


def test_ssim_of_identical_pictures_is_one_and_noise_lowers_it():
    picture = smooth_pixels(32, 32).astype(np.float64) / 255.0
    assert ssim(picture, picture) == pytest.approx(1.0)
    noisy = np.clip(picture + np.random.default_rng(RNG_SEED).normal(0, 0.1, picture.shape), 0, 1)
    assert ssim(picture, noisy) < 0.9


def test_ssim_uses_scikit_images_default_7_by_7_window():
    from skimage.metrics import structural_similarity

    picture = smooth_pixels(32, 32)[:, :, 0].astype(np.float64) / 255.0
    noisy = np.clip(picture + np.random.default_rng(RNG_SEED).normal(0, 0.05, picture.shape), 0, 1)
    expected = structural_similarity(picture, noisy, data_range=1.0)
    assert ssim(picture, noisy) == pytest.approx(expected, rel=1e-12)
    assert ssim(picture, noisy) != pytest.approx(
        structural_similarity(picture, noisy, data_range=1.0, win_size=3), rel=1e-3
    )


def test_ssim_of_colour_is_the_mean_over_channels():
    picture = smooth_pixels(32, 32).astype(np.float64) / 255.0
    noisy = np.clip(picture + np.random.default_rng(RNG_SEED).normal(0, 0.05, picture.shape), 0, 1)
    per_channel = [ssim(picture[:, :, c], noisy[:, :, c]) for c in range(3)]
    assert ssim(picture, noisy) == pytest.approx(np.mean(per_channel), rel=1e-9)


def test_ssim_works_on_small_pictures_and_is_nan_below_three_pixels():
    picture = np.random.default_rng(RNG_SEED).random((4, 5))
    assert ssim(picture, picture) == pytest.approx(1.0)
    assert np.isnan(ssim(np.zeros((2, 9)), np.zeros((2, 9))))


def test_metrics_refuse_mismatched_shapes():
    with pytest.raises(InputError, match="shape"):
        psnr(np.zeros((4, 4)), np.zeros((4, 5)))


def test_relative_error_hand_values():
    V = np.array([[3.0, 4.0]])
    assert relative_error(V, np.zeros_like(V)) == pytest.approx(1.0)
    assert relative_error(V, np.array([[3.0, 0.0]])) == pytest.approx(0.8)
    assert relative_error(V, V) == 0.0
    with pytest.raises(InputError, match="all zeros"):
        relative_error(np.zeros((2, 2)), np.ones((2, 2)))


# --------------------------------------------------------------------------
# storage accounting
# --------------------------------------------------------------------------


def test_storage_counts_by_hand():
    # the reference notebook's 67 × 100 picture at rank 20
    assert original_numbers(67, 100) == 6_700
    assert numbers_stored(67, 100, 20) == 20 * 167 == 3_340
    assert original_bytes(67, 100) == 6_700
    assert factor_bytes(67, 100, 20) == 6_680  # float16: 2 bytes per number
    assert factor_bytes(67, 100, 20, bytes_per_number=4) == 13_360
    # colour side by side: a 341 × 512 picture is a 341 × 1536 matrix
    assert original_numbers(341, 3 * 512) == 523_776
    assert numbers_stored(341, 3 * 512, 10) == 18_770


def test_break_even_rank_by_hand_and_by_brute_force():
    assert break_even_rank(67, 100) == 41  # 40·167 = 6680 < 6700 ≤ 41·167 = 6847
    assert break_even_rank(10, 10) == 5  # 5·20 = 100 = 10·10
    assert break_even_rank(2, 2) == 1
    for n in range(1, 40, 3):
        for m in range(1, 60, 7):
            k = break_even_rank(n, m)
            assert k * (n + m) >= n * m
            assert (k - 1) * (n + m) < n * m


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_accounting_refuses_bad_sizes(bad):
    with pytest.raises(InputError):
        original_numbers(bad, 10)


def test_float16_rounded_is_a_float16_round_trip_clipped_to_its_range():
    values = np.array([0.1, 1 / 3, 2.0**-20, 7e4, -1e9])
    rounded = float16_rounded(values)
    assert rounded.dtype == np.float32
    assert rounded[:3].tolist() == values[:3].astype(np.float16).astype(np.float32).tolist()
    assert rounded[3:].tolist() == [65504.0, -65504.0]  # float16's largest, not infinity


# --------------------------------------------------------------------------
# baselines
# --------------------------------------------------------------------------


@pytest.fixture
def low_rank_plus_noise():
    rng = np.random.default_rng(RNG_SEED)
    return rng.random((40, 6)) @ rng.random((6, 30)) + 0.05 * rng.random((40, 30))


@pytest.mark.parametrize("k", [0, 1, 3, 6, 12, 30])
def test_svd_error_is_the_eckart_young_tail(low_rank_plus_noise, k):
    V = low_rank_plus_noise
    # squared singular values from the eigenvalues of VᵀV, largest first
    squared = np.sort(np.linalg.eigvalsh(V.T @ V))[::-1].clip(min=0)
    expected = np.sqrt(squared[k:].sum() / squared.sum())
    V_k = svd_reconstruction(V, k)
    assert V_k.shape == V.shape
    assert np.linalg.matrix_rank(V_k) <= k
    assert relative_error(V, V_k) == pytest.approx(expected, abs=1e-6)
    assert svd_error_floor(V, k) == pytest.approx(expected, abs=1e-6)


def test_svd_error_floors_go_from_one_to_zero(low_rank_plus_noise):
    floors = svd_error_floors(low_rank_plus_noise)
    assert floors.shape == (31,)
    assert floors[0] == pytest.approx(1.0) and floors[-1] == 0.0
    assert np.all(np.diff(floors) <= 1e-12)


def test_svd_beats_a_random_rank_k_projection(low_rank_plus_noise):
    V = low_rank_plus_noise
    Q, _ = np.linalg.qr(np.random.default_rng(RNG_SEED).random((40, 3)))
    assert relative_error(V, svd_reconstruction(V, 3)) < relative_error(V, Q @ (Q.T @ V))


def test_svd_keeps_float32():
    assert svd_reconstruction(np.ones((4, 5), np.float32), 1).dtype == np.float32


def test_svd_refuses_a_rank_above_the_smaller_side():
    with pytest.raises(InputError, match="larger than the smaller side"):
        svd_reconstruction(np.ones((4, 5)), 5)


def test_svd_reconstructions_give_each_rank_from_one_decomposition(low_rank_plus_noise):
    V = low_rank_plus_noise.astype(np.float32)
    ranks = (1, 4, 6)
    for float16_factors in (False, True):
        each = [svd_reconstruction(V, k, float16_factors=float16_factors) for k in ranks]
        together = list(svd_reconstructions(V, ranks, float16_factors=float16_factors))
        assert all(np.array_equal(a, b) for a, b in zip(each, together))
    # float16 factors: U_k·S_k and Vt_k as a float16 file holds them, then multiplied
    U, s, Vt = np.linalg.svd(V, full_matrices=False)
    by_hand = (U[:, :4] * s[:4]).astype(np.float16).astype(np.float32) @ Vt[:4].astype(np.float16).astype(np.float32)
    stored = svd_reconstruction(V, 4, float16_factors=True)
    assert stored.dtype == np.float32 and np.array_equal(stored, by_hand)
    assert not np.array_equal(stored, svd_reconstruction(V, 4))


def test_svd_reconstructions_refuse_a_bad_rank_before_computing_anything():
    with pytest.raises(InputError, match="larger than the smaller side"):
        svd_reconstructions(np.ones((4, 5)), [1, 5])


@pytest.fixture(scope="module")
def photo():
    return working_copy(np.asarray(load_sample_image().pixels), 128)[0]


def encoded_size(pixels: np.ndarray, quality: int) -> int:
    return len(encoded(Image.fromarray(pixels), "JPEG", quality=quality, optimize=True))


def test_jpeg_at_size_is_the_best_quality_within_budget(photo):
    budget = 3_000
    result = jpeg_at_size(photo, budget)
    assert result.fits_budget
    assert result.n_bytes <= budget
    assert result.n_bytes == encoded_size(photo, result.quality)
    assert 1 <= result.quality < 95
    assert encoded_size(photo, result.quality + 1) > budget  # one step better no longer fits
    assert result.pixels.shape == photo.shape and result.pixels.dtype == np.uint8


def test_a_bigger_jpeg_budget_never_lowers_quality(photo):
    budgets = [1_500, 2_500, 4_000, 8_000, 20_000]
    results = [jpeg_at_size(photo, budget) for budget in budgets]
    qualities = [result.quality for result in results]
    assert qualities == sorted(qualities)
    assert qualities[0] < qualities[-1]
    errors = [psnr(photo, result.pixels) for result in results]
    assert errors[-1] > errors[0]


def test_jpeg_over_budget_is_flagged():
    result = jpeg_at_size(smooth_pixels(32, 32), 50)
    assert not result.fits_budget
    assert result.quality == 1
    assert result.n_bytes > 50


def test_jpeg_generous_budget_reaches_quality_95():
    result = jpeg_at_size(smooth_pixels(16, 16), 1_000_000)
    assert result.fits_budget and result.quality == 95


def test_gray_pictures_are_encoded_as_grayscale_jpeg():
    gray = smooth_pixels(32, 48)[:, :, 1]
    result = jpeg_at_size(gray, 5_000)
    assert result.pixels.shape == (32, 48)
    rgb_size = encoded_size(np.repeat(gray[:, :, None], 3, axis=2), result.quality)
    assert result.n_bytes < rgb_size  # one channel, not three


# --------------------------------------------------------------------------
# parts
# --------------------------------------------------------------------------


def test_component_images_are_rank_one_parts_scaled_to_one():
    rng = np.random.default_rng(RNG_SEED)
    W, H = rng.random((8, 4)), rng.random((4, 6))
    W[:, 2] = 0.0  # an unused component
    parts = component_images(W, H, 3)
    assert parts.shape == (3, 8, 6) and parts.dtype == np.float32
    for i in (0, 1):
        outer = np.outer(W[:, i], H[i])
        np.testing.assert_allclose(parts[i], outer / outer.max(), rtol=1e-5)
        assert parts[i].max() == pytest.approx(1.0)
    assert np.all(parts[2] == 0.0)


def test_component_images_count_is_capped_at_the_rank():
    rng = np.random.default_rng(RNG_SEED)
    assert component_images(rng.random((5, 2)), rng.random((2, 7)), 10).shape == (2, 5, 7)


def test_colour_parts_become_pictures():
    rng = np.random.default_rng(RNG_SEED)
    parts = component_images(rng.random((6, 2)), rng.random((2, 3 * 5)), 2)
    picture = matrix_to_image(parts[0], "colour")
    assert picture.shape == (6, 5, 3) and picture.max() == 255


def test_component_images_refuse_mismatched_factors():
    with pytest.raises(InputError, match="share k"):
        component_images(np.ones((5, 3)), np.ones((2, 7)), 1)


# --------------------------------------------------------------------------
# PNG
# --------------------------------------------------------------------------


@pytest.mark.parametrize("compress_level", [None, 1, 9])
def test_png_bytes_is_lossless_at_every_level(compress_level):
    pixels = random_pixels(20, 30)
    for picture in (pixels, pixels[:, :, 1]):
        with Image.open(io.BytesIO(png_bytes(picture, compress_level=compress_level))) as image:
            assert image.format == "PNG"
            assert np.array_equal(np.asarray(image), picture)


def test_png_bytes_default_level_is_pillows():
    pixels = random_pixels(20, 30)
    assert png_bytes(pixels) == encoded(Image.fromarray(pixels), "PNG")
    smooth = smooth_pixels(40, 60)
    assert len(png_bytes(smooth, compress_level=0)) > len(png_bytes(smooth, compress_level=9))


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.float32), np.zeros((4, 4, 4), np.uint8), np.zeros(4, np.uint8)])
def test_png_bytes_refuses_what_is_not_a_uint8_picture(bad):
    with pytest.raises(InputError, match="A PNG needs uint8 pixels"):
        png_bytes(bad)
