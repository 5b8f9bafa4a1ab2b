"""The sender lock: one process sends a database's outbox at a time; the intake lock:
one process reads a mailbox's INBOX at a time; the name of the store's lock every daemon
holds.

A leaf of its own (standard library only), so the store's backup, the daemon and the
sender all take it without importing each other.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

INTAKE_WAIT_SECONDS = 5.0
# the shared session lock every daemon on a PostgreSQL store holds while it runs: how many
# serve now (daemon/served_mailboxes.py), and whether any runs at all (a restore refuses then)
DAEMONS = "daemons"


def sender_lock_if_free(database: Path) -> AbstractContextManager[bool]:
    """The sender lock, if no sender holds it now: whether this process may send. A
    command (`sweep`, `run --once`, `replay`) that sent while a daemon's sender works
    through the same rows would send them twice; it leaves them to that sender."""
    return _locked(_sender_path(database))


def sender_lock(database: Path, should_stop: Callable[[], bool]) -> AbstractContextManager[bool]:
    """The sender lock for the sender process: it waits for a predecessor still finishing
    its last mail, until told to stop; whether it holds it."""
    return _locked(_sender_path(database), should_stop, math.inf)


def _sender_path(database: Path) -> Path:
    return database.with_name(database.name + ".sender.lock")


def intake_lock(database: Path, mailbox: str, should_stop: Callable[[], bool],
                wait: float = INTAKE_WAIT_SECONDS) -> AbstractContextManager[bool]:
    """One reader of a mailbox's INBOX per database at a time: whether this process may
    make a pass now. Two daemons on one config (systemd plus a manual run) would otherwise
    MOVE the same message at once, and a server's MOVE is a copy and an expunge: both
    copies land, and the message is in Processed twice. A process that finds a pass under
    way waits `wait` seconds for it (the usual case: both woke for the same new mail), then
    leaves the mail to that pass and looks again at its next wake-up."""
    key = hashlib.sha256(mailbox.encode()).hexdigest()[:16]
    return _locked(database.with_name(f"{database.name}.intake-{key}.lock"), should_stop, wait)


@contextmanager
def session_lock(try_lock: Callable[[], bool], unlock: Callable[[], None], should_stop: Callable[[], bool],
                 wait: float) -> Iterator[bool]:
    """The same for a store several hosts share (PostgreSQL): a lock of the
    database session (`try_lock`, tried until `wait` runs out or `should_stop`), released by
    `unlock`, or by the session's end when the process dies or is silent past its lease."""
    deadline = time.monotonic() + wait
    while not (ours := try_lock()):
        if should_stop() or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    try:
        yield ours
    finally:
        if ours:
            unlock()


@contextmanager
def _locked(path: Path, should_stop: Callable[[], bool] = lambda: False, wait: float = 0.0) -> Iterator[bool]:
    """An exclusive lock on the file at `path` for the block, if this process gets it
    within `wait` seconds (0: only if free now; `should_stop` ends the wait): whether it
    did. The lock is the open file's, so a process that dies releases it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if should_stop() or time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
            else:
                yield True
                return
    finally:
        os.close(fd)  # releases the lock
