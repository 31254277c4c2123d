"""What Pillow raises on bad bytes, and why it refused a file, told from
the file's first bytes.

A damaged PNG, a PDF, an iPhone HEIC photo and a text file renamed ``.jpg``
each get a sentence of their own.
"""

from __future__ import annotations

import struct

# What Pillow raises when the bytes it parses are malformed (it has no single
# exception type for that). Anything else escaping Pillow is a bug, not bad
# input, and is left to propagate.
PILLOW_READ_ERRORS = (
    OSError,  # includes UnidentifiedImageError and "image file is truncated"
    SyntaxError,  # "broken PNG file", bad TIFF tags
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    TypeError,
    ZeroDivisionError,
)

# First bytes of the accepted formats, to tell a damaged file from a foreign one.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"RIFF", "WebP"),
)
_SIGNATURE_CONFIRMED = {  # second look, for signatures that ordinary text can start with
    "PNG": lambda head: True,
    "JPEG": lambda head: True,
    "GIF": lambda head: True,
    "BMP": lambda head: head[6:10] == b"\x00\x00\x00\x00",  # reserved header bytes
    "TIFF": lambda head: True,
    "WebP": lambda head: head[8:12] == b"WEBP",
}


def unreadable_message(data: bytes) -> str:
    """Explain, as well as the first bytes allow, why Pillow refused a file."""
    readable = "PNG, JPEG, WebP, BMP, TIFF or GIF"
    head = data[:512]
    if head.startswith(b"%PDF"):
        return f"The file is a PDF document, not an image. Please upload a {readable} picture."
    for signature, name in _SIGNATURES:
        if head.startswith(signature) and _SIGNATURE_CONFIRMED[name](head):
            return (
                f"The file starts like a {name} image but its header is damaged or cut "
                "short, so it cannot be read. Please re-save or re-download it."
            )
    if head[4:8] == b"ftyp":
        return (
            "The file looks like a HEIC/HEIF or AVIF photo (the iPhone default), which "
            "this app cannot read. Please export it as JPEG or PNG first."
        )
    if b"\0" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return (
                "The file is text, not an image (an SVG, HTML or text file renamed?). "
                f"Please upload a {readable} picture."
            )
    return (
        f"The file is not an image Pillow can read as {readable} "
        "(is it a PDF, a document, or a file renamed to look like a picture?)."
    )
