"""TLS and login for IMAP and SMTP: ca_file, refused certificates, refused logins, XOAUTH2.

Pure tests of the XOAUTH2 string and the token sources, then integration tests against
a TLS-enabled Dovecot and SMTP server on loopback whose certificate comes from a CA made
for the test run. XOAUTH2 is checked by Dovecot's own oauth2 passdb (against a loopback
tokeninfo endpoint) and by the SMTP server, so no mock stands in for either protocol.
"""

from __future__ import annotations

import base64
import email
import email.policy
import ssl
import sys
from pathlib import Path

import pytest
import yaml

from mailbot import cli, servers
from mailbot.config import ServerConfig
from mailbot.errors import LoginRefusedError
from tests.localmail import LocalMailServers, TestCA
from tests.mailfactory import STAFF, UNIT, mail

TOKEN = "ya29.test-access-token-for-lpse"


def server(**fields: object) -> ServerConfig:
    base: dict = {"host": "outlook.office365.com", "port": 993, "security": "ssl", "username": UNIT,
                  "password": None}
    return ServerConfig(**(base | fields))


# --- pure ------------------------------------------------------------------------------


def test_xoauth2_initial_response_is_the_documented_sasl_string():
    """user=<addr>^Aauth=Bearer <token>^A^A, base64 (Google's and Microsoft's XOAUTH2)."""
    encoded = servers.xoauth2_initial_response("lpse@batam.go.id", "tok")
    assert base64.b64decode(encoded) == b"user=lpse@batam.go.id\x01auth=Bearer tok\x01\x01"
    assert encoded == "dXNlcj1scHNlQGJhdGFtLmdvLmlkAWF1dGg9QmVhcmVyIHRvawEB"


def test_xoauth2_refuses_control_characters():
    """A token with ^A cannot smuggle extra SASL fields."""
    with pytest.raises(LoginRefusedError):
        servers.xoauth2_initial_response(UNIT, "tok\x01auth=Bearer other")


def test_token_file_is_read_at_each_login(tmp_path):
    """An outside tool refreshes the file; each login reads the current token."""
    file = tmp_path / "m365.token"
    file.write_text("first\n")
    cfg = server(auth="xoauth2", token_file=file)
    assert servers.access_token(cfg) == "first"
    file.write_text("second\n")
    assert servers.access_token(cfg) == "second"


def test_missing_or_empty_token_file_is_a_refused_login(tmp_path):
    """No token means no login: `check` reports it as a refused login (77)."""
    with pytest.raises(LoginRefusedError, match="cannot read"):
        servers.access_token(server(auth="xoauth2", token_file=tmp_path / "none"))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(LoginRefusedError, match="is empty"):
        servers.access_token(server(auth="xoauth2", token_file=tmp_path / "empty"))


def test_token_command_prints_the_token(tmp_path):
    """token_command's first output line is the token."""
    cfg = server(auth="xoauth2", token_command=(sys.executable, "-c", "print('tok-from-command')"))
    assert servers.access_token(cfg) == "tok-from-command"


def test_failing_token_command_says_why_without_its_output(tmp_path):
    """A failing command is reported with its last stderr line, never its stdout."""
    script = "import sys; print('half-a-secret'); sys.stderr.write('refresh token expired\\n'); sys.exit(3)"
    cfg = server(auth="xoauth2", token_command=(sys.executable, "-c", script))
    with pytest.raises(LoginRefusedError) as err:
        servers.access_token(cfg)
    assert "exited 3: refresh token expired" in str(err.value) and "half-a-secret" not in str(err.value)


def test_tls_context_verifies_against_system_cas_or_the_ca_file(tmp_path):
    """Verification is always on; ca_file replaces the system CAs."""
    ca = TestCA(tmp_path)
    default = servers.tls_context(server())
    assert default is not None and default.verify_mode == ssl.CERT_REQUIRED and default.check_hostname
    private = servers.tls_context(server(ca_file=ca.cert_file))
    assert private is not None and private.verify_mode == ssl.CERT_REQUIRED and private.check_hostname
    assert [c["subject"] for c in private.get_ca_certs()] == [((("commonName", "mailbot test CA"),),)]
    assert servers.tls_context(server(security="none", host="127.0.0.1")) is None
