"""The sender lock: one process sends a database's outbox at a time.

A leaf of its own (standard library only), so the store's backup, the daemon and the
sender all take it without importing each other.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def sender_lock_if_free(database: Path) -> Iterator[bool]:
    """The sender lock, if no sender holds it now: whether this process may send. A
    command (`sweep`, `run --once`, `replay`) that sent while a daemon's sender works
    through the same rows would send them twice; it leaves them to that sender."""
    fd = os.open(database.with_name(database.name + ".sender.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
        else:
            yield True
    finally:
        os.close(fd)
