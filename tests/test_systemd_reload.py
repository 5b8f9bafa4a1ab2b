"""SIGHUP reloads the config, as `systemctl reload mailbot` (ExecReload=) sends it.

Played as systemd runs it (a real notify socket the test reads, as in test_systemd_run.py)
on real Dovecot and SMTP. A changed valid config takes effect in the same process (the
acks of the operator's new template); a broken one is refused with a log line and an
alert to the coordinators while the config before it serves on. SIGHUP before: the
daemon stopped (exit 75) and systemd brought it back 30 s later.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from email import message_from_bytes, policy

import pytest
import yaml

from tests.mailfactory import hangup_at_default, mail, wait_for
from tests.test_systemd_run import ROOT, NotifySocket, systemd_layout

pytestmark = pytest.mark.integration


def acks_to(servers, requester: str) -> list[str]:
    """The text of the mail `requester` received, in order."""
    return [message_from_bytes(raw, policy=policy.default).get_body(preferencelist=("plain",)).get_content()
            for raw in servers.fetch(requester)]


def ask(servers, requester: str, subject: str = "Akun SPSE terkunci") -> None:
    raw, _ = mail(requester, subject, f"Selamat pagi, {subject.lower()}. Mohon bantuan.")
    servers.send(raw, requester, ["lpse@lpse.test"])


def after(notify: NotifySocket, since: float, line: str, timeout: float) -> float:
    """When `line` came from the daemon after `since`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for when, got in list(notify.messages):
            if when > since and got == line:
                return when
        time.sleep(0.05)
    raise AssertionError(f"no {line!r} after the signal within {timeout} s; got {notify.lines()[-10:]}")


def test_sighup_applies_a_valid_config_and_refuses_a_broken_one(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config, env = systemd_layout(servers, tmp_path)
    data = yaml.safe_load(config.read_text())
    data["log"] = {"format": "json", "level": "info"}
    config.write_text(yaml.safe_dump(data))
    notify = NotifySocket(tmp_path / "notify.sock")
    with hangup_at_default():
        proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        notify.wait_for("READY=1", 60)
        ask(servers, "budi@vendor.test")
        assert wait_for(lambda: acks_to(servers, "budi@vendor.test"), 60), "no ack before the reload"
        assert "Kalimat dari templat operator" not in acks_to(servers, "budi@vendor.test")[0]

        # A valid change: the operator's own ack template.
        templates = tmp_path / "templates" / "id"
        templates.mkdir(parents=True)
        ack = (ROOT / "mailbot" / "templates" / "_mails" / "ack.txt").read_text()  # written once, words in mails.po
        (templates / "ack.txt").write_text("Kalimat dari templat operator.\n\n" + ack)
        data["templates_dir"] = str(tmp_path / "templates")
        config.write_text(yaml.safe_dump(data))
        sent = time.monotonic()
        proc.send_signal(signal.SIGHUP)
        after(notify, sent, "RELOADING=1", 30)
        after(notify, sent, "READY=1", 60)
        ask(servers, "sari@dinas.test")
        assert wait_for(lambda: acks_to(servers, "sari@dinas.test"), 60), "no ack after the reload"
        assert acks_to(servers, "sari@dinas.test")[0].startswith("Kalimat dari templat operator.")
        assert proc.poll() is None

        # A broken change: refused, alerted, the config before it serves on.
        broken = dict(data, mailboxes=[dict(data["mailboxes"][0], tag_prefix="LPSE T!")])
        config.write_text(yaml.safe_dump(broken))
        sent = time.monotonic()
        proc.send_signal(signal.SIGHUP)
        after(notify, sent, "RELOADING=1", 30)
        after(notify, sent, "READY=1", 30)
        assert any(line.startswith("STATUS=reload refused") for line in notify.lines())
        assert wait_for(lambda: any("ditolak saat dimuat ulang" in text
                                    for text in acks_to(servers, "koordinator@lpse.test")), 60), \
            "the coordinators were not alerted"
        ask(servers, "budi@vendor.test", "Cara mengganti email akun SPSE")
        assert wait_for(lambda: len(acks_to(servers, "budi@vendor.test")) == 2, 60), "no ack after the refused reload"
        assert acks_to(servers, "budi@vendor.test")[1].startswith("Kalimat dari templat operator.")
        assert proc.poll() is None

        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        notify.close()
    assert proc.returncode == 0, out.decode()[-3000:]
    events = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    assert names.count("daemon_started") == 1 and "config_reloaded" in names
    refused = [e for e in events if e["event"] == "reload_refused"]
    assert refused and "tag_prefix" in refused[0]["problem"], refused
    assert names[-1] == "daemon_stopped"
