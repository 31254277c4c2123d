"""NMF against what it is measured by: the truncated SVD of the same rank
(the best any rank-k matrix can do) and JPEG at the factors' bytes, with two
sentences on what the numbers show."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnmf_core._text import readable_bytes, times
from nnmf_core.compression.fit import Compression
from nnmf_core.compression.matrices import _matrices, _picture_from_products
from nnmf_core.images import jpeg_at_size, psnr, ssim, svd_reconstruction

__all__ = ["JPEG_BEST_QUALITY", "Baseline", "Baselines", "baselines"]

#: The highest quality :func:`~nnmf_core.images.jpeg_at_size` tries (Pillow's
#: advice: above 95 the file grows with hardly any gain).
JPEG_BEST_QUALITY = 95


@dataclass(frozen=True, eq=False)
class Baseline:
    """One way of storing the picture, measured.

    ``name`` is "NMF", "Truncated SVD" or "JPEG"; ``detail`` says how it was
    stored ("rank 20, float16 factors", "quality 94").
    """

    name: str
    pixels: np.ndarray
    n_bytes: int
    psnr: float
    ssim: float
    detail: str


@dataclass(frozen=True, eq=False)
class Baselines:
    """NMF against the truncated SVD of the same rank and JPEG at the factors' bytes.

    JPEG gets the factors' bytes as its budget but may use fewer: at its best
    quality (:data:`JPEG_BEST_QUALITY`) a file can be much smaller than a
    large budget. ``jpeg.n_bytes`` is what it used, ``jpeg_quality`` at what quality.
    """

    nmf: Baseline
    svd: Baseline
    jpeg: Baseline
    budget_bytes: int
    jpeg_fits_budget: bool
    rank: int
    jpeg_quality: int

    @property
    def rows(self) -> list[dict[str, object]]:
        """One row per method for a table: method, how stored, bytes, PSNR, SSIM."""
        return [
            {
                "method": item.name,
                "stored as": item.detail,
                "bytes": item.n_bytes,
                "PSNR (dB)": round(item.psnr, 2),
                "SSIM": round(item.ssim, 3),
            }
            for item in (self.nmf, self.svd, self.jpeg)
        ]

    @property
    def summary(self) -> str:
        """What the numbers show, in two plain sentences, each stating the bytes actually used."""
        k, budget = self.rank, readable_bytes(self.budget_bytes)
        used, quality = readable_bytes(self.jpeg.n_bytes), self.jpeg_quality
        jpeg_gain = self.jpeg.psnr - self.nmf.psnr
        if not self.jpeg_fits_budget:
            jpeg_sentence = (
                f"Even at its lowest quality JPEG needs {used}, more than the factors' {budget}; here NMF's "
                "small budget is out of JPEG's reach."
            )
        else:
            if quality >= JPEG_BEST_QUALITY and self.jpeg.n_bytes < self.budget_bytes:
                jpeg = (f"JPEG at its best quality ({quality}) needs only {used}, "
                        f"{times(self.budget_bytes / self.jpeg.n_bytes)} less than the factors' {budget}, and")
            else:
                jpeg = f"JPEG in {used} (quality {quality}, the most that fits in the factors' {budget})"
            if jpeg_gain > 0.5:
                jpeg_sentence = (f"{jpeg} scores {jpeg_gain:.1f} dB higher PSNR (SSIM {self.jpeg.ssim:.2f} "
                                 f"against {self.nmf.ssim:.2f}): NMF is a teaching tool here, not a codec.")
            elif jpeg_gain >= -0.5:
                jpeg_sentence = f"{jpeg} is about as good as NMF (within 0.5 dB PSNR)."
            else:
                jpeg_sentence = f"{jpeg} scores {-jpeg_gain:.1f} dB lower PSNR than NMF"
                jpeg_sentence += (": so few bytes force JPEG down to a low quality." if quality < JPEG_BEST_QUALITY
                                  else ".")
        svd_gain = self.svd.psnr - self.nmf.psnr
        if svd_gain > 0.05:
            svd_sentence = (
                f"The truncated SVD of rank {k} stores as many numbers ({budget}) and scores {svd_gain:.1f} dB "
                f"higher: no rank-{k} matrix is closer to the picture (Eckart–Young); NMF gives up the rest "
                "to keep every number non-negative."
            )
        else:
            svd_sentence = (
                f"NMF comes within {max(svd_gain, 0.0):.2f} dB of the truncated SVD of rank {k} (also {budget}), "
                f"the best any rank-{k} matrix can do (Eckart–Young)."
            )
        return f"{jpeg_sentence} {svd_sentence}"


def baselines(pixels: np.ndarray, compression: Compression) -> Baselines:
    """Measure the truncated SVD of the same rank and JPEG at the factors' bytes.

    The SVD is stored the way NMF is: ``U_k·diag(s_k)`` (n × k) and ``V_kᵀ``
    (k × m) in float16, the same k(n + m) numbers and bytes as the NMF
    factors. JPEG gets the float16 factors' byte budget
    (:func:`~nnmf_core.images.jpeg_at_size`, grayscale for one channel).

    Parameters
    ----------
    pixels : ndarray of uint8
        The picture ``compression`` was made from.
    compression : Compression

    Returns
    -------
    Baselines
    """
    k = compression.rank
    matrices = _matrices(pixels, compression.mode, compression.colour_layout or "joint")
    products = [svd_reconstruction(V, k, float16_factors=True) for _, V in matrices]
    svd_pixels = _picture_from_products(products, compression.mode)
    original = compression.original
    jpeg = jpeg_at_size(original, compression.factor_bytes)
    layout = {"joint": ", colour joint", "per-channel": ", per channel"}.get(compression.colour_layout or "", "")
    return Baselines(
        nmf=Baseline("NMF", compression.reconstruction, compression.factor_bytes, compression.psnr,
                     compression.ssim, f"rank {k}, float16 W and H{layout}"),
        svd=Baseline("Truncated SVD", svd_pixels, compression.factor_bytes, psnr(original, svd_pixels),
                     ssim(original, svd_pixels), f"rank {k}, float16 U·S and Vᵀ{layout}"),
        jpeg=Baseline("JPEG", jpeg.pixels, jpeg.n_bytes, psnr(original, jpeg.pixels), ssim(original, jpeg.pixels),
                      f"quality {jpeg.quality}" + ("" if jpeg.fits_budget else " (over budget)")),
        budget_bytes=compression.factor_bytes,
        jpeg_fits_budget=jpeg.fits_budget,
        rank=k,
        jpeg_quality=jpeg.quality,
    )
