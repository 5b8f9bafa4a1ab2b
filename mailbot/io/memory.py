"""Memory that a big mail used goes back to the system when it is freed.

glibc raises its mmap threshold each time a big block is freed (up to 32 MB); from
then on blocks of a few MB come from the heap, and freed heap memory in the middle
stays with the process. One 20 MB attachment then left the daemon ~40 MB bigger for
good, and the next big mail stacked on top of that. A fixed threshold keeps every
big block in its own mapping, unmapped on free; the cost is a system call per big
block, which mail handling does not notice.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
THRESHOLD = 128 * 1024  # glibc's own starting value, kept fixed


def return_freed_memory() -> bool:
    """Fix glibc's mmap threshold; False where the C library has no `mallopt` (not glibc)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
    except OSError:
        return False
    mallopt = getattr(libc, "mallopt", None)
    return mallopt is not None and bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD))
