"""Unit tests for the second Learn NMF page's library: patches
(nnmf_core.images.patches, nnmf_core.compression.patches), inpainting
(nnmf_core.inpainting) and held-out rank evidence (nnmf_core.heldout).

Checked against independent computations: an exact round trip, the storage
formulas, a fit that must not read what it hides, and ground truth rank.
"""

from __future__ import annotations

import doctest
import importlib
from dataclasses import replace

import numpy as np
import plotly.graph_objects as go
import pytest

from nnmf_core import figures
from nnmf_core.compression import compress, patch_compress, patch_rebuild
from nnmf_core.errors import InputError
from nnmf_core.heldout import HeldoutCurve, heldout_curve, heldout_ranks
from nnmf_core.images import factor_bytes, patch_grid, patch_matrix, patches_as_pictures, picture_from_patches
from nnmf_core.inpainting import Inpainting, hidden_pixels, hidden_psnr, inpaint

N, M = 36, 52  # not multiples of 8 or 16: the last patches are padded


def synthetic_picture(n: int = N, m: int = M) -> np.ndarray:
    y, x = np.mgrid[0:n, 0:m].astype(np.float64)
    disc = ((y - n / 2) ** 2 + (x - m / 3) ** 2 < (n / 4) ** 2) * 90.0
    channels = [40 + 150 * x / m + disc, 60 + 100 * np.sin(y / 5) ** 2 + 0.5 * disc, 200 - 150 * y / n]
    noise = np.random.default_rng(3).normal(0, 6, (n, m, 3))
    return np.clip(np.stack(channels, axis=2) + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    return synthetic_picture()


@pytest.fixture(scope="module")
def gray_patches(picture):
    return patch_compress(picture, mode="luminance", patch=8, rank=6, max_iter=60, random_state=0)


@pytest.mark.parametrize("name", ["nnmf_core.images.patches", "nnmf_core.inpainting", "nnmf_core.heldout",
                                  "nnmf_core.compression.patches"])
def test_docstring_examples(name):
    failures, _ = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert failures == 0


# ---- patches --------------------------------------------------------------------------


@pytest.mark.parametrize("patch", [8, 16])
@pytest.mark.parametrize("shape", [(N, M, 3), (N, M), (32, 48, 3)])
def test_patches_round_trip_exactly(picture, patch, shape):
    pixels = picture[: shape[0], : shape[1]] if len(shape) == 3 else picture[: shape[0], : shape[1], 1]
    P, grid = patch_matrix(pixels, patch)
    channels = 3 if len(shape) == 3 else 1
    assert P.shape == (patch * patch * channels, -(-shape[0] // patch) * -(-shape[1] // patch))
    assert P.dtype == np.uint8
    np.testing.assert_array_equal(picture_from_patches(P, grid), pixels)
    floats = pixels.astype(np.float32) / 255
    Q, same = patch_matrix(floats, patch)
    np.testing.assert_array_equal(picture_from_patches(Q, same), floats)


def test_a_patch_column_is_the_patch_in_reading_order(picture):
    P, grid = patch_matrix(picture, 8)
    second_row_third = grid.across + 2  # patch at rows 8-15, columns 16-23
    np.testing.assert_array_equal(P[:, second_row_third].reshape(8, 8, 3), picture[8:16, 16:24])
    last = P[:, -1].reshape(8, 8, 3)  # bottom-right patch: padded by repeating the last row and column
    np.testing.assert_array_equal(last[: N - 32, : M - 48], picture[32:, 48:])
    np.testing.assert_array_equal(last[-1, -1], picture[-1, -1])
    np.testing.assert_array_equal(patches_as_pictures(P[:, :2], grid)[1], picture[:8, 8:16])


def test_patch_grid_refuses_patches_that_do_not_fit():
    with pytest.raises(InputError, match="do not fit"):
        patch_grid((10, 40), 16)
    with pytest.raises(InputError, match="≥ 2"):
        patch_grid((10, 40), 1)


def test_patch_compression_is_stored_and_measured_like_the_other_modes(picture, gray_patches):
    result = gray_patches
    grid = result.grid
    assert (grid.length, grid.count) == (64, 5 * 7)
    assert result.numbers_stored == 6 * (64 + 35) and result.factor_bytes == 2 * result.numbers_stored
    assert result.original.shape == (N, M) and result.reconstruction.shape == (N, M)
    assert result.atoms.shape == (6, 8, 8) and result.svd_atoms.shape == (6, 8, 8)
    assert np.abs(result.atoms).max(axis=(1, 2)) == pytest.approx(1.0)
    assert (result.atoms >= 0).all() and (result.svd_atoms < 0).any()  # parts add; components cancel
    assert result.svd_psnr >= result.psnr - 0.05  # Eckart–Young on the patch matrix
    whole = result.whole
    per_rank = factor_bytes(N, M, 1)
    assert whole.factor_bytes <= result.factor_bytes < whole.factor_bytes + per_rank  # the most within budget
    alone = compress(picture, mode="luminance", rank=whole.rank, max_iter=60, random_state=0)
    assert whole.psnr == pytest.approx(alone.psnr)


def test_colour_patches_hold_three_channels(picture):
    result = patch_compress(picture, mode="colour", patch=8, rank=5, max_iter=30)
    assert result.grid.length == 192 and result.atoms.shape == (5, 8, 8, 3)
    assert result.reconstruction.shape == (N, M, 3)


def test_patch_summary_names_the_winner_at_equal_bytes(gray_patches):
    whole = gray_patches.whole
    patches_win = replace(gray_patches, psnr=whole.psnr + 1.5, ssim=whole.ssim + 0.05)
    assert "the patches win by 1.5 dB" in patches_win.summary
    assert f"rank {whole.rank}" in patches_win.summary
    whole_wins = replace(gray_patches, psnr=whole.psnr - 2.0, ssim=whole.ssim - 0.05)
    assert "the whole picture wins by 2.0 dB" in whole_wins.summary and "though" not in whole_wins.summary
    split = replace(gray_patches, psnr=whole.psnr - 2.0, ssim=whole.ssim + 0.05)
    assert "though SSIM prefers the patches" in split.summary
    level = replace(gray_patches, psnr=whole.psnr + 0.05)
    assert "about as good" in level.summary


def test_a_patch_rebuilt_from_its_largest_parts(gray_patches):
    rebuilt = patch_rebuild(gray_patches, index=12, count=3)
    W, h = gray_patches.W, gray_patches.H[:, 12]
    assert len(rebuilt.pieces) == 3 and rebuilt.top_left == (8, 5 * 8)
    contributions = W.sum(axis=0) * h
    assert list(rebuilt.parts) == list(np.argsort(-contributions, kind="stable")[:3])
    expected = np.rint(np.clip((W @ h).reshape(8, 8), 0, 1) * 255).astype(np.uint8)
    np.testing.assert_array_equal(rebuilt.rebuilt, expected)
    assert [gray_patches.atom_order[number - 1] for number in rebuilt.numbers] == list(rebuilt.parts)
    assert 0 < rebuilt.share <= 1 and 1 <= rebuilt.used <= gray_patches.rank
    with pytest.raises(InputError):
        patch_rebuild(gray_patches, index=35)


def test_atoms_figure_shows_parts_and_signed_components(gray_patches):
    fig = figures.atoms_figure(gray_patches.atoms, gray_patches.svd_atoms)
    nmf, svd = fig.data
    assert (nmf.zmin, nmf.zmax) == (0, 1) and (svd.zmin, svd.zmax) == (-1, 1)
    assert np.nanmin(np.asarray(svd.z, float)) < 0 <= np.nanmin(np.asarray(nmf.z, float))
    colour = patch_compress(synthetic_picture(), mode="colour", patch=8, rank=4, max_iter=20)
    assert all(isinstance(trace, go.Image) for trace in figures.atoms_figure(colour.atoms, colour.svd_atoms).data)


# ---- inpainting ---------------------------------------------------------------------------


def test_hidden_pixels_follow_the_pattern_asked_for():
    scattered = hidden_pixels((100, 120), "random", 0.3, random_state=1)
    assert 0.27 < scattered.mean() < 0.33
    assert not np.array_equal(scattered, hidden_pixels((100, 120), "random", 0.3, random_state=2))
    block = hidden_pixels((100, 120), "block", 0.25)
    rows, columns = np.flatnonzero(block.any(axis=1)), np.flatnonzero(block.any(axis=0))
    assert block[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1].all() and block.mean() == pytest.approx(0.25)
    text = hidden_pixels((100, 120), "text", 0.15)
    assert 0.05 < text.mean() < 0.6
    with pytest.raises(InputError):
        hidden_pixels((100, 120), "random", 0.95)
    with pytest.raises(InputError):
        hidden_pixels((100, 120), "spiral", 0.2)


@pytest.mark.parametrize("mode", ["luminance", "colour"])
def test_the_masked_fit_never_reads_hidden_pixels(picture, mode):
    hidden = hidden_pixels(picture.shape, "random", 0.3, random_state=4)
    first = inpaint(picture, hidden, mode=mode, rank=4, max_iter=40)
    scrambled = picture.copy()
    scrambled[hidden] = np.random.default_rng(9).integers(0, 256, (int(hidden.sum()), 3), dtype=np.uint8)
    second = inpaint(scrambled, hidden, mode=mode, rank=4, max_iter=40)
    np.testing.assert_array_equal(first.nmf, second.nmf)
    np.testing.assert_array_equal(first.biharmonic, second.biharmonic)
    np.testing.assert_array_equal(first.nmf[~hidden], first.original[~hidden])  # seen pixels kept as they are
    assert (first.shown[hidden] == (255, 0, 255)).all()
    assert first.nmf_psnr == pytest.approx(hidden_psnr(first.original, first.nmf, hidden))


def test_hidden_psnr_counts_only_hidden_pixels():
    original = np.zeros((4, 4), np.uint8)
    guess = original.copy()
    guess[0, 0], guess[3, 3] = 255, 51
    hidden = np.zeros((4, 4), bool)
    hidden[3, 3] = True
    assert hidden_psnr(original, guess, hidden) == pytest.approx(10 * np.log10(1 / 0.2**2))


def test_inpainting_summary_flips_with_the_winner(picture):
    hidden = hidden_pixels(picture.shape, "block", 0.2)
    result = inpaint(picture, hidden, rank=3, max_iter=20)
    assert isinstance(result, Inpainting) and result.hidden_share == pytest.approx(0.2, abs=0.02)
    nmf_wins = replace(result, nmf_psnr=30.0, biharmonic_psnr=27.5)
    assert "NMF wins by 2.5 dB" in nmf_wins.summary and "20% of pixels hidden" in nmf_wins.summary
    smooth_wins = replace(result, nmf_psnr=22.0, biharmonic_psnr=27.5)
    assert "biharmonic wins by 5.5 dB" in smooth_wins.summary
    assert "about as good" in replace(result, nmf_psnr=27.45, biharmonic_psnr=27.5).summary
    with pytest.raises(InputError, match="Hide some pixels"):
        inpaint(picture, np.zeros(picture.shape[:2], bool))


# ---- held-out rank evidence ---------------------------------------------------------------


def test_held_out_error_finds_the_true_rank_and_shuffling_erases_it():
    rng = np.random.default_rng(0)
    V = rng.random((60, 4)) @ rng.random((4, 50)) + 0.3 * rng.random((60, 50))
    curve = heldout_curve(V, (1, 2, 3, 4, 6, 10, 20), 0.1, max_iter=400, tol=0, random_state=1)
    assert curve.best_k == 4
    assert (np.diff(curve.seen_error) < 0).all()  # more parts always fit the seen entries better
    assert curve.heldout_error[-1] > curve.heldout_error[3]  # and past the truth, worse on unseen ones
    assert (curve.shuffled_heldout_error > curve.heldout_error).all()
    assert int(curve.ks[np.argmin(curve.shuffled_heldout_error)]) < 4
    assert "lowest at k = 4" in curve.summary and "higher at every rank" in curve.summary


def test_held_out_entries_are_never_fitted():
    rng = np.random.default_rng(2)
    V = rng.random((20, 15))
    first = heldout_curve(V, (2, 3), 0.2, max_iter=30, shuffled=False, random_state=3)
    hidden = np.random.default_rng(3).random(V.shape) < 0.2  # the same draw as heldout_curve's
    changed = V.copy()
    changed[hidden] = 1.0  # different held-out values: the seen error cannot change
    second = heldout_curve(changed, (2, 3), 0.2, max_iter=30, shuffled=False, random_state=3)
    np.testing.assert_allclose(second.seen_error, first.seen_error, rtol=1e-12)
    assert not np.allclose(second.heldout_error, first.heldout_error)
    assert first.shuffled_heldout_error is None


def _curve(heldout, shuffled=None):
    ks = (1, 2, 4, 8)
    return HeldoutCurve(ks, 0.1, np.array([0.4, 0.3, 0.2, 0.1]), np.asarray(heldout, float),
                        None if shuffled is None else np.array([0.6, 0.5, 0.4, 0.3]),
                        None if shuffled is None else np.asarray(shuffled, float))


def test_held_out_summary_flips_with_the_curve():
    assert "the largest rank tried: no sign of overfitting yet" in _curve([0.5, 0.4, 0.3, 0.2]).summary
    assert "no rank beyond the first pays off" in _curve([0.2, 0.3, 0.4, 0.5]).summary
    rising = _curve([0.5, 0.3, 0.2, 0.4]).summary
    assert "lowest at k = 4" in rising and "rises (to 0.400)" in rising
    assert "stays about level" in _curve([0.5, 0.3, 0.2, 0.201]).summary
    assert "higher at every rank" in _curve([0.5, 0.3, 0.2, 0.4], [0.6, 0.6, 0.7, 0.8]).summary
    assert "does as well at k = 1" in _curve([0.5, 0.3, 0.2, 0.4], [0.5, 0.6, 0.7, 0.8]).summary


def test_held_out_ranks_and_bad_input():
    assert heldout_ranks(5) == (1, 2, 3, 4, 5)
    ranks = heldout_ranks(64)
    assert ranks[0] == 1 and ranks[-1] == 64 and len(ranks) == 12
    with pytest.raises(InputError):
        heldout_curve(np.ones((5, 5)), (0, 2))
    with pytest.raises(InputError):
        heldout_curve(np.ones((5, 5)), (1, 2), fraction=0.8)


def test_heldout_figure_marks_the_best_rank():
    curve = _curve([0.5, 0.3, 0.2, 0.4], [0.6, 0.6, 0.7, 0.8])
    fig = figures.heldout_figure(curve.ks, curve.seen_error, curve.heldout_error, curve.shuffled_seen_error,
                                 curve.shuffled_heldout_error, best_k=curve.best_k)
    assert [trace.line.dash for trace in fig.data] == ["solid", "solid", "dash", "dash"]
    assert fig.layout.shapes[0].x0 == 4 and fig.layout.xaxis.type == "log"
