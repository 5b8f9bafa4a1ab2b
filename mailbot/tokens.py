"""Signed Message-IDs (SPEC sections 3 and 9).

Every Message-ID mailbot generates names its mailbox, ticket and mail kind and
carries an HMAC of them, so a reply that cites it is matched even when the subject
was rewritten, and a forged reply cannot claim it. Checking is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

NO_TICKET = "none"
_ID = re.compile(
    r"^mb\.(?P<mailbox>[A-Za-z0-9_-]+)\.(?P<ticket>\d{4}-\d{5}|none)\.(?P<kind>[a-z_]+)"
    r"\.(?P<nonce>[0-9a-f]{10})\.(?P<sig>[a-z2-7]{16})@(?P<domain>[^@\s]+)$"
)


@dataclass(frozen=True)
class Token:
    """What a verified mailbot Message-ID says about itself."""

    mailbox: str
    ticket: str | None
    kind: str


def load_or_create_key(path: Path) -> bytes:
    """Read the signing key, creating it (0600) at first start."""
    if path.exists():
        key = path.read_bytes().strip()
        if len(key) < 32:
            raise ValueError(f"secret key file {path} is shorter than 32 bytes")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key


def _sign(key: bytes, mailbox: str, ticket: str, kind: str, nonce: str) -> str:
    mac = hmac.new(key, f"{mailbox}\0{ticket}\0{kind}\0{nonce}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:10]).decode().lower()  # 80 bits: 16 characters


def make_message_id(key: bytes, mailbox: str, ticket: str | None, kind: str, domain: str) -> str:
    """A fresh signed Message-ID, without angle brackets."""
    ticket = ticket or NO_TICKET
    nonce = secrets.token_hex(5)
    return f"mb.{mailbox}.{ticket}.{kind}.{nonce}.{_sign(key, mailbox, ticket, kind, nonce)}@{domain}"


def verify(key: bytes, message_id: str) -> Token | None:
    """The token's claims when its signature is valid, else None."""
    match = _ID.match(message_id)
    if not match:
        return None
    expected = _sign(key, match["mailbox"], match["ticket"], match["kind"], match["nonce"])
    if not hmac.compare_digest(expected, match["sig"]):
        return None
    ticket = None if match["ticket"] == NO_TICKET else match["ticket"]
    return Token(match["mailbox"], ticket, match["kind"])
