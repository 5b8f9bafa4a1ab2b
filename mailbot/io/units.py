"""What an installed systemd unit hands its process: the credentials of its `LoadCredential=`
lines, read from the unit file and its drop-ins as systemd reads them, for `check`.

systemd reads a unit from the first folder of its search path that holds it, then every
drop-in (`NAME.service.d/*.conf`, and for a name with dashes the `PREFIX-.service.d/` of each
prefix, and `service.d/`) in the order of their file names, a name in an earlier folder
hiding the same name in a later one. `LoadCredential=ID:PATH` (or `LoadCredentialEncrypted=`,
`SetCredential=ID:VALUE`) adds a credential; an empty assignment forgets the ones before.
`SYSTEMD_UNIT_PATH` replaces the search path as it does for systemd itself (a trailing `:`
appends the default), which the tests use to point at units of their own.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_PATH = ("/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
                "/usr/lib/systemd/system", "/lib/systemd/system")
LOADING = ("LoadCredential", "LoadCredentialEncrypted", "SetCredential", "SetCredentialEncrypted")


def search_path() -> list[Path]:
    """The folders systemd looks for system units in, first first."""
    given = os.environ.get("SYSTEMD_UNIT_PATH")
    if not given:
        return [Path(p) for p in DEFAULT_PATH]
    folders = [Path(p) for p in given.split(":") if p]
    return folders + [Path(p) for p in DEFAULT_PATH] if given.endswith(":") else folders


def unit_files(unit: str, path: list[Path] | None = None) -> list[Path]:
    """The unit's file and its drop-ins, in the order systemd applies them; [] when the unit
    is not installed."""
    path = search_path() if path is None else path
    main = next((folder / unit for folder in path if (folder / unit).is_file()), None)
    if main is None:
        return []
    drop_ins: dict[str, Path] = {}
    for folder in reversed(path):  # an earlier folder's file of the same name wins
        for name in _drop_in_folders(unit):
            drop_ins.update((conf.name, conf) for conf in sorted((folder / name).glob("*.conf")))
    return [main, *(drop_ins[name] for name in sorted(drop_ins))]


def _drop_in_folders(unit: str) -> list[str]:
    """The drop-in folders of `unit`, the most general first: `service.d`, each dashed
    prefix's (`mailbot-.service.d` for mailbot-web.service), then the unit's own."""
    stem, _, kind = unit.rpartition(".")
    prefixes = [f"{stem[:i + 1]}.{kind}.d" for i, c in enumerate(stem) if c == "-"]
    return [f"{kind}.d", *prefixes, f"{unit}.d"]


def loaded_credentials(unit: str, path: list[Path] | None = None) -> dict[str, str] | None:
    """Credential name -> where systemd reads it from, or None when the unit is not
    installed. A path that is not absolute names a credential systemd looks up in its own
    stores; a `SetCredential=` value is given in the unit itself (an empty source)."""
    files = unit_files(unit, path)
    if not files:
        return None
    loaded: dict[str, str] = {}
    for setting, value in (found for file in files for found in _service_settings(file)):
        if setting not in LOADING:
            continue
        if not value:  # an empty assignment forgets the ones before
            loaded.clear()
            continue
        name, _, source = value.partition(":")
        loaded[name.strip()] = "" if setting.startswith("Set") else (source.strip() or name.strip())
    return loaded


def _service_settings(file: Path) -> list[tuple[str, str]]:
    """The (setting, value) lines of a unit file's [Service] section, comments left out."""
    found: list[tuple[str, str]] = []
    section = ""
    for raw in file.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line
        elif line and not line.startswith(("#", ";")) and section == "[Service]" and "=" in line:
            setting, _, value = line.partition("=")
            found.append((setting.strip(), value.strip()))
    return found
