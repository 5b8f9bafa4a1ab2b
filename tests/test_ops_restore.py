"""After `mailbot restore`: the mail handled after the backup is found and handled
once by itself, no ticket number is issued twice, and no requester gets a second ack.

Over real Dovecot and SMTP on loopback, driven as an operator drives it: `mailbot backup`,
mail handled by `run --once`, the daemon stopped, `mailbot restore`, `run --once` again;
the acks are read back over IMAP from the requesters' mailboxes (the catch-all for
addresses the server does not know), as the requesters would read them.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml

from mailbot.cli import main as cli
from mailbot.io.store import Store
from tests import mailfactory as mf
from tests.localmail import LocalMailServers

CATCHALL = "catchall@lpse.test"
BUDI = "budi@vendor.test"
TAG = re.compile(r"\[LPSE-T #(\d{4}-\d{5})\]")


def request(servers: LocalMailServers, i: int) -> str:
    raw, mid = mf.mail(f"vendor{i}@penyedia{i}.test", f"Kendala unggah dokumen {i}",
                       f"Selamat siang, dokumen penawaran paket {i} gagal diunggah.")
    servers.append(mf.UNIT, raw)
    return mid


def acks(servers: LocalMailServers) -> list[EmailMessage]:
    return mf.of_kind(mf.inbox(servers, CATCHALL), "ack")


def numbers_mailed(servers: LocalMailServers) -> dict[str, list[str]]:
    """Each requester's address and the ticket numbers their acks carry, in arrival order."""
    found: dict[str, list[str]] = {}
    for ack in acks(servers):
        match = TAG.search(str(ack["Subject"]))
        assert match, ack["Subject"]
        found.setdefault(str(ack["To"]).lower(), []).append(match[1])
    return found


def tickets(db: Path) -> dict[str, str]:
    """Requester -> ticket number, as the database holds them now (one ticket each here)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("select requester, number from tickets").fetchall()
    conn.close()
    return {r: n for r, n in rows}


def recorded_in(db: Path) -> Counter[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("select message_id from messages where direction = 'in'").fetchall()
    conn.close()
    return Counter(r[0] for r in rows)


def outbox(db: Path) -> dict[str, int]:
    """How many rows of the outbox are in each state."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("select status, count(*) from outbox group by status").fetchall()
    conn.close()
    return dict(rows)


def cmd(config: Path, *args: str) -> int:
    return cli.main(["--config", str(config), *args])


@pytest.fixture
def handled_after_backup(fresh_mailboxes, tmp_path):
    """Three requests handled and backed up; three more handled after the backup, one of
    them answered by staff from a mail client (relayed to its requester), and a requester's
    reply to another's ack: all of it in Processed, acked and archived."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    before = [request(servers, i) for i in (1, 2, 3)]
    mf.run_once(config)
    assert cmd(config, "backup", str(tmp_path / "b"), "--archive") == 0
    after = [request(servers, i) for i in (4, 5, 6)]
    mf.run_once(config)
    notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
                  if "dokumen 5" in str(m["Subject"]))
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "Silakan kosongkan cache peramban lalu unggah ulang.")
    servers.append(mf.UNIT, raw)
    ack6 = next(m for m in acks(servers) if str(m["To"]) == "vendor6@penyedia6.test")
    raw, _ = mf.reply_as_client(ack6, "vendor6@penyedia6.test", "Terima kasih, saya tunggu.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    mailed = numbers_mailed(servers)
    assert mailed == {f"vendor{i}@penyedia{i}.test": [f"2026-0000{i}"] for i in range(1, 7)}, mailed
    relays = mf.of_kind(mf.inbox(servers, CATCHALL), "staff_reply")
    assert len(relays) == 1
    return servers, config, tmp_path, before + after


def test_after_a_restore_the_mail_handled_since_the_backup_is_handled_once_and_acked_once(handled_after_backup):
    """The database replaced by the backup's (kept beside, readable), the archive kept: the
    first pass puts the three requests, the staff answer and the reply back in the INBOX and
    handles them: each request keeps the number it was mailed, no ack and no relay is sent
    a second time, every message is recorded once; the next request gets the next number."""
    servers, config, tmp, ids = handled_after_backup
    assert cmd(config, "restore", str(tmp / "b")) == 0
    assert len(tickets(tmp / "mailbot.db")) == 3  # the backup's state
    mf.run_once(config)
    assert not mf.inbox(servers, mf.UNIT)
    assert len(mf.inbox(servers, mf.UNIT, "Processed")) == 8
    assert numbers_mailed(servers) == {f"vendor{i}@penyedia{i}.test": [f"2026-0000{i}"] for i in range(1, 7)}
    assert len(mf.of_kind(mf.inbox(servers, CATCHALL), "staff_reply")) == 1
    assert tickets(tmp / "mailbot.db") == {f"vendor{i}@penyedia{i}.test": f"2026-0000{i}" for i in range(1, 7)}
    recorded = recorded_in(tmp / "mailbot.db")
    assert all(recorded[mid] == 1 for mid in ids) and max(recorded.values()) == 1 and len(recorded) == 8
    with sqlite3.connect(tmp / "mailbot.db") as conn:
        state = conn.execute("select state from tickets where number = '2026-00005'").fetchone()
    conn.close()
    assert state == ("answered",)  # the staff answer acted again on the ticket of its number

    request(servers, 7)
    mf.run_once(config)
    assert numbers_mailed(servers)["vendor7@penyedia7.test"] == ["2026-00007"]
    assert cmd(config, "audit") == 0


def test_with_the_database_lost_the_archive_alone_keeps_the_numbers_and_stops_a_second_ack(handled_after_backup):
    servers, config, tmp, _ids = handled_after_backup
    for name in ("mailbot.db", "mailbot.db-wal", "mailbot.db-shm"):
        (tmp / name).unlink(missing_ok=True)
    assert cmd(config, "restore", str(tmp / "b")) == 0
    mf.run_once(config)
    assert not mf.inbox(servers, mf.UNIT)
    assert numbers_mailed(servers) == {f"vendor{i}@penyedia{i}.test": [f"2026-0000{i}"] for i in range(1, 7)}
    assert len(mf.of_kind(mf.inbox(servers, CATCHALL), "staff_reply")) == 1
    assert tickets(tmp / "mailbot.db") == {f"vendor{i}@penyedia{i}.test": f"2026-0000{i}" for i in range(1, 7)}
    assert max(recorded_in(tmp / "mailbot.db").values()) == 1


def test_with_the_archive_lost_the_replaced_database_alone_keeps_the_numbers_and_stops_a_second_ack(
        handled_after_backup):
    servers, config, tmp, _ids = handled_after_backup
    shutil.rmtree(tmp / "archive")
    assert cmd(config, "restore", str(tmp / "b")) == 0  # the backup's archive comes back, not what came after
    mf.run_once(config)
    assert not mf.inbox(servers, mf.UNIT)
    assert numbers_mailed(servers) == {f"vendor{i}@penyedia{i}.test": [f"2026-0000{i}"] for i in range(1, 7)}
    assert len(mf.of_kind(mf.inbox(servers, CATCHALL), "staff_reply")) == 1
    assert tickets(tmp / "mailbot.db") == {f"vendor{i}@penyedia{i}.test": f"2026-0000{i}" for i in range(1, 7)}


def test_with_database_and_archive_lost_the_sent_folder_keeps_the_numbers_and_stops_a_second_mail(
        handled_after_backup):
    """Nothing records what happened after the backup but the mailbox, and its
    sent folder holds a copy of every mail that went: each request handled again keeps the
    number it was mailed, and no ack, notice or relayed answer goes a second time."""
    servers, config, tmp, _ids = handled_after_backup
    for name in ("mailbot.db", "mailbot.db-wal", "mailbot.db-shm"):
        (tmp / name).unlink(missing_ok=True)
    shutil.rmtree(tmp / "archive")
    assert cmd(config, "restore", str(tmp / "b")) == 0
    mf.run_once(config)
    assert not mf.inbox(servers, mf.UNIT)
    assert numbers_mailed(servers) == {f"vendor{i}@penyedia{i}.test": [f"2026-0000{i}"] for i in range(1, 7)}
    assert len(mf.of_kind(mf.inbox(servers, CATCHALL), "staff_reply")) == 1
    assert tickets(tmp / "mailbot.db") == {f"vendor{i}@penyedia{i}.test": f"2026-0000{i}" for i in range(1, 7)}
    notices = [m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")]
    assert sorted(TAG.search(str(m["Subject"]))[1] for m in notices) == [f"2026-0000{i}" for i in range(1, 7)]
    assert max(recorded_in(tmp / "mailbot.db").values()) == 1
    request(servers, 7)
    mf.run_once(config)
    assert numbers_mailed(servers)["vendor7@penyedia7.test"] == ["2026-00007"]


def test_with_database_archive_and_sent_folder_lost_no_number_is_issued_twice(handled_after_backup):
    """A mailbox that keeps no copies (`sent_folder: null`): only the subjects in its
    folders tell, and they name 2026-00006 (the requester's reply), so the numbers continue
    past it. The reply cites the ack of 2026-00006 (its signed Message-ID) and, before it,
    the request: that request keeps 2026-00006 and gets no second ack. The two other
    requests are handled again as new: a new number each (the one they were mailed is
    known nowhere), never one another requester holds (here the reply named the highest)."""
    servers, config, tmp, _ids = handled_after_backup
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][0]["imap"]["sent_folder"] = None
    config.write_text(yaml.safe_dump(data))
    for name in ("mailbot.db", "mailbot.db-wal", "mailbot.db-shm"):
        (tmp / name).unlink(missing_ok=True)
    shutil.rmtree(tmp / "archive")
    assert cmd(config, "restore", str(tmp / "b")) == 0
    mf.run_once(config)
    assert not mf.inbox(servers, mf.UNIT)
    mailed = numbers_mailed(servers)
    holders = Counter(n for numbers in mailed.values() for n in set(numbers))
    assert max(holders.values()) == 1, holders  # no number mailed to two requesters
    now = tickets(tmp / "mailbot.db")
    assert now["vendor6@penyedia6.test"] == "2026-00006" and mailed["vendor6@penyedia6.test"] == ["2026-00006"]
    for i in (4, 5):  # handled again as new: a number past every one the folders name
        assert now[f"vendor{i}@penyedia{i}.test"] > "2026-00006"
        assert mailed[f"vendor{i}@penyedia{i}.test"][-1] == now[f"vendor{i}@penyedia{i}.test"]
    assert max(recorded_in(tmp / "mailbot.db").values()) == 1


def test_a_restore_whose_imap_server_is_down_recovers_on_the_next_pass(handled_after_backup, tmp_path):
    """The recovery is a mark in the database until a pass made it: with the IMAP server
    unreachable the pass fails (and nothing is read); the next one with it back recovers."""
    servers, config, tmp, _ids = handled_after_backup
    assert cmd(config, "restore", str(tmp / "b")) == 0
    text = config.read_text()
    config.write_text(text.replace(f"port: {servers.imap_port}", "port: 9"))
    cli.main(["--config", str(config), "run", "--once"])
    with sqlite3.connect(tmp / "mailbot.db") as conn:
        assert conn.execute("select count(*) from meta where key like 'restore_recovery:%'").fetchone() == (1,)
    conn.close()
    config.write_text(text)
    mf.run_once(config)
    with sqlite3.connect(tmp / "mailbot.db") as conn:
        assert conn.execute("select count(*) from meta where key like 'restore_recovery:%'").fetchone() == (0,)
    conn.close()
    assert numbers_mailed(servers) == {f"vendor{i}@penyedia{i}.test": [f"2026-0000{i}"] for i in range(1, 7)}
    assert "Silakan kosongkan" in mf.text_of(mf.latest(servers, CATCHALL, "staff_reply"))



def test_an_escalation_and_lkpps_answer_after_the_backup_are_made_again_without_mail(fresh_mailboxes, tmp_path):
    """After the backup: a request, staff's #eskalasi (mailed to LKPP, the requester told),
    LKPP's solution (relayed to the requester). After the restore the three are handled
    again by themselves: the ticket ends resolved under its number, LKPP has one
    escalation, the requester one ack, one notice of the escalation and one solution."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    request(servers, 1)
    mf.run_once(config)
    assert cmd(config, "backup", str(tmp_path / "b"), "--archive") == 0
    raw, _ = mf.mail(BUDI, "Error 500 saat unggah", "Saat unggah dokumen penawaran muncul error 500.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nError 500 di server SPSE, mohon dibantu.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    escalation = mf.latest(servers, mf.LKPP, "escalate")
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "Permasalahan telah kami perbaiki, silakan dicoba kembali.",
                                to=mf.UNIT)
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    mailed = [(m["X-Mailbot-Kind"], TAG.search(str(m["Subject"]))[1]) for m in mf.inbox(servers, BUDI)]
    assert mailed == [("ack", "2026-00002"), ("escalated_user", "2026-00002"), ("resolved_lkpp", "2026-00002")]

    assert cmd(config, "restore", str(tmp_path / "b")) == 0
    mf.run_once(config)
    assert not mf.inbox(servers, mf.UNIT)
    assert [(m["X-Mailbot-Kind"], TAG.search(str(m["Subject"]))[1]) for m in mf.inbox(servers, BUDI)] == mailed
    assert len(mf.of_kind(mf.inbox(servers, mf.LKPP), "escalate")) == 1
    with sqlite3.connect(tmp_path / "mailbot.db") as conn:
        assert conn.execute("select number, state from tickets where requester = ?", [BUDI]).fetchall() == [
            ("2026-00002", "resolved")]
    conn.close()



def test_an_ack_queued_at_the_backup_that_went_after_it_is_not_sent_again_by_the_new_host(
        fresh_mailboxes, tmp_path):
    """The backup caught an ack and a staff notice still queued (taken between the
    request's handling and its sending); they went after the backup, and their copies are
    in the sent folder. On a new host (database and archive lost) the restored outbox still
    holds them: the daemon sends none of the mailbox's mail before its recovery, which finds
    their copies and marks them sent. The requester has one ack, staff one notice."""
    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App

    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers, idle=True, poll_seconds=60)])
    request(servers, 1)
    app = App(load_config(config))
    app.poll_all()  # handled: its ack and notice queued, not yet sent
    app.store.close()
    assert cmd(config, "backup", str(tmp_path / "b"), "--archive") == 0
    mf.run_once(config)  # sent after the backup, and copied
    assert numbers_mailed(servers) == {"vendor1@penyedia1.test": ["2026-00001"]}
    for name in ("mailbot.db", "mailbot.db-wal", "mailbot.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    shutil.rmtree(tmp_path / "archive")
    assert cmd(config, "restore", str(tmp_path / "b")) == 0
    assert outbox(tmp_path / "mailbot.db") == {"pending": 2}  # the backup's outbox
    daemon = mf.daemon(config)
    try:
        assert mf.wait_for(lambda: outbox(tmp_path / "mailbot.db") == {"sent": 2}, 60)
        request(servers, 2)
        assert mf.wait_for(lambda: "vendor2@penyedia2.test" in numbers_mailed(servers), 30)
    finally:
        out = mf.stop(daemon)
    assert "Traceback" not in out, out[-3000:]
    assert numbers_mailed(servers) == {"vendor1@penyedia1.test": ["2026-00001"],
                                       "vendor2@penyedia2.test": ["2026-00002"]}
    notices = [TAG.search(str(m["Subject"]))[1] for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")]
    assert sorted(notices) == ["2026-00001", "2026-00002"]


def test_no_mail_of_a_mailbox_goes_before_its_recovery_after_a_restore(handled_after_backup):
    """The recovery may find that a queued mail went already (its copy in the sent folder):
    until it is made, the outbox sends nothing of that mailbox; after it, what is due goes."""
    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App

    _servers, config, tmp, _ids = handled_after_backup
    assert cmd(config, "restore", str(tmp / "b")) == 0
    app = App(load_config(config))
    app.store.outbox.enqueue(mailbox="t", ticket_id=None, message_id="held@lpse.test", kind="digest", mail_from=mf.UNIT,
                             rcpt=(mf.COORDINATOR,), raw=b"Subject: x\r\nMessage-ID: <held@lpse.test>\r\n\r\nx\r\n",
                             auto=False, now=app.clock())
    assert app.flush_outbox() == (0, 0)
    assert app.store.outbox.outbox_counts().get("pending") == 1
    app.store.metadata.delete_meta("restore_recovery:t")
    assert app.flush_outbox() == (1, 0)
    app.store.close()


def test_a_reply_that_came_while_the_daemon_was_stopped_joins_the_ticket_handled_again(handled_after_backup):
    """The requester of 2026-00004 (opened after the backup) answers its ack while the daemon
    is stopped for the restore. The mail put back is handled first, in the order it came, so
    the answer finds 2026-00004: one ticket, one ack, the answer on it."""
    servers, config, tmp, _ids = handled_after_backup
    ack4 = next(m for m in acks(servers) if str(m["To"]) == "vendor4@penyedia4.test")
    raw, reply = mf.reply_as_client(ack4, "vendor4@penyedia4.test", "Tambahan: ukuran berkas 12 MB.")
    servers.append(mf.UNIT, raw)
    assert cmd(config, "restore", str(tmp / "b")) == 0
    mf.run_once(config)
    assert not mf.inbox(servers, mf.UNIT)
    assert numbers_mailed(servers)["vendor4@penyedia4.test"] == ["2026-00004"]
    with sqlite3.connect(tmp / "mailbot.db") as conn:
        rows = conn.execute("select t.number from messages m join tickets t on t.id = m.ticket_id "
                            "where m.message_id = ?", [reply]).fetchall()
        opened = conn.execute("select count(*) from tickets where requester = 'vendor4@penyedia4.test'").fetchone()
    conn.close()
    assert rows == [("2026-00004",)] and opened == (1,)


# --- which mail made again matches a mail sent after the backup (no servers) ---------------

RESTORED_AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def restored_store(tmp: Path, *rows: tuple[str, str, str, datetime]) -> Store:
    """A store as `restore` leaves it: `restored_at`, and mail sent after the backup as
    (kind, ticket number, recipient, sent at)."""
    store = Store(tmp / "mailbot.db")
    store.metadata.set_meta("restored_at", "2026-11-24T03:00:00.000000Z")
    for i, (kind, number, to, at) in enumerate(rows):
        store.db.conn.execute(
            "insert into restored (mailbox, direction, message_id, number, kind, recipients, at) values "
            "('t', 'out', ?, ?, ?, ?, ?)",
            [f"sent{i}@lpse.test", number, kind, to, at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")])
    return store


def test_mail_caused_by_a_message_that_arrived_after_the_restore_is_sent(tmp_path):
    store = restored_store(tmp_path, ("staff_reply", "2026-00005", "budi@vendor.test",
                                      RESTORED_AT - timedelta(hours=2)))
    later = RESTORED_AT + timedelta(minutes=1)
    assert store.restored.claim_restored("t", "2026-00005", "staff_reply", ["Budi@Vendor.test"], later, later) is None
    before = RESTORED_AT - timedelta(hours=3)
    found = store.restored.claim_restored("t", "2026-00005", "staff_reply", ["Budi@Vendor.test"], later, before)
    assert found is not None and found["message_id"] == "sent0@lpse.test"
    assert store.restored.claim_restored("t", "2026-00005", "staff_reply", ["budi@vendor.test"], later, before) is None


def test_a_timers_mail_matches_only_what_went_out_in_the_last_day(tmp_path):
    now = RESTORED_AT + timedelta(minutes=5)
    store = restored_store(tmp_path, ("remind_lkpp", "2026-00002", "helpdesk@lkpp.test", now - timedelta(hours=30)),
                           ("digest", "", "kepala@lpse.test", now - timedelta(hours=2)))
    assert store.restored.claim_restored("t", "2026-00002", "remind_lkpp", ["helpdesk@lkpp.test"], now) is None
    assert store.restored.claim_restored("t", None, "digest", ["kepala@lpse.test"], now + timedelta(days=1)) is None
    assert store.restored.claim_restored("t", None, "digest", ["kepala@lpse.test"], now) is not None


def test_an_alert_is_never_taken_for_one_sent_before(tmp_path):
    now = RESTORED_AT + timedelta(minutes=5)
    store = restored_store(tmp_path, ("system_alert", "", "koordinator@lpse.test", now - timedelta(hours=1)))
    assert store.restored.claim_restored("t", None, "system_alert", ["koordinator@lpse.test"], now) is None


def test_only_an_ack_signed_with_the_units_key_tells_a_requests_number():
    """A reply's References: the request, then the ack. A Message-ID that looks like an ack
    but is signed with another key (a forgery) tells nothing."""
    from mailbot.core.tokens import make_message_id
    from mailbot.daemon.recovery import answered_ack

    key, other = b"k" * 32, b"o" * 32
    ack = make_message_id(key, "t", "2026-00006", "ack", "lpse.test", frozenset("r"))
    assert answered_ack(key, "t", ("req-6@penyedia6.test", ack)) == ("req-6@penyedia6.test", ack, "2026-00006")
    assert answered_ack(key, "u", ("req-6@penyedia6.test", ack)) is None  # another mailbox's
    forged = make_message_id(other, "t", "2026-00006", "ack", "lpse.test", frozenset("r"))
    assert answered_ack(key, "t", ("req-6@penyedia6.test", forged)) is None
    notice = make_message_id(key, "t", "2026-00006", "staff_new", "lpse.test", frozenset("s"))
    assert answered_ack(key, "t", ("req-6@penyedia6.test", notice)) is None
