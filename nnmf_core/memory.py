"""Keep a long-lived server's heap from growing with every upload it served.

Two adaptive defaults of glibc's ``malloc`` make a server that fits many
differently sized uploads keep memory it no longer uses:

- A request of 128 KiB or more gets its own ``mmap``, unmapped again by
  ``free``; but each time such a block is freed glibc raises that threshold
  to the block's size (up to 32 MiB), so later image and factor arrays are
  carved out of a heap, where freeing them leaves holes it cannot give back.
- A heap gives the free memory at its end back only once that exceeds the
  trim threshold, which glibc raises along with the first (to twice it).
  Streamlit runs every script run in a thread of its own, and threads
  allocate from up to eight heaps per core: each heap kept megabytes of free
  memory at its end.

Fixing both thresholds at glibc's starting value turns that adaptation off.
Measured on the app server (bench/README.md): with the defaults, the memory
in use after 20 uploads was back near its warm-up level (88 MB against 82 MB)
while the free part of the heaps had grown from 21 MB to 195 MB.
"""

from __future__ import annotations

import ctypes
import platform

#: glibc's ``mallopt`` parameter numbers (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: glibc's own starting value for both thresholds.
THRESHOLD = 128 * 1024


def tune_malloc_for_server(threshold: int = THRESHOLD) -> bool:
    """For the rest of the process: map every allocation of ``threshold``
    bytes or more on its own (so that freeing it returns it to the operating
    system), and give back the free end of a heap once it exceeds
    ``threshold``.

    Returns whether it applied: on glibc (Linux) it does; elsewhere the
    allocator is left as it is and this returns False.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all(mallopt(option, int(threshold)) == 1 for option in (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD))
