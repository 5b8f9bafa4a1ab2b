"""Real IMAP and SMTP servers on loopback for the integration tests, the bench and the demo.

A test harness, not part of the installed `mailbot` package: it needs Dovecot and
aiosmtpd (the `test` extra), which a production install has no use for.

`LocalMailServers` owns everything under one base directory: a self-contained Dovecot
(IMAP only, its own config, sockets, state, log and maildirs) running as a child
process, and an aiosmtpd SMTP server whose handler delivers every accepted message
into the recipients' Dovecot INBOXes with Dovecot's own LDA.  Nothing is mocked: the
bot talks to the same protocols, capabilities (IDLE, UIDPLUS, MOVE) and quirks it
meets in production, and nothing is shared with the system's mail setup.

Choices worth knowing:

* Mailboxes are addressed by full address (``lpse@lpse.test``); every user has the
  same password unless `add_user` is given another.  Folder hierarchy separator is
  ``/`` (maildir ``LAYOUT=fs``), so folder names may contain dots.
* SMTP needs no authentication.  AUTH PLAIN/LOGIN is advertised without TLS and any
  credentials are accepted, so a client configured with or without a login works.
* Delivery happens inside the SMTP DATA transaction: when ``sendmail`` returns, the
  message is in the INBOX.  Each copy gets ``Return-Path`` and ``Delivered-To``
  (plus ``X-Original-To`` when the catch-all took it), as an MTA would add them;
  Dovecot's LDA adds neither.  Unknown recipients go to the catch-all mailbox.
* As root, Dovecot refuses to run login processes or mail access as root, so the
  login processes run as ``dovenull`` (or ``nobody``) and mail as the ``mail`` user,
  chrooted into the maildir root so the base directory itself can stay private
  (pytest's tmp dirs are mode 0700).  As any other user, everything runs as that user.
* TLS (optional, `tls=`): Dovecot serves IMAPS on a second port and STARTTLS on the
  first, the SMTP server offers STARTTLS, all with a certificate from `TestCA` (a CA
  made with the ``openssl`` command for the test run).  Plain logins keep working, so
  the helpers below need no TLS.
* OAuth2 (optional, `oauth_tokens=` token -> user): Dovecot's own ``oauth2`` passdb
  checks XOAUTH2 logins against a tokeninfo endpoint served on loopback by this
  harness; the SMTP server checks ``AUTH XOAUTH2`` against the same tokens.  With
  `check_smtp_logins=True` the SMTP server also checks PLAIN/LOGIN passwords.
* Dovecot runs in the foreground in its own process group and is stopped by pid; an
  ``atexit`` hook and, when started from the main thread, a parent-death signal make
  sure no Dovecot outlives the Python process.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import datetime as dt
import errno
import grp
import http.server
import json
import logging
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from imapclient import IMAPClient

log = logging.getLogger(__name__)

DOVECOT = Path("/usr/sbin/dovecot")
DOVECOT_LDA = Path("/usr/lib/dovecot/dovecot-lda")
LDA_ATTEMPTS = 3  # a delivery killed by a signal is tried again, as an MTA defers it
DOVEADM = Path("/usr/bin/doveadm")
HOST = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
# Unix socket paths are limited to 107 bytes; Dovecot's longest name under base_dir
# is about 25 characters, so a longer runtime dir moves to a short temporary one.
MAX_RUNTIME_DIR_LEN = 72


class LocalMailError(RuntimeError):
    """The local mail servers could not be started or used."""


def dovecot_available() -> bool:
    """True when the Dovecot binaries this harness needs are installed."""
    return all(p.is_file() for p in (DOVECOT, DOVECOT_LDA, DOVEADM))


@dataclass(frozen=True)
class _Identity:
    """Who the Dovecot processes run as; see the module docstring."""

    as_root: bool
    mail_uid: int
    mail_gid: int
    login_user: str
    internal_user: str
    internal_group: str

    @classmethod
    def detect(cls) -> _Identity:
        if os.geteuid() != 0:
            me = pwd.getpwuid(os.geteuid())
            group = grp.getgrgid(os.getegid()).gr_name
            return cls(False, me.pw_uid, me.pw_gid, me.pw_name, me.pw_name, group)
        mail = _first_user("mail", "dovecot", "nobody")
        login = _first_user("dovenull", "nobody")
        return cls(True, mail.pw_uid, mail.pw_gid, login.pw_name, "root", "root")


def _first_user(*names: str) -> pwd.struct_passwd:
    for name in names:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise LocalMailError(f"none of the users {', '.join(names)} exists")


def _free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _normalise_address(addr: str) -> str:
    addr = addr.strip().lower()
    local, at, domain = addr.partition("@")
    if not (local and at and domain) or any(c in addr for c in ":/\\ \t\r\n%"):
        raise ValueError(f"not a usable mailbox address: {addr!r}")
    return addr


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _dovecot_command(config_file: Path) -> list[str]:
    """``dovecot -F``, wrapped so that it gets SIGTERM if this process dies.

    ``setpriv --pdeathsig`` (util-linux) sets the parent-death signal and execs Dovecot
    in the same pid.  Only used from the main thread: Linux sends the signal when the
    forking *thread* exits, which would stop Dovecot early if a worker thread started it.
    """
    cmd = [str(DOVECOT), "-F", "-c", str(config_file)]
    setpriv = shutil.which("setpriv")
    if setpriv and threading.current_thread() is threading.main_thread():
        cmd = [setpriv, "--pdeathsig", "TERM", "--", *cmd]
    return cmd


def _clock_environment() -> str:
    """Under `faketime` (a run of the suite at another hour) every Dovecot process
    keeps the faked clock: Dovecot starts its services with a cleaned environment, and a
    master on the faked clock whose children run on the real one takes the difference for
    the clock moving backwards and stops launching services for minutes."""
    faked = [name for name in sorted(os.environ) if name.startswith("FAKETIME")]
    if not faked or "faketime" not in os.environ.get("LD_PRELOAD", ""):
        return ""
    return f"import_environment = TZ LISTEN_PID LISTEN_FDS LD_PRELOAD {' '.join(faked)}\n"


def _dovecot_config(
    *,
    tls: TLSFiles | None = None,
    imaps_port: int = 0,
    connections: int = 0,
    oauth2_conf: Path | None = None,
    capability: str | None = None,
    userip_connections: int = 100,
    folders: str | None = None,
    greeting: str | None = None,
    run_dir: Path,
    state_dir: Path,
    log_file: Path,
    users_file: Path,
    mail_root: Path,
    port: int,
    postmaster: str,
    ident: _Identity,
) -> str:
    if ident.as_root:
        # The mail processes chroot into mail_root (as root, before dropping to the
        # mail uid), so the base directory's parents need not be traversable.
        storage = f"""\
valid_chroot_dirs = {mail_root}
mail_chroot = {mail_root}
mail_home = /%u
"""
        no_chroot = ""
        extra_services = ""
    else:
        # Unprivileged Dovecot cannot chroot: switch off the services' default chroots.
        storage = f"mail_home = {mail_root}/%u\n"
        no_chroot = "  chroot =\n"
        extra_services = "".join(
            f"service {name} {{\n{no_chroot}}}\n"
            for name in ("ipc", "old-stats", "imap-urlauth-login", "aggregator")
        )
    return f"""\
# Generated by tests.localmail; self-contained, nothing from /etc/dovecot.
protocols = imap
listen = {HOST}
base_dir = {run_dir}
state_dir = {state_dir}
instance_name = localmail
log_path = {log_file}
{_clock_environment()}{_ssl_settings(tls)}disable_plaintext_auth = no
auth_mechanisms = plain login{" xoauth2 oauthbearer" if oauth2_conf else ""}
auth_failure_delay = 0
first_valid_uid = 1
first_valid_gid = 1
mail_uid = {ident.mail_uid}
mail_gid = {ident.mail_gid}
default_internal_user = {ident.internal_user}
default_internal_group = {ident.internal_group}
default_login_user = {ident.login_user}
{storage}mail_location = maildir:~/Maildir:LAYOUT=fs
mail_max_userip_connections = {userip_connections}
{_capacity(connections)}{_capability(capability)}postmaster_address = {postmaster}
hostname = localmail.test

{f"login_greeting = {greeting}" if greeting else ""}
namespace inbox {{
  inbox = yes
  separator = /
{folders or _FOLDERS}}}

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu {users_file}
}}
{_oauth2_passdb(oauth2_conf)}userdb {{
  driver = passwd-file
  args = username_format=%Lu {users_file}
}}

# No anvil auth penalty: after a failed login Dovecot would otherwise delay every
# login from 127.0.0.1 (good ones too) by up to 15 s.
service anvil {{
{no_chroot}  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}

service imap-login {{
{no_chroot}  inet_listener imap {{
    address = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {imaps_port if tls else 0}
  }}
}}
{extra_services}"""


# Each user's special-use folders (RFC 6154), as most servers name them
_FOLDERS = """\
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Trash {
    special_use = \\Trash
  }
  mailbox Junk {
    special_use = \\Junk
  }
  mailbox Archive {
    special_use = \\Archive
  }
"""


def _capability(capability: str | None) -> str:
    """Dovecot's post-login CAPABILITY replaced: a server that lacks IDLE, as some do."""
    return f"imap_capability = {capability}\n" if capability else ""


def _capacity(connections: int) -> str:
    """Room for many concurrent IMAP sessions (the benchmarks' hundreds of mailboxes)."""
    if not connections:
        return ""
    return (f"default_process_limit = {connections + 100}\ndefault_client_limit = {2 * connections + 200}\n"
            f"default_vsz_limit = 512M\n")


def _ssl_settings(tls: TLSFiles | None) -> str:
    if tls is None:
        return "ssl = no\n"
    return f"ssl = yes\nssl_cert = <{tls.cert_file}\nssl_key = <{tls.key_file}\n"


def _oauth2_passdb(conf: Path | None) -> str:
    # After passwd-file: a failed password lookup falls through to the token check.
    if conf is None:
        return ""
    return f"passdb {{\n  driver = oauth2\n  args = {conf}\n}}\n"


@dataclass(frozen=True)
class TLSFiles:
    """A server certificate (PEM) with its key, and the CA that signed it."""

    ca_file: Path
    cert_file: Path
    key_file: Path


class TestCA:
    """A throwaway certificate authority, made with the `openssl` command."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path, name: str = "mailbot test CA") -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.cert_file = self.directory / "ca.pem"
        self._key = self.directory / "ca.key"
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", str(self._key), "-out", str(self.cert_file), "-days", "2", "-subj", f"/CN={name}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(self, name: str, hosts: Sequence[str] = ("localhost", HOST)) -> TLSFiles:
        """A server certificate for `hosts` (DNS names or IP addresses) signed by this CA."""
        key, csr, cert = (self.directory / f"{name}.{ext}" for ext in ("key", "csr", "pem"))
        ext = self.directory / f"{name}.ext"
        sans = ",".join(("IP:" if _is_ip(h) else "DNS:") + h for h in hosts)
        ext.write_text(f"subjectAltName={sans}\nbasicConstraints=critical,CA:FALSE\n"
                       "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                       "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={hosts[0]}")
        _openssl("x509", "-req", "-in", str(csr), "-CA", str(self.cert_file), "-CAkey", str(self._key),
                 "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext))
        return TLSFiles(self.cert_file, cert, key)


def _openssl(*args: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise LocalMailError("the openssl command is not installed (apt-get install openssl)")
    result = subprocess.run([openssl, *args], capture_output=True, check=False, timeout=60)
    if result.returncode != 0:
        raise LocalMailError(f"openssl {args[0]} failed: {result.stderr.decode(errors='replace').strip()}")


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


class _TokenInfo:
    """A loopback OAuth2 tokeninfo endpoint for Dovecot's oauth2 passdb."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        # the servers' own mapping, not a copy: a token a token server grants later counts

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urllib.parse.urlparse(self.path).query
                token = urllib.parse.parse_qs(query).get("access_token", [""])[0]
                user = tokens.get(token)
                body = json.dumps({"username": user, "active": "true"} if user else {"error": "invalid_token"})
                self.send_response(200 if user else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("tokeninfo: " + format, *args)

        self.server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="tokeninfo", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}/tokeninfo?access_token="

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _accept_any_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    return AuthResult(success=True)


def offer_pipelining(session: Session, hostname: str, responses: list[str]) -> list[str]:
    """EHLO's answer with PIPELINING (RFC 2920), as Postfix and Exchange offer it: aiosmtpd
    reads commands from a stream, so a group written at once is answered in order."""
    session.host_name = hostname  # what aiosmtpd does itself when no handler answers EHLO
    return [*responses[:-1], "250-PIPELINING", responses[-1]]


class _DeliveringHandler:
    """aiosmtpd handler: deliver each accepted message once per RCPT TO."""

    def __init__(self, deliver: Callable[[str, str, bytes], None],
                 tokens: Mapping[str, str] | None = None) -> None:
        self._deliver = deliver
        self._tokens = tokens if tokens is not None else {}  # the servers' mapping: later grants count
        if tokens is not None:  # advertised only when tokens are given
            self.auth_XOAUTH2 = self._auth_xoauth2
            self.auth_OAUTHBEARER = self._auth_oauthbearer

    async def _auth_oauthbearer(self, server: SMTP, args: list[str]) -> AuthResult:
        """SASL OAUTHBEARER (RFC 7628): n,a=<addr>,^Ahost=..^Aport=..^Aauth=Bearer <token>^A^A."""
        try:
            header, *fields = base64.b64decode(args[1], validate=True).decode().split("\x01")
            user = header.split(",")[1].removeprefix("a=").replace("=2C", ",").replace("=3D", "=")
            token = next(f for f in fields if f.startswith("auth=Bearer ")).removeprefix("auth=Bearer ")
        except (IndexError, ValueError, StopIteration):
            return AuthResult(success=False, handled=False)
        if self._tokens.get(token) == user.lower():
            return AuthResult(success=True, auth_data=user)
        # RFC 7628 3.2.2: a JSON error challenge; the client answers ^A, then 535
        await server.challenge_auth(base64.b64encode(b'{"status":"invalid_token"}').decode(), encode_to_b64=False)
        return AuthResult(success=False, handled=False)

    async def _auth_xoauth2(self, server: SMTP, args: list[str]) -> AuthResult:
        """SASL XOAUTH2: user=<addr>^Aauth=Bearer <token>^A^A, checked against the tokens."""
        try:
            fields = base64.b64decode(args[1], validate=True).decode().split("\x01")
            user = fields[0].removeprefix("user=")
            token = fields[1].removeprefix("auth=Bearer ")
        except (IndexError, ValueError):
            return AuthResult(success=False, handled=False)  # handled=False: aiosmtpd answers 535
        if self._tokens.get(token) == user.lower():
            return AuthResult(success=True, auth_data=user)
        # Like Gmail and Microsoft 365: a JSON error challenge, then 535 after the client's empty line.
        await server.challenge_auth(base64.b64encode(b'{"status":"401"}').decode(), encode_to_b64=False)
        return AuthResult(success=False, handled=False)

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        return offer_pipelining(session, hostname, responses)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        sender = "" if envelope.mail_from in (None, "", "<>") else envelope.mail_from
        for rcpt in envelope.rcpt_tos:
            try:
                await asyncio.to_thread(self._deliver, sender, rcpt, content)
            except Exception:
                log.exception("local delivery to %s failed", rcpt)
                return "451 4.3.0 Local delivery failed"
        return "250 2.0.0 Delivered"


class LocalMailServers:
    """A private Dovecot IMAP server plus an SMTP server that delivers into it."""

    def __init__(
        self,
        base_dir: Path,
        users: Iterable[str],
        catchall: str | None = None,
        password: str = "secret",
        imap_port: int | None = None,
        smtp_port: int | None = None,
        *,
        tls: TLSFiles | None = None,
        oauth_tokens: Mapping[str, str] | None = None,
        check_smtp_logins: bool = False,
        connections: int = 0,
        imap_capability: str | None = None,
        userip_connections: int = 100,
        folders: str | None = None,
        greeting: str | None = None,
    ) -> None:
        self.base_dir = Path(base_dir).resolve()
        self._connections = connections  # 0: Dovecot's defaults (about 100 concurrent sessions)
        # the CAPABILITY Dovecot announces after login, in place of its own (a server without IDLE)
        self._capability = imap_capability
        # Dovecot's mail_max_userip_connections: sessions one user may hold from one address
        self._userip_connections = userip_connections
        # Dovecot `mailbox` blocks in place of the usual special-use folders (Gmail's tree), and
        # the greeting before the login
        self._folders, self._greeting = folders, greeting
        self.tls = tls
        self._oauth_tokens = {t: _normalise_address(u) for t, u in (oauth_tokens or {}).items()}
        self._use_oauth = oauth_tokens is not None
        self._check_smtp_logins = check_smtp_logins
        self._tokeninfo: _TokenInfo | None = None
        self._imaps_port: int | None = None
        self._fixed_imap_port = imap_port  # None: a free port chosen at start
        self._fixed_smtp_port = smtp_port
        self._default_password = password
        self._passwords: dict[str, str] = {}
        self.config_file = self.base_dir / "dovecot.conf"
        self.log_file = self.base_dir / "dovecot.log"
        self._stderr_file = self.base_dir / "dovecot.stderr"
        self._users_file = self.base_dir / "users"
        self._mail_root = self.base_dir / "mail"
        self._ident = _Identity.detect()
        self._run_dir: Path | None = None
        self._tmp_run_dir: Path | None = None
        self._dovecot: subprocess.Popen[bytes] | None = None
        self._smtp: Controller | None = None
        self._imap_port: int | None = None
        self._smtp_port: int | None = None
        self._lock = threading.Lock()
        for user in users:
            self.add_user(user)
        if catchall is None:
            if not self._passwords:
                raise ValueError("need at least one user or an explicit catch-all")
            catchall = "catchall@" + next(iter(self._passwords)).split("@", 1)[1]
        self.catchall = _normalise_address(catchall)
        self.add_user(self.catchall)

    # -- lifecycle -----------------------------------------------------------------

    # Called before anything starts; under pytest, tests/conftest.py sets it to refuse a
    # test not marked `integration` (so `scripts/test --quick` never starts Dovecot by
    # accident). The demo and the benches leave it unset.
    start_guard: Callable[[], None] | None = None

    def start(self) -> None:
        """Start Dovecot, then the SMTP server; on any failure stop what did start."""
        if LocalMailServers.start_guard is not None:
            LocalMailServers.start_guard()
        if self._dovecot is not None:
            raise LocalMailError("already started")
        if not dovecot_available():
            raise LocalMailError(f"Dovecot is not installed ({DOVECOT}, {DOVECOT_LDA}, {DOVEADM})")
        atexit.register(self.stop)
        try:
            self._prepare_dirs()
            self._start_dovecot()
            self._start_smtp()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop both servers; safe to call repeatedly and after a failed start."""
        self._stop_smtp()
        self._stop_dovecot()
        if self._tokeninfo is not None:
            self._tokeninfo.stop()
            self._tokeninfo = None
        if self._tmp_run_dir is not None:
            shutil.rmtree(self._tmp_run_dir, ignore_errors=True)
            self._tmp_run_dir = None
        atexit.unregister(self.stop)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- properties ----------------------------------------------------------------

    @property
    def host(self) -> str:
        return HOST

    @property
    def imap_port(self) -> int:
        if self._imap_port is None:
            raise LocalMailError("not started")
        return self._imap_port

    @property
    def imaps_port(self) -> int:
        """The IMAP-over-TLS port (only with `tls=`)."""
        if self._imaps_port is None:
            raise LocalMailError("not started with tls")
        return self._imaps_port

    @property
    def smtp_port(self) -> int:
        if self._smtp_port is None:
            raise LocalMailError("not started")
        return self._smtp_port

    @property
    def dovecot_pid(self) -> int | None:
        """Pid of the Dovecot master process while it runs."""
        return self._dovecot.pid if self._dovecot is not None else None

    @property
    def users(self) -> list[str]:
        """Every mailbox, the catch-all included."""
        return list(self._passwords)

    # -- users ---------------------------------------------------------------------

    def add_user(self, addr: str, password: str | None = None) -> None:
        """Create a mailbox; works before and after `start` (Dovecot rereads the file)."""
        addr = _normalise_address(addr)
        password = self._default_password if password is None else password
        if any(c in password for c in ":\r\n"):
            raise ValueError("password must not contain ':' or line breaks")
        with self._lock:
            self._passwords[addr] = password
            if self._dovecot is None:
                return
            self._make_home(addr)
            self._write_users_file()
        self._wait_for_user(addr)

    def password_for(self, user: str) -> str:
        return self._passwords[_normalise_address(user)]

    def mailbox_for(self, rcpt: str) -> str:
        """The mailbox a message to `rcpt` is delivered to (the catch-all if unknown)."""
        try:
            addr = _normalise_address(rcpt)
        except ValueError:
            return self.catchall
        return addr if addr in self._passwords else self.catchall

    # -- IMAP helpers --------------------------------------------------------------

    def imap(self, user: str) -> IMAPClient:
        """A logged-in IMAP client (use_uid=True); the caller logs out (or uses `with`)."""
        client = IMAPClient(self.host, self.imap_port, ssl=False, use_uid=True, timeout=10)
        try:
            client.login(_normalise_address(user), self.password_for(user))
        except BaseException:
            client.shutdown()
            raise
        return client

    def append(
        self,
        user: str,
        raw: bytes,
        folder: str = "INBOX",
        flags: Sequence[str | bytes] = (),
        msg_time: dt.datetime | None = None,
    ) -> int | None:
        """Put a message straight into a folder (created if missing); returns its UID."""
        with self.imap(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=tuple(flags), msg_time=msg_time)
        return _appended_uid(response)

    def fetch(self, user: str, folder: str = "INBOX") -> list[bytes]:
        """Raw RFC 822 bytes of every message in `folder`, in UID order ([] if no folder).

        A message that a running mailbot moves away between the SEARCH and the FETCH is
        no longer in the folder: it is left out, as a mail client would show it."""
        with self.imap(user) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            if not uids:
                return []
            data = client.fetch(uids, ["BODY.PEEK[]"])
        return [data[uid][b"BODY[]"] for uid in uids if uid in data]

    def folders(self, user: str) -> list[str]:
        with self.imap(user) as client:
            return sorted(name for _flags, _sep, name in client.list_folders())

    def issue_token(self, token: str, user: str) -> None:
        """Accept `token` as `user`'s from now on, for IMAP (Dovecot's oauth2 passdb asks the
        tokeninfo endpoint) and SMTP: what a token server granted."""
        self._oauth_tokens[token] = _normalise_address(user)

    def revoke_token(self, token: str) -> None:
        """Refuse `token` from now on (it expired, or its grant was revoked)."""
        self._oauth_tokens.pop(token, None)

    def kick(self, user: str) -> None:
        """End `user`'s IMAP sessions from the server's side, as a server that drops idle or
        erring connections does (Zimbra after 30 idle minutes or five command errors)."""
        cmd = [str(DOVEADM), "-c", str(self.config_file), "kick", _normalise_address(user)]
        result = subprocess.run(cmd, check=False, capture_output=True, timeout=30)
        if result.returncode not in (0, 68):  # 68: nobody to kick (EX_NOUSER)
            raise LocalMailError(f"doveadm kick failed: {result.stderr.decode(errors='replace')}")

    def set_uidvalidity(self, user: str, folder: str, value: int) -> None:
        """Give a folder a new UIDVALIDITY, as a server rebuild or restore would."""
        cmd = [str(DOVEADM), "-c", str(self.config_file), "mailbox", "update", "-u", _normalise_address(user),
               "--uid-validity", str(value), folder]
        result = subprocess.run(cmd, check=False, capture_output=True, timeout=30)
        if result.returncode != 0:
            raise LocalMailError(f"doveadm mailbox update failed: {result.stderr.decode(errors='replace')}")

    # -- SMTP helper ---------------------------------------------------------------

    def send(self, raw: bytes, mail_from: str, rcpt_to: list[str]) -> None:
        """Submit a message to the local SMTP server; it is delivered when this returns."""
        # smtplib sends bytes as they are; on the wire SMTP lines end in CRLF.
        raw = re.sub(rb"\r?\n", b"\r\n", raw)
        with smtplib.SMTP(self.host, self.smtp_port, timeout=30) as smtp:
            refused = smtp.sendmail(mail_from, rcpt_to, raw)
        if refused:
            raise LocalMailError(f"recipients refused: {refused}")

    # -- Dovecot -------------------------------------------------------------------

    def _prepare_dirs(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        run_dir = self.base_dir / "run"
        if len(str(run_dir)) > MAX_RUNTIME_DIR_LEN:
            self._tmp_run_dir = Path(tempfile.mkdtemp(prefix="localmail-", dir="/tmp"))
            run_dir = self._tmp_run_dir
        run_dir.mkdir(exist_ok=True)
        self._run_dir = run_dir
        (self.base_dir / "state").mkdir(exist_ok=True)
        self._mail_root.mkdir(exist_ok=True)
        os.chown(self._mail_root, self._ident.mail_uid, self._ident.mail_gid)
        with self._lock:
            for addr in self._passwords:
                self._make_home(addr)
            self._write_users_file()

    def _make_home(self, addr: str) -> None:
        home = self._mail_root / addr
        home.mkdir(mode=0o700, exist_ok=True)
        os.chown(home, self._ident.mail_uid, self._ident.mail_gid)

    def _write_users_file(self) -> None:
        lines = "".join(f"{a}:{{PLAIN}}{p}::::::\n" for a, p in self._passwords.items())
        tmp = self._users_file.with_suffix(".tmp")
        tmp.write_text(lines)
        tmp.chmod(0o600)
        tmp.replace(self._users_file)

    def _wait_for_user(self, addr: str) -> None:
        """Dovecot rereads the users file at most once a second; wait until it has."""
        deadline = time.monotonic() + START_TIMEOUT
        cmd = [str(DOVEADM), "-c", str(self.config_file), "user", addr]
        while subprocess.run(cmd, check=False, capture_output=True, timeout=10).returncode != 0:
            if time.monotonic() > deadline:
                raise LocalMailError(f"Dovecot did not pick up new user {addr}")
            time.sleep(0.05)

    def _write_config(self, port: int, imaps_port: int = 0) -> None:
        assert self._run_dir is not None
        domain = self.catchall.split("@", 1)[1]
        oauth2_conf: Path | None = None
        if self._use_oauth:
            if self._tokeninfo is None:
                self._tokeninfo = _TokenInfo(self._oauth_tokens)
            oauth2_conf = self.base_dir / "dovecot-oauth2.conf.ext"
            oauth2_conf.write_text(f"tokeninfo_url = {self._tokeninfo.url}\nusername_attribute = username\n"
                                   "timeout_msecs = 5000\n")
        self.config_file.write_text(
            _dovecot_config(
                tls=self.tls,
                imaps_port=imaps_port,
                connections=self._connections,
                oauth2_conf=oauth2_conf,
                capability=self._capability,
                userip_connections=self._userip_connections,
                folders=self._folders,
                greeting=self._greeting,
                run_dir=self._run_dir,
                state_dir=self.base_dir / "state",
                log_file=self.log_file,
                users_file=self._users_file,
                mail_root=self._mail_root,
                port=port,
                postmaster=f"postmaster@{domain}",
                ident=self._ident,
            )
        )

    def _start_dovecot(self, attempts: int = 3) -> None:
        for attempt in range(1, attempts + 1):
            port = self._fixed_imap_port or _free_port()
            imaps_port = _free_port() if self.tls else 0
            self._write_config(port, imaps_port)
            self._spawn_dovecot()
            try:
                self._wait_for_imap(port)
                if imaps_port:
                    self._wait_for_imap(imaps_port, tls=True)
            except LocalMailError:
                self._stop_dovecot()
                if attempt < attempts and not self._fixed_imap_port and "Address already in use" in self._log_tail():
                    log.info("IMAP port %d was taken meanwhile; retrying", port)
                    continue
                raise
            self._imap_port = port
            self._imaps_port = imaps_port or None
            log.info("Dovecot pid %d serving IMAP on %s:%d", self.dovecot_pid, HOST, port)
            return

    def _spawn_dovecot(self) -> None:
        with open(self._stderr_file, "ab") as stderr:
            self._dovecot = subprocess.Popen(
                _dovecot_command(self.config_file),
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
            )

    def _wait_for_imap(self, port: int, tls: bool = False) -> None:
        """Wait for a real IMAP greeting (a bare TCP accept is not enough)."""
        assert self._dovecot is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._dovecot.poll() is not None:
                raise LocalMailError(
                    f"Dovecot exited with status {self._dovecot.returncode} during start-up;"
                    f" log tail:\n{self._log_tail()}"
                )
            if _imap_greets(port, tls):
                return
            time.sleep(0.05)
        raise LocalMailError(
            f"Dovecot did not greet on {HOST}:{port} within {START_TIMEOUT:.0f} s;"
            f" log tail:\n{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        parts = [_tail(self.log_file), _tail(self._stderr_file)]
        return "\n".join(p for p in parts if p) or "(Dovecot wrote no log)"

    def _stop_dovecot(self) -> None:
        proc, self._dovecot = self._dovecot, None
        self._imap_port = None
        if proc is None:
            return
        pgid = proc.pid  # start_new_session: the master leads its own process group
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log.warning("Dovecot pid %d ignored SIGTERM; killing its group", proc.pid)
                _kill_group(pgid, signal.SIGKILL)
                proc.wait()
        _wait_group_gone(pgid, STOP_TIMEOUT)

    # -- SMTP ----------------------------------------------------------------------

    def _start_smtp(self, attempts: int = 3) -> None:
        for attempt in range(1, attempts + 1):
            port = self._fixed_smtp_port or _free_port()
            tls_context = None
            if self.tls is not None:
                tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                tls_context.load_cert_chain(self.tls.cert_file, self.tls.key_file)
            controller = Controller(
                _DeliveringHandler(self._deliver, self._oauth_tokens if self._use_oauth else None),
                hostname=HOST,
                port=port,
                server_hostname="localmail.test",
                enable_SMTPUTF8=True,
                tls_context=tls_context,
                require_starttls=False,
                authenticator=self._check_login if self._check_smtp_logins else _accept_any_login,
                auth_required=False,
                auth_require_tls=False,
                ready_timeout=START_TIMEOUT,
            )
            try:
                controller.start()
            except OSError as err:
                controller.stop(no_assert=True)
                if attempt < attempts and not self._fixed_smtp_port and err.errno == errno.EADDRINUSE:
                    log.info("SMTP port %d was taken meanwhile; retrying", port)
                    continue
                raise
            self._smtp = controller
            self._smtp_port = port
            log.info("SMTP on %s:%d", HOST, port)
            return

    def _check_login(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                     auth_data: Any) -> AuthResult:
        """PLAIN/LOGIN against the users' passwords (with `check_smtp_logins=True`)."""
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        known = self._passwords.get(user.lower())
        return AuthResult(success=known is not None and known == password, handled=False)

    def _stop_smtp(self) -> None:
        controller, self._smtp = self._smtp, None
        self._smtp_port = None
        if controller is not None:
            controller.stop()

    def _deliver(self, sender: str, rcpt: str, content: bytes) -> None:
        """Deliver one copy with dovecot-lda, as an MTA's local delivery agent would."""
        mailbox = self.mailbox_for(rcpt)
        headers = [f"Return-Path: <{sender}>", f"Delivered-To: {mailbox}"]
        if mailbox != rcpt.strip().lower():
            headers.append(f"X-Original-To: {rcpt}")
        message = "".join(h + "\r\n" for h in headers).encode() + content
        cmd = [str(DOVECOT_LDA), "-c", str(self.config_file), "-d", mailbox]
        cmd += ["-f", sender, "-a", rcpt]
        for attempt in range(1, LDA_ATTEMPTS + 1):
            result = subprocess.run(cmd, input=message, check=False, capture_output=True, timeout=30)
            if result.returncode >= 0 or attempt == LDA_ATTEMPTS:
                break
            # Killed by a signal (a Dovecot panic aborts): an MTA defers such a delivery and
            # tries again, as Postfix's pipe(8) does; what Dovecot said goes to the log.
            log.warning("dovecot-lda killed by signal %d for %s (attempt %d); trying again: %s",
                        -result.returncode, mailbox, attempt, self._lda_complaints())
            time.sleep(0.2 * attempt)
        if result.returncode != 0:
            raise LocalMailError(
                f"dovecot-lda exited {result.returncode} for {mailbox}: "
                f"{result.stderr.decode(errors='replace').strip()} {self._lda_complaints()}".strip()
            )
        log.debug("delivered mail from <%s> for <%s> to %s", sender, rcpt, mailbox)

    def _lda_complaints(self) -> str:
        """The Panic/Fatal/Error lines of the last deliveries in Dovecot's log (lda writes there)."""
        lines = _tail(self.log_file, 200).splitlines()
        said = [line for line in lines if "lda" in line and any(w in line for w in ("Panic", "Fatal", "Error"))]
        return " | ".join(said[-5:])


def _appended_uid(response: bytes) -> int | None:
    """The UID from an ``[APPENDUID <validity> <uid>]`` response code, if present."""
    text = response.decode(errors="replace") if isinstance(response, bytes) else str(response)
    marker = "[APPENDUID "
    start = text.find(marker)
    if start < 0:
        return None
    fields = text[start + len(marker) :].split("]", 1)[0].split()
    return int(fields[1]) if len(fields) == 2 and fields[1].isdigit() else None


def _imap_greets(port: int, tls: bool = False) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as sock:
            if not tls:
                return sock.recv(256).startswith(b"* OK")
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # only waiting for the greeting here
            with context.wrap_socket(sock) as tls_sock:
                return tls_sock.recv(256).startswith(b"* OK")
    except OSError:
        return False


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _live_group_members(pgid: int) -> list[int]:
    """Pids in process group `pgid` that are not zombies (zombies hold no resources)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state, ppid, pgrp, ...
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _wait_group_gone(pgid: int, timeout: float) -> None:
    """Wait for Dovecot's children (same process group) to exit; SIGKILL stragglers."""
    deadline = time.monotonic() + timeout
    while _live_group_members(pgid):
        if time.monotonic() >= deadline:
            log.warning("Dovecot processes in group %d outlived the master; killing", pgid)
            _kill_group(pgid, signal.SIGKILL)
            return
        time.sleep(0.05)


__all__ = ["LocalMailError", "LocalMailServers", "TLSFiles", "TestCA", "dovecot_available"]
