"""The raw archive: every message in and out as an .eml file under `archive_dir`.

Files are content-addressed (a hash of their bytes) and made durable before the
database commit that refers to them, so a committed record never points at a missing
file and writing the same message twice costs nothing. Inside `batch()` (a group
commit) the files and their folders are made durable together at its end, by one
`syncfs` of the archive's file system where Linux has it, else by an fsync of each;
outside a batch each file is synced as it is written. Requesters' mail and
attachments are private: files 0600, folders 0700, whatever the umask.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from mailbot.errors import BadMessageError, ConfigError
from mailbot.model import InboundMessage
from mailbot.parsers import parse_message
from mailbot.settings import LimitsConfig


class Archive:
    """Raw .eml files below one folder, by mailbox, direction and month."""

    def __init__(self, root: Path, limits: LimitsConfig) -> None:
        self.root = root
        self.limits = limits
        self._local = threading.local()  # per thread: the folders a batch still has to sync
        self._known: set[Path] = set()  # folders made or seen

    def write(self, mailbox: str, direction: str, raw: bytes, now: datetime) -> str:
        """Write the raw message once under archive_dir; the path is content-addressed."""
        rel = self.place(mailbox, direction, raw, now)
        self.put(rel, raw)
        return rel

    @staticmethod
    def place(mailbox: str, direction: str, raw: bytes, now: datetime) -> str:
        """Where `write` keeps a message, relative to archive_dir: known before it is
        written, so a queued mail's record can name the file the sender writes."""
        digest = hashlib.sha256(raw).hexdigest()
        return f"{mailbox}/{direction}/{now:%Y}/{now:%m}/{digest[:32]}.eml"

    def put(self, rel: str, raw: bytes) -> None:
        """Write `raw` at `rel` (from `place`) unless it is there whole already."""
        path = self.root / rel
        if _complete(path, len(raw)):  # a file cut short by a power loss is written again
            return
        self._folder(path.parent)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
        files = getattr(self._local, "files", None)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except FileNotFoundError:  # its folder was removed since we made it
            self._known.discard(path.parent)
            self._folder(path.parent)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as handle:
            handle.write(raw)
            if files is None:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
        if files is not None:
            files.append(path)
        self._dirty(path.parent)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Writes inside sync their folders once, at the end (before the caller commits)."""
        if getattr(self._local, "pending", None) is not None:
            yield
            return
        self._local.pending, self._local.files = set(), []
        try:
            yield
            if (self._local.files or self._local.pending) and not _syncfs(self.root):
                for path in self._local.files:
                    _sync_file(path)
                for folder in sorted(self._local.pending, key=lambda p: -len(p.parts)):
                    _sync_dir(folder)
        finally:
            self._local.pending = self._local.files = None

    def _folder(self, folder: Path) -> None:
        """Create a folder (0700) and the ones above it; each new one is synced in its parent."""
        if folder in self._known:
            return
        missing = [p for p in (folder, *folder.parents) if not p.exists() and self.root in (p, *p.parents)]
        for new in reversed(missing):
            new.mkdir(mode=0o700, exist_ok=True)
            self._dirty(new.parent)
        if len(self._known) > 10_000:  # a month's folders per mailbox and direction: stays small
            self._known.clear()
        self._known.add(folder)

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


ARCHIVE_ID_FILE = ".mailbot-archive-id"  # in archive_dir: which database's archive this is
ARCHIVE_ID_KEY = "archive_id"  # the same id in the database's meta
ARCHIVE_TURN = "archive"  # the lock under which one host at a time looks for the id and writes it


def check_shared(root: Path, known: str | None, remember: Callable[[str], str]) -> None:
    """On a store several hosts share (PostgreSQL), every host must read one archive:
    the files a relay attaches again (`Composer.attachments`) were written by whichever host
    handled the mail. The first host to start writes an id into `archive_dir` and the
    database (`remember`: the id the database keeps, the first host's); every later start
    finds the same id in both (`known`), or refuses (78): an archive_dir of its own would
    relay mail without the files other hosts archived. The caller holds the database's
    `ARCHIVE_TURN`: two hosts started together each wrote an id of its own into
    the one folder, and the second, finding the first's in the database, refused to start."""
    marker = root / ARCHIVE_ID_FILE
    try:
        found = marker.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise ConfigError(f"archive_dir: cannot read {marker}: {exc.strerror}") from None
    if known is None and found is None:
        root.mkdir(parents=True, exist_ok=True)
        new = secrets.token_hex(16)
        marker.write_text(new + "\n", encoding="utf-8")
        if (known := remember(new)) == new:
            return
        marker.unlink()  # another host started first, with an archive of its own
        found = None
    if found != known:
        raise ConfigError(f"archive_dir: {root} is not the archive the other hosts of this database write "
                          f"({ARCHIVE_ID_FILE} {'holds another id' if found else 'is missing'}): mount the shared "
                          "archive there (the same folder on every host, e.g. over NFS)")


def _complete(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False


_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _syncfs(root: Path) -> bool:
    """Flush the whole file system `root` is on (data and folders) in one call; False
    where the C library has no `syncfs`, or it failed."""
    syncfs = getattr(_LIBC, "syncfs", None)
    if syncfs is None:
        return False
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return bool(syncfs(fd) == 0)
    finally:
        os.close(fd)


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(folder: Path) -> None:
    """Make a rename or a new entry in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
