"""Probe for tests/test_architecture_imports.py: what counts as a run-time import (not a test)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils


def later(db: sqlite_utils.Database) -> str:
    import sqlite3

    from mailbot.io import store

    return f"{os.sep}{sqlite3.sqlite_version}{store.__name__}{db}"
