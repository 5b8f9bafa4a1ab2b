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
    stem, _, kind = unit.rpartition(".")
    dirs = [f"{kind}.d"] + [f"{stem[:i + 1]}.{kind}.d" for i, c in enumerate(stem) if c == "-"] + [f"{unit}.d"]
    drop_ins: dict[str, Path] = {}
    for folder in reversed(path):  # an earlier folder's file of the same name wins
        for name in dirs:
            for conf in sorted((folder / name).glob("*.conf")) if (folder / name).is_dir() else ():
                drop_ins[conf.name] = conf
    return [main, *(drop_ins[name] for name in sorted(drop_ins))]


def loaded_credentials(unit: str, path: list[Path] | None = None) -> dict[str, str] | None:
    """Credential name -> where systemd reads it from, or None when the unit is not
    installed. A path that is not absolute names a credential systemd looks up in its own
    stores; a `SetCredential=` value is given in the unit itself (an empty source)."""
    files = unit_files(unit, path)
    if not files:
        return None
    loaded: dict[str, str] = {}
    for file in files:
        section = ""
        for raw in file.read_text(encoding="utf-8", errors="replace").splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line
                continue
            setting, eq, value = line.partition("=")
            if section != "[Service]" or not eq or setting.strip() not in LOADING:
                continue
            value = value.strip()
            if not value:
                loaded.clear()
                continue
            name, _, source = value.partition(":")
            set_inline = setting.strip().startswith("Set")
            loaded[name.strip()] = "" if set_inline else (source.strip() or name.strip())
    return loaded
