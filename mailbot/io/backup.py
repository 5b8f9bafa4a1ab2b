"""Backup and restore of what mailbot keeps: the database, the secret key and the archive.

The database is copied with SQLite's online backup, which reads every page through a
connection (the WAL's committed pages included) while the daemon keeps writing: a copy
of the file alone misses what still sits in its `-wal` (a `cp` of a running
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
from mailbot.errors import ConfigError
from mailbot.io import keys
from mailbot.io.dbfile import copy_database
from mailbot.io.migrations import SCHEMA_VERSION
from mailbot.io.store import Store, restored_recipients, ts
from mailbot.io.store.restored import RECOVERY
from mailbot.settings import Config

DATABASE, KEY, ARCHIVE, MANIFEST = "mailbot.db", "secret.key", "archive", "backup.json"
BACKUP_TAKEN_AT = "restored_backup_taken_at"  # meta: when the backup the last restore put back was taken
HEADER_BYTES = 65536  # a header block longer than this is not read for its tag


def take(cfg: Config, dest: Path, *, with_archive: bool, now: datetime) -> dict[str, Any]:
    """`mailbot backup DEST`: DEST (a new or empty folder, 0700) gets the database, the key,
    with `with_archive` the archive, and `backup.json` saying what and when. A PostgreSQL
    store's rows are pg_dump's (the server's own tools, consistent while mailbot runs):
    DEST gets the key and the archive, and the manifest the counters as they were."""
    from mailbot.version import current

    if dest.exists() and any(dest.iterdir()):
        raise ConfigError(f"backup: {dest} is not empty; give a new folder")
    if not cfg.database_url and not cfg.database.exists():
        raise ConfigError(f"backup: no database at {cfg.database}")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    copied, counters, schema = _database_copied(cfg, dest)
    if cfg.secret_key_file.exists():
        shutil.copy2(cfg.secret_key_file, dest / KEY)
        os.chmod(dest / KEY, 0o600)
        copied["key"] = str(dest / KEY)
    files = _archive_copied(cfg.archive_dir, dest / ARCHIVE) if with_archive else None
    if files is not None and cfg.archive_dir.is_dir():
        copied["archive"] = f"{dest / ARCHIVE} ({files} files)"
    manifest = {"at": now.astimezone(UTC).isoformat(), "version": current(), "schema": schema,
                "archive_files": files,
                "counters": {f"{box}/{year}": last for (box, year), last in sorted(counters.items())}}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return {**copied, **manifest}


def _database_copied(cfg: Config, dest: Path) -> tuple[dict[str, str], dict[tuple[str, int], int], int]:
    """A SQLite database copied into DEST (SQLite's online backup), or where a PostgreSQL
    store's rows are to be dumped from; with the ticket counters and the schema version."""
    store = Store.of(cfg, readonly=True, inspect=True)
    try:
        if cfg.database_url:  # PostgreSQL's rows are pg_dump's: mailbot keeps the key and the archive
            counters = {(box, int(year)): int(last) for box, year, last in
                        store.db.execute("select mailbox, year, last from counters").fetchall()}
        else:
            copy_database(store.db.conn, dest / DATABASE)
        schema = store.versions.schema_version()
    finally:
        store.close()
    if cfg.database_url:
        return ({"database": f"{cfg.database_url}: not in this folder; dump it with pg_dump (e.g. pg_dump -Fc)"},
                counters, schema)
    return {"database": str(dest / DATABASE)}, _counters(dest / DATABASE), schema


def _archive_copied(archive_dir: Path, target_dir: Path) -> int:
    """Every archived mail copied into the backup's archive folder: how many (none without an archive)."""
    files = 0
    for path in _archived(archive_dir) if archive_dir.is_dir() else ():
        target = target_dir / path.relative_to(archive_dir)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copy2(path, target)
        files += 1
    return files


def restore(cfg: Config, src: Path, *, now: datetime) -> dict[str, Any]:
    """`mailbot restore SRC` (the daemon stopped): the database of SRC in place of the one
    there (kept beside it as `NAME.before-restore-STAMP.bak`), the key where there is none,
    the archive's files that are missing; then the ticket counters past every number
    issued since the backup."""
    from mailbot.io.locks import sender_lock_if_free

    if cfg.database_url:
        return _restore_postgresql(cfg, src, now)
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
    kept: Path | None = None
    if cfg.database.exists():
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = cfg.database.with_name(f"{cfg.database.name}.before-restore-{stamp}.bak")
        try:
            issued = _counters(cfg.database)
            with sqlite3.connect(str(cfg.database)) as conn:
                copy_database(conn, kept)
            conn.close()
        except sqlite3.DatabaseError as exc:  # a damaged file: kept as it is, for whoever can read it
            for suffix in ("", "-wal"):
                if cfg.database.with_name(cfg.database.name + suffix).exists():
                    shutil.copy2(cfg.database.with_name(cfg.database.name + suffix),
                                 kept.with_name(kept.name + suffix))
            done["replaced_database_unreadable"] = str(exc)
        done["replaced_database"] = str(kept)
    with sqlite3.connect(f"file:{src / DATABASE}?mode=ro", uri=True) as conn:
        copy_database(conn, cfg.database.with_name(cfg.database.name + ".restoring"))
    conn.close()
    for suffix in ("-wal", "-shm"):  # the replaced database's log must not be replayed into the restored one
        cfg.database.with_name(cfg.database.name + suffix).unlink(missing_ok=True)
    os.replace(cfg.database.with_name(cfg.database.name + ".restoring"), cfg.database)
    done["database"] = str(cfg.database)
    _key_and_archive(cfg, src, done)
    done.update(_after_backup(cfg, kept if kept is not None and "replaced_database_unreadable" not in done else None,
                              issued, now, _taken_at(src)))
    return done


def _taken_at(src: Path) -> str | None:
    """When the backup in SRC was taken, as its manifest says (None: no manifest to say it)."""
    try:
        return str(json.loads((src / MANIFEST).read_text())["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _restore_postgresql(cfg: Config, src: Path, now: datetime) -> dict[str, Any]:
    """`mailbot restore SRC` on a PostgreSQL store (every daemon stopped), after the operator
    has put the rows back with pg_restore from the dump taken with the backup: the key and
    the archive from SRC, then what happened since as on SQLite (`_after_backup`): the
    counters past the backup's (its manifest) and the archive's numbers, the mail sent
    since recorded, each mailbox's recovery made by the first pass."""
    from mailbot.io.locks import DAEMONS
    from mailbot.io.store.postgres import PostgresDatabase

    manifest_path = src / MANIFEST
    if not manifest_path.is_file():
        raise ConfigError(f"restore: {manifest_path} is not there (a folder made by 'mailbot backup')")
    manifest = json.loads(manifest_path.read_text())
    password = cfg.database_password.value if cfg.database_password else None
    database = PostgresDatabase(str(cfg.database_url), password, lease_seconds=cfg.lease_seconds)
    try:
        if "meta" not in database.tables():
            raise ConfigError(f"restore: {database.path} holds no mailbot tables; put the rows back first with "
                              "pg_restore from the dump taken with this backup (pg_restore -d URL FILE), then run "
                              "'mailbot restore' again")
        if database.members(DAEMONS):
            raise ConfigError("restore: a mailbot daemon is running on this database; stop every host's daemon "
                              "first (systemctl stop mailbot)")
    finally:
        database.close()
    issued = {(key.rsplit("/", 1)[0], int(key.rsplit("/", 1)[1])): int(last)
              for key, last in (manifest.get("counters") or {}).items()}
    done: dict[str, Any] = {"database": f"{database.path}: the rows as pg_restore put them back"}
    _key_and_archive(cfg, src, done)
    done.update(_after_backup(cfg, None, issued, now, _taken_at(src)))
    return done


def _key_and_archive(cfg: Config, src: Path, done: dict[str, Any]) -> None:
    """The backup's key where there is none, and the archive's files that are missing."""
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


def _after_backup(cfg: Config, replaced: Path | None, issued: dict[tuple[str, int], int],
                  now: datetime, taken_at: str | None = None) -> dict[str, Any]:
    """What happened after the backup, written into the restored database (migrated first to
    this version's schema): the counters past every number issued since; the mail sent
    since and the ticket each message handled since was filed under (`restored`), from the
    archive and the replaced database where it can be read; its queued mail that went out
    since, marked sent; and, for each mailbox, the recovery its first pass makes
    (`mailbot.daemon.recovery`: the numbers in the folders' subjects, the mail handled since put
    back in the INBOX)."""
    store = Store.of(cfg)
    database = store.database
    try:
        prefixes = _prefixes(cfg, database)
        numbers, sent = _scan_archive(cfg.archive_dir, prefixes)
        for key, last in numbers.items():
            issued[key] = max(issued.get(key, 0), last)
        old = database.dialect == "sqlite" and _attach(database.conn, replaced)
        try:
            with store.unit_of_work():
                raised = _raise_counters(database, issued)
                recorded = _record_sent(database, sent, old)
                finished = _finish_outbox(database, cfg.archive_dir, old)
                for box in cfg.mailboxes:
                    database.execute("insert into meta (key, value) values (?, ?) on conflict (key) do update "
                                     "set value = excluded.value",
                                     [f"{RECOVERY}{box.name}", now.astimezone(UTC).isoformat()])
                database.execute("insert into meta (key, value) values ('restored_at', ?) on conflict (key) "
                                 "do update set value = excluded.value", [now.astimezone(UTC).isoformat()])
                database.execute("delete from meta where key = ?", [BACKUP_TAKEN_AT])
                if (signing := keys.read_key(cfg.secret_key_file)) is not None:  # the key kept or put back signs on
                    database.execute("insert into meta (key, value) values (?, ?) on conflict (key) do update "
                                     "set value = excluded.value", [keys.FINGERPRINT, keys.fingerprint(signing)])
                if taken_at:  # the sent folder's copies from then on are what the recovery reads
                    database.execute("insert into meta (key, value) values (?, ?)", [BACKUP_TAKEN_AT, taken_at])
        finally:
            if old:
                database.execute("detach database old")
    finally:
        store.close()
    return {"counters_raised": raised, "replaced_database_read": old, "sent_after_backup": recorded,
            "queued_mail_sent_after_backup": finished,
            "recovery": "the daemon's first pass of each mailbox reads what its sent folder says was mailed, puts "
                        "the mail handled after the backup back in the INBOX and handles it once"}




def _attach(conn: sqlite3.Connection, replaced: Path | None) -> bool:
    """The replaced database (the copy kept beside, only read) attached as `old`, when it can
    be read (by its path: a URI would need SQLite's URI names turned on)."""
    if replaced is None or not replaced.is_file():
        return False
    try:
        conn.execute("attach database ? as old", [str(replaced)])
    except sqlite3.DatabaseError:
        return False
    try:
        for table in ("messages", "tickets", "outbox"):
            conn.execute(f"select * from old.{table} limit 1").fetchall()
    except sqlite3.DatabaseError:
        conn.execute("detach database old")
        return False
    return True


def _raise_counters(conn: Any, issued: dict[tuple[str, int], int]) -> list[str]:
    raised = []
    for (mailbox, year), last in sorted(issued.items()):
        before = conn.execute("select last from counters where mailbox = ? and year = ?", [mailbox, year]).fetchone()
        if before is None or before[0] < last:
            conn.execute("insert into counters (mailbox, year, last) values (?, ?, ?) on conflict (mailbox, year) "
                         "do update set last = excluded.last", [mailbox, year, last])
            raised.append(f"{mailbox} {year}: {before[0] if before else 0} -> {last}")
    return raised


def _record_sent(conn: Any, sent: list[dict[str, Any]], old: bool) -> int:
    """Into `restored`: the archived mail sent after the backup (what the restored database
    does not record), then what the replaced database adds (its sent mail, and the ticket
    each received message was filed under)."""
    rows = [m for m in sent if conn.execute(
        "select 1 from messages where mailbox = ? and direction = 'out' and message_id = ?",
        [m["mailbox"], m["message_id"]]).fetchone() is None]
    if old:
        for r in conn.execute(
                "select m.mailbox, m.message_id, t.number, m.kind, m.recipients, coalesce(o.sent_at, m.at), "
                "m.archive_path from old.messages m join old.outbox o on o.mailbox = m.mailbox and "
                "o.message_id = m.message_id left join old.tickets t on t.id = m.ticket_id "
                "where m.direction = 'out' and (o.status = 'sent' or coalesce(o.rcpt_done, '[]') != '[]') "
                "and not exists (select 1 from main.messages x where x.mailbox = m.mailbox and "
                "x.direction = 'out' and x.message_id = m.message_id)").fetchall():
            rows.append({"mailbox": r[0], "direction": "out", "message_id": r[1], "number": r[2], "kind": r[3],
                         "recipients": restored_recipients((r[4] or "").split(",")), "in_reply_to": None,
                         "at": r[5], "archive_path": r[6]})
        for r in conn.execute(
                "select m.mailbox, m.message_id, t.number, m.at from old.messages m join old.tickets t on "
                "t.id = m.ticket_id where m.direction = 'in' and not exists (select 1 from main.messages x "
                "where x.mailbox = m.mailbox and x.direction = 'in' and x.message_id = m.message_id)").fetchall():
            rows.append({"mailbox": r[0], "direction": "in", "message_id": r[1], "number": r[2], "kind": None,
                         "recipients": None, "in_reply_to": None, "at": r[3], "archive_path": None})
    added = 0
    for row in rows:
        cursor = conn.execute(
            "insert into restored (mailbox, direction, message_id, number, kind, recipients, in_reply_to, at, "
            "archive_path) values (:mailbox, :direction, :message_id, :number, :kind, :recipients, :in_reply_to, "
            ":at, :archive_path) on conflict (mailbox, direction, message_id) do update set "
            "in_reply_to = coalesce(restored.in_reply_to, excluded.in_reply_to)", row)
        added += cursor.rowcount if row["direction"] == "out" else 0
    return added


def _finish_outbox(conn: Any, archive_dir: Path, old: bool) -> int:
    """The restored outbox's mail that went out after the backup, marked so: as the replaced
    database recorded it, or, where it cannot tell, sent when its archived copy (written
    only once a mail is done with) is there. It is never sent a second time."""
    done = 0
    rows = conn.execute("select o.id, o.mailbox, o.message_id, o.rcpt, m.archive_path from outbox o left join "
                        "messages m on m.mailbox = o.mailbox and m.direction = 'out' and m.message_id = o.message_id "
                        "where o.status = 'pending'").fetchall()
    for row_id, mailbox, message_id, rcpt, path in rows:
        archived = bool(path) and (archive_dir / path).is_file()
        then = conn.execute("select status, sent_at, failed_at, rcpt_done, last_error, attempts from old.outbox "
                            "where mailbox = ? and message_id = ? and status != 'pending'",
                            [mailbox, message_id]).fetchone() if old else None
        if then is not None:
            conn.execute("update outbox set status = ?, sent_at = ?, failed_at = ?, rcpt_done = ?, last_error = ?, "
                         "attempts = ? where id = ?", [*then, row_id])
        elif archived:
            at = datetime.fromtimestamp((archive_dir / path).stat().st_mtime, UTC)
            conn.execute("update outbox set status = 'sent', sent_at = ?, rcpt_done = ? where id = ?",
                         [ts(at), rcpt, row_id])
        else:
            continue
        if archived:
            conn.execute("update outbox set raw = ?, raw_big = null where id = ?", [b"", row_id])
        conn.execute("delete from outbox_server_held where outbox_id = ?", [row_id])
        done += 1
    return done


def _counters(database: Path) -> dict[tuple[str, int], int]:
    """The last number each mailbox issued each year, as the database counts them."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        rows = conn.execute("select mailbox, year, last from counters").fetchall()
    conn.close()
    return {(mailbox, int(year)): int(last) for mailbox, year, last in rows}


def _prefixes(cfg: Config, conn: Any) -> dict[str, tuple[str, ...]]:
    """Each mailbox's tag prefixes: the configured one and every one it was started with."""
    found: dict[str, set[str]] = {box.name: {box.tag_prefix} for box in cfg.mailboxes}
    for key, value in conn.execute("select key, value from meta where key like 'tag_prefixes:%'"):
        found.setdefault(key.split(":", 1)[1], set()).update(p for p in value.split("\n") if p)
    return {name: tuple(sorted(p)) for name, p in found.items()}


def _archived(root: Path) -> Iterator[Path]:
    yield from sorted(p for p in root.rglob("*.eml") if p.is_file())


_YEAR = re.compile(r"^(\d{4})-(\d+)$")
_ADDRESSES = ("to", "cc")


def _scan_archive(root: Path, prefixes: dict[str, tuple[str, ...]]) -> tuple[dict[tuple[str, int], int],
                                                                             list[dict[str, Any]]]:
    """From the headers of every archived mail (`MAILBOX/in|out/YYYY/MM/*.eml`): the highest
    ticket number each mailbox's mail names in its subject tag, by year (mailbot's acks carry
    the tag), and each mail mailbot sent (`out`): its Message-ID, kind, ticket, recipients,
    the Message-ID it answered and when it was done with (the file is written then)."""
    found: dict[tuple[str, int], int] = {}
    sent: list[dict[str, Any]] = []
    parser = BytesHeaderParser(policy=default)
    for mailbox, own in prefixes.items():
        folder = root / mailbox
        for path in _archived(folder) if folder.is_dir() else ():
            read = _head(parser, path)
            if read is None:
                continue
            headers, subject = read
            _note_numbers(found, mailbox, own, subject)
            mail = _sent(mailbox, root, path, headers) if path.relative_to(folder).parts[0] == "out" else None
            if mail is not None:
                sent.append(mail)
    return found, sent


def _head(parser: BytesHeaderParser[Any], path: Path) -> tuple[Any, str] | None:
    """An archived mail's header fields and subject; None when they do not parse (it names nothing)."""
    with path.open("rb") as handle:
        head = handle.read(HEADER_BYTES)
    try:
        headers = parser.parsebytes(head)
        return headers, str(headers.get("subject", "") or "")
    except Exception:  # noqa: BLE001 - a header that does not parse names nothing
        return None


def _note_numbers(found: dict[tuple[str, int], int], mailbox: str, own: tuple[str, ...], subject: str) -> None:
    """The ticket number a subject's tag names (of any of the mailbox's prefixes), kept in
    `found` where it is the highest of its mailbox and year yet."""
    for prefix in own:
        match = _YEAR.match(find_tag(subject, prefix) or "")
        if match:
            key = (mailbox, int(match[1]))
            found[key] = max(found.get(key, 0), int(match[2]))


def _sent(mailbox: str, root: Path, path: Path, headers: Any) -> dict[str, Any] | None:
    """One archived mail of mailbot's as a `restored` row; None when it lacks what names it."""
    return sent_row(mailbox, headers, datetime.fromtimestamp(path.stat().st_mtime, UTC),
                    path.relative_to(root).as_posix())


def sent_row(mailbox: str, headers: Any, at: datetime, archive_path: str | None = None) -> dict[str, Any] | None:
    """A mail of mailbot's, from its header fields (the archive's file, or its copy in the
    sent folder), as a `restored` row: Message-ID, kind, ticket, recipients, the
    message it answered, when it went; None when it lacks what names it."""
    try:
        message_id = _bare(_field(headers, "message-id"))
        kind = _field(headers, "x-mailbot-kind").strip()
        rcpt = [a.addr_spec for name in _ADDRESSES for h in headers.get_all(name, []) for a in h.addresses]
        number = _field(headers, "x-mailbot-ticket").strip() or None
        answered = _bare(_field(headers, "in-reply-to")) or None
    except Exception:  # noqa: BLE001 - a header that does not parse names nothing
        return None
    if not message_id or not kind:
        return None
    return {"mailbox": mailbox, "direction": "out", "message_id": message_id, "number": number, "kind": kind,
            "recipients": restored_recipients(rcpt), "in_reply_to": answered, "at": ts(at),
            "archive_path": archive_path}


def _field(headers: Any, name: str) -> str:
    """A header field's text ("" where it is absent or empty)."""
    return str(headers.get(name, "") or "")


def _bare(value: str) -> str:
    """A Message-ID header's id without its angle brackets (the first, where there are more)."""
    match = re.search(r"<([^<>\s]+)>", value)
    return match.group(1) if match else value.strip()
