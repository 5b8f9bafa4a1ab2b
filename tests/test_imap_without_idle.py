"""Servers as they are. A Dovecot configured to announce no IDLE after login (as
some Zimbra and hosted servers do): mailbot sees it lacks IDLE (`check` says so, the kept
session does not offer it) and the daemon, though `idle: true`, polls every poll_seconds
and answers a request all the same; the same server with IDLE is waited on with IDLE."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.io import imap
from tests import mailfactory as mf
from tests.localmail import LocalMailServers

CATCHALL = "catchall@lpse.test"
# Dovecot's own list with IDLE left out
WITHOUT_IDLE = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN "
                "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE ESEARCH SEARCHRES LIST-STATUS BINARY MOVE "
                "LITERAL+ SPECIAL-USE")


@pytest.fixture(scope="module")
def no_idle(dovecot_installed, tmp_path_factory):  # type: ignore[no-untyped-def]
    servers = LocalMailServers(tmp_path_factory.mktemp("no-idle"), (mf.UNIT, *mf.STAFF, mf.COORDINATOR),
                               catchall=CATCHALL, imap_capability=WITHOUT_IDLE)
    with servers:
        yield servers


def _config(servers: LocalMailServers, tmp_path):  # type: ignore[no-untyped-def]
    return mf.write_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers, idle=True, poll_seconds=2)])


def test_check_and_the_session_see_a_server_without_idle(no_idle, mailservers, tmp_path):
    config = _config(no_idle, tmp_path)
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["--config", str(config), "check"]) == 0
    (line,) = [line for line in out.getvalue().splitlines() if "IMAP" in line and "UIDVALIDITY" in line]
    assert "MOVE UIDPLUS" in line and "IDLE" not in line
    with imap.Mailbox(load_config(config).mailboxes[0].imap) as session:
        assert not session.supports_idle
    (tmp_path / "with-idle").mkdir()
    with imap.Mailbox(load_config(_config(mailservers, tmp_path / "with-idle")).mailboxes[0].imap) as session:
        assert session.supports_idle  # the suite's Dovecot, which announces it


def test_the_daemon_polls_a_server_without_idle_and_answers(no_idle, tmp_path):
    config = _config(no_idle, tmp_path)
    daemon = mf.daemon(config)
    try:
        assert mf.wait_for(lambda: no_idle.folders(mf.UNIT).count("Processed") == 1, 30)  # its first pass
        no_idle.append(mf.UNIT, mf.mail("budi@vendor.test", "Akun terkunci", "Akun saya terkunci.")[0])
        assert mf.wait_for(lambda: len(mf.of_kind(mf.inbox(no_idle, CATCHALL), "ack")) == 1, 15)
    finally:
        output = mf.stop(daemon)
    assert "Traceback" not in output, output[-3000:]
    assert no_idle.fetch(mf.UNIT) == []
