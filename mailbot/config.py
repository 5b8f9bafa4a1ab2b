"""YAML configuration -> frozen, validated values (SPEC section 12).

Loaded once at start-up. Every key has a default except each mailbox's address and
servers. Secrets come from `${ENV_VAR}` references or `password_file` (under systemd
`${CREDENTIALS_DIRECTORY}/imap`, from `LoadCredential=`); they live in `Secret` values
whose repr never shows them, so they cannot leak into logs. Any unknown key or bad
value raises `ConfigError` naming the dotted key.

Relative paths: the data mailbot writes and reads back (database, archive_dir,
secret_key_file, rules_dir, templates_dir) resolve against `$STATE_DIRECTORY` when
systemd sets it (`StateDirectory=mailbot`: /var/lib/mailbot), else against the config
file's folder; the files that configure a server (password_file, token_file, ca_file)
always resolve against the config file's folder.
"""

from __future__ import annotations

import base64
import contextvars
import datetime as dt
import fnmatch
import ipaddress
import math
import os
import re
import shlex
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from mailbot.config_web import web_block
from mailbot.core.settings import (
    AuthConfig,
    CalendarConfig,
    ClientCertificate,
    Config,
    EscalationConfig,
    ImapConfig,
    LimitsConfig,
    LogConfig,
    MailboxConfig,
    OAuth2Config,
    ReportsConfig,
    Secret,
    SimilarConfig,
    SmtpConfig,
)
from mailbot.errors import ConfigError

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$|^[^@\s<>,;\"]+@localhost$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SECURITY = ("ssl", "starttls", "none")
ENV_HINTS = {
    "CREDENTIALS_DIRECTORY": " (systemd sets it for LoadCredential=; outside the unit run the installed"
                             " /usr/local/sbin/mailbot wrapper, or set it to the folder holding the secrets)",
    "STATE_DIRECTORY": " (systemd sets it for StateDirectory=)",
}


# --- validation helpers -------------------------------------------------------------


def _expect_mapping(value: Any, key: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: expected a mapping, got {type(value).__name__}")
    return value


def _check_keys(data: Mapping[str, Any], allowed: set[str], key: str) -> None:
    for name in data:
        if name not in allowed:
            where = f"{key}.{name}" if key else str(name)
            hint = _close_match(str(name), allowed)
            raise ConfigError(f"{where}: unknown key" + (f" (did you mean {hint!r}?)" if hint else ""))


def _close_match(name: str, allowed: set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.7)
    return found[0] if found else None


def _expand_env(value: Any, key: str) -> Any:
    if not isinstance(value, str):
        return value

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            hint = ENV_HINTS.get(name, "")
            raise ConfigError(f"{key}: environment variable {name} is not set{hint}")
        return os.environ[name]

    return ENV_REF.sub(sub, value)


def _str(data: Mapping[str, Any], name: str, key: str, default: Any = ..., *, choices: tuple[str, ...] = ()) -> Any:
    full = f"{key}.{name}" if key else name
    if name not in data or data[name] is None:
        if default is ...:
            raise ConfigError(f"{full}: required")
        return default
    value = _expand_env(data[name], full)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{full}: expected a non-empty string")
    if choices and value not in choices:
        raise ConfigError(f"{full}: {value!r} is not one of {', '.join(choices)}")
    return value.strip()


def _num(data: Mapping[str, Any], name: str, key: str, default: float, kind: type = int, minimum: float = 0) -> Any:
    full = f"{key}.{name}" if key else name
    value = data.get(name, default)
    value = _expand_env(value, full)
    if isinstance(value, str):
        try:
            value = kind(value)
        except ValueError:
            raise ConfigError(f"{full}: expected a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{full}: expected a number, got {value!r}")
    if kind is int and not float(value).is_integer():
        raise ConfigError(f"{full}: expected a whole number, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{full}: must be at least {minimum}, got {value!r}")
    return kind(value)


def _bool(data: Mapping[str, Any], name: str, key: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key}.{name}: expected true or false, got {value!r}")
    return value


def _address(value: Any, key: str) -> str:
    value = _expand_env(value, key)
    if not isinstance(value, str) or not ADDRESS.match(value.strip()):
        raise ConfigError(f"{key}: {value!r} is not an email address")
    return value.strip().lower()


def _addresses(data: Mapping[str, Any], name: str, key: str) -> tuple[str, ...]:
    full = f"{key}.{name}"
    value = data.get(name) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"{full}: expected a list of addresses")
    return tuple(_address(v, f"{full}[{i}]") for i, v in enumerate(value))


def _path(value: Any, key: str, base: Path) -> Path:
    value = _expand_env(value, key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: expected a path")
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _database(value: Any, base: Path) -> tuple[Path, str | None]:
    """The store: a file path (SQLite, the embedded default), or a `postgresql://` URL (libpq's
    syntax: a store several processes and hosts share, issue 47), returned beside the path of
    the folder a SQLite file would have been in. Any other URL is refused by name, never
    taken as a path: a `postgresql://...` once taken for one made each daemon create its own
    SQLite file under `postgresql:/` in its working directory. A password is not written in
    the URL (`database_password_file`, or libpq's PGPASSFILE): the URL is what logs show."""
    text = _expand_env(value, "database")
    found = _URL.match(text) if isinstance(text, str) else None
    if found is None:
        return _path(value, "database", base), None
    scheme = found.group(1).lower()
    if scheme in ("postgresql", "postgres"):
        assert isinstance(text, str)
        if re.match(r"^[a-z]+://[^/@]*:[^/@]*@", text, re.IGNORECASE):
            raise ConfigError("database: the PostgreSQL URL holds a password: give it in database_password_file "
                              "(or libpq's PGPASSFILE), never in the configuration")
        return base / "postgresql", "postgresql://" + text.split("://", 1)[1]
    raise ConfigError(f"database: {scheme}:// is not a store mailbot can use; give the path of the SQLite file "
                      f"(the embedded default, data/mailbot.db) or a postgresql:// URL")


def _database_password(data: Mapping[str, Any], base: Path) -> Secret | None:
    """`database_password_file:` (under systemd `${CREDENTIALS_DIRECTORY}/database`): the password
    of the `postgresql://` database, or, beside a SQLite file, of the database `migrate --to`
    copies it into (issue 57: it needed PGPASSWORD), read the same way."""
    if data.get("database_password_file") is None:
        return None
    return _password_file(data, "", base, "database_password_file")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


SERVER_KEYS = {"host", "port", "security", "username", "password", "password_file", "ca_file", "auth", "token_file",
               "token_command", "oauth2"}
SERVER_AUTH = ("password", "xoauth2", "oauthbearer")  # the last two: SASL with an OAuth2 token (issue 49)
IMAP_KEYS = SERVER_KEYS | {"folder", "processed_folder", "quarantine_folder", "sent_folder", "idle", "poll_seconds"}


def _server_fields(data: Mapping[str, Any], key: str, base: Path, default_port: Callable[[str], int],
                   default_username: str | None = None) -> dict[str, Any]:
    host = _str(data, "host", key)
    security = _str(data, "security", key, "ssl", choices=SECURITY)
    if security == "none" and not _is_loopback(host):
        raise ConfigError(f"{key}.security: 'none' is only allowed for loopback hosts, not {host!r}")
    port = _num(data, "port", key, default_port(security), minimum=1)
    if port > 65535:
        raise ConfigError(f"{key}.port: {port} is not a TCP port")
    username = _str(data, "username", key, default_username)
    password = _login_password(data, key, base, username)
    ca_file = _ca_file(data, key, base, security)
    auth = _str(data, "auth", key, "password", choices=SERVER_AUTH)
    token_file, token_command, oauth2 = _token_source(data, key, base, auth, username, password)
    return {"host": host, "port": port, "security": security, "username": username, "password": password,
            "ca_file": ca_file, "auth": auth, "token_file": token_file, "token_command": token_command,
            "oauth2": oauth2}


def _login_password(data: Mapping[str, Any], key: str, base: Path, username: str | None) -> Secret | None:
    """The password of a server's login; left out where secrets are optional (a command that
    only reads the database never logs in)."""
    if data.get("password") is not None and data.get("password_file") is not None:
        raise ConfigError(f"{key}.password: give password or password_file, not both")
    try:
        password = _password(data, key, base, login=username is not None)
    except ConfigError:
        if not _SECRETS_OPTIONAL.get():
            raise
        password = None
    if username is None and (password is not None or data.get("password_file") is not None):
        # Without a login name the password was never used: no AUTH, and a submission server
        # refused every mail (530) while `check` said the server was fine.
        raise ConfigError(f"{key}.username: required with a password (the login name, usually the mailbox address)")
    return password


def _ca_file(data: Mapping[str, Any], key: str, base: Path, security: str) -> Path | None:
    """A private CA's certificates, read once here so a wrong path is said at start-up."""
    if data.get("ca_file") is None:
        return None
    if security == "none":
        raise ConfigError(f"{key}.ca_file: only used with security ssl or starttls")
    ca_file = _path(data["ca_file"], f"{key}.ca_file", base)
    try:
        ca_file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{key}.ca_file: cannot read {ca_file}: {exc.strerror}") from None
    return ca_file


def _password(data: Mapping[str, Any], key: str, base: Path, *, login: bool) -> Secret | None:
    """The password given, None for none. An empty one is refused when there is a login name
    to use it with; without one (a loopback relay taking mail without AUTH, written
    `username: null, password: ""`) it is no password, as it always was."""
    if data.get("password") is not None:
        return _inline_password(data["password"], key, login=login)
    if data.get("password_file") is None:
        return None
    return _password_file(data, key, base)


def _inline_password(value: Any, key: str, *, login: bool) -> Secret | None:
    """`password:`, a quoted string or a `${VAR}` reference."""
    if isinstance(value, bool) or not isinstance(value, str | int):  # a list or a mapping is no password
        raise ConfigError(f"{key}.password: give the password as a quoted string, not {type(value).__name__}")
    text = str(_expand_env(value, f"{key}.password"))
    if not text.strip() and not login:
        return None
    if not text.strip():  # as an empty password_file: said here, not as a refused login
        refs = [f"environment variable {name} is empty" for name in ENV_REF.findall(str(value))]
        raise ConfigError(f"{key}.password: {', '.join(refs) or 'empty'}: give the password")
    return Secret(text)


def _password_file(data: Mapping[str, Any], key: str, base: Path, field: str = "password_file") -> Secret:
    """`password_file:`, the password alone on one line (systemd's LoadCredential=)."""
    label = f"{key}.{field}" if key else field
    file = _path(data[field], label, base)
    try:
        text = file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read {file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: {file} is not UTF-8 text") from None
    # Neither is a password a server can take; said here, not as a refused login.
    if not text:
        raise ConfigError(f"{label}: {file} is empty: write the password into it")
    if "\n" in text or "\r" in text:
        raise ConfigError(f"{label}: {file} holds more than one line: "
                          "the file holds the password alone, on one line")
    return Secret(text)


TOKEN_SOURCES = ("token_file", "token_command", "oauth2")


def _token_source(data: Mapping[str, Any], key: str, base: Path, auth: str, username: str | None,
                  password: Secret | None) -> tuple[Path | None, tuple[str, ...] | None, OAuth2Config | None]:
    """Where an XOAUTH2 access token comes from: exactly one of token_file, token_command, oauth2."""
    given = [name for name in TOKEN_SOURCES if data.get(name) is not None]
    if auth == "password":
        if given:
            raise ConfigError(f"{key}.{given[0]}: only used with auth: xoauth2 or oauthbearer")
        return None, None, None
    if password is not None:
        raise ConfigError(f"{key}.auth: {auth} logs in with a token, not a password: "
                          "give token_file, token_command or oauth2 instead of password")
    if not username:
        raise ConfigError(f"{key}.username: required with auth: {auth} (the mailbox address)")
    if len(given) != 1:
        raise ConfigError(f"{key}.auth: {auth} needs exactly one of token_file, token_command or oauth2")
    if given == ["token_file"]:
        return _path(data["token_file"], f"{key}.token_file", base), None, None
    if given == ["token_command"]:
        return None, _token_command(data["token_command"], key), None
    return None, None, _oauth2(data["oauth2"], f"{key}.oauth2", base)


OAUTH2_KEYS = {"provider", "client_id", "client_secret_file", "tenant", "token_url", "scope", "refresh_token_file",
               "device_url", "client_secret_expires", "token_cache_dir", "client_certificate_file"}
OAUTH2_PROVIDERS = ("microsoft", "google", "generic")
# The providers' token endpoints and the scopes of IMAP and SMTP (delegated: a person's
# one-time login; app-only: the client's own credentials, Microsoft's client credentials).
_MICROSOFT_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
_MICROSOFT_DELEGATED = ("https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send "
                        "offline_access")
_MICROSOFT_APP_ONLY = "https://outlook.office365.com/.default"
_MICROSOFT_DEVICE_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode"
_GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
_GOOGLE_DEVICE_URL = "https://oauth2.googleapis.com/device/code"
_GOOGLE_SCOPE = "https://mail.google.com/"


def _oauth2(data: Any, key: str, base: Path) -> OAuth2Config:
    """`oauth2:` (issue 49): the unit's registered client at its provider, from which mailbot
    obtains and refreshes its own access tokens."""
    data = _expect_mapping(data, key)
    _check_keys(data, OAUTH2_KEYS, key)
    provider = _str(data, "provider", key, choices=OAUTH2_PROVIDERS)
    client_id = _str(data, "client_id", key)
    secret = _password_file(data, key, base, "client_secret_file") if data.get("client_secret_file") else None
    certificate = None
    if data.get("client_certificate_file") is not None:
        if secret is not None:
            raise ConfigError(f"{key}.client_certificate_file: give a client secret or a certificate, not both")
        if provider == "google":
            raise ConfigError(f"{key}.client_certificate_file: Google's clients take no certificate; "
                              "use refresh_token_file")
        certificate = _client_certificate(data, key, base)
    refresh = _path(data["refresh_token_file"], f"{key}.refresh_token_file", base) \
        if data.get("refresh_token_file") is not None else None
    tenant = _str(data, "tenant", key, None)
    if provider == "microsoft" and not tenant:
        raise ConfigError(f"{key}.tenant: required for provider microsoft (the directory id or domain)")
    if provider == "google" and refresh is None:
        raise ConfigError(f"{key}.refresh_token_file: required for provider google (run `mailbot oauth login`)")
    if refresh is None and secret is None and certificate is None:
        raise ConfigError(f"{key}.client_secret_file: required without refresh_token_file "
                          "(the client's own credentials), unless client_certificate_file is given")
    default_url = {"microsoft": _MICROSOFT_TOKEN_URL.format(tenant=tenant), "google": _GOOGLE_TOKEN_URL}
    token_url = _endpoint(data, "token_url", key, default_url.get(provider))
    if token_url is None:
        raise ConfigError(f"{key}.token_url: required for provider generic")
    default_device = {"microsoft": _MICROSOFT_DEVICE_URL.format(tenant=tenant), "google": _GOOGLE_DEVICE_URL}
    device_url = _endpoint(data, "device_url", key, default_device.get(provider))
    default_scope = {"microsoft": _MICROSOFT_DELEGATED if refresh else _MICROSOFT_APP_ONLY, "google": _GOOGLE_SCOPE}
    scope = _str(data, "scope", key, default_scope.get(provider, ""))
    expires = data.get("client_secret_expires")
    if expires is not None and not isinstance(expires, dt.date):
        try:
            expires = dt.date.fromisoformat(str(expires))
        except ValueError:
            raise ConfigError(f"{key}.client_secret_expires: expected a date (YYYY-MM-DD), got {expires!r}") from None
    if certificate is not None:
        if expires is not None:
            raise ConfigError(f"{key}.client_secret_expires: a certificate's end is read from the certificate")
        expires = certificate.ends
    # beside the state (the database, the secret key): a restarted daemon and each command
    # use the token the last one fetched while it is valid, instead of asking anew
    cache = _path(data.get("token_cache_dir", "data/oauth-tokens"), f"{key}.token_cache_dir", data_folder(base))
    return OAuth2Config(provider, client_id, secret, token_url, scope, refresh, tenant, device_url, expires, cache,
                        certificate)


def _client_certificate(data: Mapping[str, Any], key: str, base: Path) -> ClientCertificate:
    """`client_certificate_file:` one PEM file holding the certificate uploaded to the app
    registration and its private key (unencrypted: the file is mailbot's alone, like the
    client secret's), read and matched here so that a wrong file is said at start-up."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    label = f"{key}.client_certificate_file"
    file = _path(data["client_certificate_file"], label, base)
    try:
        pem = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read {file}: {exc.strerror}") from None
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise ConfigError(f"{label}: {file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)") from None
    try:
        private = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise ConfigError(f"{label}: {file} holds no unencrypted private key beside the certificate "
                          "(-----BEGIN PRIVATE KEY-----)") from None
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ConfigError(f"{label}: the key is not RSA: the providers sign client assertions with RS256")
    if private.public_key().public_numbers() != certificate.public_key().public_numbers():  # type: ignore[union-attr]
        raise ConfigError(f"{label}: the private key in {file} is not the certificate's")
    thumbprint = certificate.fingerprint(hashes.SHA1())
    key_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode("ascii")
    return ClientCertificate(Secret(key_pem), base64.urlsafe_b64encode(thumbprint).rstrip(b"=").decode("ascii"),
                             certificate.not_valid_after_utc.date())


def _endpoint(data: Mapping[str, Any], name: str, key: str, default: str | None) -> str | None:
    """An OAuth2 endpoint's URL: https, or plain http on loopback (a test's, a local proxy's)."""
    url = _str(data, name, key, default)
    if url is None:
        return None
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "https" and not (parsed.scheme == "http" and _is_loopback(parsed.hostname or "")):
        raise ConfigError(f"{key}.{name}: must be https:// (plain http only on loopback), got {url!r}")
    return str(url)


def _token_command(value: Any, key: str) -> tuple[str, ...]:
    """The command that prints a token: a shell-quoted line or a list of arguments."""
    command = _expand_env(value, f"{key}.token_command")
    if isinstance(command, str):
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ConfigError(f"{key}.token_command: {exc}") from None
    elif isinstance(command, list) and all(isinstance(a, str) for a in command):
        argv = [str(_expand_env(a, f"{key}.token_command")) for a in command]
    else:
        raise ConfigError(f"{key}.token_command: expected a command line or a list of arguments")
    if not argv:
        raise ConfigError(f"{key}.token_command: empty")
    return tuple(argv)


SMTP_KEYS = SERVER_KEYS | {"max_connections", "max_retry_hours", "timeout", "greeting_timeout"}


def _smtp(data: Any, key: str, base: Path) -> SmtpConfig:
    data = _expect_mapping(data, key)
    _check_keys(data, SMTP_KEYS, key)
    ports = {"ssl": 465, "starttls": 587, "none": 25}
    return SmtpConfig(
        **_server_fields(data, key, base, ports.__getitem__),
        max_connections=_num(data, "max_connections", key, SmtpConfig.max_connections, minimum=1),
        max_retry_hours=_num(data, "max_retry_hours", key, SmtpConfig.max_retry_hours, float, 0.1),
        timeout=_num(data, "timeout", key, SmtpConfig.timeout, float, 1),
        greeting_timeout=_num(data, "greeting_timeout", key, SmtpConfig.greeting_timeout, float, 1),
        key=key,
    )


def _imap(data: Any, key: str, base: Path, address: str) -> ImapConfig:
    """An IMAP server always wants a login: its name defaults to the mailbox's address."""
    data = _expect_mapping(data, key)
    _check_keys(data, IMAP_KEYS, key)
    fields = _server_fields(data, key, base, lambda s: 993 if s == "ssl" else 143, address)
    folders = {name: _str(data, name, key, default) for name, default in
               (("folder", "INBOX"), ("processed_folder", "Processed"), ("quarantine_folder", "Quarantine"))}
    # `sent_folder: null` keeps no copies; absent, the copies go to "Sent" (issue 57)
    sent = None if "sent_folder" in data and data["sent_folder"] is None else _str(data, "sent_folder", key, "Sent")
    _distinct_folders({**folders, **({"sent_folder": sent} if sent else {})}, key)
    return ImapConfig(
        **fields,
        folder=folders["folder"],
        processed_folder=folders["processed_folder"],
        quarantine_folder=folders["quarantine_folder"],
        sent_folder=sent,
        idle=_bool(data, "idle", key, True),
        poll_seconds=_num(data, "poll_seconds", key, 60, minimum=1),
    )


def _distinct_folders(folders: dict[str, str], key: str) -> None:
    """The folder read, Processed, Quarantine and the copies of sent mail are folders of
    their own: handled mail moved into the folder read (or a copy of sent mail put there)
    would be read again at every pass, quarantined mail mixed with handled mail could not
    be told apart, and a copy among handled mail would be taken for mail no record names.
    Compared in any case: INBOX is one name so (RFC 3501), and Exchange, Zimbra and Gmail
    take every folder's name so."""
    seen: dict[str, str] = {}
    for name, folder in folders.items():
        same = folder.casefold()
        if same in seen:
            raise ConfigError(f"{key}.{name}: {folder!r} is also {key}.{seen[same]}: the folder mailbot reads, "
                              "the one it moves handled mail to, its quarantine and the one it keeps copies of "
                              "sent mail in must be folders of their own")
        seen[same] = name


MAILBOX_KEYS = {
    "name", "address", "display_name", "tag_prefix", "imap", "smtp", "staff", "staff_notify",
    "coordinators", "heads", "staff_names",
}


def _mailbox(data: Any, key: str, base: Path, smtp: SmtpConfig | None) -> MailboxConfig:
    data = _expect_mapping(data, key)
    _check_keys(data, MAILBOX_KEYS, key)
    if "address" not in data:
        raise ConfigError(f"{key}.address: required")
    address = _address(data["address"], f"{key}.address")
    name, tag_prefix = _box_name(data, key, address), _tag_prefix(data, key)
    if "imap" not in data:
        raise ConfigError(f"{key}.imap: required")
    box_smtp = _box_smtp(data, key, base, smtp)
    staff, notify = _staff(data, key)
    display = _str(data, "display_name", key, f"Helpdesk {tag_prefix}")
    if re.search(r"[\r\n]", display):
        raise ConfigError(f"{key}.display_name: must be one line")
    return MailboxConfig(
        name=name,
        address=address,
        display_name=display,
        tag_prefix=tag_prefix,
        imap=_imap(data["imap"], f"{key}.imap", base, address),
        smtp=box_smtp,
        staff=staff,
        staff_notify=notify,
        coordinators=_addresses(data, "coordinators", key),
        heads=_addresses(data, "heads", key),
        staff_names=_staff_names(data.get("staff_names"), f"{key}.staff_names"),
    )


def _box_name(data: Mapping[str, Any], key: str, address: str) -> str:
    """SPEC 12: only the address and the servers have no default; the name (what the CLI,
    the database and the logs call the mailbox) defaults to the address, spelled as a name."""
    name: str = _str(data, "name", key, re.sub(r"[^A-Za-z0-9_-]+", "-", address)[:32].strip("-"))
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", name):
        raise ConfigError(f"{key}.name: {name!r} must be 1-32 letters, digits, '-' or '_'")
    return name


def _tag_prefix(data: Mapping[str, Any], key: str) -> str:
    tag_prefix: str = _str(data, "tag_prefix", key, "LPSE")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}", tag_prefix):
        raise ConfigError(f"{key}.tag_prefix: {tag_prefix!r} must be letters, digits, '.', '_' or '-'")
    return tag_prefix


def _box_smtp(data: Mapping[str, Any], key: str, base: Path, smtp: SmtpConfig | None) -> SmtpConfig:
    """The mailbox's own SMTP block, else the global one."""
    box_smtp = _smtp(data["smtp"], f"{key}.smtp", base) if data.get("smtp") else smtp
    if box_smtp is None:
        raise ConfigError(f"{key}.smtp: required (no global smtp block either)")
    return box_smtp


def _staff(data: Mapping[str, Any], key: str) -> tuple[tuple[str, ...], str | None]:
    """The staff addresses and the shared notify address: one of them at least."""
    staff = _addresses(data, "staff", key)
    notify = _address(data["staff_notify"], f"{key}.staff_notify") if data.get("staff_notify") else None
    if not staff and not notify:
        raise ConfigError(f"{key}.staff: at least one staff address (or staff_notify) is required")
    return staff, notify


def _staff_names(data: Any, key: str) -> tuple[tuple[str, str], ...]:
    """`{address: name}`: who answered, by name, in the recap's "Petugas" column."""
    names = _expect_mapping(data, key)
    found: list[tuple[str, str]] = []
    for address, name in names.items():
        addr = _address(address, f"{key}.{address}")
        if not isinstance(name, str) or not name.strip() or re.search(r"[\r\n]", name):
            raise ConfigError(f"{key}.{address}: expected a one-line name")
        found.append((addr, name.strip()))
    return tuple(found)


def _calendar(data: Any) -> CalendarConfig:
    key = "calendar"
    data = _expect_mapping(data, key)
    _check_keys(data, {"workdays", "hours", "country_holidays", "holiday_categories", "extra_holidays", "periods"},
                key)
    categories = data.get("holiday_categories", list(CalendarConfig.holiday_categories))
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise ConfigError(f"{key}.holiday_categories: expected a list of names")
    country = data.get("country_holidays", "ID")
    if country is not None and not isinstance(country, str):
        raise ConfigError(f"{key}.country_holidays: expected a country code such as ID")
    return CalendarConfig(_workdays(data, key), _hours(data, key), country, tuple(categories),
                          _extra_holidays(data, key), _periods(data, key))


def _workdays(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    workdays = data.get("workdays", list(CalendarConfig.workdays))
    if not isinstance(workdays, list) or not workdays:
        raise ConfigError(f"{key}.workdays: expected a non-empty list of mon..sun")
    for i, day in enumerate(workdays):
        if day not in WEEKDAYS:
            raise ConfigError(f"{key}.workdays[{i}]: {day!r} is not one of {', '.join(WEEKDAYS)}")
    return tuple(workdays)


def _hours(data: Mapping[str, Any], key: str) -> str | tuple[tuple[str, str], ...]:
    """One day's ranges for every working day, or a map by weekday (`fri`, `mon-thu`,
    `default`); each range checked here, the whole week by the calendar at start-up."""
    hours = data.get("hours", CalendarConfig.hours)
    if isinstance(hours, Mapping):
        if not hours:
            raise ConfigError(f"{key}.hours: expected HH:MM-HH:MM or a map of weekdays to it")
        for day, text in hours.items():
            _ranges(text, f"{key}.hours.{day}")
        return tuple((str(day), str(text)) for day, text in hours.items())
    return _ranges(hours, f"{key}.hours")


def _ranges(text: Any, where: str) -> str:
    """ "08:00-16:00", or several ranges of one day joined by commas ("07:30-11:30,13:00-16:30")."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: expected HH:MM-HH:MM")
    for part in text.split(","):
        match = re.fullmatch(r"(\d\d):(\d\d)-(\d\d):(\d\d)", part.strip())
        if not match or not (int(match[1]) < 24 and int(match[3]) < 24 and int(match[2]) < 60
                             and int(match[4]) < 60):
            raise ConfigError(f"{where}: {text!r} is not HH:MM-HH:MM within one day (00:00 to 23:59)")
        if (int(match[1]), int(match[2])) >= (int(match[3]), int(match[4])):
            raise ConfigError(f"{where}: {text!r} closes before it opens")
    return text


def _periods(data: Mapping[str, Any], key: str) -> tuple[tuple[tuple[str, Any], ...], ...]:
    """Dated periods with hours of their own (Ramadan, a half day): a list of maps with
    `from` and `to` (or `date`), `hours` and an optional `name`."""
    periods = data.get("periods", [])
    if not isinstance(periods, list):
        raise ConfigError(f"{key}.periods: expected a list of periods (from, to or date, hours, name)")
    found = []
    for i, period in enumerate(periods):
        where = f"{key}.periods[{i}]"
        if not isinstance(period, Mapping):
            raise ConfigError(f"{where}: expected a map with from, to (or date) and hours")
        _check_keys(period, {"from", "to", "date", "hours", "name"}, where)
        hours = _hours(period, where) if "hours" in period else None
        if hours is None:
            raise ConfigError(f"{where}: give its hours")
        found.append(tuple((str(k), (hours if k == "hours" else str(v) if isinstance(v, dt.date) else v))
                           for k, v in period.items()))
    return tuple(found)


def _extra_holidays(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    extra = data.get("extra_holidays") or []
    if not isinstance(extra, list):
        raise ConfigError(f"{key}.extra_holidays: expected a list of YYYY-MM-DD dates")
    days = []
    for i, day in enumerate(extra):
        try:
            days.append(day.isoformat() if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)).isoformat())
        except ValueError:
            raise ConfigError(f"{key}.extra_holidays[{i}]: {day!r} is not a YYYY-MM-DD date") from None
    return tuple(days)


TOP_KEYS = {
    "timezone", "database", "archive_dir", "rules_dir", "templates_dir", "language", "log", "calendar",
    "auth", "autoreply_limit", "ack_max_age_hours", "alert_after_minutes", "reopen_days",
    "secret_key_file", "escalation", "limits", "smtp", "mailboxes", "reports", "similar",
    "database_password_file", "lease_seconds", "web",
}


def _escalation(esc: Mapping[str, Any], senders: list[str]) -> EscalationConfig:
    """LKPP's address counts as an LKPP sender even when no pattern names it."""
    address = _address(esc["address"], "escalation.address") if esc.get("address") else None
    patterns = [s.strip().lower() for s in senders]
    if address and not any(fnmatch.fnmatchcase(address, p) for p in patterns):
        patterns.append(address)
    return EscalationConfig(address=address, senders=tuple(patterns),
                            relay_status=_bool(esc, "relay_status", "escalation", True))


_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]")


def _similar(data: Any) -> SimilarConfig:
    """`similar:` what a reused solution may carry (issue 44): `allowed_link_domains`, the
    whole list of domains its links may point to (default: the unit's mailbox domains,
    LKPP's and `escalation`'s), and `public_contacts`, the unit's own phone numbers and
    street addresses, which name no requester."""
    similar = _expect_mapping(data, "similar")
    _check_keys(similar, {"allowed_link_domains", "public_contacts"}, "similar")
    domains = similar.get("allowed_link_domains")
    return SimilarConfig(None if domains is None else _link_domains(domains),
                         _public_contacts(similar.get("public_contacts") or []))


def _link_domains(domains: Any) -> tuple[str, ...]:
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise ConfigError("similar.allowed_link_domains: expected a list of domains such as 'lkpp.go.id'")
    domains = [d.strip().lower().strip(".") for d in domains]
    for i, domain in enumerate(domains):
        if not _DOMAIN.fullmatch(domain):
            raise ConfigError(f"similar.allowed_link_domains[{i}]: {domain!r} is not a domain such as "
                              "'lpse.batamkota.go.id' (no scheme, no path, no '*')")
    return tuple(domains)


def _public_contacts(contacts: Any) -> tuple[str, ...]:
    if not isinstance(contacts, list) or not all(isinstance(c, (str, int)) and str(c).strip() for c in contacts):
        raise ConfigError("similar.public_contacts: expected a list of the unit's phone numbers and street addresses "
                          "such as '(0778) 123456' or 'Jl. Engku Putri No. 1, Batam'")
    return tuple(str(c).strip() for c in contacts)


def _mailboxes(boxes: Any, base: Path, smtp: SmtpConfig | None) -> tuple[MailboxConfig, ...]:
    if isinstance(boxes, Mapping):  # one mailbox written without its "- "
        raise ConfigError("mailboxes: expected a list of mailboxes, got one mapping: start each mailbox with "
                          "'- ' (e.g. '  - name: btm')")
    if not isinstance(boxes, list) or not boxes:
        raise ConfigError("mailboxes: at least one mailbox is required")
    mailboxes = tuple(_mailbox(b, f"mailboxes[{i}]", base, smtp) for i, b in enumerate(boxes))
    _unique_names(mailboxes)
    _one_reader_a_folder(mailboxes)
    return mailboxes


def _unique_names(mailboxes: tuple[MailboxConfig, ...]) -> None:
    names = [b.name for b in mailboxes]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigError(f"mailboxes[{i}].name: {name!r} is the name of mailboxes[{names.index(name)}] too;"
                              " mailbox names must be unique")


def _one_reader_a_folder(mailboxes: tuple[MailboxConfig, ...]) -> None:
    """Two mailboxes reading one folder would each take the other's mail."""
    read = [f"{b.imap.username or b.address}@{b.imap.host}:{b.imap.port}/{b.imap.folder}" for b in mailboxes]
    twice = sorted({r for r in read if read.count(r) > 1})
    if twice:
        raise ConfigError(f"mailboxes: two mailboxes read the same IMAP folder: {', '.join(twice)}")


def parse_config(data: Any, path: Path) -> Config:
    """Validate a decoded YAML document; see the module docstring for relative paths."""
    data = _expect_mapping(data, "(top level)")
    _check_keys(data, TOP_KEYS, "")
    base = path.resolve().parent
    data_base = data_folder(base)
    tz = _timezone(data)
    log = _expect_mapping(data.get("log"), "log")
    _check_keys(log, {"format", "level"}, "log")
    auth_cfg = _auth(data.get("auth"))
    esc, senders = _escalation_block(data.get("escalation"))
    reports = _expect_mapping(data.get("reports"), "reports")
    _check_keys(reports, {"monthly"}, "reports")
    limits = _expect_mapping(data.get("limits"), "limits")
    _check_keys(limits, {"max_message_bytes", "max_header_bytes", "message_seconds", "ticket_mails_per_hour",
                         "max_parts", "max_attachments", "acks_per_hour"}, "limits")

    smtp = _smtp(data["smtp"], "smtp", base) if data.get("smtp") else None
    mailboxes = _mailboxes(data.get("mailboxes"), base, smtp)

    database, database_url = _database(data.get("database", "data/mailbot.db"), data_base)
    lease_seconds = _num(data, "lease_seconds", "", 30.0, float)
    if not 5 <= lease_seconds <= 600:
        raise ConfigError(f"lease_seconds: {lease_seconds:g} is outside 5-600 seconds")
    return Config(
        path=path,
        timezone=tz,
        database=database,
        database_url=database_url,
        database_password=_database_password(data, base),
        lease_seconds=lease_seconds,
        archive_dir=_path(data.get("archive_dir", "data/archive"), "archive_dir", data_base),
        rules_dir=_optional_path(data, "rules_dir", data_base),
        templates_dir=_optional_path(data, "templates_dir", data_base),
        language=_str(data, "language", "", "id", choices=("id", "en")),
        log=LogConfig(_str(log, "format", "log", "json", choices=("json", "console")),
                      _str(log, "level", "log", "info", choices=("debug", "info", "warning", "error"))),
        calendar=_calendar(data.get("calendar")),
        auth=auth_cfg,
        autoreply_limit=_num(data, "autoreply_limit", "", 5),
        ack_max_age_hours=_num(data, "ack_max_age_hours", "", 72, float),
        alert_after_minutes=_num(data, "alert_after_minutes", "", 30, float),
        reopen_days=_num(data, "reopen_days", "", 14),
        secret_key_file=_path(data.get("secret_key_file", "data/secret.key"), "secret_key_file", data_base),
        escalation=_escalation(esc, senders),
        limits=LimitsConfig(
            max_message_bytes=_num(limits, "max_message_bytes", "limits", LimitsConfig.max_message_bytes, minimum=1024),
            max_header_bytes=_num(limits, "max_header_bytes", "limits", LimitsConfig.max_header_bytes, minimum=1024),
            message_seconds=_num(limits, "message_seconds", "limits", LimitsConfig.message_seconds, float, 1),
            ticket_mails_per_hour=_num(limits, "ticket_mails_per_hour", "limits", 10, minimum=1),
            max_parts=_num(limits, "max_parts", "limits", LimitsConfig.max_parts, minimum=2),
            max_attachments=_num(limits, "max_attachments", "limits", LimitsConfig.max_attachments, minimum=1),
            acks_per_hour=_num(limits, "acks_per_hour", "limits", LimitsConfig.acks_per_hour, minimum=1),
        ),
        smtp=smtp,
        mailboxes=mailboxes,
        reports=ReportsConfig(monthly=_bool(reports, "monthly", "reports", True)),
        similar=_similar(data.get("similar")),
        web=web_block(data.get("web")),
    )


def _timezone(data: Mapping[str, Any]) -> ZoneInfo:
    tz_name = _str(data, "timezone", "", "Asia/Jakarta")
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {tz_name!r}") from None


def _auth(data: Any) -> AuthConfig:
    """`auth:` SPEC 9's mode, and the unit's own server where `authres` reads its verdicts."""
    auth = _expect_mapping(data, "auth")
    _check_keys(auth, {"mode", "trusted_authserv_id"}, "auth")
    if auth.get("mode") is False:
        auth = {**auth, "mode": "off"}  # YAML 1.1 reads a bare `off` as false
    auth_cfg = AuthConfig(_str(auth, "mode", "auth", "token", choices=("token", "authres", "off")),
                          _str(auth, "trusted_authserv_id", "auth", None))
    if auth_cfg.mode == "authres" and not auth_cfg.trusted_authserv_id:
        raise ConfigError("auth.trusted_authserv_id: required when auth.mode is authres")
    return auth_cfg


def _escalation_block(data: Any) -> tuple[Mapping[str, Any], list[str]]:
    """`escalation:` checked for its keys and sender patterns (its values are read by `_escalation`)."""
    esc = _expect_mapping(data, "escalation")
    _check_keys(esc, {"address", "senders", "relay_status"}, "escalation")
    senders = esc.get("senders") or []
    if not isinstance(senders, list) or not all(isinstance(s, str) and s.strip() for s in senders):
        raise ConfigError("escalation.senders: expected a list of address patterns such as '*@lkpp.go.id'")
    return esc, senders


def _optional_path(data: Mapping[str, Any], name: str, base: Path) -> Path | None:
    return _path(data[name], name, base) if data.get(name) else None


def data_folder(config_folder: Path) -> Path:
    """Where relative data paths point: systemd's state directory, else the config's folder."""
    state = os.environ.get("STATE_DIRECTORY", "")
    first = state.split(":", 1)[0]  # several StateDirectory= entries come colon-separated
    return Path(first) if first else config_folder


_SECRETS_OPTIONAL: contextvars.ContextVar[bool] = contextvars.ContextVar("secrets_optional", default=False)


# Without types-PyYAML the base class is Any (misc); with the stubs installed it is typed and
# the ignore is unused: `unused-ignore` keeps mypy --strict clean either way.
class _UniqueKeyLoader(yaml.SafeLoader):  # type: ignore[misc, unused-ignore]
    """The safe loader, refusing a key given twice in one mapping: YAML keeps the last, so a
    second `smtp:` block would silently replace the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
            if key == "password":
                _as_typed(value_node)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


_RETYPED = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}


def _as_typed(node: yaml.Node) -> None:
    """A bare password is the text the operator typed: YAML 1.1 would read `01234567` as
    the octal number 342391, `12:30` as 750 and `1_000` as 1000, and the login would fail
    far from the mistake. A null stays null (no password)."""
    if isinstance(node, yaml.ScalarNode) and node.style is None and node.tag in _RETYPED:
        node.tag = "tag:yaml.org,2002:str"


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """What is wrong and where, without the text of the line: it may hold a password."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "cannot be read"
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    context = getattr(exc, "context", None)
    return f"{where}{problem}" + (f" ({context})" if context else "")


def load_config(path: Path, *, secrets: bool = True) -> Config:
    """Read and validate the config file; every failure is a ConfigError.

    `secrets=False`, for commands that only read the database (`tickets`, `ticket`,
    `report` without `--send`): a server password that cannot be read (an environment
    variable set only for the service, a credentials file only the service may read)
    is left out instead of stopping the command."""
    token = _SECRETS_OPTIONAL.set(not secrets)
    try:
        return _load_config(path)
    finally:
        _SECRETS_OPTIONAL.reset(token)


def _load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path}: not valid YAML: {_yaml_problem(exc)}") from None
    return parse_config(data, path)
