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

This module reads the file and its top level (the database, the paths, auth, escalation,
limits, similar); each block with more to check has a module of its own beside it, named
for it: `config/mailboxes_block.py` (`mailboxes:`), `config/server_blocks.py` (`imap:`, `smtp:`),
`config/oauth2_block.py` (their `oauth2:`), `config/calendar_block.py` (`calendar:`), `config/web_block.py`
(`web:`); `config/fields.py` holds the readers they all use.
"""

from __future__ import annotations

import contextvars
import fnmatch
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from mailbot.config.calendar_block import calendar_block
from mailbot.config.fields import (
    SECRETS_OPTIONAL,
    check_keys,
    data_folder,
    expand_env,
    expect_mapping,
    optional_path,
    read_address,
    read_bool,
    read_num,
    read_password_file,
    read_path,
    read_str,
)
from mailbot.config.mailboxes_block import mailboxes_block
from mailbot.config.server_blocks import smtp_block
from mailbot.config.web_block import web_block
from mailbot.errors import ConfigError
from mailbot.settings import (
    AuthConfig,
    Config,
    EscalationConfig,
    LimitsConfig,
    LogConfig,
    ReportsConfig,
    Secret,
    SimilarConfig,
)

__all__ = ["data_folder", "load_config", "parse_config"]  # data_folder: `mailbot web` keeps its files by it


def load_config(path: Path, *, secrets: bool = True, web_problem_kept: bool = False, window: bool = False) -> Config:
    """Read and validate the config file; every failure is a ConfigError.

    `secrets=False`, for commands that only read the database (`tickets`, `ticket`,
    `report` without `--send`): a server password that cannot be read (an environment
    variable set only for the service, a credentials file only the service may read)
    is left out instead of stopping the command. `web_problem_kept=True` (`check`, which
    says every problem in one run): a bad `web:` block is kept in `Config.web_problem`, its
    own check's to say, instead of stopping the checks of everything else. `window=True`
    (`mailbot web`): where `web.database` names the window's own login, the daemon's
    `database_password_file` is not read (the window's unit need not, and should not, hold
    the password of a role that may write)."""
    token = SECRETS_OPTIONAL.set(not secrets)
    kept = WEB_PROBLEM_KEPT.set(web_problem_kept)
    for_window = FOR_WINDOW.set(window)
    try:
        return _load_config(path)
    finally:
        FOR_WINDOW.reset(for_window)
        WEB_PROBLEM_KEPT.reset(kept)
        SECRETS_OPTIONAL.reset(token)


WEB_PROBLEM_KEPT: contextvars.ContextVar[bool] = contextvars.ContextVar("web_problem_kept", default=False)
FOR_WINDOW: contextvars.ContextVar[bool] = contextvars.ContextVar("for_window", default=False)


def _web(data: Any, base: Path, database_url: str | None) -> dict[str, Any]:
    """`web=` of the Config, and `web_problem=` where `check` keeps a bad block to say it."""
    try:
        return {"web": web_block(data, base, database_url)}
    except ConfigError as exc:
        if not WEB_PROBLEM_KEPT.get():
            raise
        return {"web": None, "web_problem": str(exc)}


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


TOP_KEYS = {
    "timezone", "database", "archive_dir", "rules_dir", "templates_dir", "language", "log", "calendar",
    "auth", "autoreply_limit", "ack_max_age_hours", "alert_after_minutes", "reopen_days",
    "secret_key_file", "escalation", "limits", "smtp", "mailboxes", "reports", "similar",
    "database_password_file", "lease_seconds", "web",
}


def parse_config(data: Any, path: Path) -> Config:
    """Validate a decoded YAML document; see the module docstring for relative paths."""
    data = expect_mapping(data, "(top level)")
    check_keys(data, TOP_KEYS, "")
    base = path.resolve().parent
    data_base = data_folder(base)
    tz = _timezone(data)
    log = expect_mapping(data.get("log"), "log")
    check_keys(log, {"format", "level"}, "log")
    auth_cfg = _auth(data.get("auth"))
    esc, senders = _escalation_block(data.get("escalation"))
    reports = expect_mapping(data.get("reports"), "reports")
    check_keys(reports, {"monthly"}, "reports")
    limits = expect_mapping(data.get("limits"), "limits")
    check_keys(limits, LIMITS_KEYS, "limits")

    smtp = smtp_block(data["smtp"], "smtp", base) if data.get("smtp") else None
    mailboxes = mailboxes_block(data.get("mailboxes"), base, smtp)

    database, database_url = _database(data.get("database", "data/mailbot.db"), data_base)
    lease_seconds = read_num(data, "lease_seconds", "", 30.0, float)
    if not 5 <= lease_seconds <= 600:
        raise ConfigError(f"lease_seconds: {lease_seconds:g} is outside 5-600 seconds")
    return Config(
        path=path,
        timezone=tz,
        database=database,
        database_url=database_url,
        database_password=_database_password(data, base),
        lease_seconds=lease_seconds,
        archive_dir=read_path(data.get("archive_dir", "data/archive"), "archive_dir", data_base),
        rules_dir=optional_path(data, "rules_dir", data_base),
        templates_dir=optional_path(data, "templates_dir", data_base),
        language=read_str(data, "language", "", "id", choices=("id", "en")),
        log=LogConfig(read_str(log, "format", "log", "json", choices=("json", "console")),
                      read_str(log, "level", "log", "info", choices=("debug", "info", "warning", "error"))),
        calendar=calendar_block(data.get("calendar")),
        auth=auth_cfg,
        autoreply_limit=read_num(data, "autoreply_limit", "", 5),
        ack_max_age_hours=read_num(data, "ack_max_age_hours", "", 72, float),
        alert_after_minutes=read_num(data, "alert_after_minutes", "", 30, float),
        reopen_days=read_num(data, "reopen_days", "", 14),
        secret_key_file=read_path(data.get("secret_key_file", "data/secret.key"), "secret_key_file", data_base),
        escalation=_escalation(esc, senders),
        limits=_limits(limits),
        smtp=smtp,
        mailboxes=mailboxes,
        reports=ReportsConfig(monthly=read_bool(reports, "monthly", "reports", True)),
        similar=_similar(data.get("similar")),
        **_web(data.get("web"), base, database_url),
    )


# --- the top level's blocks ------------------------------------------------------------------

def _timezone(data: Mapping[str, Any]) -> ZoneInfo:
    tz_name = read_str(data, "timezone", "", "Asia/Jakarta")
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {tz_name!r}") from None


def _auth(data: Any) -> AuthConfig:
    """`auth:` SPEC 9's mode, and the unit's own server where `authres` reads its verdicts."""
    auth = expect_mapping(data, "auth")
    check_keys(auth, {"mode", "trusted_authserv_id"}, "auth")
    if auth.get("mode") is False:
        auth = {**auth, "mode": "off"}  # YAML 1.1 reads a bare `off` as false
    auth_cfg = AuthConfig(read_str(auth, "mode", "auth", "token", choices=("token", "authres", "off")),
                          read_str(auth, "trusted_authserv_id", "auth", None))
    if auth_cfg.mode == "authres" and not auth_cfg.trusted_authserv_id:
        raise ConfigError("auth.trusted_authserv_id: required when auth.mode is authres")
    return auth_cfg


def _escalation_block(data: Any) -> tuple[Mapping[str, Any], list[str]]:
    """`escalation:` checked for its keys and sender patterns (its values are read by `_escalation`)."""
    esc = expect_mapping(data, "escalation")
    check_keys(esc, {"address", "senders", "relay_status"}, "escalation")
    senders = esc.get("senders") or []
    if not isinstance(senders, list) or not all(isinstance(s, str) and s.strip() for s in senders):
        raise ConfigError("escalation.senders: expected a list of address patterns such as '*@lkpp.go.id'")
    return esc, senders


def _escalation(esc: Mapping[str, Any], senders: list[str]) -> EscalationConfig:
    """LKPP's address counts as an LKPP sender even when no pattern names it."""
    address = read_address(esc["address"], "escalation.address") if esc.get("address") else None
    patterns = [s.strip().lower() for s in senders]
    if address and not any(fnmatch.fnmatchcase(address, p) for p in patterns):
        patterns.append(address)
    return EscalationConfig(address=address, senders=tuple(patterns),
                            relay_status=read_bool(esc, "relay_status", "escalation", True))


LIMITS_KEYS = {"max_message_bytes", "max_header_bytes", "message_seconds", "ticket_mails_per_hour", "max_parts",
               "max_attachments", "acks_per_hour"}


def _limits(limits: Mapping[str, Any]) -> LimitsConfig:
    """`limits:` (its keys checked first, with the top level's): what one message or one
    ticket may cost (SPEC 5 and 12)."""

    def limit(name: str, default: float, kind: type = int, minimum: float = 1) -> Any:
        return read_num(limits, name, "limits", default, kind, minimum)

    return LimitsConfig(
        max_message_bytes=limit("max_message_bytes", LimitsConfig.max_message_bytes, minimum=1024),
        max_header_bytes=limit("max_header_bytes", LimitsConfig.max_header_bytes, minimum=1024),
        message_seconds=limit("message_seconds", LimitsConfig.message_seconds, float),
        ticket_mails_per_hour=limit("ticket_mails_per_hour", 10),
        max_parts=limit("max_parts", LimitsConfig.max_parts, minimum=2),
        max_attachments=limit("max_attachments", LimitsConfig.max_attachments),
        acks_per_hour=limit("acks_per_hour", LimitsConfig.acks_per_hour),
    )


_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _database(value: Any, base: Path) -> tuple[Path, str | None]:
    """The store: a file path (SQLite, the embedded default), or a `postgresql://` URL (libpq's
    syntax: a store several processes and hosts share), returned beside the path of
    the folder a SQLite file would have been in. Any other URL is refused by name, never
    taken as a path: a `postgresql://...` once taken for one made each daemon create its own
    SQLite file under `postgresql:/` in its working directory. A password is not written in
    the URL (`database_password_file`, or libpq's PGPASSFILE): the URL is what logs show."""
    text = expand_env(value, "database")
    found = _URL.match(text) if isinstance(text, str) else None
    if found is None:
        return read_path(value, "database", base), None
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
    copies it into (it needed PGPASSWORD), read the same way."""
    if data.get("database_password_file") is None or (FOR_WINDOW.get() and _own_web_login(data)):
        return None
    return read_password_file(data, "", base, "database_password_file")


def _own_web_login(data: Mapping[str, Any]) -> bool:
    """The `web:` block names the window's own PostgreSQL login (`web.database`)."""
    web = data.get("web")
    return isinstance(web, Mapping) and web.get("database") is not None


_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]")


def _similar(data: Any) -> SimilarConfig:
    """`similar:` what a reused solution may carry: `allowed_link_domains`, the
    whole list of domains its links may point to (default: the unit's mailbox domains,
    LKPP's and `escalation`'s), and `public_contacts`, the unit's own phone numbers and
    street addresses, which name no requester."""
    similar = expect_mapping(data, "similar")
    check_keys(similar, {"allowed_link_domains", "public_contacts"}, "similar")
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


# --- reading the file --------------------------------------------------------------------------

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
