"""Backup and restore of what mailbot keeps: the database, the secret key and the archive.

The database is copied with SQLite's online backup, which reads every page through a
connection (the WAL's committed pages included) while the daemon keeps writing: a copy
of the file alone misses what still sits in its `-wal` (issue 33: a `cp` of a running
database lost the last 4 of 28 tickets). A restore puts an older state back, but the
world went on after the backup: ticket numbers were issued and mailed to requesters. So
the restored counters continue past the highest number the replaced database counted and
the archive's mail names (every ack mailbot sent is archived with its tag), and no number
is issued twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path
from typing import Any

from mailbot.core.matching import find_tag
from mailbot.core.settings import Config
from mailbot.errors import ConfigError
from mailbot.io.dbfile import copy_database

DATABASE, KEY, ARCHIVE, MANIFEST = "mailbot.db", "secret.key", "archive", "backup.json"
HEADER_BYTES = 65536  # a header block longer than this is not read for its tag


def take(cfg: Config, dest: Path, *, with_archive: bool, now: datetime) -> dict[str, Any]:
    """`mailbot backup DEST`: DEST (a new or empty folder, 0700) gets the database, the key,
    with `with_archive` the archive, and `backup.json` saying what and when."""
    from mailbot.io.store import Store
    from mailbot.version import current

    if dest.exists() and any(dest.iterdir()):
        raise ConfigError(f"backup: {dest} is not empty; give a new folder")
    if not cfg.database.exists():
        raise ConfigError(f"backup: no database at {cfg.database}")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = Store(cfg.database, readonly=True, inspect=True)
    try:
        copy_database(store.db.conn, dest / DATABASE)
        schema = store.schema_version()
    finally:
        store.close()
    copied = {"database": str(dest / DATABASE)}
    if cfg.secret_key_file.exists():
        shutil.copy2(cfg.secret_key_file, dest / KEY)
        os.chmod(dest / KEY, 0o600)
        copied["key"] = str(dest / KEY)
    files = 0
    if with_archive and cfg.archive_dir.is_dir():
        for path in _archived(cfg.archive_dir):
            target = dest / ARCHIVE / path.relative_to(cfg.archive_dir)
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.copy2(path, target)
            files += 1
        copied["archive"] = f"{dest / ARCHIVE} ({files} files)"
    manifest = {"at": now.astimezone(UTC).isoformat(), "version": current(), "schema": schema,
                "archive_files": files if with_archive else None,
                "counters": {f"{box}/{year}": last for (box, year), last in sorted(_counters(dest / DATABASE).items())}}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return {**copied, **manifest}


def restore(cfg: Config, src: Path, *, now: datetime) -> dict[str, Any]:
    """`mailbot restore SRC` (the daemon stopped): the database of SRC in place of the one
    there (kept beside it as `NAME.before-restore-STAMP.bak`), the key where there is none,
    the archive's files that are missing; then the ticket counters past every number
    issued since the backup."""
    from mailbot.io.locks import sender_lock_if_free
    from mailbot.io.store import SCHEMA_VERSION

    source = src / DATABASE
    if not source.is_file():
        raise ConfigError(f"restore: {source} is not there (a folder made by 'mailbot backup')")
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as conn:
        try:
            row = conn.execute("select value from meta where key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"restore: {source} is not a mailbot database: {exc}") from None
    conn.close()
    if row is None or int(row[0]) > SCHEMA_VERSION:
        raise ConfigError(f"restore: {source} has schema {row[0] if row else 'none'}, not one this mailbot "
                          f"({SCHEMA_VERSION}) reads")
    with sender_lock_if_free(cfg.database) as free:
        if not free:
            raise ConfigError("restore: a mailbot daemon is running on this database; stop it first "
                              "(systemctl stop mailbot)")
        return _restore(cfg, src, now)


def _restore(cfg: Config, src: Path, now: datetime) -> dict[str, Any]:
    done: dict[str, Any] = {}
    issued: dict[tuple[str, int], int] = {}
    if cfg.database.exists():
        issued = _counters(cfg.database)
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = cfg.database.with_name(f"{cfg.database.name}.before-restore-{stamp}.bak")
        with sqlite3.connect(str(cfg.database)) as conn:
            copy_database(conn, kept)
        conn.close()
        done["replaced_database"] = str(kept)
    with sqlite3.connect(f"file:{src / DATABASE}?mode=ro", uri=True) as conn:
        copy_database(conn, cfg.database.with_name(cfg.database.name + ".restoring"))
    conn.close()
    for suffix in ("-wal", "-shm"):  # the replaced database's log must not be replayed into the restored one
        cfg.database.with_name(cfg.database.name + suffix).unlink(missing_ok=True)
    os.replace(cfg.database.with_name(cfg.database.name + ".restoring"), cfg.database)
    done["database"] = str(cfg.database)
    if (src / KEY).is_file():
        if not cfg.secret_key_file.exists():
            cfg.secret_key_file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / KEY, cfg.secret_key_file)
            os.chmod(cfg.secret_key_file, 0o600)
            done["key"] = "restored"
        else:
            same = cfg.secret_key_file.read_bytes().strip() == (src / KEY).read_bytes().strip()
            done["key"] = "kept (the same as the backup's)" if same else "kept (the current one; the backup's differs)"
    if (src / ARCHIVE).is_dir():
        added = 0
        for path in _archived(src / ARCHIVE):
            target = cfg.archive_dir / path.relative_to(src / ARCHIVE)
            if not target.exists():  # content-addressed: a file there is the same mail
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                shutil.copy2(path, target)
                added += 1
        done["archive_files_added"] = added
    conn = sqlite3.connect(str(cfg.database), isolation_level=None)
    try:
        prefixes = _prefixes(cfg, conn)
        for (mailbox, year), last in _archive_numbers(cfg.archive_dir, prefixes).items():
            issued[mailbox, year] = max(issued.get((mailbox, year), 0), last)
        raised = []
        conn.execute("begin immediate")
        for (mailbox, year), last in sorted(issued.items()):
            before = conn.execute("select last from counters where mailbox = ? and year = ?",
                                  [mailbox, year]).fetchone()
            if before is None or before[0] < last:
                conn.execute("insert into counters (mailbox, year, last) values (?, ?, ?) on conflict (mailbox, year) "
                             "do update set last = excluded.last", [mailbox, year, last])
                raised.append(f"{mailbox} {year}: {before[0] if before else 0} -> {last}")
        conn.execute("insert into meta (key, value) values ('restored_at', ?) on conflict (key) do update "
                     "set value = excluded.value", [now.astimezone(UTC).isoformat()])
        conn.execute("commit")
    finally:
        conn.close()
    done["counters_raised"] = raised
    return done


def _counters(database: Path) -> dict[tuple[str, int], int]:
    """The last number each mailbox issued each year, as the database counts them."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        rows = conn.execute("select mailbox, year, last from counters").fetchall()
    conn.close()
    return {(mailbox, int(year)): int(last) for mailbox, year, last in rows}


def _prefixes(cfg: Config, conn: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    """Each mailbox's tag prefixes: the configured one and every one it was started with."""
    found: dict[str, set[str]] = {box.name: {box.tag_prefix} for box in cfg.mailboxes}
    for key, value in conn.execute("select key, value from meta where key like 'tag_prefixes:%'"):
        found.setdefault(key.split(":", 1)[1], set()).update(p for p in value.split("\n") if p)
    return {name: tuple(sorted(p)) for name, p in found.items()}


def _archived(root: Path) -> Iterator[Path]:
    yield from sorted(p for p in root.rglob("*.eml") if p.is_file())


_YEAR = re.compile(r"^(\d{4})-(\d+)$")


def _archive_numbers(root: Path, prefixes: dict[str, tuple[str, ...]]) -> dict[tuple[str, int], int]:
    """The highest ticket number each mailbox's archived mail names in its subject tag, by
    year (the archive is `MAILBOX/in|out/YYYY/MM/*.eml`: mailbot's acks carry the tag)."""
    found: dict[tuple[str, int], int] = {}
    parser = BytesHeaderParser(policy=default)
    for mailbox, own in prefixes.items():
        folder = root / mailbox
        if not folder.is_dir():
            continue
        for path in _archived(folder):
            with path.open("rb") as handle:
                head = handle.read(HEADER_BYTES)
            try:
                subject = str(parser.parsebytes(head).get("subject", "") or "")
            except Exception:  # noqa: BLE001 - a header that does not parse names no number
                subject = ""
            for prefix in own:
                number = find_tag(subject, prefix)
                match = _YEAR.match(number or "")
                if match:
                    key = (mailbox, int(match[1]))
                    found[key] = max(found.get(key, 0), int(match[2]))
    return found
