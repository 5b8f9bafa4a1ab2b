"""An SMTP server whose 220 greeting takes 40 s still gets mailbot's mail. RFC 5321
4.5.3.2.1 gives the initial greeting 5 minutes (`smtp.greeting_timeout`, 300 s by default);
the 30 s `smtp.timeout` left such a server without mail. Over the real Dovecot and an
aiosmtpd server that waits before it greets; intake does not wait for the sender.
"""

from __future__ import annotations

import time

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests.faultsmtp import FaultySmtp, smtp_block
from tests.mailfactory import UNIT, daemon, inbox, mail, of_kind, stop, wait_for, write_config

REQUESTER = "budi@vendor.test"


def test_mail_reaches_a_server_whose_greeting_takes_40_seconds(fresh_mailboxes, tmp_path):
    """`mailbot run`: the request is handled and moved at once; its ack is delivered once the
    server has greeted (about 40 s later), over the defaults of the config."""
    servers = fresh_mailboxes
    with FaultySmtp(servers) as smtp:
        smtp.faults.greeting_delay = 40
        config = write_config(servers, tmp_path, smtp=smtp_block(smtp.port))
        assert load_config(config).mailboxes[0].smtp.greeting_timeout == 300  # RFC 5321's 5 minutes by default
        proc = daemon(config)
        try:
            servers.append(UNIT, mail(REQUESTER, "Akun terkunci", "Mohon dibuka.")[0])
            start = time.monotonic()
            assert wait_for(lambda: len(servers.fetch(UNIT, "Processed")) == 1, 20)  # intake did not wait
            handled = time.monotonic() - start
            assert wait_for(lambda: of_kind(inbox(servers, REQUESTER), "ack"), 120)
            acked = time.monotonic() - start
        finally:
            out = stop(proc)
    assert handled < 20 and 35 < acked, (handled, acked, out[-3000:])
    assert smtp.faults.accepted


def test_the_greeting_timeout_is_the_configs(fresh_mailboxes, tmp_path, capsys):
    """`smtp.greeting_timeout: 2` with a server that greets after 6 s: no mail goes out, the
    ack stays in the outbox, deferred with the time-out named."""
    servers = fresh_mailboxes
    with FaultySmtp(servers) as smtp:
        smtp.faults.greeting_delay = 6
        config = write_config(servers, tmp_path, smtp=smtp_block(smtp.port, greeting_timeout=2, timeout=1))
        servers.append(UNIT, mail(REQUESTER, "Akun terkunci", "Mohon dibuka.")[0])
        start = time.monotonic()
        assert cli.main(["--config", str(config), "run", "--once"]) == 75  # mail waits: EX_TEMPFAIL
        took = time.monotonic() - start
    assert not smtp.faults.accepted and not of_kind(inbox(servers, REQUESTER), "ack")
    [row] = [r for r in Store(load_config(config).database).db.query(
        "select kind, status, sent_at, last_error from outbox") if r["kind"] == "ack"]
    assert row["sent_at"] is None and "greeting_timeout: 2 s" in (row["last_error"] or ""), row
    assert took < 6 + 5, took
