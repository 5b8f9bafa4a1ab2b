"""IMAP faults a unit's mail server really has, over the real Dovecot: a message the
server cannot return, a folder removed while mailbot runs."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests import mailfactory as mf

SENDERS = ("budi@vendor.test", "rusak@vendor.test", "sari@dinas.test")  # rusak's file is the broken one


def maildir_files(servers, user: str, folder: str = "") -> list[Path]:  # type: ignore[no-untyped-def]
    """A folder's message files, oldest first (Dovecot names them by delivery time)."""
    root = servers.base_dir / "mail" / user / "Maildir" / folder
    return sorted((p for sub in ("new", "cur") for p in (root / sub).iterdir()), key=lambda p: p.name)


def deliver_with_broken_second(servers) -> None:  # type: ignore[no-untyped-def]
    """Three requests; the second one's file unreadable by the server (restored from a backup
    with the wrong owner, cut short by a full disk): Dovecot answers its FETCH with BYE."""
    for sender in SENDERS:
        servers.append(mf.UNIT, mf.mail(sender, "Tidak bisa login", "Mohon bantuan, akun terkunci.")[0])
    # found by its sender, not its place in the folder: Dovecot's file names ("<time>.M<usec>P...")
    # do not sort in delivery order when two arrive within one second
    [broken] = [f for f in maildir_files(servers, mf.UNIT) if f"From: {SENDERS[1]}".encode() in f.read_bytes()]
    os.chmod(broken, 0)


def mend(servers) -> None:  # type: ignore[no-untyped-def]
    """Every message file readable again (Dovecot may have moved them from new/ to cur/)."""
    root = servers.base_dir / "mail" / mf.UNIT / "Maildir"
    for path in root.rglob("*"):
        if path.is_file() and (path.parent.name in ("new", "cur")):
            os.chmod(path, 0o600)


def quarantine_rows(config: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(load_config(config).database) as db:
        return list(db.execute("select uid, message_id, reason from quarantine order by id"))


def requesters(config: Path) -> list[str]:
    return sorted(t.requester.addr for t in Store(load_config(config).database).search.tickets())


def test_a_message_the_server_cannot_return_does_not_hold_up_the_others(fresh_mailboxes, tmp_path):
    """A message file the server cannot read: Dovecot answers its FETCH with BYE. The mail
    before and after it are handled in the same pass; the broken one is tried on the next
    passes, then moved to Quarantine with its reason and UID (SPEC 2), the coordinators
    told (SPEC 6), and the mailbox goes on: later mail handled, nothing handled twice."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    deliver_with_broken_second(servers)
    try:
        mf.run_once(config)
        assert requesters(config) == ["budi@vendor.test", "sari@dinas.test"]  # within the first pass
        assert (mf.of_kind(mf.inbox(servers, "budi@vendor.test"), "ack")
                and mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "ack"))
        assert not quarantine_rows(config)  # one failure is not yet a verdict
        mf.run_once(config)
        mf.run_once(config)
    finally:
        mend(servers)
    [(uid, message_id, reason)] = quarantine_rows(config)
    assert "could not return" in reason and f"UID {uid}" in reason and "moved to Quarantine" in reason
    assert str(uid) in message_id
    assert [m["From"] for m in mf.inbox(servers, mf.UNIT, "Quarantine")] == ["rusak@vendor.test"]
    assert mf.inbox(servers, mf.UNIT) == []
    alerts = mf.of_kind(mf.inbox(servers, "koordinator@lpse.test"), "system_alert")
    assert len(alerts) == 1 and f"UID {uid}" in alerts[0].get_body(("plain",)).get_content()

    servers.append(mf.UNIT, mf.mail("sari@dinas.test", "Lupa kata sandi", "Mohon direset.")[0])
    mf.run_once(config)
    mf.run_once(config)
    assert requesters(config) == ["budi@vendor.test", "sari@dinas.test", "sari@dinas.test"]
    assert len(mf.of_kind(mf.inbox(servers, "budi@vendor.test"), "ack")) == 1
    assert len(mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "ack")) == 2
    assert len(quarantine_rows(config)) == 1
    assert len(mf.of_kind(mf.inbox(servers, "koordinator@lpse.test"), "system_alert")) == 1


def test_a_message_the_server_can_neither_return_nor_move_is_left_in_the_inbox_and_passed(
        fresh_mailboxes, tmp_path):
    """The move to Quarantine fails too (its folder not writable for the server): the
    message stays in the INBOX, never deleted, recorded as left there; the mailbox goes
    on past it, and it is not handled later even once its file is readable again."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    deliver_with_broken_second(servers)
    quarantine = servers.base_dir / "mail" / mf.UNIT / "Maildir" / "Quarantine"
    try:
        mf.run_once(config)  # creates the Quarantine folder
        mf.run_once(config)
        for sub in ("cur", "new", "tmp"):
            os.chmod(quarantine / sub, 0o500)
        mf.run_once(config)
    finally:
        for sub in ("cur", "new", "tmp"):
            os.chmod(quarantine / sub, 0o700)
        mend(servers)
    [(uid, _, reason)] = quarantine_rows(config)
    assert f"UID {uid}" in reason and "left in INBOX" in reason
    assert [m["From"] for m in mf.inbox(servers, mf.UNIT)] == ["rusak@vendor.test"]  # kept, never deleted
    assert mf.inbox(servers, mf.UNIT, "Quarantine") == []

    servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Lupa kata sandi", "Mohon direset.")[0])
    mf.run_once(config)
    assert requesters(config) == ["budi@vendor.test", "budi@vendor.test", "sari@dinas.test"]  # not rusak's
    assert [m["From"] for m in mf.inbox(servers, mf.UNIT)] == ["rusak@vendor.test"]
    assert len(quarantine_rows(config)) == 1


def test_the_running_daemon_sets_aside_a_message_the_server_cannot_return(fresh_mailboxes, tmp_path):
    """`mailbot run`: the same on its kept connection; the log names the UID, and mail that
    arrives afterwards is answered as usual."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    deliver_with_broken_second(servers)
    proc = mf.daemon(config)
    try:
        assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "ack"), 30)
        assert mf.of_kind(mf.inbox(servers, "budi@vendor.test"), "ack")
        assert mf.wait_for(lambda: quarantine_rows(config), 30)
        servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Lupa kata sandi", "Mohon direset.")[0])
        assert mf.wait_for(lambda: len(mf.of_kind(mf.inbox(servers, "budi@vendor.test"), "ack")) == 2, 30)
    finally:
        out = mf.stop(proc)
        mend(servers)
    [(uid, _, reason)] = quarantine_rows(config)
    assert "moved to Quarantine" in reason
    assert "message_unreadable" in out and f"uid={uid}" in out
    assert "mailbox_unavailable" not in out
    assert requesters(config) == ["budi@vendor.test", "budi@vendor.test", "sari@dinas.test"]


def test_a_server_that_returns_no_message_for_a_while_sets_no_good_mail_aside(fresh_mailboxes, tmp_path):
    """The whole INBOX unreadable for a while (a maildir restored with the wrong owner, its
    storage gone): the server fails, not its messages. The mailbox is reported failing, and
    once the server is mended every message is handled; none was set aside for it."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    senders = [f"pengguna{i}@vendor.test" for i in range(8)]
    for sender in senders:
        servers.append(mf.UNIT, mf.mail(sender, "Tidak bisa login", "Mohon bantuan, akun terkunci.")[0])
    for path in maildir_files(servers, mf.UNIT):
        os.chmod(path, 0)
    try:
        for _ in range(3):
            assert cli.main(["--config", str(config), "run", "--once"]) == cli.EX_UNAVAILABLE  # SPEC 10: 69
    finally:
        mend(servers)
    mf.run_once(config)
    assert quarantine_rows(config) == []
    assert mf.inbox(servers, mf.UNIT, "Quarantine") == []
    assert requesters(config) == sorted(senders)
