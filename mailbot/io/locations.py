"""The data locations a config names (the database file, the archive, the key), and why
mailbot's user could not use each.

Asked by `mailbot check` (which says each) and by the daemon's start and reload (which
refuse a config whose locations cannot be used: 78, not a crash every 30 s). The probe is
a write for real, so a read-only file system or a folder owned by another user is found,
not only a missing mode.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.errors import ConfigError

if TYPE_CHECKING:
    from mailbot.settings import Config

MIN_KEY_BYTES = 32  # the signing key (`io/keys.py`): a shorter one is refused at start


def data_locations(cfg: Config) -> list[tuple[str, Path, str | None]]:
    """The database, archive and key locations: key, path, and why mailbot cannot use it (or None)."""
    return [(key, path, location_problem(path, kind))
            for key, path, kind in (("database", cfg.database, "file"), ("archive_dir", cfg.archive_dir, "folder"),
                                    ("secret_key_file", cfg.secret_key_file, "key"))
            if not (key == "database" and cfg.database_url)]  # a PostgreSQL store is checked by opening it


def refuse_unusable(cfg: Config) -> None:
    """A ConfigError naming every data location mailbot cannot use (none: nothing happens)."""
    problems = [f"{key}: {problem}" for key, _, problem in data_locations(cfg) if problem]
    if problems:
        raise ConfigError("; ".join(problems))


def location_problem(path: Path, kind: str) -> str | None:
    """Why mailbot could not write `path` (a `file`, a `folder`, or the `key` it creates), or None.

    Tries for real (a temporary file in the deepest existing folder). A folder above it that
    mailbot's user may not enter is a problem too, not a crash.
    """
    try:
        if path.exists() and kind in _EXISTING:
            return _EXISTING[kind](path)
        return _writable_folder(path if kind == "folder" else path.parent)
    except OSError as exc:
        return (f"cannot reach {path}: {exc.strerror or exc} "
                "(mailbot's user must be able to enter every folder above it)")


def _key_readable(path: Path) -> str | None:
    """A key that is there is read, never written: it must be readable and long enough."""
    if not os.access(path, os.R_OK):
        return f"{path} exists but cannot be read"
    size = len(path.read_bytes().strip())
    if size < MIN_KEY_BYTES:
        return f"{path} holds {size} bytes, fewer than {MIN_KEY_BYTES} (remove it: a new key is made)"
    return None


def _file_writable(path: Path) -> str | None:
    """A database file that is there must be writable, and so must its folder (its journal)."""
    if not os.access(path, os.W_OK):
        return f"{path} exists but cannot be written"
    return _writable_folder(path.parent)


_EXISTING = {"key": _key_readable, "file": _file_writable}


def _writable_folder(folder: Path) -> str | None:
    """Whether mailbot can make files in `folder`, or make it: tried in its deepest existing folder."""
    probe = folder
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        return f"cannot create {folder}: {probe} is not a folder"
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        what = f"cannot write in {probe}" if probe == folder else f"cannot create {folder} (in {probe})"
        return f"{what}: {exc.strerror}"
    return None
