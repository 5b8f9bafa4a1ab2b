"""SMTP without AUTH: no `smtp.username` means no login; a username set for a
server that offers no AUTH is a configuration error that names the key (exit 78), not
"server unreachable" (69).

The server is a real aiosmtpd on loopback that offers no AUTH (`tests/faultsmtp.py`:
no TLS, so aiosmtpd keeps AUTH back), delivering into the local Dovecot; mail mailbot
sends is read back over IMAP.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import yaml

from mailbot.cli import main as cli
from tests.faultsmtp import FaultySmtp, smtp_block
from tests.mailfactory import UNIT, inbox, mail, write_config

REQUESTER = "budi@vendor.test"


@pytest.fixture
def no_auth(fresh_mailboxes):
    with FaultySmtp(fresh_mailboxes) as server:
        yield fresh_mailboxes, server


def test_check_names_smtp_username_when_the_server_offers_no_auth(no_auth, tmp_path, capsys):
    """`check` against a server without AUTH and a username set: 78, and the line says the
    server offers no AUTH and which key to remove."""
    servers, smtp = no_auth
    config = write_config(servers, tmp_path, smtp=smtp_block(smtp.port, username=UNIT, password="pw"))
    assert cli.main(["--config", str(config), "check"]) == 78
    out = capsys.readouterr().out
    assert "smtp.username" in out and "offers no AUTH" in out
    assert "unreachable" not in out.lower()
    assert "pw" not in out.split("smtp.username", 1)[1]  # the password never shows


def test_a_mailbox_smtp_block_is_named_by_its_own_key(no_auth, tmp_path, capsys):
    """A mailbox's own smtp block is named as `mailboxes[0].smtp.username`."""
    servers, smtp = no_auth
    config = write_config(servers, tmp_path)
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][0]["smtp"] = smtp_block(smtp.port, username=UNIT, password="pw")
    config.write_text(yaml.safe_dump(data))
    assert cli.main(["--config", str(config), "check"]) == 78
    assert "mailboxes[0].smtp.username" in capsys.readouterr().out


def test_without_username_no_auth_is_tried_and_mail_goes_out(no_auth, tmp_path, capsys):
    """No `username`: no AUTH; `check` says ok and `run --once` delivers the ack."""
    servers, smtp = no_auth
    config = write_config(servers, tmp_path, smtp=smtp_block(smtp.port))
    assert cli.main(["--config", str(config), "check"]) == 0
    raw, _ = mail(REQUESTER, "Tidak bisa login SPSE", "Akun saya terkunci. Mohon bantuan.")
    servers.append(UNIT, raw)
    assert cli.main(["--config", str(config), "run", "--once"]) == 0
    assert len(inbox(servers, REQUESTER)) == 1


def test_run_once_exits_78_naming_the_key_and_keeps_the_mail(no_auth, tmp_path, capsys):
    """`run --once` with a username for a server without AUTH: the ticket is made, its ack
    stays in the outbox (not given up), and the exit is 78 with the key named on stderr;
    with the username removed the next pass sends it."""
    servers, smtp = no_auth
    config = write_config(servers, tmp_path, smtp=smtp_block(smtp.port, username=UNIT, password="pw"))
    raw, _ = mail(REQUESTER, "Tidak bisa login SPSE", "Akun saya terkunci. Mohon bantuan.")
    servers.append(UNIT, raw)
    assert cli.main(["--config", str(config), "run", "--once"]) == 78
    err = capsys.readouterr().err
    assert "configuration error: smtp.username" in err and "offers no AUTH" in err
    assert inbox(servers, REQUESTER) == []
    config.write_text(yaml.safe_dump({**yaml.safe_load(config.read_text()), "smtp": smtp_block(smtp.port)}))
    assert cli.main(["--config", str(config), "run", "--once"]) == 0
    assert len(inbox(servers, REQUESTER)) == 1


def test_the_daemon_stops_with_78_naming_the_key(no_auth, tmp_path):
    """`run` under a username the server cannot take: the sender meets it on the first mail,
    and the daemon stops with 78 (systemd does not restart into it), saying what to mend."""
    servers, smtp = no_auth
    config = write_config(servers, tmp_path, smtp=smtp_block(smtp.port, username=UNIT, password="pw"))
    raw, _ = mail(REQUESTER, "Tidak bisa login SPSE", "Akun saya terkunci. Mohon bantuan.")
    servers.append(UNIT, raw)
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 78, err
    assert b"configuration error: smtp.username" in err and b"offers no AUTH" in err
    assert inbox(servers, REQUESTER) == []
