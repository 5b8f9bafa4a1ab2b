"""A database file copied whole: for the backup the store takes before it migrates and for
`mailbot backup`/`restore`. A leaf (standard library only), so the store does not import
the backup module that opens stores.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def copy_database(source: sqlite3.Connection, dest: Path) -> None:
    """Write the database open on `source` to `dest` (replaced if there), private (0600),
    as one self-contained file (no -wal beside it)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    target = sqlite3.connect(str(partial))
    try:
        source.backup(target)  # in one step: under WAL it blocks no writer, and never restarts
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
    os.replace(partial, dest)
