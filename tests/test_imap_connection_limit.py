"""Never more than the server's connection limit per mailbox.

Servers cap the sessions one user may hold (Dovecot's mail_max_userip_connections, Gmail's
15, Exchange Online's 20, Zimbra's own): mailbot keeps one IMAP session per mailbox, so it
works where the server allows a single one, and a login the server turns away for want of
room (RFC 5530's [LIMIT]) is not a refused login: `check` says the limit (exit 69, not 77,
with nothing to mend in the credentials) and the daemon waits for a free session and then
serves the mailbox. A Dovecot configured with mail_max_userip_connections = 1 shows it.
"""

from __future__ import annotations

import io
import sqlite3
from contextlib import redirect_stdout

import imapclient
import pytest

from mailbot.cli import main as cli
from tests import mailfactory as mf
from tests.localmail import LocalMailServers

CATCHALL = "catchall@lpse.test"


@pytest.fixture(scope="module")
def one_session(dovecot_installed, tmp_path_factory):  # type: ignore[no-untyped-def]
    servers = LocalMailServers(tmp_path_factory.mktemp("one-session"), (mf.UNIT, *mf.STAFF, mf.COORDINATOR),
                               catchall=CATCHALL, userip_connections=1)
    with servers:
        yield servers


def _config(servers: LocalMailServers, tmp_path):  # type: ignore[no-untyped-def]
    return mf.write_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers, idle=True, poll_seconds=2)])


def _acks(servers: LocalMailServers, requester: str) -> int:
    return sum(requester in str(m["To"]) for m in mf.of_kind(mf.inbox(servers, CATCHALL), "ack"))


def _copies_owed(tmp_path) -> int:  # type: ignore[no-untyped-def]
    """Copies of sent mail not yet in the sent folder, as the daemon's database says."""
    with sqlite3.connect(f"file:{tmp_path / 'mailbot.db'}?mode=ro", uri=True) as conn:
        owed = conn.execute("select count(*) from sent_copies").fetchone()[0] + conn.execute(
            "select count(*) from outbox where status = 'pending'").fetchone()[0]
    conn.close()
    return int(owed)


def _request(servers: LocalMailServers, requester: str) -> None:
    """Delivered as the unit's MTA does (dovecot-lda), not appended over IMAP: the test's own
    session would take the one the server allows."""
    servers.send(mf.mail(requester, "Akun terkunci", "Akun saya terkunci sejak pagi.")[0], requester, [mf.UNIT])


def test_the_daemon_serves_a_mailbox_whose_server_allows_one_session(one_session, tmp_path):
    """Several passes, IDLE and the daily audit, all on the one session the server allows."""
    config = _config(one_session, tmp_path)
    daemon = mf.daemon(config)
    try:
        _request(one_session, "one@vendor.test")
        assert mf.wait_for(lambda: _acks(one_session, "one@vendor.test") == 1, 30)
        _request(one_session, "two@vendor.test")  # woken from IDLE on the same session
        assert mf.wait_for(lambda: _acks(one_session, "two@vendor.test") == 1, 30)
        # the copies of what went are appended on that session too (read back after the stop)
        assert mf.wait_for(lambda: _copies_owed(tmp_path) == 0, 30)
    finally:
        output = mf.stop(daemon)
    assert one_session.fetch(mf.UNIT) == [] and len(one_session.fetch(mf.UNIT, "Processed")) == 2
    sent = {mf.parse(raw)["Message-ID"] for raw in one_session.fetch(mf.UNIT, "Sent")}
    acks = {m["Message-ID"] for m in mf.of_kind(mf.inbox(one_session, CATCHALL), "ack")
            if any(who in str(m["To"]) for who in ("one@vendor.test", "two@vendor.test"))}
    assert len(acks) == 2 and acks <= sent, (acks, sent)
    for word in ("LIMIT", "mailbox_unavailable", "connection_lost", "Traceback"):
        assert word not in output, output[-3000:]


def test_check_beside_the_daemon_names_the_connection_limit_not_a_refused_login(one_session, tmp_path):
    config = _config(one_session, tmp_path)
    daemon = mf.daemon(config)
    try:
        _request(one_session, "beside@vendor.test")
        assert mf.wait_for(lambda: _acks(one_session, "beside@vendor.test") == 1, 30)  # it holds the session
        out = io.StringIO()
        with redirect_stdout(out):
            assert cli.main(["--config", str(config), "check"]) == 69
        (line,) = [line for line in out.getvalue().splitlines() if "imap FAILED" in line]
        assert "mail_max_userip_connections=1" in line and "no more sessions" in line and "refused" not in line
        _request(one_session, "after@vendor.test")  # the daemon's session was not disturbed
        assert mf.wait_for(lambda: _acks(one_session, "after@vendor.test") == 1, 30)
    finally:
        mf.stop(daemon)


def test_a_mail_client_holding_the_only_session_delays_the_daemon_until_it_leaves(one_session, tmp_path):
    """A staff member's mail client logged in as the unit's mailbox takes the only session:
    the daemon says why it waits (the limit, not the password), and serves the mailbox once
    the client leaves, the request that came meanwhile too."""
    client = imapclient.IMAPClient(one_session.host, port=one_session.imap_port, ssl=False)
    client.login(mf.UNIT, "secret")
    client.select_folder("INBOX")
    config = _config(one_session, tmp_path)
    daemon = mf.daemon(config)
    try:
        _request(one_session, "waited@vendor.test")
        assert not mf.wait_for(lambda: _acks(one_session, "waited@vendor.test") == 1, 4)
        client.logout()
        assert mf.wait_for(lambda: _acks(one_session, "waited@vendor.test") == 1, 60)
    finally:
        output = mf.stop(daemon)
    unavailable = [line for line in output.splitlines() if "mailbox_unavailable" in line]
    assert unavailable and all("no more sessions" in line and "refused" not in line for line in unavailable), output
    assert one_session.fetch(mf.UNIT) == []
