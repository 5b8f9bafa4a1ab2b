"""The archive keeps every mail mailbot sent, as it went out, and the database lets go of
its bytes only once that file is durable: over real Dovecot and a real SMTP server.

The sender writes the file when a mail is done with (accepted, or finally refused),
syncs a group of them at once, and then drops their bytes from the outbox. A stop in
between, or a file that cannot be written, leaves the bytes in the row: nothing is
lost, and nothing is sent twice.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from tests.faultsmtp import FaultySmtp, smtp_block
from tests.mailfactory import STAFF, UNIT, inbox, mail, write_config

REQUESTER = "budi@vendor.test"


def make_app(servers, port, tmp_path) -> App:
    return App(load_config(write_config(servers, tmp_path, smtp=smtp_block(port))))


def handled(servers, port, tmp_path, n: int) -> App:
    """An app that has handled `n` requests: their acks and staff notices are queued."""
    app = make_app(servers, port, tmp_path)
    for i in range(n):
        raw, _ = mail(REQUESTER, f"Kendala unggah dokumen paket {i}", f"Dokumen paket {i} gagal diunggah.")
        servers.append(UNIT, raw)
    app.poll_all()
    return app


def sent(app: App) -> list[dict]:
    return list(app.store.db.query(
        "select m.message_id, m.kind, m.archive_path, o.status, length(o.raw) as raw from messages m "
        "join outbox o on o.message_id = m.message_id where m.direction = 'out' order by o.id"))


def archived(app: App, path: str) -> email.message.EmailMessage:
    raw = (app.cfg.archive_dir / path).read_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def received_ids(servers, *users: str) -> list[str]:
    return [str(m["Message-ID"]).strip("<>") for user in users for m in inbox(servers, user)]


def test_sent_mail_is_in_the_archive_as_it_went_out_and_no_longer_in_the_database(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    with FaultySmtp(servers) as smtp:
        app = handled(servers, smtp.port, tmp_path, 3)
        queued = sent(app)
        assert len(queued) == 6 and all(r["status"] == "pending" and r["raw"] > 0 for r in queued)
        app.flush_outbox()
    rows = sent(app)
    assert [(r["status"], r["raw"]) for r in rows] == [("sent", 0)] * 6
    delivered = {str(m["Message-ID"]).strip("<>"): m for u in (REQUESTER, *STAFF) for m in inbox(servers, u)}
    for row in rows:
        kept = archived(app, row["archive_path"])
        assert str(kept["Message-ID"]).strip("<>") == row["message_id"]
        got = delivered[row["message_id"]]
        assert kept["Subject"] == got["Subject"]
        assert kept.get_body(("plain",)).get_content() == got.get_body(("plain",)).get_content()


def test_a_stop_after_the_mark_and_before_the_sync_is_archived_by_the_next_sender_and_not_sent_again(
        fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    with FaultySmtp(servers) as smtp:
        app = handled(servers, smtp.port, tmp_path, 2)
        now = datetime.now(UTC)
        rows = app.store.db.query("select id, rcpt, raw from outbox order by id")
        bytes_of = {r["id"]: r["raw"] for r in rows}
        with app.store.unit_of_work():  # what a stop leaves: marked as sent, the group not yet synced
            for row_id in bytes_of:
                app.store.outbox.outbox_finish(row_id, now, None, ("someone@lpse.test",), drop_raw=False)
        app.store.close()
        successor = make_app(servers, smtp.port, tmp_path)
        successor.flush_outbox()
    rows = sent(successor)
    assert [(r["status"], r["raw"]) for r in rows] == [("sent", 0)] * 4
    for row, raw in zip(rows, bytes_of.values(), strict=True):
        assert (successor.cfg.archive_dir / row["archive_path"]).read_bytes() == raw
    assert received_ids(servers, REQUESTER, *STAFF) == []  # marked as sent: never sent again


def test_an_archive_that_cannot_be_written_keeps_the_bytes_and_sends_each_mail_once(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    with FaultySmtp(servers) as smtp:
        app = handled(servers, smtp.port, tmp_path, 2)
        box = app.cfg.mailboxes[0].name
        blocker = app.cfg.archive_dir / box / "out"
        blocker.parent.mkdir(parents=True, exist_ok=True)
        blocker.write_bytes(b"")  # a file where the folder of sent mail goes
        app.flush_outbox()
        rows = sent(app)
        assert [r["status"] for r in rows] == ["sent"] * 4 and all(r["raw"] > 0 for r in rows)
        blocker.unlink()
        app.flush_outbox()  # nothing due: the kept bytes are archived on this pass
    rows = sent(app)
    assert [r["raw"] for r in rows] == [0] * 4
    assert all(archived(app, r["archive_path"])["Message-ID"] for r in rows)
    for user in (REQUESTER, *STAFF):  # each mail reached each of its recipients once
        ids = received_ids(servers, user)
        assert len(ids) == len(set(ids)) == 2
    assert set(received_ids(servers, REQUESTER, *STAFF)) == {r["message_id"] for r in rows}
