"""Backup and restore as a procedure.

`mailbot backup DEST` copies the database with SQLite's online backup while a writer keeps
committing (every copy consistent: its counter equals its tickets), the key and, with
`--archive`, the archive. `mailbot restore SRC` puts it back with the daemon stopped, and
numbers continue past every number issued after the backup: those the replaced database
counted and those the archived mail names (a restore re-issued 2026-00019 to a
second requester).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from test_ops_schema import config

from mailbot.cli import main as cli
from mailbot.io.locks import sender_lock_if_free
from mailbot.io.migrations import SCHEMA_VERSION
from mailbot.io.store import Store


def issue(db: Path, count: int) -> None:
    """`count` tickets of mailbox t, each numbered by the counter in the same transaction."""
    store = Store(db)
    for _ in range(count):
        with store.unit_of_work():
            number = store.tickets.next_number("t", 2026)
            store.db.conn.execute("insert into tickets (mailbox, number, state, requester, created_at, updated_at) "
                                  "values ('t', ?, 'open', 'a@x.test', '2026-11-02T01:00:00Z', "
                                  "'2026-11-02T01:00:00Z')", [number])
    store.close()


def next_number(db: Path) -> str:
    store = Store(db)
    try:
        return store.tickets.next_number("t", 2026)
    finally:
        store.close()


def test_backups_taken_while_tickets_are_written_are_each_consistent(tmp_path, capsys):
    path = config(tmp_path)
    db = tmp_path / "mailbot.db"
    issue(db, 1)
    stop = threading.Event()

    def writer() -> None:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("PRAGMA wal_autocheckpoint=0")  # the rows stay in the -wal, as between checkpoints
        n = 1
        while not stop.is_set() and n < 3000:
            n += 1
            conn.execute("begin immediate")
            conn.execute("update counters set last = ? where mailbox = 't' and year = 2026", [n])
            conn.execute("insert into tickets (mailbox, number, state, requester, created_at, updated_at) values "
                         "('t', ?, 'open', 'a@x.test', '2026-11-02T01:00:00Z', '2026-11-02T01:00:00Z')",
                         [f"2026-{n:05d}"])
            conn.execute("commit")
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    seen = []
    try:
        for i in range(5):
            assert cli.main(["--config", str(path), "backup", str(tmp_path / f"b{i}")]) == 0
            copy = sqlite3.connect(tmp_path / f"b{i}" / "mailbot.db")
            last = copy.execute("select last from counters").fetchone()[0]
            tickets = copy.execute("select count(*), max(number) from tickets").fetchone()
            copy.close()
            assert tickets == (last, f"2026-{last:05d}")
            seen.append(last)
    finally:
        stop.set()
        thread.join()
    out = capsys.readouterr().out
    assert '"schema"' in out
    assert seen == sorted(seen) and seen[-1] > 1, seen
    manifest = json.loads((tmp_path / "b4" / "backup.json").read_text())
    assert manifest["counters"] == {"t/2026": seen[-1]} and manifest["schema"] == SCHEMA_VERSION


def test_a_backup_into_a_folder_that_holds_files_is_refused(tmp_path, capsys):
    path = config(tmp_path)
    issue(tmp_path / "mailbot.db", 1)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    assert cli.main(["--config", str(path), "backup", str(tmp_path / "full")]) == 78
    assert "not empty" in capsys.readouterr().err


def archived_ack(archive: Path, number: str) -> None:
    """An ack mailbot sent and archived after the backup, naming its ticket in the tag."""
    folder = archive / "t" / "out" / "2026" / "11"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{number}.eml").write_bytes(
        f"From: lpse@lpse.test\r\nTo: a@x.test\r\nSubject: =?utf-8?q?Tiket_diterima_=5BLPSE-T_=23{number}=5D?=\r\n"
        f"Message-ID: <{number}@lpse.test>\r\n\r\nNomor tiket {number}\r\n".encode())


def test_restore_continues_past_the_numbers_the_replaced_database_issued(tmp_path, capsys):
    path = config(tmp_path)
    db = tmp_path / "mailbot.db"
    issue(db, 3)
    assert cli.main(["--config", str(path), "backup", str(tmp_path / "b"), "--archive"]) == 0
    issue(db, 2)  # 2026-00004 and -00005 reach requesters after the backup
    assert cli.main(["--config", str(path), "restore", str(tmp_path / "b")]) == 0
    assert "t 2026: 3 -> 5" in capsys.readouterr().out
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from tickets").fetchone() == (3,)  # the backup's state
    assert next_number(db) == "2026-00006"
    kept = list(tmp_path.glob("mailbot.db.before-restore-*.bak"))
    assert len(kept) == 1
    with sqlite3.connect(kept[0]) as conn:
        assert conn.execute("select count(*) from tickets").fetchone() == (5,)


def test_restore_after_the_database_was_lost_continues_past_the_archive(tmp_path, capsys):
    """The disk with the database is gone; the archive (on its own disk, or its backup)
    holds the acks of 2026-00004..7: the restored counters go past them."""
    path = config(tmp_path)
    db = tmp_path / "mailbot.db"
    issue(db, 3)
    assert cli.main(["--config", str(path), "backup", str(tmp_path / "b")]) == 0
    for n in (4, 7, 5):
        archived_ack(tmp_path / "archive", f"2026-{n:05d}")
    for name in ("mailbot.db", "mailbot.db-wal", "mailbot.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    assert cli.main(["--config", str(path), "restore", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "t 2026: 3 -> 7" in out, out
    assert next_number(db) == "2026-00008"


def test_restore_brings_back_the_key_and_the_missing_archive(tmp_path, capsys):
    path = config(tmp_path)
    db = tmp_path / "mailbot.db"
    issue(db, 1)
    (tmp_path / "secret.key").write_text("k" * 64 + "\n")
    archived_ack(tmp_path / "archive", "2026-00001")
    assert cli.main(["--config", str(path), "backup", str(tmp_path / "b"), "--archive"]) == 0
    assert (tmp_path / "b" / "secret.key").stat().st_mode & 0o777 == 0o600
    shutil.rmtree(tmp_path / "archive")
    (tmp_path / "secret.key").unlink()
    assert cli.main(["--config", str(path), "restore", str(tmp_path / "b")]) == 0
    assert (tmp_path / "secret.key").read_text() == "k" * 64 + "\n"
    assert (tmp_path / "archive" / "t" / "out" / "2026" / "11" / "2026-00001.eml").exists()


def test_restore_is_refused_while_a_daemon_runs(tmp_path, capsys):
    path = config(tmp_path)
    db = tmp_path / "mailbot.db"
    issue(db, 2)
    assert cli.main(["--config", str(path), "backup", str(tmp_path / "b")]) == 0
    issue(db, 1)
    with sender_lock_if_free(db) as free:  # as the running daemon's sender holds it
        assert free
        assert cli.main(["--config", str(path), "restore", str(tmp_path / "b")]) == 78
    assert "stop it first" in capsys.readouterr().err
    assert next_number(db) == "2026-00004"  # untouched


def archived_mail(archive: Path, name: str, headers: str) -> Path:
    """A mail of mailbot's as the sender archives it once it is done with (MAILBOX/out/YYYY/MM)."""
    folder = archive / "t" / "out" / "2026" / "11"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.eml"
    path.write_bytes(headers.replace("\n", "\r\n").encode() + b"\r\nIsi\r\n")
    return path


def test_restore_reads_the_ack_sent_after_the_backup_and_the_request_keeps_its_number(tmp_path, capsys):
    """The database lost, the archive kept: the ack of 2026-00004 (its tag, In-Reply-To the
    request's Message-ID) tells which number the request got, and an ack of that ticket to
    that requester made again is taken for the one sent (once)."""
    path = config(tmp_path)
    db = tmp_path / "mailbot.db"
    issue(db, 3)
    assert cli.main(["--config", str(path), "backup", str(tmp_path / "b")]) == 0
    archived_mail(tmp_path / "archive", "ack4", (
        "From: Helpdesk <lpse@lpse.test>\nTo: Budi <Budi@Vendor.test>\n"
        "Subject: =?utf-8?q?Tiket_diterima_=5BLPSE-T_=232026-00004=5D?=\n"
        "Message-ID: <mb.t.2026-00004.ack.ar.0123456789.abcdefghijklmnop@lpse.test>\n"
        "In-Reply-To: <request-4@vendor.test>\nX-Mailbot-Kind: ack\nX-Mailbot-Ticket: 2026-00004\n"))
    for name in ("mailbot.db", "mailbot.db-wal", "mailbot.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    capsys.readouterr()
    assert cli.main(["--config", str(path), "restore", str(tmp_path / "b")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sent_after_backup"] == 1 and out["replaced_database_read"] is False
    store = Store(db)
    try:
        assert store.restored.restored_number("t", "request-4@vendor.test") == "2026-00004"
        assert store.restored.restored_number("t", "request-5@vendor.test") is None
        now = datetime.now(UTC)
        prior = store.restored.claim_restored("t", "2026-00004", "ack", ["budi@vendor.test"], now,
                                              now - timedelta(days=1))
        assert prior is not None
        assert prior["message_id"] == "mb.t.2026-00004.ack.ar.0123456789.abcdefghijklmnop@lpse.test"
        assert prior["archive_path"] == "t/out/2026/11/ack4.eml"
        assert store.restored.claim_restored("t", "2026-00004", "ack", ["budi@vendor.test"], now,
                                             now - timedelta(days=1)) is None
        assert store.metadata.meta("restore_recovery:t") is not None  # the daemon's first pass recovers the mailbox
    finally:
        store.close()


def test_restore_marks_sent_the_queued_mail_that_went_out_after_the_backup(tmp_path, capsys):
    """A mail still queued when the backup was taken and sent after it (the replaced database
    says so) is not sent again; one the replaced database still had queued stays queued."""
    path = config(tmp_path)
    db = tmp_path / "mailbot.db"
    issue(db, 1)
    store = Store(db)
    now = datetime.now(UTC)
    with store.unit_of_work():
        for mid in ("went@lpse.test", "waits@lpse.test"):
            store.outbox.enqueue(mailbox="t", ticket_id=1, message_id=mid, kind="ack", mail_from="lpse@lpse.test",
                                 rcpt=("a@x.test",), raw=b"Subject: x\r\n\r\nx\r\n", auto=True, now=now)
    store.close()
    assert cli.main(["--config", str(path), "backup", str(tmp_path / "b")]) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("update outbox set status = 'sent', sent_at = '2026-11-24T01:00:00.000000Z', "
                     "rcpt_done = '[\"a@x.test\"]' where message_id = 'went@lpse.test'")
    conn.close()
    capsys.readouterr()
    assert cli.main(["--config", str(path), "restore", str(tmp_path / "b")]) == 0
    assert json.loads(capsys.readouterr().out)["queued_mail_sent_after_backup"] == 1
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("select message_id, status from outbox").fetchall())
    conn.close()
    assert rows == {"went@lpse.test": "sent", "waits@lpse.test": "pending"}
