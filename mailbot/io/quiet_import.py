"""Imports without the optional packages a library takes only because they are installed.

sqlite-utils imports numpy and pandas when it can, to store their values; mailbot
stores none. numpy is installed for the reports' charts (matplotlib), and its import
costs every mailbot process 0.1 s, about 11 MB and a pool of OpenBLAS threads (pandas,
where a host has it, far more). Hidden while such a library is imported, they are
still there for whatever imports them later.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

UNUSED = ("numpy", "pandas")


@contextmanager
def without(*names: str) -> Iterator[None]:
    """`import name` raises ImportError inside (the library falls back); as it was after.
    A package already imported stays: there is nothing to save."""
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` raise ImportError
    try:
        yield
    finally:
        for name in hidden:
            del sys.modules[name]
