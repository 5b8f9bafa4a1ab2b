"""What imap.py and smtp.py share to reach a server: TLS and the login secret.

TLS: certificates and host names are always verified, against the system CAs by
default or against `ca_file` alone (a unit's private CA). Login: a password, or for
Microsoft 365 and Google an OAuth2 access token sent with SASL XOAUTH2. Tokens expire
within the hour, so one is read at every login from `token_file` (kept fresh by an
outside tool), printed by `token_command`, or obtained and refreshed by mailbot itself
from the unit's registered client (`oauth2:`, `io/oauth.py`).
"""

from __future__ import annotations

import base64
import re
import ssl
import subprocess

from mailbot.errors import LoginRefusedError
from mailbot.io import oauth
from mailbot.settings import ServerConfig, SmtpConfig

TOKEN_COMMAND_SECONDS = 30
# OpenSSL's reasons when the server answered a TLS handshake in plain text.
_PLAIN_TEXT_REPLY = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "UNKNOWN_PROTOCOL",
                               "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"})


def tls_context(cfg: ServerConfig) -> ssl.SSLContext | None:
    """A verifying client context (None for `security: none`, loopback only)."""
    if cfg.security == "none":
        return None
    if cfg.ca_file is not None:
        return ssl.create_default_context(cafile=str(cfg.ca_file))
    return ssl.create_default_context()


def xoauth2_initial_response(username: str, token: str) -> str:
    """The SASL XOAUTH2 client response, base64-encoded as SMTP AUTH sends it.

    `user=<address>^Aauth=Bearer <token>^A^A` (Google's and Microsoft's XOAUTH2).
    IMAP sends the same bytes; imapclient's `oauth2_login` builds them itself.
    """
    if "\x01" in username or "\x01" in token:
        raise LoginRefusedError("XOAUTH2: user name or token contains a control character")
    raw = f"user={username}\x01auth=Bearer {token}\x01\x01"
    return base64.b64encode(raw.encode()).decode("ascii")


def oauthbearer_initial_response(username: str, token: str, host: str, port: int) -> str:
    """The SASL OAUTHBEARER client response (RFC 7628 3.1), base64-encoded as SMTP AUTH sends
    it: the GS2 header naming the user, then host, port and the bearer token."""
    if any(c in value for value in (username, token, host) for c in "\x01\r\n"):
        raise LoginRefusedError("OAUTHBEARER: user name, host or token contains a control character")
    user = username.replace("=", "=3D").replace(",", "=2C")
    raw = f"n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"
    return base64.b64encode(raw.encode()).decode("ascii")


def access_token(cfg: ServerConfig) -> str:
    """The current OAuth2 access token from token_file, token_command or oauth2."""
    where = f"{cfg.host}:{cfg.port}"
    if cfg.oauth2 is not None:
        return oauth.access_token(cfg.oauth2, cfg.username or "", where)
    if cfg.token_file is not None:
        try:
            token = cfg.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise LoginRefusedError(
                f"no OAuth2 token for {where}: cannot read {cfg.token_file}: {exc.strerror}") from None
        if not token:
            raise LoginRefusedError(f"no OAuth2 token for {where}: {cfg.token_file} is empty")
        return token
    if cfg.token_command:
        try:
            done = subprocess.run(list(cfg.token_command), capture_output=True, timeout=TOKEN_COMMAND_SECONDS,
                                  check=False, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LoginRefusedError(f"no OAuth2 token for {where}: token_command failed: {exc}") from None
        token = done.stdout.decode("utf-8", "replace").strip()
        if done.returncode != 0 or not token:
            # The command's stderr may say why (expired refresh token, ...); its stdout is the secret.
            why = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise LoginRefusedError(f"no OAuth2 token for {where}: token_command exited {done.returncode}: {why[0]}")
        return token.splitlines()[0]
    raise LoginRefusedError(f"no OAuth2 token source for {where}")


# RFC 5530's codes for "not now" (a login that may succeed later, unlike AUTHENTICATIONFAILED),
# and the words servers use for their connection limits (Dovecot's mail_max_userip_connections,
# Gmail's "Too many simultaneous connections", Zimbra's and Exchange's "too many connections")
_LIMIT_WORDS = re.compile(r"too many (?:simultaneous |concurrent |open )?(?:connections|sessions)"
                         r"|maximum number of (?:connections|sessions)|connection limit", re.IGNORECASE)
_BUSY = re.compile(r"\[(?:LIMIT|INUSE|UNAVAILABLE)\]|" + _LIMIT_WORDS.pattern, re.IGNORECASE)


def busy(answer: str) -> bool:
    """Whether a refused login's answer says the server is full for this user now (its
    connection limit), not that the credentials are wrong."""
    return bool(_BUSY.search(answer))


def at_connection_limit(answer: str) -> bool:
    """Whether the answer's words name a connection limit, whatever its response code:
    Dovecot 2.3 answers its mail_max_userip_connections with [UNAVAILABLE] and these words."""
    return bool(_LIMIT_WORDS.search(answer))


# Exchange Online's answer to each command after a login it accepted when the login may not
# open the mailbox: app-only access without the mailbox permission, IMAP switched off for the
# mailbox, or a mailbox over its sessions (as other IMAP clients' trackers report it).
_NOT_CONNECTED = re.compile(r"authenticated but not connected", re.IGNORECASE)


def not_connected(answer: str) -> bool:
    """Whether a command's failure after the login says the server took the login but not
    the mailbox, which no folder or message of mailbot's own can mend."""
    return bool(_NOT_CONNECTED.search(answer))


def token_refused(cfg: ServerConfig, token: str) -> bool:
    """The server refused `token`: True when it came from `oauth2` and was a token another
    process kept, so that one more login with a token of this process's own is worth it
    (`oauth.refused`)."""
    return cfg.oauth2 is not None and oauth.refused(cfg.oauth2, cfg.username or "", token)


def password(cfg: ServerConfig) -> str:
    return cfg.password.value if cfg.password else ""


def certificate_problem(exc: ssl.SSLCertVerificationError) -> str:
    """One line for a refused server certificate, with what to do about it."""
    why = exc.verify_message or str(exc)
    return (f"TLS certificate refused: {why} (a private CA: set ca_file to its PEM file;"
            " never switch verification off)")


def security_hint(cfg: ServerConfig, exc: BaseException) -> str:
    """What to try when `security` may not fit what the port speaks, else "".

    TLS sent to a port that starts in plain text (IMAP 143, submission 587) fails the
    handshake at once; plain text sent to a port that starts with TLS (IMAP 993, SMTP
    465) hears no greeting and waits until the time-out.
    """
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if cfg.security == "ssl" and any(isinstance(e, ssl.SSLError) and e.reason in _PLAIN_TEXT_REPLY for e in chain):
        return (f" (port {cfg.port} does not start with TLS: it may want security: starttls,"
                " as IMAP on 143 and SMTP on 587 do)")
    if cfg.security != "ssl" and any(isinstance(e, TimeoutError) for e in chain):
        slow = (f", or a server slow to greet ({cfg.key}.greeting_timeout: {cfg.greeting_timeout:g} s)"
                if isinstance(cfg, SmtpConfig) else "")
        return (f" (no greeting from port {cfg.port} in time: a firewall, or a port that starts with TLS,"
                f" as IMAP on 993 and SMTP on 465 do, which wants security: ssl{slow})")
    return ""
