"""The secret key that signs mailbot's Message-IDs and the window's links (SPEC 9, 11, 13):
read, or made at first start, and the same for every process of one store.

A staff reply proves itself by citing a Message-ID signed with the key; whichever process
reads the reply checks it with its own. Processes sharing a store (daemons on several hosts,
the window) must therefore hold one key: two hosts started together on a new database each
made a key of its own, nothing noticed, and a genuine staff command to one host's notice was
kept unverified by the other. So the store records the key's fingerprint (a hash of it,
which tells nothing of the key) at the first start, and a process whose key differs stops
with 78 naming the fix. Only a process that writes the store records a fingerprint; one
that only reads compares (`differs`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mailbot.errors import ConfigError

FINGERPRINT = "key_fingerprint"  # the store's meta key: the fingerprint of the key its processes sign with
SHOWN = 12  # the fingerprint's characters a message or a log line shows
COPY_HINT = "docs/operator/several-hosts.md, 'One key'"


def fingerprint(key: bytes) -> str:
    """A one-way fingerprint of the key: equal for equal keys, and nothing to sign with."""
    return hashlib.sha256(b"mailbot key fingerprint\0" + key).hexdigest()


def read_key(path: Path) -> bytes | None:
    """The signing key in `path`, None when there is none yet."""
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        return None
    if len(key) < 32:
        raise ConfigError(f"secret_key_file: {path} holds {len(key)} bytes, fewer than 32; remove it and "
                          "mailbot makes a new key at its next start")
    return key


def make_key(path: Path) -> bytes:
    """A new key in `path` (0600); the file must not exist."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key


def load_or_create_key(path: Path) -> bytes:
    """Read the signing key, creating it (0600) at first start."""
    return read_key(path) or make_key(path)


def agreed_key(path: Path, recorded: str | None, record: Callable[[str], None], *, database: str,
               shared: bool, log: Any) -> bytes:
    """The key of a process that writes the store, the same as every other process's of it.

    `recorded`: the fingerprint the store keeps (None: none yet, a new store or one of a
    version before fingerprints); `record` keeps this key's. Called while this process alone
    looks (the store's turn), so of two started together the second finds the first's.
    A key file that is missing is made when the store records no key; on a store of one
    host (`shared` False: SQLite) also when it records one, as a new key: the documented
    way to change it (remove the file, restart the daemon). On a shared store it is never
    made then: it would sign what the other hosts cannot check."""
    key = read_key(path)
    if key is None:
        if recorded is not None and shared:
            raise ConfigError(missing(path, recorded, database))
        key = make_key(path)
        if recorded is not None:
            log.warning("secret_key_new", fingerprint=fingerprint(key)[:SHOWN], replaces=recorded[:SHOWN],
                        why=f"{path} was missing: the links mailed before and every sign-in end, and staff "
                            "answer a fresh notice to act")
        record(fingerprint(key))
        return key
    if recorded is None:
        record(fingerprint(key))
    elif (problem := differs(path, key, recorded, database, shared=shared)) is not None:
        raise ConfigError(problem)
    return key


def missing(path: Path, recorded: str, database: str) -> str:
    """What a host of a shared store without the key it records is to do."""
    return (f"secret_key_file: {path} does not exist on this host, and database {database} records the key of "
            f"its other hosts (fingerprint {recorded[:SHOWN]}): every host of one database signs with one key. "
            f"Copy secret_key_file from a host of this database to {path} (readable by mailbot's user alone) and "
            f"start again ({COPY_HINT})")


def differs(path: Path, key: bytes, recorded: str | None, database: str, *, shared: bool,
            window: bool = False) -> str | None:
    """What is wrong when `key` is not the one the store records (None: it is, or none is recorded)."""
    ours = fingerprint(key)
    if recorded is None or recorded == ours:
        return None
    said = (f"secret_key_file: {path} is not the key database {database} records (fingerprint "
            f"{recorded[:SHOWN]}; this file's {ours[:SHOWN]})")
    if shared:
        return (f"{said}: every host of one database signs with one key, or a staff reply to one host's mail "
                f"is not believed by another. Copy secret_key_file from a host of this database to {path} "
                f"(readable by mailbot's user alone) and start again ({COPY_HINT})")
    if window:
        return (f"{said}: the window reads the daemon's key; give it the daemon's secret_key_file (the same "
                "config), or restart it after the daemon made a new key")
    return (f"{said}: put the key back (mailbot backup keeps a copy), or remove {path} and start the daemon "
            "for a new one, which ends every link mailed before")
