"""What `check` accepts, the units can read: each `${CREDENTIALS_DIRECTORY}/NAME` a config
names reaches the process that reads it under systemd.

A host laid out in files as docs/operator/install.md has it, for a config with OAuth2 SMTP
(a client secret, as for Microsoft 365) and a second mailbox with its own IMAP password
file: the shipped units, the drop-ins the guide says to add (the OAuth2 secret's for both
units, the second mailbox's password for the daemon's), the secrets in
/etc/mailbot/credentials. Each unit's process is run as systemd runs it: its
`$CREDENTIALS_DIRECTORY` holds the files its `LoadCredential=` lines name (read here from the
unit and its drop-ins), `$STATE_DIRECTORY` the data. Both start and serve: requests to both
mailboxes acknowledged through SMTP with OAuth2, a sign-in link mailed by the window. Without
a drop-in, the unit's process stops with 78, and `check` (run as the wrapper runs it, reading
the secrets themselves) says so first, naming the key, the unit and the drop-in.

Real parts: Dovecot (passwords, and OAuth2 through its oauth2 passdb), the SMTP server
checking OAuth2 logins, a loopback token endpoint (tests/tokenserver.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests import mailfactory as mf
from tests.localmail import LocalMailServers
from tests.test_systemd_run import NotifySocket
from tests.test_web_command import _port_open
from tests.tokenserver import TokenServer
from tests.webwindow import Client, free_port, web_block

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "operator" / "install.md"
DINAS = "lpse@dinas.test"
CATCHALL = "catchall@lpse.test"
SECRETS = "/etc/mailbot/credentials/"  # where the units load the secrets from
UNITS = ("mailbot.service", "mailbot-web.service")


@pytest.fixture(scope="module")
def world(dovecot_installed, tmp_path_factory):  # type: ignore[no-untyped-def]
    servers = LocalMailServers(tmp_path_factory.mktemp("credential-servers"),
                               (mf.UNIT, DINAS, *mf.STAFF, mf.COORDINATOR, mf.HEAD), catchall=CATCHALL,
                               oauth_tokens={}, check_smtp_logins=True)
    with servers:
        tokens = TokenServer(servers.issue_token)
        tokens.register("mailbot-m365", mf.UNIT, secret="rahasia-aplikasi")
        try:
            yield servers, tokens
        finally:
            tokens.stop()


def _guide_drop_in(name: str) -> tuple[str, str]:
    """The drop-in the guide writes out for a second mailbox's password: (its path, its text)."""
    text = GUIDE.read_text(encoding="utf-8")
    for block in re.findall(r"```ini\n(.*?)```", text, re.DOTALL):
        first, _, rest = block.partition("\n")
        if first.startswith("# /etc/systemd/system/") and first.endswith(f"/{name}"):
            return first[2:], rest
    raise AssertionError(f"the guide writes out no drop-in {name}")


class Host:
    """/etc/systemd/system, /etc/mailbot and /var/lib/mailbot of a host, in files."""

    def __init__(self, tmp: Path, servers: LocalMailServers, tokens: TokenServer) -> None:
        self.tmp, self.servers = tmp, servers
        self.units, self.secrets = tmp / "etc-systemd-system", tmp / "etc-mailbot-credentials"
        self.state = tmp / "state"
        for folder in (self.units, self.secrets, self.state):
            folder.mkdir()
        for unit in UNITS:
            (self.units / unit).write_text(self.here((ROOT / "systemd" / unit).read_text()))
        for unit in UNITS:  # install.md: OAuth2 for SMTP, for both units
            self.drop_in(unit, "oauth-secret.conf", (ROOT / "systemd" / "options" / "oauth-secret.conf").read_text())
        path, text = _guide_drop_in("imap-dinas.conf")
        assert path == "/etc/systemd/system/mailbot.service.d/imap-dinas.conf"
        self.drop_in("mailbot.service", "imap-dinas.conf", text)
        for name, value in (("imap", servers.password_for(mf.UNIT)), ("imap-dinas", servers.password_for(DINAS)),
                            ("smtp", ""), ("oauth-secret", "rahasia-aplikasi")):
            (self.secrets / name).write_text(value + "\n" if value else "")  # scripts/install leaves smtp empty
        self.port = free_port()
        data = mf.config_data(servers, tmp, log={"format": "json", "level": "info"}, database="mailbot.db",
                              archive_dir="archive", secret_key_file="secret.key",
                              web=web_block(self.port), escalation={"address": mf.LKPP, "senders": ["*@lkpp.test"]})
        data["smtp"] = {"host": servers.host, "port": servers.smtp_port, "security": "none", "username": mf.UNIT,
                        "auth": "xoauth2",
                        "oauth2": {"provider": "generic", "token_url": tokens.url, "client_id": "mailbot-m365",
                                   "client_secret_file": "${CREDENTIALS_DIRECTORY}/oauth-secret"}}
        second = mf.mailbox_block(servers, DINAS, name="dinas", prefix="LPSE-DINAS", idle=True, poll_seconds=30)
        for box, secret in ((data["mailboxes"][0], "imap"), (second, "imap-dinas")):
            box["imap"].pop("password")
            box["imap"].update(password_file=f"${{CREDENTIALS_DIRECTORY}}/{secret}", idle=True, poll_seconds=30)
        data["mailboxes"].append(second)
        self.config = tmp / "config.yaml"
        self.config.write_text(yaml.safe_dump(data, allow_unicode=True))

    def here(self, text: str) -> str:
        """A unit's text on this host in files: its /etc/mailbot/credentials is the test's folder."""
        return text.replace(SECRETS, f"{self.secrets}/")

    def drop_in(self, unit: str, name: str, text: str) -> None:
        folder = self.units / f"{unit}.d"
        folder.mkdir(exist_ok=True)
        (folder / name).write_text(self.here(text))

    def laid_out(self, unit: str) -> Path:
        """$CREDENTIALS_DIRECTORY as systemd makes it for `unit`: a file per `LoadCredential=ID:PATH`
        of the unit and its drop-ins, holding PATH's contents."""
        folder = self.tmp / f"credentials-{unit}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        files = [self.units / unit, *sorted((self.units / f"{unit}.d").glob("*.conf"))]
        for file in files:
            for name, source in re.findall(r"^LoadCredential=([^:\s]+):(\S+)$", file.read_text(), re.MULTILINE):
                shutil.copy(source, folder / name)
        return folder

    def env(self, unit: str | None) -> dict[str, str]:
        """The process's environment under `unit`, or as the wrapper (/usr/local/sbin/mailbot) sets it."""
        credentials = self.laid_out(unit) if unit else self.secrets
        return dict(os.environ, STATE_DIRECTORY=str(self.state), CREDENTIALS_DIRECTORY=str(credentials),
                    SYSTEMD_UNIT_PATH=str(self.units), NOTIFY_SOCKET=str(self.tmp / "notify.sock"))

    def command(self, *args: str, unit: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(self.config), *args], cwd=ROOT,
                              env=self.env(unit), capture_output=True, text=True, timeout=120, check=False)

    def start(self, unit: str) -> subprocess.Popen[bytes]:
        command = "run" if unit == "mailbot.service" else "web"
        with mf.hangup_at_default():
            return subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(self.config), command],
                                    cwd=ROOT, env=self.env(unit), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    start_new_session=True)


def _acked(servers: LocalMailServers, requester: str) -> bool:
    return any(requester in str(m["To"]) for m in mf.of_kind(mf.inbox(servers, CATCHALL), "ack"))


def test_both_units_start_with_what_their_credential_lines_load_and_check_names_a_missing_one(world, tmp_path):
    servers, tokens = world
    host = Host(tmp_path, servers, tokens)
    checked = host.command("check")  # as the wrapper runs it: the secrets read from /etc/mailbot/credentials
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "credentials: ok (mailbot.service loads imap, imap-dinas, oauth-secret, smtp)" in checked.stdout
    assert "credentials: ok (mailbot-web.service loads oauth-secret, smtp)" in checked.stdout

    notify = NotifySocket(tmp_path / "notify.sock")
    daemon = window = None
    try:
        daemon = host.start("mailbot.service")
        notify.wait_for("READY=1", 60)
        for to, requester in ((mf.UNIT, "rina@vendor.test"), (DINAS, "yusuf@vendor.test")):
            servers.append(to, mf.mail(requester, "Akun SPSE terkunci", "Mohon dibuka.", to=to)[0])
        assert mf.wait_for(lambda: _acked(servers, "rina@vendor.test") and _acked(servers, "yusuf@vendor.test"), 60)
        window = host.start("mailbot-web.service")
        assert mf.wait_for(lambda: _port_open(host.port) or window.poll() is not None, 30)
        assert window.poll() is None, mf.stop(window)
        Client(host.port).ask_link(mf.STAFF[0])  # the sign-in link goes out through SMTP with OAuth2
        assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "web_signin"), 30)
    finally:
        outputs = [mf.stop(p) for p in (window, daemon) if p is not None]
        notify.close()
    assert all("Traceback" not in out for out in outputs), outputs

    # the window's unit without the OAuth2 secret's drop-in: check fails first, naming it, and the unit would stop
    (host.units / "mailbot-web.service.d" / "oauth-secret.conf").unlink()
    checked = host.command("check")
    assert checked.returncode == 78, checked.stdout + checked.stderr
    assert ("credentials: FAILED: smtp.oauth2.client_secret_file: ${CREDENTIALS_DIRECTORY}/oauth-secret is not "
            "loaded by mailbot-web.service (it loads smtp)") in checked.stdout
    assert ("copy /opt/mailbot/systemd/options/oauth-secret.conf to /etc/systemd/system/mailbot-web.service.d/"
            in checked.stdout)
    assert "credentials: ok (mailbot.service loads imap, imap-dinas, oauth-secret, smtp)" in checked.stdout
    refused = host.command("web", unit="mailbot-web.service")
    assert refused.returncode == 78 and "smtp.oauth2.client_secret_file: cannot read" in refused.stderr

    # the daemon's unit without the second mailbox's password: likewise
    (host.units / "mailbot.service.d" / "imap-dinas.conf").unlink()
    checked = host.command("check")
    assert checked.returncode == 78
    assert ("credentials: FAILED: mailboxes[1].imap.password_file: ${CREDENTIALS_DIRECTORY}/imap-dinas is not "
            "loaded by mailbot.service") in checked.stdout
    assert ("add /etc/systemd/system/mailbot.service.d/imap-dinas.conf holding the two lines '[Service]' and "
            "'LoadCredential=imap-dinas:/etc/mailbot/credentials/imap-dinas'") in checked.stdout
    refused = host.command("run", "--once", unit="mailbot.service")
    assert refused.returncode == 78 and "mailboxes[1].imap.password_file: cannot read" in refused.stderr

    # a drop-in that loads the secret from a file that is not there (a typo): the unit fails to start (243)
    host.drop_in("mailbot.service", "imap-dinas.conf", _guide_drop_in("imap-dinas.conf")[1].replace(
        "credentials/imap-dinas", "credentials/imap_dinas"))
    checked = host.command("check")
    assert checked.returncode == 78
    assert (f"${{CREDENTIALS_DIRECTORY}}/imap-dinas is loaded by mailbot.service from {host.secrets}/imap_dinas, "
            "which does not exist") in checked.stdout
