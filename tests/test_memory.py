"""The server's allocator settings: freed memory goes back to the OS.

Each probe runs in a fresh interpreter with glibc's defaults, or with
``tune_malloc_for_server()`` applied first, and allocates through ``malloc``
itself (no NumPy, whose own threads would make the heaps differ from run to
run). mallinfo2's ``hblkhd`` is the memory held in blocks mapped on their own,
``fordblks`` the free memory the heaps keep instead of returning it.
"""

import os
import platform
import subprocess
import sys

import pytest

from nnmf_core.memory import tune_malloc_for_server
from tests.paths import ROOT

glibc_only = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc malloc only")

SETUP = """
import ctypes, importlib.util, os, sys, threading, time

spec = importlib.util.spec_from_file_location("memory", "nnmf_core/memory.py")
memory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(memory)

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "tuned":
    assert memory.tune_malloc_for_server()
libc.free(libc.malloc(8 << 20))  # by default, raises both thresholds (to 8 and 16 MiB)
"""

# Eight 2 MiB blocks, allocated after that: in the heap, or each mapped alone.
MAPPED_MIB = SETUP + """
before = libc.mallinfo2().hblkhd
blocks = [libc.malloc(2 << 20) for _ in range(8)]
print((libc.mallinfo2().hblkhd - before) / 2**20)
"""

# A thread (as Streamlit runs each script run) allocates and frees 10 MB in
# 100 kB blocks; once it has ended, what do the heaps keep?
KEPT_FREE_MIB = SETUP + """
def work():
    blocks = [libc.malloc(100_000) for _ in range(100)]
    for block in reversed(blocks):
        libc.free(block)
thread = threading.Thread(target=work)
thread.start()
thread.join()
while len(os.listdir('/proc/self/task')) > 1:  # join returns before the OS thread is gone
    time.sleep(0.01)
print(libc.mallinfo2().fordblks / 2**20)
"""


def printed(probe: str, mode: str) -> float:
    # glibc's defaults only: a MALLOC_* variable (Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in
    # the process that starts its workers) turns the adaptive thresholds off, as tuning does.
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("MALLOC_") and name != "GLIBC_TUNABLES"}
    done = subprocess.run([sys.executable, "-c", probe, mode], cwd=ROOT, capture_output=True, text=True, check=True,
                          env=env)
    return float(done.stdout)


@glibc_only
def test_large_blocks_are_mapped_alone_once_tuned():
    assert printed(MAPPED_MIB, "default") < 1  # the raised threshold put them in the heap
    assert printed(MAPPED_MIB, "tuned") >= 16  # each mapped alone: freeing returns it


@glibc_only
def test_a_thread_heap_gives_back_its_free_end_once_tuned():
    assert printed(KEPT_FREE_MIB, "default") > 8  # kept under the raised trim threshold
    assert printed(KEPT_FREE_MIB, "tuned") < 2


@glibc_only
def test_applies_on_glibc():
    assert tune_malloc_for_server() is True


def test_is_harmless_to_call_again():
    first = tune_malloc_for_server()
    assert tune_malloc_for_server() == first
