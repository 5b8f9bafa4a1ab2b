"""`mailbot tickets` for people: the newest 50 by default, `--limit`/`--all`,
filters by requester, day (the unit's time zone), state and category, `--search` over the
subject, the requester and the text of every message on a ticket (SQLite FTS5, kept as mail
is stored and built for the tickets already stored when the database is migrated), and an
unknown `--mailbox` as a usage error (64) naming the configured ones. Tickets come in
through the real intake (`App.handle`); speed is measured by bench/tickets_search.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlite_utils
import yaml

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.io.migrations import MIGRATIONS, _v15
from mailbot.io.store import Store
from tests.mailfactory import STAFF, UNIT, mail

BUDI = "budi.santoso@pt-maju.co.id"
SITI = "siti@cv-karya.id"
AGUS = "agus@dinas.go.id"


def write_config(tmp_path, monkeypatch, database=None):
    monkeypatch.setenv("COLUMNS", "120")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "database": str(database or tmp_path / "mailbot.db"), "archive_dir": str(tmp_path / "archive"),
        "secret_key_file": str(tmp_path / "secret.key"), "log": {"format": "console", "level": "error"},
        "timezone": "Asia/Jakarta",
        "smtp": {"host": "127.0.0.1", "port": 1, "security": "none"},
        "mailboxes": [{"name": "t", "address": UNIT, "tag_prefix": "LPSE-T", "staff": list(STAFF),
                       "imap": {"host": "127.0.0.1", "port": 1, "security": "none"}}],
    }))
    return path


@pytest.fixture
def three(tmp_path, monkeypatch, store_location):
    """Three tickets: Budi's (answered by staff), Siti's and Agus's, the last at 01:00 WIB on
    20 March, which is still 19 March in UTC."""
    path = write_config(tmp_path, monkeypatch, store_location)
    cfg = load_config(path)
    box = cfg.mailboxes[0]
    numbers = {}
    for who, name, subject, body, at in (
        (BUDI, "Budi Santoso", "Akun terkunci", "Selamat pagi,\n\nAkun SPSE saya terkunci setelah salah password.",
         datetime(2026, 3, 19, 3, 0, tzinfo=UTC)),
        (SITI, "Siti Aminah", "Tidak bisa upload penawaran",
         "Muncul pesan Kode 500 saat mengunggah dokumen penawaran.", datetime(2026, 3, 19, 9, 0, tzinfo=UTC)),
        (AGUS, "", "Jadwal tender", "Apakah jadwal tender bisa diperpanjang?",
         datetime(2026, 3, 19, 18, 0, tzinfo=UTC)),
    ):
        app = App(cfg, clock=lambda at=at: at)
        raw, _ = mail(who, subject, body, name=name, date=at)
        numbers[who] = app.handle(box, raw, at).ticket
        if who == BUDI:
            notice = next(r for r in app.store.outbox.outbox_rows(app.store.outbox.due_outbox_ids(at, ("t",)))
                          if r.kind == "staff_new")
            reply, _ = mail(STAFF[0], f"Re: [LPSE-T #{numbers[who]}] Akun terkunci",
                            "Sudah kami reset, silakan login dengan kata sandi sementara.\n\n"
                            "> Akun SPSE saya terkunci.",
                            in_reply_to=notice.message_id.strip("<>"))
            assert app.handle(box, reply, at + timedelta(minutes=5)).label == "staff_replied"
        app.store.close()
    return path, numbers


def listed(path, capsys, *argv: str) -> tuple[int, list[str]]:
    """Exit status and the ticket numbers `tickets ARGV --json` prints, in its order."""
    status = cli.main(["--config", str(path), "tickets", *argv, "--json"])
    out = capsys.readouterr().out
    return status, [t["number"] for t in json.loads(out)] if status == 0 else []


def test_search_finds_words_of_the_subject_the_requester_and_every_message(three, capsys):
    path, n = three
    assert listed(path, capsys, "--search", "kode 500") == (0, [n[SITI]])
    assert listed(path, capsys, "--search", '"Kode 500"') == (0, [n[SITI]])  # a phrase as typed
    assert listed(path, capsys, "--search", "500 kode") == (0, [n[SITI]])  # every word, in any order
    assert listed(path, capsys, "--search", '"500 kode"') == (0, [])  # a phrase in its order only
    assert listed(path, capsys, "--search", "sementara") == (0, [n[BUDI]])  # the staff reply's text
    assert listed(path, capsys, "--search", "pt-maju.co.id") == (0, [n[BUDI]])  # the requester's address
    assert listed(path, capsys, "--search", "santoso") == (0, [n[BUDI]])  # the requester's name
    assert listed(path, capsys, "--search", "JADWAL") == (0, [n[AGUS]])  # the subject, any case
    assert listed(path, capsys, "--search", "mengung") == (0, [n[SITI]])  # the start of a word
    assert listed(path, capsys, "--search", "penawaran") == (0, [n[SITI]])
    assert listed(path, capsys, "--search", "terkunci siti") == (0, [])
    assert listed(path, capsys, "--search", "dokumen OR jadwal") == (0, [])  # words, not FTS5 operators


def test_what_people_type_is_never_a_query_error(three, capsys):
    """FTS5's syntax in the typed text is read as words; text with no word is a usage error."""
    path, _ = three
    for typed in ('AND ( "', "NEAR(a b)", "kode*", "subject:akun", "--search=-tender", "^akun"):
        status = cli.main(["--config", str(path), "tickets",
                           *([typed] if typed.startswith("--") else ["--search", typed])])
        assert status == 0, (typed, capsys.readouterr())
        capsys.readouterr()
    assert cli.main(["--config", str(path), "tickets", "--search", "*** ()"]) == 2
    assert "no word" in capsys.readouterr().err


def test_filters_by_requester_day_state_and_category(three, capsys):
    path, n = three
    assert listed(path, capsys, "--requester", "PT-MAJU") == (0, [n[BUDI]])
    assert listed(path, capsys, "--requester", "aminah") == (0, [n[SITI]])  # the display name
    assert listed(path, capsys, "--requester", "100%_") == (0, [])  # LIKE's wildcards are letters here
    # days are the unit's (WIB): Agus wrote at 01:00 on 20 March WIB, 18:00 on the 19th UTC
    assert listed(path, capsys, "--since", "2026-03-20") == (0, [n[AGUS]])
    assert listed(path, capsys, "--until", "2026-03-19") == (0, [n[BUDI], n[SITI]])
    assert listed(path, capsys, "--since", "2026-03-19", "--until", "2026-03-19") == (0, [n[BUDI], n[SITI]])
    assert listed(path, capsys, "--since", "2026-03-21") == (0, [])
    assert listed(path, capsys, "--state", "answered") == (0, [n[BUDI]])
    assert listed(path, capsys, "--state", "open", "--search", "penawaran") == (0, [n[SITI]])
    assert listed(path, capsys, "--state", "answered", "--search", "penawaran") == (0, [])
    assert listed(path, capsys, "--category", "pertanyaan", "--requester", "agus") == (0, [n[AGUS]])
    assert listed(path, capsys, "--mailbox", "t", "--search", "tender") == (0, [n[AGUS]])


def test_an_unknown_mailbox_is_a_usage_error_naming_the_configured_ones(three, capsys):
    path, _ = three
    for argv in (["tickets", "--mailbox", "btm"], ["tickets", "--mailbox", "btm", "--search", "akun"],
                 ["ticket", "2026-00001", "--mailbox", "btm"]):
        assert cli.main(["--config", str(path), *argv]) == 64
        assert "no mailbox 'btm'; the config has t" in capsys.readouterr().err


def test_bad_days_and_limits_are_usage_errors(three, capsys):
    path, _ = three
    for argv in (["--since", "19-03-2026"], ["--until", "2026-02-30"], ["--limit", "0"], ["--limit", "-3"],
                 ["--limit", "5", "--all"]):
        assert cli.main(["--config", str(path), "tickets", *argv]) == 2, argv
        capsys.readouterr()


@pytest.fixture
def many(tmp_path, monkeypatch, store_location):
    """55 tickets, one a minute, "Masalah nomor 01" the oldest."""
    path = write_config(tmp_path, monkeypatch, store_location)
    cfg = load_config(path)
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    app = App(cfg, clock=lambda: start)
    for i in range(1, 56):
        raw, _ = mail(f"user{i:02d}@vendor.test", f"Masalah nomor {i:02d}", f"Kendala ke-{i}.")
        app.handle(cfg.mailboxes[0], raw, start + timedelta(minutes=i))
    app.store.close()
    return path


def test_the_newest_50_by_default_and_more_with_limit_or_all(many, capsys):
    path = many
    assert cli.main(["--config", str(path), "tickets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if "Masalah nomor" in line]
    assert len(rows) == 50
    assert "Masalah nomor 06" in rows[0] and "Masalah nomor 55" in rows[-1]  # the newest 50, the newest last
    assert lines[-1] == "50 ticket(s), the newest; more match (--limit N, --all)"
    assert cli.main(["--config", str(path), "tickets", "--limit", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("Masalah nomor ")[1] for line in lines if "Masalah nomor" in line] == ["53", "54", "55"]
    assert cli.main(["--config", str(path), "tickets", "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len([line for line in lines if "Masalah nomor" in line]) == 55 and lines[-1] == "55 ticket(s)"
    assert cli.main(["--config", str(path), "tickets", "--search", "masalah", "--limit", "55"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "55 ticket(s)"  # exactly all: nothing more
    # --json is for scripts: every match unless --limit says otherwise
    assert len(listed(path, capsys)[1]) == 55
    assert len(listed(path, capsys, "--limit", "7")[1]) == 7


def test_the_search_index_is_built_for_tickets_stored_before_it(tmp_path):
    """A database from before the index (every migration before the one that made it) with a
    ticket and its messages: opened by today's store, its words are found."""
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    before = MIGRATIONS.index(_v15)  # the index's migration (later ones may follow it)
    for migration in MIGRATIONS[:before]:
        migration(db)
    db.table("meta").upsert({"key": "schema_version", "value": str(before)}, pk="key")
    assert "ticket_search" not in db.table_names()
    db.execute("insert into tickets (id, mailbox, number, state, requester, requester_name, subject, created_at, "
               "updated_at) values (7, 't', '2025-00007', 'open', 'rina@cv-maju.id', 'Rina Wulandari', "
               "'Sertifikat elektronik', '2025-06-01T02:00:00.000000Z', '2025-06-01T02:00:00.000000Z')")
    for i, (direction, body) in enumerate((("in", "Sertifikat elektronik saya kedaluwarsa kemarin."),
                                           ("out", "Terima kasih, tiket Anda 2025-00007."),
                                           ("in", "Sudah kami perpanjang melalui aplikasi RA."))):
        db.execute("insert into messages (mailbox, message_id, direction, ticket_id, at, body) "
                   "values ('t', ?, ?, 7, '2025-06-01T02:00:00.000000Z', ?)", [f"<m{i}@x>", direction, body])
    db.conn.commit()
    db.close()
    store = Store(path)
    try:
        def found(typed: str) -> list[str]:
            from mailbot.core.search_query import fts_query
            return [t.number for t in store.search.find_tickets(search=fts_query(typed))]
        assert found("kedaluwarsa") == ["2025-00007"]  # the requester's first mail
        assert found("perpanjang aplikasi") == ["2025-00007"]  # a later inbound message
        assert found("wulandari") == ["2025-00007"] and found("cv-maju.id") == ["2025-00007"]
        assert found("terima kasih") == []  # mailbot's own ack is not what people wrote
    finally:
        store.close()
