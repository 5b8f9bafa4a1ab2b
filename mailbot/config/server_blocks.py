"""A server block of `config.yaml` (`imap:`, `smtp:`, a mailbox's or the global one): the
host, its port and security, the login (a password, a password file, or a token from a file,
a command or OAuth2, `config/oauth2_block.py`) and the IMAP folders; errors name the key."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mailbot.config.fields import (
    ENV_REF,
    SECRETS_OPTIONAL,
    check_keys,
    expand_env,
    expect_mapping,
    is_loopback,
    read_bool,
    read_num,
    read_password_file,
    read_path,
    read_str,
)
from mailbot.config.oauth2_block import oauth2_block
from mailbot.errors import ConfigError
from mailbot.settings import ImapConfig, OAuth2Config, Secret, SmtpConfig

SECURITY = ("ssl", "starttls", "none")
SERVER_KEYS = {"host", "port", "security", "username", "password", "password_file", "ca_file", "auth", "token_file",
               "token_command", "oauth2"}
SERVER_AUTH = ("password", "xoauth2", "oauthbearer")  # the last two: SASL with an OAuth2 token
IMAP_KEYS = SERVER_KEYS | {"folder", "processed_folder", "quarantine_folder", "sent_folder", "idle", "poll_seconds"}
SMTP_KEYS = SERVER_KEYS | {"max_connections", "max_retry_hours", "timeout", "greeting_timeout"}


def smtp_block(data: Any, key: str, base: Path) -> SmtpConfig:
    data = expect_mapping(data, key)
    check_keys(data, SMTP_KEYS, key)
    ports = {"ssl": 465, "starttls": 587, "none": 25}
    return SmtpConfig(
        **_server_fields(data, key, base, ports.__getitem__),
        max_connections=read_num(data, "max_connections", key, SmtpConfig.max_connections, minimum=1),
        max_retry_hours=read_num(data, "max_retry_hours", key, SmtpConfig.max_retry_hours, float, 0.1),
        timeout=read_num(data, "timeout", key, SmtpConfig.timeout, float, 1),
        greeting_timeout=read_num(data, "greeting_timeout", key, SmtpConfig.greeting_timeout, float, 1),
        key=key,
    )


def imap_block(data: Any, key: str, base: Path, address: str) -> ImapConfig:
    """An IMAP server always wants a login: its name defaults to the mailbox's address."""
    data = expect_mapping(data, key)
    check_keys(data, IMAP_KEYS, key)
    fields = _server_fields(data, key, base, lambda s: 993 if s == "ssl" else 143, address)
    folders = {name: read_str(data, name, key, default) for name, default in
               (("folder", "INBOX"), ("processed_folder", "Processed"), ("quarantine_folder", "Quarantine"))}
    # `sent_folder: null` keeps no copies; absent, the copies go to "Sent"
    sent = None if "sent_folder" in data and data["sent_folder"] is None else read_str(data, "sent_folder", key, "Sent")
    _distinct_folders({**folders, **({"sent_folder": sent} if sent else {})}, key)
    return ImapConfig(
        **fields,
        folder=folders["folder"],
        processed_folder=folders["processed_folder"],
        quarantine_folder=folders["quarantine_folder"],
        sent_folder=sent,
        idle=read_bool(data, "idle", key, True),
        poll_seconds=read_num(data, "poll_seconds", key, 60, minimum=1),
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





def _server_fields(data: Mapping[str, Any], key: str, base: Path, default_port: Callable[[str], int],
                   default_username: str | None = None) -> dict[str, Any]:
    host = read_str(data, "host", key)
    security = read_str(data, "security", key, "ssl", choices=SECURITY)
    if security == "none" and not is_loopback(host):
        raise ConfigError(f"{key}.security: 'none' is only allowed for loopback hosts, not {host!r}")
    port = read_num(data, "port", key, default_port(security), minimum=1)
    if port > 65535:
        raise ConfigError(f"{key}.port: {port} is not a TCP port")
    username = read_str(data, "username", key, default_username)
    password = _login_password(data, key, base, username)
    ca_file = _ca_file(data, key, base, security)
    auth = read_str(data, "auth", key, "password", choices=SERVER_AUTH)
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
        if not SECRETS_OPTIONAL.get():
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
    ca_file = read_path(data["ca_file"], f"{key}.ca_file", base)
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
    return read_password_file(data, key, base)


def _inline_password(value: Any, key: str, *, login: bool) -> Secret | None:
    """`password:`, a quoted string or a `${VAR}` reference."""
    if isinstance(value, bool) or not isinstance(value, str | int):  # a list or a mapping is no password
        raise ConfigError(f"{key}.password: give the password as a quoted string, not {type(value).__name__}")
    text = str(expand_env(value, f"{key}.password"))
    if not text.strip() and not login:
        return None
    if not text.strip():  # as an empty password_file: said here, not as a refused login
        refs = [f"environment variable {name} is empty" for name in ENV_REF.findall(str(value))]
        raise ConfigError(f"{key}.password: {', '.join(refs) or 'empty'}: give the password")
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
        return read_path(data["token_file"], f"{key}.token_file", base), None, None
    if given == ["token_command"]:
        return None, _token_command(data["token_command"], key), None
    return None, None, oauth2_block(data["oauth2"], f"{key}.oauth2", base)



def _token_command(value: Any, key: str) -> tuple[str, ...]:
    """The command that prints a token: a shell-quoted line or a list of arguments."""
    command = expand_env(value, f"{key}.token_command")
    if isinstance(command, str):
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ConfigError(f"{key}.token_command: {exc}") from None
    elif isinstance(command, list) and all(isinstance(a, str) for a in command):
        argv = [str(expand_env(a, f"{key}.token_command")) for a in command]
    else:
        raise ConfigError(f"{key}.token_command: expected a command line or a list of arguments")
    if not argv:
        raise ConfigError(f"{key}.token_command: empty")
    return tuple(argv)


