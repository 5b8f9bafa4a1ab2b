"""Intake linear in its backlog and lean per message: the search index one row per message,
written once; at most 40 SQL statements a message handled; the ack budget read from its counts
by moment, filled from the history a database had. Pure store tests through the real intake
(`App.handle`, no server): how fast is measured by bench/ingest.py, not here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlite_utils

from mailbot.config.load import load_config
from mailbot.core.search_query import fts_query
from mailbot.daemon.wiring import App
from mailbot.io.migrations import MIGRATIONS
from mailbot.io.store import Store
from tests.mailfactory import STAFF, mail
from tests.test_tickets_search import write_config

AT = datetime(2026, 3, 19, 3, 0, tzinfo=UTC)


def _requests(app: App, n: int, start: datetime = AT) -> list[str]:
    box = app.cfg.mailboxes[0]
    numbers = []
    for i in range(n):
        raw, _ = mail(f"pengguna{i}@vendor{i}.test", f"Kendala unggah dokumen nomor {i}",
                      f"Selamat pagi,\n\nSaya gagal mengunggah dokumen penawaran paket {1000 + i}.\n\nTerima kasih.",
                      name=f"Pengguna {i}")
        numbers.append(app.handle(box, raw, start + timedelta(minutes=i)).ticket)
    return numbers


def test_each_message_is_one_row_of_the_search_index_written_once(tmp_path, monkeypatch):
    """A ticket's row (its subject and requester) and one row per message that reached the mailbox
    on it, keyed by the ticket and the message: a later message adds its row and rewrites none.
    Words of two messages of one ticket still find it together; mailbot's own mail is not indexed."""
    cfg = load_config(write_config(tmp_path, monkeypatch))
    app = App(cfg, clock=lambda: AT)
    [number] = _requests(app, 1)
    box = cfg.mailboxes[0]
    reply, _ = mail(STAFF[0], f"Re: [LPSE-T #{number}] Kendala unggah dokumen nomor 0",
                    "Silakan bersihkan cache peramban lalu coba lagi.")
    app.handle(box, reply, AT + timedelta(minutes=5))
    db = app.store.db
    ticket = db.execute("select id from tickets where number = ?", [number]).fetchone()[0]
    received = [r[0] for r in db.execute("select id from messages where direction = 'in' order by id")]
    assert len(received) == 2

    def rows(word: str) -> list[int]:  # the index keeps no text (contentless): its rows are found by a word
        return [r[0] for r in db.execute("select rowid from ticket_search where ticket_search match ?", [word])]

    assert rows("pengguna0") == [ticket * 2**32]  # the ticket's own row: its requester
    assert rows("penawaran") == [ticket * 2**32 + received[0]]  # the request's row
    assert rows("peramban") == [ticket * 2**32 + received[1]]  # the reply's, beside it
    found = app.store.search.find_tickets(search=fts_query("penawaran peramban"))  # words of both messages
    assert [t.number for t in found] == [number]
    assert app.store.search.find_tickets(search=fts_query("tiket Anda")) == []  # the ack is not indexed
    app.store.close()


def test_a_request_handled_takes_at_most_40_statements(tmp_path, monkeypatch):
    """Counted as bench/ingest.py counts them (SQLite's trace hook), FTS5's own included."""
    cfg = load_config(write_config(tmp_path, monkeypatch))
    app = App(cfg, clock=lambda: AT)
    _requests(app, 3)  # the first requests read and make what is made once
    counted: list[str] = []
    app.store.db.conn.set_trace_callback(counted.append)
    _requests(app, 20, AT + timedelta(hours=1))
    app.store.db.conn.set_trace_callback(None)
    assert len(counted) / 20 <= 40, len(counted) / 20
    app.store.close()


def test_the_ack_budget_reads_counts_by_moment_from_history_kept_and_migrated(tmp_path):
    """Each counted ack adds to its moment's count (mailbox, moment, domain); the budget reads the
    moments after the hour before a mail's arrival, an ack held for later included. A database
    from before the counts gets them from its `ack_counted` events when it is migrated."""
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    before = len(MIGRATIONS) - 1  # the counts' migration is the latest
    for migration in MIGRATIONS[:before]:
        migration(db)
    db.table("meta").upsert({"key": "schema_version", "value": str(before)}, pk="key")
    for at, slot, domain in (("2026-03-19T01:00:00.000000Z", "2026-03-19T01:00:00.000000Z", "vendor.test"),
                             ("2026-03-19T02:10:00.000000Z", "2026-03-19T02:10:00.000000Z", "vendor.test"),
                             ("2026-03-19T02:11:00.000000Z", "2026-03-19T02:10:00.000000Z", "vendor.test"),
                             ("2026-03-19T02:12:00.000000Z", "2026-03-19T04:00:00.000000Z", "other.test")):
        db.execute("insert into events (mailbox, ticket_id, at, actor, kind, detail) values "
                   "('t', null, ?, 'mailbot', 'ack_counted', ?)", [at, f'{{"domain": "{domain}", "slot": "{slot}"}}'])
    db.conn.commit()
    db.close()
    store = Store(path)
    try:
        since = datetime(2026, 3, 19, 2, 0, tzinfo=UTC)
        assert sorted(store.history.counted_acks("t", since)) == [
            (datetime(2026, 3, 19, 2, 10, tzinfo=UTC), "vendor.test", 2),
            (datetime(2026, 3, 19, 4, 0, tzinfo=UTC), "other.test", 1)]
        with store.unit_of_work():
            store.history.add_event("t", None, since, "mailbot", "ack_counted", slot="2026-03-19T04:00:00.000000Z",
                                    domain="other.test")
        assert (datetime(2026, 3, 19, 4, 0, tzinfo=UTC), "other.test", 2) in store.history.counted_acks("t", since)
        assert store.history.counted_acks("u", since) == []  # another mailbox's budget
    finally:
        store.close()
