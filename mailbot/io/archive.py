"""The raw archive: every message in and out as an .eml file under `archive_dir`.

Files are content-addressed (a hash of their bytes) and written with fsync before
the database commit that refers to them, so a committed record never points at a
missing file and writing the same message twice costs nothing.
"""

from __future__ import annotations

import hashlib
import os
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

    def write(self, mailbox: str, direction: str, raw: bytes, now: datetime) -> str:
        """Write the raw message once under archive_dir; the path is content-addressed."""
        digest = hashlib.sha256(raw).hexdigest()
        path = self.root / mailbox / direction / f"{now:%Y}" / f"{now:%m}" / f"{digest[:32]}.eml"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            with open(tmp, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        return str(path.relative_to(self.root))

    def load(self, rel: str) -> InboundMessage | None:
        try:
            raw = (self.root / rel).read_bytes()
            return parse_message(raw, **self.limits.parse_options())
        except (OSError, BadMessageError):
            return None
