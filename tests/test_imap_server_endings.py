"""Servers that end sessions, as Zimbra does (tests/imapfront.py before Dovecot).

* A server that ends a session whose client was silent for a while (Zimbra's
  imap_authenticated_max_idle_time; a NAT box or load balancer in front of any server):
  mailbot learns how long the server waits and renews IDLE before that, so after two
  endings that agree its session stays, and new mail is still answered at once.
* A run of failed commands (Zimbra: five) ends the session. mailbot gives a session up
  at its first failed command and opens a new one, so it never makes the run; a server
  ending the session at the first error is met the same way; the mailbox is served once
  the server works again, no mail lost, each request answered once.
"""

from __future__ import annotations

import io
import time
from contextlib import redirect_stdout

import pytest

from mailbot.cli import main as cli
from mailbot.daemon.idle_length import IdleLength, idle_renewal
from tests import mailfactory as mf
from tests.imapfront import MAINTENANCE, NOT_CONNECTED, ImapFront
from tests.localmail import LocalMailServers

CATCHALL = "catchall@lpse.test"


@pytest.fixture
def servers(dovecot_installed, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Each test its own: the daily audit would report another test's handled mail."""
    local = LocalMailServers(tmp_path_factory.mktemp("endings"), (mf.UNIT, *mf.STAFF, mf.COORDINATOR),
                             catchall=CATCHALL)
    with local:
        yield local


def _config(servers: LocalMailServers, tmp_path, front: ImapFront, **imap):  # type: ignore[no-untyped-def]
    return mf.write_config(servers, tmp_path, log={"format": "json", "level": "info"},
                           mailboxes=[mf.mailbox_block(servers, port=front.port, **imap)])


def _acks(servers: LocalMailServers, requester: str) -> int:
    return sum(requester in str(m["To"]) for m in mf.of_kind(mf.inbox(servers, CATCHALL), "ack"))


def _request(servers: LocalMailServers, requester: str, subject: str) -> None:
    servers.send(mf.mail(requester, subject, "Mohon bantuan, akun saya terkunci.")[0], requester, [mf.UNIT])


def test_idle_is_renewed_before_a_server_ends_silent_sessions(servers, tmp_path):
    """The server ends sessions silent for 4 s; poll_seconds is 60. After two such endings
    (one alone may be a restart) mailbot renews IDLE within the time the server waited:
    its next session stays, and new mail is answered from IDLE."""
    front = ImapFront(servers.imap_port, idle_drop=4)
    try:
        config = _config(servers, tmp_path, front, idle=True, poll_seconds=60)
        daemon = mf.daemon(config)
        try:
            _request(servers, "first@vendor.test", "Akun terkunci")
            assert mf.wait_for(lambda: _acks(servers, "first@vendor.test") == 1, 30)
            assert mf.wait_for(lambda: front.ended_idle >= 2, 30)
            time.sleep(2)  # the session after the second ending is open
            ended, accepted = front.ended_idle, front.accepted
            time.sleep(13)  # three of the server's silences
            assert (front.ended_idle, front.accepted) == (ended, accepted) == (2, 3)
            assert front.most_open == 1, front
            _request(servers, "later@vendor.test", "Dokumen tidak terunggah")
            assert mf.wait_for(lambda: _acks(servers, "later@vendor.test") == 1, 10)  # woken from IDLE
        finally:
            output = mf.stop(daemon)
        assert output.count('"idle_shortened"') == 1, output[-3000:]
        assert "mailbox_unavailable" not in output and "Traceback" not in output, output[-3000:]
        assert servers.fetch(mf.UNIT) == []
    finally:
        front.stop()


@pytest.mark.parametrize("errors_drop", [5, 1])
def test_a_session_failing_in_maintenance_is_opened_again_and_no_mail_is_lost(servers, tmp_path, errors_drop):
    """The mailbox goes into maintenance for 8 s: every command past the login fails. mailbot
    gives up a session at its first failed command and opens a new one, so Zimbra's five in
    a row never come (`errors_drop` 5); a server that ends the session at the first error
    (1) is opened again all the same. The request that came meanwhile is answered once after,
    and no alert goes out for a few seconds' failures."""
    front = ImapFront(servers.imap_port, errors_drop=errors_drop)
    try:
        config = _config(servers, tmp_path, front, idle=True, poll_seconds=2)
        daemon = mf.daemon(config)
        try:
            _request(servers, f"before{errors_drop}@vendor.test", "Akun terkunci")
            assert mf.wait_for(lambda: _acks(servers, f"before{errors_drop}@vendor.test") == 1, 30)
            front.refusal = MAINTENANCE
            _request(servers, f"during{errors_drop}@vendor.test", "Jadwal tender berubah")
            time.sleep(8)
            front.refusal = None
            assert mf.wait_for(lambda: _acks(servers, f"during{errors_drop}@vendor.test") == 1, 60)
        finally:
            output = mf.stop(daemon)
        assert front.ended_errors == 0 if errors_drop == 5 else front.ended_errors >= 1, (front, front.failed)
        assert front.accepted >= 2 and front.most_open == 1, front  # opened again, never two at once
        assert servers.fetch(mf.UNIT) == [] and servers.fetch(mf.UNIT, "Quarantine") == []
        assert _acks(servers, f"during{errors_drop}@vendor.test") == 1
        assert "Traceback" not in output, output[-3000:]
        alerts = mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "system_alert")
        assert alerts == [], [mf.text_of(a)[:600] for a in alerts]
    finally:
        front.stop()


@pytest.mark.parametrize(("endings", "renewal", "then"), [
    ([4.2, 4.0], 60.0, 3.0),  # a server ending silent sessions after 4 s: three quarters of it
    ([4.2], 60.0, 60.0),  # one ending alone: a restart, a dropped line
    ([30.0, 4.0], 60.0, 60.0),  # two that disagree: no rule of the server's
    ([600.0, 590.0], 60.0, 60.0),  # never longer than before
    ([2.1, 2.0], 60.0, 2.0),  # never shorter than the floor
])
def test_idle_renewal_learns_from_two_early_endings_that_agree(endings, renewal, then):
    assert idle_renewal(endings, renewal) == pytest.approx(then)


def test_a_shortened_idle_is_tried_whole_again_after_an_hour_and_shortened_again_at_one_ending():
    """What was learnt may pass (a NAT box replaced): an hour after IDLE was shortened, the
    whole 25 minutes are tried again. A server still ending sessions after 4 s ends that
    one, and with the ending remembered, IDLE is shortened again at once (one new session,
    not two); a server that no longer does lets IDLE last, and it stays whole."""
    idle = IdleLength()
    assert not idle.try_whole(0.0) and idle.renew == 25 * 60
    assert idle.ended(4.2, 60.0, 10.0) is None  # one ending alone teaches nothing
    assert idle.ended(4.0, 60.0, 20.0) == pytest.approx(3.0)
    assert not idle.try_whole(20.0 + 3599) and idle.renew == pytest.approx(3.0)
    assert idle.try_whole(20.0 + 3600) and idle.renew == 25 * 60  # tried whole again
    assert idle.ended(4.1, 60.0, 3700.0) == pytest.approx(3.0)  # the server still ends them: shortened at once
    assert idle.try_whole(3700.0 + 3600) and idle.renew == 25 * 60
    idle.lasted()  # the whole length lasted: the server no longer ends them
    assert idle.ended(4.1, 60.0, 7400.0) is None
    assert not idle.try_whole(7400.0 + 3600) and idle.renew == 25 * 60
    assert idle.ended(1.0, 60.0, 9000.0) is None and idle.ended(59.5, 60.0, 9100.0) is None  # dead, or its own DONE


def test_check_names_a_login_exchange_took_without_the_mailbox(servers, tmp_path):
    """Exchange Online takes the login of an app that may not open the mailbox (no
    Add-MailboxPermission for its service principal), then answers each command "BAD User is
    authenticated but not connected." and ends the session after the second. `check` names
    that answer and the likeliest cause (77, as a refused login), not a folder it could not
    create."""
    front = ImapFront(servers.imap_port, errors_drop=2, refusal=NOT_CONNECTED)
    try:
        config = _config(servers, tmp_path, front, idle=True, poll_seconds=2)
        out = io.StringIO()
        with redirect_stdout(out):
            assert cli.main(["--config", str(config), "check"]) == 77
        said = out.getvalue()
        refused = "but not the mailbox: LIST command error: BAD User is authenticated but not connected."
        assert "imap FAILED:" in said and refused in said, said
        # this login is a password's: the hint for it (an app's and a person's token: test_oauth2_tokens)
        assert "after a wrong password too" in said and "cannot create IMAP folder" not in said, said
    finally:
        front.stop()


def test_a_mailbox_exchange_does_not_open_waits_and_is_served_once_granted(servers, tmp_path):
    """The same refusal while the daemon runs, until the administrator grants the mailbox:
    the daemon says why once, holds no more than one session at the server while it tries
    again, keeps the request in the INBOX, and answers it once the mailbox is granted."""
    front = ImapFront(servers.imap_port, errors_drop=2, refusal=NOT_CONNECTED)
    try:
        config = _config(servers, tmp_path, front, idle=True, poll_seconds=2)
        _request(servers, "granted@vendor.test", "Akun terkunci")
        daemon = mf.daemon(config)
        try:
            assert mf.wait_for(lambda: front.accepted >= 3, 30)  # tried again, more than once
            assert _acks(servers, "granted@vendor.test") == 0 and len(servers.fetch(mf.UNIT)) == 1
            front.refusal = None
            assert mf.wait_for(lambda: _acks(servers, "granted@vendor.test") == 1, 60)
        finally:
            output = mf.stop(daemon)
        assert front.most_open == 1, front
        unavailable = [line for line in output.splitlines() if '"mailbox_unavailable"' in line]
        assert len(unavailable) == 1 and "but not the mailbox" in unavailable[0], output[-3000:]
        assert '"mailbox_available_again"' in output and "Traceback" not in output, output[-3000:]
        assert servers.fetch(mf.UNIT) == [] and servers.fetch(mf.UNIT, "Quarantine") == []
    finally:
        front.stop()
