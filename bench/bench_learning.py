"""What the Learn NMF views show, measured on both bundled photos.

- Patches against the whole picture at equal stored bytes (PSNR, SSIM; p = 8
  and 16): which wins.
- Inpainting: PSNR on the hidden pixels, masked NMF against scikit-image's
  biharmonic inpainting, 20 % and 50 % of the pixels hidden at random.
- The replay's snapshots at the largest working size (2048 px side, colour,
  the Learn pages' largest rank): the bytes they keep.

Run with ``python -m bench.bench_learning`` (``--quick`` for fewer rows).
Quality numbers are deterministic (seeded); only the seconds vary.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from PIL import Image

from nnmf_core import pin_blas_threads_for_sessions
from nnmf_core._text import mebibytes, readable_bytes
from nnmf_core.compression import patch_compress, sample_working_image
from nnmf_core.inpainting import hidden_pixels, inpaint
from nnmf_core.learning import SNAPSHOT_BUDGET_BYTES, replay_fit

PHOTOS = {"coffee": "Coffee cup (colour)", "camera": "Camera (grayscale)"}


def patches_table(side: int, ranks: tuple[int, ...]) -> None:
    print(f"\n### Patches against the whole picture at equal bytes ({side} px, HALS, 300 iterations)\n")
    print("| photo | matrix | p | parts k | bytes | patches PSNR / SSIM | whole rank | whole bytes "
          "| whole PSNR / SSIM | PSNR winner |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for short, name in PHOTOS.items():
        pixels = sample_working_image(name, side).pixels
        for mode in ("luminance", "colour") if short == "coffee" else ("luminance",):
            for patch in (8, 16):
                for rank in ranks:
                    result = patch_compress(pixels, mode=mode, patch=patch, rank=rank, random_state=0)
                    whole = result.whole
                    gain = result.psnr - whole.psnr
                    winner = "about even" if abs(gain) < 0.1 else f"{'patches' if gain > 0 else 'whole'} +{abs(gain):.1f} dB"
                    print(f"| {short} | {mode} | {patch} | {rank} | {readable_bytes(result.factor_bytes)} "
                          f"| {result.psnr:.2f} / {result.ssim:.3f} | {whole.rank} | {readable_bytes(whole.factor_bytes)} "
                          f"| {whole.psnr:.2f} / {whole.ssim:.3f} | {winner} |", flush=True)


def inpainting_table(side: int, ranks: tuple[int, ...]) -> None:
    print(f"\n### Inpainting: PSNR on the hidden pixels only ({side} px, random pixels hidden, masked MU, "
          "up to 300 iterations)\n")
    print("| photo | matrix | hidden | NMF rank | NMF dB | biharmonic dB | NMF − biharmonic | NMF s | biharmonic s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for short, name in PHOTOS.items():
        pixels = sample_working_image(name, side).pixels
        for mode in ("luminance", "colour") if short == "coffee" else ("luminance",):
            for share in (0.2, 0.5):
                hidden = hidden_pixels(pixels.shape, "random", share, random_state=0)
                for rank in ranks:
                    result = inpaint(pixels, hidden, mode=mode, rank=rank, random_state=0)
                    print(f"| {short} | {mode} | {share:.0%} | {rank} | {result.nmf_psnr:.2f} "
                          f"| {result.biharmonic_psnr:.2f} | {result.nmf_psnr - result.biharmonic_psnr:+.2f} "
                          f"| {result.nmf_seconds:.2f} | {result.biharmonic_seconds:.2f} |", flush=True)


def snapshot_memory(max_iter: int) -> None:
    photo = sample_working_image(PHOTOS["coffee"], 512).pixels
    width = 2048
    height = round(width * photo.shape[0] / photo.shape[1])
    large = np.asarray(Image.fromarray(photo).resize((width, height), Image.Resampling.LANCZOS))
    print(f"\n### Replay snapshots at the largest working size ({width} × {height} px, colour: V is "
          f"{height} × {3 * width}, rank 100, {max_iter} iterations)\n")
    started = time.perf_counter()
    replay = replay_fit(large, mode="colour", rank=100, max_iter=max_iter)
    seconds = time.perf_counter() - started
    print(f"- {len(replay.snapshots)} snapshots keep {readable_bytes(replay.nbytes)} ({mebibytes(replay.nbytes)}); "
          f"the budget is {readable_bytes(SNAPSHOT_BUDGET_BYTES)}; one snapshot {readable_bytes(replay.snapshots[1].nbytes)} "
          f"(picture {replay.snapshots[1].picture.shape}, W {replay.snapshots[1].W.shape}, H "
          f"{replay.snapshots[1].H.shape}); fit and snapshots {seconds:.1f} s.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one dictionary size, one rank, fewer iterations")
    args = parser.parse_args()
    threads = pin_blas_threads_for_sessions()
    print(f"Learn NMF views on the bundled photos, {threads} BLAS threads")
    patches_table(512, (16,) if args.quick else (16, 32))
    inpainting_table(256, (10,) if args.quick else (10, 20))
    snapshot_memory(30 if args.quick else 60)


if __name__ == "__main__":
    main()
