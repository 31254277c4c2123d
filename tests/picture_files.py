"""Pictures as the bytes of a file, for tests that upload or decode them."""

from __future__ import annotations

import io

from PIL import Image


def encoded(picture: Image.Image, file_format: str, **options) -> bytes:
    """``picture`` saved in ``file_format`` (``"PNG"``, ``"JPEG"``, …) with Pillow's ``options``."""
    buffer = io.BytesIO()
    picture.save(buffer, format=file_format, **options)
    return buffer.getvalue()
