"""Python's compiled files kept where PYTHONDONTWRITEBYTECODE is set (CI images and
sandboxes set it), for the suite (`tests/conftest.py`) and the benchmarks that start
mailbot as processes (`bench/ingest.py`).

Without them every run compiled every module again, in this process and in each mailbot
process it starts: 10 s of the quick layer's CPU before its first test, and about 0.4 s
of CPU for each `mailbot run` and each sender process, which an installed mailbot never
spends (pip writes the compiled files when it installs into `/opt/mailbot`). In a
virtualenv they are kept in the venv's pycache/ instead, outside the checkout; a
PYTHONPYCACHEPREFIX of the user's is left as it is. Imports nothing of mailbot.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def keep_compiled_files() -> None:
    """This process and the processes it starts write and read compiled files again."""
    if sys.prefix == sys.base_prefix or not sys.dont_write_bytecode or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    prefix = str(Path(sys.prefix) / "pycache")
    sys.dont_write_bytecode = False
    sys.pycache_prefix = prefix
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # and the processes the tests start
    os.environ["PYTHONPYCACHEPREFIX"] = prefix
