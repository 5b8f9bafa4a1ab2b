"""The raw archive: every message in and out as an .eml file under `archive_dir`.

Files are content-addressed (a hash of their bytes) and written with fsync before
the database commit that refers to them, so a committed record never points at a
missing file and writing the same message twice costs nothing. Their folders are
synced once per batch (`batch()`), not once per file. Requesters' mail and
attachments are private: files 0600, folders 0700, whatever the umask.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from mailbot.core.model import InboundMessage
from mailbot.core.settings import LimitsConfig
from mailbot.errors import BadMessageError
from mailbot.parsers import parse_message


class Archive:
    """Raw .eml files below one folder, by mailbox, direction and month."""

    def __init__(self, root: Path, limits: LimitsConfig) -> None:
        self.root = root
        self.limits = limits
        self._local = threading.local()  # per thread: the folders a batch still has to sync

    def write(self, mailbox: str, direction: str, raw: bytes, now: datetime) -> str:
        """Write the raw message once under archive_dir; the path is content-addressed."""
        digest = hashlib.sha256(raw).hexdigest()
        path = self.root / mailbox / direction / f"{now:%Y}" / f"{now:%m}" / f"{digest[:32]}.eml"
        if not path.exists():
            self._folder(path.parent)
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
            self._dirty(path.parent)
        return str(path.relative_to(self.root))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Writes inside sync their folders once, at the end (before the caller commits)."""
        if getattr(self._local, "pending", None) is not None:
            yield
            return
        self._local.pending = set()
        try:
            yield
            for folder in sorted(self._local.pending, key=lambda p: -len(p.parts)):
                _sync_dir(folder)
        finally:
            self._local.pending = None

    def _folder(self, folder: Path) -> None:
        """Create a folder (0700) and the ones above it; each new one is synced in its parent."""
        missing = [p for p in (folder, *folder.parents) if not p.exists() and self.root in (p, *p.parents)]
        for new in reversed(missing):
            new.mkdir(mode=0o700, exist_ok=True)
            self._dirty(new.parent)

    def _dirty(self, folder: Path) -> None:
        pending = getattr(self._local, "pending", None)
        if pending is None:
            _sync_dir(folder)
        else:
            pending.add(folder)

    def load(self, rel: str) -> InboundMessage | None:
        try:
            raw = (self.root / rel).read_bytes()
            return parse_message(raw, **self.limits.parse_options())
        except (OSError, BadMessageError):
            return None


def _sync_dir(folder: Path) -> None:
    """Make a rename or a new entry in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
