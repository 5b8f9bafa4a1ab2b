"""The rules' YAML files: where the shipped ones are, and how any one is read.

Every file is read the same way, so that every error names the file it is in: the
shipped files by their place in the package (`rules/lkpp.yaml`), an operator's by its
path. The operator's `rules_dir` may hold only files with the shipped names.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from mailbot.errors import ConfigError
from mailbot.parsers.yaml_text import SHIPPED_RULES, load_yaml

DEFAULTS_DIR = SHIPPED_RULES  # the shipped YAML files, beside this module


# Each file's mapping as last parsed, by path, with the text it was parsed from: the rules
# are read again by every `mailbot` command and SIGHUP reload, and the parse (libyaml still
# builds every value in Python) costs ten times the copy handed out. Keyed by the text, not
# the file's time, so a file rewritten within the clock's tick is never read stale.
_PARSED: dict[Path, tuple[str, Any]] = {}


def _parsed(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    known = _PARSED.get(path)
    if known is None or known[0] != text:
        known = (text, load_yaml(text))  # libyaml: a tenth of a second less over lkpp.yaml alone
        _PARSED[path] = known
    return copy.deepcopy(known[1])  # the readers may change what they were given


def read_yaml(path: Path, source: str) -> tuple[dict[str, Any], str]:
    """A rules file's mapping of sections (empty for an empty file), and `source`, the name
    its errors give."""
    try:
        data = _parsed(path)
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}") from exc
    if data is None:
        return {}, source
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a mapping of sections, got {type(data).__name__}")
    return data, source


def operator_files(rules_dir: Path, known: tuple[str, ...]) -> dict[str, Path]:
    """The operator's rules files by name (`known`: the names a file may have)."""
    if not rules_dir.is_dir():
        raise ConfigError(f"rules_dir {rules_dir}: not a directory")
    found: dict[str, Path] = {}
    for path in sorted(rules_dir.iterdir()):
        if path.suffix not in (".yaml", ".yml"):
            continue
        if path.suffix != ".yaml" or path.stem not in known:
            names = ", ".join(f"{f}.yaml" for f in known)
            raise ConfigError(f"{path}: unknown rules file; expected one of {names}")
        found[path.stem] = path
    return found


def check_replace(value: object, source: str) -> None:
    """A file's `replace:` must be true or false."""
    if not isinstance(value, bool):
        raise ConfigError(f"{source}: field 'replace': must be true or false, got {value!r}")
