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
import socket
import ssl
import sys
import threading
from pathlib import Path

import pytest
import yaml

from mailbot.cli import main as cli
from mailbot.errors import LoginRefusedError, UnreachableError
from mailbot.io import servers
from mailbot.settings import ServerConfig
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


# --- against TLS-enabled Dovecot and SMTP on loopback ----------------------------------


@pytest.fixture(scope="module")
def tls_world(dovecot_installed, tmp_path_factory):
    """Servers with a certificate for `localhost` only, from the unit's CA; and a rogue CA."""
    from tests.conftest import CATCHALL, USERS

    try:
        resolved = {info[4][0] for info in socket.getaddrinfo("localhost", None, socket.AF_INET)}
    except OSError:
        resolved = set()
    if "127.0.0.1" not in resolved:  # every Debian host has it in /etc/hosts; a bare chroot may not
        pytest.fail("the name localhost does not resolve to 127.0.0.1 here (add it to /etc/hosts)", pytrace=False)
    base = tmp_path_factory.mktemp("tls")
    ca = TestCA(base / "unit-ca", name="mailbot test CA")
    rogue = TestCA(base / "rogue-ca", name="some other CA")
    tls = ca.issue("mail", ("localhost",))  # 127.0.0.1 is then a wrong name for it
    mailservers = LocalMailServers(base / "servers", USERS, catchall=CATCHALL, tls=tls,
                                   oauth_tokens={TOKEN: UNIT}, check_smtp_logins=True)
    with mailservers:
        yield mailservers, ca, rogue


def tls_config(tmp_path: Path, world, *, imap: dict | None = None, smtp: dict | None = None) -> Path:
    mailservers, ca, _rogue = world
    password = mailservers.password_for(UNIT)
    data = {
        "database": str(tmp_path / "mailbot.db"), "archive_dir": str(tmp_path / "archive"),
        "secret_key_file": str(tmp_path / "secret.key"), "log": {"format": "console", "level": "warning"},
        "smtp": {"host": "localhost", "port": mailservers.smtp_port, "security": "starttls", "username": UNIT,
                 "password": password, "ca_file": str(ca.cert_file)} | (smtp or {}),
        "mailboxes": [{
            "name": "t", "address": UNIT, "tag_prefix": "LPSE-T", "staff": list(STAFF),
            "imap": {"host": "localhost", "port": mailservers.imaps_port, "security": "ssl", "username": UNIT,
                     "password": password, "ca_file": str(ca.cert_file), "idle": False} | (imap or {}),
        }],
    }
    for block in (data["smtp"], data["mailboxes"][0]["imap"]):  # type: ignore[index]
        for key in [k for k, v in block.items() if v is None]:
            del block[key]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def check(path: Path, capsys) -> tuple[int, str]:
    code = cli.main(["--config", str(path), "check"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_check_over_tls_with_the_units_ca_file(tls_world, tmp_path, capsys, security):
    """IMAPS or IMAP+STARTTLS and SMTP+STARTTLS, certificates verified against ca_file."""
    port = tls_world[0].imaps_port if security == "ssl" else tls_world[0].imap_port
    code, out = check(tls_config(tmp_path, tls_world, imap={"security": security, "port": port}), capsys)
    assert code == 0, out
    assert f"t: IMAP localhost:{port} ok" in out
    assert f"t: SMTP localhost:{tls_world[0].smtp_port} ok (starttls, password)" in out


def test_a_certificate_from_another_ca_is_refused(tls_world, tmp_path, capsys):
    """With the wrong CA in ca_file neither server is trusted: exit 69, saying why."""
    rogue = str(tls_world[2].cert_file)
    code, out = check(tls_config(tmp_path, tls_world, imap={"ca_file": rogue}, smtp={"ca_file": rogue}), capsys)
    assert code == 69, out
    assert "t: imap FAILED: IMAP server localhost:" in out and "t: smtp FAILED: SMTP server localhost:" in out
    assert out.count("TLS certificate refused: unable to get local issuer certificate") == 2
    assert "set ca_file" in out


def test_system_cas_alone_do_not_trust_a_private_ca(tls_world, tmp_path, capsys):
    """Without ca_file the system CAs decide, and they do not know the unit's CA."""
    code, out = check(tls_config(tmp_path, tls_world, imap={"ca_file": None}, smtp={"ca_file": None}), capsys)
    assert code == 69, out
    assert out.count("TLS certificate refused") == 2


def test_a_certificate_for_another_name_is_refused(tls_world, tmp_path, capsys):
    """The right CA but a certificate for `localhost`, reached as 127.0.0.1: refused."""
    code, out = check(tls_config(tmp_path, tls_world, imap={"host": "127.0.0.1"}, smtp={"host": "127.0.0.1"}),
                      capsys)
    assert code == 69, out
    assert out.count("TLS certificate refused: IP address mismatch") == 2


def test_a_refused_smtp_login_exits_77(tls_world, tmp_path, capsys):
    """The SMTP server says 535: a refused login (77), while IMAP is fine."""
    code, out = check(tls_config(tmp_path, tls_world, smtp={"password": "wrong"}), capsys)
    assert code == 77, out
    assert "t: IMAP localhost" in out
    assert f"t: smtp FAILED: SMTP login to localhost:{tls_world[0].smtp_port} as {UNIT} refused: 535" in out


def test_tls_sent_to_a_port_that_starts_in_plain_text_says_try_starttls(tls_world, tmp_path, capsys):
    """security: ssl on IMAP's 143 or submission's 587 (they start in plain text): exit 69, and
    the line says what to change, not OpenSSL's 'wrong version number' alone."""
    code, out = check(tls_config(tmp_path, tls_world, imap={"port": tls_world[0].imap_port},
                                 smtp={"security": "ssl"}), capsys)
    assert code == 69, out
    for server, port in (("imap", tls_world[0].imap_port), ("smtp", tls_world[0].smtp_port)):
        line = next(x for x in out.splitlines() if x.startswith(f"t: {server} FAILED"))
        assert f"port {port} does not start with TLS: it may want security: starttls" in line, out


@pytest.fixture
def tls_first_port(tls_world):
    """A port that starts with TLS (as SMTP's 465): it waits for the client's handshake."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_world[0].tls.cert_file, tls_world[0].tls.key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)
            try:
                context.wrap_socket(conn, server_side=True)  # waits for a ClientHello that never comes
            except (OSError, ssl.SSLError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()
    for conn in held:
        conn.close()


def test_plain_text_sent_to_a_port_that_starts_with_tls_says_try_ssl(tls_world, tls_first_port, tmp_path):
    """security: starttls on IMAPS's 993 or SMTPS's 465: no greeting ever comes, and the time-out
    says that such a port wants security: ssl."""
    from mailbot.config.load import load_config
    from mailbot.io import imap, smtp

    path = tls_config(tmp_path, tls_world, imap={"security": "starttls"}, smtp={"port": tls_first_port})
    box = load_config(path).mailboxes[0]
    hint = "a port that starts with TLS, as IMAP on 993 and SMTP on 465 do, which wants security: ssl"
    with pytest.raises(UnreachableError) as imap_failed:
        imap.probe(box.imap, timeout=2)
    with pytest.raises(UnreachableError) as smtp_failed:
        smtp.probe(box.smtp, timeout=2)
    assert hint in str(imap_failed.value) and f"port {tls_world[0].imaps_port}" in str(imap_failed.value)
    assert hint in str(smtp_failed.value) and f"port {tls_first_port}" in str(smtp_failed.value)


def xoauth2(tmp_path: Path, token: str) -> tuple[dict, dict]:
    """IMAP with a token file, SMTP with a token command (the two ways Microsoft 365 is set up)."""
    (tmp_path / "imap.token").write_text(token + "\n")
    imap = {"auth": "xoauth2", "password": None, "token_file": str(tmp_path / "imap.token")}
    smtp = {"auth": "xoauth2", "password": None, "token_command": [sys.executable, "-c", f"print({token!r})"]}
    return imap, smtp


def test_xoauth2_logins_to_imap_and_smtp(tls_world, tmp_path, capsys):
    """Dovecot's oauth2 passdb and the SMTP server accept the token mailbot sends."""
    imap, smtp = xoauth2(tmp_path, TOKEN)
    code, out = check(tls_config(tmp_path, tls_world, imap=imap, smtp=smtp), capsys)
    assert code == 0, out
    assert "ok (starttls, xoauth2)" in out
    log = tls_world[0].log_file.read_text()
    assert f"user=<{UNIT}>, method=XOAUTH2" in log


def test_an_expired_token_is_a_refused_login(tls_world, tmp_path, capsys):
    """A token the servers do not accept: both logins refused, exit 77, the token not shown."""
    imap, smtp = xoauth2(tmp_path, "expired-token")
    code, out = check(tls_config(tmp_path, tls_world, imap=imap, smtp=smtp), capsys)
    assert code == 77, out
    assert "t: imap FAILED: IMAP login to localhost" in out and "t: smtp FAILED: SMTP login to localhost" in out
    assert "expired-token" not in out


def test_run_once_over_tls_with_xoauth2_answers_mail(tls_world, tmp_path, capsys):
    """The daemon's own path (fetch, move, send) works over verified TLS with OAuth2 logins."""
    mailservers = tls_world[0]
    imap, smtp = xoauth2(tmp_path, TOKEN)
    path = tls_config(tmp_path, tls_world, imap=imap, smtp=smtp)
    requester = "sari@dinas.test"
    before = len(mailservers.fetch(requester))
    raw, _ = mail(requester, "Jadwal tender ulang", "Mohon informasi jadwal tender ulang.")
    mailservers.append(UNIT, raw)
    assert cli.main(["--config", str(path), "run", "--once"]) == 0
    result = capsys.readouterr().out
    assert '"sent": 2' in result and '"failed": 0' in result, result  # the ack and the staff notice
    acks = mailservers.fetch(requester)[before:]
    assert len(acks) == 1
    ack = email.message_from_bytes(acks[0], policy=email.policy.default)
    assert ack["Auto-Submitted"] == "auto-replied"
    assert mailservers.fetch(UNIT, "INBOX") == []


@pytest.mark.parametrize(("answer", "full"), [
    # Dovecot's mail_max_userip_connections
    ("[LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)", True),
    ("[ALERT] Too many simultaneous connections. (Failure)", True),  # Gmail, past its 15
    ("[UNAVAILABLE] Temporary authentication failure. [host:2026-11-26 10:00:00]", True),  # RFC 5530: not now
    ("[INUSE] Mailbox in use by another session", True),
    ("too many open sessions for this account, try later", True),
    ("[AUTHENTICATIONFAILED] Authentication failed.", False),  # the credentials: 77
    ("[AUTHENTICATIONFAILED] Invalid credentials (Failure)", False),
    ("LOGIN failed.", False),
    ("AUTHENTICATE failed.", False),
    ("[EXPIRED] Password expired", False),
])
def test_a_refused_login_for_want_of_a_free_session_is_told_from_bad_credentials(answer, full):
    """A server at its connection limit is waited for (69), not reported as a
    refused login the operator must mend (77)."""
    assert servers.busy(answer) is full


@pytest.mark.parametrize(("answer", "limit"), [
    # Debian 12's Dovecot (2.3.19.1+dfsg1-2.1+deb12u6) at its mail_max_userip_connections
    ("[UNAVAILABLE] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=1)", True),
    ("[LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)", True),
    ("[ALERT] Too many simultaneous connections. (Failure)", True),
    ("[UNAVAILABLE] Temporary authentication failure. [host:2026-11-26 10:00:00]", False),  # its own trouble
    ("[UNAVAILABLE] mailbox in maintenance mode", False),
])
def test_a_connection_limit_is_told_by_its_words_whatever_the_response_code(answer, limit):
    """The limit is named as the limit (other programs hold the sessions), not as the server's
    own trouble, also where the server answers it with [UNAVAILABLE] as Dovecot does."""
    assert servers.at_connection_limit(answer) is limit


@pytest.mark.parametrize(("answer", "granted"), [
    ("LIST command error: BAD User is authenticated but not connected.", False),  # Exchange Online
    ("SELECT command error: BAD User is authenticated but not connected.", False),
    ("select failed: User is authenticated but not connected", False),
    ("SELECT command error: NO Mailbox doesn't exist: INBOX", True),  # a folder: imap.folder
    ("LIST command error: NO [UNAVAILABLE] mailbox in maintenance mode", True),  # not now: tried again
    ("CREATE command error: NO [ALREADYEXISTS] Mailbox already exists", True),
])
def test_a_mailbox_exchange_took_the_login_for_but_does_not_open_is_told_from_a_folder_failure(answer, granted):
    """Exchange Online takes the login of an app without the mailbox permission and
    refuses every command after it; that is a permission to grant (77), not a folder."""
    assert servers.not_connected(answer) is not granted


_DOVECOT_TEMPFAIL = "IMAP server h:993 cannot take the login now: [UNAVAILABLE] Temporary authentication failure. "
_SECRET_REFUSED = "refused: invalid_client: AADSTS7000215: Invalid client secret provided. Trace ID: "


@pytest.mark.parametrize(("said", "now", "same"), [
    (_DOVECOT_TEMPFAIL + "[h:2026-11-26 10:00:00]", _DOVECOT_TEMPFAIL + "[h:2026-11-26 10:04:16]", True),
    (_SECRET_REFUSED + "1f2e3d4c-0000-4000-8000-00000000abcd", _SECRET_REFUSED + "9a8b7c6d-1111-4111-8111-11111111ef01",
     True),
    ("IMAP server h:993 unreachable: [Errno 111] Connection refused", "IMAP server h:993 unreachable: timed out",
     False),
    ("refused: invalid_client: AADSTS7000215: Invalid client secret provided.",
     "refused: invalid_grant: AADSTS70008: The refresh token has expired.", False),
])
def test_a_failure_is_told_from_another_by_its_reason_not_its_numbers(said, now, same):
    """A mailbox that keeps failing is said as an error once, not at every retry
    because a time stamp or trace id in the server's answer changed."""
    from mailbot.flow.health import same_failure

    assert same_failure(said, now) is same
