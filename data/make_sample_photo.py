"""Write the bundled sample pictures from the files scikit-image ships.

Run from the project root with the project's environment:

    python data/make_sample_photo.py

It reads two photographs from the *installed* scikit-image package (no
network: both are in the package's bundled ``skimage/data`` folder), shrinks
the colour one so its longest side is 512 pixels (Pillow's Lanczos filter),
and writes them as metadata-free PNG next to this script:

- ``sample_photo.png``  from ``skimage/data/coffee.png`` (600 × 400 RGB)
  -> 512 × 341 RGB
- ``sample_camera.png`` from ``skimage/data/camera.png`` (512 × 512 grayscale),
  pixels unchanged

It prints the scikit-image version and the SHA-256 of every input and output
file, which ``data/README.md`` records.
"""

from __future__ import annotations

import hashlib
import io
from importlib import metadata, resources
from pathlib import Path

from PIL import Image

LONGEST_SIDE = 512
HERE = Path(__file__).resolve().parent
SOURCES = {  # output file -> (file in skimage/data, Pillow mode to keep)
    "sample_photo.png": ("coffee.png", "RGB"),
    "sample_camera.png": ("camera.png", "L"),
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main() -> None:
    print(f"scikit-image {metadata.version('scikit-image')}")
    for output_name, (source_name, mode) in SOURCES.items():
        source = resources.files("skimage").joinpath("data", source_name).read_bytes()
        with Image.open(io.BytesIO(source)) as opened:
            picture = opened.convert(mode)
        width, height = picture.size
        if max(width, height) > LONGEST_SIDE:
            scale = LONGEST_SIDE / max(width, height)
            size = (round(width * scale), round(height * scale))
            picture = picture.resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG", optimize=True)  # no EXIF, ICC or text chunks
        (HERE / output_name).write_bytes(buffer.getvalue())
        print(
            f"{source_name} ({width}x{height}, sha256 {sha256(source)}) -> "
            f"{output_name} ({picture.size[0]}x{picture.size[1]}, "
            f"{len(buffer.getvalue()):,} bytes, sha256 {sha256(buffer.getvalue())})"
        )


if __name__ == "__main__":
    main()
