"""Memory that a big mail used goes back to the system when it is freed.

glibc raises its mmap threshold each time a big block is freed (up to 32 MB); from
then on blocks of a few MB come from the heap, and freed heap memory in the middle
stays with the process. One 20 MB attachment then left the daemon ~40 MB bigger for
good, and the next big mail stacked on top of that. A fixed threshold of 1 MB keeps
every big block in its own mapping, unmapped on free; blocks below it (a 100 KB
attachment) stay on the heap as before. Measured (bench/hostile_memory.py,
bench/ingest.py --only memory): relaying a 15 MB file 148 -> 127 MB peak; a 10,000
message backlog 76 MB either way (at glibc's 128 KB starting value it rose to 98 MB).
"""

from __future__ import annotations

import ctypes

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
THRESHOLD = 1024 * 1024  # bytes; glibc starts at 128 KB and raises it up to 32 MB


def return_freed_memory() -> bool:
    """Fix glibc's mmap threshold; False where the C library has no `mallopt` (not glibc)."""
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols, libc's among them (no ldconfig run)
    except OSError:
        return False
    mallopt = getattr(libc, "mallopt", None)
    return mallopt is not None and bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD))
