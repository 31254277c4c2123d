"""Unit tests for nnmf_core.compression, the page state in
app_pages.compression_state, and the Compression page's figures
(the ``# ---- compression page ----`` section of nnmf_core.figures).

Small synthetic pictures keep every fit to milliseconds; numbers are checked
against independent computations (storage formulas, NumPy products, the SVD).
"""

from __future__ import annotations

import base64
import csv
import io
import math
from dataclasses import replace

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from app_pages.compression_state import CompressionSettings, loss_csv_bytes, settings_from_query
from nnmf_core import figures
from nnmf_core.compression import (
    JPEG_BEST_QUALITY,
    Baseline,
    Baselines,
    affordable_fit,
    baselines,
    compress,
    factor_view,
    fit_matrices,
    largest_rank,
    npz_bytes,
    parsed_ranks,
    parts_gallery,
    png_bytes,
    rank_sweep,
    readable_bytes,
    usable_rank,
    working_image,
)
from nnmf_core.errors import InputError
from nnmf_core.factorize import MAX_FIT_COST, fit_cost
from nnmf_core.images import image_to_matrix, matrix_to_image, psnr

N, M = 36, 48  # picture height and width


def synthetic_picture(n: int = N, m: int = M) -> np.ndarray:
    """A non-trivial RGB picture: gradients, a bright disc and seeded noise
    (so that no channel is exactly of low rank)."""
    y, x = np.mgrid[0:n, 0:m].astype(np.float64)
    disc = ((y - n / 2) ** 2 + (x - m / 3) ** 2 < (n / 4) ** 2) * 90.0
    red = 40 + 150 * x / m + disc
    green = 60 + 100 * np.sin(y / 5) ** 2 + 0.5 * disc
    blue = 200 - 150 * y / n
    noise = np.random.default_rng(7).normal(0, 6, (n, m, 3))
    return np.clip(np.stack([red, green, blue], axis=2) + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    return synthetic_picture()


@pytest.fixture(scope="module")
def joint(picture):
    return compress(picture, mode="colour", colour_layout="joint", rank=6, random_state=0)


@pytest.fixture(scope="module")
def per_channel(picture):
    return compress(picture, mode="colour", colour_layout="per-channel", rank=6, random_state=0)


def png_file(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


# ---- matrices and ranks ---------------------------------------------------


def test_fit_matrices_shapes_per_mode(picture):
    (name, V), = fit_matrices(picture, "colour", "joint")
    assert name == "colour" and V.shape == (N, 3 * M)
    channels = fit_matrices(picture, "colour", "per-channel")
    assert [name for name, _ in channels] == ["red", "green", "blue"]
    assert all(V.shape == (N, M) for _, V in channels)
    (name, V), = fit_matrices(picture, "green", "per-channel")  # the layout only matters in colour
    assert name == "green" and np.array_equal(V, picture[:, :, 1] / np.float32(255))


def test_largest_and_usable_rank():
    assert largest_rank((30, 100, 3), "colour", "joint") == 30
    assert largest_rank((300, 100, 3), "colour", "joint") == 300
    assert largest_rank((300, 100, 3), "colour", "per-channel") == 100
    assert largest_rank((300, 100, 3), "luminance") == 100
    assert usable_rank(50, (300, 100, 3), "red") == (50, None)
    rank, note = usable_rank(500, (300, 100, 3), "red")
    assert rank == 100 and "500" in note and "100" in note


def test_compress_refuses_a_rank_above_the_picture_and_a_black_picture(picture):
    with pytest.raises(InputError):
        compress(picture, mode="luminance", rank=M + 1)
    with pytest.raises(InputError, match="zeros"):
        compress(np.zeros((20, 20, 3), np.uint8), rank=2)


@pytest.mark.parametrize(
    "channels, mode, layout, words",
    [
        ((0, 0, 0), "colour", "joint", r"The picture is black everywhere \(every pixel is 0\), so the matrix V is all "
                                       r"zeros: NMF has nothing to factor, because W·H = 0 already reproduces it exactly"),
        ((0, 0, 0), "luminance", "joint", "black everywhere"),
        ((0, 0, 0), "colour", "per-channel", "black everywhere"),
        ((0, 9, 9), "red", "joint", "The red channel of this picture is 0 everywhere.*another channel or picture"),
        ((9, 9, 0), "colour", "per-channel", "The blue channel .* 0 everywhere.*use the joint layout"),
    ],
    ids=["black joint", "black luminance", "black per-channel", "red channel", "blue channel per-channel"],
)
def test_dark_pictures_are_refused_saying_why_nmf_cannot_factor_them(channels, mode, layout, words):
    pixels = np.broadcast_to(np.array(channels, np.uint8), (12, 16, 3)).copy()
    with pytest.raises(InputError, match=words):
        compress(pixels, mode=mode, colour_layout=layout, rank=2)
    with pytest.raises(InputError, match=words):
        rank_sweep(pixels, [1, 2], mode=mode, colour_layout=layout)
    if layout == "per-channel" and channels != (0, 0, 0):
        assert compress(pixels, mode=mode, colour_layout="joint", rank=2).psnr > 20  # the advice works


# ---- what one request may cost --------------------------------------------------


def test_affordable_fit_leaves_ordinary_requests_alone():
    assert affordable_fit((341, 512, 3), "colour", "joint", [20], 300) == (300, 1, None)
    assert affordable_fit((2048, 2048, 3), "luminance", "joint", [10], 300, 2) == (300, 2, None)


def test_affordable_fit_caps_iterations_and_says_what_and_why():
    work = affordable_fit((2048, 2048, 3), "luminance", "joint", [500], 1000, 3)
    assert work == (7, 3, "At 2048 × 2048 px, rank 500 and 3 restarts, 1,000 iterations would take about 126× "
                          "what one request may use here; capped at 7 iterations.")
    assert fit_cost(2048, 2048, 500, 7, 3) <= MAX_FIT_COST < fit_cost(2048, 2048, 500, 8, 3)
    # Full colour fits three times the columns, jointly or channel by channel.
    joint = affordable_fit((2048, 2048, 3), "colour", "joint", [500], 1000, 3)
    assert joint[:2] == affordable_fit((2048, 2048, 3), "colour", "per-channel", [500], 1000, 3)[:2] == (2, 3)
    assert "377×" in joint.note and joint.note.endswith("capped at 2 iterations.")


def test_affordable_fit_of_a_sweep_adds_up_its_ranks():
    ranks = (5, 10, 50, 100)
    sweep = affordable_fit((2048, 1536, 3), "colour", "joint", ranks, 5000, 10)
    assert sweep[:2] == affordable_fit((2048, 1536, 3), "colour", "joint", [sum(ranks)], 5000, 10)[:2]
    assert fit_cost(2048, 3 * 1536, sum(ranks), sweep.max_iter, 10) <= MAX_FIT_COST
    assert sweep.note.startswith("At 1536 × 2048 px, ranks 5, 10, 50 and 100 with 10 restarts each, 5,000 iterations")


def test_affordable_fit_drops_restarts_when_one_iteration_of_each_is_too_much():
    work = affordable_fit((2048, 2048, 3), "colour", "joint", [2048], 300, 10)
    assert work[:2] == (1, 1) and work.note.endswith("capped at 1 restart of 1 iteration.")
    with pytest.raises(InputError, match="even one iteration would take about .*× what one request may use here"):
        affordable_fit((2048, 2048, 3), "colour", "joint", [2043, 2044, 2045, 2046, 2047, 2048], 300)


# ---- compression at one rank ------------------------------------------------


def test_joint_colour_compression_counts_and_measures(picture, joint):
    k = 6
    (factors,) = joint.factors
    assert factors.W.shape == (N, k) and factors.H.shape == (k, 3 * M)
    assert joint.reconstruction.shape == picture.shape and joint.reconstruction.dtype == np.uint8
    assert np.array_equal(joint.original, picture)
    assert joint.numbers_stored == k * (N + 3 * M)
    assert joint.original_numbers == N * 3 * M == joint.raw_pixel_bytes
    assert joint.factor_bytes == 2 * joint.numbers_stored
    assert joint.break_even_rank == math.ceil(N * 3 * M / (N + 3 * M))
    # Quality is that of the float16 factors, as the download stores them.
    V = image_to_matrix(picture, "colour").astype(np.float64)
    product = factors.W.astype(np.float16).astype(np.float64) @ factors.H.astype(np.float16).astype(np.float64)
    assert joint.relative_error == pytest.approx(np.linalg.norm(V - product) / np.linalg.norm(V), rel=1e-4)
    assert joint.psnr == pytest.approx(psnr(picture, joint.reconstruction))
    rounded = factors.W.astype(np.float16).astype(np.float32) @ factors.H.astype(np.float16).astype(np.float32)
    assert np.array_equal(joint.reconstruction, matrix_to_image(rounded, "colour"))
    assert not np.array_equal(joint.reconstruction, matrix_to_image(factors.W @ factors.H, "colour"))
    assert 0 < joint.ssim <= 1
    expected_error = np.rint(np.abs(picture.astype(int) - joint.reconstruction.astype(int)).mean(axis=2))
    assert np.array_equal(joint.absolute_error, expected_error)
    assert "joint" in joint.layout_description.lower()


def test_per_channel_compression_has_three_fits(picture, per_channel):
    k = 6
    assert [factors.name for factors in per_channel.factors] == ["red", "green", "blue"]
    assert all(f.W.shape == (N, k) and f.H.shape == (k, M) for f in per_channel.factors)
    assert per_channel.numbers_stored == 3 * k * (N + M)
    assert per_channel.break_even_rank == math.ceil(N * M / (N + M))
    assert set(per_channel.loss_histories) == {"red", "green", "blue"}
    assert per_channel.colour_layout == "per-channel" and "per channel" in per_channel.layout_description


def test_one_channel_compression_compares_with_that_channel(picture):
    result = compress(picture, mode="green", rank=4, random_state=0)
    assert np.array_equal(result.original, picture[:, :, 1])
    assert result.reconstruction.shape == (N, M)
    assert result.numbers_stored == 4 * (N + M) and result.original_numbers == N * M
    assert result.colour_layout is None and "green" in result.layout_description


def test_higher_rank_fits_better(picture):
    low = compress(picture, mode="luminance", rank=1, random_state=0)
    high = compress(picture, mode="luminance", rank=12, random_state=0)
    assert high.relative_error < low.relative_error
    assert high.psnr > low.psnr


def test_compress_reports_progress_for_every_iteration(picture):
    calls = []
    result = compress(picture, mode="colour", colour_layout="per-channel", rank=3, max_iter=7, tol=0,
                      on_iteration=lambda i, loss: calls.append(i))
    assert calls == list(range(1, 8)) * 3
    assert result.n_iter == 7


def test_factor_view_product_lines_up_with_the_factors(joint, per_channel):
    view = factor_view(joint)
    assert view.product.shape == (N, 3 * M)
    assert np.array_equal(view.product[:, M:2 * M], joint.reconstruction[:, :, 1])
    blue = factor_view(per_channel, 2)
    assert blue.name == "blue" and np.array_equal(blue.product, per_channel.reconstruction[:, :, 2])
    with pytest.raises(InputError):
        factor_view(joint, 1)


# ---- baselines ----------------------------------------------------------------


def test_baselines_svd_bounds_nmf_and_jpeg_keeps_the_budget(picture, joint):
    compared = baselines(picture, joint)
    assert compared.svd.n_bytes == compared.nmf.n_bytes == joint.factor_bytes
    assert compared.svd.psnr >= compared.nmf.psnr - 0.05  # Eckart–Young (float16 rounding aside)
    if compared.jpeg_fits_budget:
        assert compared.jpeg.n_bytes <= compared.budget_bytes
    assert compared.jpeg.psnr == pytest.approx(psnr(picture, compared.jpeg.pixels))
    rows = compared.rows
    assert [row["method"] for row in rows] == ["NMF", "Truncated SVD", "JPEG"]
    assert rows[0]["PSNR (dB)"] == round(joint.psnr, 2)


def _baselines(nmf_psnr: float, jpeg_psnr: float, svd_psnr: float, fits: bool = True, jpeg_bytes: int = 26_500,
               quality: int = 37) -> Baselines:
    pixels = np.zeros((2, 2), np.uint8)
    return Baselines(
        nmf=Baseline("NMF", pixels, 27_000, nmf_psnr, 0.80, "rank 20"),
        svd=Baseline("Truncated SVD", pixels, 27_000, svd_psnr, 0.82, "rank 20"),
        jpeg=Baseline("JPEG", pixels, jpeg_bytes if fits else 31_000, jpeg_psnr, 0.93, f"quality {quality}"),
        budget_bytes=27_000, jpeg_fits_budget=fits, rank=20, jpeg_quality=quality,
    )


def test_baseline_summary_is_written_from_the_numbers():
    text = _baselines(25.0, 29.1, 26.2).summary
    assert "JPEG in 26.5 kB (quality 37, the most that fits in the factors' 27.0 kB)" in text
    assert "4.1 dB higher" in text and "not a codec" in text
    assert "1.2 dB higher" in text and "Eckart" in text
    beaten = _baselines(30.0, 27.0, 30.5).summary
    assert "JPEG in 26.5 kB" in beaten and "3.0 dB lower PSNR than NMF" in beaten and "low quality" in beaten
    assert "about as good" in _baselines(30.0, 30.3, 30.5).summary
    over = _baselines(30.0, 31.0, 30.5, fits=False).summary
    assert "Even at its lowest quality JPEG needs 31.0 kB, more than the factors' 27.0 kB" in over
    assert "within 0.00 dB" in _baselines(30.0, 35.0, 30.0).summary


def test_baseline_summary_states_the_bytes_jpeg_used_at_its_quality_cap():
    """A large budget: JPEG stops at its best quality, far below the factors'
    bytes, and the sentence says so instead of "at the same" size."""
    text = _baselines(25.0, 35.4, 26.2, jpeg_bytes=5_400, quality=JPEG_BEST_QUALITY).summary
    assert "JPEG at its best quality (95) needs only 5.4 kB, 5.0× less than the factors' 27.0 kB" in text
    assert "10.4 dB higher" in text and "same" not in text.split(".")[0]
    level = _baselines(30.0, 30.2, 30.5, jpeg_bytes=5_400, quality=JPEG_BEST_QUALITY).summary
    assert "needs only 5.4 kB" in level and "about as good" in level
    worse = _baselines(30.0, 28.0, 30.5, jpeg_bytes=5_400, quality=JPEG_BEST_QUALITY).summary
    assert "needs only 5.4 kB" in worse and "2.0 dB lower PSNR than NMF" in worse and "low quality" not in worse


def test_baselines_at_a_high_rank_report_jpeg_s_real_bytes(picture):
    """The bug a visitor met: rank 100 of a colour photo gives far more bytes
    than JPEG at quality 95 needs; the sentence must quote JPEG's own size."""
    high = compress(picture, mode="colour", rank=30, max_iter=30, random_state=0)
    compared = baselines(picture, high)
    assert compared.jpeg_quality == JPEG_BEST_QUALITY and compared.jpeg.n_bytes < compared.budget_bytes
    assert f"needs only {readable_bytes(compared.jpeg.n_bytes)}" in compared.summary


# ---- rank sweep -----------------------------------------------------------------


def test_parsed_ranks_clips_sorts_and_explains():
    assert parsed_ranks("5, 10, 50, 100", 341).ranks == (5, 10, 50, 100)
    assert parsed_ranks("5, 10, 50, 100", 341).note is None
    choice = parsed_ranks("100 5;10, 50, x, 5", 60)
    assert choice.ranks == (5, 10, 50, 60)
    assert "100 lowered to 60" in choice.note and "'x'" in choice.note
    many = parsed_ranks("1 2 3 4 5 6 7 8", 60)
    assert many.ranks == (1, 2, 3, 4, 5, 6) and "7, 8" in many.note
    with pytest.raises(InputError):
        parsed_ranks("none, 0, -3", 60)


def test_rank_sweep_one_reconstruction_per_rank(picture):
    sweep = rank_sweep(picture, (1, 4, 12), mode="colour", colour_layout="joint", random_state=0)
    assert sweep.ranks == (1, 4, 12)
    assert len(sweep.reconstructions) == len(sweep.loss_histories) == 3
    assert all(image.shape == picture.shape for image in sweep.reconstructions)
    assert sweep.psnr[0] < sweep.psnr[1] < sweep.psnr[2]
    assert all(svd >= nmf - 0.05 for svd, nmf in zip(sweep.svd_psnr, sweep.psnr))
    assert sweep.numbers_stored == tuple(k * (N + 3 * M) for k in (1, 4, 12))
    assert sweep.original_numbers == N * 3 * M
    ranks, numbers = sweep.storage_line
    assert ranks[-1] >= sweep.break_even_rank and numbers[-1] == ranks[-1] * (N + 3 * M)
    with pytest.raises(InputError):
        rank_sweep(picture, (5, 4000))


def test_per_channel_sweep_sums_the_channel_losses(picture):
    sweep = rank_sweep(picture, (2,), mode="colour", colour_layout="per-channel", max_iter=20, tol=0)
    single = compress(picture, mode="colour", colour_layout="per-channel", rank=2, max_iter=20, tol=0)
    total = sum(history for history in single.loss_histories.values())
    np.testing.assert_allclose(sweep.loss_histories[0], total)


# ---- parts, downloads, settings ---------------------------------------------------


def test_parts_gallery_largest_first(joint, per_channel):
    gallery = parts_gallery(joint, count=4)
    assert len(gallery.pictures) == 4 and gallery.pictures[0].shape == (N, M, 3)
    assert list(gallery.shares) == sorted(gallery.shares, reverse=True)
    W, H = joint.factors[0].W, joint.factors[0].H
    sizes = np.linalg.norm(W, axis=0) * np.linalg.norm(H, axis=1)
    assert gallery.components[0] == int(np.argmax(sizes))
    assert gallery.shares[0] == pytest.approx(sizes.max() / sizes.sum())
    green = parts_gallery(per_channel, count=50, index=1)
    assert len(green.pictures) == 6 and green.pictures[0].ndim == 2 and green.name == "green"


def test_npz_holds_float16_factors_that_rebuild_the_picture(joint, per_channel):
    with np.load(io.BytesIO(npz_bytes(joint)), allow_pickle=False) as saved:
        assert saved["W"].dtype == np.float16 and saved["W"].shape == (N, 6)
        assert saved["H"].shape == (6, 3 * M)
        assert tuple(saved["shape"]) == (N, M, 3) and str(saved["mode"]) == "colour"
        assert str(saved["dtype"]) == "float16" and str(saved["layout"]) == "joint" and int(saved["rank"]) == 6
        product = np.clip(saved["W"].astype(np.float64) @ saved["H"].astype(np.float64), 0, 1)
    rebuilt = np.rint(np.stack(np.split(product, 3, axis=1), axis=2) * 255).astype(np.uint8)
    assert np.abs(rebuilt.astype(int) - joint.reconstruction.astype(int)).max() <= 1
    with np.load(io.BytesIO(npz_bytes(per_channel)), allow_pickle=False) as saved:
        assert saved["W"].shape == (3, N, 6) and saved["H"].shape == (3, 6, M)
        assert list(saved["channels"]) == ["red", "green", "blue"]


def test_png_bytes_is_lossless(picture):
    for pixels in (picture, picture[:, :, 0]):
        with Image.open(io.BytesIO(png_bytes(pixels))) as image:
            assert image.format == "PNG"
            assert np.array_equal(np.asarray(image), pixels)
    with pytest.raises(InputError):
        png_bytes(picture.astype(np.float32))


def test_loss_csv_has_one_column_per_fit():
    rows = list(csv.reader(io.StringIO(loss_csv_bytes([3.0, 2.0, 1.5]).decode())))
    assert rows == [["iteration", "loss"], ["1", "3"], ["2", "2"], ["3", "1.5"]]
    rows = list(csv.reader(io.StringIO(loss_csv_bytes({"red": [2, 1], "green": [4]}).decode())))
    assert rows[0] == ["iteration", "loss_red", "loss_green"] and rows[2] == ["2", "1", ""]


def test_settings_from_query_accepts_valid_and_reports_invalid_values():
    settings, problems = settings_from_query(
        {"rank": "7", "iter": "120", "solver": "mu", "seed": "42", "mode": "green", "layout": "per-channel",
         "size": "256", "sample": "camera", "tol": "1e-05", "restarts": "2", "init": "random", "other": "x"})
    assert settings == CompressionSettings(sample="Camera (grayscale)", mode="green", colour_layout="per-channel",
                                           max_side=256, rank=7, max_iter=120, solver="mu", init="random",
                                           n_restarts=2, random_state=42, tol=1e-5)
    assert problems == ()
    bad, problems = settings_from_query({"rank": "abc", "iter": "0", "solver": "<b>x</b>", "size": "999",
                                         "tol": "nan", "seed": "-1", "sample": ["nope"]})
    assert bad == CompressionSettings()
    assert len(problems) == 7 and any("rank='abc'" in problem for problem in problems)


def test_settings_round_trip_through_a_link():
    settings = CompressionSettings(rank=33, mode="blue", tol=0.0, sample="Camera (grayscale)")
    assert settings_from_query(settings.as_query()) == (settings, ())
    assert settings.as_query()["sample"] == "camera"


def test_cache_keys_name_everything_each_computation_depends_on():
    settings = CompressionSettings()
    fit = settings.cache_key("compress", "abc", "used_rank=20")
    changes = {"mode": "green", "colour_layout": "per-channel", "max_side": 256, "rank": 7, "max_iter": 50,
               "solver": "mu", "init": "random", "n_restarts": 2, "random_state": 1, "tol": 0.0}
    assert len({replace(settings, **{name: value}).cache_key("compress", "abc", "used_rank=20")
                for name, value in changes.items()} | {fit}) == len(changes) + 1
    # The source key stands for the picture, so the sample's name is not repeated in the key.
    assert replace(settings, sample="Camera (grayscale)").cache_key("compress", "abc", "used_rank=20") == fit
    assert settings.cache_key("compress", "abd", "used_rank=20") != fit != settings.cache_key("compress", "abc")
    assert settings.cache_key("sweep", "abc", (5, 10)) != settings.cache_key("sweep", "abc", (5, 20))
    # The working copy depends on the picture and the working size only.
    picture = settings.cache_key("picture", "abc")
    assert replace(settings, rank=7, solver="mu").cache_key("picture", "abc") == picture
    assert replace(settings, max_side=256).cache_key("picture", "abc") != picture


def test_working_image_downscales_and_says_so():
    picture = working_image(png_file(synthetic_picture(200, 300)), 128)
    assert picture.pixels.shape == (85, 128, 3) and picture.working_size == (128, 85)
    assert picture.original_size == (300, 200) and picture.format == "PNG"
    assert "300 × 200" in picture.size_note and "128 × 85" in picture.size_note
    assert "full size" in working_image(png_file(synthetic_picture()), 512).size_note
    with pytest.raises(InputError):
        working_image(b"%PDF-1.4 not a picture", 512)


def test_readable_bytes():
    assert [readable_bytes(n) for n in (812, 54_912, 3_200_000)] == ["812 B", "54.9 kB", "3.2 MB"]


# ---- figures -------------------------------------------------------------------------


def _decoded(trace: go.Image) -> np.ndarray:
    header, data = trace.source.split(",", 1)
    assert header == "data:image/png;base64"
    with Image.open(io.BytesIO(base64.b64decode(data))) as image:
        assert image.format == "PNG"
        return np.asarray(image)


def test_pictures_are_lossless_png_traces(picture):
    assert np.array_equal(_decoded(go.Image(source=figures.png_data_uri(picture))), picture)
    assert np.array_equal(_decoded(go.Image(source=figures.png_data_uri(picture[:, :, 2]))), picture[:, :, 2])


def test_comparison_figure_has_three_linked_pictures(joint):
    fig = figures.comparison_figure(joint.original, joint.reconstruction, joint.absolute_error,
                                    original_title="Original (48 × 36 px)", reconstruction_title="NMF, rank 6")
    images = [trace for trace in fig.data if isinstance(trace, go.Image)]
    assert len(images) == 3
    assert np.array_equal(_decoded(images[0]), joint.original)
    titles = [annotation.text for annotation in fig.layout.annotations]
    assert titles[:2] == ["Original (48 × 36 px)", "NMF, rank 6"] and titles[2].startswith("Absolute error")
    assert fig.layout.xaxis2.matches == "x" and fig.layout.yaxis3.matches == "y"
    assert fig.layout.yaxis.autorange == "reversed"


def test_error_picture_has_a_fixed_scale_unless_stretched():
    error = np.zeros((10, 10), np.uint8)
    error[0, :5] = 40
    error[1, 0] = 200
    shown, top = figures.error_picture(error)
    assert top == figures.ERROR_TOP_LEVELS and shown.shape == (10, 10, 3) and shown.dtype == np.uint8
    brightest, darkest = shown[1, 0], shown[5, 5]
    assert brightest.sum() > shown[0, 0].sum() > darkest.sum()  # 200 clips to the top colour, 40 below it
    other, _ = figures.error_picture(np.full((10, 10), 40, np.uint8))
    assert np.array_equal(other[0, 0], shown[0, 0])  # same error, same colour, whatever else the map holds
    stretched, stretched_top = figures.error_picture(error, None)
    assert stretched_top == pytest.approx(np.percentile(error, 99.5))
    assert figures.error_picture(np.zeros((4, 4), np.uint8), None)[1] == 1.0


def test_error_colour_bar_states_its_scale():
    fixed = figures.error_colour_bar(64)
    bar = fixed.data[0].marker
    assert (bar.cmin, bar.cmax) == (0, 64) and bar.showscale and bar.colorbar.orientation == "h"
    assert "fixed scale" in bar.colorbar.title.text and "64 or more" in bar.colorbar.title.text
    assert "stretched" in figures.error_colour_bar(23, stretched=True).data[0].marker.colorbar.title.text
    assert len(fixed.to_json()) < 10_000


def test_loss_curves_one_line_per_fit_and_log_axis():
    fig = figures.loss_curves({"red": [3, 2, 1], "green": [4, 2], "blue": [5, 1]}, log_y=True, max_iter=10)
    assert [trace.name for trace in fig.data] == ["red", "green", "blue"]
    assert list(fig.data[1].y) == [4, 2] and list(fig.data[0].x) == [1, 2, 3]
    assert fig.layout.yaxis.type == "log" and list(fig.layout.xaxis.range) == [1, 10]
    assert fig.layout.title.text == "Loss over iterations" and fig.layout.xaxis.title.text == "iteration"
    single = figures.loss_curves({"colour": [2, 1]})
    assert single.layout.yaxis.type == "linear" and single.layout.showlegend is False


def test_factor_figure_labels_shapes_and_aligns_panels(joint):
    view = factor_view(joint)
    fig = figures.factor_figure(view.W, view.H, view.product, title="Factors", column_groups=("R", "G", "B"))
    heatmaps = [trace for trace in fig.data if isinstance(trace, go.Heatmap)]
    assert len(heatmaps) == 2 and sum(isinstance(trace, go.Image) for trace in fig.data) == 1
    assert np.shape(heatmaps[0].z) == view.H.shape and np.shape(heatmaps[1].z) == view.W.shape
    texts = [annotation.text for annotation in fig.layout.annotations]
    assert f"H (6 × {3 * M})" in texts and f"W<br>({N} × 6)" in texts and f"W × H ({N} × {3 * M})" in texts
    assert {"<b>R</b>", "<b>G</b>", "<b>B</b>"} <= set(texts)
    assert fig.layout.xaxis.matches == "x3" and fig.layout.yaxis2.matches == "y3"


def test_factor_figure_thins_very_wide_factors():
    W, H = np.ones((10, 3)), np.ones((3, 4100))
    fig = figures.factor_figure(W, H, np.zeros((10, 4100), np.uint8))
    step = math.ceil(4100 / figures.MAX_HEATMAP_SIDE)
    assert np.shape(fig.data[0].z) == (3, math.ceil(4100 / step)) and fig.data[0].x[1] == step  # columns keep numbers
    assert fig.data[2].dx == step
    assert f"1 in {step} columns shown" in fig.layout.xaxis3.title.text


def test_factor_figure_gives_w_and_h_colour_bars(joint):
    view = factor_view(joint)
    fig = figures.factor_figure(view.W, view.H, view.product)
    H_map, W_map = fig.data[0], fig.data[1]
    assert H_map.showscale is not False and W_map.showscale is not False
    assert H_map.colorbar.title.text == "H" and W_map.colorbar.title.text == "W"
    assert W_map.colorbar.orientation == "h" and H_map.zmin == W_map.zmin == 0


def test_titles_leave_room_for_the_mode_bar(joint, picture):
    view = factor_view(joint)
    sweep = rank_sweep(picture, (1, 3), max_iter=5)
    built = [figures.factor_figure(view.W, view.H, view.product, title="Factors"),
             figures.pictures_figure([picture, picture], ["a", "b"]),
             figures.rank_sweep_figure(sweep.original, sweep.reconstructions, sweep.loss_histories, sweep.ranks,
                                       sweep.psnr)]
    for fig in built:
        assert fig.layout.margin.t >= 30 + figures.MODE_BAR_ROOM


def test_rank_sweep_figure_grid(picture):
    sweep = rank_sweep(picture, (1, 3), max_iter=10)
    fig = figures.rank_sweep_figure(sweep.original, sweep.reconstructions, sweep.loss_histories,
                                    sweep.ranks, sweep.psnr)
    assert sum(isinstance(trace, go.Image) for trace in fig.data) == 3
    lines = [trace for trace in fig.data if isinstance(trace, go.Scatter)]
    assert [trace.name for trace in lines] == ["rank 1", "rank 3"]
    texts = [annotation.text for annotation in fig.layout.annotations]
    assert texts[0] == "Original" and texts[1].startswith("Rank 1<br>") and texts[1].endswith("dB")
    assert fig.layout.title.text == "Reconstruction and loss per rank"
    first, second = (fig.layout[trace.yaxis.replace("y", "yaxis")] for trace in lines)
    assert first.matches is None and second.matches == lines[0].yaxis  # one loss scale for every rank
    logged = figures.rank_sweep_figure(sweep.original, sweep.reconstructions, sweep.loss_histories, sweep.ranks,
                                       sweep.psnr, log_y=True)
    assert {logged.layout[trace.yaxis.replace("y", "yaxis")].type for trace in logged.data
            if isinstance(trace, go.Scatter)} == {"log"}


def test_storage_and_quality_figure_marks_the_picture_and_break_even():
    fig = figures.storage_and_quality_figure(
        ranks=(5, 10, 50), numbers_stored=(500, 1000, 5000), original_numbers=4000,
        storage_line=(np.arange(0, 47), np.arange(0, 47) * 100), break_even_rank=40,
        nmf_psnr=(20.0, 22.0, 30.0), svd_psnr=(21.0, 23.0, 31.0))
    by_name = {trace.name: trace for trace in fig.data}
    assert list(by_name["numbers in the picture"].y) == [4000, 4000]
    assert by_name["numbers in the picture"].line.dash == "dash"
    assert list(by_name["NMF"].y) == [20.0, 22.0, 30.0] and list(by_name["truncated SVD (optimal)"].y)[-1] == 31.0
    assert by_name["NMF"].xaxis == "x2"
    assert [shape.x0 for shape in fig.layout.shapes] == [40]
    texts = [annotation.text for annotation in fig.layout.annotations]
    assert "Numbers stored vs rank" in texts and any("break-even k = 40" in text for text in texts)
    assert fig.layout.yaxis2.title.text == "PSNR (dB)"


def test_parts_gallery_figure_grid(joint):
    gallery = parts_gallery(joint, count=5)
    fig = figures.parts_gallery_figure(gallery.pictures, [f"part {i}" for i in range(5)], columns=4,
                                       title="Parts")
    assert sum(isinstance(trace, go.Image) for trace in fig.data) == 5
    assert fig.layout.title.text == "Parts"
    assert fig.data[4].xaxis == "x5" and fig.layout.xaxis5.domain[0] == pytest.approx(fig.layout.xaxis.domain[0])
