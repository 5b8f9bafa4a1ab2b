"""`mailbot migrate --to postgresql://...` (issue 47): a unit's SQLite history, every table,
copied into an empty PostgreSQL database with its rows counted; a database that is not
empty refused; the SQLite file left byte for byte as it was; numbers and ids continuing
past the copied ones."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import psycopg
import yaml

from mailbot import cli
from mailbot.core.model import Address, State, Ticket
from mailbot.io import pg_schema, solved
from mailbot.io.store import BLOB_PIECE, Store, ts
from mailbot.rules import load_rules
from tests.reportbook import Book

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _history(path):  # type: ignore[no-untyped-def]
    """A month of a unit, written through the store's own parts."""
    store = Store(path)
    book = Book(store, "btm")
    with store.unit_of_work():
        for n in range(1, 13):
            number = store.next_number("btm", 2026)
            ticket = book.ticket(number, NOW + timedelta(hours=n), "resolved" if n % 3 else "open",
                                 requester=f"user{n}@vendor{n}.test", resolved_at=NOW + timedelta(hours=n + 1))
            book.inbound(ticket, "requester", "ticket_opened", received=NOW + timedelta(hours=n), body=f"Masalah {n}")
            book.outbound(ticket, "requester", "ack", at=NOW + timedelta(hours=n), sent=NOW + timedelta(hours=n))
            book.event(ticket, NOW + timedelta(hours=n), "mailbot", "intake_recorded", problem=f"Masalah {n}")
            store.set_timer("btm", ticket, "first_response", NOW, NOW + timedelta(hours=n), replace=False)
            store.record_arrival(mailbox="btm", uidvalidity=9, uid=n, message_id=f"<m{n}@x>", outcome="ticket",
                                 folder="Processed", at=NOW)
        store.enqueue(mailbox="btm", ticket_id=None, message_id="<big@x>", kind="reply", mail_from="lpse@lpse.test",
                      rcpt=("sari@dinas.test",), raw=b"\x00\xff" * BLOB_PIECE, auto=False, now=NOW)
        store.record_quarantine(mailbox="btm", uid=99, uidvalidity=None, message_id="<q@x>", reason="unreadable",
                                at=NOW, archive_path=None)
        store.remember_solved(solved.row_of(load_rules(None).similar, 1, "btm", "2026-00001", "Akun terkunci", NOW,
                                            ["Akun saya terkunci"], "Akun sudah kami buka."))
        store.insert_ticket(Ticket(id=None, mailbox="tpi", number="2026-00001", state=State.OPEN,
                                   requester=Address("a@vendor.test", "Ani"), subject="Jadwal", created_at=NOW,
                                   updated_at=NOW))
    store.close()


def _config(tmp_path, database):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "database": str(database), "archive_dir": str(tmp_path / "archive"),
        "secret_key_file": str(tmp_path / "secret.key"), "log": {"format": "console", "level": "error"},
        "smtp": {"host": "127.0.0.1", "port": 1, "security": "none"},
        "mailboxes": [{"name": "btm", "address": "lpse@lpse.test", "staff": ["staff1@lpse.test"],
                       "imap": {"host": "127.0.0.1", "port": 1, "security": "none"}}],
    }))
    return path


def _rows(conn, name):  # type: ignore[no-untyped-def]
    """A table's rows in one order, bytes as bytes."""
    columns = [c for c in pg_schema.expected()[name].columns]
    names = ", ".join(f'"{c}"' for c in columns)
    rows = conn.execute(f'select {names} from "{name}" order by {names}').fetchall()
    return [tuple(bytes(v) if isinstance(v, (bytes, memoryview)) else v for v in row) for row in rows]


def test_the_whole_history_is_copied_counted_and_the_sqlite_file_left_as_it_was(tmp_path, pg_cluster, capsys):
    database = tmp_path / "mailbot.db"
    _history(database)
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    url = pg_cluster.database()
    assert cli.main(["--config", str(_config(tmp_path, database)), "migrate", "--to", url]) == 0
    said = capsys.readouterr().out
    assert "tickets: 13 rows" in said and "each table counted on both sides" in said
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    sqlite, target = Store(database, readonly=True), Store(url)
    try:
        for name in pg_schema.expected():
            if name == "meta":
                continue  # the target's own `written_by` is this mailbot's, as the source's is
            assert _rows(target.db, name) == _rows(sqlite.db, name), name
        assert target.meta("schema_version") == sqlite.meta("schema_version")
        with target.unit_of_work():  # numbers and ids go on past the copied ones
            assert target.next_number("btm", 2026) == "2026-00013"
            fresh = target.insert_ticket(Ticket(id=None, mailbox="btm", number="2026-00013", state=State.OPEN,
                                                requester=Address("b@vendor.test", "B"), subject="Baru",
                                                created_at=NOW, updated_at=NOW))
        assert fresh.id == 14
        shown = solved.similar(target, load_rules(None).similar, "btm", "akun terkunci")
        assert [s.case.ticket_id for s in shown] == [1]
        assert target.due_timers("btm", NOW + timedelta(hours=3)) != []
        from mailbot.core.search import fts_query

        assert [t.number for t in target.find_tickets(search=fts_query("masalah 7"))] == \
            [t.number for t in sqlite.find_tickets(search=fts_query("masalah 7"))] == ["2026-00007"]
        assert ts(NOW) == target.db.execute("select min(at) from arrivals").fetchone()[0]
    finally:
        sqlite.close()
        target.close()


def test_a_target_that_is_not_empty_is_refused_and_left_alone(tmp_path, pg_cluster, capsys):
    database = tmp_path / "mailbot.db"
    _history(database)
    url = pg_cluster.database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create table invoices (id integer)")
        conn.execute("insert into invoices values (1)")
    assert cli.main(["--config", str(_config(tmp_path, database)), "migrate", "--to", url]) == 78
    assert "is not empty" in capsys.readouterr().err
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute("select table_name from information_schema.tables "
                                             "where table_schema = 'public'")]
    assert tables == ["invoices"]


def test_a_url_of_another_kind_is_a_usage_error(tmp_path, capsys):
    database = tmp_path / "mailbot.db"
    _history(database)
    assert cli.main(["--config", str(_config(tmp_path, database)), "migrate", "--to",
                     "mysql://u:pw@db/mailbot"]) == 2
    err = capsys.readouterr().err
    assert "not a postgresql:// URL" in err
    assert "pw" not in err.replace("postgresql", "")


def test_backup_of_a_postgresql_store_keeps_the_key_and_archive_and_leaves_the_rows_to_pg_dump(
        tmp_path, pg_cluster, capsys):
    """Issue 47: mailbot's part of a PostgreSQL store's backup is the key and the archive (and
    the counters in the manifest); the rows are pg_dump's; restore into an empty database
    names pg_restore (tests/test_ops_restore_postgresql.py restores one)."""
    import json

    database = tmp_path / "mailbot.db"
    _history(database)
    url = pg_cluster.database()
    assert cli.main(["--config", str(_config(tmp_path, database)), "migrate", "--to", url]) == 0
    config = _config(tmp_path, url)
    (tmp_path / "secret.key").write_text("k" * 64)
    (tmp_path / "archive" / "btm" / "in").mkdir(parents=True)
    (tmp_path / "archive" / "btm" / "in" / "a.eml").write_bytes(b"Subject: x\r\n\r\nisi\r\n")
    capsys.readouterr()
    assert cli.main(["--config", str(config), "backup", str(tmp_path / "bk"), "--archive"]) == 0
    manifest = json.loads((tmp_path / "bk" / "backup.json").read_text())
    assert manifest["counters"] == {"btm/2026": 12}
    assert (tmp_path / "bk" / "secret.key").read_text() == "k" * 64
    assert (tmp_path / "bk" / "archive" / "btm" / "in" / "a.eml").exists()
    assert not (tmp_path / "bk" / "mailbot.db").exists() and "pg_dump" in capsys.readouterr().out
    running = Store(url)
    running.database.join("daemons")  # what every running daemon holds (mailbot.turns)
    try:
        assert cli.main(["--config", str(config), "restore", str(tmp_path / "bk")]) == 78
        assert "daemon is running" in capsys.readouterr().err
    finally:
        running.close()
    empty = _config(tmp_path, pg_cluster.database())  # a new database: the rows are pg_restore's to put back
    assert cli.main(["--config", str(empty), "restore", str(tmp_path / "bk")]) == 78
    assert "pg_restore" in capsys.readouterr().err
