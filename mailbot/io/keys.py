"""The secret key that signs mailbot's Message-IDs (SPEC 9): read, or made at first start."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from mailbot.errors import ConfigError


def load_or_create_key(path: Path) -> bytes:
    """Read the signing key, creating it (0600) at first start."""
    if path.exists():
        key = path.read_bytes().strip()
        if len(key) < 32:
            raise ConfigError(f"secret_key_file: {path} holds {len(key)} bytes, fewer than 32; remove it and "
                              "mailbot makes a new key at its next start")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key
