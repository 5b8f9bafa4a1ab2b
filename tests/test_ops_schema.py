"""Day two: a database of another mailbot version. An older one is migrated by the daemon's
start, not by `check` (an older daemon may still be running on it); a newer one stops every
command with exit 78, which systemd does not restart into."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils
import yaml

from mailbot.cli import main as cli
from mailbot.io.migrations import MIGRATIONS, SCHEMA_VERSION
from mailbot.io.store import Store


def config(tmp_path: Path) -> Path:
    data = {"database": str(tmp_path / "mailbot.db"), "secret_key_file": str(tmp_path / "secret.key"),
            "archive_dir": str(tmp_path / "archive"),
            "smtp": {"host": "127.0.0.1", "port": 9, "security": "none"},
            "mailboxes": [{"name": "t", "address": "lpse@lpse.test", "tag_prefix": "LPSE-T", "staff": ["s@lpse.test"],
                           "imap": {"host": "127.0.0.1", "port": 9, "security": "none", "username": "lpse",
                                    "password": "x"}}]}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def schema(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("select value from meta where key = 'schema_version'").fetchone()[0])


def test_a_newer_database_stops_every_command_with_78(tmp_path, capsys):
    path = config(tmp_path)
    Store(tmp_path / "mailbot.db").close()
    with sqlite3.connect(tmp_path / "mailbot.db") as conn:
        conn.execute("update meta set value = ? where key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    for command in (["tickets"], ["run", "--once"], ["check"]):
        assert cli.main(["--config", str(path), *command]) == 78, command
        said = capsys.readouterr()
        assert f"newer than this mailbot ({SCHEMA_VERSION})" in said.out + said.err


def test_check_leaves_an_older_database_to_the_daemons_start(tmp_path, capsys):
    path = config(tmp_path)
    old = SCHEMA_VERSION - 1
    db = sqlite_utils.Database(tmp_path / "mailbot.db")
    for version in range(old):
        MIGRATIONS[version](db)
    db.table("meta").upsert({"key": "schema_version", "value": str(old)}, pk="key")
    db.conn.commit()  # as Store commits each migration: _v11's executemany opened a transaction
    db.close()
    cli.main(["--config", str(path), "check"])  # the servers are not there: only the database matters here
    assert schema(tmp_path / "mailbot.db") == old
    Store(tmp_path / "mailbot.db").close()
    assert schema(tmp_path / "mailbot.db") == SCHEMA_VERSION


def older_database(tmp_path: Path) -> Path:
    """A database one schema older than this mailbot's, with a ticket, as the last version
    made it (as an older daemon still running on it would have it)."""
    path = tmp_path / "mailbot.db"
    old = SCHEMA_VERSION - 1
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA journal_mode=WAL")  # as every mailbot made it
    for version in range(old):
        MIGRATIONS[version](db)
    db.table("meta").upsert({"key": "schema_version", "value": str(old)}, pk="key")
    db.execute("insert into tickets (mailbox, number, state, requester, created_at, updated_at) values "
               "('t', '2026-00001', 'open', 'a@x.test', '2026-11-02T01:00:00.000000Z', '2026-11-02T01:00:00.000000Z')")
    db.conn.commit()  # as Store commits each migration: _v11's executemany opened a transaction
    db.close()
    return path


def snapshot(db: Path) -> tuple[bytes, bytes]:
    """What the database holds, byte for byte: its file and its write-ahead log (none and
    empty alike: a reader left open until its process ends leaves an empty one; the -shm
    beside them is an index of the log, not data)."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes(), wal.read_bytes() if wal.exists() else b""


def test_commands_other_than_the_daemon_never_migrate_and_say_what_to_start(tmp_path, capsys):
    """A new `mailbot tickets` beside an older daemon migrated its database under it.
    Now every command but `run` and `migrate` leaves an older database byte for byte as it
    is, exits 78 and says what migrates it."""
    path = config(tmp_path)
    db = older_database(tmp_path)
    before = snapshot(db)
    eml = tmp_path / "m.eml"
    eml.write_bytes(b"From: a@x.test\r\nTo: lpse@lpse.test\r\nSubject: x\r\nMessage-ID: <m1@x.test>\r\n\r\nhi\r\n")
    for command in (["tickets"], ["tickets", "--overdue"], ["ticket", "2026-00001"],
                    ["report", "rekap", "--month", "2026-11"], ["report", "summary", "--month", "2026-11"],
                    ["sweep"], ["replay", str(eml)]):
        assert cli.main(["--config", str(path), *command]) == 78, command
        err = capsys.readouterr().err
        assert f"schema {SCHEMA_VERSION - 1}" in err and "'mailbot migrate'" in err, (command, err)
        assert snapshot(db) == before, command
    assert list(tmp_path.glob("mailbot.db.*.bak")) == []


def test_read_commands_write_nothing_to_a_current_database(tmp_path, capsys):
    path = config(tmp_path)
    Store(tmp_path / "mailbot.db").close()
    before = snapshot(tmp_path / "mailbot.db")
    for command in (["tickets"], ["tickets", "--overdue"], ["report", "rekap", "--month", "2026-11"]):
        assert cli.main(["--config", str(path), *command]) == 0, command
        assert snapshot(tmp_path / "mailbot.db") == before, command


def test_migrate_takes_a_backup_first_then_migrates(tmp_path, capsys):
    path = config(tmp_path)
    db = older_database(tmp_path)
    assert cli.main(["--config", str(path), "migrate"]) == 0
    out = capsys.readouterr().out
    assert schema(db) == SCHEMA_VERSION
    backups = list(tmp_path.glob("mailbot.db.schema*.bak"))
    assert len(backups) == 1 and f"schema {SCHEMA_VERSION - 1} -> {SCHEMA_VERSION}" in out and str(backups[0]) in out
    assert schema(backups[0]) == SCHEMA_VERSION - 1
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("select number from tickets").fetchall() == [("2026-00001",)]
    assert backups[0].stat().st_mode & 0o777 == 0o600
    assert cli.main(["--config", str(path), "migrate"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert cli.main(["--config", str(path), "tickets"]) == 0
    assert "2026-00001" in capsys.readouterr().out


def test_the_daemon_migrates_after_a_backup(tmp_path, capsys):
    """`run` (here `run --once`; its servers are not there) migrates at start, backup first."""
    path = config(tmp_path)
    db = older_database(tmp_path)
    cli.main(["--config", str(path), "run", "--once"])
    assert schema(db) == SCHEMA_VERSION
    backups = list(tmp_path.glob("mailbot.db.schema*.bak"))
    assert len(backups) == 1 and schema(backups[0]) == SCHEMA_VERSION - 1
