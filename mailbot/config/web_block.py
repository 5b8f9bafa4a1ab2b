"""`web:` of `config.yaml` -> `WebConfig` (SPEC 12 and 13): the window's block, checked
with errors that name the key, as every other block of `config/load.py` is.

Its own module: `config/load.py` is long already, and this block is read by `config/load.py` alone.

`database` and `database_password_file` (named as the top level's): on PostgreSQL, the
window's own login, a role with SELECT alone, used by `mailbot web` (and `check`) only. The
password file is named here and read by `mailbot web` when it opens the store, never at
load: the daemon's service has no business with the window's credential.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mailbot.config.fields import expand_env, read_path
from mailbot.errors import ConfigError
from mailbot.settings import WebConfig

KEYS = frozenset({"listen", "url", "status_link_days", "database", "database_password_file"})
MAX_LINK_DAYS = 3650  # ten years: past that a "link that expires" expires in name only
_LISTEN = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.-]+)):(?P<port>\d{1,5})$")
_LOOPBACK_NAMES = ("localhost",)


def web_block(data: Any, base: Path, store_url: str | None = None) -> WebConfig | None:
    """The `web:` block, or None where the config has none (no `mailbot web`, no links).
    `base`: the config's folder (the password file's path is relative to it, as the top
    level's); `store_url`: the store's `postgresql://` URL, None for a SQLite file."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise ConfigError(f"web: expected a mapping, got {type(data).__name__}")
    for name in data:
        if name not in KEYS:
            raise ConfigError(f"web.{name}: unknown key (the keys are {', '.join(sorted(KEYS))})")
    host, port = _listen(data.get("listen", "127.0.0.1:8025"))
    database_url, password_file = _database(data, base, store_url)
    return WebConfig(host=host, port=port, url=_url(data.get("url")), status_link_days=_days(data),
                     database_url=database_url, database_password_file=password_file)


def _database(data: Mapping[str, Any], base: Path, store_url: str | None) -> tuple[str | None, Path | None]:
    """`database`: the window's own `postgresql://` login to the store (the role with SELECT
    alone), and `database_password_file`: its password. Only beside a PostgreSQL store: a
    SQLite file is opened read-only by the window whatever the config says. No password in
    the URL: the URL is what logs and `check` show."""
    value = expand_env(data.get("database"), "web.database")
    file = read_path(data["database_password_file"], "web.database_password_file", base) \
        if data.get("database_password_file") is not None else None
    if value is None:
        if file is not None:
            raise ConfigError("web.database_password_file: given without web.database (the window's own "
                              "postgresql:// URL); the window logs in with the top level's database otherwise")
        return None, None
    if not isinstance(value, str) or not re.match(r"^postgres(?:ql)?://", value.strip(), re.IGNORECASE):
        raise ConfigError(f"web.database: {value!r} is not a postgresql:// URL (the window's role, with SELECT alone)")
    if store_url is None:
        raise ConfigError("web.database: the store is a SQLite file (database:), which the window opens read-only "
                          "itself; web.database is the window's own login to a postgresql:// store")
    if re.match(r"^[a-z]+://[^/@]*:[^/@]*@", value.strip(), re.IGNORECASE):
        raise ConfigError("web.database: the PostgreSQL URL holds a password: give it in web.database_password_file "
                          "(or libpq's PGPASSFILE), never in the configuration")
    return "postgresql://" + value.strip().split("://", 1)[1], file


def _listen(value: Any) -> tuple[str, int]:
    """`listen`: HOST:PORT (an IPv6 address in brackets), as the reverse proxy reaches it."""
    match = _LISTEN.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(f"web.listen: {value!r} is not HOST:PORT such as 127.0.0.1:8025")
    port = int(match["port"])
    if not 1 <= port <= 65535:
        raise ConfigError(f"web.listen: port {port} is outside 1-65535")
    return match["v6"] or match["host"], port


def _url(value: Any) -> str | None:
    """`url`: the address people open, https (http only for a loopback host: a link in mail
    must not carry its token in the clear); its path ends in "/" so links are joined to it."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("web.url: expected an address such as https://helpdesk.lpse.batam.go.id/")
    parts = urllib.parse.urlsplit(value.strip())
    if not _plain_address(parts):
        raise ConfigError(f"web.url: {value!r} is not an address such as https://helpdesk.lpse.batam.go.id/ "
                          "(no query, no #fragment, no user)")
    if parts.scheme == "http" and not _loopback(parts.hostname or ""):
        raise ConfigError(f"web.url: {value!r} is http: links in mail carry a token, so they must be https "
                          "(http only for a loopback host)")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _plain_address(parts: urllib.parse.SplitResult) -> bool:
    """An http(s) address of a host, with no query, #fragment or user in it."""
    extras = (parts.query, parts.fragment, parts.username, parts.password)
    return parts.scheme in ("https", "http") and bool(parts.hostname) and not any(extras)


def _loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _days(data: Mapping[str, Any]) -> int:
    value = data.get("status_link_days", 30)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LINK_DAYS:
        raise ConfigError(f"web.status_link_days: expected a whole number of days from 1 to {MAX_LINK_DAYS}, "
                          f"got {value!r}")
    return value
