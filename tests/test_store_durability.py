"""The one mail in 20,000: a group commit's commits stay visible to every other
process, whatever an operator's `sqlite3` shell does meanwhile.

The cause was mailbot's own: `Database.sync` fsynced the database and its log through file
descriptors of its own, and closing them dropped the process's POSIX locks on the file,
SQLite's included. The next reader to close (an operator's `select count(*)`) took itself
for the last connection, checkpointed, and deleted the -wal and -shm files; mailbot's
later commits went into the deleted log, seen by mailbot alone, and were lost when another
connection was open as mailbot closed.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from mailbot.io.store import Store

READ = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(*c.execute(sys.argv[2]).fetchone()); c.close()"
HOLD = ("import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); c.execute('select 1').fetchone(); "
        "print('open', flush=True); sys.stdin.readline(); c.close()")


def other_process_reads(db: Path, sql: str) -> str:
    """What a separate process (an operator's shell) reads, connecting and closing: the first
    row's values, separated by spaces."""
    return subprocess.run([sys.executable, "-c", READ, str(db), sql], capture_output=True, text=True,
                          check=True, timeout=30).stdout.strip()


def test_commits_after_a_group_commit_stay_visible_to_other_processes(tmp_path):
    db = tmp_path / "mailbot.db"
    store = Store(db)
    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    with store.group_commit(), store.unit_of_work():
        store.metadata.set_meta("first", "1")
    assert other_process_reads(db, "select value from meta where key = 'first'") == "1"  # the reader closes
    with store.group_commit(), store.unit_of_work():
        store.metadata.set_meta("second", "2")
        store.history.add_event("t", None, now, "mailbot", "probe")
    assert Path(str(db) + "-wal").exists()  # the log the commits are in is the one on disk
    assert other_process_reads(db, "select value from meta where key = 'second'") == "2"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        store.close()  # another connection is open: mailbot's close checkpoints nothing
    finally:
        holder.communicate("\n", timeout=30)
    assert other_process_reads(db, "select count(*) from meta where key in ('first', 'second')") == "2"
    assert other_process_reads(db, "select count(*) from events where kind = 'probe'") == "1"


def test_a_batch_copies_its_log_into_the_database_once_at_its_end_not_every_thousand_pages(tmp_path):
    """A checkpoint under `synchronous=NORMAL` syncs the database file: left to SQLite's own
    rule (every commit past 1,000 pages of log), every 14th message of a batch waited for one.
    Inside the batch the database file is not touched; at its end the log is copied back whole."""
    db = tmp_path / "mailbot.db"
    store = Store(db)
    wal = Path(str(db) + "-wal")
    before = db.read_bytes()
    with store.group_commit():
        for i in range(700):  # two or three pages a unit: past 1,000 pages of log
            with store.unit_of_work():
                store.metadata.set_meta(f"key-{i}", "x" * 6000)
        assert wal.stat().st_size > 1000 * 4096
        assert db.read_bytes() == before  # no unit's commit checkpointed
    assert db.read_bytes() != before
    # every page of the log is in the database file now: nothing left for a checkpoint to copy
    busy, in_log, copied = (int(v) for v in other_process_reads(db, "pragma wal_checkpoint(passive)").split())
    assert busy == 0 and in_log == copied
    assert other_process_reads(db, "select count(*) from meta where key like 'key-%'") == "700"
    store.close()


def test_a_batch_of_large_mail_keeps_its_log_within_bounds(tmp_path):
    """Forwards with large attachments put their bytes in the outbox: a batch of them must not
    grow the log (whose file keeps its largest size) by everything the batch wrote."""
    db = tmp_path / "mailbot.db"
    store = Store(db)
    wal = Path(str(db) + "-wal")
    largest = 0
    with store.group_commit():
        for i in range(48):  # 96 MB in all, 2 MB a unit
            with store.unit_of_work():
                store.metadata.set_meta(f"big-{i}", str(i % 10) * (2 << 20))
            largest = max(largest, wal.stat().st_size)
    assert largest < 80 << 20
    assert other_process_reads(db, "select count(*) from meta where key like 'big-%'") == "48"
    store.close()


def test_the_senders_marks_leave_copying_the_log_back_to_the_daemons_commits(tmp_path):
    """A connection that commits under NORMAL (the sender process's marks) no longer copies the
    log back into the database file every 1,000 pages, syncing that file each time: the
    daemon's commits do, and its own `sync` makes its marks durable without copying."""
    db = tmp_path / "mailbot.db"
    daemon = Store(db)
    sender = Store(db, synchronous="NORMAL", migrate=False)
    wal = Path(str(db) + "-wal")
    with daemon.unit_of_work():
        daemon.metadata.set_meta("start", "1")
    daemon.database.sync()
    before = db.read_bytes()
    for i in range(700):  # two or three pages a commit: past 1,000 pages of log
        with sender.unit_of_work():
            sender.metadata.set_meta(f"mark-{i}", "x" * 6000)
    sender.database.sync()
    assert wal.stat().st_size > 1000 * 4096
    assert db.read_bytes() == before  # no commit of the sender's copied the log back
    assert other_process_reads(db, "select count(*) from meta where key like 'mark-%'") == "700"
    with daemon.unit_of_work():  # the daemon's next commit finds the log past 1,000 pages
        daemon.metadata.set_meta("next", "1")
    assert db.read_bytes() != before
    busy, in_log, copied = (int(v) for v in other_process_reads(db, "pragma wal_checkpoint(passive)").split())
    assert busy == 0 and in_log == copied
    sender.close()
    daemon.close()
