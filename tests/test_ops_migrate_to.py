"""`mailbot migrate --to postgresql://...`: a unit's SQLite history, every table,
copied into an empty PostgreSQL database with its rows counted; a database that is not
empty refused; the SQLite file left byte for byte as it was; numbers and ids continuing
past the copied ones."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import yaml

from mailbot.cli import main as cli
from mailbot.io import pg_schema, solved
from mailbot.io.store import BLOB_PIECE, Store, ts
from mailbot.model import Address, State, Ticket
from mailbot.rules import load_rules
from tests.reportbook import Book

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _history(path):  # type: ignore[no-untyped-def]
    """A month of a unit, written through the store's own parts."""
    store = Store(path)
    book = Book(store, "btm")
    with store.unit_of_work():
        for n in range(1, 13):
            number = store.tickets.next_number("btm", 2026)
            ticket = book.ticket(number, NOW + timedelta(hours=n), "resolved" if n % 3 else "open",
                                 requester=f"user{n}@vendor{n}.test", resolved_at=NOW + timedelta(hours=n + 1))
            book.inbound(ticket, "requester", "ticket_opened", received=NOW + timedelta(hours=n), body=f"Masalah {n}")
            book.outbound(ticket, "requester", "ack", at=NOW + timedelta(hours=n), sent=NOW + timedelta(hours=n))
            book.event(ticket, NOW + timedelta(hours=n), "mailbot", "intake_recorded", problem=f"Masalah {n}")
            store.timers.set_timer("btm", ticket, "first_response", NOW, NOW + timedelta(hours=n), replace=False)
            store.arrivals.record_arrival(mailbox="btm", uidvalidity=9, uid=n, message_id=f"<m{n}@x>", outcome="ticket",
                                          folder="Processed", at=NOW)
        store.outbox.enqueue(mailbox="btm", ticket_id=None, message_id="<big@x>", kind="reply",
                             mail_from="lpse@lpse.test",
                             rcpt=("sari@dinas.test",), raw=b"\x00\xff" * BLOB_PIECE, auto=False, now=NOW)
        store.arrivals.record_quarantine(mailbox="btm", uid=99, uidvalidity=None, message_id="<q@x>",
                                         reason="unreadable",
                                         at=NOW, archive_path=None)
        store.memory.remember_solved(solved.row_of(load_rules(None).similar, 1, "btm", "2026-00001", "Akun terkunci",
                                                   NOW,
                                                   ["Akun saya terkunci"], "Akun sudah kami buka."))
        store.tickets.insert_ticket(Ticket(id=None, mailbox="tpi", number="2026-00001", state=State.OPEN,
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
        assert target.metadata.meta("schema_version") == sqlite.metadata.meta("schema_version")
        with target.unit_of_work():  # numbers and ids go on past the copied ones
            assert target.tickets.next_number("btm", 2026) == "2026-00013"
            fresh = target.tickets.insert_ticket(Ticket(id=None, mailbox="btm", number="2026-00013", state=State.OPEN,
                                                        requester=Address("b@vendor.test", "B"), subject="Baru",
                                                        created_at=NOW, updated_at=NOW))
        assert fresh.id == 14
        shown = solved.similar(target, load_rules(None).similar, "btm", "akun terkunci")
        assert [s.case.ticket_id for s in shown] == [1]
        assert target.timers.due_timers("btm", NOW + timedelta(hours=3)) != []
        from mailbot.core.search_query import fts_query

        assert [t.number for t in target.search.find_tickets(search=fts_query("masalah 7"))] == \
            [t.number for t in sqlite.search.find_tickets(search=fts_query("masalah 7"))] == ["2026-00007"]
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
    """Mailbot's part of a PostgreSQL store's backup is the key and the archive (and
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
    running.database.join("daemons")  # what every running daemon holds (mailbot.daemon.served_mailboxes)
    try:
        assert cli.main(["--config", str(config), "restore", str(tmp_path / "bk")]) == 78
        assert "daemon is running" in capsys.readouterr().err
    finally:
        running.close()
    empty = _config(tmp_path, pg_cluster.database())  # a new database: the rows are pg_restore's to put back
    assert cli.main(["--config", str(empty), "restore", str(tmp_path / "bk")]) == 78
    assert "pg_restore" in capsys.readouterr().err


# --- the role, the password, and why a login fails ------------------------------


def _doc_commands() -> list[str]:
    """The commands docs/operator/several-hosts.md gives to make the role and the database."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "operator" / "several-hosts.md").read_text()
    blocks = re.findall(r"```\n(.*?)```", text, re.DOTALL)
    [block] = [b for b in blocks if "createuser" in b]
    return [line for line in block.splitlines() if line.startswith("sudo -u postgres ")]


def _mailbot(config, *args):  # type: ignore[no-untyped-def]
    """mailbot as an operator runs it, without libpq's own password sources (PGPASSWORD,
    PGPASSFILE, ~/.pgpass): what it logs in with is the config's alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGPASSFILE"] = os.devnull
    return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), *args], env=env,
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def debian_cluster():  # type: ignore[no-untyped-def]
    """A cluster as Debian's package makes it (superuser `postgres`), asking other roles for
    their password (scram-sha-256)."""
    from tests.pgcluster import PgCluster, binaries

    if binaries() is None:
        pytest.skip("PostgreSQL is not installed (/usr/lib/postgresql/*/bin)")
    with PgCluster(passwords=True, superuser="postgres") as cluster:
        yield cluster


@pytest.mark.integration  # starts a PostgreSQL cluster of its own
def test_the_documented_role_and_database_take_a_migration_logged_in_with_the_password_file(
        tmp_path, debian_cluster):
    """The commands several-hosts.md gives (createuser --pwprompt, createdb --owner), run as
    written against a cluster that asks for passwords; then `migrate --to` logs in with the
    config's database_password_file (it needed PGPASSWORD), and `check` finds the database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGHOST="127.0.0.1", PGPORT=str(debian_cluster.port), PGUSER="postgres")
    commands = _doc_commands()
    assert [c.split()[3] for c in commands] == ["createuser", "createdb"]
    for command in commands:
        argv = command.split()[3:]
        argv[0] = str(debian_cluster.bindir / argv[0])
        # no terminal (setsid): createuser --pwprompt reads the password twice from its input
        done = subprocess.run(["setsid", *argv], input="Rahasia-57\nRahasia-57\n", env=env, capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 0, (command, done.stderr)
    database = tmp_path / "mailbot.db"
    _history(database)
    (tmp_path / "db.pw").write_text("Rahasia-57\n")
    config = _config(tmp_path, database)
    data = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**data, "database_password_file": str(tmp_path / "db.pw")}))
    url = f"postgresql://mailbot@127.0.0.1:{debian_cluster.port}/mailbot"
    done = _mailbot(config, "migrate", "--to", url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tickets: 13 rows" in done.stdout
    moved = tmp_path / "moved"
    moved.mkdir()
    config.write_text(yaml.safe_dump({**data, "database": url, "database_password_file": str(tmp_path / "db.pw"),
                                      "archive_dir": str(moved / "archive")}))
    checked = _mailbot(config, "check")
    assert f"database: ok ({url})" in checked.stdout, checked.stdout


@pytest.mark.integration  # starts a PostgreSQL cluster of its own
def test_migrate_to_names_why_it_cannot_log_in(tmp_path, debian_cluster):
    """Each refusal by its cause: no password given, the password refused (77), nothing
    listening (69): not "cannot be reached: fe_sendauth: no password supplied" for all."""
    url = debian_cluster.owned_database("helpdesk_m", "Benar-57")
    database = tmp_path / "mailbot.db"
    _history(database)
    config = _config(tmp_path, database)
    done = _mailbot(config, "migrate", "--to", url)
    assert done.returncode == 77, done.stdout + done.stderr
    assert "refused the login: no password was given (set database_password_file" in done.stderr
    assert "cannot be reached" not in done.stderr
    (tmp_path / "db.pw").write_text("Salah-57\n")
    data = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**data, "database_password_file": str(tmp_path / "db.pw")}))
    done = _mailbot(config, "migrate", "--to", url)
    assert done.returncode == 77, done.stdout + done.stderr
    assert "refused the login: the password was refused" in done.stderr and "Salah-57" not in done.stderr
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    done = _mailbot(config, "migrate", "--to", f"postgresql://helpdesk_m@127.0.0.1:{closed}/mailbot")
    assert done.returncode == 69, done.stdout + done.stderr
    assert "cannot be reached" in done.stderr
