"""Upgrades from three landed states to today.

The databases have the schemas the landed commits made (4ecd155 of 2026-11-21, schema 2;
aceb61d of 2026-11-22 09:56, a schema 3 that made less than today's schema 3; f1ab2fc of
2026-11-22 12:41, schema 5): those of the databases these commits' own mailbots wrote
(tests/data/upgrade/, see its README.md), emptied, then filled with rows through their
own columns. Where this clone has the commits, their migrations read from git make the
same shape (the fixtures are what they say). Today's mailbot opens each: every row kept,
and the shape (tables, columns, indexes) equal to a fresh database's.
"""

from __future__ import annotations

import ast
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils
from test_ops_schema import config

from mailbot.cli import main as cli
from mailbot.io import schema
from mailbot.io.migrations import SCHEMA_VERSION
from mailbot.io.store import Store

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "upgrade"

# commit -> where its store module lived, and the schema number it wrote
LANDED = {"4ecd155": ("mailbot/store.py", 2), "aceb61d": ("mailbot/store.py", 3),
          "f1ab2fc": ("mailbot/io/store.py", 5)}


def old_migrations(commit: str) -> list[Callable[[sqlite_utils.Database], None]]:
    """The migration functions of `commit`'s store module (only those and the constants they
    use: the module's other imports are of modules that moved since)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs this project's git history")
    path, _ = LANDED[commit]
    done = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:{path}"], capture_output=True, text=True,
                          timeout=60, check=False)
    if done.returncode != 0:
        pytest.skip(f"commit {commit} is not in this clone's history (a shallow clone?)")
    tree = ast.parse(done.stdout)
    kept = [node for node in tree.body
            if (isinstance(node, ast.FunctionDef) and node.name.startswith("_v"))
            or (isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.startswith("_")
                                                     for t in node.targets))
            or (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and node.target.id == "MIGRATIONS")]
    namespace: dict[str, object] = {"sqlite_utils": sqlite_utils}
    exec(compile(ast.Module(body=kept, type_ignores=[]), f"{commit}:{path}", "exec",  # noqa: S102
                 flags=__import__("__future__").annotations.compiler_flag, dont_inherit=True), namespace)
    migrations = namespace["MIGRATIONS"]
    assert isinstance(migrations, tuple)
    return list(migrations)


def old_schema(commit: str, path: Path) -> None:
    """An empty database of `commit`'s schema: the database its mailbot wrote, every row but
    the schema number deleted."""
    conn = sqlite3.connect(path)
    conn.executescript((DATA / f"{commit}.sql").read_text())
    for (table,) in conn.execute("select name from sqlite_master where type = 'table' and name != 'meta'").fetchall():
        conn.execute(f'delete from "{table}"')
    conn.execute("delete from meta where key != 'schema_version'")
    conn.commit()
    conn.close()


def old_database(commit: str, path: Path) -> None:
    """A database of `commit`'s schema, with rows: an escalated ticket with its messages,
    history, timer, counter, outbox mail and IMAP state."""
    old_schema(commit, path)
    db = sqlite_utils.Database(path)
    assert db.execute("select value from meta where key = 'schema_version'").fetchone() == (str(LANDED[commit][1]),)
    at = "2026-11-20T02:00:00.000000Z"
    db.execute("insert into counters (mailbox, year, last) values ('unit', 2026, 19)")
    db.execute("insert into tickets (id, mailbox, number, state, requester, requester_name, subject, category, "
               "priority, language, created_at, updated_at, lkpp_ticket) values (1, 'unit', '2026-00019', "
               "'escalated', 'budi@penyedia.test', 'Budi', 'Lupa password SPSE', 'Pertanyaan', 'normal', 'id', ?, ?, "
               "'LKPP-123456')", [at, at])
    db.execute("insert into participants (ticket_id, address) values (1, 'budi@penyedia.test')")
    db.execute("insert into messages (mailbox, message_id, direction, role, ticket_id, kind, sender, recipients, "
               "subject, at, size, attachments) values ('unit', '<esc-1@lpse.test>', 'out', 'lkpp', 1, 'escalation', "
               "'lpse@lpse.test', '[\"helpdesk@lkpp.test\"]', 'Eskalasi', ?, 100, 0)", [at])
    db.execute("insert into events (mailbox, ticket_id, at, actor, kind, detail) values ('unit', 1, ?, 'bot', "
               "'escalated', '{}')", [at])
    db.execute("insert into timers (mailbox, ticket_id, kind, started_at, due_at, step, active) values ('unit', 1, "
               "'lkpp_status', ?, '2026-11-23T02:00:00.000000Z', 0, 1)", [at])
    db.execute("insert into outbox (mailbox, ticket_id, message_id, kind, mail_from, rcpt, raw, created_at, status) "
               "values ('unit', 1, '<esc-1@lpse.test>', 'escalation', 'lpse@lpse.test', '[\"helpdesk@lkpp.test\"]', "
               "x'00', ?, 'sent')", [at])
    db.execute("insert into imap_state (mailbox, folder, uidvalidity, last_uid, updated_at) values ('unit', 'INBOX', "
               "7, 42, ?)", [at])
    db.close()


def shape(path: Path) -> dict[str, tuple[dict[str, schema.Column], dict[str, str]]]:
    """Tables with their columns and indexes (the CREATE TABLE text aside: ALTER rewrites it)."""
    conn = sqlite3.connect(path)
    try:
        return {name: (table.columns, table.indexes) for name, table in schema.read(conn).items()}
    finally:
        conn.close()


@pytest.mark.parametrize("commit", sorted(LANDED))
def test_the_fixtures_schema_is_the_one_the_commits_migrations_make(commit, tmp_path):
    made = tmp_path / "made.db"
    db = sqlite_utils.Database(made)
    for number, migration in enumerate(old_migrations(commit), start=1):
        migration(db)
        db.table("meta").upsert({"key": "schema_version", "value": str(number)}, pk="key")
    db.close()
    fixture = tmp_path / "fixture.db"
    old_schema(commit, fixture)
    assert shape(fixture) == shape(made)
    versions = [sqlite3.connect(p).execute("select value from meta where key = 'schema_version'").fetchone()
                for p in (fixture, made)]
    assert versions == [(str(LANDED[commit][1]),)] * 2


@pytest.mark.parametrize("commit", sorted(LANDED))
def test_a_database_of_a_landed_state_opens_with_every_row_and_todays_shape(commit, tmp_path):
    old = tmp_path / "old.db"
    old_database(commit, old)
    store = Store(old)
    assert store.versions.schema_version() == SCHEMA_VERSION
    ticket = store.tickets.ticket_by_number("unit", "2026-00019")
    assert ticket is not None and (ticket.requester.addr, ticket.lkpp_ticket) == ("budi@penyedia.test", "LKPP-123456")
    assert ticket.state.value == "escalated"
    assert store.tickets.ticket_by_lkpp("unit", "LKPP-123456") is not None
    assert [e["kind"] for e in store.history.events_of(ticket.id)] == ["escalated"]
    assert store.messages.tickets_citing("unit", ("<esc-1@lpse.test>",)) == [ticket.id]
    due = store.timers.due_timers("unit", datetime(2026, 11, 24, tzinfo=UTC))
    assert [(t.kind, t.ticket_id) for t in due] == [("lkpp_status", ticket.id)]
    store.close()
    fresh = tmp_path / "fresh.db"
    Store(fresh).close()
    assert shape(old) == shape(fresh)


def test_the_drift_of_aceb61d_is_named_and_mended(tmp_path, capsys):
    """aceb61d's schema 3 lacks two columns today's schema 3 has: found by shape, named by
    `check` (which leaves the database as it is), added at the daemon's start."""
    old = tmp_path / "mailbot.db"
    old_database("aceb61d", old)
    cli.main(["--config", str(config(tmp_path)), "check"])  # no servers: only the database lines matter
    out = capsys.readouterr().out
    assert f"database: schema 3, older than this mailbot's ({SCHEMA_VERSION})" in out, out
    assert "database: note: column quarantine.content_hash is missing" in out, out
    store = Store(old, readonly=True, inspect=True)
    assert sorted(str(d) for d in store.versions.differences()) == ["column outbox.slot_at is missing",
                                                             "column quarantine.content_hash is missing"]
    store.close()
    store = Store(old)
    assert store.versions.differences() == []
    assert sorted(store.mended) == ["column outbox.slot_at is missing (schema 3): added",
                                    "column quarantine.content_hash is missing (schema 3): added"]
    store.close()


def test_a_shape_that_cannot_be_mended_is_refused_by_name(tmp_path, capsys):
    """A column of another type under the same schema number: no guess, exit 78 naming it."""
    path = tmp_path / "mailbot.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("alter table tickets drop column rating")
        conn.execute("alter table tickets add column rating TEXT")
    cfg = config(tmp_path)
    for command in (["run", "--once"], ["tickets"]):
        assert cli.main(["--config", str(cfg), *command]) == 78
        err = capsys.readouterr().err
        assert "column tickets.rating is TEXT, expected INTEGER" in err, err
    assert cli.main(["--config", str(cfg), "check"]) != 0
    out = capsys.readouterr().out
    assert "database: FAILED" in out and "tickets.rating" in out, out


def test_a_missing_index_is_mended_at_start(tmp_path):
    path = tmp_path / "mailbot.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("drop index tickets_unclosed_by_age")
    store = Store(path)
    said = f"index tickets_unclosed_by_age of table tickets is missing (schema {SCHEMA_VERSION}): added"
    assert store.mended == [said]
    store.close()
    fresh = tmp_path / "fresh.db"
    Store(fresh).close()
    assert shape(path) == shape(fresh)


def test_lkpp_numbers_recorded_before_references_existed_are_references(tmp_path):
    """SPEC 3: LKPP's own number, once recorded on a ticket, matches LKPP's later mail that
    cites only it. The landed states recorded it (from LKPP's authenticated mail) in
    `tickets.lkpp_ticket`; today's mailbot matches by the references it learned, so the upgrade
    learns those numbers, as today's learns one: not a number the ticket's subject holds (the
    requester's words), and the first ticket keeps a number two tickets hold."""
    old = tmp_path / "old.db"
    old_database("f1ab2fc", old)
    at = "2026-11-20T03:00:00.000000Z"
    for number, subject, lkpp in (("2026-00020", "Akun terkunci", "LKPP-123456"),
                                  ("2026-00021", "[Ticket#777777] masih gagal login", "777777")):
        db = sqlite_utils.Database(old)
        db.execute("insert into tickets (mailbox, number, state, requester, subject, created_at, updated_at, "
                   "lkpp_ticket) values ('unit', ?, 'escalated', 'sari@dinas.test', ?, ?, ?, ?)",
                   [number, subject, at, at, lkpp])
        db.conn.commit()
        db.close()
    store = Store(old)
    first = store.tickets.ticket_by_number("unit", "2026-00019")
    assert first is not None
    found, keys = store.tickets.ticket_by_refs("unit", ["ticket:LKPP-123456", "ticket:777777"])
    assert found is not None and found.id == first.id and keys == {"ticket:LKPP-123456"}
    store.close()


def _not_a_database(path: Path) -> None:
    path.write_bytes(b"SQLite format 2\n" + b"\x00" * 4000)  # a stray file, an old format


def _damaged(path: Path) -> None:
    Store(path).close()
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 3])  # a copy cut short (a full disk, an interrupted scp)


def _change(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()  # the last connection: the log is written back into the file


def _foreign(path: Path) -> None:
    _change(path, "create table contacts (name text, phone text)", "insert into contacts values ('Budi', '0812')")


def _meta_lost(path: Path) -> None:
    Store(path).close()
    _change(path, "drop table meta")


def _tickets_lost(path: Path) -> None:
    Store(path).close()
    _change(path, "drop table tickets")


@pytest.mark.parametrize(("damage", "why"), [
    (_not_a_database, "file is not a database"),
    (_damaged, "database disk image is malformed"),
    (_foreign, "has tables (contacts) but no mailbot schema number"),
    (_meta_lost, "but no mailbot schema number"),
    (_tickets_lost, "no such table: tickets"),
])
def test_a_database_that_cannot_be_used_fails_check_by_name_and_the_other_checks_go_on(damage, why, tmp_path,
                                                                                      capsys):
    """Where a database cannot be used, `check` exits non-zero and says why (78, the
    operator's to mend: not 70, a fault of mailbot's, with the servers left unchecked); the
    daemon refuses it alike, and the file is left as it was found."""
    db = tmp_path / "mailbot.db"
    damage(db)
    before = db.read_bytes()
    cfg = config(tmp_path)
    assert cli.main(["--config", str(cfg), "check"]) == 78
    out = capsys.readouterr().out
    [failed] = [line for line in out.splitlines() if line.startswith("database: FAILED")]
    assert why in failed and str(db) in failed, out
    assert "database: ok" not in out, out  # one verdict on the database, not "ok" and then "FAILED"
    assert "t: imap FAILED" in out, out  # the servers were still tried (none listens on port 9)
    if damage is not _tickets_lost:  # refused at opening: a missing table of a known schema is mended there
        assert cli.main(["--config", str(cfg), "run", "--once"]) == 78
        assert why in capsys.readouterr().err
    assert db.read_bytes() == before
