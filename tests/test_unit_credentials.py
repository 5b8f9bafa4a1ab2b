"""Which unit must load each `${CREDENTIALS_DIRECTORY}/NAME` a config names, and what an
installed unit loads, read as systemd reads a unit and its drop-ins (the units' lines, not
mailbot's tables, are the expected values). The whole path, both units run with what their
lines load: tests/test_systemd_credentials.py."""

from __future__ import annotations

from pathlib import Path

import yaml

from mailbot.config.credentials import Credential, named
from mailbot.io.units import loaded_credentials, unit_files

ROOT = Path(__file__).resolve().parents[1]
DAEMON, WINDOW = "mailbot.service", "mailbot-web.service"

CONFIG = """
database: postgresql://mailbot@db.test/mailbot
database_password_file: "${CREDENTIALS_DIRECTORY}/database"
smtp: {host: smtp.office365.com, port: 587, security: starttls, username: lpse@batam.go.id, auth: xoauth2,
       oauth2: {provider: microsoft, tenant: t, client_id: c,
                client_secret_file: "${CREDENTIALS_DIRECTORY}/oauth-secret"}}
mailboxes:
  - name: btm
    address: lpse@batam.go.id
    imap: {host: imap.test, port: 993, security: ssl, username: lpse, password_file: "${CREDENTIALS_DIRECTORY}/imap"}
  - name: dinas
    address: lpse@dinas.test
    imap: {host: imap.test, port: 993, security: ssl, username: dinas,
           password_file: "${CREDENTIALS_DIRECTORY}/imap-dinas"}
    smtp: {host: smtp.test, port: 587, security: starttls, username: dinas, password_file: /etc/dinas-smtp.pass}
"""


def test_each_credential_is_for_the_units_whose_process_reads_it():
    data = yaml.safe_load(CONFIG)
    assert named(data) == [
        Credential("smtp.oauth2.client_secret_file", "oauth-secret", (DAEMON,)),
        Credential("mailboxes[0].imap.password_file", "imap", (DAEMON,)),
        Credential("mailboxes[1].imap.password_file", "imap-dinas", (DAEMON,)),
        Credential("database_password_file", "database", (DAEMON,)),
    ]
    data["web"] = {"listen": "127.0.0.1:8025"}  # the window sends sign-in links through SMTP, logs in as the daemon
    assert [(c.name, c.units) for c in named(data)] == [
        ("oauth-secret", (DAEMON, WINDOW)), ("imap", (DAEMON,)), ("imap-dinas", (DAEMON,)),
        ("database", (DAEMON, WINDOW))]
    data["web"].update(database="postgresql://mailbot_web@db.test/mailbot",
                       database_password_file="${CREDENTIALS_DIRECTORY}/web-database")
    assert [(c.name, c.units) for c in named(data)][-2:] == [("database", (DAEMON,)), ("web-database", (WINDOW,))]


def test_the_shipped_units_load_imap_and_smtp_and_the_windows_smtp_alone(tmp_path):
    for unit in (DAEMON, WINDOW):
        (tmp_path / unit).write_text((ROOT / "systemd" / unit).read_text())
    assert loaded_credentials(DAEMON, [tmp_path]) == {"imap": "/etc/mailbot/credentials/imap",
                                                      "smtp": "/etc/mailbot/credentials/smtp"}
    assert loaded_credentials(WINDOW, [tmp_path]) == {"smtp": "/etc/mailbot/credentials/smtp"}
    assert loaded_credentials("mailbot-wita.service", [tmp_path]) is None  # not installed


def test_drop_ins_are_read_as_systemd_reads_them(tmp_path):
    etc, lib = tmp_path / "etc", tmp_path / "lib"
    (lib / "mailbot-web.service.d").mkdir(parents=True)
    (etc / "mailbot-web.service.d").mkdir(parents=True)
    (etc / "mailbot-.service.d").mkdir(parents=True)
    (lib / WINDOW).write_text("[Service]\nLoadCredential=smtp:/etc/mailbot/credentials/smtp\n")
    (etc / WINDOW).write_text("[Service]\nLoadCredential=smtp:/srv/smtp\n")  # /etc's hides /lib's
    (lib / "mailbot-web.service.d" / "10-oauth.conf").write_text(
        "[Service]\nLoadCredential=oauth-secret:/lib/secret\n")
    (etc / "mailbot-web.service.d" / "10-oauth.conf").write_text(  # the same name in /etc: it wins
        "[Service]\n# a comment\nLoadCredential=oauth-secret:/etc/mailbot/credentials/oauth-secret\n")
    (etc / "mailbot-.service.d" / "20-db.conf").write_text(  # a prefix's drop-in applies to mailbot-web
        "[Unit]\nLoadCredential=not-in-service:/x\n[Service]\nLoadCredential=database:/etc/db\n")
    files = unit_files(WINDOW, [etc, lib])
    assert [f.relative_to(tmp_path) for f in files] == [
        Path("etc/mailbot-web.service"), Path("etc/mailbot-web.service.d/10-oauth.conf"),
        Path("etc/mailbot-.service.d/20-db.conf")]
    assert loaded_credentials(WINDOW, [etc, lib]) == {
        "smtp": "/srv/smtp", "oauth-secret": "/etc/mailbot/credentials/oauth-secret", "database": "/etc/db"}
    (etc / "mailbot-web.service.d" / "30-reset.conf").write_text("[Service]\nLoadCredential=\n"
                                                                  "LoadCredential=only:/etc/only\n")
    assert loaded_credentials(WINDOW, [etc, lib]) == {"only": "/etc/only"}
