"""`run --once` (a timer's pass, a script's) never says 0 while mail waits.

A database that could not store a message (its write lock held past the busy timeout)
left the mail in the INBOX and exited 0; so did a pass whose acks the SMTP server did
not take. Both now exit 75 (EX_TEMPFAIL: try again later); the next pass, the cause
gone, handles the mail once and exits 0. Real Dovecot and SMTP.
"""

from __future__ import annotations

import sqlite3

import yaml

from mailbot.cli import main as cli
from tests.mailfactory import mail, write_config


def deliver(servers, sender: str) -> None:
    raw, _ = mail(sender, "Akun SPSE terkunci", "Selamat pagi, akun saya terkunci. Mohon bantuan.")
    servers.send(raw, sender, ["lpse@lpse.test"])


def test_a_message_that_could_not_be_stored_makes_75_then_0(fresh_mailboxes, tmp_path, capsys):
    servers = fresh_mailboxes
    path = write_config(servers, tmp_path)
    assert cli.main(["--config", str(path), "run", "--once"]) == 0  # the database made, nothing waiting
    deliver(servers, "budi@vendor.test")
    holder = sqlite3.connect(tmp_path / "mailbot.db", isolation_level=None)
    holder.execute("begin immediate")  # an operator's sqlite3 shell, a long backup: the write lock held
    try:
        assert cli.main(["--config", str(path), "run", "--once"]) == 75
    finally:
        holder.execute("rollback")
        holder.close()
    assert "database is locked" in capsys.readouterr().err
    assert len(servers.fetch("lpse@lpse.test")) == 1  # still in the INBOX
    assert servers.fetch("budi@vendor.test") == []
    assert cli.main(["--config", str(path), "run", "--once"]) == 0
    assert len(servers.fetch("budi@vendor.test")) == 1  # acked once


def test_mail_that_could_not_be_sent_makes_75_then_0(fresh_mailboxes, tmp_path, capsys):
    servers = fresh_mailboxes
    path = write_config(servers, tmp_path)
    data = yaml.safe_load(path.read_text())
    good = data["smtp"]["port"]
    data["smtp"]["port"] = 9  # nothing listens: the acks wait in the outbox
    path.write_text(yaml.safe_dump(data))
    deliver(servers, "budi@vendor.test")
    assert cli.main(["--config", str(path), "run", "--once"]) == 75
    assert "not sent" in capsys.readouterr().err
    assert servers.fetch("budi@vendor.test") == []
    data["smtp"]["port"] = good
    path.write_text(yaml.safe_dump(data))
    with sqlite3.connect(tmp_path / "mailbot.db") as conn:  # the retry is due now, not after its backoff
        conn.execute("update outbox set next_attempt_at = '2000-01-01T00:00:00.000000Z'")
    conn.close()
    assert cli.main(["--config", str(path), "run", "--once"]) == 0
    assert len(servers.fetch("budi@vendor.test")) == 1
