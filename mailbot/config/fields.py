"""The readers every block of `config.yaml` is checked with: a string, a number, true or
false, an address, a path, a secret in a file; each error names the dotted key it read.

`${VAR}` references are expanded here (`expand_env`), and a relative path is resolved here
against the folder it is relative to (`data_folder`: systemd's state directory, else the
config file's folder, for the data mailbot keeps). `SECRETS_OPTIONAL` is set while a command
that only reads the database loads its config (`load_config(secrets=False)`).
"""

from __future__ import annotations

import contextvars
import ipaddress
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mailbot.errors import ConfigError
from mailbot.settings import Secret

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$|^[^@\s<>,;\"]+@localhost$")
ENV_HINTS = {
    "CREDENTIALS_DIRECTORY": " (systemd sets it for LoadCredential=; outside the unit run the installed"
                             " /usr/local/sbin/mailbot wrapper, or set it to the folder holding the secrets)",
    "STATE_DIRECTORY": " (systemd sets it for StateDirectory=)",
}

# Set by `load_config(secrets=False)`: a server password that cannot be read is left out.
SECRETS_OPTIONAL: contextvars.ContextVar[bool] = contextvars.ContextVar("secrets_optional", default=False)


def expect_mapping(value: Any, key: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: expected a mapping, got {type(value).__name__}")
    return value


def check_keys(data: Mapping[str, Any], allowed: set[str], key: str) -> None:
    for name in data:
        if name not in allowed:
            where = f"{key}.{name}" if key else str(name)
            hint = _close_match(str(name), allowed)
            raise ConfigError(f"{where}: unknown key" + (f" (did you mean {hint!r}?)" if hint else ""))


def _close_match(name: str, allowed: set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.7)
    return found[0] if found else None


def expand_env(value: Any, key: str) -> Any:
    if not isinstance(value, str):
        return value

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            hint = ENV_HINTS.get(name, "")
            raise ConfigError(f"{key}: environment variable {name} is not set{hint}")
        return os.environ[name]

    return ENV_REF.sub(sub, value)


def read_str(data: Mapping[str, Any], name: str, key: str, default: Any = ..., *, choices: tuple[str, ...] = ()) -> Any:
    full = f"{key}.{name}" if key else name
    if name not in data or data[name] is None:
        if default is ...:
            raise ConfigError(f"{full}: required")
        return default
    value = expand_env(data[name], full)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{full}: expected a non-empty string")
    if choices and value not in choices:
        raise ConfigError(f"{full}: {value!r} is not one of {', '.join(choices)}")
    return value.strip()


def read_num(data: Mapping[str, Any], name: str, key: str, default: float, kind: type = int, minimum: float = 0) -> Any:
    full = f"{key}.{name}" if key else name
    value = data.get(name, default)
    value = expand_env(value, full)
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


def read_bool(data: Mapping[str, Any], name: str, key: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key}.{name}: expected true or false, got {value!r}")
    return value


def read_address(value: Any, key: str) -> str:
    value = expand_env(value, key)
    if not isinstance(value, str) or not ADDRESS.match(value.strip()):
        raise ConfigError(f"{key}: {value!r} is not an email address")
    return value.strip().lower()


def read_addresses(data: Mapping[str, Any], name: str, key: str) -> tuple[str, ...]:
    full = f"{key}.{name}"
    value = data.get(name) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"{full}: expected a list of addresses")
    return tuple(read_address(v, f"{full}[{i}]") for i, v in enumerate(value))


def read_path(value: Any, key: str, base: Path) -> Path:
    value = expand_env(value, key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: expected a path")
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path



def optional_path(data: Mapping[str, Any], name: str, base: Path) -> Path | None:
    return read_path(data[name], name, base) if data.get(name) else None


def data_folder(config_folder: Path) -> Path:
    """Where relative data paths point: systemd's state directory, else the config's folder."""
    state = os.environ.get("STATE_DIRECTORY", "")
    first = state.split(":", 1)[0]  # several StateDirectory= entries come colon-separated
    return Path(first) if first else config_folder



def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False



def read_password_file(data: Mapping[str, Any], key: str, base: Path, field: str = "password_file") -> Secret:
    """`password_file:`, the password alone on one line (systemd's LoadCredential=)."""
    label = f"{key}.{field}" if key else field
    file = read_path(data[field], label, base)
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

