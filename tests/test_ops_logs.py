"""Day two: the journal holds no secrets and no requester bodies at info."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests import mailfactory as mf

ROOT = Path(__file__).resolve().parents[1]


def test_json_log_lines_carry_no_secret_and_no_body(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, log={"format": "json", "level": "info"})
    data = yaml.safe_load(config.read_text())
    password = data["mailboxes"][0]["imap"]["password"]
    data["mailboxes"][0]["imap"]["idle"] = True
    config.write_text(yaml.safe_dump(data))
    proc = mf.daemon(config)
    try:
        servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Akun", "RAHASIA-BODY-1 NIK 3171234567890001")[0])
        assert mf.wait_for(lambda: len(servers.fetch(mf.UNIT, "Processed")) == 1, 30)
        assert mf.wait_for(lambda: len(servers.fetch(mf.STAFF[0])) >= 1, 30)
        notice = mf.latest(servers, mf.STAFF[0], "staff_new")
        servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#catatan RAHASIA-NOTE-2")[0])
        servers.append(mf.UNIT,
                       b"From: x@vendor.test\r\nSubject: broken\r\n\r\nRAHASIA-BODY-3 " + b"\xff" * 10 + b"\r\n")
        assert mf.wait_for(lambda: len(servers.fetch(mf.UNIT, "INBOX")) == 0, 30)
    finally:
        out = mf.stop(proc)
    # wrong password: the refused login
    data["mailboxes"][0]["imap"]["password"] = "WRONG-PASSWORD-XYZ"
    config.write_text(yaml.safe_dump(data))
    proc = mf.daemon(config)
    import time
    time.sleep(4)
    out += mf.stop(proc)
    key = (tmp_path / "secret.key").read_bytes().strip().decode(errors="replace")
    lines = [line for line in out.splitlines() if line.strip()]
    for line in lines:
        json.loads(line)  # one JSON object a line
    assert '"event": "mail_sent"' in out, "the sender's log lines reach the daemon's stdout (the journal)"
    for secret in (password, "WRONG-PASSWORD-XYZ", key, "RAHASIA-BODY-1", "RAHASIA-NOTE-2", "RAHASIA-BODY-3",
                   "3171234567890001"):
        assert secret not in out, secret


def _log_lines(tmp_path, journal: bool) -> list[str]:
    out = tmp_path / "stdout"
    with out.open("w") as fh:
        st = os.fstat(fh.fileno())
        env = {**os.environ, "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}" if journal else ""}
        code = ("from mailbot.io import logs; logs.configure(); log = logs.get(mailbox='btm');"
                "log.warning('mailbox_unavailable', error='x'); log.info('mail_sent'); log.error('step_failed')")
        subprocess.run([sys.executable, "-c", code], stdout=fh, env=env, check=True, cwd=ROOT, timeout=60)
    return out.read_text().splitlines()


def test_under_systemd_each_log_line_carries_its_priority_for_the_journal(tmp_path):
    """journald stored every line at priority info: `journalctl -u mailbot -p warning` showed
    none of the warnings and errors. With stdout the journal's stream (JOURNAL_STREAM), a
    line starts with its syslog priority; elsewhere (a terminal, a file) it does not."""
    lines = _log_lines(tmp_path, journal=True)
    assert [line[:3] for line in lines] == ["<4>", "<6>", "<3>"]
    assert "mailbox_unavailable" in lines[0] and "step_failed" in lines[2]
    assert not any(line.startswith("<") for line in _log_lines(tmp_path, journal=False))


RELAY_RACE = """
import os, threading
from mailbot.io import logs
from mailbot.daemon.sender import SenderProcess
logs.configure("json")
log = logs.get(mailbox="btm")
read, write = os.pipe()
sender = SenderProcess.__new__(SenderProcess)
sender.notify = lambda line: None
def feed():
    with os.fdopen(write, "wb") as pipe:
        for i in range(30000):
            pipe.write(b'{"event": "mail_sent", "i": %d}\\n' % i)
threading.Thread(target=feed).start()
relay = threading.Thread(target=sender.relay, args=(os.fdopen(read, "rb"),))
relay.start()
for i in range(30000):
    log.info("message_processed", i=i)
relay.join()
"""


@pytest.mark.integration  # a process racing threads over 60,000 lines
def test_the_senders_lines_never_land_inside_a_line_of_the_daemon(tmp_path):
    """The daemon passes its sender's log lines on to stdout from another thread while it
    logs its own: a relayed line written between a log line and its newline made one line
    of two ('{...message_processed...}{...mail_sent...}', unreadable as JSON, at the first
    one's priority) and an empty one. Every line is one whole JSON object."""
    out = tmp_path / "stdout"
    with out.open("w") as fh:
        subprocess.run([sys.executable, "-c", RELAY_RACE], stdout=fh, check=True, cwd=ROOT, timeout=120)
    lines = out.read_text().splitlines()
    assert len(lines) == 60000
    events = [json.loads(line)["event"] for line in lines]
    assert events.count("mail_sent") == events.count("message_processed") == 30000
