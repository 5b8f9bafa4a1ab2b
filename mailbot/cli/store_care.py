"""The commands that care for the store: `migrate` (to this mailbot's schema, or a SQLite
history copied into PostgreSQL), `backup` and `restore` (the database, the key and the
archive), and `audit` (do the mailbox folders, the archive and the records agree?)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailbot.errors import LoginRefusedError, MissingFolderError, TransientError, UnreachableError
from mailbot.exit_codes import EX_CONFIG, EX_FOUND, EX_OK, EX_UNAVAILABLE, EX_USAGE
from mailbot.io.terminal import as_json, say

if TYPE_CHECKING:
    from mailbot.daemon.mailbox_audit import Auditor
    from mailbot.settings import Config, MailboxConfig


def _copy_to(cfg: Config, url: str) -> int:
    """`migrate --to URL`: the SQLite history into an empty PostgreSQL database, counted."""
    from mailbot.io.engine_copy import copy_to
    from mailbot.io.store.postgres import display

    if not url.lower().startswith(("postgresql://", "postgres://")):
        say(f"mailbot: migrate --to: {display(url)} is not a postgresql:// URL", file=sys.stderr)
        return EX_USAGE
    if cfg.database_url:
        say("mailbot: migrate --to: the configured database is PostgreSQL already; --to copies a SQLite file",
            file=sys.stderr)
        return EX_USAGE
    password = cfg.database_password.value if cfg.database_password else None  # as `run` logs in
    counted = copy_to(cfg.database, "postgresql://" + url.split("://", 1)[1], password)
    for name, rows in counted.items():
        say(f"{name}: {rows} rows")
    say(f"database {cfg.database} copied to {display(url)}: {sum(counted.values())} rows, each table counted on "
        "both sides; the SQLite file is unchanged. Set database: to the URL (and database_password_file) to use it.")
    return EX_OK


def cmd_migrate(cfg: Config, args: argparse.Namespace) -> int:
    """`mailbot migrate`: bring the database to this mailbot's schema and shape, after a
    backup beside it, as the daemon's start does; says what it did."""
    from mailbot.io.migrations import SCHEMA_VERSION
    from mailbot.io.store import Store

    if getattr(args, "to", None):
        return _copy_to(cfg, args.to)
    where = cfg.store_location
    if not cfg.database_url and not cfg.database.exists():
        say(f"database {where}: none yet; the daemon's start creates it")
        return EX_OK
    store = Store.of(cfg)
    try:
        for mended in store.mended:
            say(f"database {where}: {mended}")
        if store.migrated_from is None:
            say(f"database {where}: schema {SCHEMA_VERSION}, already this mailbot's; nothing to do")
        else:
            version, backup = store.migrated_from
            say(f"database {where}: schema {version} -> {SCHEMA_VERSION}; the database as it was: {backup}")
    finally:
        store.close()
    return EX_OK


def cmd_backup(cfg: Config, args: argparse.Namespace) -> int:
    """`mailbot backup DEST [--archive]`: safe while the daemon runs (SQLite's online backup)."""
    from mailbot.io import backup

    print(as_json(backup.take(cfg, args.dest, with_archive=args.archive, now=datetime.now(UTC)), indent=2))
    return EX_OK


def cmd_restore(cfg: Config, args: argparse.Namespace) -> int:
    """`mailbot restore SRC`: refused while a daemon runs on the database; what came after
    the backup is made good by the daemon's first pass (`mailbot.daemon.recovery`)."""
    from mailbot.io import backup

    print(as_json(backup.restore(cfg, args.src, now=datetime.now(UTC)), indent=2))
    return EX_OK


def cmd_audit(cfg: Config, args: argparse.Namespace) -> int:
    """One line per finding on standard output; exit 0 when everything agrees, 1 when not."""
    from mailbot.daemon.mailbox_audit import Auditor
    from mailbot.daemon.main_thread import MainThread
    from mailbot.daemon.main_thread_store import MainThreadStore
    from mailbot.io.logs import get as get_log
    from mailbot.io.store import Store

    store = Store.of(cfg)
    auditor = Auditor(cfg, MainThreadStore(store, MainThread()), lambda: datetime.now(UTC), get_log())
    try:
        found = sum(_audit_mailbox(auditor, box, args) for box in cfg.mailboxes
                    if not args.mailbox or box.name == args.mailbox)
    except (LoginRefusedError, UnreachableError):
        raise  # 77, 69 as for every command
    except MissingFolderError as exc:  # imap.folder names no folder: the config's to mend
        say(f"mailbot: configuration error: {exc}", file=sys.stderr)
        return EX_CONFIG
    except TransientError as exc:  # the server failed during the audit
        say(f"mailbot: {exc}", file=sys.stderr)
        return EX_UNAVAILABLE
    finally:
        store.close()
    if found and args.repair:
        say(f"mailbot: {found} finding(s); unrecorded messages are back in the INBOX for the next pass",
            file=sys.stderr)
    return EX_FOUND if found else EX_OK


def _audit_mailbox(auditor: Auditor, box: MailboxConfig, args: argparse.Namespace) -> int:
    """One mailbox audited on a session of its own, each finding a line: how many there were."""
    from mailbot.io import imap

    with imap.Mailbox(box.imap) as session:
        findings = auditor.mailbox(box, session, repair=args.repair, full=args.full)
    for finding in findings:
        say(f"{box.name}: {finding.line()}")
    return len(findings)
