"""First step: OAuth2 tokens mailbot obtains and refreshes itself (`oauth2:`).

Over real servers: Dovecot's own `oauth2` passdb checks each IMAP login's token against
its tokeninfo endpoint, the SMTP server checks SMTP's, and both accept exactly the tokens
the loopback token endpoint (tests/tokenserver.py) granted. A request is handled end to
end with tokens fetched by the client credentials grant; a refresh token the endpoint
rotates is saved (0600) and the next login uses it, the old one being void; a refusing
endpoint is named by `check` (exit 77) with the provider's AADSTS code, and the mail
stays in the INBOX. Pure tests check what `oauth2:` derives for Microsoft and Google and
what it refuses.
"""

from __future__ import annotations

import io
import os
import stat
import threading
import time
from contextlib import redirect_stdout
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from mailbot.cli import main as cli
from mailbot.config.load import parse_config
from mailbot.errors import ConfigError
from mailbot.io import oauth
from tests import mailfactory as mf
from tests.localmail import LocalMailServers
from tests.tokenserver import TokenServer

CATCHALL = "catchall@lpse.test"


@pytest.fixture(scope="module")
def world(dovecot_installed, tmp_path_factory):  # type: ignore[no-untyped-def]
    servers = LocalMailServers(tmp_path_factory.mktemp("oauth-servers"), (mf.UNIT, *mf.STAFF, mf.COORDINATOR),
                               catchall=CATCHALL, oauth_tokens={}, check_smtp_logins=True)
    with servers:
        tokens = TokenServer(servers.issue_token)
        try:
            yield servers, tokens
        finally:
            tokens.stop()


@pytest.fixture(autouse=True)
def no_held_tokens():  # type: ignore[no-untyped-def]
    oauth.forget()
    yield
    oauth.forget()


def _config(servers: LocalMailServers, tmp: Path, oauth2: dict, auth: str = "xoauth2",  # type: ignore[type-arg]
            smtp_oauth: bool = True) -> Path:
    """IMAP (and SMTP, unless `smtp_oauth` is False: then it takes mail without a login)
    logging in with tokens from `oauth2`."""
    data = mf.config_data(servers, tmp)
    if smtp_oauth:
        data["smtp"] = {"host": servers.host, "port": servers.smtp_port, "security": "none", "username": mf.UNIT,
                        "auth": auth, "oauth2": oauth2}
    imap = data["mailboxes"][0]["imap"]
    del imap["password"]
    imap.update({"auth": auth, "oauth2": oauth2})
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _secret_file(tmp: Path, text: str) -> Path:
    path = tmp / "client-secret"
    path.write_text(text + "\n")
    path.chmod(0o600)
    return path


def _restart(tmp: Path, *, kept: bool = True) -> None:
    """As a new process: nothing held in memory; the access tokens kept on disk (beside the
    state, data/oauth-tokens by default) too, unless `kept` is False."""
    oauth.forget()
    if not kept:
        for path in _kept_files(tmp):
            path.unlink()


def _kept_files(tmp: Path) -> list[Path]:
    folder = tmp / "data" / "oauth-tokens"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _request(servers: LocalMailServers, requester: str, subject: str) -> None:
    servers.append(mf.UNIT, mf.mail(requester, subject, "Akun saya terkunci.")[0])


def _acks(servers: LocalMailServers, requester: str) -> int:
    """The acks `requester` received (sent over SMTP, with a token)."""
    return sum(requester in str(m["To"]) for m in mf.of_kind(mf.inbox(servers, CATCHALL), "ack"))


def test_a_request_is_handled_with_tokens_mailbot_fetched_with_its_client_credentials(world, tmp_path):
    servers, tokens = world
    tokens.register("mailbot-app", mf.UNIT, secret="s3cret-app")
    config = _config(servers, tmp_path, {"provider": "generic", "token_url": tokens.url, "client_id": "mailbot-app",
                                          "client_secret_file": str(_secret_file(tmp_path, "s3cret-app")),
                                          "scope": "https://outlook.office365.com/.default"})
    _request(servers, "app@vendor.test", "Akun terkunci")
    mf.run_once(config)
    assert _acks(servers, "app@vendor.test") == 1  # sent over SMTP with a token
    assert servers.fetch(mf.UNIT) == []  # read and moved over IMAP with a token
    assert {r["grant_type"] for r in tokens.requests} == {"client_credentials"}


def test_a_new_process_logs_in_with_the_kept_token_and_one_revoked_early_is_replaced(world, tmp_path, capsys):
    """Tokens are cached beside the state (0600): a restarted daemon (a `mailbot
    run --once` here) logs in to both servers with the token the last process fetched, with
    no new request to the provider. A kept token the servers refuse before its time (an
    administrator revoked the sessions) is replaced at once: the mail is handled, no failure."""
    import json

    servers, tokens = world
    tokens.register("mailbot-kept", mf.UNIT, secret="s3cret-kept")
    config = _config(servers, tmp_path, {"provider": "generic", "token_url": tokens.url, "client_id": "mailbot-kept",
                                          "client_secret_file": str(_secret_file(tmp_path, "s3cret-kept"))})
    asked = len(tokens.requests)  # the servers are the module's: count from here
    _request(servers, "kept1@vendor.test", "Akun terkunci")
    mf.run_once(config)
    assert _acks(servers, "kept1@vendor.test") == 1 and len(tokens.requests) == asked + 1
    [kept] = _kept_files(tmp_path)
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600 and stat.S_IMODE(os.stat(kept.parent).st_mode) == 0o700
    first = json.loads(kept.read_text())["access_token"]

    _restart(tmp_path)
    _request(servers, "kept2@vendor.test", "Dokumen tidak terunggah")
    mf.run_once(config)
    assert _acks(servers, "kept2@vendor.test") == 1 and servers.fetch(mf.UNIT) == []
    assert len(tokens.requests) == asked + 1  # the kept token served IMAP and SMTP: the provider was not asked

    servers.revoke_token(first)  # revoked before its time
    _restart(tmp_path)
    _request(servers, "kept3@vendor.test", "Jadwal tender")
    mf.run_once(config)
    assert _acks(servers, "kept3@vendor.test") == 1 and servers.fetch(mf.UNIT) == []
    assert len(tokens.requests) == asked + 2
    assert json.loads(kept.read_text())["access_token"] not in (first, "")
    said = capsys.readouterr()
    assert first not in said.out + said.err and "FAILED" not in said.out + said.err


def test_oauthbearer_logs_in_to_imap_and_smtp_with_the_same_tokens(world, tmp_path):
    """RFC 7628's OAUTHBEARER, the standard mechanism beside Google's and Microsoft's XOAUTH2:
    Dovecot's oauth2 passdb and the SMTP server accept the fetched token through it too."""
    servers, tokens = world
    tokens.register("mailbot-bearer", mf.UNIT, secret="s3cret-bearer")
    config = _config(servers, tmp_path, {"provider": "generic", "token_url": tokens.url, "client_id": "mailbot-bearer",
                                          "client_secret_file": str(_secret_file(tmp_path, "s3cret-bearer"))},
                     auth="oauthbearer")
    _request(servers, "bearer@vendor.test", "Akun terkunci")
    mf.run_once(config)
    assert _acks(servers, "bearer@vendor.test") == 1 and servers.fetch(mf.UNIT) == []
    tokens.refuse = ("invalid_client", "AADSTS7000215: Invalid client secret provided.")
    oauth.forget()
    try:
        out = io.StringIO()
        with redirect_stdout(out):
            assert cli.main(["--config", str(config), "check"]) == 77
    finally:
        tokens.refuse = None
    assert out.getvalue().count("AADSTS7000215") == 2  # IMAP and SMTP each say it
    data = yaml.safe_load(config.read_text())  # a token the servers never granted: they refuse it
    (tmp_path / "bogus.token").write_text("not-a-granted-token\n")
    for block in (data["smtp"], data["mailboxes"][0]["imap"]):
        block.pop("oauth2")
        block["token_file"] = str(tmp_path / "bogus.token")
    config.write_text(yaml.safe_dump(data))
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["--config", str(config), "check"]) == 77
    assert "imap FAILED" in out.getvalue() and "smtp FAILED" in out.getvalue() and "535" in out.getvalue()


def test_a_rotated_refresh_token_is_saved_and_the_next_login_uses_it(world, tmp_path):
    servers, tokens = world
    tokens.register("mailbot-delegated", mf.UNIT)  # a public client: a person's one-time login
    first = tokens.refresh_token_for("mailbot-delegated")
    saved = tmp_path / "refresh-token"
    saved.write_text(first + "\n")
    config = _config(servers, tmp_path, {"provider": "generic", "token_url": tokens.url,
                                          "client_id": "mailbot-delegated", "refresh_token_file": str(saved)})
    _request(servers, "rotated@vendor.test", "Akun terkunci")
    mf.run_once(config)
    assert _acks(servers, "rotated@vendor.test") == 1
    second = saved.read_text().strip()
    assert second and second != first and first not in tokens.refresh_tokens  # rotated: the old one is void
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".refresh-token")] == []  # no stray file
    _restart(tmp_path, kept=False)  # as a restarted daemon whose kept access token is gone: only the file
    _request(servers, "rotated2@vendor.test", "Dokumen tidak terunggah")
    mf.run_once(config)
    assert _acks(servers, "rotated2@vendor.test") == 1  # the saved token worked: the first is void
    assert servers.fetch(mf.UNIT) == []


def test_a_refusing_token_endpoint_is_named_by_check_and_the_mail_waits(world, tmp_path):
    servers, tokens = world
    tokens.register("mailbot-expired", mf.UNIT, secret="old-secret")
    config = _config(servers, tmp_path, {"provider": "generic", "token_url": tokens.url,
                                          "client_id": "mailbot-expired",
                                          "client_secret_file": str(_secret_file(tmp_path, "rotated-away"))})
    _request(servers, "refused@vendor.test", "Akun terkunci")
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(["--config", str(config), "check"])
    assert code == 77, out.getvalue()
    assert "AADSTS7000215" in out.getvalue() and "invalid_client" in out.getvalue()
    assert "rotated-away" not in out.getvalue()  # the secret is never said
    cli.main(["--config", str(config), "run", "--once"])
    assert len(servers.fetch(mf.UNIT)) == 1  # nothing read without a login: the mail waits in the INBOX
    assert servers.fetch(mf.UNIT, "Quarantine") == []


def test_a_one_time_device_code_login_keeps_the_refresh_token_the_daemon_then_uses(world, tmp_path, capsys):
    """`mailbot oauth login --mailbox NAME` on a headless host: it prints where to enter which
    code, waits while the person signs in elsewhere, and keeps the refresh token (0600)."""
    servers, tokens = world
    tokens.register("mailbot-device", mf.UNIT)
    saved = tmp_path / "state" / "refresh-token"
    saved.parent.mkdir()
    config = _config(servers, tmp_path, {"provider": "generic", "token_url": tokens.url,
                                          "device_url": tokens.device_url, "client_id": "mailbot-device",
                                          "refresh_token_file": str(saved)})
    done: list[int] = []
    login = threading.Thread(target=lambda: done.append(cli.main(["--config", str(config), "oauth", "login",
                                                                   "--mailbox", "t"])))
    login.start()
    assert mf.wait_for(lambda: bool(tokens.devices), 10)
    (user_code,) = [code for _client, code, _done in tokens.devices.values()]
    tokens.sign_in(user_code)
    login.join(30)
    assert done == [0]
    said = capsys.readouterr().out
    assert "https://login.test/device" in said and user_code in said  # where, and which code
    assert saved.read_text().strip() in tokens.refresh_tokens
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    _request(servers, "device@vendor.test", "Akun terkunci")
    mf.run_once(config)
    assert _acks(servers, "device@vendor.test") == 1


def test_a_token_expired_while_idle_and_the_session_dropped_gets_a_new_token_and_loses_no_mail(
        dovecot_installed, tmp_path):
    """The daemon waits in IDLE; its token expires (the servers refuse it from then on) and
    the server ends the session, as Zimbra and Microsoft do with idle ones: the daemon logs
    in again with a new token, quietly, and the next request is answered."""
    servers = LocalMailServers(tmp_path / "servers", (mf.UNIT, *mf.STAFF, mf.COORDINATOR), catchall=CATCHALL,
                               oauth_tokens={}, check_smtp_logins=True)
    with servers:
        tokens = TokenServer(servers.issue_token, revoke=servers.revoke_token, lifetime=4)
        try:
            tokens.register("mailbot-idle", mf.UNIT, secret="s3cret-idle")
            config = _config(servers, tmp_path, {"provider": "generic", "token_url": tokens.url,
                                                  "client_id": "mailbot-idle",
                                                  "client_secret_file": str(_secret_file(tmp_path, "s3cret-idle"))})
            data = yaml.safe_load(config.read_text())
            data["mailboxes"][0]["imap"].update({"idle": True, "poll_seconds": 120})
            config.write_text(yaml.safe_dump(data))
            daemon = mf.daemon(config)
            try:
                _request(servers, "before@vendor.test", "Akun terkunci")
                assert mf.wait_for(lambda: _acks(servers, "before@vendor.test") == 1, 30)
                time.sleep(5)  # the token has expired: Dovecot's tokeninfo refuses it now
                servers.kick(mf.UNIT)
                _request(servers, "after@vendor.test", "Dokumen tidak terunggah")
                assert mf.wait_for(lambda: _acks(servers, "after@vendor.test") == 1, 30)
            finally:
                output = mf.stop(daemon)
            assert servers.fetch(mf.UNIT) == [] and servers.fetch(mf.UNIT, "Quarantine") == []
            assert "Traceback" not in output and "mailbox_unavailable" not in output, output[-3000:]
            assert sum(r["grant_type"] == "client_credentials" for r in tokens.requests) >= 2
        finally:
            tokens.stop()


def test_a_refused_token_alerts_the_coordinators_once_naming_the_error_and_keeps_the_mail(world, tmp_path):
    """SPEC 6's watch over an IMAP login refused for want of a token (never a silent
    stop): the coordinators get one alert past alert_after_minutes, naming the provider's
    error; the mail stays in the INBOX; the passes go on (SMTP here logs in without OAuth)."""
    from datetime import UTC

    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App

    servers, tokens = world
    tokens.register("mailbot-revoked", mf.UNIT, secret="current")
    config = _config(servers, tmp_path, {"provider": "generic", "token_url": tokens.url,
                                          "client_id": "mailbot-revoked",
                                          "client_secret_file": str(_secret_file(tmp_path, "revoked"))},
                     smtp_oauth=False)
    _request(servers, "waiting@vendor.test", "Akun terkunci")
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    clock = [start]
    app = App(load_config(config), clock=lambda: clock[0])
    try:
        for minutes in (0, 29, 31, 45, 90):
            clock[0] = start + timedelta(minutes=minutes)
            app.poll_all()
            app.watch()
            app.flush_outbox()
    finally:
        app.store.close()
    alerts = mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "system_alert")
    assert len(alerts) == 1
    assert "AADSTS7000215" in mf.text_of(alerts[0]) and "revoked" not in mf.text_of(alerts[0])
    assert len(servers.fetch(mf.UNIT)) == 1


def test_a_refusing_endpoint_keeps_the_daemon_alive_and_the_other_mailbox_served(world, tmp_path):
    """Never a silent stop, nor a crash loop: while one mailbox's token endpoint refuses its
    client (consent withdrawn), the daemon stays up, says why once, and serves the unit's
    other mailbox; when consent is granted again, the waiting request is answered."""
    servers, tokens = world
    other = "lpse2@lpse.test"
    if other not in servers.users:
        servers.add_user(other)
    tokens.register("mailbot-consent", mf.UNIT, secret="consent")
    config = _config(servers, tmp_path, {"provider": "generic", "token_url": tokens.url,
                                          "client_id": "mailbot-consent",
                                          "client_secret_file": str(_secret_file(tmp_path, "consent"))},
                     smtp_oauth=False)
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][0]["imap"].update({"idle": True, "poll_seconds": 1})
    data["mailboxes"].append(mf.mailbox_block(servers, address=other, name="t2", prefix="LPSE-T2"))
    config.write_text(yaml.safe_dump(data))
    consent = "AADSTS65001: The user or administrator has not consented to use the application."
    tokens.refuse = ("invalid_grant", consent)
    daemon = mf.daemon(config)
    try:
        _request(servers, "waits@vendor.test", "Akun terkunci")
        servers.append(other, mf.mail("served@vendor.test", "Jadwal tender", "Kapan jadwalnya?", to=other)[0])
        assert mf.wait_for(lambda: _acks(servers, "served@vendor.test") == 1, 30)  # the other mailbox
        time.sleep(3)  # retries of the refused one
        assert daemon.poll() is None and _acks(servers, "waits@vendor.test") == 0
        assert any(b"waits@vendor.test" in raw for raw in servers.fetch(mf.UNIT))  # the mail waits in the INBOX
        tokens.refuse = None  # consent granted again
        assert mf.wait_for(lambda: _acks(servers, "waits@vendor.test") == 1, 60)
        assert daemon.poll() is None
    finally:
        tokens.refuse = None
        output = mf.stop(daemon)
    errors = [line for line in output.splitlines() if "mailbox_unavailable" in line]
    assert len(errors) == 1 and "AADSTS65001" in errors[0], errors  # once, naming the provider's error
    assert "Traceback" not in output


def test_two_processes_refreshing_at_once_do_not_spend_the_same_refresh_token(world, tmp_path):
    """`mailbot check` while the daemon refreshes: with a provider that rotates refresh tokens,
    the second use of one is refused, so the refreshes take turns on the token file."""
    import subprocess
    import sys

    servers, tokens = world
    tokens.register("mailbot-turns", mf.UNIT)
    saved = tmp_path / "refresh-token"
    saved.write_text(tokens.refresh_token_for("mailbot-turns") + "\n")
    config = _config(servers, tmp_path, {"provider": "generic", "token_url": tokens.url,
                                          "client_id": "mailbot-turns", "refresh_token_file": str(saved)})
    fetch = ("import sys; from pathlib import Path; from mailbot.config.load import load_config; "
             "from mailbot.io import oauth; cfg = load_config(Path(sys.argv[1])).mailboxes[0].imap; "
             "oauth.access_token(cfg.oauth2, cfg.username, 'x')")
    tokens.delay = 1.0
    try:
        runs = [subprocess.Popen([sys.executable, "-c", fetch, str(config)], stderr=subprocess.PIPE) for _ in range(2)]
        results = [(run.wait(60), run.stderr.read().decode() if run.stderr else "") for run in runs]
    finally:
        tokens.delay = 0.0
    assert [code for code, _ in results] == [0, 0], results
    assert saved.read_text().strip() in tokens.refresh_tokens  # the last rotation kept


@pytest.mark.parametrize(("days", "code", "said"), [(10, 0, "warning: t: imap oauth2 client secret expires on"),
                                                    (-3, 77, "t: imap FAILED: oauth2 client secret expired on")])
def test_check_says_a_client_secret_ends_within_two_weeks_and_fails_one_past_its_end(world, tmp_path, days, code,
                                                                                     said):
    """The provider refuses every token once the unit's client secret ended (Microsoft's last
    two years at most): `check` warns 14 days before (`client_secret_expires`) and fails after."""
    servers, tokens = world
    tokens.register("mailbot-ending", mf.UNIT, secret="ending")
    ends = datetime.now(ZoneInfo("Asia/Jakarta")).date() + timedelta(days=days)
    config = _config(servers, tmp_path, {"provider": "generic", "token_url": tokens.url, "client_id": "mailbot-ending",
                                          "client_secret_file": str(_secret_file(tmp_path, "ending")),
                                          "client_secret_expires": ends.isoformat()})
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["--config", str(config), "check"]) == code
    assert f"{said} {ends.isoformat()}" in out.getvalue(), out.getvalue()


def test_the_daily_digest_says_a_client_secret_ends_within_two_weeks(world, tmp_path):
    """The secret's end in the digest the heads and coordinators read each working
    day, not only in `check`: Monday 23 November 2026 08:05 WIB, the secret ends 1 December."""
    servers, tokens = world
    tokens.register("mailbot-digest", mf.UNIT, secret="digest")
    config = _config(servers, tmp_path, {"provider": "generic", "token_url": tokens.url, "client_id": "mailbot-digest",
                                          "client_secret_file": str(_secret_file(tmp_path, "digest")),
                                          "client_secret_expires": "2026-12-01"})
    at = datetime(2026, 11, 23, 8, 5, tzinfo=ZoneInfo("Asia/Jakarta"))
    mf.sweep(config, at - timedelta(days=3))  # mailbot first ran the Friday before (no first-start digest)
    mf.sweep(config, at)
    # The module's daemons run on the real clock and send their own digest on a working
    # morning: this test's is the one dated by its sweep.
    (digest,) = [m for m in mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "digest")
                 if m["Date"].datetime.astimezone(at.tzinfo).date() == at.date()]
    text = " ".join(mf.text_of(digest).split())
    assert f"{servers.host}:{servers.imap_port}: berakhir pada 2026-12-01 (8 hari lagi)" in text, text


def _certificate(tmp: Path, *, days: int, name: str = "client", key_of: Path | None = None) -> tuple[Path, bytes]:
    """A self-signed RSA certificate ending in `days` days (negative: ended), as the portal's
    "Certificates & secrets" takes one: the PEM file mailbot reads (the certificate and its
    key; with `key_of`, another file's key, which does not fit) and the certificate alone,
    which the tenant administrator uploads (here: registers at the token server)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(ZoneInfo("UTC"))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"mailbot {name}")])
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=400))
                   .not_valid_after(now + timedelta(days=days)).sign(key, hashes.SHA256()))
    public = certificate.public_bytes(serialization.Encoding.PEM)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    if key_of is not None:
        private = key_of.read_bytes().split(b"-----END CERTIFICATE-----\n", 1)[1]
    path = tmp / f"{name}.pem"
    path.write_bytes(public + private)
    path.chmod(0o600)
    return path, public


def test_a_request_is_handled_with_tokens_a_client_certificate_obtained(world, tmp_path):
    """Microsoft's certificate credential: no secret leaves the host; each token
    request carries an assertion the certificate's key signed, which the token server checks
    against the certificate the administrator uploaded; IMAP and SMTP accept the tokens."""
    servers, tokens = world
    pem, public = _certificate(tmp_path, days=300)
    tokens.register("mailbot-cert", mf.UNIT, certificate=public)
    config = _config(servers, tmp_path, {"provider": "microsoft", "tenant": "lpse.test", "token_url": tokens.url,
                                          "client_id": "mailbot-cert", "client_certificate_file": str(pem)})
    asked = len(tokens.requests)
    _request(servers, "cert@vendor.test", "Akun terkunci")
    mf.run_once(config)
    assert _acks(servers, "cert@vendor.test") == 1 and servers.fetch(mf.UNIT) == []
    assert tokens.requests[asked:] == [{"grant_type": "client_credentials", "secret": "False"}]


@pytest.mark.parametrize(("days", "code", "said"), [
    (10, 0, ["warning: t: imap oauth2 client certificate expires on {ends}"]),
    (-3, 77, ["t: imap FAILED: oauth2 client certificate expired on {ends}", "AADSTS700027"]),
])
def test_check_reads_a_client_certificates_end_from_it(world, tmp_path, days, code, said):
    """A certificate's end is in the certificate: `check` warns 14 days before it and fails
    after it, and the provider's refusal (AADSTS700027) is named too."""
    servers, tokens = world
    pem, public = _certificate(tmp_path, days=days)
    tokens.register(f"mailbot-cert{days}", mf.UNIT, certificate=public)
    config = _config(servers, tmp_path, {"provider": "microsoft", "tenant": "lpse.test", "token_url": tokens.url,
                                          "client_id": f"mailbot-cert{days}", "client_certificate_file": str(pem)})
    ends = (datetime.now(ZoneInfo("UTC")) + timedelta(days=days)).date().isoformat()
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["--config", str(config), "check"]) == code
    for line in said:
        assert line.format(ends=ends) in out.getvalue(), out.getvalue()


def test_a_certificate_the_provider_does_not_know_is_refused_naming_aadsts(world, tmp_path):
    servers, tokens = world
    _pem, public = _certificate(tmp_path, days=300, name="uploaded")
    other, _ = _certificate(tmp_path, days=300, name="other")  # a new certificate not yet uploaded
    tokens.register("mailbot-cert-other", mf.UNIT, certificate=public)
    config = _config(servers, tmp_path, {"provider": "microsoft", "tenant": "lpse.test", "token_url": tokens.url,
                                          "client_id": "mailbot-cert-other", "client_certificate_file": str(other)})
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["--config", str(config), "check"]) == 77
    assert out.getvalue().count("AADSTS700027") == 2 and "PRIVATE KEY" not in out.getvalue()


# --- what `oauth2:` derives and refuses (pure) ----------------------------------------------


def test_a_client_certificates_end_is_read_from_it_and_a_wrong_file_is_refused(tmp_path):
    pem, _ = _certificate(tmp_path, days=30)
    parsed = _parsed(tmp_path, {"provider": "microsoft", "tenant": "t", "client_id": "c", "client_secret_file": None,
                                "client_certificate_file": str(pem)}).smtp.oauth2
    assert parsed.secret_expires == (datetime.now(ZoneInfo("UTC")) + timedelta(days=30)).date()
    assert parsed.client_secret is None and "PRIVATE" not in repr(parsed)
    mismatched, _ = _certificate(tmp_path, days=30, name="mismatched", key_of=_certificate(tmp_path, days=9,
                                                                                           name="k")[0])
    alone = tmp_path / "alone.pem"
    alone.write_bytes(pem.read_bytes().split(b"-----BEGIN PRIVATE KEY-----")[0])
    for block, said in [({"client_certificate_file": str(mismatched), "client_secret_file": None}, "not the certif"),
                        ({"client_certificate_file": str(alone), "client_secret_file": None}, "no unencrypted private"),
                        ({"client_certificate_file": str(pem)}, "not both"),
                        ({"client_certificate_file": str(pem), "client_secret_file": None,
                          "client_secret_expires": "2027-01-01"}, "read from the certificate")]:
        with pytest.raises(ConfigError, match=said):
            _parsed(tmp_path, {"provider": "microsoft", "tenant": "t", "client_id": "c", **block})


def _parsed(tmp_path: Path, oauth2: dict) -> object:  # type: ignore[type-arg]
    secret = _secret_file(tmp_path, "s")
    data = {"database": str(tmp_path / "m.db"), "archive_dir": str(tmp_path / "a"),
            "secret_key_file": str(tmp_path / "k"),
            "smtp": {"host": "smtp.office365.com", "port": 587, "security": "starttls", "username": "lpse@batam.go.id",
                     "auth": "xoauth2", "oauth2": {"client_secret_file": str(secret), **oauth2}},
            "mailboxes": [{"name": "btm", "address": "lpse@batam.go.id", "tag_prefix": "LPSE-BTM",
                           "staff": ["staf@batam.go.id"],
                           "imap": {"host": "outlook.office365.com", "username": "lpse@batam.go.id",
                                    "password": "x"}}]}
    return parse_config(data, tmp_path)


@pytest.mark.parametrize(("login", "hint"), [
    ("app", "the app may not open the mailbox: New-ServicePrincipal and Add-MailboxPermission"),
    ("person", "the token is another account's or lacks the IMAP scope: sign in again as lpse@batam.go.id"),
    ("password", "after a wrong password too"),
])
def test_exchanges_not_connected_names_the_likeliest_cause_for_the_kind_of_login(tmp_path, login, hint):
    """Exchange Online answers "User is authenticated but not connected." after a login it
    took in three cases, one per kind of login: an app without the mailbox permission, a
    person's token of another account (or without the IMAP scope), a wrong password."""
    from dataclasses import replace

    from imapclient.exceptions import IMAPClientError

    from mailbot.errors import LoginRefusedError
    from mailbot.io import imap

    refresh = {"refresh_token_file": str(tmp_path / "rt")} if login == "person" else {}
    parsed = _parsed(tmp_path, {"provider": "microsoft", "tenant": "batam.go.id", "client_id": "c", **refresh})
    cfg = parsed.mailboxes[0].imap
    if login != "password":
        cfg = replace(cfg, auth="xoauth2", oauth2=parsed.smtp.oauth2, password=None)
    answer = IMAPClientError("LIST command error: BAD [b'User is authenticated but not connected.']")  # imaplib's
    with pytest.raises(LoginRefusedError) as refused:
        imap._refused_mailbox(cfg, answer)
    said = str(refused.value)
    assert "but not the mailbox: LIST command error: BAD User is authenticated but not connected." in said, said
    assert hint in said, said


def test_microsoft_and_google_get_their_endpoints_and_scopes(tmp_path):
    app_only = _parsed(tmp_path, {"provider": "microsoft", "tenant": "batam.go.id", "client_id": "c"}).smtp.oauth2
    assert app_only.token_url == "https://login.microsoftonline.com/batam.go.id/oauth2/v2.0/token"
    assert app_only.scope == "https://outlook.office365.com/.default"
    rt = tmp_path / "rt"
    delegated = _parsed(tmp_path, {"provider": "microsoft", "tenant": "t", "client_id": "c",
                                   "refresh_token_file": str(rt)}).smtp.oauth2
    assert "offline_access" in delegated.scope and "SMTP.Send" in delegated.scope
    google = _parsed(tmp_path, {"provider": "google", "client_id": "c", "refresh_token_file": str(rt)}).smtp.oauth2
    assert (google.token_url, google.scope) == ("https://oauth2.googleapis.com/token", "https://mail.google.com/")


@pytest.mark.parametrize(("oauth2", "said"), [
    ({"provider": "microsoft", "client_id": "c"}, "tenant"),
    ({"provider": "google", "client_id": "c"}, "refresh_token_file"),
    ({"provider": "generic", "client_id": "c"}, "token_url"),
    ({"provider": "generic", "client_id": "c", "token_url": "http://login.example.com/token"}, "https"),
    ({"provider": "yahoo", "client_id": "c"}, "provider"),
])
def test_an_incomplete_or_unsafe_oauth2_block_is_refused_naming_the_field(tmp_path, oauth2, said):
    with pytest.raises(ConfigError, match=said):
        _parsed(tmp_path, oauth2)
